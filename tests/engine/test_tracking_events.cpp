// Opens and clicks handed to the engine (what `outreach serve` writes for a tracking hit): an
// event of the lead that never changes its sequence, counted once per lead and step, and not at
// all when a machine probably made it.
#include <doctest/doctest.h>

#include <string>

#include "engine/engine_fixture.hpp"
#include "outreach/request.hpp"
#include "outreach/summary.hpp"

namespace outreach::test {

namespace {

Request hit(RequestAction action, std::string address, int step, std::string reason = {}) {
  Request request;
  request.action = action;
  request.campaign = "c";
  request.addresses = {std::move(address)};
  request.step = step;
  if (action == RequestAction::click) request.url = "https://acme.example/pricing";
  request.suspect = !reason.empty();
  if (request.suspect) request.reason = std::move(reason);
  return request;
}

}  // namespace

TEST_SUITE("test_engine") {

TEST_CASE("open and click requests read back as written") {
  for (const Request& request : {hit(RequestAction::open, "ann@example.com", 1),
                                 hit(RequestAction::click, "ann@example.com", 2, "scanner")}) {
    const auto read = request_from_json(to_json(request));
    REQUIRE_MESSAGE(read.has_value(), to_json(request));
    CHECK(*read == request);
  }
  CHECK(to_json(hit(RequestAction::click, "ann@example.com", 2, "scanner")) ==
        R"({"action":"click","campaign":"c","addresses":["ann@example.com"],"step":2,)"
        R"("url":"https://acme.example/pricing","suspect":true,"reason":"scanner"})");
  CHECK_FALSE(request_from_json(R"({"action":"open","campaign":"c","addresses":["a@example.com"]})").has_value());
  CHECK_FALSE(request_from_json(R"({"action":"click","campaign":"c","addresses":["a@example.com"],"step":1})").has_value());
}

TEST_CASE("opens and clicks are events that count once per lead and step, machines left out") {
  StartedCampaign run(definition(leads_json(3)));
  run.run_until("2026-12-01T09:00:00Z");  // step 1 to every lead
  const auto ask = [&](const Request& request) {
    auto id = run.store.queue_request(to_json(request), run.clock.now());
    REQUIRE(id.has_value());
    return *id;
  };
  const auto opened = ask(hit(RequestAction::open, "lead0@example.com", 1));
  ask(hit(RequestAction::open, "lead0@example.com", 1));                // again: one lead, counted once
  ask(hit(RequestAction::open, "lead1@example.com", 1, "privacy_proxy"));  // a machine: not counted
  ask(hit(RequestAction::click, "lead0@example.com", 1));
  ask(hit(RequestAction::click, "lead2@example.com", 1, "every_link_at_once"));
  const auto stranger = ask(hit(RequestAction::open, "nobody@example.com", 1));
  REQUIRE(run.engine.apply_waiting().has_value());
  CHECK(answer_of(run.store, opened).message == "open of step 1 by lead0@example.com recorded");
  CHECK(answer_of(run.store, stranger).message.find("not a lead") != std::string::npos);

  const VariantStats stats = run.engine.summary().campaigns.at(0).steps.at(0).variants.at(0);
  CHECK(stats.opened == 1);
  CHECK(stats.clicked == 1);
  int suspect = 0;
  int events = 0;
  for (const Event& event : run.store.events()) {
    if (event.type != EventType::opened && event.type != EventType::clicked) continue;
    ++events;
    if (event.suspect) {
      ++suspect;
      CHECK_FALSE(event.reason.empty());
    }
    if (event.type == EventType::clicked) CHECK(event.url == "https://acme.example/pricing");
  }
  CHECK(events == 5);
  CHECK(suspect == 2);

  // A scanner following every link: its first click looked like a person's; the next, marked
  // every_link_at_once, takes it back.
  ask(hit(RequestAction::click, "lead1@example.com", 1));
  ask(hit(RequestAction::click, "lead1@example.com", 1, "every_link_at_once"));
  REQUIRE(run.engine.apply_waiting().has_value());
  CHECK(run.engine.summary().campaigns.at(0).steps.at(0).variants.at(0).clicked == 1);

  // Nothing of the sequence changed: every lead gets step 2 as it would have.
  run.run_until("2026-12-10T00:00:00Z");
  CHECK(run.transport.sent().size() == 6);
  CHECK(run.engine.summary().campaigns.at(0).leads.at("completed") == 3);

  // Rebuilt from the store, the counts are the same.
  Engine again{run.store, run.transport, run.clock};
  REQUIRE(again.add_campaign(definition(leads_json(3))));
  REQUIRE(again.start("c"));
  const VariantStats rebuilt = again.summary().campaigns.at(0).steps.at(0).variants.at(0);
  CHECK(rebuilt.opened == 1);
  CHECK(rebuilt.clicked == 1);
}

}  // TEST_SUITE

}  // namespace outreach::test
