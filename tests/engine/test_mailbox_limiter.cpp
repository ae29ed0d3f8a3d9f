#include <doctest/doctest.h>

#include <chrono>
#include <set>

#include "engine/mailbox_limiter.hpp"

using namespace outreach;
using detail::MailboxLimiter;
using std::chrono::seconds;

namespace {

Instant at(const char* text) { return *parse_instant(text); }

TimeZone zone(const char* name) { return *TimeZone::locate(name); }

Mailbox mailbox(std::int64_t daily_limit, std::optional<Ramp> ramp = std::nullopt, seconds min_interval = seconds(0),
                seconds jitter = seconds(0), const char* id = "m1") {
  Mailbox settings;
  settings.id = id;
  settings.daily_limit = daily_limit;
  settings.ramp = ramp;
  settings.min_interval = min_interval;
  settings.jitter = jitter;
  return settings;
}

}  // namespace

TEST_SUITE("test_mailbox_limiter") {

TEST_CASE("a mailbox's daily limit counts sends per day of its own zone") {
  MailboxLimiter limiter(mailbox(2), zone("America/New_York"));
  CHECK(limiter.room(at("2026-12-01T14:00:00Z")) == 2);
  limiter.reserve(at("2026-12-01T14:00:00Z"));
  limiter.reserve(at("2026-12-01T15:00:00Z"));
  CHECK(limiter.room(at("2026-12-01T16:00:00Z")) == 0);
  CHECK_FALSE(limiter.available(at("2026-12-01T16:00:00Z")));
  // 23:30 in New York is still the same day; its midnight is 05:00 UTC.
  CHECK(limiter.room(at("2026-12-02T04:30:00Z")) == 0);
  CHECK(limiter.available_at(at("2026-12-01T16:00:00Z")) == at("2026-12-02T05:00:00Z"));
  CHECK(limiter.room(at("2026-12-02T05:00:00Z")) == 2);
  CHECK(limiter.available(at("2026-12-02T05:00:00Z")));
}

TEST_CASE("a day whose midnight a DST change skips begins at the first time that exists") {
  // Havana springs forward at midnight on 2026-03-08: that day begins at 01:00 (05:00 UTC).
  MailboxLimiter limiter(mailbox(1), zone("America/Havana"));
  limiter.reserve(at("2026-03-07T20:00:00Z"));
  CHECK(limiter.room(at("2026-03-08T04:30:00Z")) == 0);
  CHECK(limiter.available_at(at("2026-03-08T04:30:00Z")) == at("2026-03-08T05:00:00Z"));
  CHECK(limiter.room(at("2026-03-08T05:00:00Z")) == 1);
}

TEST_CASE("the ramp goes up on each day with a send, not on days without one") {
  MailboxLimiter limiter(mailbox(10, Ramp{.start = 1, .step = 2}), zone("UTC"));
  CHECK(limiter.room(at("2026-12-01T09:00:00Z")) == 1);
  limiter.reserve(at("2026-12-01T09:00:00Z"));
  CHECK(limiter.room(at("2026-12-01T10:00:00Z")) == 0);
  // Nothing on the 2nd: the 3rd is the second sending day.
  CHECK(limiter.room(at("2026-12-03T09:00:00Z")) == 3);
  limiter.reserve(at("2026-12-03T09:00:00Z"));
  CHECK(limiter.room(at("2026-12-03T10:00:00Z")) == 2);
  CHECK(limiter.room(at("2026-12-04T09:00:00Z")) == 5);
}

TEST_CASE("a released send gives its room back and does not make a sending day, but its spacing holds") {
  MailboxLimiter limiter(mailbox(10, Ramp{.start = 1, .step = 1}, seconds(60)), zone("UTC"));
  limiter.reserve(at("2026-12-01T09:00:00Z"));
  limiter.reserve(at("2026-12-02T09:00:00Z"));
  limiter.release(at("2026-12-02T09:00:00Z"));
  CHECK(limiter.room(at("2026-12-02T09:00:30Z")) == 2);
  CHECK_FALSE(limiter.available(at("2026-12-02T09:00:30Z")));
  CHECK(limiter.available_at(at("2026-12-02T09:00:30Z")) == at("2026-12-02T09:01:00Z"));
  // The 2nd had no send that counted: the 3rd is still the second sending day.
  CHECK(limiter.room(at("2026-12-03T09:00:00Z")) == 2);
}

TEST_CASE("spacing is the minimum interval plus a jitter drawn from the mailbox's own sequence") {
  const Instant first = at("2026-12-01T09:00:00Z");
  MailboxLimiter a(mailbox(100, std::nullopt, seconds(60), seconds(30), "alice"), zone("UTC"));
  MailboxLimiter b(mailbox(100, std::nullopt, seconds(60), seconds(30), "alice"), zone("UTC"));
  std::set<std::int64_t> gaps;
  Instant now = first;
  for (int i = 0; i < 20; ++i) {
    a.reserve(now);
    b.reserve(now);
    CHECK(a.next_allowed() == b.next_allowed());  // the same id draws the same sequence
    const auto gap = a.next_allowed() - now;
    CHECK(gap >= seconds(60));
    CHECK(gap <= seconds(90));
    CHECK(gap % seconds(1) == Instant::duration(0));  // whole seconds
    gaps.insert(gap.count());
    CHECK_FALSE(a.available(a.next_allowed() - std::chrono::milliseconds(1)));
    CHECK(a.available(a.next_allowed()));
    now = a.next_allowed();
  }
  CHECK(gaps.size() > 1);  // it does vary
}

TEST_CASE("rebuilt from sends kept out of order, a limiter counts as if it had made them in time order") {
  const Mailbox settings = mailbox(3, Ramp{.start = 2, .step = 1}, seconds(120), seconds(10));
  MailboxLimiter live(settings, zone("Europe/Berlin"));
  live.reserve(at("2026-12-01T08:00:00Z"));
  live.reserve(at("2026-12-01T09:00:00Z"));
  live.reserve(at("2026-12-02T08:00:00Z"));
  live.release(at("2026-12-02T08:00:00Z"));
  live.reserve(at("2026-12-02T09:00:00Z"));

  MailboxLimiter resumed(settings, zone("Europe/Berlin"));
  resumed.remember(at("2026-12-02T09:00:00Z"), true);
  resumed.remember(at("2026-12-01T09:00:00Z"), true);
  resumed.remember(at("2026-12-02T08:00:00Z"), false);
  resumed.remember(at("2026-12-01T08:00:00Z"), true);
  resumed.rebuild();

  CHECK(resumed.next_allowed() == live.next_allowed());
  for (const char* when : {"2026-12-02T10:00:00Z", "2026-12-03T10:00:00Z", "2026-12-09T10:00:00Z"}) {
    CAPTURE(when);
    CHECK(resumed.room(at(when)) == live.room(at(when)));
    CHECK(resumed.available_at(at(when)) == live.available_at(at(when)));
  }
  CHECK(live.room(at("2026-12-02T10:00:00Z")) == 2);  // second sending day: 3, one counted
}

}  // TEST_SUITE
