/// @file schedule.hpp
/// @brief `Schedule`: when a campaign may send — zone, sending days and hours, start and end,
/// skipped dates, lead-local sending (docs/formats.md, "schedule").
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"
#include "outreach/timezone.hpp"

namespace outreach {

/// @brief One sending window of a day in local time: from `start` (included) to `end`
/// (excluded), as minutes since local midnight; `end` may be 24:00.
struct HourWindow {
  std::chrono::minutes start{0};     ///< Start, 0 to 1439 minutes after midnight.
  std::chrono::minutes end{24 * 60}; ///< End, after start, at most 1440 (24:00).

  /// @brief Parses `HH:MM-HH:MM` (start before end; `24:00` may end a window).
  /// @param text The window, such as `09:00-12:00`.
  /// @return The window, or `invalid_value` saying what is wrong (a window across midnight is
  /// refused: write it as two windows).
  [[nodiscard]] static expected<HourWindow> parse(std::string_view text);

  /// @brief Windows compare equal when start and end are equal.
  friend bool operator==(const HourWindow&, const HourWindow&) = default;
};

/// @brief When sending is allowed. Every question is asked for a zone: the lead's sending zone
/// (see `sending_zone`).
///
/// Days, hours and skipped dates are read on the wall clock of that zone, with every transition
/// of the system's tz database: a window opening at a time that does not exist (clocks went
/// forward) opens when the gap ends; a window lying entirely in a gap does not happen that day;
/// a wall-clock time that happens twice (clocks went back) is open both times if it is inside a
/// window; a date the zone skipped entirely (Pacific/Apia's 2011-12-30) is never open.
///
/// A plain value; its functions are pure (no clock, no I/O), thread-safe, and neither allocate
/// nor throw. They rely on the invariants the loader establishes: `hours` sorted and not
/// overlapping, each window with `start < end <= 24:00`, and `skip_dates` sorted. Instants
/// outside the years 1 to 9999 are never open.
class Schedule {
 public:
  TimeZone timezone;                  ///< The campaign's zone (days for limits, dates of `start`).
  bool lead_timezone = false;         ///< Apply days, hours and skipped dates in each lead's zone.
  std::array<bool, 7> days{true, true, true, true, true, true, true};  ///< Sending days, index 0 = Sunday.
  std::vector<HourWindow> hours{HourWindow{}};  ///< Sorted, non-overlapping windows (default: all day).
  std::optional<Instant> start;       ///< No sending before this instant.
  std::optional<Instant> end;         ///< No sending at or after this instant.
  std::vector<std::chrono::year_month_day> skip_dates;  ///< Local dates with no sending, sorted.

  /// @brief The zone a lead's schedule is applied in: the lead's zone when `lead_timezone` is on
  /// and the lead has one, otherwise `timezone`.
  /// @param lead_zone The lead's zone, if it has a valid one.
  /// @return The sending zone.
  [[nodiscard]] TimeZone sending_zone(const std::optional<TimeZone>& lead_zone) const;

  /// @brief Whether sending is allowed at `instant` in `zone`: `start <= instant < end`, on a
  /// sending day that is not skipped, inside an hour window (start included, end excluded), all
  /// in local time of `zone`.
  /// @param instant The moment asked about.
  /// @param zone The sending zone.
  /// @return True when sending is allowed.
  [[nodiscard]] bool is_open(Instant instant, const TimeZone& zone) const;

  /// @brief The first instant at or after `instant` at which sending is allowed in `zone`
  /// (`instant` itself when it is open). Never earlier than `instant`, also when clocks go back.
  /// @param instant The earliest moment wanted.
  /// @param zone The sending zone.
  /// @return The instant, or nothing when there is none before `end` (or the schedule has no
  /// sending day or no window at all). The search is bounded: it looks at most about a week
  /// past the later of `instant` and the last skipped date.
  [[nodiscard]] std::optional<Instant> next_open(Instant instant, const TimeZone& zone) const;

  /// @brief How long sending stays allowed from an open `instant`: the first instant after it at
  /// which the wall clock leaves the window that contains it (at its end, or when a DST change
  /// moves the clock out of it), or `end` if earlier. Every instant of [`instant`, result) is
  /// open. Each window counts on its own: the result can itself be open when another window
  /// starts right there (such as `00:00` after a window ending at `24:00`, or the hour repeated
  /// when clocks go back), so ask `next_open` again.
  /// @param instant A moment inside an open window.
  /// @param zone The sending zone.
  /// @return The end of the open stretch, or `instant` itself when sending is not allowed then.
  [[nodiscard]] Instant open_until(Instant instant, const TimeZone& zone) const;

  /// @brief A business-day delay: the same local time on the `count`-th following sending day
  /// (a day of `days`) that is not a skipped date, in `zone`; a date the zone skipped entirely
  /// does not count. A local time that does not exist that day (a DST gap) moves forward to the
  /// first one that does; one that happens twice gives the earlier. `start`, `end` and the
  /// hours are not applied: ask `next_open` for the result.
  /// @param from The previous send.
  /// @param count Business days, at least 1.
  /// @param zone The sending zone.
  /// @return The due instant; `from` when `count < 1`; `Instant::max()` when the schedule has
  /// no sending day.
  [[nodiscard]] Instant add_business_days(Instant from, int count, const TimeZone& zone) const;

  /// @brief The local calendar day of an instant in a zone, as days since 1970-01-01 (for
  /// counting sends per day).
  /// @param instant A point in time.
  /// @param zone The zone whose calendar counts.
  /// @return The local date, as a `sys_days` value holding that date.
  [[nodiscard]] static std::chrono::sys_days local_day(Instant instant, const TimeZone& zone);

  /// @brief The instant the next local day begins in `zone` (the first instant of the day after
  /// `instant`'s local day; midnight, or the first existing time after it).
  /// @param instant A point in time.
  /// @param zone The zone whose calendar counts.
  /// @return The first instant after `instant` whose wall-clock time is at or after the next
  /// midnight.
  [[nodiscard]] static Instant next_local_midnight(Instant instant, const TimeZone& zone);

  /// @brief Schedules compare equal when every setting is equal (zones by identity, windows
  /// and skipped dates in order).
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

}  // namespace outreach
