// Opaque tokens for links: a plaintext sealed with AES-256-GCM under a key derived from a
// campaign's secret, with a synthetic nonce (an HMAC of the plaintext under a key of its own, as
// SIV modes do), so that the same plaintext always gives the same token and no two differ in a
// way that tells anything. Unsubscribe and tracking tokens are both made here, each with keys
// of their own purpose.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::detail {

using TokenKey = std::array<unsigned char, 32>;

/// HMAC-SHA256 of `data` under `key`, as bytes.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

/// A key of its own for `purpose` from a campaign's secret (HMAC-SHA256).
[[nodiscard]] TokenKey derive_token_key(std::string_view secret, std::string_view purpose);

/// `base64url(1 ‖ nonce ‖ AES-256-GCM(plaintext) ‖ tag)`, without padding.
[[nodiscard]] std::string seal_token(const TokenKey& seal, const TokenKey& nonce, std::string_view plaintext);

/// The plaintext of a token sealed with `seal`; nothing when it is malformed, altered, made with
/// another key, or longer than `max_size` characters.
[[nodiscard]] std::optional<std::string> open_token(const TokenKey& seal, std::string_view token, std::size_t max_size);

}  // namespace outreach::detail
