// The Store conformance suite: every store runs the same cases (`<memory>`, `<sqlite>`,
// `<postgresql>` in the test names). A new store adds its kind to store_fixtures.hpp and to
// STORE_KINDS below.
#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_fixtures.hpp"
#include "support/forwarding_store.hpp"

using namespace outreach;
using namespace outreach::testing;

TYPE_TO_STRING_AS("memory", MemoryStoreKind);
TYPE_TO_STRING_AS("sqlite", SqliteStoreKind);
TYPE_TO_STRING_AS("sqlite, grouped commits", GroupedSqliteStoreKind);
#if OUTREACH_WITH_POSTGRESQL
TYPE_TO_STRING_AS("postgresql", PostgresqlStoreKind);
#define STORE_KINDS MemoryStoreKind, SqliteStoreKind, GroupedSqliteStoreKind, PostgresqlStoreKind
#else
#define STORE_KINDS MemoryStoreKind, SqliteStoreKind, GroupedSqliteStoreKind
#endif

TEST_SUITE("test_store") {

TEST_CASE_TEMPLATE("a store visits a campaign's events in the order they were appended", Kind, STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  const Event first = event_of(EventType::sent, "a", "x@example.com", 1);
  const Event other = event_of(EventType::sent, "b", "x@example.com", 1);
  const Event second = event_of(EventType::deferred, "a", "y@example.com", 1, "2026-12-01T09:05:00Z");
  Event paused = event_of(EventType::campaign_paused, "a", "", 0, "2026-12-01T09:06:00Z");
  paused.reason = "bounce_rate";
  for (const Event& event : {first, other, second, paused}) REQUIRE(store.append(event));

  CHECK(events_of(store, "a") == std::vector<Event>{first, second, paused});
  CHECK(events_of(store, "b") == std::vector<Event>{other});
  CHECK(events_of(store, "c").empty());

  // A long log, read while the visitor uses the store.
  REQUIRE(store.begin());
  std::vector<Event> many;
  for (int i = 0; i < 700; ++i) {
    many.push_back(event_of(EventType::replied, "long", "lead" + std::to_string(i) + "@example.com", 1 + i % 3));
    REQUIRE(store.append(many.back()));
  }
  REQUIRE(store.commit());
  std::vector<Event> seen;
  store.for_each_event("long", [&](const Event& event) {
    seen.push_back(event);
    CHECK_FALSE(store.is_suppressed(event.lead));
  });
  CHECK(seen == many);
}

TEST_CASE_TEMPLATE("an outcome event closes exactly its intent and the others stay open in recording order", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  const std::vector<SendIntent> intents = {intent_of("a", "x@example.com", 1), intent_of("a", "y@example.com", 1),
                                           intent_of("b", "x@example.com", 1), intent_of("a", "x@example.com", 2),
                                           intent_of("a", "z@example.com", 1)};
  for (const SendIntent& intent : intents) REQUIRE(store.record_intent(intent));
  CHECK(store.open_intents() == intents);

  // Events that are not outcomes close nothing, nor does an outcome of another step.
  REQUIRE(store.append(event_of(EventType::replied, "a", "x@example.com", 1)));
  REQUIRE(store.append(event_of(EventType::skipped, "a", "y@example.com", 1)));
  REQUIRE(store.append(event_of(EventType::sent, "a", "x@example.com", 3)));
  CHECK(store.open_intents() == intents);

  REQUIRE(store.append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK(keys_of(store.open_intents()) ==
        std::vector<std::string>{"a/y@example.com/1", "b/x@example.com/1", "a/x@example.com/2", "a/z@example.com/1"});
  REQUIRE(store.append(event_of(EventType::deferred, "b", "x@example.com", 1)));
  REQUIRE(store.append(event_of(EventType::failed, "a", "z@example.com", 1)));
  CHECK(keys_of(store.open_intents()) == std::vector<std::string>{"a/y@example.com/1", "a/x@example.com/2"});

  // Recorded again (a deferred send tried again), an intent moves to the end.
  REQUIRE(store.record_intent(intent_of("a", "y@example.com", 1)));
  CHECK(keys_of(store.open_intents()) == std::vector<std::string>{"a/x@example.com/2", "a/y@example.com/1"});
  REQUIRE(store.append(event_of(EventType::in_doubt, "a", "x@example.com", 2)));
  REQUIRE(store.append(event_of(EventType::sent, "a", "y@example.com", 1)));
  CHECK(store.open_intents().empty());
}

TEST_CASE_TEMPLATE("the suppression list ignores case, removes on request and is sorted by address", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  REQUIRE(store.suppress("Zed@Example.com", "unsubscribe"));
  REQUIRE(store.suppress("amy@example.com", "hard_bounce"));
  REQUIRE(store.suppress("MAX@example.com", "complaint"));
  REQUIRE(store.suppress("zed@EXAMPLE.com", "manual"));  // on the list already: no change

  CHECK(store.is_suppressed("zed@example.com"));
  CHECK(store.is_suppressed("ZED@EXAMPLE.COM"));
  CHECK_FALSE(store.is_suppressed("zed@example.org"));
  CHECK(store.suppressed_among({"ZED@example.com", "zed@example.org", "amy@example.com"}) ==
        std::vector<bool>{true, false, true});
  CHECK(store.suppressed_among({}).empty());
  // Inside a unit, the unit's own additions count.
  REQUIRE(store.begin());
  REQUIRE(store.suppress("new@example.com", "manual"));
  CHECK(store.suppressed_among({"amy@example.com", "NEW@example.com"}) == std::vector<bool>{true, true});
  REQUIRE(store.commit());
  REQUIRE(store.unsuppress("new@example.com"));
  std::vector<std::pair<std::string, std::string>> listed;
  for (const Suppression& entry : store.suppressions()) listed.emplace_back(entry.address, entry.reason);
  CHECK(listed == std::vector<std::pair<std::string, std::string>>{{"amy@example.com", "hard_bounce"},
                                                                    {"max@example.com", "complaint"},
                                                                    {"zed@example.com", "unsubscribe"}});

  REQUIRE(store.unsuppress("Max@Example.COM"));
  REQUIRE(store.unsuppress("nobody@example.com"));  // not on it: no change
  CHECK_FALSE(store.is_suppressed("max@example.com"));
  CHECK(addresses_of(store.suppressions()) == std::vector<std::string>{"amy@example.com", "zed@example.com"});
}

TEST_CASE_TEMPLATE("campaigns are saved, replaced by name and listed in the order first saved", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  const StoredCampaign b{"b", R"({"name":"b"})", "sha256:bb", utc("2026-12-01T00:00:00Z")};
  const StoredCampaign a{"a", R"({"name":"a"})", "sha256:aa", utc("2026-12-02T00:00:00.500Z")};
  const StoredCampaign b_again{"b", R"({"name":"b","seed":2})", "sha256:b2", utc("2026-12-03T00:00:00Z")};
  CHECK_FALSE(store.campaign("b").has_value());
  REQUIRE(store.save_campaign(b));
  REQUIRE(store.save_campaign(a));
  REQUIRE(store.save_campaign(b_again));

  CHECK(store.campaign("b") == b_again);
  CHECK(store.campaign("a") == a);
  CHECK_FALSE(store.campaign("B").has_value());
  CHECK(store.campaigns() == std::vector<StoredCampaign>{b_again, a});
}

TEST_CASE_TEMPLATE("a campaign's sequence versions are kept once each, per campaign, oldest first", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  REQUIRE(store.keeps_sequence_versions());
  CHECK(store.sequence_versions("q4").empty());
  const SequenceVersion second{2, R"({"steps":[2]})", "sha256:2", utc("2026-12-02T10:00:00.250Z")};
  const SequenceVersion first{1, R"({"steps":[1]})", "sha256:1", utc("2026-12-01T00:00:00Z")};
  const SequenceVersion other{1, R"({"steps":["other"]})", "sha256:o", utc("2026-12-03T00:00:00Z")};
  REQUIRE(store.save_sequence_version("q4", second));
  REQUIRE(store.save_sequence_version("q4", first));
  REQUIRE(store.save_sequence_version("q5", other));
  CHECK(store.sequence_versions("q4") == std::vector<SequenceVersion>{first, second});
  CHECK(store.sequence_versions("q5") == std::vector<SequenceVersion>{other});
  // A version is written once: a second write of its number is refused, and the first stays.
  const auto again = store.save_sequence_version("q4", {2, "{}", "sha256:x", utc("2026-12-04T00:00:00Z")});
  CHECK_FALSE(again.has_value());
  CHECK(store.sequence_versions("q4").at(1) == second);
}

TEST_CASE_TEMPLATE("a mailbox's state replaces the one before and states are listed by mailbox id", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK(store.mailbox_states().empty());
  const MailboxState bob{"bob", true, "10 sends in a row failed", utc("2026-12-01T10:00:00.125Z")};
  const MailboxState alice{"alice", true, "request", utc("2026-12-01T11:00:00Z")};
  const MailboxState bob_again{"bob", false, "request", utc("2026-12-02T09:00:00Z")};
  REQUIRE(store.save_mailbox_state(bob));
  REQUIRE(store.save_mailbox_state(alice));
  CHECK(store.mailbox_states() == std::vector<MailboxState>{alice, bob});
  REQUIRE(store.save_mailbox_state(bob_again));
  CHECK(store.mailbox_states() == std::vector<MailboxState>{alice, bob_again});
}

TEST_CASE_TEMPLATE("forgetting an address erases its events and intents everywhere but keeps its suppression", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  const Event kept_a = event_of(EventType::sent, "a", "keep@example.com", 1);
  const Event kept_b = event_of(EventType::replied, "b", "keep@example.com", 1);
  Event campaign_event = event_of(EventType::campaign_resumed, "a", "");
  for (const Event& event : {event_of(EventType::sent, "a", "Gone@Example.com", 1), kept_a,
                             event_of(EventType::replied, "b", "gone@example.com", 1), kept_b, campaign_event,
                             event_of(EventType::unsubscribed, "b", "GONE@example.com", 1)}) {
    REQUIRE(store.append(event));
  }
  REQUIRE(store.record_intent(intent_of("a", "gone@example.com", 2)));
  REQUIRE(store.record_intent(intent_of("b", "Gone@example.com", 2)));
  REQUIRE(store.record_intent(intent_of("a", "keep@example.com", 2)));
  REQUIRE(store.suppress("gone@example.com", "unsubscribe"));

  const auto erased = store.forget("gOnE@example.COM");
  REQUIRE(erased.has_value());
  CHECK(*erased == 5);  // three events and two intents
  CHECK(events_of(store, "a") == std::vector<Event>{kept_a, campaign_event});
  CHECK(events_of(store, "b") == std::vector<Event>{kept_b});
  CHECK(keys_of(store.open_intents()) == std::vector<std::string>{"a/keep@example.com/2"});
  CHECK(store.is_suppressed("gone@example.com"));

  const auto again = store.forget("gone@example.com");
  REQUIRE(again.has_value());
  CHECK(*again == 0);
}

TEST_CASE_TEMPLATE("begin and commit nest and the writes of a unit are kept at its end", Kind, STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  REQUIRE(store.record_intent(intent_of("a", "x@example.com", 1)));
  REQUIRE(store.begin());
  REQUIRE(store.append(event_of(EventType::sent, "a", "x@example.com", 1)));
  REQUIRE(store.begin());
  REQUIRE(store.suppress("x@example.com", "hard_bounce"));
  REQUIRE(store.append(event_of(EventType::stopped, "a", "x@example.com")));
  REQUIRE(store.commit());
  // Inside the unit, its writes are seen.
  CHECK(events_of(store, "a").size() == 2);
  CHECK(store.open_intents().empty());
  REQUIRE(store.commit());
  CHECK(events_of(store, "a").size() == 2);
  CHECK(store.is_suppressed("x@example.com"));
  CHECK(store.open_intents().empty());
}

TEST_CASE_TEMPLATE("received mail waits in the inbox in order until taken out, and forget drops what names the address",
                   Kind, STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK(store.access() == StoreAccess::engine);
  CHECK(store.queued(10).empty());
  const std::string with_nul("first\0bytes", 11);
  REQUIRE(store.queue_received(with_nul, utc("2026-12-01T09:00:00Z")));
  REQUIRE(store.queue_received("From: Ann <ANN@example.com>\r\n\r\nhi", utc("2026-12-01T09:01:00Z")));
  REQUIRE(store.queue_received("third", utc("2026-12-01T09:02:00Z")));

  auto waiting = store.queued(10);
  REQUIRE(waiting.size() == 3);
  CHECK(waiting[0].raw == with_nul);
  CHECK(waiting[2].raw == "third");
  CHECK(waiting[0].id < waiting[1].id);
  CHECK(waiting[1].id < waiting[2].id);
  CHECK(waiting[1].queued == utc("2026-12-01T09:01:00Z"));
  CHECK(store.queued(2).size() == 2);
  // Paged past messages left for another engine.
  const auto later = store.queued(10, waiting[0].id);
  REQUIRE(later.size() == 2);
  CHECK(later[0].id == waiting[1].id);
  CHECK(store.queued(10, waiting[2].id).empty());

  // Taken out inside the unit that applies it.
  REQUIRE(store.begin());
  REQUIRE(store.unqueue(waiting[0].id));
  REQUIRE(store.commit());
  waiting = store.queued(10);
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[0].raw.starts_with("From: Ann"));

  // The address in any case, anywhere in the message; the other message stays.
  auto erased = store.forget("ann@example.com");
  REQUIRE(erased);
  CHECK(*erased == 1);
  waiting = store.queued(10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].raw == "third");
}

TEST_CASE_TEMPLATE("requests wait in order until answered, keep their answer, and forget drops what names the address",
                   Kind, STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK(store.waiting_requests(10).empty());
  CHECK_FALSE(store.request(1).has_value());
  const auto pause = store.queue_request(R"({"action":"pause","campaign":"q4"})", utc("2026-12-01T09:00:00Z"));
  const auto suppress = store.queue_request(R"({"action":"suppress","addresses":["Ann@Example.com"]})",
                                            utc("2026-12-01T09:00:01Z"));
  const auto forget = store.queue_request(R"({"action":"forget","addresses":["bob@example.com"]})",
                                          utc("2026-12-01T09:00:02Z"));
  REQUIRE(pause);
  REQUIRE(suppress);
  REQUIRE(forget);
  CHECK(*pause < *suppress);
  CHECK(*suppress < *forget);

  auto waiting = store.waiting_requests(10);
  REQUIRE(waiting.size() == 3);
  CHECK(waiting[0].id == *pause);
  CHECK(waiting[0].body == R"({"action":"pause","campaign":"q4"})");
  CHECK(waiting[0].queued == utc("2026-12-01T09:00:00Z"));
  CHECK_FALSE(waiting[0].answered.has_value());
  CHECK(store.waiting_requests(1).size() == 1);

  // Answered inside the unit that applies it; answered once.
  REQUIRE(store.begin());
  REQUIRE(store.answer_request(*pause, R"({"applied":true})", utc("2026-12-01T09:00:03Z")));
  REQUIRE(store.commit());
  REQUIRE(store.answer_request(*suppress, R"({"applied":true})", utc("2026-12-01T09:00:04Z")));
  CHECK_FALSE(store.answer_request(*suppress, R"({"applied":false})", utc("2026-12-01T09:00:05Z")).has_value());
  waiting = store.waiting_requests(10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].id == *forget);
  const auto answered = store.request(*pause);
  REQUIRE(answered.has_value());
  CHECK(answered->answered == utc("2026-12-01T09:00:03Z"));
  CHECK(answered->answer == R"({"applied":true})");

  // The answered request naming the address goes; a waiting one loses that address only, and an
  // address that merely contains it is another address.
  const auto several = store.queue_request(R"({"action":"suppress","addresses":["joann@example.com","ANN@example.com","cy@example.com"],"reason":"manual"})",
                                           utc("2026-12-01T09:00:06Z"));
  const auto unreadable = store.queue_request("ann@example.com is not JSON", utc("2026-12-01T09:00:07Z"));
  REQUIRE(several);
  REQUIRE(unreadable);
  auto erased = store.forget("ann@example.com");
  REQUIRE(erased);
  CHECK(*erased == 2);
  CHECK_FALSE(store.request(*suppress).has_value());
  CHECK(store.request(*pause).has_value());
  const auto kept = store.request(*several);
  REQUIRE(kept.has_value());
  CHECK(kept->body == R"({"action":"suppress","addresses":["joann@example.com","cy@example.com"],"reason":"manual"})");
  CHECK(store.request(*unreadable)->body == "ann@example.com is not JSON");
  REQUIRE(store.forget("BOB@example.com"));
  const auto emptied = store.request(*forget);
  REQUIRE(emptied.has_value());
  CHECK(emptied->body == R"({"action":"forget","addresses":[]})");
  CHECK_FALSE(emptied->answered.has_value());
}

TEST_CASE_TEMPLATE("suppress_and_queue suppresses the address and queues its request together", Kind, STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  const std::string body = R"({"action":"unsubscribe","campaign":"q4","addresses":["ann@example.com"]})";
  const auto id = store.suppress_and_queue("Ann@Example.com", "unsubscribe", body, utc("2026-12-01T09:00:00Z"));
  REQUIRE(id);
  CHECK(store.is_suppressed("ann@example.com"));
  REQUIRE(store.suppressions().size() == 1);
  CHECK(store.suppressions().front().reason == "unsubscribe");
  const auto waiting = store.waiting_requests(10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting.front().id == *id);
  CHECK(waiting.front().body == body);
  CHECK(*id > 0);
  // Again: the suppression stays as it was, and nothing more is queued.
  const auto again = store.suppress_and_queue("ANN@example.com", "manual", body, utc("2026-12-01T09:00:01Z"));
  REQUIRE(again);
  CHECK(*again == 0);
  CHECK(store.suppressions().front().reason == "unsubscribe");
  CHECK(store.waiting_requests(10).size() == 1);
  // An address suppressed for another reason first: the same.
  REQUIRE(store.suppress("bob@example.com", "manual"));
  CHECK(*store.suppress_and_queue("bob@example.com", "unsubscribe", body, utc("2026-12-01T09:00:02Z")) == 0);
  CHECK(store.waiting_requests(10).size() == 1);
}

TEST_CASE_TEMPLATE("events_after pages a campaign's log by places that only grow", Kind, STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  std::vector<Event> appended;
  for (int i = 0; i < 25; ++i) {
    appended.push_back(event_of(EventType::sent, i % 5 == 0 ? "other" : "a", "lead" + std::to_string(i) + "@example.com", 1));
    REQUIRE(store.append(appended.back()));
  }
  std::vector<Event> mine;
  for (const Event& event : appended) {
    if (event.campaign == "a") mine.push_back(event);
  }
  std::vector<Event> read;
  std::int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    const EventPage found = store.events_after("a", after, 7);
    if (found.events.empty()) {
      CHECK(found.next == after);
      break;
    }
    CHECK(found.events.size() <= 7);
    for (const auto& [place, event] : found.events) {
      CHECK(place > after);
      after = place;
      read.push_back(event);
    }
    CHECK(found.next == after);
  }
  CHECK(read == mine);
  CHECK(store.events_after("a", after, 7).events.empty());
  // Appended later: found after the last place read.
  const Event late = event_of(EventType::replied, "a", "lead1@example.com", 1, "2026-12-02T09:00:00Z");
  REQUIRE(store.append(late));
  const EventPage next = store.events_after("a", after, 7);
  REQUIRE(next.events.size() == 1);
  CHECK(next.events.front().second == late);
  CHECK(store.events_after("none", 0, 7).events.empty());
}

TEST_CASE_TEMPLATE("for_each_event_after gives the events after a place with the places events_after gives", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  for (int i = 0; i < 12; ++i) {
    REQUIRE(store.append(event_of(EventType::sent, i % 4 == 0 ? "other" : "a", "lead" + std::to_string(i) + "@example.com", 1)));
  }
  const EventPage all = store.events_after("a", 0, 100);
  REQUIRE(all.events.size() == 9);
  for (const std::size_t from : {std::size_t{0}, std::size_t{3}, std::size_t{8}, std::size_t{9}}) {
    CAPTURE(from);
    const std::int64_t after = from == 0 ? 0 : all.events[from - 1].first;
    std::vector<std::pair<std::int64_t, Event>> visited;
    store.for_each_event_after("a", after, [&](std::int64_t place, const Event& event) { visited.emplace_back(place, event); });
    CHECK(visited == std::vector<std::pair<std::int64_t, Event>>(all.events.begin() + static_cast<std::ptrdiff_t>(from),
                                                                  all.events.end()));
  }
}

TEST_CASE_TEMPLATE("a campaign's last event and one lead's events are found without reading the others", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK_FALSE(store.last_event_at("a").has_value());
  std::vector<Event> appended;
  const char* times[] = {"2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "2026-12-02T09:00:00Z"};
  for (int i = 0; i < 12; ++i) {
    const std::string lead = i % 3 == 0 ? "Mixed.Case@Example.com" : "lead" + std::to_string(i) + "@example.com";
    appended.push_back(event_of(EventType::sent, i % 4 == 3 ? "other" : "a", lead, 1, times[i % 3]));
    REQUIRE(store.append(appended.back()));
  }
  CHECK(store.last_event_at("a") == appended[10].at);
  CHECK(store.last_event_at("other") == appended[11].at);
  std::vector<Event> expected;
  for (const Event& event : appended) {
    if (event.campaign == "a" && event.lead == "Mixed.Case@Example.com") expected.push_back(event);
  }
  REQUIRE(expected.size() == 3);
  std::vector<Event> found;
  store.for_each_lead_event("a", "mixed.case@EXAMPLE.com", [&](const Event& event) { found.push_back(event); });
  CHECK(found == expected);
  found.clear();
  store.for_each_lead_event("a", "nobody@example.com", [&](const Event& event) { found.push_back(event); });
  CHECK(found.empty());
}

TEST_CASE_TEMPLATE("a campaign's snapshot replaces the one before, and forgetting an address drops every snapshot", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK_FALSE(store.snapshot("a").has_value());
  if (!store.keeps_snapshots()) {
    CHECK_FALSE(store.save_snapshot("a", CampaignSnapshot{1, "state"}));
    CHECK_FALSE(store.snapshot("a").has_value());
    return;
  }
  // Any bytes: the state is binary.
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  REQUIRE(store.save_snapshot("a", CampaignSnapshot{7, bytes}));
  REQUIRE(store.save_snapshot("b", CampaignSnapshot{3, "b's"}));
  CHECK(store.snapshot("a") == CampaignSnapshot{7, bytes});
  REQUIRE(store.save_snapshot("a", CampaignSnapshot{9, bytes + bytes}));
  CHECK(store.snapshot("a") == CampaignSnapshot{9, bytes + bytes});
  CHECK(store.snapshot("b") == CampaignSnapshot{3, "b's"});
  REQUIRE(store.append(event_of(EventType::sent, "a", "gone@example.com", 1)));
  REQUIRE(store.forget("gone@example.com"));
  CHECK_FALSE(store.snapshot("a").has_value());
  CHECK_FALSE(store.snapshot("b").has_value());
}

TEST_CASE_TEMPLATE("a folder's position is kept per mailbox and folder and replaced by the next", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK_FALSE(store.folder_position("alice", "INBOX").has_value());

  const FolderPosition inbox{"alice", "INBOX", 1700000000, 41};
  const FolderPosition bounces{"alice", "Bounces", 7, 0};
  const FolderPosition bob_inbox{"bob", "INBOX", 4294967295u, 4294967295u};
  for (const FolderPosition& position : {inbox, bounces, bob_inbox}) REQUIRE(store.save_folder_position(position));
  CHECK(store.folder_position("alice", "INBOX") == inbox);
  CHECK(store.folder_position("alice", "Bounces") == bounces);
  CHECK(store.folder_position("bob", "INBOX") == bob_inbox);
  CHECK_FALSE(store.folder_position("bob", "Bounces").has_value());
  CHECK_FALSE(store.folder_position("alice", "inbox").has_value());  // names as the settings give them
  CHECK_FALSE(store.folder_position("carol", "INBOX").has_value());

  // Further on, and then under a new UIDVALIDITY (the folder was made again): each replaces it.
  const FolderPosition further{"alice", "INBOX", 1700000000, 57};
  REQUIRE(store.save_folder_position(further));
  CHECK(store.folder_position("alice", "INBOX") == further);
  const FolderPosition renewed{"alice", "INBOX", 1800000000, 3};
  REQUIRE(store.save_folder_position(renewed));
  CHECK(store.folder_position("alice", "INBOX") == renewed);
  CHECK(store.folder_position("alice", "Bounces") == bounces);

  // In the unit that takes a message in, and seen inside it.
  REQUIRE(store.begin());
  REQUIRE(store.append(event_of(EventType::replied, "a", "x@example.com", 1)));
  const FolderPosition taken{"alice", "INBOX", 1800000000, 4};
  REQUIRE(store.save_folder_position(taken));
  CHECK(store.folder_position("alice", "INBOX") == taken);
  REQUIRE(store.commit());
  CHECK(store.folder_position("alice", "INBOX") == taken);

  // Forgetting an address leaves the positions alone.
  REQUIRE(store.forget("x@example.com"));
  CHECK(store.folder_position("alice", "INBOX") == taken);
}

TEST_CASE_TEMPLATE("a mailbox's last check replaces the one before and checks are listed by mailbox id", Kind,
                   STORE_KINDS) {
  Kind kind;
  Store& store = kind.get();
  CHECK(store.mailbox_checks().empty());

  const MailboxCheck carol{"carol", utc("2026-12-01T09:00:00Z"), std::nullopt, ""};
  const MailboxCheck alice{"alice", std::nullopt, utc("2026-12-01T09:01:00.250Z"),
                           "imap.acme.example:993: login refused: [AUTHENTICATIONFAILED] ünïcode"};
  const MailboxCheck bob{"bob", std::nullopt, std::nullopt, ""};
  for (const MailboxCheck& check : {carol, alice, bob}) REQUIRE(store.record_mailbox_check(check));
  CHECK(store.mailbox_checks() == std::vector<MailboxCheck>{alice, bob, carol});

  // Read through after failing, then failing again after a reading went through.
  const MailboxCheck alice_read{"alice", utc("2026-12-01T09:02:00Z"), std::nullopt, ""};
  REQUIRE(store.record_mailbox_check(alice_read));
  CHECK(store.mailbox_checks() == std::vector<MailboxCheck>{alice_read, bob, carol});
  const MailboxCheck carol_failed{"carol", utc("2026-12-01T09:00:00Z"), utc("2026-12-01T10:00:00Z"), "timed out"};
  REQUIRE(store.begin());
  REQUIRE(store.record_mailbox_check(carol_failed));
  REQUIRE(store.commit());
  CHECK(store.mailbox_checks() == std::vector<MailboxCheck>{alice_read, bob, carol_failed});
}

// Store's defaults, as a host's own store that does not override them has them.
// Only the port's required members: every optional one has its default.
using MinimalStore = testing::ForwardingStore;

TEST_CASE("a store that keeps no inbox refuses mail handed to it and has nothing waiting") {
  MinimalStore store;
  const auto queued = store.queue_received("hello", utc("2026-12-01T09:00:00Z"));
  REQUIRE_FALSE(queued.has_value());
  CHECK(queued.error().code() == Errc::invalid_argument);
  CHECK(store.queued(10).empty());
  CHECK_FALSE(store.unqueue(1).has_value());
  CHECK(store.queue_request("{}", utc("2026-12-01T09:00:00Z")).error().code() == Errc::invalid_argument);
  CHECK(store.waiting_requests(10).empty());
  CHECK_FALSE(store.request(1).has_value());
  CHECK_FALSE(store.answer_request(1, "{}", utc("2026-12-01T09:00:00Z")).has_value());
  CHECK(store.access() == StoreAccess::engine);
  CHECK_FALSE(store.read_error().has_value());
}

TEST_CASE("a store that keeps no folder positions or checks takes them and has none") {
  MinimalStore store;
  REQUIRE(store.save_folder_position({"alice", "INBOX", 1, 2}));
  CHECK_FALSE(store.folder_position("alice", "INBOX").has_value());
  REQUIRE(store.record_mailbox_check({"alice", utc("2026-12-01T09:00:00Z"), std::nullopt, ""}));
  CHECK(store.mailbox_checks().empty());
}

}  // TEST_SUITE
