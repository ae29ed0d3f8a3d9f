#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/inbound_rules.hpp"
#include "engine_fixture.hpp"

using namespace outreach;
using namespace outreach::test;
using detail::LeadStatus;

namespace {

InboundEvent arrived(InboundType type, const std::string& lead, bool hard = true) {
  InboundEvent event;
  event.at = at("2026-12-02T10:00:00Z");
  event.lead = lead;
  event.type = type;
  event.hard = hard;
  return event;
}

// "type:lead-index:reason" for each event, to compare in one line.
std::vector<std::string> described(const detail::InboundActions& actions) {
  std::vector<std::string> out;
  for (const auto& [lead, event] : actions.events) {
    out.push_back(std::string(to_string(event.type)) + ":" + std::to_string(lead) + ":" + event.reason + event.kind);
  }
  return out;
}

const char* const corp_leads = R"([{"email":"ann@corp.example"},{"email":"bob@corp.example"},
                                   {"email":"cat@other.example"},{"email":"dan@gmail.com"},{"email":"eve@gmail.com"}])";

}  // namespace

TEST_SUITE("test_inbound_rules") {

TEST_CASE("a reply stops its lead and, with domain_reply, the unfinished leads of its domain") {
  CampaignFixture f(definition(corp_leads, R"(,"stop_on":{"domain_reply":true})"));
  f.campaign.leads[0].next_step = 2;  // step 1 went out
  detail::InboundActions actions;
  detail::inbound_actions(f.campaign, 0, arrived(InboundType::reply, "ann@corp.example"), at("2026-12-02T10:00:00Z"),
                          actions);
  CHECK(described(actions) == std::vector<std::string>{"replied:0:", "stopped:0:reply", "stopped:1:domain_reply"});
  CHECK(actions.events[0].second.step == 1);
  CHECK(actions.suppress_reason.empty());

  // Not on a consumer mail domain.
  detail::inbound_actions(f.campaign, 3, arrived(InboundType::reply, "dan@gmail.com"), at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"replied:3:", "stopped:3:reply"});
}

TEST_CASE("a reply to a lead that has ended is recorded and stops nothing") {
  CampaignFixture f(definition(corp_leads));
  f.campaign.leads.finish(0, LeadStatus::completed);
  detail::InboundActions actions;
  detail::inbound_actions(f.campaign, 0, arrived(InboundType::reply, "ann@corp.example"), at("2026-12-02T10:00:00Z"),
                          actions);
  CHECK(described(actions) == std::vector<std::string>{"replied:0:"});
}

TEST_CASE("soft bounces count as hard from the soft limit on; a hard bounce suppresses and stops") {
  CampaignFixture f(definition(corp_leads, R"(,"bounces":{"soft_limit":2})"));
  detail::InboundActions actions;
  detail::inbound_actions(f.campaign, 2, arrived(InboundType::bounce, "cat@other.example", false),
                          at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"bounced:2:soft"});
  CHECK(actions.suppress_reason.empty());
  f.campaign.leads[2].soft_bounces = 1;  // as the reducer counts it
  detail::inbound_actions(f.campaign, 2, arrived(InboundType::bounce, "cat@other.example", false),
                          at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"bounced:2:hard", "stopped:2:bounce"});
  CHECK(actions.suppress_reason == "hard_bounce");
}

TEST_CASE("an unsubscribe or a complaint suppresses the address and stops the lead") {
  CampaignFixture f(definition(corp_leads));
  detail::InboundActions actions;
  detail::inbound_actions(f.campaign, 1, arrived(InboundType::complaint, "bob@corp.example"),
                          at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"complained:1:", "stopped:1:complaint"});
  CHECK(actions.suppress_reason == "complaint");
  detail::inbound_actions(f.campaign, 1, arrived(InboundType::unsubscribe, "bob@corp.example"),
                          at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"unsubscribed:1:", "stopped:1:unsubscribe"});
  CHECK(actions.suppress_reason == "unsubscribe");
}

TEST_CASE("an auto-reply pauses an active lead until its return date, by the campaign's rule") {
  CampaignFixture f(definition(corp_leads, R"(,"stop_on":{"auto_reply":"pause_until_return"})"));
  f.campaign.leads[0].status = LeadStatus::active;
  InboundEvent away = arrived(InboundType::auto_reply, "ann@corp.example");
  away.return_date = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December, std::chrono::day{10}};
  detail::InboundActions actions;
  detail::inbound_actions(f.campaign, 0, away, at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"auto_replied:0:", "paused:0:auto_reply"});
  CHECK(actions.events[0].second.return_date == "2026-12-10");
  // A lead not started is not paused.
  detail::inbound_actions(f.campaign, 1, arrived(InboundType::auto_reply, "bob@corp.example"),
                          at("2026-12-02T10:00:00Z"), actions);
  CHECK(described(actions) == std::vector<std::string>{"auto_replied:1:"});
}

}  // TEST_SUITE
