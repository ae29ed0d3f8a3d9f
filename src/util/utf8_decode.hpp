// Decoding one UTF-8 character to its code point, on top of the validation in utf8.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "util/utf8.hpp"

namespace outreach::detail {

/// A code point and the number of bytes its UTF-8 form takes.
struct DecodedCharacter {
  char32_t code_point;
  std::size_t length;
};

/// Decodes the character at text[pos]. An invalid sequence gives its first byte as the code
/// point with length 1, so a loop always makes progress; validate first where that matters.
[[nodiscard]] constexpr DecodedCharacter decode_utf8_at(std::string_view text, std::size_t pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(text[i])); };
  const std::size_t length = std::max<std::size_t>(utf8_sequence_length(text, pos), 1);
  const char32_t lead = byte(pos);
  char32_t point = length == 1 ? lead : length == 2 ? (lead & 0x1Fu) : length == 3 ? (lead & 0x0Fu) : (lead & 0x07u);
  for (std::size_t i = 1; i < length; ++i) point = (point << 6) | (byte(pos + i) & 0x3Fu);
  return {point, length};
}

}  // namespace outreach::detail
