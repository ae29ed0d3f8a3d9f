#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_reader.hpp"
#include "campaign/schedule_json.hpp"
#include "outreach/instant.hpp"
#include "outreach/schedule.hpp"
#include "outreach/timezone.hpp"
#include "support/time.hpp"

using outreach::Errc;
using outreach::HourWindow;
using outreach::Instant;
using outreach::LocalTime;
using outreach::Schedule;
using outreach::TimeZone;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

namespace {

using outreach::testing::utc;
using outreach::testing::zone;

std::chrono::sys_days local_date(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

// The errors that loading a schedule at `schedule` reports, as "path: message" lines.
std::vector<std::string> load_errors(std::string_view text) {
  auto value = outreach::detail::parse_json(text);
  REQUIRE(value);
  outreach::detail::ErrorList errors;
  static_cast<void>(outreach::detail::schedule_from_json(*value, "schedule", errors));
  std::vector<std::string> lines;
  if (errors.empty()) return lines;
  const outreach::Error combined = errors.combined();
  lines.push_back(combined.to_string());
  for (const auto& other : combined.others()) lines.push_back(other.to_string());
  return lines;
}

Schedule load(std::string_view text) {
  auto value = outreach::detail::parse_json(text);
  REQUIRE(value);
  outreach::detail::ErrorList errors;
  Schedule schedule = outreach::detail::schedule_from_json(*value, "schedule", errors);
  if (!errors.empty()) FAIL(errors.combined().to_string());
  return schedule;
}

// One error mentions both the path (exactly, followed by ": ") and the words.
bool has_error(const std::vector<std::string>& lines, std::string_view path, std::string_view words) {
  const std::string prefix = std::string(path) + ": ";
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return line.rfind(prefix, 0) == 0 && line.find(words) != std::string::npos;
  });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// A schedule in `zone_name` with the given windows, every day.
Schedule every_day(const char* zone_name, std::initializer_list<const char*> windows) {
  Schedule schedule;
  schedule.timezone = zone(zone_name);
  schedule.hours.clear();
  for (const char* text : windows) {
    auto window = HourWindow::parse(text);
    REQUIRE_MESSAGE(window, text);
    schedule.hours.push_back(*window);
  }
  return schedule;
}

const char* const format_example = R"({
  "timezone": "America/New_York",
  "lead_timezone": true,
  "days": ["mon", "tue", "wed", "thu", "fri"],
  "hours": ["09:00-12:00", "13:30-17:00"],
  "start": "2026-12-01",
  "end": null,
  "skip_dates": ["2026-12-24", "2026-12-25", "2027-01-01"]
})";

}  // namespace

// ---- hour windows --------------------------------------------------------------------------

TEST_CASE("an hour window is read from HH:MM-HH:MM, start included and end excluded") {
  const auto window = HourWindow::parse("09:00-12:30");
  REQUIRE(window);
  CHECK(window->start == hours{9});
  CHECK(window->end == hours{12} + minutes{30});
}

TEST_CASE("24:00 may end a window") {
  const auto late = HourWindow::parse("22:00-24:00");
  REQUIRE(late);
  CHECK(late->end == hours{24});
  const auto all_day = HourWindow::parse("00:00-24:00");
  REQUIRE(all_day);
  CHECK(*all_day == HourWindow{});
}

TEST_CASE("a window across midnight is refused: it is written as two windows") {
  const auto window = HourWindow::parse("22:00-02:00");
  REQUIRE_FALSE(window);
  CHECK(window.error().code() == Errc::invalid_value);
  CHECK(window.error().message().find("two windows") != std::string::npos);
}

TEST_CASE("malformed hour windows are refused") {
  for (const char* text : {"", "9:00-12:00", "09:00-12:0", "09:00 - 12:00", "09:00-12:00 ", "09.00-12.00",
                           "ab:cd-ef:gh", "24:00-24:00", "09:60-10:00", "09:00-24:01", "09:00-25:00",
                           "12:00-12:00", "-1:00-12:00", "09:00\xe2\x80\x93" "12:00"}) {
    const auto window = HourWindow::parse(text);
    CHECK_MESSAGE(!window, text);
    if (!window) CHECK(window.error().code() == Errc::invalid_value);
  }
}

// ---- days, hours, skipped dates, start and end ---------------------------------------------

TEST_CASE("a window is open from its start, included, to its end, excluded") {
  const Schedule schedule = load(format_example);
  const TimeZone ny = schedule.timezone;
  // Monday 2026-12-07, EST (UTC-5): 09:00 is 14:00Z.
  CHECK_FALSE(schedule.is_open(utc("2026-12-07T13:59:59.999Z"), ny));
  CHECK(schedule.is_open(utc("2026-12-07T14:00:00Z"), ny));
  CHECK(schedule.is_open(utc("2026-12-07T16:59:59.999Z"), ny));
  CHECK_FALSE(schedule.is_open(utc("2026-12-07T17:00:00Z"), ny));
  CHECK_FALSE(schedule.is_open(utc("2026-12-07T18:29:59.999Z"), ny));
  CHECK(schedule.is_open(utc("2026-12-07T18:30:00Z"), ny));
  CHECK_FALSE(schedule.is_open(utc("2026-12-07T22:00:00Z"), ny));

  CHECK(schedule.next_open(utc("2026-12-07T14:00:00Z"), ny) == utc("2026-12-07T14:00:00Z"));
  CHECK(schedule.next_open(utc("2026-12-07T17:00:00Z"), ny) == utc("2026-12-07T18:30:00Z"));
  CHECK(schedule.next_open(utc("2026-12-07T22:00:00Z"), ny) == utc("2026-12-08T14:00:00Z"));

  CHECK(schedule.open_until(utc("2026-12-07T14:00:00Z"), ny) == utc("2026-12-07T17:00:00Z"));
  CHECK(schedule.open_until(utc("2026-12-07T20:00:00Z"), ny) == utc("2026-12-07T22:00:00Z"));
  CHECK(schedule.open_until(utc("2026-12-07T17:30:00Z"), ny) == utc("2026-12-07T17:30:00Z"));  // closed
}

TEST_CASE("a window ending at 24:00 is open until midnight") {
  Schedule schedule = every_day("UTC", {"20:00-24:00"});
  schedule.days = {false, true, false, false, false, false, false};  // Mondays
  const TimeZone z = schedule.timezone;
  CHECK(schedule.is_open(utc("2026-12-07T23:59:59.999Z"), z));
  CHECK_FALSE(schedule.is_open(utc("2026-12-08T00:00:00Z"), z));
  CHECK(schedule.open_until(utc("2026-12-07T20:00:00Z"), z) == utc("2026-12-08T00:00:00Z"));
  CHECK(schedule.next_open(utc("2026-12-08T00:00:00Z"), z) == utc("2026-12-14T20:00:00Z"));
}

TEST_CASE("a window written as two around midnight reopens at midnight") {
  const Schedule schedule = every_day("UTC", {"00:00-02:00", "22:00-24:00"});
  const TimeZone z = schedule.timezone;
  // open_until ends at the end of the window; the next window opens at that same instant.
  CHECK(schedule.open_until(utc("2026-12-07T23:00:00Z"), z) == utc("2026-12-08T00:00:00Z"));
  CHECK(schedule.is_open(utc("2026-12-08T00:00:00Z"), z));
  CHECK(schedule.next_open(utc("2026-12-08T00:00:00Z"), z) == utc("2026-12-08T00:00:00Z"));
  CHECK(schedule.open_until(utc("2026-12-08T00:00:00Z"), z) == utc("2026-12-08T02:00:00Z"));
}

TEST_CASE("only the sending days listed are open") {
  const Schedule schedule = load(R"({"timezone": "America/New_York", "days": ["wed"], "hours": ["09:00-17:00"]})");
  const TimeZone ny = schedule.timezone;
  CHECK_FALSE(schedule.is_open(utc("2026-12-01T17:00:00Z"), ny));  // Tuesday noon
  CHECK(schedule.is_open(utc("2026-12-02T17:00:00Z"), ny));        // Wednesday noon
  CHECK(schedule.next_open(utc("2026-12-03T17:00:00Z"), ny) == utc("2026-12-09T14:00:00Z"));
}

TEST_CASE("a skipped date is closed all day, and next_open goes past it") {
  const Schedule schedule = load(format_example);
  const TimeZone ny = schedule.timezone;
  CHECK(schedule.is_open(utc("2026-12-23T15:00:00Z"), ny));        // Wednesday
  CHECK_FALSE(schedule.is_open(utc("2026-12-24T15:00:00Z"), ny));  // Thursday, skipped
  CHECK_FALSE(schedule.is_open(utc("2026-12-25T15:00:00Z"), ny));  // Friday, skipped
  CHECK(schedule.next_open(utc("2026-12-23T22:00:00Z"), ny) == utc("2026-12-28T14:00:00Z"));
  CHECK(schedule.next_open(utc("2026-12-31T22:00:00Z"), ny) == utc("2027-01-04T14:00:00Z"));
}

TEST_CASE("skipped dates are dates of the sending zone's calendar") {
  Schedule schedule = every_day("America/New_York", {"00:00-24:00"});
  schedule.skip_dates = {std::chrono::year{2026} / 12 / 25};
  // 2026-12-24T16:00Z is 11:00 on the 24th in New York but 01:00 on the 25th in Tokyo.
  const Instant t = utc("2026-12-24T16:00:00Z");
  CHECK(schedule.is_open(t, zone("America/New_York")));
  CHECK_FALSE(schedule.is_open(t, zone("Asia/Tokyo")));
  CHECK(schedule.next_open(t, zone("Asia/Tokyo")) == utc("2026-12-25T15:00:00Z"));
}

TEST_CASE("nothing is open before start, and a start inside a window opens at that instant") {
  Schedule schedule = load(R"({"timezone": "America/New_York", "hours": ["09:00-17:00"],
                               "start": "2026-12-02T15:30:00Z"})");
  const TimeZone ny = schedule.timezone;
  CHECK_FALSE(schedule.is_open(utc("2026-12-02T15:29:59.999Z"), ny));
  CHECK(schedule.is_open(utc("2026-12-02T15:30:00Z"), ny));
  CHECK(schedule.next_open(utc("2026-11-01T00:00:00Z"), ny) == utc("2026-12-02T15:30:00Z"));
  CHECK(schedule.open_until(utc("2026-12-01T15:00:00Z"), ny) == utc("2026-12-01T15:00:00Z"));
}

TEST_CASE("a start date means midnight in the schedule's zone") {
  const Schedule schedule = load(R"({"timezone": "America/New_York", "start": "2026-12-01"})");
  REQUIRE(schedule.start);
  CHECK(*schedule.start == utc("2026-12-01T05:00:00Z"));
  CHECK_FALSE(schedule.is_open(utc("2026-12-01T04:59:59.999Z"), schedule.timezone));
  CHECK(schedule.is_open(utc("2026-12-01T05:00:00Z"), schedule.timezone));
}

TEST_CASE("nothing is open at or after end, and open_until stops at end") {
  const Schedule schedule = load(R"({"timezone": "America/New_York", "hours": ["09:00-17:00"],
                                     "end": "2026-12-31T15:00:00Z"})");
  const TimeZone ny = schedule.timezone;
  CHECK(schedule.is_open(utc("2026-12-31T14:59:59.999Z"), ny));
  CHECK_FALSE(schedule.is_open(utc("2026-12-31T15:00:00Z"), ny));
  CHECK(schedule.open_until(utc("2026-12-31T14:30:00Z"), ny) == utc("2026-12-31T15:00:00Z"));
  CHECK_FALSE(schedule.next_open(utc("2026-12-31T16:00:00Z"), ny));
  CHECK_FALSE(schedule.next_open(utc("2027-06-01T00:00:00Z"), ny));
  CHECK(schedule.next_open(utc("2026-12-31T12:00:00Z"), ny) == utc("2026-12-31T14:00:00Z"));
}

TEST_CASE("an end date means the end of that day in the schedule's zone") {
  const Schedule schedule = load(R"({"timezone": "America/New_York", "end": "2026-12-31"})");
  REQUIRE(schedule.end);
  CHECK(*schedule.end == utc("2027-01-01T05:00:00Z"));
  CHECK(schedule.is_open(utc("2027-01-01T04:59:59.999Z"), schedule.timezone));
  CHECK_FALSE(schedule.is_open(utc("2027-01-01T05:00:00Z"), schedule.timezone));
}

TEST_CASE("a schedule that can never open again gives no next_open") {
  SUBCASE("every sending day before the end is skipped") {
    Schedule schedule = load(R"({"timezone": "UTC", "days": ["mon"], "end": "2026-12-20",
                                 "skip_dates": ["2026-12-07", "2026-12-14"]})");
    CHECK_FALSE(schedule.next_open(utc("2026-12-01T00:00:00Z"), schedule.timezone));
  }
  SUBCASE("the window of the last day lies after the end") {
    Schedule schedule = load(R"({"timezone": "UTC", "hours": ["09:00-10:00"], "end": "2026-12-20T08:00:00Z"})");
    CHECK_FALSE(schedule.next_open(utc("2026-12-19T10:00:00Z"), schedule.timezone));
  }
  SUBCASE("no sending day at all") {
    Schedule schedule;
    schedule.days = {};
    CHECK_FALSE(schedule.next_open(utc("2026-12-01T00:00:00Z"), schedule.timezone));
    CHECK_FALSE(schedule.is_open(utc("2026-12-01T00:00:00Z"), schedule.timezone));
  }
  SUBCASE("no hours at all") {
    Schedule schedule;
    schedule.hours.clear();
    CHECK_FALSE(schedule.next_open(utc("2026-12-01T00:00:00Z"), schedule.timezone));
  }
}

TEST_CASE("next_open goes past a long run of skipped dates") {
  Schedule schedule = every_day("Europe/Berlin", {"09:00-17:00"});
  for (auto day = local_date(2026, 1, 1); day < local_date(2030, 1, 1); day += days{1}) {
    schedule.skip_dates.emplace_back(day);
  }
  // 2030-01-01 is a Tuesday; 09:00 CET is 08:00Z.
  CHECK(schedule.next_open(utc("2026-01-01T00:00:00Z"), schedule.timezone) == utc("2030-01-01T08:00:00Z"));
  schedule.end = utc("2029-12-31T00:00:00Z");
  CHECK_FALSE(schedule.next_open(utc("2026-01-01T00:00:00Z"), schedule.timezone));
}

TEST_CASE("extreme instants are never open and give well-defined answers") {
  const Schedule schedule = load(format_example);
  const TimeZone ny = schedule.timezone;
  for (const Instant extreme : {Instant::min(), Instant::max()}) {
    CHECK_FALSE(schedule.is_open(extreme, ny));
    CHECK(schedule.open_until(extreme, ny) == extreme);
    CHECK(schedule.add_business_days(extreme, 3, ny) == Instant::max());
    static_cast<void>(Schedule::local_day(extreme, ny));
  }
  CHECK_FALSE(schedule.next_open(Instant::max(), ny));
  CHECK(schedule.next_open(Instant::min(), ny) == utc("2026-12-01T14:00:00Z"));
  const Schedule always = load(R"({"timezone": "UTC"})");
  const Instant year_one{std::chrono::sys_days{std::chrono::year{1} / 1 / 1}};
  CHECK(always.next_open(Instant::min(), always.timezone) == year_one);
  CHECK(Schedule::next_local_midnight(Instant::min(), ny) > Instant::min());
  CHECK(Schedule::next_local_midnight(Instant::max(), ny) == Instant::max());
  CHECK(schedule.add_business_days(utc("9999-12-30T12:00:00Z"), 5, ny) == Instant::max());
  CHECK(schedule.add_business_days(utc("2026-12-01T15:00:00Z"), 5000000, ny) == Instant::max());
}

// ---- daylight saving time and other offset changes ------------------------------------------

TEST_CASE("a window opening inside the spring-forward gap opens when the gap ends") {
  // New York, 2024-03-10: 02:00 EST becomes 03:00 EDT at 07:00Z.
  const Schedule schedule = every_day("America/New_York", {"02:30-05:00"});
  const TimeZone ny = schedule.timezone;
  CHECK(schedule.next_open(utc("2024-03-10T05:00:00Z"), ny) == utc("2024-03-10T07:00:00Z"));
  CHECK_FALSE(schedule.is_open(utc("2024-03-10T06:59:59.999Z"), ny));
  CHECK(schedule.is_open(utc("2024-03-10T07:00:00Z"), ny));
  CHECK(schedule.open_until(utc("2024-03-10T07:00:00Z"), ny) == utc("2024-03-10T09:00:00Z"));
}

TEST_CASE("a window that lies entirely in the spring-forward gap does not exist that day") {
  const Schedule ny_schedule = every_day("America/New_York", {"02:00-03:00"});
  CHECK(ny_schedule.next_open(utc("2024-03-10T05:00:00Z"), ny_schedule.timezone) == utc("2024-03-11T06:00:00Z"));
  // Berlin, 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00Z.
  const Schedule berlin = every_day("Europe/Berlin", {"02:00-02:45"});
  CHECK(berlin.next_open(utc("2024-03-30T23:00:00Z"), berlin.timezone) == utc("2024-04-01T00:00:00Z"));
}

TEST_CASE("a window ending inside the spring-forward gap closes when the gap begins") {
  const Schedule schedule = every_day("America/New_York", {"01:00-02:30"});
  CHECK(schedule.open_until(utc("2024-03-10T06:30:00Z"), schedule.timezone) == utc("2024-03-10T07:00:00Z"));
  CHECK(schedule.next_open(utc("2024-03-10T07:00:00Z"), schedule.timezone) == utc("2024-03-11T05:00:00Z"));
}

TEST_CASE("a window across the spring-forward gap is an hour shorter that day") {
  const Schedule schedule = every_day("America/New_York", {"01:00-04:00"});
  CHECK(schedule.open_until(utc("2024-03-10T06:00:00Z"), schedule.timezone) == utc("2024-03-10T08:00:00Z"));
}

TEST_CASE("the hour repeated when clocks go back is inside the window both times") {
  // New York, 2024-11-03: 02:00 EDT becomes 01:00 EST at 06:00Z.
  const Schedule schedule = every_day("America/New_York", {"01:00-02:00"});
  const TimeZone ny = schedule.timezone;
  CHECK(schedule.next_open(utc("2024-11-03T04:00:00Z"), ny) == utc("2024-11-03T05:00:00Z"));
  CHECK(schedule.is_open(utc("2024-11-03T05:30:00Z"), ny));
  CHECK(schedule.is_open(utc("2024-11-03T06:30:00Z"), ny));
  CHECK_FALSE(schedule.is_open(utc("2024-11-03T07:00:00Z"), ny));
  CHECK(schedule.open_until(utc("2024-11-03T05:00:00Z"), ny) == utc("2024-11-03T07:00:00Z"));
}

TEST_CASE("after clocks go back, next_open never returns an instant before the one asked about") {
  const Schedule schedule = every_day("America/New_York", {"01:00-01:30"});
  const TimeZone ny = schedule.timezone;
  // 05:45Z is 01:45 EDT: the window's first occurrence is over; the second starts at 06:00Z.
  CHECK(schedule.next_open(utc("2024-11-03T05:45:00Z"), ny) == utc("2024-11-03T06:00:00Z"));
  CHECK(schedule.open_until(utc("2024-11-03T06:00:00Z"), ny) == utc("2024-11-03T06:30:00Z"));
  CHECK(schedule.next_open(utc("2024-11-03T06:40:00Z"), ny) == utc("2024-11-04T06:00:00Z"));
}

TEST_CASE("a window starting inside the repeated hour closes when clocks go back and opens again") {
  const Schedule schedule = every_day("America/New_York", {"01:30-03:00"});
  const TimeZone ny = schedule.timezone;
  CHECK(schedule.open_until(utc("2024-11-03T05:40:00Z"), ny) == utc("2024-11-03T06:00:00Z"));
  CHECK_FALSE(schedule.is_open(utc("2024-11-03T06:10:00Z"), ny));  // 01:10 EST
  CHECK(schedule.next_open(utc("2024-11-03T06:00:00Z"), ny) == utc("2024-11-03T06:30:00Z"));
  CHECK(schedule.open_until(utc("2024-11-03T06:30:00Z"), ny) == utc("2024-11-03T08:00:00Z"));
}

TEST_CASE("Berlin's autumn change keeps the 02:00-03:00 window open for two hours") {
  // 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00Z.
  const Schedule schedule = every_day("Europe/Berlin", {"02:00-03:00"});
  CHECK(schedule.next_open(utc("2024-10-26T22:00:00Z"), schedule.timezone) == utc("2024-10-27T00:00:00Z"));
  CHECK(schedule.open_until(utc("2024-10-27T00:00:00Z"), schedule.timezone) == utc("2024-10-27T02:00:00Z"));
}

TEST_CASE("Sydney's clocks go forward in October and back in April (southern hemisphere)") {
  const TimeZone sydney = zone("Australia/Sydney");
  // 2024-10-06: 02:00 AEST becomes 03:00 AEDT at 2024-10-05T16:00Z.
  const Schedule spring = every_day("Australia/Sydney", {"02:30-04:00"});
  CHECK(spring.next_open(utc("2024-10-05T14:00:00Z"), sydney) == utc("2024-10-05T16:00:00Z"));
  // 2024-04-07: 03:00 AEDT becomes 02:00 AEST at 2024-04-06T16:00Z.
  const Schedule autumn = every_day("Australia/Sydney", {"02:00-03:00"});
  CHECK(autumn.next_open(utc("2024-04-06T13:00:00Z"), sydney) == utc("2024-04-06T15:00:00Z"));
  CHECK(autumn.open_until(utc("2024-04-06T15:00:00Z"), sydney) == utc("2024-04-06T17:00:00Z"));
  // Summer time in January: 09:00 AEDT is 22:00Z the day before.
  const Schedule office = every_day("Australia/Sydney", {"09:00-17:00"});
  CHECK(office.next_open(utc("2025-01-05T12:00:00Z"), sydney) == utc("2025-01-05T22:00:00Z"));
  CHECK(office.next_open(utc("2025-07-05T12:00:00Z"), sydney) == utc("2025-07-05T23:00:00Z"));
}

TEST_CASE("Lord Howe's 30-minute daylight saving shift") {
  const TimeZone lord_howe = zone("Australia/Lord_Howe");
  // 2024-10-06: 02:00 (+10:30) becomes 02:30 (+11) at 2024-10-05T15:30Z.
  const Schedule in_gap = every_day("Australia/Lord_Howe", {"02:00-02:30"});
  CHECK(in_gap.next_open(utc("2024-10-05T13:30:00Z"), lord_howe) == utc("2024-10-06T15:00:00Z"));
  const Schedule across_gap = every_day("Australia/Lord_Howe", {"02:15-03:00"});
  CHECK(across_gap.next_open(utc("2024-10-05T13:30:00Z"), lord_howe) == utc("2024-10-05T15:30:00Z"));
  CHECK(across_gap.open_until(utc("2024-10-05T15:30:00Z"), lord_howe) == utc("2024-10-05T16:00:00Z"));
  // 2025-04-06: 02:00 (+11) becomes 01:30 (+10:30) at 2025-04-05T15:00Z.
  const Schedule repeated = every_day("Australia/Lord_Howe", {"01:30-02:00"});
  CHECK(repeated.next_open(utc("2025-04-05T13:00:00Z"), lord_howe) == utc("2025-04-05T14:30:00Z"));
  CHECK(repeated.is_open(utc("2025-04-05T15:10:00Z"), lord_howe));
  CHECK(repeated.open_until(utc("2025-04-05T14:30:00Z"), lord_howe) == utc("2025-04-05T15:30:00Z"));
}

TEST_CASE("zones with 30 and 45 minute offsets open at their own 09:00") {
  Schedule schedule = load(R"({"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri"],
                               "hours": ["09:00-17:00"]})");
  // Monday 2024-06-03.
  CHECK(schedule.next_open(utc("2024-06-03T00:00:00Z"), zone("Asia/Kolkata")) == utc("2024-06-03T03:30:00Z"));
  CHECK(schedule.next_open(utc("2024-06-03T00:00:00Z"), zone("Asia/Kathmandu")) == utc("2024-06-03T03:15:00Z"));
  CHECK(schedule.next_open(utc("2024-06-03T00:00:00Z"), zone("Australia/Eucla")) == utc("2024-06-03T00:15:00Z"));
  CHECK(schedule.next_open(utc("2024-06-02T20:00:00Z"), zone("Australia/Adelaide")) == utc("2024-06-02T23:30:00Z"));
  CHECK(schedule.next_open(utc("2024-06-02T12:00:00Z"), zone("Pacific/Chatham")) == utc("2024-06-02T20:15:00Z"));
  CHECK(schedule.open_until(utc("2024-06-03T03:15:00Z"), zone("Asia/Kathmandu")) == utc("2024-06-03T11:15:00Z"));
  // Adelaide, 2024-10-06: 02:00 ACST becomes 03:00 ACDT at 2024-10-05T16:30Z.
  const Schedule night = every_day("Australia/Adelaide", {"02:00-03:00"});
  CHECK(night.next_open(utc("2024-10-05T14:30:00Z"), night.timezone) == utc("2024-10-06T15:30:00Z"));
}

TEST_CASE("Pacific/Apia's missing 2011-12-30 is never open") {
  const TimeZone apia = zone("Pacific/Apia");
  const Schedule daily = every_day("Pacific/Apia", {"09:00-17:00"});
  // 2011-12-29 17:00 (-10) is 2011-12-30T03:00Z; the next day is the 31st, at +14.
  CHECK(daily.next_open(utc("2011-12-30T03:00:00Z"), apia) == utc("2011-12-30T19:00:00Z"));
  // A schedule for Fridays only: Friday 2011-12-30 did not happen, so the next is 2012-01-06.
  Schedule fridays = daily;
  fridays.days = {false, false, false, false, false, true, false};
  CHECK(fridays.next_open(utc("2011-12-29T00:00:00Z"), apia) == utc("2012-01-05T19:00:00Z"));
}

TEST_CASE("Moscow's 2011 and 2014 offset changes move its windows") {
  const Schedule schedule = every_day("Europe/Moscow", {"09:00-10:00"});
  const TimeZone moscow = schedule.timezone;
  CHECK(schedule.next_open(utc("2011-01-10T00:00:00Z"), moscow) == utc("2011-01-10T06:00:00Z"));
  CHECK(schedule.next_open(utc("2012-07-02T00:00:00Z"), moscow) == utc("2012-07-02T05:00:00Z"));
  CHECK(schedule.next_open(utc("2013-01-10T00:00:00Z"), moscow) == utc("2013-01-10T05:00:00Z"));
  CHECK(schedule.next_open(utc("2015-07-01T00:00:00Z"), moscow) == utc("2015-07-01T06:00:00Z"));
  // 2014-10-26: 02:00 (+4) became 01:00 (+3) at 2014-10-25T22:00Z.
  const Schedule night = every_day("Europe/Moscow", {"01:00-02:00"});
  CHECK(night.open_until(utc("2014-10-25T21:00:00Z"), moscow) == utc("2014-10-25T23:00:00Z"));
}

TEST_CASE("Sao Paulo's midnight changes and the end of its daylight saving time in 2019") {
  const TimeZone sao_paulo = zone("America/Sao_Paulo");
  // 2018-11-04 began at 01:00: 00:00 to 01:00 did not exist.
  const Schedule early = every_day("America/Sao_Paulo", {"00:00-00:45"});
  CHECK(early.next_open(utc("2018-11-04T02:00:00Z"), sao_paulo) == utc("2018-11-05T02:00:00Z"));
  const Schedule early_long = every_day("America/Sao_Paulo", {"00:00-01:30"});
  CHECK(early_long.next_open(utc("2018-11-04T02:00:00Z"), sao_paulo) == utc("2018-11-04T03:00:00Z"));
  // No change in November 2019: 2019-11-03 00:00 exists.
  CHECK(early.next_open(utc("2019-11-03T02:00:00Z"), sao_paulo) == utc("2019-11-03T03:00:00Z"));
  // 2019-02-17 00:00 (-2) became 2019-02-16 23:00 (-3): 23:00 to 24:00 happened twice.
  const Schedule late = every_day("America/Sao_Paulo", {"23:00-24:00"});
  CHECK(late.next_open(utc("2019-02-16T12:00:00Z"), sao_paulo) == utc("2019-02-17T01:00:00Z"));
  CHECK(late.open_until(utc("2019-02-17T01:00:00Z"), sao_paulo) == utc("2019-02-17T03:00:00Z"));
}

// ---- business days ---------------------------------------------------------------------------

TEST_CASE("business days skip the weekend and keep the local time across a DST change") {
  const Schedule schedule = load(R"({"timezone": "America/New_York", "days": ["mon", "tue", "wed", "thu", "fri"]})");
  const TimeZone ny = schedule.timezone;
  // Friday 2024-03-08 10:00 EST + 1 business day = Monday 2024-03-11 10:00 EDT.
  CHECK(schedule.add_business_days(utc("2024-03-08T15:00:00Z"), 1, ny) == utc("2024-03-11T14:00:00Z"));
  // Thursday 2024-03-07 10:00 EST + 4 = Wednesday 2024-03-13 10:00 EDT.
  CHECK(schedule.add_business_days(utc("2024-03-07T15:00:00Z"), 4, ny) == utc("2024-03-13T14:00:00Z"));
  // From a Saturday, the first business day is Monday.
  CHECK(schedule.add_business_days(utc("2024-03-09T15:00:00Z"), 1, ny) == utc("2024-03-11T14:00:00Z"));
  CHECK(schedule.add_business_days(utc("2024-03-08T15:00:00Z"), 0, ny) == utc("2024-03-08T15:00:00Z"));
}

TEST_CASE("business days skip skipped dates") {
  const Schedule schedule = load(format_example);
  // Wednesday 2026-12-23 10:00 EST + 1: the 24th and 25th are skipped, so Monday the 28th.
  CHECK(schedule.add_business_days(utc("2026-12-23T15:00:00Z"), 1, schedule.timezone) ==
        utc("2026-12-28T15:00:00Z"));
  CHECK(schedule.add_business_days(utc("2026-12-23T15:00:00Z"), 5, schedule.timezone) ==
        utc("2027-01-04T15:00:00Z"));  // 28, 29, 30, 31; 2027-01-01 skipped; 4
}

TEST_CASE("a business-day time that falls in a DST gap moves forward to the end of the gap") {
  Schedule schedule;
  schedule.timezone = zone("America/New_York");
  schedule.days = {true, false, false, false, false, false, false};  // Sundays
  // Sunday 2024-03-03 02:30 EST + 1 = Sunday 2024-03-10 02:30, which does not exist: 03:00 EDT.
  CHECK(schedule.add_business_days(utc("2024-03-03T07:30:00Z"), 1, schedule.timezone) ==
        utc("2024-03-10T07:00:00Z"));
}

TEST_CASE("business days are counted in the sending zone") {
  const Schedule schedule = load(R"({"timezone": "America/New_York", "days": ["mon", "tue", "wed", "thu", "fri"]})");
  // 2024-06-07T23:00Z is Friday 19:00 in New York but Saturday 08:00 in Tokyo.
  const Instant t = utc("2024-06-07T23:00:00Z");
  CHECK(schedule.add_business_days(t, 1, zone("America/New_York")) == utc("2024-06-10T23:00:00Z"));
  CHECK(schedule.add_business_days(t, 1, zone("Asia/Tokyo")) == utc("2024-06-09T23:00:00Z"));
}

TEST_CASE("a business day that did not exist in the zone is not counted") {
  const Schedule schedule = load(R"({"timezone": "Pacific/Apia", "days": ["mon", "tue", "wed", "thu", "fri"]})");
  // Thursday 2011-12-29 10:00 (-10) + 1: Friday the 30th never happened; Monday 2012-01-02 10:00 (+14).
  CHECK(schedule.add_business_days(utc("2011-12-29T20:00:00Z"), 1, schedule.timezone) ==
        utc("2012-01-01T20:00:00Z"));
}

// ---- local days ----------------------------------------------------------------------------

TEST_CASE("local_day and next_local_midnight follow the zone's calendar around DST changes") {
  const TimeZone ny = zone("America/New_York");
  CHECK(Schedule::local_day(utc("2024-03-10T04:59:59Z"), ny) == local_date(2024, 3, 9));
  CHECK(Schedule::local_day(utc("2024-03-10T05:00:00Z"), ny) == local_date(2024, 3, 10));
  // The spring day has 23 hours, the autumn day 25.
  CHECK(Schedule::next_local_midnight(utc("2024-03-10T05:00:00Z"), ny) == utc("2024-03-11T04:00:00Z"));
  CHECK(Schedule::next_local_midnight(utc("2024-11-03T04:00:00Z"), ny) == utc("2024-11-04T05:00:00Z"));
  CHECK(Schedule::local_day(utc("2024-11-04T04:59:59.999Z"), ny) == local_date(2024, 11, 3));
  CHECK(Schedule::next_local_midnight(utc("2024-11-03T23:59:59.999Z"), ny) == utc("2024-11-04T05:00:00Z"));
}

TEST_CASE("next_local_midnight is the first existing time of a day that begins in a gap") {
  const TimeZone sao_paulo = zone("America/Sao_Paulo");
  // 2018-11-04 began at 01:00 (-2), which is 03:00Z.
  CHECK(Schedule::next_local_midnight(utc("2018-11-03T15:00:00Z"), sao_paulo) == utc("2018-11-04T03:00:00Z"));
  CHECK(Schedule::local_day(utc("2018-11-04T03:00:00Z"), sao_paulo) == local_date(2018, 11, 4));
  // 2019-02-16 ended twice at 23:59 (-2 then -3): the 17th began at 03:00Z.
  CHECK(Schedule::next_local_midnight(utc("2019-02-17T01:30:00Z"), sao_paulo) == utc("2019-02-17T03:00:00Z"));
  CHECK(Schedule::local_day(utc("2019-02-17T02:30:00Z"), sao_paulo) == local_date(2019, 2, 16));
  // Apia's 2011-12-29 was followed by the 31st.
  const TimeZone apia = zone("Pacific/Apia");
  CHECK(Schedule::next_local_midnight(utc("2011-12-29T22:00:00Z"), apia) == utc("2011-12-30T10:00:00Z"));
  CHECK(Schedule::local_day(utc("2011-12-30T09:59:59Z"), apia) == local_date(2011, 12, 29));
  CHECK(Schedule::local_day(utc("2011-12-30T10:00:00Z"), apia) == local_date(2011, 12, 31));
}

TEST_CASE("local days in zones with 45-minute offsets") {
  const TimeZone kathmandu = zone("Asia/Kathmandu");
  CHECK(Schedule::local_day(utc("2024-06-02T18:14:59Z"), kathmandu) == local_date(2024, 6, 2));
  CHECK(Schedule::local_day(utc("2024-06-02T18:15:00Z"), kathmandu) == local_date(2024, 6, 3));
  CHECK(Schedule::next_local_midnight(utc("2024-06-02T12:00:00Z"), kathmandu) == utc("2024-06-02T18:15:00Z"));
}

// ---- lead-local sending ----------------------------------------------------------------------

TEST_CASE("the sending zone is the lead's zone only when lead_timezone is on and the lead has one") {
  Schedule schedule = load(R"({"timezone": "America/New_York"})");
  const TimeZone kolkata = zone("Asia/Kolkata");
  CHECK(schedule.sending_zone(kolkata) == schedule.timezone);
  CHECK(schedule.sending_zone(std::nullopt) == schedule.timezone);
  schedule.lead_timezone = true;
  CHECK(schedule.sending_zone(kolkata) == kolkata);
  CHECK(schedule.sending_zone(std::nullopt) == schedule.timezone);
}

TEST_CASE("with lead_timezone, a lead's hours are its own local hours") {
  const Schedule schedule = load(format_example);
  const TimeZone lead_zone = schedule.sending_zone(zone("Asia/Kolkata"));
  // Monday 2026-12-07 09:00 in Kolkata is 03:30Z, still Sunday night in New York.
  CHECK(schedule.next_open(utc("2026-12-07T00:00:00Z"), lead_zone) == utc("2026-12-07T03:30:00Z"));
  CHECK_FALSE(schedule.is_open(utc("2026-12-07T03:30:00Z"), schedule.timezone));
  CHECK(schedule.next_open(utc("2026-12-07T00:00:00Z"), schedule.sending_zone(std::nullopt)) ==
        utc("2026-12-07T14:00:00Z"));
}

// ---- loading from JSON -----------------------------------------------------------------------

TEST_CASE("the format's example schedule loads") {
  const Schedule schedule = load(format_example);
  CHECK(schedule.timezone.name() == "America/New_York");
  CHECK(schedule.lead_timezone);
  CHECK(schedule.days == std::array<bool, 7>{false, true, true, true, true, true, false});
  REQUIRE(schedule.hours.size() == 2);
  CHECK(schedule.hours[0] == *HourWindow::parse("09:00-12:00"));
  CHECK(schedule.hours[1] == *HourWindow::parse("13:30-17:00"));
  CHECK(schedule.start == utc("2026-12-01T05:00:00Z"));
  CHECK_FALSE(schedule.end);
  REQUIRE(schedule.skip_dates.size() == 3);
  CHECK(schedule.skip_dates[2] == std::chrono::year{2027} / 1 / 1);
}

TEST_CASE("a schedule with only a zone sends every day, all day, from any time") {
  const Schedule schedule = load(R"({"timezone": "Europe/Berlin"})");
  CHECK_FALSE(schedule.lead_timezone);
  CHECK(schedule.days == std::array<bool, 7>{true, true, true, true, true, true, true});
  CHECK(schedule.hours == std::vector<HourWindow>{HourWindow{}});
  CHECK_FALSE(schedule.start);
  CHECK_FALSE(schedule.end);
  CHECK(schedule.skip_dates.empty());
}

TEST_CASE("hours and skipped dates are kept sorted, and repeated skipped dates count once") {
  const Schedule schedule = load(R"({"timezone": "UTC", "hours": ["13:00-14:00", "09:00-10:00", "10:00-11:00"],
                                     "skip_dates": ["2027-01-01", "2026-12-25", "2027-01-01"]})");
  REQUIRE(schedule.hours.size() == 3);
  CHECK(schedule.hours[0].start == hours{9});
  CHECK(schedule.hours[1].start == hours{10});  // touching is not overlapping
  CHECK(schedule.hours[2].start == hours{13});
  REQUIRE(schedule.skip_dates.size() == 2);
  CHECK(schedule.skip_dates[0] == std::chrono::year{2026} / 12 / 25);
}

TEST_CASE("start and end may be RFC 3339 instants") {
  const Schedule schedule = load(R"({"timezone": "UTC", "start": "2026-12-01T14:03:12Z",
                                     "end": "2027-01-01T00:00:00.250Z"})");
  CHECK(schedule.start == utc("2026-12-01T14:03:12Z"));
  CHECK(schedule.end == utc("2027-01-01T00:00:00.250Z"));
}

TEST_CASE("a schedule without a zone, or with an unknown zone, is an error at schedule.timezone") {
  CHECK(has_error(load_errors(R"({})"), "schedule.timezone", "required"));
  const auto unknown = load_errors(R"({"timezone": "Mars/Olympus_Mons", "start": "2026-12-01"})");
  CHECK_MESSAGE(has_error(unknown, "schedule.timezone", "unknown time zone \"Mars/Olympus_Mons\""), joined(unknown));
  CHECK(unknown.size() == 1);
  CHECK(has_error(load_errors(R"({"timezone": 5})"), "schedule.timezone", "expected a string"));
}

TEST_CASE("bad day names and repeated days are errors at their index") {
  const auto errors = load_errors(R"({"timezone": "UTC", "days": ["mon", "Tuesday", "wed", "mon", 3]})");
  CHECK_MESSAGE(has_error(errors, "schedule.days[1]", "expected a day"), joined(errors));
  CHECK(has_error(errors, "schedule.days[3]", "\"mon\" is listed twice"));
  CHECK(has_error(errors, "schedule.days[4]", "found an integer"));
  CHECK(errors.size() == 3);
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "days": []})"), "schedule.days", "at least one"));
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "days": "mon"})"), "schedule.days", "expected an array"));
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun","mon"]})"),
                  "schedule.days", "at most 7"));
}

TEST_CASE("bad and overlapping windows are errors at their index") {
  const auto bad = load_errors(R"({"timezone": "UTC", "hours": ["09:00-12:00", "9-5", "22:00-02:00", null]})");
  CHECK_MESSAGE(has_error(bad, "schedule.hours[1]", "HH:MM-HH:MM"), joined(bad));
  CHECK(has_error(bad, "schedule.hours[2]", "two windows"));
  CHECK(has_error(bad, "schedule.hours[3]", "found null"));
  const auto overlapping = load_errors(R"({"timezone": "UTC", "hours": ["13:00-17:00", "09:00-13:30"]})");
  CHECK_MESSAGE(has_error(overlapping, "schedule.hours[0]", "overlaps the window 09:00-13:30 (hours[1])"),
                joined(overlapping));
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "hours": []})"), "schedule.hours", "at least one"));
}

TEST_CASE("bad dates and instants are errors at their place") {
  const auto errors = load_errors(R"({"timezone": "UTC", "start": "2026-02-30", "end": "tomorrow",
                                      "skip_dates": ["2026-12-24", "2026-12-25T00:00:00Z", "2026-13-01", 20261224]})");
  CHECK_MESSAGE(has_error(errors, "schedule.start", "expected a date (YYYY-MM-DD) or an instant"), joined(errors));
  CHECK(has_error(errors, "schedule.end", "found \"tomorrow\""));
  CHECK(has_error(errors, "schedule.skip_dates[1]", "expected a date YYYY-MM-DD"));
  CHECK(has_error(errors, "schedule.skip_dates[2]", "expected a date YYYY-MM-DD"));
  CHECK(has_error(errors, "schedule.skip_dates[3]", "found an integer"));
  CHECK(errors.size() == 5);
}

TEST_CASE("an end that is not after the start is an error") {
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "start": "2026-12-02", "end": "2026-12-01"})"), "schedule.end",
                  "after the start"));
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "start": "2026-12-02T00:00:00Z", "end": "2026-12-02T00:00:00Z"})"),
                  "schedule.end", "after the start"));
  CHECK(load_errors(R"({"timezone": "UTC", "start": "2026-12-02", "end": "2026-12-02"})").empty());
}

TEST_CASE("unknown keys in the schedule are errors, with a suggestion for near misses") {
  const auto errors = load_errors(R"({"timezone": "UTC", "skip_date": ["2026-12-24"], "holidays": true})");
  CHECK_MESSAGE(has_error(errors, "schedule.skip_date", "did you mean \"skip_dates\""), joined(errors));
  CHECK(has_error(errors, "schedule.holidays", "unknown key"));
}

TEST_CASE("other schedule errors: not an object, lead_timezone not a boolean, too many dates") {
  CHECK(has_error(load_errors(R"([])"), "schedule", "expected an object"));
  CHECK(has_error(load_errors(R"({"timezone": "UTC", "lead_timezone": "yes"})"), "schedule.lead_timezone",
                  "expected true or false"));
  std::string many = R"({"timezone": "UTC", "skip_dates": [)";
  for (std::size_t i = 0; i <= outreach::detail::max_skip_dates; ++i) {
    many += (i ? ",\"2026-01-01\"" : "\"2026-01-01\"");
  }
  many += "]}";
  CHECK(has_error(load_errors(many), "schedule.skip_dates", "at most"));
}

TEST_CASE("every problem of a schedule is reported in one pass") {
  const auto errors = load_errors(R"({"timezone": "Nowhere/City", "days": ["funday"], "hours": ["25:00-26:00"],
                                      "start": "soon", "skip_dates": ["someday"], "color": "blue"})");
  CHECK_MESSAGE(errors.size() == 6, joined(errors));
}

// ---- randomized properties -------------------------------------------------------------------

namespace {

// A small deterministic generator (the standard distributions differ between libraries).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }

 private:
  std::uint64_t state_;
};

// Open or not, worked out directly from the wall clock: its date, weekday and minute of the day.
bool brute_force_open(const Schedule& schedule, const TimeZone& z, Instant t) {
  if (schedule.start && t < *schedule.start) return false;
  if (schedule.end && t >= *schedule.end) return false;
  const LocalTime local = z.to_local(t);
  const auto day = std::chrono::floor<days>(local);
  if (!schedule.days[std::chrono::weekday{day}.c_encoding()]) return false;
  const std::chrono::year_month_day ymd{day};
  for (const auto& skipped : schedule.skip_dates) {
    if (skipped == ymd) return false;
  }
  const std::chrono::hh_mm_ss clock{local - day};
  const minutes minute_of_day = clock.hours() + clock.minutes();  // windows are whole minutes
  for (const HourWindow& window : schedule.hours) {
    if (window.start <= minute_of_day && minute_of_day < window.end) return true;
  }
  return false;
}

// A minute of the day, often near the small hours where clocks change.
minutes random_minute(Random& random) {
  if (random.chance(50)) return minutes{random.below(5 * 60 + 1)};
  if (random.chance(50)) return minutes{random.below(97) * 15};
  return minutes{random.below(24 * 60 + 1)};
}

Schedule random_schedule(Random& random, const TimeZone& z, Instant from, Instant to) {
  Schedule schedule;
  schedule.timezone = z;
  for (bool& on : schedule.days) on = random.chance(60);
  if (std::none_of(schedule.days.begin(), schedule.days.end(), [](bool on) { return on; })) {
    schedule.days[static_cast<std::size_t>(random.below(7))] = true;
  }
  if (!random.chance(10)) {
    std::vector<minutes> marks;
    const auto count = 2 * (1 + random.below(3));
    while (static_cast<std::int64_t>(marks.size()) < count) {
      const minutes mark = random_minute(random);
      if (std::find(marks.begin(), marks.end(), mark) == marks.end()) marks.push_back(mark);
    }
    std::sort(marks.begin(), marks.end());
    schedule.hours.clear();
    for (std::size_t i = 0; i + 1 < marks.size(); i += 2) schedule.hours.push_back(HourWindow{marks[i], marks[i + 1]});
  }
  const auto span_days = std::chrono::floor<days>(to - from).count();
  const auto first_day = std::chrono::floor<days>(from);
  for (auto n = random.below(8); n > 0; --n) {
    schedule.skip_dates.emplace_back(first_day + days{random.below(span_days)});
  }
  if (random.chance(20)) {  // a long run, such as a holiday season
    const auto run_start = first_day + days{random.below(span_days)};
    for (auto i = random.below(40); i >= 0; --i) schedule.skip_dates.emplace_back(run_start + days{i});
  }
  std::sort(schedule.skip_dates.begin(), schedule.skip_dates.end());
  schedule.skip_dates.erase(std::unique(schedule.skip_dates.begin(), schedule.skip_dates.end()),
                            schedule.skip_dates.end());
  const auto span = (to - from).count();
  if (random.chance(25)) schedule.start = from + milliseconds{random.below(span)};
  if (random.chance(25)) {
    const Instant lower = schedule.start.value_or(from);
    schedule.end = lower + milliseconds{1 + random.below((to - lower).count())};
  }
  return schedule;
}

}  // namespace

TEST_CASE("next_open and open_until agree with a brute-force wall-clock check on random schedules") {
  const char* const zone_names[] = {
      "UTC",           "America/New_York",    "Europe/Berlin",     "Australia/Sydney",  "Australia/Lord_Howe",
      "Asia/Kolkata",  "Asia/Kathmandu",      "Australia/Adelaide", "Australia/Eucla",  "Pacific/Apia",
      "Europe/Moscow", "America/Sao_Paulo",   "Pacific/Chatham",   "America/St_Johns",  "America/Havana",
      "Africa/Casablanca", "America/Santiago", "Asia/Tehran",      "Antarctica/Troll",  "Europe/Dublin"};
  std::vector<TimeZone> zones;
  for (const char* name : zone_names) zones.push_back(zone(name));

  const Instant from = utc("2009-01-01T00:00:00Z");
  const Instant to = utc("2033-01-01T00:00:00Z");
  Random random(20261201);
  int failures = 0;
  std::string first_failures;
  const auto expect = [&](bool ok, const char* what, const Schedule& schedule, Instant t) {
    if (ok) return;
    if (++failures <= 5) {
      first_failures += std::string(what) + " in " + std::string(schedule.timezone.name()) + " at " +
                        outreach::format_instant(t) + "\n";
    }
  };

  // How often the interesting situations came up, so that the checks are not vacuous.
  int opened_later = 0;
  int crossed_offset_change = 0;
  int found_nothing = 0;

  constexpr int cases = 4000;
  for (int n = 0; n < cases; ++n) {
    const TimeZone& z = zones[static_cast<std::size_t>(random.below(static_cast<std::int64_t>(zones.size())))];
    const Schedule schedule = random_schedule(random, z, from, to);
    Instant t = from + milliseconds{random.below((to - from).count())};
    if (random.chance(50)) {  // near a change of offset
      const auto period = z.period_at(t);
      if (period.end < to) t = period.end + milliseconds{random.below(3 * 86400000LL) - 3 * 43200000LL};
    }
    if (random.chance(50)) t = std::chrono::floor<minutes>(t);

    expect(schedule.is_open(t, z) == brute_force_open(schedule, z, t), "is_open disagrees", schedule, t);

    const auto next = schedule.next_open(t, z);
    // Instants between t and next (or the end) that the search must not have missed: every
    // minute of a short stretch, else a sample, plus each change of offset and the minute after.
    const Instant stop = next ? *next : (schedule.end ? std::max(*schedule.end, t) : t + days{60});
    std::vector<Instant> closed;
    if (stop - t <= minutes{180}) {
      for (Instant m = std::chrono::ceil<minutes>(t); m < stop; m += minutes{1}) closed.push_back(m);
    } else {
      for (int i = 0; i < 120; ++i) {
        closed.push_back(std::chrono::floor<minutes>(t + milliseconds{random.below((stop - t).count())}));
      }
      auto period = z.period_at(t);
      for (int i = 0; i < 8 && period.end < stop; ++i) {
        closed.push_back(period.end);
        closed.push_back(period.end + minutes{1});
        period = z.period_at(period.end);
      }
    }
    for (const Instant m : closed) {
      if (m >= t && m < stop) {
        expect(!brute_force_open(schedule, z, m), "next_open skipped an open instant", schedule, m);
      }
    }
    if (next && *next > t) {
      ++opened_later;
      if (z.period_at(t).end <= *next) ++crossed_offset_change;
    }
    if (!next) ++found_nothing;
    if (next) {
      expect(*next >= t, "next_open went back", schedule, t);
      expect(brute_force_open(schedule, z, *next), "next_open is not open", schedule, t);
      expect(schedule.is_open(*next, z), "is_open(next_open) is false", schedule, t);
      if (*next > t) {
        expect(!brute_force_open(schedule, z, *next - milliseconds{1}), "next_open is late", schedule, t);
      }
    } else {
      // Only an end can close a schedule for good (every random schedule has a sending day).
      expect(schedule.end.has_value(), "next_open found nothing without an end", schedule, t);
    }

    const Instant open = next.value_or(t);
    if (next) {
      const Instant until = schedule.open_until(open, z);
      expect(until > open, "open_until is not after an open instant", schedule, open);
      expect(brute_force_open(schedule, z, until - milliseconds{1}), "open_until is too late", schedule, open);
      for (int i = 0; i < 20; ++i) {
        const Instant m = open + milliseconds{random.below((until - open).count())};
        expect(brute_force_open(schedule, z, m), "open_until spans a closed instant", schedule, m);
      }
    }

    const Instant midnight = Schedule::next_local_midnight(t, z);
    expect(midnight > t, "next_local_midnight is not after", schedule, t);
    expect(Schedule::local_day(midnight - milliseconds{1}, z) == Schedule::local_day(t, z),
           "next_local_midnight is late", schedule, t);
    expect(Schedule::local_day(midnight, z) > Schedule::local_day(t, z), "next_local_midnight is early", schedule,
           t);

    const int count = 1 + static_cast<int>(random.below(6));
    const Instant later = schedule.add_business_days(t, count, z);
    const auto first = Schedule::local_day(t, z);
    const auto last = Schedule::local_day(later, z);
    int counted = 0;
    for (auto day = first + days{1}; day <= last; day += days{1}) {
      const std::chrono::year_month_day ymd{day};
      const bool skipped = std::find(schedule.skip_dates.begin(), schedule.skip_dates.end(), ymd) !=
                           schedule.skip_dates.end();
      // A date the zone skipped entirely (Pacific/Apia's 2011-12-30) is no business day.
      const bool happened = Schedule::local_day(z.to_instant(LocalTime{day.time_since_epoch()}), z) == day;
      if (schedule.days[std::chrono::weekday{day}.c_encoding()] && !skipped && happened) ++counted;
    }
    const bool same_time = z.to_local(later) - std::chrono::floor<days>(z.to_local(later)) ==
                           z.to_local(t) - std::chrono::floor<days>(z.to_local(t));
    if (same_time) {
      expect(counted == count, "add_business_days counted wrong", schedule, t);
    } else {  // moved out of a gap: at most into the next day
      expect(counted == count || counted == count - 1, "add_business_days left a gap wrongly", schedule, t);
    }
  }
  CHECK_MESSAGE(failures == 0, first_failures);
  CHECK(opened_later > cases / 2);
  CHECK(crossed_offset_change > cases / 50);
  CHECK(found_nothing > 0);
  MESSAGE("opened later: ", opened_later, ", across an offset change: ", crossed_offset_change,
          ", never: ", found_nothing);
}
