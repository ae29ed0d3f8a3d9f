#include <doctest/doctest.h>

#include <string>

#include "outreach/event.hpp"

using namespace outreach;

namespace {

Event failed(std::string reason, Cause cause = Cause::none) {
  Event event;
  event.type = EventType::failed;
  event.at = *parse_instant("2026-12-01T10:00:00Z");
  event.campaign = "c";
  event.lead = "ann@example.com";
  event.step = 1;
  event.mailbox = "m1";
  event.reason = std::move(reason);
  event.cause = cause;
  return event;
}

}  // namespace

TEST_SUITE("test_event_cause") {

TEST_CASE("a failed event's cause is written last on its line and read back") {
  for (const Cause cause : {Cause::refused, Cause::gave_up, Cause::unbuildable, Cause::unsignable}) {
    const Event event = failed("whatever was said", cause);
    const std::string line = to_json_line(event);
    CHECK(line.ends_with(R"("reason":"whatever was said","cause":")" + std::string(to_string(cause)) + "\"}"));
    const auto read = parse_event_line(line);
    REQUIRE(read.has_value());
    CHECK(*read == event);
    CHECK(failure_cause(*read) == cause);
  }
}

TEST_CASE("an event without a cause writes no cause field") {
  Event sent = failed("");
  sent.type = EventType::sent;
  CHECK(to_json_line(sent).find("cause") == std::string::npos);
  CHECK(failure_cause(sent) == Cause::none);
}

TEST_CASE("failed lines written before events carried a cause resume with the cause their reason gave") {
  // As the previous version wrote them.
  const char* const lines[][2] = {
      {R"({"type":"failed","at":"2026-12-01T10:00:00Z","campaign":"c","lead":"a@x.example","step":1,"mailbox":"m1","reason":"gave up after 8 temporary failures; the last: busy","code":451,"status":"4.3.0"})",
       "gave_up"},
      {R"({"type":"failed","at":"2026-12-01T10:00:00Z","campaign":"c","lead":"a@x.example","step":1,"mailbox":"m1","reason":"cannot build the message: bad"})",
       "unbuildable"},
      {R"({"type":"failed","at":"2026-12-01T10:00:00Z","campaign":"c","lead":"a@x.example","step":1,"mailbox":"m1","reason":"cannot sign the message: no key"})",
       "unsignable"},
      {R"({"type":"failed","at":"2026-12-01T10:00:00Z","campaign":"c","lead":"a@x.example","step":1,"mailbox":"m1","reason":"no such user","code":550,"status":"5.1.1"})",
       "refused"},
  };
  for (const auto& [line, cause] : lines) {
    CAPTURE(line);
    const auto read = parse_event_line(line);
    REQUIRE(read.has_value());
    CHECK(read->cause == Cause::none);  // the line as it is
    CHECK(to_string(failure_cause(*read)) == cause);
  }
  // A cause written says it, whatever the reason.
  CHECK(failure_cause(failed("gave up after 8 temporary failures", Cause::refused)) == Cause::refused);
}

TEST_CASE("an unknown cause is an error naming the field") {
  const auto read = parse_event_line(
      R"({"type":"failed","at":"2026-12-01T10:00:00Z","campaign":"c","lead":"a@x.example","cause":"bad_luck"})");
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().where().json_path == "cause");
  CHECK(read.error().message().find("unknown cause") != std::string::npos);
  CHECK_FALSE(cause_from_string(""));
  CHECK(cause_from_string("gave_up") == Cause::gave_up);
}

}  // TEST_SUITE
