#include <doctest/doctest.h>

#include <string>

#include "engine/outcome_policy.hpp"

using namespace outreach;
using namespace std::chrono_literals;
using detail::judge_outcome;

namespace {

SendOutcome outcome(SendOutcome::Kind kind, int code = 0, std::string status = "", std::string reason = "",
                    bool maybe_delivered = false) {
  SendOutcome result;
  result.kind = kind;
  result.code = code;
  result.status = std::move(status);
  result.reason = std::move(reason);
  result.maybe_delivered = maybe_delivered;
  return result;
}

}  // namespace

TEST_SUITE("test_outcome_policy") {

TEST_CASE("backoff starts at 10 minutes and doubles up to 12 hours") {
  CHECK(detail::backoff(1) == 10min);
  CHECK(detail::backoff(2) == 20min);
  CHECK(detail::backoff(7) == 640min);
  CHECK(detail::backoff(8) == 12h);
  CHECK(detail::backoff(40) == 12h);
}

TEST_CASE("an accepted send is sent, whatever the delivery mode") {
  for (const Delivery delivery : {Delivery::at_most_once, Delivery::at_least_once}) {
    const auto verdict = judge_outcome(outcome(SendOutcome::Kind::accepted, 250), delivery, 3);
    CHECK(verdict.type == EventType::sent);
    CHECK(verdict.cause == Cause::none);
    CHECK_FALSE(verdict.hard_bounce);
  }
}

TEST_CASE("a temporary failure is deferred with the backoff of its attempt, and given up at the last") {
  const SendOutcome busy = outcome(SendOutcome::Kind::temporary, 451, "4.3.0", "try later");
  const auto first = judge_outcome(busy, Delivery::at_most_once, 0);
  CHECK(first.type == EventType::deferred);
  CHECK(first.retry_after == 10min);
  CHECK(judge_outcome(busy, Delivery::at_most_once, 6).retry_after == 640min);
  const auto last = judge_outcome(busy, Delivery::at_most_once, detail::max_attempts - 1);
  CHECK(last.type == EventType::failed);
  CHECK(last.cause == Cause::gave_up);
  CHECK_FALSE(last.hard_bounce);

  Event event;
  detail::describe_outcome(last, busy, *parse_instant("2026-12-01T10:00:00Z"), event);
  CHECK(event.type == EventType::failed);
  CHECK(event.reason == "gave up after 8 temporary failures; the last: try later");
  CHECK(event.cause == Cause::gave_up);
  CHECK(event.code == 451);
  CHECK(event.status == "4.3.0");
  CHECK_FALSE(event.retry_at);
}

TEST_CASE("a message lost after its data is in doubt at most once, and deferred at least once") {
  const SendOutcome lost = outcome(SendOutcome::Kind::temporary, 0, "", "connection lost", true);
  CHECK(judge_outcome(lost, Delivery::at_most_once, 0).type == EventType::in_doubt);
  const auto again = judge_outcome(lost, Delivery::at_least_once, 0);
  CHECK(again.type == EventType::deferred);

  Event event;
  detail::describe_outcome(again, lost, *parse_instant("2026-12-01T10:00:00Z"), event);
  CHECK(event.retry_at == *parse_instant("2026-12-01T10:10:00Z"));
  CHECK(event.reason == "connection lost");
  CHECK(event.cause == Cause::none);
}

TEST_CASE("a refusal fails the send, and a refused address that does not exist is a hard bounce") {
  const auto unknown = judge_outcome(outcome(SendOutcome::Kind::permanent, 550, "5.1.1", "no such user"),
                                     Delivery::at_most_once, 0);
  CHECK(unknown.type == EventType::failed);
  CHECK(unknown.cause == Cause::refused);
  CHECK(unknown.hard_bounce);
  const auto policy = judge_outcome(outcome(SendOutcome::Kind::permanent, 550, "5.7.1", "spam"),
                                    Delivery::at_most_once, 0);
  CHECK(policy.cause == Cause::refused);
  CHECK_FALSE(policy.hard_bounce);
  CHECK(detail::refused_as_unknown_address("5.1.10"));
  CHECK_FALSE(detail::refused_as_unknown_address("5.7.1"));
}

}  // TEST_SUITE
