// Validating UTF-8 input as an `Error` that names the text and the character at fault, fast
// for the common case of ASCII text.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/utf8.hpp"
#include "outreach/error.hpp"

namespace outreach::detail {

/// Length of the leading run of ASCII bytes, eight bytes at a time.
[[nodiscard]] inline std::size_t ascii_prefix_length(std::string_view text) noexcept {
  constexpr std::uint64_t high_bits = 0x8080808080808080ull;
  std::size_t pos = 0;
  for (; pos + 8 <= text.size(); pos += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + pos, 8);
    if (word & high_bits) break;
  }
  while (pos < text.size() && static_cast<unsigned char>(text[pos]) < 0x80) ++pos;
  return pos;
}

/// Nothing when `text` is valid UTF-8; else `invalid_utf8` saying "<what> is not valid UTF-8",
/// with the code point offset of the first invalid byte.
[[nodiscard]] inline expected<void> check_utf8(std::string_view text, std::string_view what) {
  const std::size_t ascii = ascii_prefix_length(text);
  if (ascii == text.size()) return {};
  if (const auto bad = find_invalid_utf8(text.substr(ascii))) {
    Location where;
    where.offset = code_point_offset(text, ascii + *bad);
    return fail(Errc::invalid_utf8, std::string(what) + " is not valid UTF-8", std::move(where));
  }
  return {};
}

}  // namespace outreach::detail
