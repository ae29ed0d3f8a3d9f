/// @file unsubscribe.hpp
/// @brief One-click unsubscribe tokens: URL-safe and opaque (sealed with AES-256-GCM), naming
/// the campaign and the lead to whoever holds the secret and to nobody else, so that a web
/// handler can trust a click and a link scanner or an access log learns nothing.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace outreach {

/// @brief Who an unsubscribe token names.
struct UnsubscribeTarget {
  std::string campaign;  ///< The campaign's name.
  std::string lead;      ///< The lead's address key (lower-case).
  /// @brief Targets compare equal when both parts are equal.
  friend bool operator==(const UnsubscribeTarget&, const UnsubscribeTarget&) = default;
};

/// @brief The keys one secret gives: derived once, then used for every token of a campaign.
///
/// A token is `base64url(version ‖ nonce ‖ AES-256-GCM(campaign "\n" lead) ‖ tag)` without
/// padding. The nonce is an HMAC of the plaintext under a key of its own (the construction of
/// SIV modes), so a lead's token is the same in every message and across runs, and two leads'
/// tokens share nothing. Tokens never expire: a link must keep working for as long as the mail
/// that carries it is read.
class UnsubscribeKey {
 public:
  /// @brief Derives the keys from a campaign's secret (any length; the engine requires 16 bytes).
  explicit UnsubscribeKey(std::string_view secret);

  /// @brief The token for a lead of a campaign.
  /// @param campaign The campaign's name.
  /// @param lead_key The lead's address key (`Lead::key()`).
  [[nodiscard]] std::string token(std::string_view campaign, std::string_view lead_key) const;

  /// @brief Opens a token sealed with this key, or checks one of the signed format earlier
  /// versions wrote (`base64url(campaign "\n" lead) "." base64url(HMAC-SHA256)`), which mail
  /// already sent still carries. Signatures are compared in constant time.
  /// @return The campaign and lead it names; nothing when it is malformed, altered or made with
  /// another key.
  [[nodiscard]] std::optional<UnsubscribeTarget> verify(std::string_view token) const;

 private:
  std::string secret_;  // for the signed format of earlier versions
  std::array<unsigned char, 32> seal_key_{};
  std::array<unsigned char, 32> nonce_key_{};
};

/// @brief Makes the token for a lead (`UnsubscribeKey(secret).token(campaign, lead_key)`).
/// @param secret The campaign's secret (from the environment variable `secret_env`).
/// @param campaign The campaign's name.
/// @param lead_key The lead's address key (`Lead::key()`).
[[nodiscard]] std::string make_unsubscribe_token(std::string_view secret, std::string_view campaign,
                                                 std::string_view lead_key);

/// @brief Checks a token from a click (`UnsubscribeKey(secret).verify(token)`).
/// @param secret The same secret.
/// @param token The token from the URL.
/// @return The campaign and lead it names, or nothing when it is malformed or not made with
/// `secret`.
[[nodiscard]] std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::string_view secret, std::string_view token);

/// @brief Checks a token against a key ring: the current key first, then the keys of secrets
/// rotated out (`unsubscribe.previous_secret_envs`), whose tokens are still in people's mail.
/// @return What the first key that opens it says, or nothing.
[[nodiscard]] std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::span<const UnsubscribeKey> ring,
                                                                        std::string_view token);

}  // namespace outreach
