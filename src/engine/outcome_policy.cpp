#include "engine/outcome_policy.hpp"

#include <algorithm>
#include <string>

namespace outreach::detail {

namespace {

constexpr std::chrono::milliseconds first_backoff = std::chrono::minutes(10);
constexpr std::chrono::milliseconds longest_backoff = std::chrono::hours(12);

}  // namespace

std::chrono::milliseconds backoff(int attempt) noexcept {
  // Doubling stops at the longest wait well before the shift could overflow.
  if (attempt > 16) return longest_backoff;
  return std::min(longest_backoff, first_backoff * (1 << (std::max(attempt, 1) - 1)));
}

OutcomeVerdict judge_outcome(const SendOutcome& outcome, Delivery delivery, int attempts) {
  OutcomeVerdict verdict;
  const bool temporary = outcome.kind == SendOutcome::Kind::temporary;
  if (outcome.kind == SendOutcome::Kind::accepted) return verdict;
  if (temporary && outcome.maybe_delivered && delivery == Delivery::at_most_once) {
    verdict.type = EventType::in_doubt;
    return verdict;
  }
  if (temporary && attempts + 1 < max_attempts) {
    verdict.type = EventType::deferred;
    verdict.retry_after = backoff(attempts + 1);
    return verdict;
  }
  verdict.type = EventType::failed;
  verdict.cause = temporary ? Cause::gave_up : Cause::refused;
  verdict.hard_bounce = outcome.address_does_not_exist();
  return verdict;
}

void describe_outcome(const OutcomeVerdict& verdict, const SendOutcome& outcome, Instant now, Event& event) {
  event.type = verdict.type;
  if (verdict.type != EventType::deferred && verdict.type != EventType::failed) return;
  event.reason = outcome.reason;
  event.code = outcome.code;
  event.status = outcome.status;
  event.cause = verdict.cause;
  if (verdict.retry_after) event.retry_at = now + *verdict.retry_after;
  if (verdict.cause == Cause::gave_up) {
    event.reason = "gave up after " + std::to_string(max_attempts) + " temporary failures; the last: " + outcome.reason;
  }
}

}  // namespace outreach::detail
