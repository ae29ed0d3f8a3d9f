// Converting text in a declared charset to UTF-8, the way mail readers do: common aliases are
// mapped to the charsets mailers really mean (ISO-8859-1 is read as windows-1252, Shift_JIS as
// CP932, GB2312 as GB18030), anything else goes to glibc's iconv, and what cannot be converted
// becomes U+FFFD. The result is always valid UTF-8.
//
// Thread-safe: each thread keeps its own small cache of iconv descriptors.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// The replacement character U+FFFD in UTF-8.
inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

/// Appends `bytes`, declared to be in `charset` (any case, any common alias), to `out` as UTF-8.
/// Invalid or incomplete sequences become U+FFFD. An empty, `us-ascii` or unknown charset is
/// read as UTF-8 when the bytes are valid UTF-8, else as windows-1252.
void append_utf8(std::string& out, std::string_view charset, std::string_view bytes);

/// `append_utf8` into a new string.
[[nodiscard]] std::string to_utf8(std::string_view charset, std::string_view bytes);

/// Appends `bytes` as they are when they are valid UTF-8, else read as windows-1252: for text
/// whose charset is not declared (raw 8-bit header fields).
void append_utf8_or_windows_1252(std::string& out, std::string_view bytes);

/// Appends `bytes` read as UTF-8, with every invalid sequence replaced by U+FFFD.
void append_utf8_replacing_invalid(std::string& out, std::string_view bytes);

/// Appends `bytes` read as windows-1252 (a superset of ISO-8859-1's printable characters); its
/// five undefined bytes become U+FFFD.
void append_windows_1252(std::string& out, std::string_view bytes);

/// Appends the UTF-8 form of `code_point`; surrogates and values past U+10FFFF become U+FFFD.
void append_code_point(std::string& out, char32_t code_point);

}  // namespace outreach::detail
