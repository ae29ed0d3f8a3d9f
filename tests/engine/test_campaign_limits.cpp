#include <doctest/doctest.h>

#include "engine/campaign_limits.hpp"

using namespace outreach;
using detail::BounceWindow;
using detail::DailyCaps;

namespace {

Instant at(const char* text) { return *parse_instant(text); }

}  // namespace

TEST_SUITE("test_campaign_limits") {

TEST_CASE("daily caps count sends and new leads per day of the schedule's zone") {
  const TimeZone zone = *TimeZone::locate("Asia/Tokyo");
  CampaignLimits limits;
  limits.sends_per_day = 3;
  limits.new_leads_per_day = 1;
  DailyCaps caps;
  const Instant morning = at("2026-12-01T00:00:00Z");  // 09:00 in Tokyo
  CHECK_FALSE(caps.reached_until(morning, zone, limits, 1));
  caps.reserve(1);
  // Tokyo's next midnight is 15:00 UTC.
  CHECK(caps.reached_until(morning, zone, limits, 1) == at("2026-12-01T15:00:00Z"));
  CHECK_FALSE(caps.reached_until(morning, zone, limits, 2));  // a follow-up is not a new lead
  caps.reserve(2);
  caps.reserve(3);
  CHECK(caps.reached_until(morning, zone, limits, 2) == at("2026-12-01T15:00:00Z"));
  CHECK(caps.any_full(morning, zone, limits));
  caps.release(3);  // did not go
  CHECK_FALSE(caps.reached_until(morning, zone, limits, 2));
  CHECK(caps.sends_today() == 2);
  // A new day in Tokyo starts new counts.
  CHECK_FALSE(caps.reached_until(at("2026-12-01T15:00:00Z"), zone, limits, 1));
  CHECK(caps.sends_today() == 0);
  CHECK(caps.new_today() == 0);
}

TEST_CASE("without caps nothing is ever reached") {
  DailyCaps caps;
  const TimeZone utc = *TimeZone::locate("UTC");
  for (int i = 0; i < 1000; ++i) caps.reserve(1);
  CHECK_FALSE(caps.reached_until(at("2026-12-01T10:00:00Z"), utc, CampaignLimits{}, 1));
  CHECK_FALSE(caps.any_full(at("2026-12-01T10:00:00Z"), utc, CampaignLimits{}));
}

TEST_CASE("the bounce window keeps the last sends and the share of them that bounced hard") {
  BounceWindow window(4);
  CHECK_FALSE(window.reaches(0.0));  // no send, no rate
  for (std::uint32_t lead = 0; lead < 4; ++lead) window.record_send(lead);
  window.record_hard_bounce(1);
  CHECK(window.bounced() == 1);
  CHECK(window.reaches(0.25));
  CHECK_FALSE(window.reaches(0.26));
  window.record_hard_bounce(1);  // that send already bounced: nothing more
  window.record_hard_bounce(9);  // no send to that lead in the window
  CHECK(window.bounced() == 1);
  window.record_send(4);
  window.record_send(5);
  CHECK(window.sends() == 4);
  CHECK(window.bounced() == 0);  // lead 1's send left the window
}

TEST_CASE("a hard bounce marks the latest send to the lead") {
  BounceWindow window(3);
  window.record_send(7);
  window.record_send(8);
  window.record_send(7);
  window.record_hard_bounce(7);
  window.record_send(9);  // the first send to 7 leaves; the bounced one stays
  CHECK(window.bounced() == 1);
  window.record_send(10);
  window.record_send(11);
  CHECK(window.bounced() == 0);
}

}  // TEST_SUITE
