// The text of a lead list file as UTF-8, whatever it was saved as: spreadsheets save "CSV" as
// UTF-8 with or without a byte order mark, as UTF-16 ("Unicode text"), or in the legacy
// single-byte encoding of the machine (Windows-1252 in most of the Americas and Western Europe).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "outreach/error.hpp"

namespace outreach::detail {

/// A lead list's text, decoded.
class LeadText {
 public:
  /// Decodes `bytes`. With `encoding` empty, the encoding is found: a byte order mark says UTF-8
  /// or UTF-16 (LE or BE); text whose every other byte is NUL is UTF-16 without a mark; text
  /// that is valid UTF-8, or has at least as many valid multi-byte UTF-8 sequences as runs of
  /// invalid bytes, is UTF-8 (its invalid rows are left out by the reader); anything else is read
  /// as Windows-1252, with a note that says so. A named encoding is any name iconv knows (`windows-1252`, `iso-8859-15`, `utf-16`);
  /// `utf-8` takes the text as it is.
  /// @param source_name The file, for the note's and the error's location.
  /// @return The text, or `invalid_value` for an encoding iconv does not know.
  [[nodiscard]] static expected<LeadText> decode(std::string_view bytes, std::string_view encoding,
                                                 std::string_view source_name);

  /// The UTF-8 text (a view of the input when it was UTF-8 already, without its mark).
  [[nodiscard]] std::string_view text() const noexcept { return converted_ ? std::string_view(*converted_) : original_; }
  /// The encoding it was read in, lower case: `utf-8`, `utf-16le`, `windows-1252`, or the name given.
  [[nodiscard]] const std::string& encoding() const noexcept { return encoding_; }
  /// Whether it was converted from another encoding, so that U+FFFD in it stands for bytes the
  /// encoding has no character for.
  [[nodiscard]] bool converted() const noexcept { return converted_.has_value(); }
  /// Said when the encoding was a guess (the text is not UTF-8 and none was named).
  [[nodiscard]] const std::optional<Error>& note() const noexcept { return note_; }

 private:
  std::string_view original_;
  std::optional<std::string> converted_;
  std::string encoding_;
  std::optional<Error> note_;
};

}  // namespace outreach::detail
