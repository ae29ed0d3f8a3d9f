// Where a server is and how to secure the connection, read from a mailbox's URL setting.
#pragma once

#include <string>
#include <string_view>

#include "outreach/error.hpp"
#include "outreach/mailbox.hpp"

namespace outreach::detail {

/// A server's address and the security of the connection to it.
struct Endpoint {
  std::string host;  // name or address, without IPv6 brackets
  std::string port;
  Security security = Security::starttls;
  bool loopback = false;  // credentials may go without TLS only here
};

/// The two URL schemes of a protocol: one for a plain (or STARTTLS) connection, one for
/// implicit TLS, with their default ports.
struct UrlSchemes {
  std::string_view plain;  // "smtp", "imap"
  std::string_view plain_port;
  std::string_view tls;  // "smtps", "imaps"
  std::string_view tls_port;
};

/// The endpoint of `scheme://host[:port]` (IPv6 in brackets). The implicit-TLS scheme always
/// means TLS; the plain scheme takes `security` as configured. `owner` names the setting's
/// owner in errors (`mailbox "alice"`). `invalid_value` when the URL is not one of the schemes,
/// names no host or has a bad port.
[[nodiscard]] expected<Endpoint> parse_endpoint(std::string_view url, const UrlSchemes& schemes, Security security,
                                                std::string_view owner);

/// Whether `host` is an IPv4 or IPv6 address rather than a name.
[[nodiscard]] bool is_ip_address(const std::string& host);

}  // namespace outreach::detail
