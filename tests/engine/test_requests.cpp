// Requests left in the store for the engine that runs it: read and written as JSON, applied in
// order, exactly once, with answers that say what took effect. The real processes (a running
// `outreach run` and the commands beside it) are in tests/cli/test_cli_steer.py.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/request.hpp"

using namespace outreach;
using outreach::test::at;
using outreach::test::definition;
using outreach::test::leads_json;

namespace {

struct Steered {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};

  explicit Steered(int leads = 3) {
    REQUIRE(engine.add_campaign(definition(leads_json(leads))));
    REQUIRE(engine.start("c"));
  }

  std::int64_t ask(const Request& request) {
    auto id = outreach::ask(store, request, clock.now());
    REQUIRE(id.has_value());
    return *id;
  }

  RequestAnswer answer(std::int64_t id) const { return outreach::test::answer_of(store, id); }

  std::vector<EventType> campaign_events() const {
    std::vector<EventType> types;
    for (const Event& event : store.events()) {
      if (event.lead.empty()) types.push_back(event.type);
    }
    return types;
  }
};

Request campaign_request(RequestAction action, std::string campaign = "c") {
  Request request;
  request.action = action;
  request.campaign = std::move(campaign);
  return request;
}

Request address_request(RequestAction action, std::vector<std::string> addresses) {
  Request request;
  request.action = action;
  request.addresses = std::move(addresses);
  return request;
}

}  // namespace

TEST_SUITE("test_engine") {

TEST_CASE("a request and an answer read back as they were written, and a bad request names its JSON path") {
  Request suppress = address_request(RequestAction::suppress, {"ann@example.com", "bob@example.com"});
  suppress.reason = "customer";
  for (const Request& request : {campaign_request(RequestAction::stop), suppress,
                                 address_request(RequestAction::forget, {"ann@example.com"})}) {
    const auto read = request_from_json(to_json(request));
    REQUIRE_MESSAGE(read.has_value(), to_json(request));
    CHECK(*read == request);
  }
  RequestAnswer answer;
  answer.applied = false;
  answer.message = "no campaign named \"x\"";
  answer.error = Errc::not_found;
  answer.sends_before = 2;
  CHECK(request_answer_from_json(to_json(answer)) == answer);

  const struct {
    const char* json;
    const char* says;
  } bad[] = {
      {R"({"action":"explode","campaign":"c"})", "action"},
      {R"({"action":"pause"})", "campaign"},
      {R"({"action":"suppress","addresses":[]})", "addresses"},
      {R"({"action":"suppress","addresses":["Ann <ann@example.com>"]})", "addresses[0]"},
      {R"({"action":"forget","addresses":["a@example.com","b@example.com"]})", "one address"},
      {R"({"action":"pause","campaign":"c","extra":1})", "extra"},
      {R"({"action":"pause","campaign":"c\n"})", "campaign"},
      {R"(not json)", "request"},
  };
  for (const auto& each : bad) {
    const auto read = request_from_json(each.json);
    REQUIRE_FALSE_MESSAGE(read.has_value(), each.json);
    CHECK_MESSAGE(read.error().to_string().find(each.says) != std::string::npos, read.error().to_string());
  }
}

TEST_CASE("pause, resume and stop requests are applied in order, once, each with its answer") {
  Steered run;
  const auto pause = run.ask(campaign_request(RequestAction::pause));
  const auto pause_again = run.ask(campaign_request(RequestAction::pause));
  const auto resume = run.ask(campaign_request(RequestAction::resume));
  const auto stop = run.ask(campaign_request(RequestAction::stop));
  const auto resume_stopped = run.ask(campaign_request(RequestAction::resume));
  const auto unknown = run.ask(campaign_request(RequestAction::pause, "nope"));
  const auto applied = run.engine.apply_waiting();
  REQUIRE(applied.has_value());
  CHECK(*applied == 6);
  CHECK(run.store.waiting_requests(10).empty());
  CHECK(run.answer(pause).message == "campaign \"c\" paused");
  CHECK(run.answer(pause_again).message == "campaign \"c\" is paused: nothing to change");
  CHECK(run.answer(resume).message == "campaign \"c\" resumed");
  CHECK(run.answer(stop).message == "campaign \"c\" stopped");
  CHECK_FALSE(run.answer(resume_stopped).applied);
  CHECK(run.answer(resume_stopped).message.find("stopped for good") != std::string::npos);
  CHECK(run.answer(unknown).error == Errc::not_found);
  CHECK(run.campaign_events() ==
        std::vector<EventType>{EventType::campaign_paused, EventType::campaign_resumed, EventType::campaign_stopped});
  // Applied once: a second call finds nothing.
  CHECK(*run.engine.apply_waiting() == 0);

  // A stopped campaign sends nothing more, and is stopped still when it is resumed from the store.
  run.engine.simulate(run.clock, at("2026-12-10T00:00:00Z"));
  CHECK(run.transport.sent().empty());
  CHECK(run.engine.summary().campaigns.at(0).status == "stopped");
}

TEST_CASE("a suppression asked of a running engine is honoured at its next send, and forget ends the lead") {
  Steered run(3);
  const auto suppress = run.ask(address_request(RequestAction::suppress, {"LEAD1@example.com"}));
  const auto forget = run.ask(address_request(RequestAction::forget, {"lead2@example.com"}));
  REQUIRE(run.engine.apply_waiting().has_value());
  CHECK(run.answer(suppress).message == "1 address suppressed");
  CHECK(run.answer(suppress).changed == 1);
  CHECK(run.answer(forget).applied);
  CHECK(run.store.is_suppressed("lead2@example.com"));
  run.engine.simulate(run.clock, at("2026-12-10T00:00:00Z"));
  std::vector<std::string> to;
  for (const auto& sent : run.transport.sent()) to.push_back(sent.message.envelope_to);
  CHECK(std::count(to.begin(), to.end(), "lead0@example.com") == 2);
  CHECK(std::count(to.begin(), to.end(), "lead1@example.com") == 0);
  CHECK(std::count(to.begin(), to.end(), "lead2@example.com") == 0);
  // Nothing about the forgotten lead was written after it was forgotten.
  for (const Event& event : run.store.events()) CHECK(event.lead != "lead2@example.com");

  const auto unsuppress = run.ask(address_request(RequestAction::unsuppress, {"lead1@example.com", "zed@example.com"}));
  REQUIRE(run.engine.apply_waiting().has_value());
  CHECK(run.answer(unsuppress).message == "1 address taken off the suppression list (1 not on the list)");
}

TEST_CASE("a request for a campaign of the store that this engine does not run waits for the engine that does") {
  Steered run;
  REQUIRE(run.store.save_campaign({"other", "{}", "f", at("2026-12-01T00:00:00Z")}));
  const auto other = run.ask(campaign_request(RequestAction::pause, "other"));
  const auto mine = run.ask(campaign_request(RequestAction::pause));
  CHECK(*run.engine.apply_waiting() == 1);
  CHECK(run.answer(mine).applied);
  const auto waiting = run.store.waiting_requests(10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].id == other);
}

TEST_CASE("many requests left for another engine do not hide the ones after them") {
  Steered run;
  REQUIRE(run.store.save_campaign({"other", "{}", "f", at("2026-12-01T00:00:00Z")}));
  for (int i = 0; i < 600; ++i) (void)run.ask(campaign_request(RequestAction::pause, "other"));
  const auto mine = run.ask(address_request(RequestAction::suppress, {"late@example.com"}));
  CHECK(*run.engine.apply_waiting() == 1);
  CHECK(run.answer(mine).applied);
  CHECK(run.store.is_suppressed("late@example.com"));
  CHECK(run.store.waiting_requests(1000).size() == 600);
  CHECK(run.store.waiting_requests(1000, mine).empty());
}

TEST_CASE("a request that cannot be read is answered with why, and received mail handed in is taken in") {
  Steered run;
  const auto id = run.store.queue_request(R"({"action":"pause"})", run.clock.now());
  REQUIRE(id.has_value());
  REQUIRE(run.store.queue_received("not a message", run.clock.now()));
  CHECK(*run.engine.apply_waiting() == 2);
  CHECK_FALSE(run.answer(*id).applied);
  CHECK(run.answer(*id).message.find("campaign") != std::string::npos);
  CHECK(run.store.queued(10).empty());
}

TEST_CASE("warnings are told to listeners as they are found, and kept") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  std::vector<std::string> told;
  engine.on_warning([&](const std::string& warning) { told.push_back(warning); });
  REQUIRE(engine.add_campaign(definition(leads_json(1))));
  CHECK(told.empty());
  // A second campaign that defines mailbox m1 again, with another limit.
  CampaignDefinition other = definition(leads_json(1), "", R"({"timezone":"UTC","start":"2026-12-01"})",
                                        R"([{"id":"m1","from":"m1@acme.example","daily_limit":5}])");
  other.name = "d";
  REQUIRE(engine.add_campaign(std::move(other)));
  REQUIRE(told.size() == 1);
  CHECK(told[0].find("mailbox \"m1\" is defined again") != std::string::npos);
  CHECK(engine.warnings() == told);
}

}  // TEST_SUITE
