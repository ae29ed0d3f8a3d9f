// What a send's outcome means for the lead, under the campaign's delivery mode: sent, in
// doubt, deferred with a backoff, or failed (given up after the most attempts, or refused,
// which for an address that does not exist is also a hard bounce).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "outreach/campaign.hpp"
#include "outreach/event.hpp"
#include "outreach/instant.hpp"
#include "outreach/transport.hpp"

namespace outreach::detail {

/// Temporary failures of one step before the send is given up.
inline constexpr int max_attempts = 8;

/// The wait after the `attempt`-th temporary failure (1-based): 10 minutes, doubling, at most
/// 12 hours.
[[nodiscard]] std::chrono::milliseconds backoff(int attempt) noexcept;

/// True for an enhanced status that says the address does not exist (5.1.x).
[[nodiscard]] constexpr bool refused_as_unknown_address(std::string_view status) noexcept {
  return status.starts_with("5.1.");
}

struct OutcomeVerdict {
  EventType type = EventType::sent;  // sent, in_doubt, deferred or failed
  Cause cause = Cause::none;         // failed: refused or gave_up
  std::optional<std::chrono::milliseconds> retry_after;  // deferred
  bool hard_bounce = false;          // refused as an address that does not exist
};

/// What an outcome is for a lead whose step failed temporarily `attempts` times before.
/// A message that went out whole over a connection lost before the reply may have been
/// delivered: at most once it is in doubt and not sent again; at least once it is deferred.
[[nodiscard]] OutcomeVerdict judge_outcome(const SendOutcome& outcome, Delivery delivery, int attempts);

/// Fills the outcome event's type and, for a send that did not go, why: reason, code, status,
/// `retry_at` (from `now`) and cause. The caller has set the lead's and the message's fields.
void describe_outcome(const OutcomeVerdict& verdict, const SendOutcome& outcome, Instant now, Event& event);

}  // namespace outreach::detail
