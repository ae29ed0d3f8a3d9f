// Text as the classifier reads it: a bounded copy folded once to lower case, searched for
// phrases as whole words (see also phrase_matcher.hpp), line by line or for the addresses and
// codes it quotes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outreach::detail {

/// How much of a subject, a body or a report block the classifier reads: the clues are near the
/// start, and a bound keeps every scan linear in a small input whatever the message's size.
inline constexpr std::size_t classify_subject_bytes = 1024;
inline constexpr std::size_t classify_text_bytes = 32 * 1024;

/// A copy of at most `max_bytes` of `text` (cut at a code point boundary) for phrase matching:
/// letters lower-cased (ASCII, Latin-1, Latin Extended-A, basic Cyrillic), typographic
/// apostrophes turned into `'`, no-break spaces into spaces, CR LF and lone CR into LF, tabs
/// into spaces. The phrases of the classifier's tables are written in this form.
[[nodiscard]] std::string fold_text(std::string_view text, std::size_t max_bytes);

/// A folded text that knows where each of its bytes came from, so that what is found in it can
/// be quoted as written (a Message-ID's case matters; a diagnostic reads better as sent).
struct FoldedText {
  std::string text;                   ///< The folded text.
  std::vector<std::uint32_t> origin;  ///< Offset in the source of each byte of `text`, and of its end.

  /// The source's bytes that `text[begin, end)` came from.
  [[nodiscard]] std::string_view original(std::string_view source, std::size_t begin, std::size_t end) const noexcept;
};

/// `fold_text` with the origin of each byte.
[[nodiscard]] FoldedText fold_text_mapped(std::string_view text, std::size_t max_bytes);

/// True for the bytes that make words: ASCII letters and digits, and every byte of a non-ASCII
/// code point (so `é` and `不` are word characters).
[[nodiscard]] constexpr bool is_word_byte(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') || byte >= 0x80;
}

/// The first position at or after `from` where `phrase` stands in `text` as whole words: when
/// the phrase begins (ends) with an ASCII letter or digit, the byte before (after) it must not
/// be one. Phrases that begin or end with other characters (`:`, CJK) match anywhere.
/// @return The position, or `npos`.
[[nodiscard]] std::size_t find_words(std::string_view text, std::string_view phrase, std::size_t from = 0) noexcept;

/// Reads a text line by line (LF ends a line; the last line needs none).
class LineReader {
 public:
  explicit LineReader(std::string_view text, std::size_t from = 0) noexcept : text_(text), next_(from) {}
  /// The next line without its LF, or nothing at the end of the text.
  [[nodiscard]] std::optional<std::string_view> next() noexcept;
  /// Where the line `next` returns next starts.
  [[nodiscard]] std::size_t position() const noexcept { return next_; }

 private:
  std::string_view text_;
  std::size_t next_;
};

/// The line of `text` around position `at`, without its LF.
[[nodiscard]] std::string_view line_around(std::string_view text, std::size_t at) noexcept;

/// `text` without the white space and the `punctuation` characters at its ends.
[[nodiscard]] std::string_view trim_chars(std::string_view text, std::string_view punctuation) noexcept;

/// The first thing shaped like an address (`local@domain.tld`) in `text[from, from + window)`,
/// as written (without the angle brackets or quotes around it).
[[nodiscard]] std::optional<std::string> address_in_text(std::string_view text, std::size_t from = 0,
                                                         std::size_t window = std::string_view::npos);

/// A short quotation of `text` for an evidence line: at most `max_bytes` of its first line,
/// cut at a code point boundary, with `...` when cut, made `printable`.
[[nodiscard]] std::string quote(std::string_view text, std::size_t max_bytes = 60);

/// `text` as valid UTF-8 without control characters: invalid sequences become U+FFFD, control
/// characters spaces (whatever a hostile message holds, evidence can be shown and put in JSON).
[[nodiscard]] std::string printable(std::string_view text);

/// Whether `a` and `b` are the same address: ASCII case-insensitively.
[[nodiscard]] bool same_address(std::string_view a, std::string_view b) noexcept;

}  // namespace outreach::detail
