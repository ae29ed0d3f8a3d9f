// Mailbox trouble: a mailbox whose sends fail on its side (its login refused, its server out of
// reach) is disabled after its failures in a row, and its campaigns go on with their other
// mailboxes; a mailbox disabled or removed holds the follow-ups of the leads it started (their
// thread) unless the campaign moves them; `mailbox_disabled` survives a restart. A real server
// refusing a login is in tests/cli/test_cli_steer.py.
#include <doctest/doctest.h>


#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
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
using outreach::test::definition;
using outreach::test::leads_json;
using outreach::test::StartedCampaign;
using outreach::test::TempDir;

namespace {

const std::string two_mailboxes =
    R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000,"disable_after_failures":3},)"
    R"({"id":"m2","from":"m2@acme.example","daily_limit":1000}])";

// m1's login is refused; m2 takes everything.
SendOutcome login_refused_on_m1(const Mailbox& mailbox, const Message&) {
  if (mailbox.id != "m1") return SendOutcome::accept();
  SendOutcome refused;
  refused.kind = SendOutcome::Kind::temporary;
  refused.code = 535;
  refused.status = "5.7.8";
  refused.reason = "authentication failed (AUTH: 535 5.7.8 bad credentials)";
  refused.sender_side = true;
  return refused;
}

std::vector<Event> events_of(const Store& store, EventType type) {
  std::vector<Event> found;
  store.for_each_event("c", [&](const Event& event) {
    if (event.type == type) found.push_back(event);
  });
  return found;
}

// Mailbox by (lead, step) of the sends that went out.
std::map<std::pair<std::string, int>, std::string> senders(const Store& store) {
  std::map<std::pair<std::string, int>, std::string> sent;
  for (const Event& event : events_of(store, EventType::sent)) sent[{event.lead, event.step}] = event.mailbox;
  return sent;
}

// The first campaign's trouble with the mailbox, if any (a copy: summaries are temporaries).
std::optional<MailboxTrouble> trouble_of(const Summary& summary, const std::string& mailbox) {
  for (const MailboxTrouble& entry : summary.campaigns.at(0).mailbox_trouble) {
    if (entry.mailbox == mailbox) return entry;
  }
  return std::nullopt;
}

}  // namespace

TEST_SUITE("engine.mailbox_trouble") {

TEST_CASE("a mailbox whose login fails is disabled after its failures in a row; the campaign goes on with the other") {
  StartedCampaign started(definition(leads_json(10), "", R"({"timezone":"UTC","start":"2026-12-01"})", two_mailboxes), login_refused_on_m1);
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-10T00:00:00Z"));

  const auto disabled = events_of(store, EventType::mailbox_disabled);
  REQUIRE(disabled.size() == 1);
  CHECK(disabled[0].mailbox == "m1");
  CHECK(disabled[0].reason.starts_with("3 sends in a row failed on the mailbox's side; the last: authentication failed"));
  // The three leads deferred on m1 went from m2 when they were tried again: nobody is lost.
  CHECK(events_of(store, EventType::deferred).size() == 3);
  const auto sent = senders(store);
  CHECK(sent.size() == 20);
  for (const auto& [send, mailbox] : sent) CHECK(mailbox == "m2");
  const Summary summary = engine.summary();
  CHECK(summary.campaigns.at(0).leads.at("completed") == 10);
  const std::optional<MailboxTrouble> m1 = trouble_of(summary, "m1");
  REQUIRE(m1.has_value());
  CHECK(m1->disabled);
  CHECK(m1->waiting == 0);
  CHECK(to_text(summary).find("mailbox m1: disabled (3 sends in a row failed") != std::string::npos);
  CHECK(to_json(summary).find(R"("mailbox_trouble":[{"mailbox":"m1","state":"disabled")") != std::string::npos);

  // Enabled again: the count starts over, and it is an event.
  REQUIRE(engine.enable_mailbox("m1"));
  CHECK(events_of(store, EventType::mailbox_enabled).size() == 1);
  CHECK(engine.summary().campaigns.at(0).mailbox_trouble.empty());
  CHECK_FALSE(engine.enable_mailbox("nobody").has_value());
}

TEST_CASE("failures of the recipient's, or a mailbox set never to be disabled, disable nothing") {
  const auto refused_recipient = [](const Mailbox&, const Message&) {
    SendOutcome refused;
    refused.kind = SendOutcome::Kind::permanent;
    refused.code = 550;
    refused.status = "5.7.1";
    refused.reason = "RCPT TO: 550 5.7.1 refused";
    return refused;  // the recipient's: not the mailbox's
  };
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  StartedCampaign recipients(
      definition(leads_json(6), "", schedule,
                 R"([{"id":"m1","from":"m1@acme.example","daily_limit":50,"disable_after_failures":2}])"),
      refused_recipient);
  recipients.run_until("2026-12-03T00:00:00Z");
  CHECK(events_of(recipients.store, EventType::failed).size() == 6);
  CHECK(events_of(recipients.store, EventType::mailbox_disabled).empty());

  StartedCampaign never(definition(leads_json(6), "", schedule,
                                   R"([{"id":"m1","from":"m1@acme.example","daily_limit":50,"disable_after_failures":0}])"),
                        login_refused_on_m1);
  never.run_until("2026-12-02T00:00:00Z");
  CHECK(events_of(never.store, EventType::deferred).size() >= 6);
  CHECK(events_of(never.store, EventType::mailbox_disabled).empty());
}

TEST_CASE("the follow-ups of a disabled mailbox wait for it, and go when it is enabled or when the campaign moves them") {
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  StartedCampaign started(definition(leads_json(4), "", schedule, two_mailboxes));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T12:00:00Z"));  // step 1 from both mailboxes
  std::set<std::string> on_m1;
  for (const auto& [send, mailbox] : senders(store)) {
    if (mailbox == "m1") on_m1.insert(send.first);
  }
  REQUIRE(on_m1.size() == 2);

  REQUIRE(engine.disable_mailbox("m1"));
  const auto disabled = events_of(store, EventType::mailbox_disabled);
  REQUIRE(disabled.size() == 1);
  CHECK(disabled[0].reason == "request");
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  for (const std::string& lead : on_m1) CHECK(senders(store).count({lead, 2}) == 0);
  CHECK(senders(store).size() == 6);  // m2's leads got step 2
  const std::optional<MailboxTrouble> m1 = trouble_of(engine.summary(), "m1");
  REQUIRE(m1.has_value());
  CHECK(m1->waiting == 2);
  CHECK(to_text(engine.summary()).find("mailbox m1: disabled (request); 2 leads wait for follow-ups from it") !=
        std::string::npos);

  SUBCASE("enabled: they go from it, in their thread") {
    REQUIRE(engine.enable_mailbox("m1"));
    engine.simulate(clock, at("2026-12-06T00:00:00Z"));
    for (const std::string& lead : on_m1) CHECK(senders(store).at({lead, 2}) == "m1");
  }
  SUBCASE("moved by the campaign's settings: they go from the other mailbox") {
    const auto changes = engine.update(definition(leads_json(1), R"(,"reassign_follow_ups":true)", schedule, two_mailboxes));
    REQUIRE(changes.has_value());
    CHECK(*changes == std::vector<std::string>{"reassign_follow_ups: false -> true"});
    engine.simulate(clock, at("2026-12-06T00:00:00Z"));
    for (const std::string& lead : on_m1) CHECK(senders(store).at({lead, 2}) == "m2");
    CHECK(trouble_of(engine.summary(), "m1")->waiting == 0);
  }
  CHECK(engine.summary().campaigns.at(0).leads.at("completed") == 4);
}

TEST_CASE("a lead held twice for its mailbox, an auto-reply between, gets its follow-up once") {
  // Accepts everything, four messages at a time as SMTP takes them: a send decided is handed
  // over only when its group is full, so a lead queued twice could be decided twice.
  class GroupedTransport final : public Transport {
   public:
    SendOutcome send(const Mailbox&, const Message&) override { return SendOutcome::accept(); }
    [[nodiscard]] std::size_t group_size() const override { return 4; }
  };
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  MemoryStore store;
  GroupedTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  REQUIRE(engine.add_campaign(
      definition(leads_json(2), R"(,"stop_on":{"auto_reply":"pause_until_return"})", schedule, two_mailboxes)));
  REQUIRE(engine.start("c"));
  const auto run_until = [&](const char* until) { engine.simulate(clock, at(until)); };
  run_until("2026-12-01T12:00:00Z");
  REQUIRE(senders(store).at({"lead0@example.com", 1}) == "m1");
  REQUIRE(engine.disable_mailbox("m1"));
  run_until("2026-12-03T12:00:00Z");  // its step 2 came due: held
  InboundEvent away;
  away.at = clock.now();
  away.lead = "lead0@example.com";
  away.type = InboundType::auto_reply;
  away.return_date = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{12}, std::chrono::day{5}};
  REQUIRE(engine.apply(away));
  run_until("2026-12-06T12:00:00Z");  // back, resumed: held again
  REQUIRE(senders(store).count({"lead0@example.com", 2}) == 0);
  REQUIRE(engine.enable_mailbox("m1"));
  run_until("2026-12-08T00:00:00Z");
  int second_steps = 0;
  for (const Event& event : events_of(store, EventType::sent)) {
    if (event.lead == "lead0@example.com" && event.step == 2) ++second_steps;
  }
  CHECK(second_steps == 1);
}

TEST_CASE("a mailbox given back after a restart counts the sends it made before it was removed") {
  const TempDir dir("mailbox-given-back");
  const auto path = dir.path / "store.db";
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  const std::string limited = R"([{"id":"m1","from":"m1@acme.example","daily_limit":2},)"
                              R"({"id":"m2","from":"m2@acme.example","daily_limit":2}])";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(definition(leads_json(6), "", schedule, limited)));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T10:00:00Z"));  // two first steps from each: both full today
    REQUIRE(engine.update(definition(leads_json(1), "", schedule, R"([{"id":"m2","from":"m2@acme.example","daily_limit":2}])")));
  }
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T10:00:00Z")};
  Engine engine{**store, transport, clock};
  REQUIRE(restore_campaigns(engine, **store));
  REQUIRE(engine.update(definition(leads_json(1), "", schedule, limited)));
  engine.simulate(clock, at("2026-12-01T23:00:00Z"));
  CHECK(senders(**store).size() == 4);  // m1 sent its two of the day before it was removed
}

TEST_CASE("a mailbox one campaign's settings disable stays disabled whatever the others say, and a clock set back changes nothing") {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  CampaignDefinition off = definition(leads_json(2), "", schedule,
                                      R"([{"id":"m1","from":"m1@acme.example","daily_limit":9,"disabled":true}])");
  off.name = "a";
  CampaignDefinition on = definition(leads_json(2), "", schedule, R"([{"id":"m1","from":"m1@acme.example","daily_limit":9}])");
  on.name = "b";
  REQUIRE(engine.add_campaign(std::move(off)));
  REQUIRE(engine.add_campaign(std::move(on)));  // its settings are used for m1 from now on
  REQUIRE(engine.start("a"));
  REQUIRE(engine.start("b"));
  CHECK(engine.summary().campaigns.at(1).mailbox_trouble.size() == 1);
  CHECK_FALSE(engine.enable_mailbox("m1").has_value());
  CHECK(store.mailbox_states().at(0).disabled);

  // An engine whose clock is behind the one that disabled the mailbox still enables it.
  MemoryStore shared;
  MemoryTransport other_transport;
  {
    ManualClock ahead{at("2026-12-01T10:00:00Z")};
    Engine first{shared, other_transport, ahead};
    REQUIRE(first.add_campaign(definition(leads_json(1), "", schedule, two_mailboxes)));
    REQUIRE(first.disable_mailbox("m1"));
  }
  ManualClock behind{at("2026-12-01T09:00:00Z")};
  Engine second{shared, other_transport, behind};
  REQUIRE(second.add_campaign(definition(leads_json(1), "", schedule, two_mailboxes)));
  REQUIRE(second.summary().campaigns.at(0).mailbox_trouble.size() == 1);
  REQUIRE(second.enable_mailbox("m1"));
  CHECK(second.summary().campaigns.at(0).mailbox_trouble.empty());
  CHECK(shared.mailbox_states().at(0) == MailboxState{"m1", false, "request", at("2026-12-01T10:00:00Z")});
}

TEST_CASE("a mailbox disabled by its settings is enabled again only by its settings") {
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  StartedCampaign started(definition(leads_json(4), "", schedule, two_mailboxes));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T12:00:00Z"));
  const std::string m1_off = R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000,"disable_after_failures":3,"disabled":true},)"
                             R"({"id":"m2","from":"m2@acme.example","daily_limit":1000}])";
  const auto off = engine.update(definition(leads_json(1), "", schedule, m1_off));
  REQUIRE(off.has_value());
  CHECK(*off == std::vector<std::string>{"mailboxes[m1].disabled: false -> true"});
  const auto disabled = events_of(store, EventType::mailbox_disabled);
  REQUIRE(disabled.size() == 1);
  CHECK(disabled[0].reason == "settings");
  const auto refused = engine.enable_mailbox("m1");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("disabled by its settings") != std::string::npos);
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  CHECK(trouble_of(engine.summary(), "m1")->waiting == 2);

  REQUIRE(engine.update(definition(leads_json(1), "", schedule, two_mailboxes)));
  const auto enabled = events_of(store, EventType::mailbox_enabled);
  REQUIRE(enabled.size() == 1);
  CHECK(enabled[0].reason == "settings");
  engine.simulate(clock, at("2026-12-06T00:00:00Z"));
  CHECK(engine.summary().campaigns.at(0).leads.at("completed") == 4);
}

TEST_CASE("a mailbox removed from the campaign holds its follow-ups, and says so") {
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  StartedCampaign started(definition(leads_json(4), "", schedule, two_mailboxes));
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T12:00:00Z"));
  const auto changes =
      engine.update(definition(leads_json(1), "", schedule, R"([{"id":"m2","from":"m2@acme.example","daily_limit":1000}])"));
  REQUIRE(changes.has_value());
  REQUIRE(changes->size() == 2);
  CHECK(changes->at(0).starts_with("mailboxes[m1]: {"));
  CHECK(changes->at(1) == "mailboxes[m1]: 2 leads wait for follow-ups from it (reassign_follow_ups moves them)");
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  const Summary summary = engine.summary();
  const std::optional<MailboxTrouble> m1 = trouble_of(summary, "m1");
  REQUIRE(m1.has_value());
  CHECK_FALSE(m1->disabled);
  CHECK(m1->waiting == 2);
  CHECK(to_text(summary).find("mailbox m1: removed from the campaign; 2 leads wait for follow-ups from it") !=
        std::string::npos);
  CHECK(summary.campaigns.at(0).leads.at("completed") == 2);
}

TEST_CASE("leads held while every mailbox is disabled go when any one of them is enabled") {
  StartedCampaign started(definition(leads_json(6), "", R"({"timezone":"UTC","start":"2026-12-01"})", two_mailboxes), login_refused_on_m1);
  auto& [store, transport, clock, engine] = started;
  engine.simulate(clock, at("2026-12-01T09:00:00Z"));  // m1 fails three first steps and is disabled
  REQUIRE(events_of(store, EventType::mailbox_disabled).size() == 1);
  REQUIRE(engine.disable_mailbox("m2"));
  engine.simulate(clock, at("2026-12-02T00:00:00Z"));  // the deferred leads come due: nothing can send
  const auto before = senders(store).size();
  // m2 back: the leads deferred on m1, held since, go from it.
  REQUIRE(engine.enable_mailbox("m2"));
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  CHECK(before < 12);
  CHECK(senders(store).size() == 12);
  for (const auto& [send, mailbox] : senders(store)) CHECK(mailbox == "m2");
  CHECK(engine.summary().campaigns.at(0).leads.at("completed") == 6);
}

TEST_CASE("after a restart, a mailbox removed from the campaign still holds the follow-ups of its leads") {
  const TempDir dir("removed-mailbox");
  const auto path = dir.path / "store.db";
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  const std::string only_m2 = R"([{"id":"m2","from":"m2@other.example","daily_limit":1000}])";
  const std::string two_domains = R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000},)"
                                  R"({"id":"m2","from":"m2@other.example","daily_limit":1000}])";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(definition(leads_json(4), "", schedule, two_domains)));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T12:00:00Z"));
    REQUIRE(engine.update(definition(leads_json(1), "", schedule, only_m2)));
  }
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T12:00:00Z")};
  Engine engine{**store, transport, clock};
  REQUIRE(restore_campaigns(engine, **store));
  CHECK(engine.mailboxes().size() == 1);  // the removed one is known only for its leads
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  const std::optional<MailboxTrouble> m1 = trouble_of(engine.summary(), "m1");
  REQUIRE(m1.has_value());
  CHECK(m1->waiting == 2);
  CHECK(transport.sent().size() == 2);  // m2's own leads' step 2
  CHECK_FALSE(engine.disable_mailbox("m1").has_value());  // no campaign has it now

  // Moved by the settings, their follow-ups thread with the messages m1 sent (its domain's
  // Message-IDs), from m2.
  REQUIRE(engine.update(definition(leads_json(1), R"(,"reassign_follow_ups":true)", schedule, only_m2)));
  engine.simulate(clock, at("2026-12-06T00:00:00Z"));
  REQUIRE(transport.sent().size() == 4);
  const std::string& moved = transport.sent().back().message.data;
  CHECK(moved.find("From: m2@other.example") != std::string::npos);
  CHECK(moved.find("In-Reply-To: <") != std::string::npos);
  CHECK(moved.find("@acme.example>") != std::string::npos);
}

TEST_CASE("the store keeps each mailbox's latest state, on which every campaign sharing it agrees after a restart") {
  const TempDir dir("shared-mailbox");
  const auto path = dir.path / "store.db";
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  const auto named = [&](const char* name, const std::string& mailboxes) {
    CampaignDefinition made = definition(leads_json(2), "", schedule, mailboxes);
    made.name = name;
    return made;
  };
  const std::string m1 = R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000}])";
  const std::string m2 = R"([{"id":"m2","from":"m2@acme.example","daily_limit":1000}])";
  const std::string both = R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000},)"
                           R"({"id":"m2","from":"m2@acme.example","daily_limit":1000}])";
  const Instant now = at("2026-12-01T09:00:00Z");
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{now};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(named("a", m1)));
    REQUIRE(engine.add_campaign(named("b", both)));
    REQUIRE(engine.start("a"));
    REQUIRE(engine.start("b"));
    // At one instant: m1 disabled (both campaigns say so), taken out of b, enabled (a says so).
    REQUIRE(engine.disable_mailbox("m1"));
    REQUIRE(engine.update(named("b", m2)));
    REQUIRE(engine.enable_mailbox("m1"));
    CHECK((*store)->mailbox_states() == std::vector<MailboxState>{{"m1", false, "request", now}});
  }
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  DryRunTransport transport;
  ManualClock clock{now};
  Engine engine{**store, transport, clock};
  REQUIRE(restore_campaigns(engine, **store));  // a, then b, whose last word on m1 is "disabled"
  CHECK(engine.summary().campaigns.at(0).mailbox_trouble.empty());
  engine.simulate(clock, at("2026-12-05T00:00:00Z"));
  CHECK(engine.summary().campaigns.at(0).leads.at("completed") == 2);
}

TEST_CASE("a disabled mailbox stays disabled after a restart, and a request enables it") {
  const TempDir dir("disabled-mailbox");
  const auto path = dir.path / "store.db";
  const std::string schedule = R"({"timezone":"UTC","start":"2026-12-01"})";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    MemoryTransport transport{login_refused_on_m1};
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(definition(leads_json(6), "", schedule, two_mailboxes)));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T12:00:00Z"));
  }
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    MemoryTransport transport;  // m1 would work now: it stays disabled until asked
    ManualClock clock{at("2026-12-01T12:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(restore_campaigns(engine, **store));
    CHECK(trouble_of(engine.summary(), "m1").has_value());
    engine.simulate(clock, at("2026-12-02T12:00:00Z"));
    for (const auto& sent : transport.sent()) CHECK(sent.mailbox == "m2");

    Request request;
    request.action = RequestAction::enable_mailbox;
    request.mailbox = "m1";
    const auto read = request_from_json(to_json(request));
    REQUIRE(read.has_value());
    CHECK(*read == request);
    const auto id = (*store)->queue_request(to_json(request), clock.now());
    REQUIRE(id.has_value());
    REQUIRE(engine.apply_waiting().has_value());
    const RequestAnswer answer = answer_of(**store, *id);
    CHECK(answer.applied);
    CHECK(answer.message == "mailbox \"m1\" enabled");
    const auto again = (*store)->queue_request(to_json(request), clock.now());
    REQUIRE(engine.apply_waiting().has_value());
    CHECK(answer_of(**store, *again).message == "mailbox \"m1\" is enabled already: nothing to change");
    request.mailbox = "nobody";
    const auto unknown = (*store)->queue_request(to_json(request), clock.now());
    REQUIRE(engine.apply_waiting().has_value());
    CHECK_FALSE(answer_of(**store, *unknown).applied);
    CHECK(engine.summary().campaigns.at(0).mailbox_trouble.empty());
  }
}

}  // TEST_SUITE
