// What the classifier reads of a received message, read once: the subject and the readable text
// folded for phrase matching (see classify_text.hpp), the new text of a reply, the sender, the
// day the message was written, and the head of the message a report encloses.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "inbound/classify_text.hpp"
#include "outreach/classify.hpp"
#include "outreach/mime.hpp"

namespace outreach::detail {

/// The head of the message a report is about: the header of the message it encloses
/// (`message/rfc822`, `message/global`) or attaches alone (`text/rfc822-headers` and its
/// variants), the first such part depth first.
struct EnclosedHead {
  std::vector<HeaderField> fields;  ///< The header fields.
  std::string media_type;           ///< The type of the part they came from (for the evidence).
};

/// A received message as the classifier's rules read it. It refers to the message it reads, and
/// is neither copied nor moved (its parts refer to each other).
struct Inbound {
  /// Reads `message`; `context.received` is the day of writing when the `Date` field has none.
  Inbound(const MimePart& message, const ClassifyContext& context);
  Inbound(const Inbound&) = delete;
  Inbound& operator=(const Inbound&) = delete;

  const MimePart& message;   ///< The message.
  std::string subject;       ///< `Subject`, folded, at most `classify_subject_bytes`.
  std::string text;          ///< `readable_text`, at most `classify_text_bytes`, as written.
  FoldedText folded;         ///< `text` folded.
  std::string from;          ///< The address of `From`, else of `Sender`, as written; empty when none.
  std::string from_field;    ///< The whole `From` field (display name and address), folded.
  bool answers = false;      ///< It has `In-Reply-To` or `References`.
  std::optional<std::chrono::sys_days> sent;  ///< The day of its `Date`, else of its arrival.
  std::optional<EnclosedHead> head;  ///< The head of the message it encloses (`enclosed_head`), read once.

  /// The folded readable text.
  [[nodiscard]] std::string_view body() const noexcept { return folded.text; }
  /// The folded new text: the body above the quoted history (see `new_text_of`).
  [[nodiscard]] std::string_view new_text() const noexcept { return body().substr(0, new_text_size_); }
  /// The text as written that `body()[begin, end)` came from.
  [[nodiscard]] std::string_view original(std::size_t begin, std::size_t end) const noexcept {
    return folded.original(text, begin, end);
  }

 private:
  std::size_t new_text_size_ = 0;
};

/// The evidence line for a clue in the subject: `subject "..."`, quoted as written.
[[nodiscard]] std::string subject_evidence(const Inbound& in);

/// The evidence line for a clue at `position` of the folded body: `text "..."`, the rest of its
/// line quoted as written.
[[nodiscard]] std::string text_evidence(const Inbound& in, std::size_t position);

/// The value of the field `name` of `part`, folded (see `fold_text`); empty when absent.
[[nodiscard]] std::string folded_header(const MimePart& part, std::string_view name);

/// The first word of a folded field value: what comes before `;`, `(` or white space
/// (`auto-replied` of `Auto-Replied; owner-email="a@b"`).
[[nodiscard]] std::string_view first_word(std::string_view folded_value) noexcept;

/// The first part of `message` (itself included, depth first, not inside enclosed messages) of
/// media type `type`, or null.
[[nodiscard]] const MimePart* find_part(const MimePart& message, std::string_view type) noexcept;

/// The head of the message `message` encloses, if any.
[[nodiscard]] std::optional<EnclosedHead> enclosed_head(const MimePart& message);

/// Sets `result.original_message_id` from, in this order: the enclosed head's `Message-ID`; an
/// `X-Original-Message-ID` or `Original-Message-ID` field of `report_fields` (a report's own
/// per-message fields) or of the message; a `Message-ID:` line the text quotes. Adds the
/// evidence. Leaves it unchanged when none has one.
void find_original_message_id(const Inbound& in, const std::optional<EnclosedHead>& head, Classification& result,
                              const std::vector<HeaderField>& report_fields = {});

}  // namespace outreach::detail
