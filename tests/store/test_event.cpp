#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "outreach/event.hpp"

using namespace outreach;

namespace {

Instant at(const char* text) { return *parse_instant(text); }

constexpr EventType every_type[] = {
    EventType::sent,     EventType::deferred,     EventType::failed,   EventType::in_doubt,
    EventType::skipped,  EventType::replied,      EventType::auto_replied, EventType::bounced,
    EventType::unsubscribed, EventType::complained, EventType::stopped, EventType::paused,
    EventType::resumed,  EventType::completed,    EventType::campaign_paused, EventType::campaign_resumed,
    EventType::mailbox_unreadable, EventType::mailbox_readable, EventType::campaign_stopped,
    EventType::campaign_changed, EventType::mailbox_disabled, EventType::mailbox_enabled, EventType::opened,
    EventType::clicked, EventType::variant_won, EventType::variant_stopped};

// An event of the type with every field set, whether or not the type uses it: the line must keep
// whatever the event holds.
Event with_every_field(EventType type) {
  Event event;
  event.type = type;
  event.at = at("2026-12-01T14:03:12.250Z");
  event.campaign = "q4 \"founders\" — ünïcode";
  event.lead = "María.O'Neil@Brightloop.example";
  event.step = 3;
  event.variant = "B";
  event.mailbox = "alice";
  event.message_id = "<q4.3.abc@acme.example>";
  event.subject = "Re: quick question\twith a tab and a \\ backslash";
  event.in_reply_to = "<q4.2.abc@acme.example>";
  event.sequence_version = 2;
  event.reason = "missing_field:company";
  event.code = 451;
  event.status = "4.2.2";
  event.retry_at = at("2026-12-01T14:13:12Z");
  event.kind = "soft";
  event.return_date = "2026-12-15";
  event.url = "https://acme.example/pricing?plan=team&ref=q4";
  event.suspect = true;
  return event;
}

}  // namespace

TEST_SUITE("test_event") {

TEST_CASE("every event type reads back equal from its JSON line, with every field") {
  for (const EventType type : every_type) {
    CAPTURE(to_string(type));
    const Event full = with_every_field(type);
    const auto read = parse_event_line(to_json_line(full));
    REQUIRE(read.has_value());
    CHECK(*read == full);

    // The fewest fields: a campaign event without a lead, step or anything else.
    Event bare;
    bare.type = type;
    bare.at = at("2026-12-01T00:00:00Z");
    bare.campaign = "c";
    const auto read_bare = parse_event_line(to_json_line(bare));
    REQUIRE(read_bare.has_value());
    CHECK(*read_bare == bare);
  }
}

TEST_CASE("event lines read back with negative codes, large steps and a trailing newline") {
  Event event = with_every_field(EventType::failed);
  event.code = -1;
  event.step = 2147483647;
  const auto read = parse_event_line(to_json_line(event) + "\n");
  REQUIRE(read.has_value());
  CHECK(*read == event);
}

TEST_CASE("the fields of an event line may come in any order") {
  const auto read = parse_event_line(
      R"({"step":2,"lead":"bob@x.example","campaign":"c","at":"2026-12-01T09:00:00Z","type":"replied"})");
  REQUIRE(read.has_value());
  CHECK(read->type == EventType::replied);
  CHECK(read->step == 2);
  CHECK(read->lead == "bob@x.example");
}

TEST_CASE("a bad event line is an error naming what is wrong") {
  struct Bad {
    const char* line;
    const char* json_path;
    const char* message;
  };
  const std::vector<Bad> cases = {
      {R"({"type":"sent","at":"2026-12-01T09:00:00Z"})", "campaign", "required"},
      {R"({"at":"2026-12-01T09:00:00Z","campaign":"c"})", "type", "required"},
      {R"({"type":"viewed","at":"2026-12-01T09:00:00Z","campaign":"c"})", "type", "unknown event type \"viewed\""},
      {R"({"type":"sent","at":"yesterday","campaign":"c"})", "at", "RFC 3339"},
      {R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","step":0})", "step", "must be from 1"},
      {R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","step":"1"})", "step", "expected an integer"},
      {R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","code":1e12})", "code", "must be from"},
      {R"({"type":"deferred","at":"2026-12-01T09:00:00Z","campaign":"c","retry_at":"soon"})", "retry_at", "RFC 3339"},
      {R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","mailbx":"a"})", "mailbx", "did you mean \"mailbox\""},
      {R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":7})", "campaign", "expected a string"},
  };
  for (const Bad& bad : cases) {
    CAPTURE(bad.line);
    const auto read = parse_event_line(bad.line);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().where().json_path == bad.json_path);
    CHECK(read.error().message().find(bad.message) != std::string::npos);
  }

  const auto not_json = parse_event_line(R"({"type":"sent",)");
  REQUIRE_FALSE(not_json.has_value());
  CHECK(not_json.error().code() == Errc::parse_error);
  const auto not_object = parse_event_line("[1,2]");
  REQUIRE_FALSE(not_object.has_value());
  CHECK(not_object.error().message().find("expected an object") != std::string::npos);
  CHECK_FALSE(parse_event_line("").has_value());

  // Every problem of a line is reported, not only the first.
  const auto several = parse_event_line(R"({"type":"nope","at":"x","campaign":"c"})");
  REQUIRE_FALSE(several.has_value());
  CHECK(several.error().others().size() == 1);
}

TEST_CASE("the send outcomes are the event types that close an intent") {
  for (const EventType type : every_type) {
    const bool outcome = type == EventType::sent || type == EventType::deferred || type == EventType::failed ||
                         type == EventType::in_doubt;
    CHECK(is_send_outcome(type) == outcome);
  }
}

}  // TEST_SUITE
