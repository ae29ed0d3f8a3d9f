// Growing and changing a campaign while it runs: leads added (kept in the store apart from the
// definition, brought back by a restart, each sent every step once) and settings changed (each
// change an event, a lowered limit honoured the same day, what the past depends on refused).
// The real processes are in tests/cli/test_cli_steer.py.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "engine/lead_book.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/request.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"

using namespace outreach;
using outreach::test::answer_of;
using outreach::test::at;
using outreach::test::definition;
using outreach::test::leads_json;
using outreach::test::TempDir;

namespace {

Lead lead(std::string email) {
  Lead made;
  made.email = std::move(email);
  made.first_name = "New";
  return made;
}

Request add_leads_request(std::vector<Lead> leads) {
  Request request;
  request.action = RequestAction::add_leads;
  request.campaign = "c";
  request.leads = std::move(leads);
  return request;
}

// Sends per (lead, step) that went out.
std::map<std::pair<std::string, int>, int> sends_of(const Store& store) {
  std::map<std::pair<std::string, int>, int> sends;
  store.for_each_event("c", [&](const Event& event) {
    if (event.type == EventType::sent) ++sends[{event.lead, event.step}];
  });
  return sends;
}

}  // namespace

TEST_SUITE("test_engine") {

TEST_CASE("leads added one at a time with no first delay join the ready queue of their zone, in order") {
  const CampaignDefinition def = definition(leads_json(2));
  for (const bool delayed : {false, true}) {
    CAPTURE(delayed);
    detail::LeadBook book;
    std::vector<Lead> leads = def.leads;
    REQUIRE(book.load(leads));
    const Delay none{};
    Delay two_days;
    two_days.days = 2;
    const Delay& first = delayed ? two_days : none;
    book.enter(leads, def.schedule, first, at("2026-12-01T09:00:00Z"));
    for (int i = 0; i < 100; ++i) {
      leads.push_back(lead("one" + std::to_string(i) + "@example.com"));
      const auto index = book.add(leads.back().key());
      REQUIRE(index.has_value());
      book.enter_from(*index, leads, def.schedule, first, at("2026-12-03T09:00:00Z") + std::chrono::minutes(i));
    }
    CHECK(!book.add("one0@example.com").has_value());
    if (delayed) {
      CHECK(book.pending().size() == 101);  // each waits for its own delay
    } else {
      REQUIRE(book.pending().size() == 1);
      const std::vector<std::uint32_t>& queued = book.pending().front().leads;
      CHECK(queued.size() == 102);
      CHECK(std::is_sorted(queued.begin(), queued.end()));
    }
  }
}

TEST_CASE("an add_leads request reads back as written, and a bad lead is named by its JSON path") {
  const Request request = add_leads_request({lead("ann@example.com"), lead("bob@example.com")});
  const auto read = request_from_json(to_json(request));
  REQUIRE(read.has_value());
  CHECK(*read == request);
  const auto bad = request_from_json(R"({"action":"add_leads","campaign":"c","leads":[{"email":"ann@example.com"},{"email":"not an address"}]})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().to_string().find("leads[1].email") != std::string::npos);
  CHECK_FALSE(request_from_json(R"({"action":"add_leads","campaign":"c","leads":[]})").has_value());
  CHECK_FALSE(request_from_json(R"({"action":"update","campaign":"c"})").has_value());
}

TEST_CASE("leads added to a running campaign each get every step once; those in it or suppressed are counted") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  REQUIRE(engine.add_campaign(definition(leads_json(3))));
  REQUIRE(engine.start("c"));
  // The first leads are through with both steps: the campaign has finished.
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  CHECK(engine.summary().campaigns.at(0).status == "finished");
  REQUIRE(store.suppress("blocked@example.com", "manual"));

  const auto id = ask(store,
                      add_leads_request({lead("new1@example.com"), lead("LEAD0@example.com"), lead("blocked@example.com"),
                                         lead("new2@example.com"), lead("new1@example.com")}),
                      clock.now());
  REQUIRE(id.has_value());
  REQUIRE(engine.apply_waiting().has_value());
  const RequestAnswer answer = answer_of(store, *id);
  CHECK(answer.applied);
  CHECK(answer.changed == 2);
  CHECK(answer.already_in == 2);
  CHECK(answer.suppressed == 1);
  CHECK(answer.message == "2 leads added to campaign \"c\" (2 already in it, 1 suppressed, left out)");

  engine.simulate(clock, at("2026-12-12T00:00:00Z"));
  const auto sends = sends_of(store);
  for (const char* added : {"new1@example.com", "new2@example.com"}) {
    CHECK(sends.at({added, 1}) == 1);
    CHECK(sends.at({added, 2}) == 1);
  }
  CHECK(sends.at({"lead0@example.com", 1}) == 1);
  CHECK(sends.count({"blocked@example.com", 1}) == 0);
  CHECK(sends.size() == 10);
  // New leads go in file order, after the ones before them.
  std::vector<std::string> first_steps;
  store.for_each_event("c", [&](const Event& event) {
    if (event.type == EventType::sent && event.step == 1) first_steps.push_back(event.lead);
  });
  CHECK(first_steps == std::vector<std::string>{"lead0@example.com", "lead1@example.com", "lead2@example.com",
                                                "new1@example.com", "new2@example.com"});
  CHECK(engine.summary().campaigns.at(0).status == "finished");
  CHECK_FALSE(engine.add_leads("nope", {lead("x@example.com")}).has_value());
  // Past its end, a campaign takes no more leads.
  REQUIRE(engine.update(definition(leads_json(1), "", R"({"timezone":"UTC","start":"2026-12-01","end":"2026-12-20"})")));
  clock.set(at("2026-12-21T00:00:00Z"));
  const auto ended = engine.add_leads("c", {lead("late@example.com")});
  REQUIRE_FALSE(ended.has_value());
  CHECK(ended.error().message().find("has ended") != std::string::npos);
  REQUIRE(engine.stop("c"));
  CHECK(engine.add_leads("c", {lead("x@example.com")}).error().code() == Errc::invalid_argument);
}

TEST_CASE("added leads are kept apart from the definition, come back after a restart, and are forgotten") {
  const TempDir dir("live-added");
  const auto path = dir.path / "store.db";
  std::string definition_before;
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(definition(leads_json(2))));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T12:00:00Z"));
    definition_before = (*store)->campaign("c")->definition;
    const auto added = engine.add_leads("c", {lead("new1@example.com"), lead("new2@example.com")});
    REQUIRE(added.has_value());
    CHECK(added->added == 2);
    // The first added lead gets its first step; the engine stops before the second's.
    engine.simulate(clock, at("2026-12-01T12:00:00Z"));
    CHECK(sends_of(**store).count({"new1@example.com", 1}) == 1);
  }
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    CHECK((*store)->campaign("c")->definition == definition_before);
    std::vector<std::string> kept;
    (*store)->for_each_added_lead("c", [&](const AddedLead& added) { kept.push_back(added.address); });
    CHECK(kept == std::vector<std::string>{"new1@example.com", "new2@example.com"});

    DryRunTransport transport;
    ManualClock clock{at("2026-12-02T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(restore_campaigns(engine, **store));
    engine.simulate(clock, at("2026-12-10T00:00:00Z"));
    const auto sends = sends_of(**store);
    for (const char* address : {"lead0@example.com", "lead1@example.com", "new1@example.com", "new2@example.com"}) {
      CHECK(sends.at({address, 1}) == 1);
      CHECK(sends.at({address, 2}) == 1);
    }
    CHECK(sends.size() == 8);

    // `status` sees them too (a view over the store).
    const auto summary = summarize_store(**store);
    REQUIRE(summary.has_value());
    CHECK(summary->campaigns.at(0).leads.at("completed") == 4);

    REQUIRE((*store)->forget("NEW2@example.com"));
    kept.clear();
    (*store)->for_each_added_lead("c", [&](const AddedLead& added) { kept.push_back(added.address); });
    CHECK(kept == std::vector<std::string>{"new1@example.com"});
  }
}

TEST_CASE("forget takes an address out of the leads of a waiting add_leads request, and drops an answered one") {
  for (const bool sqlite : {false, true}) {
    CAPTURE(sqlite);
    const TempDir dir("live-forget-request");
    MemoryStore memory;
    std::unique_ptr<SqliteStore> file;
    if (sqlite) file = std::move(*SqliteStore::open(dir.path / "store.db"));
    Store& store = sqlite ? static_cast<Store&>(*file) : memory;
    const Instant now = at("2026-12-01T09:00:00Z");
    const auto waiting = ask(store, add_leads_request({lead("ann@example.com"), lead("bob@example.com")}), now);
    const auto answered = ask(store, add_leads_request({lead("ann@example.com")}), now);
    REQUIRE(waiting.has_value());
    REQUIRE(answered.has_value());
    REQUIRE(store.answer_request(*answered, R"({"applied":true,"message":"","sends_before":0,"changed":1})", now));
    REQUIRE(store.forget("ANN@example.com"));
    CHECK_FALSE(store.request(*answered).has_value());
    const auto left = request_from_json(store.request(*waiting)->body);
    REQUIRE(left.has_value());
    REQUIRE(left->leads.size() == 1);
    CHECK(left->leads[0].email == "bob@example.com");
  }
}

TEST_CASE("a lowered daily limit is honoured the same day, and each change is an event with before and after") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  const std::string spaced = R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000,"min_interval":{"minutes":10}}])";
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  REQUIRE(engine.add_campaign(definition(leads_json(40), R"(,"limits":{"sends_per_day":30})", schedule, spaced)));
  REQUIRE(engine.start("c"));
  engine.simulate(clock, at("2026-12-01T09:45:00Z"));
  REQUIRE(transport.sent().size() == 5);

  const auto changes =
      engine.update(definition(leads_json(1), R"(,"limits":{"sends_per_day":8})", schedule, spaced));
  REQUIRE(changes.has_value());
  CHECK(*changes == std::vector<std::string>{"limits.sends_per_day: 30 -> 8"});
  engine.simulate(clock, at("2026-12-01T23:59:00Z"));
  CHECK(transport.sent().size() == 8);
  engine.simulate(clock, at("2026-12-02T23:59:00Z"));
  CHECK(transport.sent().size() == 16);

  std::vector<Event> changed;
  for (const Event& event : store.events()) {
    if (event.type == EventType::campaign_changed) changed.push_back(event);
  }
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].setting == "limits.sends_per_day");
  CHECK(changed[0].before == "30");
  CHECK(changed[0].after == "8");
  const auto line = parse_event_line(to_json_line(changed[0]));
  REQUIRE(line.has_value());
  CHECK(*line == changed[0]);
  CHECK(to_json_line(changed[0]).find(R"("before":30,"after":8)") != std::string::npos);

  // The same file again changes nothing.
  const auto again = engine.update(definition(leads_json(1), R"(,"limits":{"sends_per_day":8})", schedule, spaced));
  REQUIRE(again.has_value());
  CHECK(again->empty());
}

TEST_CASE("with secrets required, a campaign whose unsubscribe links anyone could forge is refused, added or updated") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  engine.require_unsubscribe_secrets();
  const std::string tokens = R"(,"unsubscribe":{"url":"https://acme.example/u/{{token}}","secret_env":"OUTREACH_TEST_SECRET"})";
  const auto refused = engine.add_campaign(definition(leads_json(2), tokens), CampaignSecrets{});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("OUTREACH_TEST_SECRET, which is not set: anyone could forge") != std::string::npos);
  CHECK(engine.mailboxes().empty());  // nothing of it was kept
  const auto short_one = engine.add_campaign(definition(leads_json(2), tokens), CampaignSecrets{"fifteen bytes!!"});
  REQUIRE_FALSE(short_one.has_value());
  CHECK(short_one.error().message().find("shorter than 16 bytes") != std::string::npos);
  // Without tokens (or with a secret long enough) it goes; an update may not take the secret away.
  REQUIRE(engine.add_campaign(definition(leads_json(2))));
  REQUIRE(engine.start("c"));
  ::unsetenv("OUTREACH_TEST_SECRET");
  const auto update = engine.update(definition(leads_json(1), tokens));
  REQUIRE_FALSE(update.has_value());
  CHECK(update.error().message().find("unsubscribe.secret_env: OUTREACH_TEST_SECRET holds no secret of at least 16 bytes") !=
        std::string::npos);
  ::setenv("OUTREACH_TEST_SECRET", "a secret of thirty-two bytes....", 1);
  CHECK(engine.update(definition(leads_json(1), tokens)).has_value());
  ::unsetenv("OUTREACH_TEST_SECRET");
}

TEST_CASE("an update that would change the campaign's past is refused as a whole, with every reason") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  const std::string two = R"([{"id":"m1","from":"m1@acme.example","daily_limit":50},{"id":"m2","from":"m2@acme.example","daily_limit":50}])";
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  REQUIRE(engine.add_campaign(definition(leads_json(4), "", schedule, two)));
  REQUIRE(engine.start("c"));
  engine.simulate(clock, at("2026-12-01T12:00:00Z"));  // first steps out; follow-ups wait on both mailboxes
  const std::size_t events = store.events().size();

  auto changed = definition(leads_json(1), R"(,"seed":7,"limits":{"sends_per_day":2})",
                            R"({"timezone":"Europe/Paris","start":"2026-12-01"})",
                            R"([{"id":"m1","from":"m1@acme.example","daily_limit":50}])");
  const auto refused = engine.update(changed);
  REQUIRE_FALSE(refused.has_value());
  const std::string why = refused.error().message();
  CHECK(why.find("seed") != std::string::npos);
  CHECK(why.find("schedule.timezone cannot change") != std::string::npos);
  CHECK(store.events().size() == events);

  // Steps change only when asked; a campaign of that name must exist.
  Request request;
  request.action = RequestAction::update;
  request.campaign = "c";
  auto other_steps = definition(leads_json(1), "", schedule, two);
  const auto same = engine.update(other_steps);
  REQUIRE(same.has_value());
  CHECK(same->empty());
  const std::string edited = R"({"name":"c","sequence":{"steps":[{"variants":[{"subject":"Hi","text":"Hello!"}]}]},)"
                             R"("leads":[{"email":"a@example.com"}],"schedule":)" + schedule +
                             R"(,"mailboxes":)" + two + "}";
  request.definition = edited;
  // The stored request keeps no leads.
  CHECK(to_json(request).find("a@example.com") == std::string::npos);
  const auto id = ask(store, request, clock.now());
  REQUIRE(id.has_value());
  REQUIRE(engine.apply_waiting().has_value());
  const RequestAnswer answer = answer_of(store, *id);
  CHECK_FALSE(answer.applied);
  CHECK(answer.message.find("edited steps are applied only when asked") != std::string::npos);

  // A mailbox added, and one no lead waits on removed, are applied.
  const auto added = engine.update(definition(leads_json(1), "", schedule,
                                               R"([{"id":"m1","from":"m1@acme.example","daily_limit":50},{"id":"m2","from":"m2@acme.example","daily_limit":50},)"
                                               R"({"id":"m3","from":"m3@acme.example","daily_limit":5}])"));
  REQUIRE(added.has_value());
  REQUIRE(added->size() == 1);
  CHECK(added->front().starts_with("mailboxes[m3]: null -> {"));
  CHECK(engine.mailboxes().size() == 3);
}

}  // TEST_SUITE
