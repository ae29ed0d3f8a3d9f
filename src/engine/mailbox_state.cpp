// Mailboxes disabled and enabled: by the engine after sends in a row failed on the mailbox's
// side (its server out of reach, its login refused), so that a broken mailbox stops burning its
// leads' attempts; on request; or by the settings of a campaign that has it. The store keeps
// each mailbox's latest state, and every started campaign that has it an event, which a restart
// reads back. Its campaigns go on with their other mailboxes; leads that can go with none are
// parked until one comes back.
#include <algorithm>

#include "engine/engine_state.hpp"
#include "engine/planner.hpp"

namespace outreach {

using detail::CampaignState;
using detail::CampaignStatus;

namespace {

// A lead whose next step follows one its mailbox sent: it goes from that mailbox.
bool waits_for_follow_up(const detail::LeadState& lead) {
  return lead.mailbox != detail::no_mailbox && lead.next_step > 1 && detail::unfinished(lead.status);
}

}  // namespace

void Engine::State::note_mailbox_outcome(std::size_t mailbox, const SendOutcome& outcome, Instant now) {
  detail::MailboxLimiter& limiter = mailboxes[mailbox];
  const bool accepted = outcome.kind == SendOutcome::Kind::accepted;
  const bool failed_here = !accepted && outcome.sender_side;
  const std::int64_t in_a_row = limiter.count_outcome(accepted, failed_here);
  const std::int64_t limit = limiter.settings().disable_after_failures;
  if (!failed_here || limiter.disabled() || limit == 0 || in_a_row < limit) return;
  set_mailbox_enabled(mailbox, false,
                      std::to_string(in_a_row) + " sends in a row failed on the mailbox's side; the last: " +
                          outcome.reason,
                      now);
}

void Engine::State::set_mailbox_enabled(std::size_t mailbox, bool enabled, const std::string& reason, Instant now) {
  detail::MailboxLimiter& limiter = mailboxes[mailbox];
  if (limiter.disabled() != enabled) return;  // as asked already
  // Never older than the state it replaces (a clock set back, a store another host wrote).
  const Instant since = std::max(now, limiter.state_since());
  limiter.set_disabled(!enabled, reason, since);
  if (!enabled) warn("mailbox \"" + limiter.settings().id + "\" is disabled: " + reason);
  (void)log.kept_or_stop(store.save_mailbox_state({limiter.settings().id, !enabled, reason, since}));
  for (auto& campaign : campaigns) {
    CampaignState& c = *campaign;
    if (std::find(c.mailboxes.begin(), c.mailboxes.end(), mailbox) == c.mailboxes.end()) continue;
    if (enabled) requeue_parked(c);
    if (c.status == CampaignStatus::draft) continue;  // nothing is kept before it starts
    Event event = detail::campaign_event(enabled ? EventType::mailbox_enabled : EventType::mailbox_disabled, now, c,
                                         reason);
    event.mailbox = limiter.settings().id;
    record_campaign(c, event);
  }
}

bool Engine::State::disabled_by_settings(std::size_t mailbox) const {
  const std::string& id = mailboxes[mailbox].settings().id;
  return std::any_of(campaigns.begin(), campaigns.end(), [&](const auto& c) {
    return std::any_of(c->def.mailboxes.begin(), c->def.mailboxes.end(),
                       [&](const Mailbox& settings) { return settings.id == id && settings.disabled; });
  });
}

void Engine::State::apply_mailbox_settings(Instant now) {
  for (std::size_t mailbox = 0; mailbox < mailboxes.size(); ++mailbox) {
    const detail::MailboxLimiter& limiter = mailboxes[mailbox];
    const bool wanted = disabled_by_settings(mailbox);
    if (wanted && !limiter.disabled()) {
      set_mailbox_enabled(mailbox, false, "settings", now);
    } else if (!wanted && limiter.disabled() && limiter.disabled_because() == "settings") {
      set_mailbox_enabled(mailbox, true, "settings", now);
    }
  }
}

void Engine::State::apply_stored_mailbox_states() {
  bool enabled = false;
  for (const MailboxState& kept : store.mailbox_states()) {
    const auto mailbox = mailboxes.find(kept.mailbox);
    if (!mailbox) continue;
    const bool was_disabled = mailboxes[*mailbox].disabled();
    mailboxes[*mailbox].set_disabled(kept.disabled, kept.reason, kept.since);
    enabled = enabled || (was_disabled && !mailboxes[*mailbox].disabled());
  }
  if (!enabled) return;
  for (auto& campaign : campaigns) requeue_parked(*campaign);
}

void Engine::State::requeue_parked(CampaignState& c) {
  // A lead parked twice (paused and resumed in between) is queued once.
  std::sort(c.parked.begin(), c.parked.end());
  c.parked.erase(std::unique(c.parked.begin(), c.parked.end()), c.parked.end());
  for (const std::uint32_t lead : c.parked) {
    if (c.leads[lead].status == detail::LeadStatus::active) c.leads.push_due(lead);
  }
  c.parked.clear();
}

std::vector<MailboxTrouble> Engine::State::mailbox_trouble(const CampaignState& c) const {
  // Whether the campaign sends with each mailbox of the engine, asked once rather than per lead.
  std::vector<bool> usable(mailboxes.size());
  for (std::size_t mailbox = 0; mailbox < mailboxes.size(); ++mailbox) {
    usable[mailbox] = detail::can_send_with(c, mailboxes, mailbox);
  }
  std::vector<std::size_t> unusable;  // its disabled mailboxes, then the others its leads wait for
  std::vector<std::int64_t> waiting;  // by entry of `unusable`
  const auto entry_of = [&](std::size_t mailbox) {
    const auto found = std::find(unusable.begin(), unusable.end(), mailbox);
    if (found != unusable.end()) return static_cast<std::size_t>(found - unusable.begin());
    unusable.push_back(mailbox);
    waiting.push_back(0);
    return unusable.size() - 1;
  };
  for (const std::size_t mailbox : c.mailboxes) {
    if (mailboxes[mailbox].disabled()) entry_of(mailbox);
  }
  for (const detail::LeadState& lead : c.leads.states()) {
    if (waits_for_follow_up(lead) && !usable[lead.mailbox]) ++waiting[entry_of(lead.mailbox)];
  }
  std::vector<MailboxTrouble> trouble;
  for (std::size_t i = 0; i < unusable.size(); ++i) {
    const detail::MailboxLimiter& mailbox = mailboxes[unusable[i]];
    trouble.push_back({mailbox.settings().id, mailbox.disabled(), mailbox.disabled_because(),
                       c.def.reassign_follow_ups ? 0 : waiting[i]});
  }
  return trouble;
}

bool Engine::State::has_held_campaign() const {
  return std::any_of(campaigns.begin(), campaigns.end(), [&](const auto& campaign) {
    const CampaignState& c = *campaign;
    if (c.leads.unfinished_count() == 0) return false;
    if (c.status == CampaignStatus::paused) return true;
    const bool none_enabled = std::all_of(c.mailboxes.begin(), c.mailboxes.end(),
                                          [&](std::size_t mailbox) { return mailboxes[mailbox].disabled(); });
    return c.status == CampaignStatus::running && (!c.parked.empty() || none_enabled);
  });
}

namespace {

// A mailbox some campaign of the engine has (one removed from every campaign is not).
expected<std::size_t> mailbox_named(const Engine::State& s, std::string_view id) {
  const auto found = s.mailboxes.find(std::string(id));
  const bool listed = found && std::any_of(s.campaigns.begin(), s.campaigns.end(), [&](const auto& c) {
                        return std::find(c->mailboxes.begin(), c->mailboxes.end(), *found) != c->mailboxes.end();
                      });
  if (!listed) return fail(Errc::not_found, "no campaign has a mailbox \"" + std::string(id) + "\"");
  return *found;
}

}  // namespace

expected<void> Engine::disable_mailbox(std::string_view id) {
  State& s = *state_;
  auto mailbox = mailbox_named(s, id);
  if (!mailbox) return fail(mailbox.error());
  if (s.log.failed()) return fail(*s.log.failure());
  s.set_mailbox_enabled(*mailbox, false, "request", s.clock.now());
  if (s.log.failed()) return fail(*s.log.failure());
  return {};
}

expected<void> Engine::enable_mailbox(std::string_view id) {
  State& s = *state_;
  auto mailbox = mailbox_named(s, id);
  if (!mailbox) return fail(mailbox.error());
  if (s.disabled_by_settings(*mailbox)) {
    return fail(Errc::invalid_argument, "mailbox \"" + std::string(id) + "\" is disabled by its settings (\"disabled\": "
                                        "true): change them with outreach update");
  }
  if (s.log.failed()) return fail(*s.log.failure());
  s.set_mailbox_enabled(*mailbox, true, "request", s.clock.now());
  if (s.log.failed()) return fail(*s.log.failure());
  return {};
}

}  // namespace outreach
