// Calendar dates as text: `YYYY-MM-DD`, the form of every date in the file formats (schedule
// dates, auto-reply return dates, summary days).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::detail {

/// Reads `YYYY-MM-DD` (exactly that: ten characters, a valid date).
/// @param text The date, such as `2026-12-24`.
/// @return The date, or nothing when the text is not one.
[[nodiscard]] std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

/// Formats a calendar date as `YYYY-MM-DD` (the form `parse_date` reads; years 0 to 9999).
[[nodiscard]] std::string format_date(std::chrono::year_month_day date);

}  // namespace outreach::detail
