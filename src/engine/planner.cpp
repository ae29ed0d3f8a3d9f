#include "engine/planner.hpp"

#include <algorithm>
#include <chrono>

namespace outreach::detail {

std::optional<Plan> wait_for_window(CampaignState& c, std::uint32_t lead, Instant now) {
  const LeadState& state = c.leads[lead];
  const TimeZone& zone = c.leads.zone_of(state);
  if (!c.def.schedule.is_open(now, zone)) return Plan::wait(c.def.schedule.next_open(now, zone));
  if (auto until = c.caps.reached_until(now, c.def.schedule.timezone, c.def.limits, state.next_step)) {
    return Plan::wait(until);
  }
  return std::nullopt;
}

bool can_send_with(const CampaignState& c, const MailboxPool& mailboxes, std::size_t mailbox) {
  return !mailboxes[mailbox].disabled() && std::find(c.mailboxes.begin(), c.mailboxes.end(), mailbox) != c.mailboxes.end();
}

Plan pick_mailbox(const CampaignState& c, const MailboxPool& mailboxes, std::uint32_t lead, Instant now) {
  const LeadState& state = c.leads[lead];
  if (state.mailbox != no_mailbox) {
    if (can_send_with(c, mailboxes, state.mailbox)) {
      const MailboxLimiter& own = mailboxes[state.mailbox];
      if (!own.available(now)) return Plan::wait(own.available_at(now));
      return Plan::send_with(state.mailbox);
    }
    // Its mailbox is disabled or no longer the campaign's: a follow-up waits for it (and is
    // queued again when it comes back), unless the campaign moves follow-ups. A first step that
    // never went (deferred) has no thread to keep: it goes from another mailbox.
    if (state.next_step > 1 && !c.def.reassign_follow_ups) return Plan::wait(std::nullopt);
  }
  std::optional<std::size_t> best;
  std::int64_t best_room = 0;
  for (const std::size_t index : c.mailboxes) {
    const MailboxLimiter& mailbox = mailboxes[index];
    if (mailbox.disabled() || now < mailbox.next_allowed()) continue;
    const std::int64_t room = mailbox.room(now);
    if (room > best_room) {
      best_room = room;
      best = index;
    }
  }
  if (!best) return Plan::wait(first_mailbox_free_at(c, mailboxes, now));
  return Plan::send_with(*best);
}

std::optional<Instant> first_mailbox_free_at(const CampaignState& c, const MailboxPool& mailboxes, Instant now) {
  std::optional<Instant> earliest;
  for (const std::size_t index : c.mailboxes) {
    if (mailboxes[index].disabled()) continue;
    const Instant at = mailboxes[index].available_at(now);
    if (!earliest || at < *earliest) earliest = at;
  }
  return earliest;
}

std::optional<Instant> next_wake(CampaignState& c, const MailboxPool& mailboxes, Instant now) {
  if (c.status != CampaignStatus::running) return std::nullopt;
  std::optional<Instant> wake;
  const auto consider = [&](Instant at) {
    if (!wake || at < *wake) wake = at;
  };
  if (c.def.schedule.end && c.leads.unfinished_count() > 0) consider(*c.def.schedule.end);
  if (c.leads.has_due()) consider(c.leads.next_due().due);
  std::optional<Instant> zone_open;
  for (const PendingQueue& queue : c.leads.pending()) {
    if (queue.next >= queue.leads.size()) continue;
    const Instant from = std::max(now, queue.ready_at);
    if (auto open = c.def.schedule.next_open(from, c.leads.zone(queue.zone))) {
      if (!zone_open || *open < *zone_open) zone_open = *open;
    }
  }
  const std::optional<Instant> mailbox_free = first_mailbox_free_at(c, mailboxes, now);
  if (zone_open && mailbox_free) {  // every mailbox disabled: new leads wait for one to come back
    Instant at = std::max(*zone_open, *mailbox_free);
    if (c.caps.any_full(now, c.def.schedule.timezone, c.def.limits)) {
      at = std::max(at, Schedule::next_local_midnight(now, c.def.schedule.timezone));
    }
    consider(std::max(at, now + std::chrono::milliseconds(1)));
  }
  return wake;
}

}  // namespace outreach::detail
