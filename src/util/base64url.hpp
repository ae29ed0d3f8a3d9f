// Base64url (RFC 4648 section 5) without padding: the alphabet of tokens that travel in URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace outreach::detail {

/// The bytes in base64url, without `=` padding.
[[nodiscard]] inline std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 63u];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 63u];
  return out;
}

/// The bytes of unpadded base64url text; nothing for a character outside the alphabet, a
/// length no encoding has, or left-over bits that are not zero (so each text has one meaning).
[[nodiscard]] inline std::optional<std::string> from_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '-') value = 62;
    else if (c == '_') value = 63;
    if (value < 0) return std::nullopt;
    buffer = ((buffer << 6) | static_cast<unsigned>(value)) & 0xFFFFu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFu);
    }
  }
  if ((buffer & ((1u << bits) - 1u)) != 0) return std::nullopt;
  return out;
}

}  // namespace outreach::detail
