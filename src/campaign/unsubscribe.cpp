#include "outreach/unsubscribe.hpp"

#include <openssl/crypto.h>

#include "campaign/sealed_token.hpp"
#include "util/base64url.hpp"

namespace outreach {

namespace {

// A campaign's name and an address are short; anything longer is not a token of ours.
constexpr std::size_t max_token_size = 4096;

std::optional<UnsubscribeTarget> target_of(std::string_view plaintext) {
  const std::size_t newline = plaintext.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  return UnsubscribeTarget{std::string(plaintext.substr(0, newline)), std::string(plaintext.substr(newline + 1))};
}

}  // namespace

UnsubscribeKey::UnsubscribeKey(std::string_view secret)
    : secret_(secret),
      seal_key_(detail::derive_token_key(secret, "outreach unsubscribe token: seal")),
      nonce_key_(detail::derive_token_key(secret, "outreach unsubscribe token: nonce")) {}

std::string UnsubscribeKey::token(std::string_view campaign, std::string_view lead_key) const {
  std::string plaintext(campaign);
  plaintext += '\n';
  plaintext += lead_key;
  return detail::seal_token(seal_key_, nonce_key_, plaintext);
}

std::optional<UnsubscribeTarget> UnsubscribeKey::verify(std::string_view token) const {
  if (token.size() > max_token_size) return std::nullopt;
  if (const std::size_t dot = token.find('.'); dot != std::string_view::npos) {
    // The signed format of earlier versions: the campaign and lead in the clear, and their HMAC.
    const auto payload = detail::from_base64url(token.substr(0, dot));
    const auto mac = detail::from_base64url(token.substr(dot + 1));
    if (!payload || !mac) return std::nullopt;
    // The signed format of version 0.1: the HMAC-SHA256 of the payload under the secret itself.
    const std::string expected = detail::hmac_sha256(secret_, *payload);
    if (mac->size() != expected.size() || CRYPTO_memcmp(mac->data(), expected.data(), mac->size()) != 0) return std::nullopt;
    return target_of(*payload);
  }
  const auto plaintext = detail::open_token(seal_key_, token, max_token_size);
  if (!plaintext) return std::nullopt;
  return target_of(*plaintext);
}

std::string make_unsubscribe_token(std::string_view secret, std::string_view campaign, std::string_view lead_key) {
  return UnsubscribeKey(secret).token(campaign, lead_key);
}

std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::string_view secret, std::string_view token) {
  return UnsubscribeKey(secret).verify(token);
}

std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::span<const UnsubscribeKey> ring, std::string_view token) {
  for (const UnsubscribeKey& key : ring) {
    if (auto target = key.verify(token)) return target;
  }
  return std::nullopt;
}

}  // namespace outreach
