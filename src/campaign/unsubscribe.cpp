#include "outreach/unsubscribe.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace outreach {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16u) | (byte(i + 1) << 8u) | byte(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = byte(i) << 16u;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (byte(i) << 16u) | (byte(i + 1) << 8u);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '-') value = 62;
    else if (c == '_') value = 63;
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string signature(std::string_view secret, std::string_view payload) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), mac.data(), &size);
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

}  // namespace

std::string make_unsubscribe_token(std::string_view secret, std::string_view campaign, std::string_view lead_key) {
  std::string payload(campaign);
  payload += '\n';
  payload += lead_key;
  return base64url(payload) + "." + base64url(signature(secret, payload));
}

std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::string_view secret, std::string_view token) {
  if (token.size() > 4096) return std::nullopt;
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto payload = from_base64url(token.substr(0, dot));
  const auto mac = from_base64url(token.substr(dot + 1));
  if (!payload || !mac) return std::nullopt;
  const std::string expected_mac = signature(secret, *payload);
  if (mac->size() != expected_mac.size() || CRYPTO_memcmp(mac->data(), expected_mac.data(), mac->size()) != 0) {
    return std::nullopt;
  }
  const std::size_t newline = payload->find('\n');
  if (newline == std::string::npos) return std::nullopt;
  return UnsubscribeTarget{payload->substr(0, newline), payload->substr(newline + 1)};
}

}  // namespace outreach
