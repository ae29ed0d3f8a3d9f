// UTF-8 validation and code point counting (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace outreach::detail {

/// Length of the valid UTF-8 sequence starting at text[pos], or 0 when it is not valid there.
[[nodiscard]] constexpr std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char c = byte(pos);
  if (c < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t min = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) { length = 2; min = 0x80; cp = c & 0x1Fu; }
  else if ((c & 0xF0) == 0xE0) { length = 3; min = 0x800; cp = c & 0x0Fu; }
  else if ((c & 0xF8) == 0xF0) { length = 4; min = 0x10000; cp = c & 0x07u; }
  else return 0;
  if (pos + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

/// The byte offset of the first invalid sequence, or nothing when all of `text` is valid UTF-8.
[[nodiscard]] constexpr std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) { ++pos; continue; }
    const std::size_t length = utf8_sequence_length(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return std::nullopt;
}

[[nodiscard]] constexpr bool is_valid_utf8(std::string_view text) noexcept {
  return !find_invalid_utf8(text).has_value();
}

/// The longest start of UTF-8 `text` of at most `max_bytes` bytes that does not cut a
/// character in two.
[[nodiscard]] constexpr std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

/// Number of code points in the first `byte_offset` bytes (for error offsets people can use).
[[nodiscard]] constexpr std::size_t code_point_offset(std::string_view text, std::size_t byte_offset) noexcept {
  std::size_t count = 0;
  for (std::size_t i = 0; i < byte_offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace outreach::detail
