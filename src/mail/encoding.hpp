// Encodings for message headers and bodies: quoted-printable (RFC 2045), base64 (RFC 4648),
// encoded-words (RFC 2047), header folding (RFC 5322 section 2.2.3) and Punycode (RFC 3492).
// Everything appends to a caller's string, so a whole message is built in one buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace outreach::detail {

// ---- Quoted-printable (RFC 2045 section 6.7) -----------------------------------------------

/// Appends `text` quoted-printable encoded. Printable ASCII other than '=' is written as is;
/// '=', control characters (TAB included), non-ASCII bytes and a space that ends a line are
/// written as `=XX`. Every line ending of the input (CRLF, CR or LF) becomes a CRLF hard break,
/// and output lines are at most 76 characters, split with `=` CRLF soft breaks. Since '=' is
/// always followed by a hex digit or CRLF, the output never contains "=_".
void append_quoted_printable(std::string& out, std::string_view text);

// ---- Base64 (RFC 4648 section 4) ---------------------------------------------------------

/// Number of characters `append_base64` writes for `byte_count` bytes.
[[nodiscard]] constexpr std::size_t base64_length(std::size_t byte_count) noexcept {
  return (byte_count + 2) / 3 * 4;
}

/// Appends `bytes` in base64 with padding and no line breaks.
void append_base64(std::string& out, std::string_view bytes);

// ---- Header folding (RFC 5322 section 2.2.3) ---------------------------------------------

/// Writes one header field as space-separated tokens, folding (CRLF SP) before a token that
/// would take the line past 78 characters; that may be right after the field name, which
/// RFC 5322 allows. A token is never split, so a line is longer than 78 only when a single token
/// is; callers bound their tokens to keep every line within 998.
class HeaderWriter {
 public:
  static constexpr std::size_t preferred_line_length = 78;
  static constexpr std::size_t max_line_length = 998;

  explicit HeaderWriter(std::string& out) noexcept : out_(out) {}

  /// Starts a field: writes `Name:`.
  void begin(std::string_view name) {
    out_.append(name);
    out_.push_back(':');
    line_length_ = name.size() + 1;
    tokens_on_line_ = 0;
  }

  /// Characters a token can have and still go on the current line after its space.
  [[nodiscard]] std::size_t room_on_line() const noexcept {
    return line_length_ + 1 >= preferred_line_length ? 0 : preferred_line_length - line_length_ - 1;
  }

  /// Characters a token has on a continuation line (after CRLF SP).
  static constexpr std::size_t room_after_fold = preferred_line_length - 1;

  /// Appends a space (or a fold) and then the concatenation of `parts` as one token.
  template <class... Parts>
  void add(const Parts&... parts) {
    const std::size_t length = (std::string_view(parts).size() + ...);
    separate(length);
    (out_.append(std::string_view(parts)), ...);
    line_length_ += length;
  }

  /// Appends a space (or a fold) for a token of `length` characters that the caller then
  /// writes itself with `write(std::string&)`, which must append exactly `length` characters.
  template <class Write>
  void add_written(std::size_t length, Write&& write) {
    separate(length);
    write(out_);
    line_length_ += length;
  }

  /// Ends the field with CRLF.
  void end() { out_.append("\r\n", 2); }

 private:
  void separate(std::size_t length) {
    // Folding before a token too long for any line would only add an almost empty line.
    const bool fold_helps = tokens_on_line_ > 0 || length <= room_after_fold;
    if (fold_helps && line_length_ + 1 + length > preferred_line_length) {
      out_.append("\r\n ", 3);
      line_length_ = 1;
      tokens_on_line_ = 0;
    } else {
      out_.push_back(' ');
      ++line_length_;
    }
    ++tokens_on_line_;
  }

  std::string& out_;
  std::size_t line_length_ = 0;
  std::size_t tokens_on_line_ = 0;
};

// ---- Encoded-words (RFC 2047) ------------------------------------------------------------

/// The longest encoded-word RFC 2047 section 2 allows.
inline constexpr std::size_t max_encoded_word_length = 75;

/// Adds `text` (valid UTF-8) to the field as `=?UTF-8?B?...?=` encoded-words, each at most 75
/// characters, split only between characters and folded between words. Decoders join adjacent
/// encoded-words without the whitespace between them, so the text comes back unchanged.
void add_encoded_words(HeaderWriter& header, std::string_view text);

// ---- Punycode (RFC 3492) -----------------------------------------------------------------

/// Appends the Punycode encoding of `label` (valid UTF-8; without the `xn--` prefix). Basic
/// code points keep their case. Returns false when the label is too long to encode (overflow).
[[nodiscard]] bool append_punycode(std::string& out, std::string_view label);

}  // namespace outreach::detail
