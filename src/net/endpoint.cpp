#include "net/endpoint.hpp"

#include <boost/asio/ip/address.hpp>

#include "util/ascii.hpp"
#include "util/host_port.hpp"

namespace outreach::detail {

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
  const HostPort parts = split_host_port(url);
  if (parts.problem == HostPortProblem::unbalanced_bracket) return refuse("has an unbalanced '['");
  if (parts.problem == HostPortProblem::text_after_bracket) return refuse("has text after the address in brackets");
  endpoint.host = std::string(parts.host);
  if (endpoint.host.empty()) return refuse("names no host");
  if (parts.port && !is_port_number(*parts.port)) return refuse("has a port that is not a number from 1 to 65535");
  endpoint.port = parts.port ? std::string(*parts.port) : std::string(default_port);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(endpoint.host, ec);
  endpoint.loopback = ec ? ascii_lower(endpoint.host) == "localhost" : address.is_loopback();
  return endpoint;
}

}  // namespace outreach::detail
