#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "outreach/event.hpp"
#include "store/event_line.hpp"

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

namespace {

// What a line must be, byte for byte: the event as a Boost.JSON object, serialized (how lines
// were written before they were written directly; stores hold lines of both).
std::string line_as_object(const Event& event) {
  boost::json::object line;
  line["type"] = to_string(event.type);
  line["at"] = format_instant(event.at);
  line["campaign"] = event.campaign;
  if (!event.lead.empty()) line["lead"] = event.lead;
  if (event.step > 0) line["step"] = event.step;
  if (!event.variant.empty()) line["variant"] = event.variant;
  if (!event.mailbox.empty()) line["mailbox"] = event.mailbox;
  if (!event.message_id.empty()) line["message_id"] = event.message_id;
  if (!event.subject.empty()) line["subject"] = event.subject;
  if (!event.in_reply_to.empty()) line["in_reply_to"] = event.in_reply_to;
  if (event.sequence_version > 0) line["sequence_version"] = event.sequence_version;
  if (!event.kind.empty()) line["kind"] = event.kind;
  if (!event.return_date.empty()) line["return_date"] = event.return_date;
  if (!event.reason.empty()) line["reason"] = event.reason;
  if (event.code != 0) line["code"] = event.code;
  if (!event.status.empty()) line["status"] = event.status;
  if (event.retry_at) line["retry_at"] = format_instant(*event.retry_at);
  if (!event.url.empty()) line["url"] = event.url;
  if (event.suspect) line["suspect"] = true;
  // Last, so that the rest of the line reads as before causes were written.
  if (event.cause != Cause::none) line["cause"] = to_string(event.cause);
  if (event.settled != Settlement::none) line["settled"] = to_string(event.settled);
  if (!event.setting.empty()) {
    line["setting"] = event.setting;
    // Values, as the campaign file has them; the text of one that is not JSON stays a string.
    for (const auto& [key, text] : {std::pair{"before", &event.before}, std::pair{"after", &event.after}}) {
      boost::system::error_code error;
      boost::json::value value = boost::json::parse(*text, error);
      line[key] = error ? boost::json::value(*text) : std::move(value);
    }
  }
  if (!event.evidence.empty()) {
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(event.evidence, error);
    line["evidence"] = error ? boost::json::value(event.evidence) : std::move(value);
  }
  return boost::json::serialize(line);
}

// Text with what JSON escapes (quotes, backslashes, every control character), multi-byte UTF-8,
// and sometimes bytes that are not UTF-8.
std::string random_text(std::mt19937& random) {
  static const std::vector<std::string> pieces = {"a", "Z", "9", " ", "\"", "\\", "/", "\n", "\t", "\r",
                                                  "\b", "\f", std::string(1, '\0'), "\x01", "\x1f", "\x7f",
                                                  "é", "—", "😀", "<id@x.example>", "\xff", "\xc3"};
  static const std::vector<std::string> plain = {"a", "Z", "9", " ", "/", "é", "—", "😀", "<id@x.example>"};
  // Most text has nothing to escape, as most events do.
  const auto& from = random() % 8 == 0 ? pieces : plain;
  std::string text;
  const auto length = std::uniform_int_distribution<int>(0, 12)(random);
  for (int i = 0; i < length; ++i) text += from[random() % from.size()];
  return text;
}

Event random_event(std::mt19937& random) {
  const auto maybe = [&](std::string& field) {
    if (random() % 2) field = random_text(random);
  };
  Event event;
  event.type = every_type[random() % std::size(every_type)];
  event.at = Instant{std::chrono::milliseconds(static_cast<std::int64_t>(random() % 4000000000000ull))};
  event.campaign = random_text(random);
  for (std::string* field : {&event.lead, &event.variant, &event.mailbox, &event.message_id, &event.subject,
                             &event.in_reply_to, &event.kind, &event.return_date, &event.reason, &event.status,
                             &event.url}) {
    maybe(*field);
  }
  if (random() % 2) event.step = static_cast<int>(random() % 3 == 0 ? 2147483647u : random() % 5);
  if (random() % 2) event.sequence_version = static_cast<int>(random() % 4);
  if (random() % 3 == 0) event.code = static_cast<int>(random());
  if (random() % 3 == 0) event.retry_at = Instant{std::chrono::milliseconds(static_cast<std::int64_t>(random() % 4000000000000ull))};
  event.suspect = random() % 4 == 0;
  if (event.type == EventType::failed && random() % 2) event.cause = static_cast<Cause>(1 + random() % 4);
  if (event.type == EventType::sent && random() % 3 == 0) event.settled = Settlement::found_in_sent;
  if (event.type == EventType::deferred && random() % 3 == 0) event.settled = Settlement::not_in_sent;
  // Values of their own: JSON as the reader gives it back, or a text that is not JSON.
  static const std::vector<std::string> values = {"1", "null", "\"x\\\"y\"", R"({"a":[1,2,true],"b":{}})", "not json"};
  if (event.type == EventType::campaign_changed) {
    event.setting = random_text(random) + "s";
    event.before = values[random() % values.size()];
    event.after = values[random() % values.size()];
  }
  // Evidence is an object, or text; `null` reads as no evidence.
  if (event.type == EventType::variant_won && random() % 2) event.evidence = values[3 + random() % 2];
  return event;
}

// Both readers say the same of a line: the same event, or both an error.
void check_readers_agree(const std::string& line) {
  CAPTURE(line);
  const auto plain = detail::parse_plain_event_line(line);
  const auto checked = detail::parse_event_line_checked(line);
  if (plain) {
    REQUIRE(checked.has_value());
    CHECK(*plain == *checked);
  }
}

}  // namespace

TEST_CASE("event lines are written byte for byte as the JSON object was, and read back equal by both readers") {
  std::mt19937 random(20261207);
  int plain = 0;  // lines the one-pass reader took
  for (int i = 0; i < 20000; ++i) {
    const Event event = random_event(random);
    const std::string line = to_json_line(event);
    CAPTURE(line);
    REQUIRE(line == line_as_object(event));
    boost::system::error_code not_json;  // text that is not UTF-8 makes a line no JSON reader takes
    const bool utf8 = boost::json::parse(line, not_json).is_object() && !not_json;
    const auto read = parse_event_line(line);
    const auto checked = detail::parse_event_line_checked(line);
    CHECK(read.has_value() == checked.has_value());
    if (read && checked) CHECK(*read == *checked);
    const bool values_read_back = event.before != "not json" && event.after != "not json" && event.evidence != "not json";
    if (utf8 && event.step != 0 && event.sequence_version != 0 && values_read_back) {
      REQUIRE(read.has_value());
      CHECK(*read == event);
    }
    check_readers_agree(line);
    plain += detail::parse_plain_event_line(line).has_value() ? 1 : 0;
  }
  CHECK(plain > 1000);  // those with nothing to escape
  CHECK(detail::parse_plain_event_line(
            R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","lead":"a@x.example","step":1})") ==
        parse_event_line(R"({"step":1,"lead":"a@x.example","campaign":"c","at":"2026-12-01T09:00:00Z","type":"sent"})")
            .value());
}

TEST_CASE("a line the fast reader cannot take is read by the full reader, never read otherwise") {
  std::mt19937 random(7);
  const std::string base = to_json_line(with_every_field(EventType::sent));
  const std::string alphabet = "{}[]\":,-0123456789.eEtrufalsn \\\x01\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string line = base;
    const auto edits = 1 + random() % 3;
    for (unsigned e = 0; e < edits; ++e) {
      const std::size_t at = random() % (line.size() + 1);
      switch (random() % 3) {
        case 0: line.insert(at, 1, alphabet[random() % alphabet.size()]); break;
        case 1: if (at < line.size()) line.erase(at, 1); break;
        default: if (at < line.size()) line[at] = alphabet[random() % alphabet.size()];
      }
    }
    check_readers_agree(line);
  }
  // Members a plain line never has, or has otherwise: left to the full reader, which says why.
  for (const char* line : {R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","step":1,"step":2})",
                           R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","step":01})",
                           R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","suspect":false})",
                           R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c","settled":"not_in_sent"})",
                           R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c\u0041"})",
                           R"( {"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c"})"}) {
    CHECK_FALSE(detail::parse_plain_event_line(line).has_value());
    check_readers_agree(line);
  }
  CHECK(parse_event_line(R"({"type":"sent","at":"2026-12-01T09:00:00Z","campaign":"c\u0041"})")->campaign == "cA");
}

TEST_CASE("the send outcomes are the event types that close an intent") {
  for (const EventType type : every_type) {
    const bool outcome = type == EventType::sent || type == EventType::deferred || type == EventType::failed ||
                         type == EventType::in_doubt;
    CHECK(is_send_outcome(type) == outcome);
  }
}

}  // TEST_SUITE
