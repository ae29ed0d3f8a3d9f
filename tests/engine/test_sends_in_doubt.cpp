// Sends a crash left in doubt, settled later through the mailbox's Sent folder: the engine's
// side (what a reader finds is given here; tests/imap/test_imap_run.py looks in a real one).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"

using namespace outreach;
using outreach::test::at;
using outreach::test::definition;
using outreach::test::leads_json;

namespace {

const std::string one_day = R"({"timezone":"UTC","start":"2026-12-01"})";

// A mailbox read over IMAP; `files_sends`: its provider files every submission in Sent.
std::string mailboxes(bool files_sends) {
  return std::string(R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000,"imap":{"url":"imaps://imap.acme.example",)") +
         R"("sent_files_submissions":)" + (files_sends ? "true" : "false") + R"(,"resend_after_seconds":3600}}])";
}

// The first step's send may have gone: the connection was lost after the message's data.
SendOutcome lost_first_step(const Mailbox&, const Message& message) {
  if (message.data.find("Hello") == std::string::npos) return SendOutcome::accept();
  SendOutcome outcome;
  outcome.kind = SendOutcome::Kind::temporary;
  outcome.reason = "the connection was lost after the end of the message";
  outcome.maybe_delivered = true;
  return outcome;
}

// An engine whose first send of each lead is left in doubt, run through the first day; later
// sends are accepted.
struct DoubtfulRun {
  MemoryStore store;
  bool lose = true;
  MemoryTransport transport{[this](const Mailbox& mailbox, const Message& message) {
    return lose ? lost_first_step(mailbox, message) : SendOutcome::accept();
  }};
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{store, transport, clock};

  explicit DoubtfulRun(bool files_sends, int leads = 1, const std::string& steps = "", const std::string& extra = "") {
    auto def = definition(leads_json(leads), extra, one_day, mailboxes(files_sends));
    if (!steps.empty()) def = with_steps(std::move(def), steps);
    REQUIRE(engine.add_campaign(std::move(def)));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T12:00:00Z"));
    lose = false;
    REQUIRE(engine.sends_in_doubt("m1").size() == static_cast<std::size_t>(leads));
  }

  static CampaignDefinition with_steps(CampaignDefinition def, const std::string& sequence) {
    auto parsed = Sequence::from_json(sequence);
    REQUIRE(parsed.has_value());
    def.sequence = std::move(*parsed);
    return def;
  }

  [[nodiscard]] std::vector<Event> of(EventType type) const {
    std::vector<Event> found;
    std::copy_if(store.events().begin(), store.events().end(), std::back_inserter(found),
                 [&](const Event& event) { return event.type == type; });
    return found;
  }

  [[nodiscard]] CampaignSummary summary() const { return engine.summary().campaigns.at(0); }
};

// Mail of `type` back from the first lead at `when`.
InboundEvent from_lead(InboundType type, const char* when, bool hard = true) {
  InboundEvent event;
  event.at = at(when);
  event.lead = "lead0@example.com";
  event.type = type;
  event.hard = hard;
  return event;
}

std::int64_t day_sends(const CampaignSummary& summary) {
  std::int64_t total = 0;
  for (const DaySends& day : summary.days) total += day.sent;
  return total;
}

}  // namespace

TEST_SUITE("sends_in_doubt") {

TEST_CASE("a send in doubt is listed with what a reader needs to look for it") {
  DoubtfulRun run(false);
  const std::vector<SendInDoubt> doubts = run.engine.sends_in_doubt("m1");
  REQUIRE(doubts.size() == 1);
  const Event in_doubt = run.of(EventType::in_doubt).at(0);
  CHECK(doubts[0] == SendInDoubt{"c", "lead0@example.com", 1, "m1", in_doubt.message_id, in_doubt.at});
  CHECK(run.engine.sends_in_doubt("other").empty());
}

TEST_CASE("found in the Sent folder, a send in doubt is recorded as sent, once") {
  DoubtfulRun run(false);
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  run.clock.set(at("2026-12-01T13:00:00Z"));
  REQUIRE(run.engine.settle(doubt, true).value() == Settlement::found_in_sent);

  const std::vector<Event> sent = run.of(EventType::sent);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].settled == Settlement::found_in_sent);
  CHECK(sent[0].step == 1);
  CHECK(sent[0].message_id == doubt.message_id);
  CHECK(sent[0].mailbox == "m1");
  CHECK(sent[0].at == at("2026-12-01T13:00:00Z"));
  CHECK(to_json_line(sent[0]).ends_with(R"("settled":"found_in_sent"})"));
  CHECK(run.engine.sends_in_doubt("m1").empty());
  CHECK(run.summary().in_doubt == 0);
  CHECK(run.summary().steps[0].variants[0].sent == 1);
  CHECK(day_sends(run.summary()) == 1);
  // Settled before: nothing more, whatever is found now.
  CHECK(run.engine.settle(doubt, true).value() == Settlement::none);
  CHECK(run.engine.settle(doubt, false).value() == Settlement::none);
  CHECK(run.of(EventType::sent).size() == 1);

  // The follow-up goes as planned, and nothing is sent twice.
  run.engine.simulate(run.clock);
  REQUIRE(run.transport.sent().size() == 1);  // step 2 (the transport keeps what it accepted)
  CHECK(run.transport.sent()[0].message.data.find("Again") != std::string::npos);
  CHECK(run.summary().leads.at("completed") == 1);

  // Resumed from its store, the campaign knows it settled.
  MemoryTransport transport;
  Engine resumed{run.store, transport, run.clock};
  REQUIRE(resumed.add_campaign(definition(leads_json(1), "", one_day, mailboxes(false))));
  REQUIRE(resumed.start("c"));
  CHECK(resumed.sends_in_doubt("m1").empty());
  const CampaignSummary again = resumed.summary().campaigns.at(0);
  CHECK(again.in_doubt == 0);
  CHECK(again.steps[0].variants[0].sent == 1);
  CHECK(again.steps[1].variants[0].sent == 1);
}

TEST_CASE("absent from Sent, a send stays in doubt unless the provider files every send there") {
  SUBCASE("a provider that does not file submissions: absent means nothing") {
    DoubtfulRun run(false);
    run.clock.set(at("2026-12-03T00:00:00Z"));
    CHECK(run.engine.settle(run.engine.sends_in_doubt("m1").at(0), false).value() == Settlement::none);
    CHECK(run.engine.sends_in_doubt("m1").size() == 1);
    CHECK(run.of(EventType::deferred).empty());
  }
  SUBCASE("one that does: not before `resend_after` has passed") {
    DoubtfulRun run(true);
    const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
    run.clock.set(doubt.since + std::chrono::minutes(59));
    CHECK(run.engine.settle(doubt, false).value() == Settlement::none);
    CHECK(run.engine.sends_in_doubt("m1").size() == 1);
  }
}

TEST_CASE("absent from the Sent folder of a provider that files every send, it is sent again with its Message-ID") {
  DoubtfulRun run(true);
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  run.clock.set(doubt.since + std::chrono::hours(1));
  REQUIRE(run.engine.settle(doubt, false).value() == Settlement::not_in_sent);
  const std::vector<Event> deferred = run.of(EventType::deferred);
  REQUIRE(deferred.size() == 1);
  CHECK(deferred[0].settled == Settlement::not_in_sent);
  CHECK(deferred[0].step == 1);
  CHECK(deferred[0].retry_at == doubt.since + std::chrono::hours(1));
  CHECK(run.engine.sends_in_doubt("m1").empty());
  CHECK(run.summary().in_doubt == 0);
  CHECK(day_sends(run.summary()) == 0);  // given back until it goes again

  run.engine.simulate(run.clock);
  REQUIRE(run.transport.sent().size() == 2);  // sent again, then step 2
  CHECK(run.transport.sent()[0].message.message_id == doubt.message_id);
  CHECK(run.transport.sent()[0].message.data.find("Hello") != std::string::npos);
  CHECK(run.transport.sent()[1].message.data.find("Again") != std::string::npos);
  const CampaignSummary done = run.summary();
  CHECK(done.leads.at("completed") == 1);
  CHECK(done.steps[0].variants[0].sent == 1);
  CHECK(done.steps[1].variants[0].sent == 1);
  CHECK(day_sends(done) == 2);

  // Resumed from its store: the same counts, and nothing left to send.
  MemoryTransport transport;
  Engine resumed{run.store, transport, run.clock};
  REQUIRE(resumed.add_campaign(definition(leads_json(1), "", one_day, mailboxes(true))));
  REQUIRE(resumed.start("c"));
  resumed.simulate(run.clock);
  CHECK(transport.sent().empty());
  const CampaignSummary again = resumed.summary().campaigns.at(0);
  CHECK(again.leads.at("completed") == 1);
  CHECK(again.in_doubt == 0);
  CHECK(day_sends(again) == 2);
}

TEST_CASE("a last step in doubt and absent from Sent opens its completed lead and finished campaign again") {
  DoubtfulRun run(true, 1, R"({"steps":[{"variants":[{"subject":"Hi","text":"Hello"}]}]})");
  run.engine.simulate(run.clock);
  CHECK(run.summary().status == "finished");
  CHECK(run.summary().leads.at("completed") == 1);
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  run.clock.set(doubt.since + std::chrono::hours(2));
  REQUIRE(run.engine.settle(doubt, false).value() == Settlement::not_in_sent);
  CHECK(run.summary().leads.at("active") == 1);
  run.engine.simulate(run.clock);
  REQUIRE(run.transport.sent().size() == 1);
  CHECK(run.transport.sent()[0].message.message_id == doubt.message_id);
  CHECK(run.summary().leads.at("completed") == 1);
  CHECK(run.summary().status == "finished");
  CHECK(run.of(EventType::completed).size() == 2);
}

TEST_CASE("a lead that answered meanwhile is not sent to again") {
  DoubtfulRun run(true);
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  REQUIRE(run.engine.apply(from_lead(InboundType::reply, "2026-12-01T12:30:00Z")));
  run.clock.set(at("2026-12-01T13:00:00Z"));  // past `resend_after`
  run.engine.simulate(run.clock, run.clock.now());
  REQUIRE(run.summary().leads.at("replied") == 1);
  CHECK(run.engine.settle(doubt, false).value() == Settlement::none);
  run.engine.simulate(run.clock);
  CHECK(run.transport.sent().empty());
  // Found, it is still counted as sent: the reply answered it.
  CHECK(run.engine.settle(doubt, true).value() == Settlement::found_in_sent);
  CHECK(run.summary().steps[0].variants[0].sent == 1);
}

TEST_CASE("mail back from the lead since shows the send went out: it is not sent again, even after a resume") {
  DoubtfulRun run(true, 1, "", R"(,"stop_on":{"auto_reply":false,"reply":false})");
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  REQUIRE(run.engine.apply(from_lead(InboundType::bounce, "2026-12-01T12:30:00Z", false)));
  run.clock.set(at("2026-12-01T13:00:00Z"));
  run.engine.simulate(run.clock, run.clock.now());
  REQUIRE(run.summary().leads.at("active") == 1);
  CHECK(run.engine.settle(doubt, false).value() == Settlement::none);
  // Resumed from its store, it still knows.
  MemoryTransport transport;
  Engine resumed{run.store, transport, run.clock};
  REQUIRE(resumed.add_campaign(definition(leads_json(1), R"(,"stop_on":{"auto_reply":false,"reply":false})", one_day,
                                          mailboxes(true))));
  REQUIRE(resumed.start("c"));
  CHECK(resumed.settle(resumed.sends_in_doubt("m1").at(0), false).value() == Settlement::none);
}

TEST_CASE("a send in doubt for over a week past resend_after is not sent again: its absence says too little") {
  DoubtfulRun run(true);
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  run.clock.set(doubt.since + std::chrono::hours(1) + std::chrono::days(7) + std::chrono::minutes(1));
  CHECK(run.engine.settle(doubt, false).value() == Settlement::none);
  // Found, it is still settled.
  CHECK(run.engine.settle(doubt, true).value() == Settlement::found_in_sent);
}

TEST_CASE("a lead paused by an auto-reply is not sent to again while it is away") {
  DoubtfulRun run(true, 1, "", R"(,"stop_on":{"auto_reply":"pause_until_return"})");
  const SendInDoubt doubt = run.engine.sends_in_doubt("m1").at(0);
  REQUIRE(run.engine.apply(from_lead(InboundType::auto_reply, "2026-12-01T12:30:00Z")));
  run.clock.set(at("2026-12-01T13:00:00Z"));
  run.engine.simulate(run.clock, run.clock.now());
  REQUIRE(run.summary().leads.at("paused") == 1);
  CHECK(run.engine.settle(doubt, false).value() == Settlement::none);
  CHECK(run.engine.sends_in_doubt("m1").size() == 1);
}

TEST_CASE("a settled event's line reads back, and an unknown settlement is an error at its key") {
  Event event;
  event.type = EventType::deferred;
  event.at = at("2026-12-01T00:00:00Z");
  event.campaign = "c";
  event.lead = "a@example.com";
  event.step = 2;
  event.settled = Settlement::not_in_sent;
  const auto read = parse_event_line(to_json_line(event));
  REQUIRE(read.has_value());
  CHECK(*read == event);
  const auto bad = parse_event_line(R"({"type":"sent","at":"2026-12-01T00:00:00Z","campaign":"c","settled":"maybe"})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().where().json_path == "settled");
  // Each settlement belongs to one type of event.
  for (const char* line : {R"({"type":"failed","at":"2026-12-01T00:00:00Z","campaign":"c","settled":"not_in_sent"})",
                           R"({"type":"sent","at":"2026-12-01T00:00:00Z","campaign":"c","settled":"not_in_sent"})",
                           R"({"type":"deferred","at":"2026-12-01T00:00:00Z","campaign":"c","settled":"found_in_sent"})"}) {
    CAPTURE(line);
    const auto wrong = parse_event_line(line);
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().where().json_path == "settled");
  }
}

}  // TEST_SUITE
