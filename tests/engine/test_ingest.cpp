// Received mail taken in by a running campaign: each class applied through the stop rules, the
// bounce settings and the suppression list, matched the documented way, and taken in once.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/steering.hpp"

using namespace outreach;

namespace {

Instant at(const char* text) { return *parse_instant(text); }

// Three leads, two steps two days apart, an unsubscribe address; `stop_on` as given.
CampaignDefinition inbound_campaign(const std::string& stop_on = R"({"reply":true})", int soft_limit = 3) {
  const std::string json = R"({"name":"q1","seed":1,
    "sequence":{"steps":[{"variants":[{"subject":"Hello {{first_name}}","text":"Hi {{first_name}}"}]},
                         {"delay":{"days":2},"variants":[{"text":"Again, {{first_name}}"}]}]},
    "leads":[{"email":"Ann@alpha.example","first_name":"Ann"},{"email":"bob@beta.example","first_name":"Bob"},
             {"email":"cat@gamma.example","first_name":"Cat"}],
    "schedule":{"timezone":"UTC","start":"2026-12-01"},
    "mailboxes":[{"id":"m1","from":"Sam <sam@acme.example>","daily_limit":100}],
    "stop_on":)" + stop_on + R"(,"bounces":{"soft_limit":)" + std::to_string(soft_limit) + R"(},
    "unsubscribe":{"mailto":"unsubscribe@acme.example"}})";
  auto loaded = CampaignDefinition::from_json(json);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().to_string()));
  return std::move(*loaded);
}

// An engine on a memory store, run to a day after the first steps went out.
struct Inbox {
  MemoryStore store;
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{store, transport, clock};

  explicit Inbox(CampaignDefinition definition = inbound_campaign()) {
    REQUIRE(engine.add_campaign(std::move(definition)));
    REQUIRE(engine.start("q1"));
    engine.simulate(clock, at("2026-12-02T00:00:00Z"));
  }

  // The Message-ID of a send.
  std::string message_id(std::string_view lead, int step) const {
    for (const Event& event : store.events()) {
      if (event.type == EventType::sent && event.lead == lead && event.step == step) return event.message_id;
    }
    FAIL("no send to " << lead << " at step " << step);
    return {};
  }

  std::vector<Event> events_of(std::string_view lead) const {
    std::vector<Event> out;
    for (const Event& event : store.events()) {
      if (event.lead == lead) out.push_back(event);
    }
    return out;
  }

  bool got(std::string_view lead, EventType type) const {
    const auto events = events_of(lead);
    return std::any_of(events.begin(), events.end(), [&](const Event& event) { return event.type == type; });
  }

  std::string stop_reason(std::string_view lead) const {
    for (const Event& event : events_of(lead)) {
      if (event.type == EventType::stopped) return event.reason;
    }
    return {};
  }

  IngestResult take(const std::string& raw) {
    auto result = engine.ingest(raw);
    REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
    return *result;
  }

  void run_to_end() { engine.simulate(clock); }
};

std::string reply(const std::string& from, const std::string& in_reply_to, const std::string& body,
                  const std::string& message_id = "<r1@alpha.example>", const std::string& extra = "") {
  std::string raw = "From: " + from + "\r\nTo: Sam <sam@acme.example>\r\nSubject: Re: Hello\r\n"
                    "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: " + message_id + "\r\n";
  if (!in_reply_to.empty()) raw += "In-Reply-To: " + in_reply_to + "\r\nReferences: " + in_reply_to + "\r\n";
  return raw + extra + "\r\n" + body + "\r\n";
}

// A DSN (RFC 3464) from Postfix about a send, the original's headers enclosed.
std::string dsn(const std::string& recipient, const std::string& status, const std::string& original_id,
                const std::string& message_id = "<dsn1@mx.acme.example>", const std::string& action = "failed") {
  return "From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\n"
         "To: sam@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
         "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: " + message_id + "\r\n"
         "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\r\n"
         "--B1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
         "--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n"
         "Final-Recipient: rfc822; " + recipient + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\n"
         "Diagnostic-Code: smtp; 550 " + status + " mailbox problem\r\n\r\n"
         "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Sam <sam@acme.example>\r\nTo: " + recipient +
         "\r\nSubject: Hello\r\nMessage-ID: " + original_id + "\r\n\r\n--B1--\r\n";
}

// An engine on a SQLite store, run to a day after the first steps went out.
struct SqliteInbox {
  std::unique_ptr<SqliteStore> store;
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  std::optional<Engine> engine;

  explicit SqliteInbox(const std::filesystem::path& path) {
    auto opened = SqliteStore::open(path);
    REQUIRE(opened);
    store = std::move(*opened);
    engine.emplace(*store, transport, clock);
    REQUIRE(engine->add_campaign(inbound_campaign()));
    REQUIRE(engine->start("q1"));
    engine->simulate(clock, at("2026-12-02T00:00:00Z"));
  }

  // The Message-ID of the first step sent to a lead.
  std::string first_message_id(std::string_view lead) const {
    std::string found;
    store->for_each_event("q1", [&](const Event& event) {
      if (event.type == EventType::sent && event.lead == lead && event.step == 1) found = event.message_id;
    });
    REQUIRE_FALSE(found.empty());
    return found;
  }
};

}  // namespace

TEST_CASE("ingest: a reply matched by In-Reply-To stops the lead's follow-ups, and the same message again changes nothing") {
  Inbox inbox;
  const std::string raw = reply("Ann <ann@alpha.example>", inbox.message_id("Ann@alpha.example", 1), "Sounds good, call me.");
  const IngestResult first = inbox.take(raw);
  CHECK(first.classification.type == InboundClass::reply);
  CHECK(first.matched_by == MatchMethod::in_reply_to);
  CHECK(first.campaign == "q1");
  CHECK(first.lead == "Ann@alpha.example");
  CHECK(first.step == 1);
  CHECK_FALSE(first.duplicate);
  CHECK(inbox.got("Ann@alpha.example", EventType::replied));
  CHECK(inbox.stop_reason("Ann@alpha.example") == "reply");

  const std::size_t events = inbox.store.events().size();
  const IngestResult again = inbox.take(raw);
  CHECK(again.duplicate);
  CHECK(again.lead == "Ann@alpha.example");
  CHECK(inbox.store.events().size() == events);

  inbox.run_to_end();
  for (const Event& event : inbox.events_of("Ann@alpha.example")) CHECK_FALSE((event.type == EventType::sent && event.step == 2));
  CHECK(inbox.got("bob@beta.example", EventType::completed));
  CHECK(inbox.got("cat@gamma.example", EventType::completed));
}

TEST_CASE("ingest: a reply is matched by References, then by its sender, and counts for the step it answers") {
  Inbox inbox;
  inbox.engine.simulate(inbox.clock, at("2026-12-04T00:00:00Z"));  // step 2 went out
  const std::string step1 = inbox.message_id("bob@beta.example", 1);
  const std::string step2 = inbox.message_id("bob@beta.example", 2);
  std::string raw = "From: bob@beta.example\r\nTo: sam@acme.example\r\nSubject: Re: Hello\r\n"
                    "Message-ID: <b1@beta.example>\r\nReferences: <unrelated@else.example> " + step1 + "\r\n\r\nYes.\r\n";
  IngestResult by_references = inbox.take(raw);
  CHECK(by_references.matched_by == MatchMethod::references);
  CHECK(by_references.step == 1);
  CHECK(inbox.engine.summary().campaigns.at(0).steps.at(0).variants.at(0).replied == 1);

  const IngestResult by_sender = inbox.take(reply("Cat <CAT@gamma.example>", "", "Who is this?", "<c1@gamma.example>"));
  CHECK(by_sender.classification.type == InboundClass::reply);
  CHECK(by_sender.matched_by == MatchMethod::sender);
  CHECK(by_sender.lead == "cat@gamma.example");
  // Its Date (December 2) is before step 2 went out (December 3): it answers step 1.
  CHECK(by_sender.step == 1);
  CHECK(inbox.got("cat@gamma.example", EventType::replied));
  CHECK(inbox.engine.summary().campaigns.at(0).steps.at(0).variants.at(0).replied == 2);
  (void)step2;
}

TEST_CASE("ingest: mail from a stranger is unknown and changes nothing") {
  Inbox inbox;
  const std::size_t events = inbox.store.events().size();
  const IngestResult result = inbox.take(reply("Zed <zed@nowhere.example>", "", "Hello there", "<z1@nowhere.example>"));
  CHECK(result.classification.type == InboundClass::unknown);
  CHECK(result.matched_by == MatchMethod::none);
  CHECK(result.lead.empty());
  CHECK(inbox.store.events().size() == events);
  // And a reply to a Message-ID that is not ours, from a stranger, likewise.
  CHECK(inbox.take(reply("zed@nowhere.example", "<not-ours@else.example>", "Hi", "<z2@nowhere.example>"))
            .classification.type == InboundClass::unknown);
  CHECK(inbox.store.events().size() == events);
}

TEST_CASE("ingest: a hard bounce found by the enclosed Message-ID stops the lead and suppresses the address") {
  Inbox inbox;
  const IngestResult result = inbox.take(dsn("bob@beta.example", "5.1.1", inbox.message_id("bob@beta.example", 1)));
  CHECK(result.classification.type == InboundClass::bounce);
  CHECK(result.classification.hard);
  CHECK(result.matched_by == MatchMethod::original_message_id);
  CHECK(result.lead == "bob@beta.example");
  CHECK(inbox.stop_reason("bob@beta.example") == "bounce");
  CHECK(inbox.store.is_suppressed("BOB@beta.example"));
}

TEST_CASE("ingest: a bounce without our Message-ID is matched by its recipient") {
  Inbox inbox;
  const IngestResult result = inbox.take(dsn("cat@gamma.example", "5.1.1", "<someone-else@else.example>"));
  CHECK(result.matched_by == MatchMethod::recipient);
  CHECK(result.lead == "cat@gamma.example");
  CHECK(inbox.stop_reason("cat@gamma.example") == "bounce");
}

TEST_CASE("ingest: soft bounces do not stop the lead until the soft limit, which counts as hard") {
  Inbox inbox(inbound_campaign(R"({"reply":true})", 2));
  const std::string original = inbox.message_id("bob@beta.example", 1);
  const IngestResult first = inbox.take(dsn("bob@beta.example", "4.2.2", original, "<dsn-a@mx.acme.example>", "delayed"));
  CHECK(first.classification.type == InboundClass::bounce);
  CHECK_FALSE(first.classification.hard);
  CHECK(inbox.stop_reason("bob@beta.example").empty());
  CHECK_FALSE(inbox.store.is_suppressed("bob@beta.example"));
  const IngestResult second = inbox.take(dsn("bob@beta.example", "4.2.2", original, "<dsn-b@mx.acme.example>", "delayed"));
  CHECK_FALSE(second.duplicate);
  CHECK(inbox.stop_reason("bob@beta.example") == "bounce");
  CHECK(inbox.store.is_suppressed("bob@beta.example"));
  std::vector<std::string> kinds;
  for (const Event& event : inbox.events_of("bob@beta.example")) {
    if (event.type == EventType::bounced) kinds.push_back(event.kind);
  }
  CHECK(kinds == std::vector<std::string>{"soft", "hard"});
}

TEST_CASE("ingest: a message to the unsubscribe address suppresses the lead and stops it") {
  Inbox inbox;
  const IngestResult result = inbox.take(
      "From: Ann <ann@alpha.example>\r\nTo: unsubscribe@acme.example\r\nSubject: unsubscribe\r\n"
      "Message-ID: <u1@alpha.example>\r\n\r\n\r\n");
  CHECK(result.classification.type == InboundClass::unsubscribe);
  CHECK(result.matched_by == MatchMethod::sender);
  CHECK(inbox.stop_reason("Ann@alpha.example") == "unsubscribe");
  CHECK(inbox.store.is_suppressed("ann@alpha.example"));
}

TEST_CASE("ingest: a spam complaint (ARF) suppresses the address and stops the lead") {
  Inbox inbox;
  const std::string original = inbox.message_id("cat@gamma.example", 1);
  const IngestResult result = inbox.take(
      "From: feedback@fbl.example\r\nTo: abuse@acme.example\r\nSubject: FW: Hello\r\nMessage-ID: <fbl1@fbl.example>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\r\n"
      "--F\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
      "--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n"
      "Original-Rcpt-To: cat@gamma.example\r\n\r\n"
      "--F\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: sam@acme.example\r\nTo: cat@gamma.example\r\n"
      "Message-ID: " + original + "\r\n\r\n--F--\r\n");
  CHECK(result.classification.type == InboundClass::complaint);
  CHECK(result.matched_by == MatchMethod::original_message_id);
  CHECK(inbox.stop_reason("cat@gamma.example") == "complaint");
  CHECK(inbox.store.is_suppressed("cat@gamma.example"));
}

TEST_CASE("ingest: an auto-reply with a return date pauses the lead until then under pause_until_return") {
  Inbox inbox(inbound_campaign(R"({"reply":true,"auto_reply":"pause_until_return"})"));
  const IngestResult result = inbox.take(reply(
      "Bob <bob@beta.example>", inbox.message_id("bob@beta.example", 1),
      "I am out of the office and will be back on December 10, 2026.", "<ooo1@beta.example>",
      "Auto-Submitted: auto-replied\r\n"));
  CHECK(result.classification.type == InboundClass::auto_reply);
  REQUIRE(result.classification.return_date);
  CHECK(*result.classification.return_date == std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::December, std::chrono::day{10}});
  CHECK(inbox.got("bob@beta.example", EventType::paused));
  inbox.run_to_end();
  for (const Event& event : inbox.events_of("bob@beta.example")) {
    if (event.type == EventType::sent && event.step == 2) CHECK(event.at >= at("2026-12-10T00:00:00Z"));
  }
  CHECK(inbox.got("bob@beta.example", EventType::completed));
  // Under the default rules an auto-reply ends nothing.
  Inbox plain;
  (void)plain.take(reply("Bob <bob@beta.example>", plain.message_id("bob@beta.example", 1), "Out of office.",
                         "<ooo2@beta.example>", "Auto-Submitted: auto-replied\r\n"));
  CHECK(plain.got("bob@beta.example", EventType::auto_replied));
  plain.run_to_end();
  CHECK(plain.got("bob@beta.example", EventType::completed));
}

TEST_CASE("ingest: a reply after the lead completed is recorded and ends nothing") {
  Inbox inbox;
  inbox.run_to_end();
  REQUIRE(inbox.got("Ann@alpha.example", EventType::completed));
  const IngestResult result = inbox.take(reply("ann@alpha.example", inbox.message_id("Ann@alpha.example", 2), "Thanks!"));
  CHECK(result.step == 2);
  CHECK(inbox.got("Ann@alpha.example", EventType::replied));
  CHECK(inbox.stop_reason("Ann@alpha.example").empty());
}

TEST_CASE("ingest: hostile bytes are unknown, never an error, and an oversized message is refused") {
  Inbox inbox;
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage.push_back(static_cast<char>((i * 7919) % 256));
  CHECK(inbox.take(garbage).classification.type == InboundClass::unknown);
  CHECK(inbox.take("").classification.type == InboundClass::unknown);
  MimeLimits small;
  small.max_message_bytes = 16;
  CHECK_FALSE(inbox.engine.ingest(std::string(100, 'x'), small).has_value());
}

TEST_CASE("ingest: a SQLite store finds sends by Message-ID and remembers taken-in mail across engines") {
  const auto dir = std::filesystem::temp_directory_path() / ("outreach-ingest-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "store.db";
  std::string raw;
  {
    SqliteInbox inbox(path);
    const std::string sent_id = inbox.first_message_id("bob@beta.example");
    auto& store = inbox.store;
    auto& engine = *inbox.engine;
    const auto found = store->find_sent(sent_id);
    REQUIRE(found);
    CHECK(*found == SentMessage{"q1", "bob@beta.example", 1});
    CHECK_FALSE(store->find_sent("<nothing@else.example>"));
    raw = reply("bob@beta.example", sent_id, "Interested.", "<b9@beta.example>");
    auto first = engine.ingest(raw);
    REQUIRE(first);
    CHECK_FALSE(first->duplicate);
    CHECK(first->matched_by == MatchMethod::in_reply_to);
  }
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-02T01:00:00Z")};
    Engine engine(**store, transport, clock);
    REQUIRE(engine.add_campaign(inbound_campaign()));
    REQUIRE(engine.start("q1"));
    auto again = engine.ingest(raw);
    REQUIRE(again);
    CHECK(again->duplicate);
    int replies = 0;
    (*store)->for_each_event("q1", [&](const Event& event) { replies += event.type == EventType::replied; });
    CHECK(replies == 1);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("ingest: a complaint in one campaign makes another campaign skip the address, and a domain reply stops the domain") {
  MemoryStore store;
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine(store, transport, clock);
  REQUIRE(engine.add_campaign(inbound_campaign(R"({"reply":true,"domain_reply":true})")));
  REQUIRE(engine.start("q1"));
  // A second campaign with the same address and a colleague of Ann's, starting two days later.
  auto later = CampaignDefinition::from_json(R"({"name":"q2",
    "sequence":{"steps":[{"variants":[{"subject":"Hi","text":"Hello"}]}]},
    "leads":[{"email":"cat@gamma.example"},{"email":"dora@alpha.example"}],
    "schedule":{"timezone":"UTC","start":"2026-12-03"},
    "mailboxes":[{"id":"m1","from":"Sam <sam@acme.example>","daily_limit":100}]})");
  REQUIRE(later);
  REQUIRE(engine.add_campaign(std::move(*later)));
  REQUIRE(engine.start("q2"));
  engine.simulate(clock, at("2026-12-02T00:00:00Z"));

  std::string cat_id;
  std::string ann_id;
  for (const Event& event : store.events()) {
    if (event.type != EventType::sent) continue;
    if (event.lead == "cat@gamma.example") cat_id = event.message_id;
    if (event.lead == "Ann@alpha.example") ann_id = event.message_id;
  }
  REQUIRE_FALSE(cat_id.empty());
  REQUIRE_FALSE(ann_id.empty());
  auto complaint = engine.ingest(
      "From: fbl@isp.example\r\nTo: abuse@acme.example\r\nSubject: complaint\r\nMessage-ID: <c9@isp.example>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\r\n"
      "--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n\r\n"
      "--F\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + cat_id + "\r\n\r\n--F--\r\n");
  REQUIRE(complaint);
  CHECK(complaint->campaign == "q1");
  auto replied = engine.ingest("From: ann@alpha.example\r\nTo: sam@acme.example\r\nSubject: Re: Hello\r\n"
                               "Message-ID: <a9@alpha.example>\r\nIn-Reply-To: " + ann_id + "\r\n\r\nLet's talk.\r\n");
  REQUIRE(replied);
  CHECK(replied->classification.type == InboundClass::reply);
  engine.simulate(clock);

  std::map<std::pair<std::string, std::string>, std::string> endings;  // (campaign, lead) -> how it ended
  for (const Event& event : store.events()) {
    if (event.type == EventType::stopped) endings[{event.campaign, event.lead}] = "stopped:" + event.reason;
    if (event.type == EventType::skipped) endings[{event.campaign, event.lead}] = "skipped:" + event.reason;
    if (event.type == EventType::completed) endings[{event.campaign, event.lead}] = "completed";
  }
  CHECK(endings[{"q1", "cat@gamma.example"}] == "stopped:complaint");
  CHECK(endings[{"q2", "cat@gamma.example"}] == "skipped:suppressed");
  CHECK(endings[{"q1", "Ann@alpha.example"}] == "stopped:reply");
  CHECK(endings[{"q1", "bob@beta.example"}] == "completed");
  // domain_reply is a rule of q1: q2's lead at alpha.example goes on.
  CHECK(endings[{"q2", "dora@alpha.example"}] == "completed");
}

TEST_CASE("ingest: a message read from a folder moves the folder's place with it, whatever it is") {
  Inbox inbox;
  const auto place = [](std::uint32_t uid) {
    return FolderPosition{.mailbox = "m1", .folder = "INBOX", .uidvalidity = 9, .last_uid = uid};
  };
  // A reply: applied, and the place recorded.
  const std::string answer = reply("Ann@alpha.example", inbox.message_id("Ann@alpha.example", 1), "Yes.");
  auto taken = inbox.engine.ingest(answer, place(3));
  REQUIRE(taken);
  CHECK(taken->classification.type == InboundClass::reply);
  CHECK(inbox.store.folder_position("m1", "INBOX") == place(3));
  // The same message again (a re-created folder): nothing applied twice, the place moves.
  taken = inbox.engine.ingest(answer, place(4));
  REQUIRE(taken);
  CHECK(taken->duplicate);
  CHECK(inbox.store.folder_position("m1", "INBOX") == place(4));
  // Mail from a stranger, and a message too large to read: nothing applied, the place moves.
  CHECK(inbox.engine.ingest(reply("x@stranger.example", "", "Hi"), place(5)));
  CHECK(inbox.store.folder_position("m1", "INBOX") == place(5));
  CHECK_FALSE(inbox.engine.ingest(std::string(100, 'x'), place(6), MimeLimits{.max_message_bytes = 16}));
  CHECK(inbox.store.folder_position("m1", "INBOX") == place(6));
  // A message not taken in at all (too large to fetch).
  CHECK(inbox.engine.record_folder_position(place(7)));
  CHECK(inbox.store.folder_position("m1", "INBOX") == place(7));
  int replies = 0;
  for (const Event& event : inbox.store.events()) replies += event.type == EventType::replied;
  CHECK(replies == 1);
}

TEST_CASE("ingest: on a SQLite store, a reply and its folder's place are recorded together") {
  const auto dir = std::filesystem::temp_directory_path() / ("outreach-ingest-place-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const FolderPosition place{.mailbox = "m1", .folder = "INBOX", .uidvalidity = 1, .last_uid = 12};
  {
    SqliteInbox inbox(dir / "store.db");
    const std::string sent_id = inbox.first_message_id("cat@gamma.example");
    auto& engine = *inbox.engine;
    auto taken = engine.ingest(reply("cat@gamma.example", sent_id, "Tell me more.", "<c1@gamma.example>"), place);
    REQUIRE(taken);
    CHECK_FALSE(taken->duplicate);
  }
  // Opened again: both are there.
  auto reopened = SqliteStore::open(dir / "store.db");
  REQUIRE(reopened);
  CHECK((*reopened)->folder_position("m1", "INBOX") == place);
  int replies = 0;
  (*reopened)->for_each_event("q1", [&](const Event& event) { replies += event.type == EventType::replied; });
  CHECK(replies == 1);
  reopened->reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("engine: while mail is expected, a run goes on after the last send for read_after_last_send") {
  CampaignDefinition definition = inbound_campaign();
  definition.read_after_last_send = std::chrono::hours(48);
  MemoryStore store;
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine(store, transport, clock);
  REQUIRE(engine.add_campaign(std::move(definition)));
  REQUIRE(engine.start("q1"));
  engine.simulate(clock);
  Instant last_send{};
  for (const Event& event : store.events()) {
    if (event.type == EventType::sent) last_send = std::max(last_send, event.at);
  }
  CHECK_FALSE(engine.step().has_value());  // nothing left to send: a run would end here
  engine.expect_mail(true);
  const auto next = engine.step();
  REQUIRE(next.has_value());
  CHECK(*next == last_send + std::chrono::hours(48));
  clock.set(*next);
  CHECK_FALSE(engine.step().has_value());  // the reading is over too
}

TEST_CASE("ingest: mail handed in for an engine that has ended is taken in by the next request applied without one") {
  const auto dir = std::filesystem::temp_directory_path() / ("outreach-ingest-steer-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "store.db";
  std::string raw;
  {
    SqliteInbox inbox(path);
    raw = reply("bob@beta.example", inbox.first_message_id("bob@beta.example"), "Interested.", "<b7@beta.example>");
  }
  {
    // Handed in through the inbox, as `outreach ingest` does beside a running engine.
    auto handed = SqliteStore::open(path, {.access = StoreAccess::inbox});
    REQUIRE(handed);
    REQUIRE((*handed)->queue_received(raw, at("2026-12-02T01:00:00Z")));
  }
  // A request about another address, with no engine on the store: the call takes the store and
  // applies what waits, the reply included, with the campaign it answers.
  Request request;
  request.action = RequestAction::suppress;
  request.addresses = {"zed@zeta.example"};
  const auto steered = steer(path.string(), request, std::chrono::milliseconds(0));
  REQUIRE(steered);
  CHECK(steered->applied_here);
  REQUIRE(steered->answer);
  CHECK(steered->answer->applied);
  CHECK(steered->warnings.empty());
  auto store = SqliteStore::open(path, {.access = StoreAccess::read});
  REQUIRE(store);
  CHECK((*store)->queued(10).empty());
  bool replied = false;
  (*store)->for_each_event("q1", [&](const Event& event) {
    replied = replied || (event.type == EventType::replied && event.lead == "bob@beta.example");
  });
  CHECK(replied);
  store->reset();
  std::filesystem::remove_all(dir);
}
