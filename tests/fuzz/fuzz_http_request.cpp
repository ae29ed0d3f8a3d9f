// Fuzzes what `outreach serve` does with the bytes of a request before it touches a store: the
// HTTP parser with the server's limits (Beast's, as the server sets it up), then the request
// target, the form body in either encoding, the one-click check, and the unsubscribe token in
// the path. Promises checked beyond "no crash": a decoded target holds no NUL, and a token that
// opens is the one its key makes for what it names (tokens have one spelling).
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "outreach/unsubscribe.hpp"
#include "util/http_form.hpp"

namespace {

namespace http = boost::beast::http;

const outreach::UnsubscribeKey& key() {
  static const outreach::UnsubscribeKey ring("a secret only the fuzzer knows!!");
  return ring;
}

void check(bool promise) {
  if (!promise) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(8192);
  parser.body_limit(16384);
  parser.eager(true);
  boost::beast::error_code error;
  std::size_t used = 0;
  while (!error && !parser.is_done() && used < size) {
    const std::size_t taken = parser.put(boost::asio::buffer(data + used, size - used), error);
    if (error == http::error::need_more) error = {};
    if (taken == 0) break;
    used += taken;
  }
  if (!error && !parser.is_done()) parser.put_eof(error);
  if (error || !parser.is_done()) return 0;

  const auto& request = parser.get();
  const std::string target(request.target());
  const std::string content_type(request[http::field::content_type]);
  const std::string& body = request.body();

  const auto parsed = outreach::detail::parse_target(target);
  if (parsed) {
    check(parsed->path.find('\0') == std::string::npos);
    const std::size_t slash = parsed->path.rfind('/');
    const std::string token = parsed->path.substr(slash + 1);
    if (const auto opened = key().verify(token); opened && token.find('.') == std::string::npos) {
      check(key().token(opened->campaign, opened->lead) == token);
    }
  }
  (void)outreach::detail::is_one_click_post(content_type, body);
  (void)outreach::detail::parse_urlencoded(body);
  (void)outreach::detail::parse_multipart(content_type, body);
  return 0;
}
