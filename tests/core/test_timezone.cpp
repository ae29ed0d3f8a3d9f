#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "outreach/instant.hpp"
#include "outreach/timezone.hpp"
#include "support/time.hpp"

using outreach::Errc;
using outreach::Instant;
using outreach::LocalTime;
using outreach::TimeZone;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

namespace {

using outreach::testing::utc;
using outreach::testing::zone;

LocalTime local(int y, unsigned m, unsigned d, int hour, int minute) {
  using namespace std::chrono;
  return LocalTime{local_days{year{y} / month{m} / day{d}}} + hours{hour} + minutes{minute};
}

}  // namespace

TEST_CASE("a zone is found by its IANA name and keeps it") {
  const TimeZone berlin = zone("Europe/Berlin");
  CHECK(berlin.name() == "Europe/Berlin");
  CHECK(zone("Asia/Kathmandu").name() == "Asia/Kathmandu");
}

TEST_CASE("an unknown, empty or overlong zone name is not_found") {
  for (const char* name : {"Mars/Olympus_Mons", "", "europe/berlin", "Europe/Berlin ", "../../etc/passwd"}) {
    const auto located = TimeZone::locate(name);
    REQUIRE_FALSE(located);
    CHECK(located.error().code() == Errc::not_found);
  }
  CHECK_FALSE(TimeZone::locate(std::string(100, 'A')));
}

TEST_CASE("the default zone is UTC, with no offset") {
  const TimeZone utc_zone;
  CHECK(utc_zone.offset(utc("2024-07-01T12:00:00Z")) == minutes{0});
  CHECK(utc_zone.to_local(utc("2024-07-01T12:00:00Z")) == local(2024, 7, 1, 12, 0));
}

TEST_CASE("zones compare equal when they are the same zone") {
  CHECK(zone("America/New_York") == zone("America/New_York"));
  CHECK_FALSE(zone("America/New_York") == zone("America/Chicago"));
}

TEST_CASE("local time follows daylight saving time in New York") {
  const TimeZone ny = zone("America/New_York");
  CHECK(ny.to_local(utc("2024-01-15T17:00:00Z")) == local(2024, 1, 15, 12, 0));
  CHECK(ny.to_local(utc("2024-07-15T16:00:00Z")) == local(2024, 7, 15, 12, 0));
  CHECK(ny.offset(utc("2024-01-15T17:00:00Z")) == hours{-5});
  CHECK(ny.offset(utc("2024-07-15T16:00:00Z")) == hours{-4});
}

TEST_CASE("a local time in the spring-forward gap moves to the instant the gap ends") {
  // New York: 2024-03-10 02:00 EST becomes 03:00 EDT at 07:00Z.
  CHECK(zone("America/New_York").to_instant(local(2024, 3, 10, 2, 30)) == utc("2024-03-10T07:00:00Z"));
  // Berlin: 2024-03-31 02:00 CET becomes 03:00 CEST at 01:00Z.
  CHECK(zone("Europe/Berlin").to_instant(local(2024, 3, 31, 2, 0)) == utc("2024-03-31T01:00:00Z"));
  // Sydney (southern hemisphere): 2024-10-06 02:00 AEST becomes 03:00 AEDT.
  CHECK(zone("Australia/Sydney").to_instant(local(2024, 10, 6, 2, 59)) == utc("2024-10-05T16:00:00Z"));
  // Lord Howe moves its clocks by 30 minutes: 02:00 becomes 02:30.
  CHECK(zone("Australia/Lord_Howe").to_instant(local(2024, 10, 6, 2, 15)) == utc("2024-10-05T15:30:00Z"));
  CHECK(zone("Australia/Lord_Howe").to_instant(local(2024, 10, 6, 2, 30)) == utc("2024-10-05T15:30:00Z"));
}

TEST_CASE("a local time repeated when clocks go back gives the earlier instant") {
  CHECK(zone("America/New_York").to_instant(local(2024, 11, 3, 1, 30)) == utc("2024-11-03T05:30:00Z"));
  CHECK(zone("Europe/Berlin").to_instant(local(2024, 10, 27, 2, 30)) == utc("2024-10-27T00:30:00Z"));
  CHECK(zone("Australia/Sydney").to_instant(local(2024, 4, 7, 2, 30)) == utc("2024-04-06T15:30:00Z"));
  // Lord Howe: 2025-04-06 02:00 (+11) becomes 01:30 (+10:30), so 01:30-02:00 happens twice.
  CHECK(zone("Australia/Lord_Howe").to_instant(local(2025, 4, 6, 1, 45)) == utc("2025-04-05T14:45:00Z"));
  // Both occurrences show the same wall-clock time.
  const TimeZone ny = zone("America/New_York");
  CHECK(ny.to_local(utc("2024-11-03T05:30:00Z")) == local(2024, 11, 3, 1, 30));
  CHECK(ny.to_local(utc("2024-11-03T06:30:00Z")) == local(2024, 11, 3, 1, 30));
}

TEST_CASE("zones with 30 and 45 minute offsets") {
  const Instant noon = utc("2024-06-03T12:00:00Z");
  CHECK(zone("Asia/Kolkata").offset(noon) == hours{5} + minutes{30});
  CHECK(zone("Asia/Kathmandu").offset(noon) == hours{5} + minutes{45});
  CHECK(zone("Australia/Eucla").offset(noon) == hours{8} + minutes{45});
  CHECK(zone("Australia/Adelaide").offset(noon) == hours{9} + minutes{30});
  CHECK(zone("Australia/Adelaide").offset(utc("2024-12-03T12:00:00Z")) == hours{10} + minutes{30});
  CHECK(zone("Australia/Lord_Howe").offset(noon) == hours{10} + minutes{30});
  CHECK(zone("Australia/Lord_Howe").offset(utc("2024-12-03T12:00:00Z")) == hours{11});
  CHECK(zone("Pacific/Chatham").offset(noon) == hours{12} + minutes{45});
  CHECK(zone("America/St_Johns").offset(noon) == hours{-2} - minutes{30});
  CHECK(zone("Asia/Kathmandu").to_local(noon) == local(2024, 6, 3, 17, 45));
  CHECK(zone("Asia/Kathmandu").to_instant(local(2024, 6, 3, 9, 0)) == utc("2024-06-03T03:15:00Z"));
}

TEST_CASE("Pacific/Apia has no 2011-12-30: its times move to the start of 2011-12-31") {
  const TimeZone apia = zone("Pacific/Apia");
  CHECK(apia.offset(utc("2011-12-30T09:59:00Z")) == hours{-10});
  CHECK(apia.offset(utc("2011-12-30T10:00:00Z")) == hours{14});
  CHECK(apia.to_local(utc("2011-12-30T09:59:00Z")) == local(2011, 12, 29, 23, 59));
  CHECK(apia.to_local(utc("2011-12-30T10:00:00Z")) == local(2011, 12, 31, 0, 0));
  for (int hour : {0, 9, 12, 23}) {
    CHECK(apia.to_instant(local(2011, 12, 30, hour, 0)) == utc("2011-12-30T10:00:00Z"));
  }
}

TEST_CASE("offsets that changed for reasons other than daylight saving time") {
  const TimeZone moscow = zone("Europe/Moscow");
  CHECK(moscow.offset(utc("2011-01-15T12:00:00Z")) == hours{3});
  CHECK(moscow.offset(utc("2012-01-15T12:00:00Z")) == hours{4});  // permanent +4 from 2011-03-27
  CHECK(moscow.offset(utc("2013-07-15T12:00:00Z")) == hours{4});
  CHECK(moscow.offset(utc("2014-10-25T21:59:00Z")) == hours{4});
  CHECK(moscow.offset(utc("2014-10-25T22:00:00Z")) == hours{3});  // back to +3 on 2014-10-26
  CHECK(moscow.offset(utc("2015-07-15T12:00:00Z")) == hours{3});

  const TimeZone sao_paulo = zone("America/Sao_Paulo");
  CHECK(sao_paulo.offset(utc("2019-01-15T12:00:00Z")) == hours{-2});  // the last summer time
  CHECK(sao_paulo.offset(utc("2019-02-17T02:00:00Z")) == hours{-3});
  CHECK(sao_paulo.offset(utc("2020-01-15T12:00:00Z")) == hours{-3});  // none since
  CHECK(sao_paulo.offset(utc("2024-01-15T12:00:00Z")) == hours{-3});
  // Its summer time began at midnight: 2018-11-04 00:00 did not exist.
  CHECK(sao_paulo.to_instant(local(2018, 11, 4, 0, 0)) == utc("2018-11-04T03:00:00Z"));
  CHECK(sao_paulo.to_local(utc("2018-11-04T03:00:00Z")) == local(2018, 11, 4, 1, 0));
}

TEST_CASE("period_at gives the offset with the transitions around it") {
  const TimeZone ny = zone("America/New_York");
  const auto summer = ny.period_at(utc("2024-07-01T12:00:00Z"));
  CHECK(summer.begin == utc("2024-03-10T07:00:00Z"));
  CHECK(summer.end == utc("2024-11-03T06:00:00Z"));
  CHECK(summer.offset == hours{-4});
  // A transition instant belongs to the period it begins.
  CHECK(ny.period_at(utc("2024-11-03T06:00:00Z")).begin == utc("2024-11-03T06:00:00Z"));
  CHECK(ny.period_at(utc("2024-11-03T06:00:00Z")).offset == hours{-5});
  CHECK(ny.period_at(utc("2024-11-03T05:59:59.999Z")).end == utc("2024-11-03T06:00:00Z"));

  const auto apia = zone("Pacific/Apia").period_at(utc("2011-12-30T09:00:00Z"));
  CHECK(apia.end == utc("2011-12-30T10:00:00Z"));
  CHECK(apia.offset == hours{-10});

  // Moscow has had no transition since 2014: the period reaches far into the future.
  const auto moscow = zone("Europe/Moscow").period_at(utc("2024-07-01T12:00:00Z"));
  CHECK(moscow.begin == utc("2014-10-25T22:00:00Z"));
  CHECK(moscow.end > utc("2999-01-01T00:00:00Z"));
}

TEST_CASE("period_at agrees with to_local across many instants and zones") {
  const char* const names[] = {"America/New_York", "Europe/Berlin",  "Australia/Sydney", "Australia/Lord_Howe",
                               "Pacific/Apia",     "Europe/Moscow",  "America/Sao_Paulo", "Asia/Kathmandu",
                               "Pacific/Chatham",  "Africa/Casablanca", "America/Santiago", "Antarctica/Troll"};
  std::uint64_t state = 12345;
  const Instant from = utc("2005-01-01T00:00:00Z");
  const std::int64_t span = (utc("2036-01-01T00:00:00Z") - from).count();
  for (const char* name : names) {
    const TimeZone z = zone(name);
    for (int i = 0; i < 100; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto offset = static_cast<std::int64_t>((state >> 11) % static_cast<std::uint64_t>(span));
      const Instant t = from + milliseconds{offset};
      const auto period = z.period_at(t);
      CHECK(period.begin <= t);
      CHECK(t < period.end);
      CHECK(z.to_local(t) == LocalTime{t.time_since_epoch() + period.offset});
      CHECK(z.to_local(period.begin) == LocalTime{period.begin.time_since_epoch() + period.offset});
      const Instant last = period.end - milliseconds{1};
      CHECK(z.to_local(last) == LocalTime{last.time_since_epoch() + period.offset});
      // Every local time of the period maps back to an instant with that local time.
      const LocalTime shown = z.to_local(t);
      CHECK(z.to_local(z.to_instant(shown)) == shown);
    }
  }
}
