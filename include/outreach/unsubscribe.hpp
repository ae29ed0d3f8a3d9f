/// @file unsubscribe.hpp
/// @brief One-click unsubscribe tokens: URL-safe, naming the campaign and the lead, signed
/// with HMAC-SHA256, so a host's web handler can trust a click.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace outreach {

/// @brief Who an unsubscribe token names.
struct UnsubscribeTarget {
  std::string campaign;  ///< The campaign's name.
  std::string lead;      ///< The lead's address key (lower-case).
};

/// @brief Makes the token for a lead: `base64url(campaign "\n" lead) "." base64url(HMAC-SHA256)`,
/// without padding.
/// @param secret The campaign's secret (from the environment variable `secret_env`).
/// @param campaign The campaign's name.
/// @param lead_key The lead's address key (`Lead::key()`).
[[nodiscard]] std::string make_unsubscribe_token(std::string_view secret, std::string_view campaign,
                                                 std::string_view lead_key);

/// @brief Checks a token from a click, in constant time for the signature.
/// @param secret The same secret.
/// @param token The token from the URL.
/// @return The campaign and lead it names, or nothing when it is malformed or not signed with
/// `secret`.
[[nodiscard]] std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::string_view secret, std::string_view token);

}  // namespace outreach
