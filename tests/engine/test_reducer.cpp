#include <doctest/doctest.h>

#include <vector>

#include "engine/reducer.hpp"
#include "engine_fixture.hpp"
#include "util/ascii.hpp"

using namespace outreach;
using namespace outreach::test;
using detail::LeadStatus;
using detail::Origin;

namespace {

// What the dispatcher does when it decides a send, before the transport has it.
void reserve(CampaignFixture& f, std::uint32_t lead, Instant when) {
  detail::CampaignState& c = f.campaign;
  c.caps.roll(when, c.def.schedule.timezone);
  f.mailboxes[0].reserve(when);
  c.caps.reserve(c.leads[lead].next_step);
  c.leads[lead].mailbox = 0;
  c.leads[lead].status = LeadStatus::active;
}

Event sent(const CampaignFixture& f, std::uint32_t lead, int step, Instant when) {
  Event event = f.event(EventType::sent, when, lead, step);
  event.mailbox = "m1";
  return event;
}

Event not_sent(const CampaignFixture& f, EventType type, std::uint32_t lead, Instant when, Cause cause = Cause::none) {
  Event event = f.event(type, when, lead, 1);
  event.mailbox = "m1";
  event.cause = cause;
  if (type == EventType::deferred) event.retry_at = when + std::chrono::minutes(10);
  if (cause == Cause::refused) event.status = "5.1.1";
  return event;
}

// The events of a short campaign, with whether the engine reserved a send before each.
struct Logged {
  Event event;
  bool reserved;
};

std::vector<Logged> history(const CampaignFixture& f) {
  Event bounce = f.event(EventType::bounced, at("2026-12-01T09:03:00Z"), 2, 1);
  bounce.kind = "hard";
  Event stopped = f.event(EventType::stopped, at("2026-12-01T12:00:00Z"), 0);
  stopped.reason = "reply";
  return {
      {sent(f, 0, 1, at("2026-12-01T09:00:00Z")), true},
      {not_sent(f, EventType::deferred, 1, at("2026-12-01T09:01:00Z")), true},
      {not_sent(f, EventType::failed, 2, at("2026-12-01T09:02:00Z"), Cause::refused), true},
      {bounce, false},
      {not_sent(f, EventType::failed, 3, at("2026-12-01T09:04:00Z"), Cause::unbuildable), false},
      {sent(f, 1, 1, at("2026-12-01T09:11:00Z")), true},
      {f.event(EventType::replied, at("2026-12-01T12:00:00Z"), 0, 1), false},
      {stopped, false},
  };
}

}  // namespace

TEST_SUITE("test_reducer") {

TEST_CASE("the same events leave the same state, applied live as made or read back from the log") {
  CampaignFixture live(definition(leads_json(4), R"(,"bounces":{"pause_rate":0.9,"pause_window":10})"));
  CampaignFixture resumed(definition(leads_json(4), R"(,"bounces":{"pause_rate":0.9,"pause_window":10})"));
  for (const Logged& logged : history(live)) {
    const std::uint32_t lead = *live.campaign.leads.find(detail::ascii_lower(logged.event.lead));
    if (logged.reserved) reserve(live, lead, logged.event.at);
    (void)detail::apply_lead_event(live.campaign, live.mailboxes, lead, logged.event, Origin::live);
    (void)detail::apply_lead_event(resumed.campaign, resumed.mailboxes, lead, logged.event, Origin::log);
  }
  resumed.mailboxes[0].rebuild();

  for (std::uint32_t lead = 0; lead < 4; ++lead) {
    CAPTURE(lead);
    const detail::LeadState& a = live.campaign.leads[lead];
    const detail::LeadState& b = resumed.campaign.leads[lead];
    CHECK(a.status == b.status);
    CHECK(a.next_step == b.next_step);
    CHECK(a.attempts == b.attempts);
    CHECK(a.due == b.due);
    CHECK(a.mailbox == b.mailbox);
  }
  CHECK(live.campaign.leads[0].status == LeadStatus::replied);
  CHECK(live.campaign.leads[1].status == LeadStatus::active);
  CHECK(live.campaign.leads[1].due == at("2026-12-03T09:11:00Z"));  // two days after its send
  CHECK(live.campaign.leads[2].status == LeadStatus::failed);
  CHECK(live.campaign.leads[3].status == LeadStatus::failed);
  CHECK(live.campaign.leads.unfinished_count() == resumed.campaign.leads.unfinished_count());

  // Every limit counts the two sends that went, the same way.
  CHECK(live.campaign.caps.sends_today() == 2);
  CHECK(resumed.campaign.caps.sends_today() == 2);
  CHECK(live.campaign.caps.new_today() == resumed.campaign.caps.new_today());
  CHECK(live.mailboxes[0].room(at("2026-12-01T13:00:00Z")) == 998);
  CHECK(resumed.mailboxes[0].room(at("2026-12-01T13:00:00Z")) == 998);
  CHECK(live.mailboxes[0].next_allowed() == resumed.mailboxes[0].next_allowed());
  // The refused unknown address is a send that bounced: two sends and one bounce in the window.
  CHECK(live.campaign.bounces.sends() == 3);
  CHECK(live.campaign.bounces.bounced() == 1);
  CHECK(resumed.campaign.bounces.sends() == 3);
  CHECK(resumed.campaign.bounces.bounced() == 1);

  CampaignSummary a, b;
  const auto id = [](std::size_t) -> const std::string& {
    static const std::string m1 = "m1";
    return m1;
  };
  live.campaign.analytics.summarize(a, id);
  resumed.campaign.analytics.summarize(b, id);
  REQUIRE(a.steps.size() == 2);
  CHECK(a.steps[0].variants[0].sent == 2);
  CHECK(a.steps[0].variants[0].deferred == 1);
  CHECK(a.steps[0].variants[0].failed == 2);
  CHECK(a.steps[0].variants[0].bounced == 1);
  CHECK(a.steps[0].variants[0].replied == 1);
  CHECK(b.steps[0].variants[0].sent == 2);
  CHECK(b.steps[0].variants[0].failed == 2);
  REQUIRE(a.days.size() == 1);
  REQUIRE(b.days.size() == 1);
  CHECK(a.days[0].sent == 2);
  CHECK(b.days[0].sent == 2);
}

TEST_CASE("live, a lead that waits is queued at once; from the log, not") {
  CampaignFixture live(definition(leads_json(1)));
  CampaignFixture resumed(definition(leads_json(1)));
  reserve(live, 0, at("2026-12-01T09:00:00Z"));
  (void)detail::apply_lead_event(live.campaign, live.mailboxes, 0, sent(live, 0, 1, at("2026-12-01T09:00:00Z")), Origin::live);
  (void)detail::apply_lead_event(resumed.campaign, resumed.mailboxes, 0, sent(resumed, 0, 1, at("2026-12-01T09:00:00Z")),
                                 Origin::log);
  REQUIRE(live.campaign.leads.has_due());
  CHECK(live.campaign.leads.next_due().due == at("2026-12-03T09:00:00Z"));
  CHECK_FALSE(resumed.campaign.leads.has_due());
}

TEST_CASE("the last step's send completes the lead at once") {
  CampaignFixture f(definition(leads_json(1)));
  reserve(f, 0, at("2026-12-01T09:00:00Z"));
  CHECK_FALSE(detail::apply_lead_event(f.campaign, f.mailboxes, 0, sent(f, 0, 1, at("2026-12-01T09:00:00Z")), Origin::live)
                  .completed);
  reserve(f, 0, at("2026-12-03T09:00:00Z"));
  const auto reduction =
      detail::apply_lead_event(f.campaign, f.mailboxes, 0, sent(f, 0, 2, at("2026-12-03T09:00:00Z")), Origin::live);
  CHECK(reduction.completed);
  CHECK(f.campaign.leads[0].status == LeadStatus::completed);
  CHECK(f.campaign.leads.unfinished_count() == 0);
  // Its `completed` event then changes nothing.
  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 0, f.event(EventType::completed, at("2026-12-03T09:00:00Z"), 0),
                                 Origin::live);
  CHECK(f.campaign.leads[0].status == LeadStatus::completed);
}

TEST_CASE("a send that never reached the transport counts for no limit and no spacing") {
  CampaignFixture f(definition(leads_json(2), "",
                               R"({"timezone":"UTC","start":"2026-12-01"})",
                               R"([{"id":"m1","from":"m1@acme.example","daily_limit":5,"min_interval":{"minutes":5}}])"));
  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 0,
                                 not_sent(f, EventType::failed, 0, at("2026-12-01T09:00:00Z"), Cause::unsignable),
                                 Origin::log);
  // A refused one did reach it: its spacing holds, though it counts for no limit.
  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 1,
                                 not_sent(f, EventType::failed, 1, at("2026-12-01T10:00:00Z"), Cause::refused),
                                 Origin::log);
  f.mailboxes[0].rebuild();
  CHECK(f.mailboxes[0].next_allowed() == at("2026-12-01T10:05:00Z"));
  CHECK(f.mailboxes[0].room(at("2026-12-01T10:05:00Z")) == 5);
  CHECK(f.campaign.caps.sends_today() == 0);
}

TEST_CASE("a stopped event's reason says which status the lead ends with") {
  const std::pair<const char*, LeadStatus> cases[] = {
      {"reply", LeadStatus::replied},          {"auto_reply", LeadStatus::auto_replied},
      {"bounce", LeadStatus::bounced},         {"unsubscribe", LeadStatus::unsubscribed},
      {"complaint", LeadStatus::unsubscribed}, {"domain_reply", LeadStatus::stopped},
      {"campaign_end", LeadStatus::stopped}};
  for (const auto& [reason, status] : cases) {
    CAPTURE(reason);
    CampaignFixture f(definition(leads_json(1)));
    Event event = f.event(EventType::stopped, at("2026-12-01T09:00:00Z"), 0);
    event.reason = reason;
    (void)detail::apply_lead_event(f.campaign, f.mailboxes, 0, event, Origin::live);
    CHECK(f.campaign.leads[0].status == status);
    CHECK(f.campaign.leads.unfinished_count() == 0);
  }
}

TEST_CASE("a paused lead waits until the return date of its auto-reply, midnight in its zone, or a week") {
  CampaignFixture f(definition(leads_json(2), "", R"({"timezone":"America/New_York","start":"2026-12-01"})"));
  Event auto_reply = f.event(EventType::auto_replied, at("2026-12-02T15:00:00Z"), 0, 1);
  auto_reply.return_date = "2026-12-10";
  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 0, auto_reply, Origin::live);
  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 0, f.event(EventType::paused, at("2026-12-02T15:00:00Z"), 0),
                                 Origin::live);
  CHECK(f.campaign.leads[0].status == LeadStatus::paused);
  CHECK(f.campaign.leads[0].due == at("2026-12-10T05:00:00Z"));

  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 1, f.event(EventType::auto_replied, at("2026-12-02T15:00:00Z"), 1, 1),
                                 Origin::live);
  (void)detail::apply_lead_event(f.campaign, f.mailboxes, 1, f.event(EventType::paused, at("2026-12-02T15:00:00Z"), 1),
                                 Origin::live);
  CHECK(f.campaign.leads[1].due == at("2026-12-09T15:00:00Z"));
}

TEST_CASE("a hard bounce that brings the window to the pause rate pauses the campaign, once") {
  CampaignFixture f(definition(leads_json(2), R"(,"bounces":{"pause_rate":0.5,"pause_window":2})"));
  for (std::uint32_t lead = 0; lead < 2; ++lead) {
    reserve(f, lead, at("2026-12-01T09:00:00Z"));
    (void)detail::apply_lead_event(f.campaign, f.mailboxes, lead, sent(f, lead, 1, at("2026-12-01T09:00:00Z")),
                                   Origin::live);
  }
  Event soft = f.event(EventType::bounced, at("2026-12-01T10:00:00Z"), 0, 1);
  soft.kind = "soft";
  CHECK_FALSE(detail::apply_lead_event(f.campaign, f.mailboxes, 0, soft, Origin::live).bounce_rate_reached);
  CHECK(f.campaign.leads[0].soft_bounces == 1);
  Event hard = soft;
  hard.kind = "hard";
  CHECK(detail::apply_lead_event(f.campaign, f.mailboxes, 0, hard, Origin::live).bounce_rate_reached);
  CHECK(f.campaign.status == detail::CampaignStatus::paused);
  hard.lead = f.campaign.def.leads[1].email;
  CHECK_FALSE(detail::apply_lead_event(f.campaign, f.mailboxes, 1, hard, Origin::live).bounce_rate_reached);

  Event resumed = detail::campaign_event(EventType::campaign_resumed, at("2026-12-02T10:00:00Z"), f.campaign, "request");
  detail::apply_campaign_event(f.campaign, resumed);
  CHECK(f.campaign.status == detail::CampaignStatus::running);
}

}  // TEST_SUITE
