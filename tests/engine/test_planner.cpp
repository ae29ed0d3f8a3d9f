#include <doctest/doctest.h>

#include "engine/planner.hpp"
#include "engine_fixture.hpp"

using namespace outreach;
using namespace outreach::test;
using detail::Plan;

namespace {

const char* const two_mailboxes = R"([{"id":"m1","from":"m1@acme.example","daily_limit":2},
                                      {"id":"m2","from":"m2@acme.example","daily_limit":3}])";
const char* const weekdays = R"({"timezone":"Europe/Paris","days":["mon","tue","wed","thu","fri"],
                                 "hours":["09:00-17:00"],"start":"2026-12-01"})";

}  // namespace

TEST_SUITE("test_planner") {

TEST_CASE("outside the schedule a step waits for its next opening, and suppression is not asked") {
  CampaignFixture f(definition(leads_json(1), "", weekdays, two_mailboxes));
  bool asked = false;
  // Saturday 2026-12-05: the next opening is Monday 09:00 in Paris.
  const Plan plan = detail::plan_step(f.campaign, f.mailboxes, 0, at("2026-12-05T10:00:00Z"), [&] {
    asked = true;
    return false;
  });
  CHECK(plan.kind == Plan::Kind::wait);
  CHECK(plan.until == at("2026-12-07T08:00:00Z"));
  CHECK_FALSE(asked);
}

TEST_CASE("a campaign cap reached waits for the next day in the schedule's zone") {
  CampaignFixture f(definition(leads_json(2), R"(,"limits":{"new_leads_per_day":1})", weekdays, two_mailboxes));
  const Instant now = at("2026-12-01T09:00:00Z");
  f.campaign.caps.roll(now, f.campaign.def.schedule.timezone);
  f.campaign.caps.reserve(1);
  const Plan plan = detail::plan_step(f.campaign, f.mailboxes, 1, now, [] { return false; });
  CHECK(plan.kind == Plan::Kind::wait);
  CHECK(plan.until == at("2026-12-01T23:00:00Z"));  // midnight in Paris
}

TEST_CASE("a suppressed address is skipped") {
  CampaignFixture f(definition(leads_json(1), "", weekdays, two_mailboxes));
  CHECK(detail::plan_step(f.campaign, f.mailboxes, 0, at("2026-12-01T09:00:00Z"), [] { return true; }).kind ==
        Plan::Kind::skip_suppressed);
}

TEST_CASE("a first step takes the mailbox with the most room; a follow-up waits for its own") {
  CampaignFixture f(definition(leads_json(2), "", weekdays, two_mailboxes));
  const Instant now = at("2026-12-01T09:00:00Z");
  const auto not_suppressed = [] { return false; };
  Plan plan = detail::plan_step(f.campaign, f.mailboxes, 0, now, not_suppressed);
  REQUIRE(plan.kind == Plan::Kind::send);
  CHECK(f.mailboxes[plan.mailbox].settings().id == "m2");  // 3 left against 2
  f.mailboxes[plan.mailbox].reserve(now);
  f.mailboxes[plan.mailbox].reserve(now);
  plan = detail::plan_step(f.campaign, f.mailboxes, 1, now, not_suppressed);
  REQUIRE(plan.kind == Plan::Kind::send);
  CHECK(f.mailboxes[plan.mailbox].settings().id == "m1");  // 2 left against 1

  // Lead 0's follow-up is m2's, which has one send left today; once it is used, it waits for
  // tomorrow though m1 is free.
  f.campaign.leads[0].mailbox = 1;
  f.campaign.leads[0].next_step = 2;
  CHECK(detail::plan_step(f.campaign, f.mailboxes, 0, now, not_suppressed).kind == Plan::Kind::send);
  f.mailboxes[1].reserve(now);
  plan = detail::plan_step(f.campaign, f.mailboxes, 0, now, not_suppressed);
  CHECK(plan.kind == Plan::Kind::wait);
  CHECK(plan.until == at("2026-12-01T23:00:00Z"));
}

TEST_CASE("when every mailbox is full a new lead waits for the first to be free") {
  CampaignFixture f(definition(leads_json(1), "", weekdays, two_mailboxes));
  const Instant now = at("2026-12-01T09:00:00Z");
  for (int i = 0; i < 2; ++i) f.mailboxes[0].reserve(now);
  for (int i = 0; i < 3; ++i) f.mailboxes[1].reserve(now);
  const Plan plan = detail::plan_step(f.campaign, f.mailboxes, 0, now, [] { return false; });
  CHECK(plan.kind == Plan::Kind::wait);
  CHECK(plan.until == at("2026-12-01T23:00:00Z"));
  CHECK(detail::first_mailbox_free_at(f.campaign, f.mailboxes, now) == at("2026-12-01T23:00:00Z"));
}

TEST_CASE("a campaign next wakes at the first instant something could be done") {
  CampaignFixture f(definition(leads_json(1), "", weekdays, two_mailboxes));
  // Nothing sent: the first opening.
  CHECK(detail::next_wake(f.campaign, f.mailboxes, at("2026-12-01T02:00:00Z")) == at("2026-12-01T08:00:00Z"));
  f.campaign.status = detail::CampaignStatus::paused;
  CHECK_FALSE(detail::next_wake(f.campaign, f.mailboxes, at("2026-12-01T02:00:00Z")));
}

}  // TEST_SUITE
