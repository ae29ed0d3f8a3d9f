// One-click unsubscribes handed to a running engine (what `outreach serve` writes): the
// request recorded as the lead's unsubscribe, once; and an address suppressed by another
// process between a send's decision and its intent gets nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/request.hpp"
#include "support/forwarding_store.hpp"

namespace outreach::test {

namespace {

Request unsubscribe_request(std::string campaign, std::string address) {
  Request request;
  request.action = RequestAction::unsubscribe;
  request.campaign = std::move(campaign);
  request.addresses = {std::move(address)};
  return request;
}

// Suppresses `victim` the moment the engine asks about `trigger`: as if another process
// committed a one-click unsubscribe after the victim's send was decided and before its intent.
class InterleavedStore final : public testing::ForwardingStore {
 public:
  std::string trigger;
  std::string victim;
  std::vector<std::string> intents;

  expected<void> record_intent(const SendIntent& intent) override {
    intents.push_back(intent.lead);
    return inner.record_intent(intent);
  }
  expected<void> begin() override { return inner.begin(); }
  expected<void> commit() override { return inner.commit(); }
  bool atomic_units() const noexcept override { return true; }
  bool is_suppressed(std::string_view address) const override {
    if (!trigger.empty() && address == trigger) {
      (void)const_cast<MemoryStore&>(inner).suppress(victim, "unsubscribe");
    }
    return inner.is_suppressed(address);
  }
};

// Takes four messages at once, as a pipelining SMTP transport does.
class GroupTransport final : public Transport {
 public:
  SendOutcome send(const Mailbox&, const Message& message) override {
    sent.push_back(message.envelope_to);
    return {};
  }
  std::size_t group_size() const override { return 4; }
  std::vector<std::string> sent;
};

}  // namespace

TEST_SUITE("test_engine") {

TEST_CASE("an unsubscribe request reads back as written and names one address and its campaign") {
  const Request request = unsubscribe_request("q4", "ann@example.com");
  CHECK(to_json(request) == R"({"action":"unsubscribe","campaign":"q4","addresses":["ann@example.com"]})");
  const auto read = request_from_json(to_json(request));
  REQUIRE(read.has_value());
  CHECK(*read == request);
  for (const char* bad : {R"({"action":"unsubscribe","addresses":["ann@example.com"]})",
                          R"({"action":"unsubscribe","campaign":"q4","addresses":["a@example.com","b@example.com"]})",
                          R"({"action":"unsubscribe","campaign":"q4","addresses":[]})"}) {
    CHECK_FALSE_MESSAGE(request_from_json(bad).has_value(), bad);
  }
}

TEST_CASE("a one-click unsubscribe becomes the lead's unsubscribe, once, and a second click changes nothing") {
  StartedCampaign run(definition(leads_json(3)));
  auto& [store, transport, clock, engine] = run;
  engine.simulate(clock, at("2026-12-01T09:00:00Z"));  // step 1 to every lead

  // What serve writes: the address suppressed and the request, in one unit.
  const auto first = store.suppress_and_queue("lead1@example.com", "unsubscribe",
                                              to_json(unsubscribe_request("c", "lead1@example.com")), clock.now());
  // A second click finds the address on the list and queues nothing; a request written again
  // all the same (by another host, say) changes nothing.
  CHECK(*store.suppress_and_queue("lead1@example.com", "unsubscribe",
                                  to_json(unsubscribe_request("c", "lead1@example.com")), clock.now()) == 0);
  const auto second = store.queue_request(to_json(unsubscribe_request("c", "lead1@example.com")), clock.now());
  const auto stranger = store.suppress_and_queue("gone@example.com", "unsubscribe",
                                                 to_json(unsubscribe_request("c", "gone@example.com")), clock.now());
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(stranger);
  REQUIRE(engine.apply_waiting().has_value());
  CHECK(answer_of(store, *first).message == "lead1@example.com unsubscribed from campaign \"c\"");
  CHECK(answer_of(store, *first).changed == 1);
  CHECK(answer_of(store, *second).message == "lead1@example.com had unsubscribed from campaign \"c\" already");
  CHECK(answer_of(store, *second).changed == 0);
  CHECK(answer_of(store, *stranger).message.find("is not a lead of campaign") != std::string::npos);

  std::size_t unsubscribed = 0;
  for (const Event& event : store.events()) {
    if (event.type == EventType::unsubscribed) {
      CHECK(event.lead == "lead1@example.com");
      CHECK(event.step == 1);
      ++unsubscribed;
    }
  }
  CHECK(unsubscribed == 1);
  CHECK(engine.summary().campaigns.at(0).leads.at("unsubscribed") == 1);

  // The follow-ups go to the others only.
  engine.simulate(clock, at("2026-12-20T00:00:00Z"));
  std::vector<std::string> to;
  for (const auto& sent : transport.sent()) to.push_back(sent.message.envelope_to);
  CHECK(std::count(to.begin(), to.end(), "lead0@example.com") == 2);
  CHECK(std::count(to.begin(), to.end(), "lead1@example.com") == 1);
}

TEST_CASE("an address suppressed after its send was decided, before its intent, gets nothing") {
  InterleavedStore store;
  GroupTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  REQUIRE(engine.add_campaign(definition(leads_json(8))));
  REQUIRE(engine.start("c"));
  // lead1's send is decided (its address not suppressed yet); lead3's decision, in the same
  // group, is when another process suppresses lead1.
  store.trigger = "lead3@example.com";
  store.victim = "lead1@example.com";
  engine.simulate(clock, at("2026-12-01T09:00:00Z"));
  CHECK(std::find(transport.sent.begin(), transport.sent.end(), "lead1@example.com") == transport.sent.end());
  CHECK(std::find(store.intents.begin(), store.intents.end(), "lead1@example.com") == store.intents.end());
  CHECK(transport.sent.size() == 7);
  bool skipped = false;
  for (const Event& event : store.inner.events()) {
    if (event.lead == "lead1@example.com") {
      CHECK(event.type == EventType::skipped);
      CHECK(event.reason == "suppressed");
      skipped = true;
    }
  }
  CHECK(skipped);
}

}  // TEST_SUITE

}  // namespace outreach::test
