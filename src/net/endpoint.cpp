#include "net/endpoint.hpp"

#include <boost/asio/ip/address.hpp>

#include "util/ascii.hpp"

namespace outreach::detail {

namespace {

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value > 0 && value <= 65535;
}

}  // namespace

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

expected<Endpoint> parse_endpoint(std::string_view url, const UrlSchemes& schemes, Security security,
                                  std::string_view owner) {
  const std::string whole(url);
  const auto refuse = [&](const std::string& why) {
    return fail(Errc::invalid_value, std::string(owner) + ": \"" + whole + "\" " + why);
  };
  const std::string plain_prefix = std::string(schemes.plain) + "://";
  const std::string tls_prefix = std::string(schemes.tls) + "://";
  Endpoint endpoint;
  std::string_view default_port;
  if (url.starts_with(tls_prefix)) {
    url.remove_prefix(tls_prefix.size());
    default_port = schemes.tls_port;
    endpoint.security = Security::tls;
  } else if (url.starts_with(plain_prefix)) {
    url.remove_prefix(plain_prefix.size());
    default_port = schemes.plain_port;
    endpoint.security = security;
  } else {
    return refuse("is not a " + plain_prefix + " or " + tls_prefix + " URL");
  }
  std::string_view port;
  if (url.starts_with('[')) {
    const std::size_t close = url.find(']');
    if (close == std::string_view::npos) return refuse("has an unbalanced '['");
    endpoint.host = std::string(url.substr(1, close - 1));
    const std::string_view rest = url.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return refuse("has text after the address in brackets");
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const std::size_t colon = url.find(':');
    endpoint.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port = url.substr(colon + 1);
  }
  if (endpoint.host.empty()) return refuse("names no host");
  if (!port.empty() && !is_port(port)) return refuse("has a port that is not a number from 1 to 65535");
  endpoint.port = port.empty() ? std::string(default_port) : std::string(port);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(endpoint.host, ec);
  endpoint.loopback = ec ? ascii_lower(endpoint.host) == "localhost" : address.is_loopback();
  return endpoint;
}

}  // namespace outreach::detail
