// SASL initial responses (RFC 4422), the same for SMTP AUTH and IMAP AUTHENTICATE.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// Base64 of `text` (AUTH LOGIN sends the user name and the password this way).
[[nodiscard]] std::string base64_of(std::string_view text);

/// PLAIN (RFC 4616): base64 of NUL user NUL password.
[[nodiscard]] std::string sasl_plain(std::string_view username, std::string_view password);

/// XOAUTH2 (Google's and Microsoft's): base64 of "user=U^Aauth=Bearer T^A^A".
[[nodiscard]] std::string sasl_xoauth2(std::string_view username, std::string_view token);

}  // namespace outreach::detail
