// A campaign's `schedule` object in JSON (docs/formats.md, the campaign's `schedule`): reading
// it as part of a larger document, so that every error carries its full JSON path, and writing it.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/calendar_date.hpp"
#include "util/json_reader.hpp"
#include "outreach/schedule.hpp"

namespace outreach::detail {

/// The most windows `hours` may list.
inline constexpr std::size_t max_hour_windows = 96;
/// The most dates `skip_dates` may list (ten years of days).
inline constexpr std::size_t max_skip_dates = 3660;

/// Reads the `schedule` object found at `path` (such as `schedule`):
/// - `timezone`: required, an IANA name (an unknown one is an error at `<path>.timezone`);
/// - `lead_timezone`: a boolean, default false;
/// - `days`: one or more of `"mon"` ... `"sun"`, none twice; default every day;
/// - `hours`: one or more `HH:MM-HH:MM` windows (see `HourWindow::parse`), kept sorted;
///   windows that overlap are an error; default all day;
/// - `start`: a date (midnight in `timezone`, or the first time after it that exists) or an
///   RFC 3339 instant;
/// - `end`: an instant, a date (the end of that day in `timezone`: the first instant of the
///   next day), or null; it must come after `start`;
/// - `skip_dates`: dates, kept sorted and without repeats.
/// Unknown keys are errors.
/// @param value The JSON value of the schedule.
/// @param path Its JSON path, prefixed to the path of every error.
/// @param errors Where every problem goes, each with its JSON path.
/// @return The schedule; only meaningful when no error was added.
[[nodiscard]] Schedule schedule_from_json(const boost::json::value& value, const std::string& path,
                                          ErrorList& errors);

/// Writes a schedule in the form `schedule_from_json` reads, every setting explicit: the
/// zone's name, `lead_timezone`, the sending days from Monday on, the windows, `start` and
/// `end` as instants (null when open) and the skipped dates. Reading it back gives an equal
/// schedule when the schedule keeps the invariants the reader establishes (at least one day
/// and one window; windows sorted and apart; dates sorted, without repeats, in years 0 to
/// 9999). One made in code that does not is written as it stands: the reader then refuses it
/// or puts it in order.
[[nodiscard]] boost::json::object schedule_to_json(const Schedule& schedule);

}  // namespace outreach::detail
