// RFC 5322 address syntax shared by parsing addresses (address.cpp) and writing them into
// messages (message.cpp).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "outreach/address.hpp"
#include "outreach/error.hpp"

namespace outreach::detail {

/// RFC 5322 `atext`, ASCII part: letters, digits and !#$%&'*+-/=?^_`{|}~.
inline constexpr std::array<bool, 256> atext_table = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (const char c : std::string_view("!#$%&'*+-/=?^_`{|}~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

[[nodiscard]] constexpr bool is_atext(char c) noexcept { return atext_table[static_cast<unsigned char>(c)]; }

/// Checks `address` as `Address::validate` does and gives its domain in ASCII (A-label) form,
/// in one pass over the text.
[[nodiscard]] expected<std::string> validate_with_ascii_domain(const Address& address);

}  // namespace outreach::detail
