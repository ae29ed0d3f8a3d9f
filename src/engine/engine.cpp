// One instant: what is due at the clock's current time, in the order of docs/engine.md
// (received events, the campaign's end, follow-ups, new leads, `completed` events), and when to
// look next.
#include "outreach/engine.hpp"

#include <algorithm>

#include "engine/engine_state.hpp"
#include "engine/planner.hpp"

namespace outreach {

using detail::CampaignState;
using detail::CampaignStatus;
using detail::LeadStatus;
using detail::lead_event;

void Engine::State::run_follow_ups(CampaignState& c, Instant now) {
  while (c.leads.has_due() && c.leads.next_due().due <= now && c.status == CampaignStatus::running && deciding()) {
    const detail::DueEntry entry = c.leads.next_due();
    c.leads.pop_due();
    detail::LeadState& state = c.leads[entry.lead];
    if (state.due != entry.due) continue;  // superseded
    if (state.status == LeadStatus::paused) {
      Event event = lead_event(EventType::resumed, now, c, entry.lead);
      event.reason = "auto_reply";
      record(c, entry.lead, event);
    }
    if (state.status != LeadStatus::active) continue;
    // Queued twice at one due instant (parked, then queued again): its send is decided once.
    if (std::any_of(outgoing.begin(), outgoing.end(),
                    [&](const Outgoing& send) { return send.campaign == &c && send.lead == entry.lead; })) {
      continue;
    }
    const Attempt attempt = attempt_send(c, entry.lead, now);
    if (attempt.done) continue;
    if (attempt.wait_until) {
      state.due = std::max(*attempt.wait_until, now + std::chrono::milliseconds(1));
      c.leads.push_due(entry.lead);
    } else {
      c.parked.push_back(entry.lead);
    }
  }
}

void Engine::State::run_new_leads(CampaignState& c, Instant now) {
  while (c.status == CampaignStatus::running && deciding()) {
    detail::PendingQueue* best = nullptr;
    for (detail::PendingQueue& queue : c.leads.pending()) {
      while (queue.next < queue.leads.size() && c.leads[queue.leads[queue.next]].status != LeadStatus::pending) {
        ++queue.next;
      }
      if (queue.next >= queue.leads.size() || queue.ready_at > now) continue;
      if (!c.def.schedule.is_open(now, c.leads.zone(queue.zone))) continue;
      if (!best || queue.leads[queue.next] < best->leads[best->next]) best = &queue;
    }
    if (!best) return;
    const std::uint32_t lead = best->leads[best->next];
    const Attempt attempt = attempt_send(c, lead, now);
    if (!attempt.done) return;  // a mailbox or campaign cap: no other new lead can go now either
    ++best->next;
  }
}

void Engine::State::finish_if_done(CampaignState& c) {
  if (c.status != CampaignStatus::running || c.leads.unfinished_count() != 0) return;
  c.status = CampaignStatus::finished;
  // Engines waiting to take work over need not wait for it.
  if (store.shared() && !log.failed()) (void)log.kept_or_stop(store.mark_finished(c.def.name, true));
}

void Engine::State::end_campaign(CampaignState& c, Instant now) {
  for (std::uint32_t lead = 0; lead < c.leads.size(); ++lead) {
    if (!detail::unfinished(c.leads[lead].status)) continue;
    Event event = lead_event(EventType::stopped, now, c, lead);
    event.reason = "campaign_end";
    record(c, lead, event);
  }
}

std::optional<Instant> Engine::step() {
  State& s = *state_;
  const Instant now = s.clock.now();
  while (!s.inbound.empty() && s.inbound.begin()->first <= now) {
    const InboundEvent event = s.inbound.begin()->second;
    s.inbound.erase(s.inbound.begin());
    s.apply_inbound(event, now);
  }
  for (auto& campaign : s.campaigns) {
    CampaignState& c = *campaign;
    if (c.status == CampaignStatus::running && c.def.schedule.end && now >= *c.def.schedule.end) s.end_campaign(c, now);
    if (c.status == CampaignStatus::running) s.run_ab_tests(c, now);
    // A step with no delay is due at once: go round until nothing is due now, so that every
    // send of this instant comes before its `completed` events.
    while (c.status == CampaignStatus::running && s.deciding()) {
      s.run_follow_ups(c, now);
      s.run_new_leads(c, now);
      s.send_outgoing(now);
      if (!c.leads.has_due() || c.leads.next_due().due > now) break;
    }
  }
  for (const Event& event : s.completions) s.log.append(event);
  s.completions.clear();
  if (s.yielding) {  // more is due now: the next step comes at once, after what waits in the store
    s.yielding = false;
    return now;
  }

  std::optional<Instant> wake;
  if (!s.inbound.empty()) wake = s.inbound.begin()->first;
  for (auto& campaign : s.campaigns) {
    CampaignState& c = *campaign;
    s.finish_if_done(c);
    if (auto at = detail::next_wake(c, s.mailboxes, now); at && (!wake || *at < *wake)) wake = *at;
    // A test still deciding looks again when its next send settles (the instant its decision is
    // recorded at, however the engine was stopped and started since).
    if (c.status == CampaignStatus::running && c.leads.unfinished_count() > 0) {
      if (auto at = c.ab_tests.next_settlement(); at && (!wake || *at < *wake)) wake = std::max(*at, now);
    }
  }
  if (!wake && s.reads_mail) {
    // Nothing left to send: received mail is still read until every campaign's reading ends.
    for (const auto& campaign : s.campaigns) {
      const CampaignState& c = *campaign;
      if (!c.last_sent) continue;
      const Instant ends = *c.last_sent + c.def.read_after_last_send;
      if (ends > now && (!wake || ends > *wake)) wake = ends;
    }
  }
  return wake;
}

void Engine::expect_mail(bool reading) noexcept { state_->reads_mail = reading; }

void Engine::snapshot_after(std::int64_t events) noexcept { state_->snapshot_after = std::max<std::int64_t>(events, 1); }

void Engine::require_unsubscribe_secrets() noexcept { state_->secrets_required = true; }

std::vector<Mailbox> Engine::mailboxes() const {
  std::vector<Mailbox> all;
  all.reserve(state_->mailboxes.size());
  for (std::size_t i = 0; i < state_->mailboxes.size(); ++i) {
    if (!state_->mailboxes.is_placeholder(i)) all.push_back(state_->mailboxes[i].settings());
  }
  return all;
}

void Engine::request_stop() noexcept { state_->stop_requested.store(true); }

const std::optional<Error>& Engine::failure() const noexcept { return state_->log.failure(); }

void Engine::on_event(EventListener listener) { state_->log.add_listener(std::move(listener)); }

const std::vector<std::string>& Engine::warnings() const noexcept { return state_->warnings; }

void Engine::on_warning(WarningListener listener) { state_->warning_listeners.push_back(std::move(listener)); }

void Engine::State::warn(std::string warning) {
  warnings.push_back(std::move(warning));
  for (const auto& listener : warning_listeners) listener(warnings.back());
}

Summary Engine::summary() const {
  Summary summary;
  for (const auto& campaign : state_->campaigns) {
    const CampaignState& c = *campaign;
    CampaignSummary out;
    out.name = c.def.name;
    out.status = detail::campaign_status_names[static_cast<std::size_t>(c.status)];
    for (std::string_view name : detail::lead_status_names) out.leads[std::string(name)] = 0;
    for (const detail::LeadState& lead : c.leads.states()) {
      ++out.leads[std::string(detail::lead_status_names[static_cast<std::size_t>(lead.status)])];
    }
    c.analytics.summarize(out, [&](std::size_t mailbox) -> const std::string& {
      return state_->mailboxes[mailbox].settings().id;
    });
    out.mailbox_trouble = state_->mailbox_trouble(c);
    summary.campaigns.push_back(std::move(out));
  }
  return summary;
}

expected<std::vector<LeadProgress>> Engine::lead_progress(std::string_view name) const {
  const CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  std::vector<LeadProgress> out;
  out.reserve(c->leads.size());
  for (std::uint32_t lead = 0; lead < c->leads.size(); ++lead) {
    const detail::LeadState& state = c->leads[lead];
    out.push_back({.email = c->def.leads[lead].email,
                   .status = std::string(detail::lead_status_names[static_cast<std::size_t>(state.status)]),
                   .steps_sent = state.next_step - 1});
  }
  return out;
}

}  // namespace outreach
