// Edited steps of a started campaign: the sequence's next version, applied only when asked.
// Steps not yet sent to a lead use it; what a lead got stays as it was (its thread's subject
// included); a removed step ends the leads waiting for it; a changed delay applies to the waits
// under way; and a restart after the edit goes on exactly as the engine that made it would
// have. The real processes are in tests/cli/test_cli_steer.py.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/request.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"

using namespace outreach;
using outreach::test::answer_of;
using outreach::test::at;
using outreach::test::leads_json;
using outreach::test::StartedCampaign;
using outreach::test::TempDir;

namespace {

const std::string one = R"({"variants":[{"subject":"Hi {{first_name}}","text":"One"}]})";
const std::string two = R"({"delay":{"days":1},"variants":[{"text":"Two"}]})";
const std::string three = R"({"delay":{"days":1},"variants":[{"text":"Old three"}]})";
// Ten minutes between sends: step 1 goes out over the morning.
const std::string spaced = R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000,"min_interval":{"minutes":10}}])";

CampaignDefinition campaign(const std::string& steps, int leads = 12) {
  const std::string json = R"({"name":"c","sequence":{"steps":[)" + steps + R"(]},"leads":)" + leads_json(leads) +
                           R"(,"schedule":{"timezone":"UTC","start":"2026-12-01"},"mailboxes":)" + spaced + "}";
  auto loaded = CampaignDefinition::from_json(json);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().to_string()));
  return std::move(*loaded);
}

std::vector<Event> sent_events(const Store& store) {
  std::vector<Event> sent;
  store.for_each_event("c", [&](const Event& event) {
    if (event.type == EventType::sent) sent.push_back(event);
  });
  return sent;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("engine.edited_steps") {

TEST_CASE("step 3 reworded while step 1 goes out: every lead's step 3 has the new text, its past stays as it was") {
  StartedCampaign started(campaign(one + "," + two + "," + three));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T09:35:00Z"));
  const Instant edited = clock.now();
  const std::size_t early = transport.sent().size();
  REQUIRE(early == 4);  // step 1 of the first four leads

  // Without the flag the change is shown and refused, and nothing happens.
  const std::string reworded = R"({"delay":{"days":1},"variants":[{"text":"New three"}]})";
  const std::string resubjected = R"({"variants":[{"subject":"Hello {{first_name}}","text":"One"}]})";
  const std::size_t events = store.events().size();
  const auto refused = engine.update(campaign(resubjected + "," + two + "," + reworded, 1));
  REQUIRE_FALSE(refused.has_value());
  CHECK(contains(refused.error().message(), "step 1: reworded (variant A: subject); step 3: reworded (variant A: text)"));
  CHECK(contains(refused.error().message(), "--edit-steps"));
  CHECK(store.events().size() == events);

  const auto changes = engine.update(campaign(resubjected + "," + two + "," + reworded, 1), {.edit_steps = true});
  REQUIRE(changes.has_value());
  CHECK(*changes == std::vector<std::string>{"sequence: version 1 -> 2", "step 1: reworded (variant A: subject)",
                                             "step 3: reworded (variant A: text)"});
  // Both versions are in the store; the campaign's fingerprint is the new one's.
  const auto versions = store.sequence_versions("c");
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].version == 1);
  CHECK(contains(versions[0].sequence, "Old three"));
  CHECK(contains(versions[1].sequence, "New three"));
  CHECK(versions[1].since == edited);
  CHECK(store.campaign("c")->fingerprint == versions[1].fingerprint);

  engine.simulate(clock, at("2026-12-10T00:00:00Z"));
  const auto sent = sent_events(store);
  REQUIRE(sent.size() == 36);
  std::map<std::string, std::string> first_subject;
  for (const Event& event : sent) {
    const bool before_edit = event.at <= edited;  // the engine stopped after the sends of its last instant
    CHECK(event.sequence_version == (before_edit ? 1 : 2));
    if (event.step == 1) first_subject[event.lead] = event.subject;
    if (event.step > 1) CHECK(event.subject == "Re: " + first_subject.at(event.lead));  // the thread as it began
  }
  CHECK(first_subject.at("lead0@example.com") == "Hi L0");
  CHECK(first_subject.at("lead11@example.com") == "Hello L11");
  int step_three = 0;
  for (const auto& message : transport.sent()) {
    const std::string& data = message.message.data;
    if (!contains(data, "Old three") && !contains(data, "New three")) continue;
    ++step_three;
    CHECK(contains(data, "New three"));
  }
  CHECK(step_three == 12);
  // Who got what is in each lead's history: the early leads' step 1 came from version 1.
  CHECK(std::count_if(sent.begin(), sent.end(), [](const Event& e) { return e.step == 1 && e.sequence_version == 1; }) == 4);
}

TEST_CASE("a removed step ends the leads waiting for it; an added one is sent to the leads still going") {
  StartedCampaign started(campaign(one + "," + two + "," + three, 4));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-02T09:15:00Z"));  // step 2 went to the first two leads
  const auto before = sent_events(store);
  REQUIRE(std::count_if(before.begin(), before.end(), [](const Event& e) { return e.step == 2; }) == 2);

  // Step 3 removed: the two leads waiting for it end; the two waiting for step 2 get it, then end.
  const auto removed = engine.update(campaign(one + "," + two, 1), {.edit_steps = true});
  REQUIRE(removed.has_value());
  CHECK(*removed == std::vector<std::string>{"sequence: version 1 -> 2", "step 3: removed",
                                             "2 leads waiting for a removed step ended (step_removed)"});
  std::vector<std::string> ended;
  for (const Event& event : store.events()) {
    if (event.type == EventType::stopped) {
      CHECK(event.reason == "step_removed");
      CHECK(event.step == 3);
      ended.push_back(event.lead);
    }
  }
  CHECK(ended == std::vector<std::string>{"lead0@example.com", "lead1@example.com"});
  const auto summary = engine.summary();
  CHECK(summary.campaigns.at(0).leads.at("completed") == 2);

  // A step added at the end goes to the leads that have not finished.
  const std::string four = R"({"delay":{"days":1},"variants":[{"text":"Four"}]})";
  const auto added = engine.update(campaign(one + "," + two + "," + four, 1), {.edit_steps = true});
  REQUIRE(added.has_value());
  CHECK(*added == std::vector<std::string>{"sequence: version 2 -> 3", "step 3: added"});
  engine.simulate(clock, at("2026-12-10T00:00:00Z"));
  std::map<std::string, std::vector<std::pair<int, int>>> got;  // lead: (step, version)
  for (const Event& event : sent_events(store)) got[event.lead].emplace_back(event.step, event.sequence_version);
  CHECK(got["lead0@example.com"] == std::vector<std::pair<int, int>>{{1, 1}, {2, 1}});
  CHECK(got["lead3@example.com"] == std::vector<std::pair<int, int>>{{1, 1}, {2, 3}, {3, 3}});
  const auto done = engine.summary();
  CHECK(done.campaigns.at(0).leads.at("completed") == 4);
  REQUIRE(done.campaigns.at(0).steps.size() == 3);
  CHECK(done.campaigns.at(0).steps[2].variants.at(0).sent == 2);
}

TEST_CASE("a sent step keeps its threading and its A/B split; a step no lead reached may change them") {
  StartedCampaign started(campaign(one + "," + two + "," + three, 3));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T12:00:00Z"));  // step 1 only

  const std::string split_one =
      R"({"variants":[{"subject":"Hi","text":"One"},{"subject":"Hey","text":"Uno"}]})";
  const auto refused = engine.update(campaign(split_one + "," + two + "," + three, 1), {.edit_steps = true});
  REQUIRE_FALSE(refused.has_value());
  CHECK(contains(refused.error().message(), "step 1 has been sent: its thread and its variants' names and weights"));
  const std::string new_thread_two = R"({"delay":{"days":1},"thread":"new","variants":[{"subject":"S","text":"Two"}]})";
  const std::string split_three =
      R"({"delay":{"days":1},"variants":[{"text":"Old three"},{"name":"short","text":"3"}]})";
  const auto applied = engine.update(campaign(one + "," + new_thread_two + "," + split_three, 1), {.edit_steps = true});
  REQUIRE(applied.has_value());
  CHECK(*applied == std::vector<std::string>{"sequence: version 1 -> 2", "step 2: thread reply -> new",
                                             "step 2: reworded (variant A: subject)",
                                             "step 3: variants changed (names, weights or number)"});
  engine.simulate(clock, at("2026-12-10T00:00:00Z"));
  const auto summary = engine.summary();
  const auto& steps = summary.campaigns.at(0).steps;
  REQUIRE(steps.size() == 3);
  REQUIRE(steps[2].variants.size() == 2);
  CHECK(steps[2].variants[0].sent + steps[2].variants[1].sent == 3);
  for (const Event& event : sent_events(store)) {
    if (event.step == 2) CHECK(event.subject == "S");  // a thread of its own now
  }
}

TEST_CASE("a changed delay applies to the waits that begin after it, and a restart after an edit goes on the same way") {
  // The same campaign twice: once by one engine, once stopped right after the edit and resumed
  // from its store. Every send is the same, at the same instant, from the same version.
  const TempDir dir("edited-steps-restart");
  const std::string longer_two = R"({"delay":{"days":3},"variants":[{"text":"Two, later"}]})";
  using Send = std::tuple<std::string, std::string, int, int, std::string>;  // at, lead, step, version, subject
  const auto run = [&](const std::filesystem::path& path, bool restart) {
    {
      auto store = SqliteStore::open(path);
      REQUIRE(store);
      DryRunTransport transport;
      ManualClock clock{at("2026-12-01T09:00:00Z")};
      Engine engine{**store, transport, clock};
      REQUIRE(engine.add_campaign(campaign(one + "," + two + "," + three, 10)));
      REQUIRE(engine.start("c"));
      engine.simulate(clock, at("2026-12-01T09:25:00Z"));  // step 1 of the first three leads
      const auto changes = engine.update(campaign(one + "," + longer_two, 1), {.edit_steps = true});
      REQUIRE(changes.has_value());
      CHECK(changes->at(1) == "step 2: delay 1 day -> 3 days");
      if (!restart) engine.simulate(clock, at("2026-12-12T00:00:00Z"));
    }
    if (restart) {
      auto store = SqliteStore::open(path);
      REQUIRE(store);
      DryRunTransport transport;
      ManualClock clock{at("2026-12-01T09:25:00Z")};
      Engine engine{**store, transport, clock};
      REQUIRE(restore_campaigns(engine, **store));
      engine.simulate(clock, at("2026-12-12T00:00:00Z"));
    }
    auto store = SqliteStore::open(path, {.durability = StoreDurability::process,
                                          .access = StoreAccess::read,
                                          .busy_timeout = std::chrono::milliseconds(5000),
                                          .check_integrity = true});
    REQUIRE(store);
    std::vector<Send> sends;
    for (const Event& event : sent_events(**store)) {
      sends.emplace_back(format_instant(event.at), event.lead, event.step, event.sequence_version, event.subject);
    }
    const auto summary = summarize_store(**store);
    REQUIRE(summary.has_value());
    return std::pair{sends, summary->campaigns.at(0).leads};
  };
  const auto [straight, straight_leads] = run(dir.path / "straight.db", false);
  const auto [resumed, resumed_leads] = run(dir.path / "resumed.db", true);
  CHECK(straight == resumed);
  CHECK(straight_leads == resumed_leads);
  // Every step 2 has the new text. The three leads waiting when the delay changed got it a
  // day after step 1, the wait they began with; the seven whose step 1 went after, three days.
  int early_twos = 0;
  int late_twos = 0;
  for (const auto& [when, lead, step, version, subject] : straight) {
    if (step != 2) continue;
    CHECK(version == 2);
    if (when < "2026-12-03T00:00:00Z") {
      ++early_twos;
    } else {
      ++late_twos;
      CHECK(when >= "2026-12-04T09:30:00Z");
    }
  }
  CHECK(early_twos == 3);
  CHECK(late_twos == 7);
  CHECK(straight_leads.at("completed") == 10);
}

TEST_CASE("a step removed and added again keeps the thread and A/B split it was sent with") {
  StartedCampaign started(campaign(one + "," + two + "," + three, 2));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-04T00:00:00Z"));  // every step went
  REQUIRE(engine.update(campaign(one + "," + two, 1), {.edit_steps = true}));
  const std::string split_three = R"({"delay":{"days":1},"variants":[{"text":"3"},{"name":"short","text":"3"}]})";
  const auto refused = engine.update(campaign(one + "," + two + "," + split_three, 1), {.edit_steps = true});
  REQUIRE_FALSE(refused.has_value());
  CHECK(contains(refused.error().message(), "step 3 has been sent"));
  // Added again as it was sent, its counts are still there.
  REQUIRE(engine.update(campaign(one + "," + two + "," + three, 1), {.edit_steps = true}));
  CHECK(engine.summary().campaigns.at(0).steps.at(2).variants.at(0).sent == 2);
}

TEST_CASE("a first message left in doubt names its version, and its thread goes on from it") {
  int sends = 0;
  const auto first_lost = [&](const Mailbox&, const Message&) {
    if (++sends > 1) return SendOutcome::accept();
    SendOutcome lost;  // the whole message went, the reply did not come back
    lost.kind = SendOutcome::Kind::temporary;
    lost.maybe_delivered = true;
    lost.sender_side = true;
    lost.reason = "the server closed the connection after the message";
    return lost;
  };
  StartedCampaign started(campaign(one + "," + two, 1), first_lost);
  auto& [store, transport, clock, engine] = started;
  const std::string hello = R"({"variants":[{"subject":"Hello {{first_name}}","text":"One"}]})";
  REQUIRE(engine.update(campaign(hello + "," + two, 1), {.edit_steps = true}));
  engine.simulate(clock, at("2026-12-04T00:00:00Z"));
  Event doubt;
  for (const Event& event : store.events()) {
    if (event.type == EventType::in_doubt) doubt = event;
  }
  REQUIRE(doubt.type == EventType::in_doubt);
  CHECK(doubt.sequence_version == 2);
  const auto sent = sent_events(store);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].subject == "Re: Hello L0");
}

TEST_CASE("an update request with edit_steps reads back as written and edits the steps") {
  StartedCampaign started(campaign(one + "," + two + "," + three, 2));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T12:00:00Z"));
  Request request;
  request.action = RequestAction::update;
  request.campaign = "c";
  request.definition = campaign(one + "," + two, 1).to_json();
  request.edit_steps = true;
  const auto read = request_from_json(to_json(request));
  REQUIRE(read.has_value());
  CHECK(read->edit_steps);
  const auto id = store.queue_request(to_json(request), clock.now());
  REQUIRE(id.has_value());
  REQUIRE(engine.apply_waiting().has_value());
  const RequestAnswer answer = answer_of(store, *id);
  CHECK(answer.applied);
  CHECK(answer.changes == std::vector<std::string>{"sequence: version 1 -> 2", "step 3: removed"});
}

}  // TEST_SUITE
