// For a lead and an instant, what to do with its next step: send it with this mailbox, wait
// until it can go, or skip it. Checks go in the order of docs/engine.md (schedule, campaign
// caps, suppression, mailbox); one that fails delays the send to the moment it can pass. Also
// when a campaign next has something to do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "engine/campaign_state.hpp"
#include "engine/mailbox_pool.hpp"
#include "outreach/instant.hpp"

namespace outreach::detail {

struct Plan {
  enum class Kind : std::uint8_t { send, wait, skip_suppressed };
  Kind kind = Kind::send;
  std::size_t mailbox = 0;       // send: the engine mailbox index
  std::optional<Instant> until;  // wait: when it could go (nothing: not in sight)

  static Plan send_with(std::size_t mailbox) { return Plan{Kind::send, mailbox, std::nullopt}; }
  static Plan wait(std::optional<Instant> until) { return Plan{Kind::wait, 0, until}; }
  static Plan skip() { return Plan{Kind::skip_suppressed, 0, std::nullopt}; }
};

/// The schedule and the campaign's caps: a plan to wait, or nothing when both let it go now.
[[nodiscard]] std::optional<Plan> wait_for_window(CampaignState& campaign, std::uint32_t lead, Instant now);

/// Whether the campaign sends with the mailbox now: it is the campaign's and not disabled.
[[nodiscard]] bool can_send_with(const CampaignState& campaign, const MailboxPool& mailboxes, std::size_t mailbox);

/// The mailbox for the lead's next step: its own for a follow-up or a retry (a follow-up waits,
/// with no instant, while that one cannot send for the campaign, unless
/// `reassign_follow_ups`), else the
/// campaign's mailbox with the most room left among those enabled whose spacing has passed
/// (ties: the given order).
[[nodiscard]] Plan pick_mailbox(const CampaignState& campaign, const MailboxPool& mailboxes, std::uint32_t lead,
                                Instant now);

/// The plan for the lead's next step at `now`; `is_suppressed()` is asked only once the
/// schedule and the caps let the step go.
template <class IsSuppressed>
[[nodiscard]] Plan plan_step(CampaignState& campaign, const MailboxPool& mailboxes, std::uint32_t lead, Instant now,
                             IsSuppressed&& is_suppressed) {
  if (auto wait = wait_for_window(campaign, lead, now)) return *wait;
  if (is_suppressed()) return Plan::skip();
  return pick_mailbox(campaign, mailboxes, lead, now);
}

/// The first instant from `now` at which some enabled mailbox of the campaign can send; nothing
/// when every one is disabled.
[[nodiscard]] std::optional<Instant> first_mailbox_free_at(const CampaignState& campaign, const MailboxPool& mailboxes,
                                                           Instant now);

/// When a running campaign next has something to do after `now`: its end, its first due
/// follow-up, or the first instant a new lead could go; nothing when it has nothing left.
[[nodiscard]] std::optional<Instant> next_wake(CampaignState& campaign, const MailboxPool& mailboxes, Instant now);

}  // namespace outreach::detail
