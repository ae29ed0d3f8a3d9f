// libFuzzer target for everything that reads received mail: the MIME reader (with the default
// limits and with small ones), the charset converter, the header and address helpers, the HTML
// text and the classifier. Besides crashes, leaks and hangs, it checks the reader's promises:
// header values and text are valid UTF-8 on one line, and only an oversized message is refused.
//
// An input is read as a message with the default limits, unless its first byte is a control
// character mail does not start with that asks for another reading of what follows it: 1 the
// message with small limits, 2 the header and address helpers, 3 the charset converter and the
// HTML text (the next byte picks the charset). An execution pays for one reading instead of all
// four, every check stays reachable, and the seeds, which are messages, are read as messages;
// seeds named `reading-*` start the other readings.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mail/charset.hpp"
#include "mail/mime_html.hpp"
#include "util/utf8.hpp"
#include "outreach/classify.hpp"
#include "outreach/mime.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::MimePart;

using outreach::fuzz::require;

bool is_single_line_utf8(std::string_view text) {
  // find of one character is memchr; find_first_of would be a loop of this file's instrumented code.
  return outreach::detail::is_valid_utf8(text) && text.find('\n') == std::string_view::npos &&
         text.find('\r') == std::string_view::npos;
}

void check_part_tree(const MimePart& message, const outreach::MimeLimits& limits) {
  std::vector<std::pair<const MimePart*, std::size_t>> to_visit{{&message, 0}};
  std::size_t parts = 0;
  while (!to_visit.empty()) {
    const auto [part, depth] = to_visit.back();
    to_visit.pop_back();
    require(depth <= limits.max_depth, "parts nest no deeper than max_depth");
    require(part->headers.size() <= limits.max_header_fields, "no part has more than max_header_fields");
    parts += part->parts.size();
    require(parts <= limits.max_parts, "no more than max_parts parts");
    for (const outreach::HeaderField& field : part->headers) {
      require(is_single_line_utf8(field.value), "header values are single-line UTF-8");
    }
    for (const auto& [name, value] : part->parameters) {
      require(is_single_line_utf8(value), "parameter values are single-line UTF-8");
    }
    if (part->is("text/") || part->is("message/")) {
      require(outreach::detail::is_valid_utf8(part->body), "text bodies are UTF-8");
    }
    for (const MimePart& child : part->parts) to_visit.emplace_back(&child, depth + 1);
  }
}

void read_as_message(std::string_view input, const outreach::MimeLimits& limits) {
  const auto message = outreach::parse_message(input, limits);
  if (!message) {
    require(input.size() > limits.max_message_bytes, "only oversized messages are refused");
    return;
  }
  check_part_tree(*message, limits);
  require(outreach::detail::is_valid_utf8(outreach::readable_text(*message)), "readable text is UTF-8");

  outreach::ClassifyContext context;
  context.unsubscribe_addresses = {"unsubscribe@outreach.example"};
  context.received = std::chrono::sys_days(std::chrono::year(2024) / 6 / 11);
  const outreach::Classification classification = outreach::classify(*message, context);
  static_cast<void>(outreach::to_string(classification.type));
}

// The charsets mail uses, and some of glibc's stateful or rarely used converters.
constexpr std::array<std::string_view, 24> charsets{
    "utf-8",  "us-ascii", "iso-8859-1", "iso-8859-15", "windows-1252", "iso-2022-jp", "shift_jis", "gb2312",
    "koi8-r", "utf-16",   "utf-32",     "utf-7",       "big5",         "euc-kr",      "euc-jp",    "iso-2022-kr",
    "iso-2022-cn-ext", "cp1255", "cp1258", "tcvn", "tscii", "ibm1364", "ibm930", "johab"};

outreach::MimeLimits small_limits() {
  outreach::MimeLimits small;
  small.max_message_bytes = 1 << 14;
  small.max_depth = 3;
  small.max_parts = 8;
  small.max_header_fields = 8;
  return small;
}

void read_with_header_helpers(std::string_view input) {
  for (const outreach::HeaderField& field : outreach::parse_header_block(input)) {
    require(is_single_line_utf8(field.value), "header block values are single-line UTF-8");
  }
  // What the classifier reads in delivery and feedback reports' bodies; any text reaches it here.
  for (const auto& block : outreach::parse_header_blocks(input)) {
    for (const outreach::HeaderField& field : block) {
      require(is_single_line_utf8(field.value), "header blocks' values are single-line UTF-8");
    }
  }
  static_cast<void>(outreach::message_ids_in(input));
  static_cast<void>(outreach::first_address_in(input));
  static_cast<void>(outreach::addresses_in(input));
}

// The first byte picks a charset for the rest of the input.
void read_as_charset(std::string_view input) {
  if (input.empty()) return;
  const auto charset = charsets[static_cast<unsigned char>(input.front()) % charsets.size()];
  const std::string text = outreach::detail::to_utf8(charset, input.substr(1));
  require(outreach::detail::is_valid_utf8(text), "converted text is UTF-8");
  require(outreach::detail::is_valid_utf8(outreach::detail::html_to_text(text)), "HTML text is UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view rest = input.substr(size == 0 ? 0 : 1);
  switch (size == 0 ? 0 : data[0]) {
    case 1: read_as_message(rest, small_limits()); break;
    case 2: read_with_header_helpers(rest); break;
    case 3: read_as_charset(rest); break;
    default: read_as_message(input, {}); break;
  }
  return 0;
}
