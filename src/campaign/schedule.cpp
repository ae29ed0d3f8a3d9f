#include "outreach/schedule.hpp"

#include <algorithm>
#include <string>

namespace outreach {

namespace {

using std::chrono::floor;
using std::chrono::local_days;
using std::chrono::milliseconds;
using std::chrono::year_month_day;
using whole_days = std::chrono::days;  // `days` alone names Schedule::days inside members

constexpr whole_days one_day{1};

// Walks through time step from one period of constant offset to the next. Real zones have a
// few transitions a year at most, so only a broken database comes near this bound; it keeps
// every walk finite all the same.
constexpr int max_periods = 1000;

// Instants from year 1 to 9999. Outside them nothing is open: the checks keep the arithmetic
// on wall-clock times from overflowing for extreme values such as Instant::max().
constexpr Instant earliest_supported{std::chrono::sys_days{std::chrono::year{1} / 1 / 1}};
constexpr Instant latest_supported{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31}};
constexpr local_days latest_supported_day{std::chrono::year{9999} / 12 / 31};

bool supported(Instant instant) { return earliest_supported <= instant && instant <= latest_supported; }

LocalTime local_in(Instant instant, const OffsetPeriod& period) {
  return LocalTime{instant.time_since_epoch() + period.offset};
}

// The instant at which the wall clock shows `local` under the period's offset (it may lie
// outside the period; callers check).
Instant instant_in(LocalTime local, const OffsetPeriod& period) {
  return Instant{local.time_since_epoch() - period.offset};
}

std::optional<int> two_digits(std::string_view text, std::size_t pos) {
  const char high = text[pos];
  const char low = text[pos + 1];
  if (high < '0' || high > '9' || low < '0' || low > '9') return std::nullopt;
  return (high - '0') * 10 + (low - '0');
}

bool can_ever_open(const Schedule& schedule) {
  return std::any_of(schedule.days.begin(), schedule.days.end(), [](bool on) { return on; }) &&
         std::any_of(schedule.hours.begin(), schedule.hours.end(),
                     [](const HourWindow& window) { return window.start < window.end; });
}

bool is_skipped(const Schedule& schedule, local_days day) {
  return std::binary_search(schedule.skip_dates.begin(), schedule.skip_dates.end(), year_month_day{day});
}

bool is_sending_date(const Schedule& schedule, local_days day) {
  return schedule.days[std::chrono::weekday{day}.c_encoding()] && !is_skipped(schedule, day);
}

// The window that contains a time of day (if windows overlapped, the one ending last), or null.
const HourWindow* window_at(const Schedule& schedule, milliseconds time_of_day) {
  const HourWindow* found = nullptr;
  for (const HourWindow& window : schedule.hours) {
    if (window.start <= time_of_day && time_of_day < window.end && (!found || window.end > found->end)) {
      found = &window;
    }
  }
  return found;
}

// The calendar rules alone (days, skipped dates, hours), for a wall-clock time.
bool is_open_local(const Schedule& schedule, LocalTime local) {
  const local_days day = floor<whole_days>(local);
  return window_at(schedule, local - day) != nullptr && is_sending_date(schedule, day);
}

// Answers "is this a sending date?" for dates asked in increasing order, moving through the
// sorted skipped dates once instead of searching them again for every date.
class SendingDates {
 public:
  SendingDates(const Schedule& schedule, local_days first)
      : schedule_(schedule),
        next_skip_(std::lower_bound(
            schedule.skip_dates.begin(), schedule.skip_dates.end(), first,
            [](const year_month_day& skip, local_days day) { return local_days{skip} < day; })) {}

  // `day` is never earlier than the date asked before.
  bool allows(local_days day) {
    if (!schedule_.days[std::chrono::weekday{day}.c_encoding()]) return false;
    const auto skips_end = schedule_.skip_dates.end();
    while (next_skip_ != skips_end && local_days{*next_skip_} < day) ++next_skip_;
    return next_skip_ == skips_end || local_days{*next_skip_} != day;
  }

 private:
  const Schedule& schedule_;
  std::vector<year_month_day>::const_iterator next_skip_;
};

// The last local date worth searching from `from_day`. Past the last skipped date, every run of
// seven days has a sending day, so a schedule that can open at all opens within eight days of
// the later of the two. No instant before `end` has a wall-clock time more than a day after
// it (UTC offsets stay well within a day).
local_days last_search_day(const Schedule& schedule, local_days from_day) {
  local_days last = from_day + whole_days{8};
  if (!schedule.skip_dates.empty()) {
    last = std::max(last, local_days{schedule.skip_dates.back()} + whole_days{8});
  }
  if (schedule.end) {
    last = std::min(last, floor<whole_days>(LocalTime{schedule.end->time_since_epoch()} + one_day));
  }
  return last;
}

// The first wall-clock time at or after `from`, on a date no later than `last_day`, that the
// calendar rules allow; nothing when there is none.
std::optional<LocalTime> first_open_local(const Schedule& schedule, LocalTime from, local_days last_day) {
  local_days day = floor<whole_days>(from);
  milliseconds earliest = from - day;
  SendingDates dates(schedule, day);
  for (; day <= last_day; day += one_day, earliest = milliseconds{0}) {
    std::optional<milliseconds> opens;
    for (const HourWindow& window : schedule.hours) {
      if (window.end <= earliest || window.start >= window.end) continue;
      const milliseconds candidate = std::max<milliseconds>(window.start, earliest);
      if (!opens || candidate < *opens) opens = candidate;
    }
    if (opens && dates.allows(day)) return LocalTime{day} + *opens;
  }
  return std::nullopt;
}

}  // namespace

expected<HourWindow> HourWindow::parse(std::string_view text) {
  constexpr const char* form = "expected a window HH:MM-HH:MM, such as 09:00-17:00";
  if (text.size() != 11 || text[2] != ':' || text[5] != '-' || text[8] != ':') {
    return fail(Errc::invalid_value, form);
  }
  const auto start_hour = two_digits(text, 0);
  const auto start_minute = two_digits(text, 3);
  const auto end_hour = two_digits(text, 6);
  const auto end_minute = two_digits(text, 9);
  if (!start_hour || !start_minute || !end_hour || !end_minute) return fail(Errc::invalid_value, form);
  if (*start_hour > 23 || *start_minute > 59) {
    return fail(Errc::invalid_value, "a window starts at 00:00 to 23:59");
  }
  if (*end_hour > 24 || *end_minute > 59 || (*end_hour == 24 && *end_minute != 0)) {
    return fail(Errc::invalid_value, "a window ends at 00:01 to 24:00");
  }
  HourWindow window;
  window.start = std::chrono::hours{*start_hour} + std::chrono::minutes{*start_minute};
  window.end = std::chrono::hours{*end_hour} + std::chrono::minutes{*end_minute};
  if (window.end == window.start) return fail(Errc::invalid_value, "a window must end after it starts");
  if (window.end < window.start) {
    return fail(Errc::invalid_value,
                "a window cannot cross midnight: write it as two windows, such as 22:00-24:00 and 00:00-02:00");
  }
  return window;
}

TimeZone Schedule::sending_zone(const std::optional<TimeZone>& lead_zone) const {
  return (lead_timezone && lead_zone) ? *lead_zone : timezone;
}

bool Schedule::is_open(Instant instant, const TimeZone& zone) const {
  if ((start && instant < *start) || (end && instant >= *end) || !supported(instant)) return false;
  return is_open_local(*this, zone.to_local(instant));
}

// Within one period of constant offset, wall-clock time runs with the instant, so the first
// open instant of the period follows from the first open wall-clock time. Across a transition
// the walk starts again from the wall-clock time the new period begins with: a window opening
// in a gap opens when the gap ends, and after clocks go back the repeated hour is open again.
std::optional<Instant> Schedule::next_open(Instant instant, const TimeZone& zone) const {
  if (!can_ever_open(*this)) return std::nullopt;
  Instant moment = std::max(start ? std::max(instant, *start) : instant, earliest_supported);
  // The last search: no wall-clock time in [searched_from, *found) is open.
  LocalTime searched_from{};
  std::optional<LocalTime> found;
  for (int step = 0; step < max_periods; ++step) {
    if ((end && moment >= *end) || !supported(moment)) return std::nullopt;
    const OffsetPeriod period = zone.period_at(moment);
    const LocalTime local = local_in(moment, period);
    if (!found || local < searched_from || local > *found) {
      found = first_open_local(*this, local, last_search_day(*this, floor<whole_days>(local)));
      searched_from = local;
    }
    if (found) {
      const Instant opens = instant_in(*found, period);  // not before `moment`: *found >= local
      if (opens < period.end) {
        if (end && opens >= *end) return std::nullopt;
        return opens;
      }
    }
    // Nothing in this period. Only a search cut short by `end` finds nothing at all; a later
    // period can still repeat an earlier wall-clock time before `end`.
    moment = period.end;
  }
  return std::nullopt;
}

Instant Schedule::open_until(Instant instant, const TimeZone& zone) const {
  if ((start && instant < *start) || (end && instant >= *end) || !supported(instant)) return instant;
  OffsetPeriod period = zone.period_at(instant);
  const LocalTime local = local_in(instant, period);
  const local_days day = floor<whole_days>(local);
  const HourWindow* window = window_at(*this, local - day);
  if (window == nullptr || !is_sending_date(*this, day)) return instant;
  const LocalTime opened = LocalTime{day} + window->start;
  const LocalTime closes = LocalTime{day} + window->end;
  Instant until = instant;
  for (int step = 0; step < max_periods; ++step) {
    const Instant leaves = instant_in(closes, period);
    if (leaves < period.end) {
      until = leaves;
      break;
    }
    // A transition comes first: the window goes on if the clock still shows a time inside it.
    until = period.end;
    period = zone.period_at(until);
    const LocalTime after = local_in(until, period);
    if (after < opened || after >= closes) break;
  }
  return end ? std::min(until, *end) : until;
}

Instant Schedule::add_business_days(Instant from, int count, const TimeZone& zone) const {
  if (count <= 0) return from;
  if (std::none_of(days.begin(), days.end(), [](bool on) { return on; }) || !supported(from)) {
    return Instant::max();
  }
  OffsetPeriod period = zone.period_at(from);
  const LocalTime local = local_in(from, period);
  local_days day = floor<whole_days>(local);
  const milliseconds time_of_day = local - day;
  SendingDates dates(*this, day + one_day);
  local_days missing_through = day;  // dates up to here are never counted (again)
  int left = count;
  for (int step = 0; step < max_periods; ++step) {
    while (left > 0) {
      day += one_day;
      if (day > latest_supported_day) return Instant::max();
      if (day > missing_through && dates.allows(day)) --left;
    }
    const LocalTime due = LocalTime{day} + time_of_day;
    // A date that a jump of the clock skipped entirely (Pacific/Apia's 2011-12-30) never
    // happened in the zone, so it is no business day: look at the transitions before `due`.
    while (instant_in(due, period) >= period.end) {
      const OffsetPeriod next = zone.period_at(period.end);
      const LocalTime gap_begins = local_in(period.end, period);
      const LocalTime gap_ends = local_in(period.end, next);
      for (local_days missing = std::chrono::ceil<whole_days>(gap_begins); LocalTime{missing + one_day} <= gap_ends;
           missing += one_day) {
        if (missing <= day && missing > missing_through && is_sending_date(*this, missing)) ++left;
        missing_through = std::max(missing_through, missing);
      }
      period = next;
    }
    if (left == 0) return zone.to_instant(due);
  }
  return zone.to_instant(LocalTime{day} + time_of_day);
}

std::chrono::sys_days Schedule::local_day(Instant instant, const TimeZone& zone) {
  if (!supported(instant)) return floor<whole_days>(instant);
  return std::chrono::sys_days{floor<whole_days>(zone.to_local(instant)).time_since_epoch()};
}

Instant Schedule::next_local_midnight(Instant instant, const TimeZone& zone) {
  if (instant < earliest_supported) return earliest_supported;
  if (instant > latest_supported) return Instant::max();
  OffsetPeriod period = zone.period_at(instant);
  const LocalTime midnight{floor<whole_days>(local_in(instant, period)) + one_day};
  Instant moment = instant;
  for (int step = 0; step < max_periods; ++step) {
    if (local_in(moment, period) >= midnight) return moment;  // a gap skipped midnight
    const Instant reaches = instant_in(midnight, period);
    if (reaches < period.end) return reaches;
    moment = period.end;
    period = zone.period_at(moment);
  }
  return moment;
}

}  // namespace outreach
