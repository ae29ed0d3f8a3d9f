// `host[:port]`, the authority of a server URL, split the one way every reader of such URLs
// needs: an IPv6 address in brackets, the port after the last bracket or the first colon.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace outreach::detail {

/// What is wrong with the shape of `host[:port]`.
enum class HostPortProblem { unbalanced_bracket, text_after_bracket };

/// The parts of `host[:port]`.
struct HostPort {
  std::string_view host;  // without the brackets of an IPv6 address
  bool bracketed = false;
  std::optional<std::string_view> port;     // the text after ':', when there is a ':'
  std::optional<HostPortProblem> problem;  // set: the parts before it are as far as it could go
};

/// Splits `authority`; the host may be empty and the port any text: callers check them.
[[nodiscard]] inline HostPort split_host_port(std::string_view authority) noexcept {
  HostPort parts;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      parts.problem = HostPortProblem::unbalanced_bracket;
      return parts;
    }
    parts.host = authority.substr(1, close - 1);
    parts.bracketed = true;
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') parts.problem = HostPortProblem::text_after_bracket;
    else if (!rest.empty()) parts.port = rest.substr(1);
    return parts;
  }
  const std::size_t colon = authority.find(':');
  parts.host = authority.substr(0, colon);
  if (colon != std::string_view::npos) parts.port = authority.substr(colon + 1);
  return parts;
}

/// Whether `text` is a TCP port: digits only, from 1 to 65535.
[[nodiscard]] inline bool is_port_number(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace outreach::detail
