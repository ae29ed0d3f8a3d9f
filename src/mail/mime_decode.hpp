// Decoders for received mail, each lenient in the way mail readers are and linear in its input:
// the transfer encodings (RFC 2045 section 6), encoded words in header fields (RFC 2047) and
// MIME parameters (RFC 2045 section 5.1, RFC 2231).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outreach::detail {

/// Appends the bytes `encoded` holds in base64 (RFC 4648). Characters outside the alphabet
/// (line breaks, garbage) are skipped; `=` ends a quantum, so missing padding and concatenated
/// padded blocks both decode; bits that do not make a whole byte are dropped.
void append_base64_decoded(std::string& out, std::string_view encoded);

/// Appends the bytes `encoded` holds in quoted-printable (RFC 2045 section 6.7): `=XX` in either
/// case becomes its byte, `=` at the end of a line (soft break) joins the lines, white space
/// before a hard line break is dropped, and an `=` that is neither stays as it is. Line breaks
/// are kept as they are written.
void append_quoted_printable_decoded(std::string& out, std::string_view encoded);

/// A header field's value as people read it: unfolded (line breaks dropped), encoded words
/// (RFC 2047, B and Q, any charset) decoded and the white space between adjacent ones dropped,
/// malformed encoded words kept as written, raw 8-bit text kept when it is UTF-8 and read as
/// windows-1252 otherwise, control characters other than TAB (CR and LF included) replaced by
/// spaces, and surrounding white space trimmed. Always valid UTF-8.
[[nodiscard]] std::string decode_header_value(std::string_view raw);

/// An address field's value (`From`, `To`, ...) as `decode_header_value` decodes other fields,
/// but with the address structure read on the raw value first: encoded words are decoded in
/// display names, quoted strings and comments only (RFC 2047 section 5), never in an address, and
/// a display name that holds address syntax once decoded (`=?utf-8?q?Smith=2C_John?=`) is
/// written as a quoted string (`"Smith, John"`), so the decoded value reads as the same addresses
/// as the raw one.
[[nodiscard]] std::string decode_address_header_value(std::string_view raw);

/// Replaces control characters other than TAB (CR, LF and NUL among them) and DEL by spaces, and
/// trims surrounding white space: what every decoded value goes through, so none can break a log
/// line or a header.
void make_single_line(std::string& value);

/// A structured field value such as `Content-Type` or `Content-Disposition`: a leading token and
/// its parameters.
struct ParameterizedValue {
  /// The leading token in lower case without comments or white space: `text/plain`,
  /// `attachment`. Empty when there is none.
  std::string token;
  /// The parameters in order of first appearance: names in lower case, values unquoted, RFC 2231
  /// sections joined and decoded from their charset, RFC 2047 encoded words in plain values
  /// decoded (as many mailers write them), all as valid single-line UTF-8. When a name appears
  /// more than once the first wins, and an RFC 2231 form wins over a plain one.
  std::vector<std::pair<std::string, std::string>> parameters;
};

/// Reads a structured value (the raw, possibly folded field value). Comments are skipped,
/// unquoted values run to the next `;` (without trailing white space), a missing `;` between
/// parameters is tolerated, and after `max_parameters` parameters the rest is ignored.
[[nodiscard]] ParameterizedValue parse_parameterized_value(std::string_view raw, std::size_t max_parameters);

}  // namespace outreach::detail
