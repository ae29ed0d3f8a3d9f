// Dates in mail: the day a `Date` field names, and the day an out-of-office text says its writer
// is back, in the languages of the classifier's phrase tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace outreach::detail {

/// How to read a numeric date whose first two numbers could each be the month (`12/5`).
enum class DayOrder : std::uint8_t {
  month_first,  ///< `12/5` is December 5 (United States English).
  day_first,    ///< `12/5` is May 12 (most other languages, British English).
};

/// The calendar day of a `Date` field (RFC 5322: `[day-name ","] day month year time zone`), as
/// the sender's clock wrote it.
/// @param value The field's value.
/// @return The day, or nothing when the value does not name one.
[[nodiscard]] std::optional<std::chrono::sys_days> day_of_date_field(std::string_view value);

/// The date an out-of-office text says its writer is back.
///
/// It reads the dates the text states: ISO `2026-12-05`, numeric `5.12.`, `12/5`, `05/12/2026`
/// (the first number is the month or the day as `order` says, unless only one reading is a
/// valid date or only one falls in the accepted range), month names in English, German, French,
/// Spanish, Italian, Dutch, Portuguese, Swedish, Danish and Polish (`December 5th`, `5. Dezember`,
/// `5 de diciembre`, `lunedì 5 dicembre`), Japanese `12月5日`, and a weekday or "tomorrow"
/// after a word such as "back" (`back on Monday`: the next such day after `sent`). A date
/// without a year is the next one on or after `sent`, except that one up to 60 days before `sent`
/// is a notice left on too long (not a return next year) and is dropped. Only dates after `sent` and at most a
/// year later count (without `sent`, only dates with a year). Of those, a date right after a
/// return word ("back", "return", "zurück", "wieder", "retour", "de vuelta", "rientro", ...)
/// wins, then one after an "until" word ("until", "bis", "jusqu'au", "hasta", "fino al", ...),
/// the first such in the text; a date with neither is taken only when no date has one, the
/// latest (the end of "away from 1.12. to 5.12."). "Until December 5" gives December 5: the
/// date as stated, not the day after.
/// @param text A folded text (see `fold_text`): the subject and the new text of the message.
/// @param sent The day the message was written.
/// @param order How to read ambiguous numeric dates.
[[nodiscard]] std::optional<std::chrono::year_month_day> find_return_date(std::string_view text,
                                                                         std::optional<std::chrono::sys_days> sent,
                                                                         DayOrder order);

}  // namespace outreach::detail
