#include "engine/reducer.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "engine/inbound_rules.hpp"
#include "engine/outcome_policy.hpp"
#include "engine/snapshot.hpp"
#include "outreach/schedule.hpp"

namespace outreach::detail {

namespace {

using std::chrono::milliseconds;

// The domain of a Message-ID (`<...@domain>`), or nothing.
std::string_view message_id_domain(std::string_view message_id) {
  const std::size_t at = message_id.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view domain = message_id.substr(at + 1);
  if (domain.ends_with('>')) domain.remove_suffix(1);
  return domain;
}

// A send that reached the transport, from its outcome event: counted for every limit when it
// went out or may have, given back when it did not.
void apply_send(CampaignState& c, MailboxPool& mailboxes, std::uint32_t lead, const Event& event, bool counted,
                Origin origin) {
  LeadState& state = c.leads[lead];
  auto mailbox = mailboxes.find(event.mailbox);
  // A mailbox removed from every campaign since: its leads' follow-ups still wait for it.
  if (!mailbox && origin == Origin::log && !event.mailbox.empty()) {
    mailbox = mailboxes.placeholder(event.mailbox, message_id_domain(event.message_id), c.def.schedule.timezone);
  }
  if (counted && mailbox && state.thread_mailbox == no_mailbox) state.thread_mailbox = static_cast<std::uint32_t>(*mailbox);
  if (origin == Origin::log) {
    c.caps.roll(event.at, c.def.schedule.timezone);
    if (mailbox) {
      mailboxes[*mailbox].remember(event.at, counted);
      if (c.replaying) c.replaying->sent(*mailbox, event.at, counted);
      state.mailbox = static_cast<std::uint32_t>(*mailbox);
    }
    if (counted) c.caps.reserve(event.step);
    if (state.status == LeadStatus::pending) state.status = LeadStatus::active;
  } else if (!counted) {
    if (mailbox) mailboxes[*mailbox].release(event.at);
    c.caps.release(event.step);
  }
  if (counted && mailbox) {
    c.analytics.count_day_send(Schedule::local_day(event.at, mailboxes[*mailbox].zone()), *mailbox);
  }
}

// The status a `stopped` event leaves, by its reason.
LeadStatus stopped_status(const std::string& reason) {
  static const std::map<std::string, LeadStatus, std::less<>> by_reason{
      {"reply", LeadStatus::replied},         {"auto_reply", LeadStatus::auto_replied},
      {"bounce", LeadStatus::bounced},        {"unsubscribe", LeadStatus::unsubscribed},
      {"complaint", LeadStatus::unsubscribed},
      // It got every step the edited sequence has for it.
      {"step_removed", LeadStatus::completed}};
  const auto found = by_reason.find(reason);
  return found == by_reason.end() ? LeadStatus::stopped : found->second;
}

// Mail that came back from the lead: a reply, an auto-reply, a bounce, an unsubscribe request or
// a complaint. After a send in doubt, it shows the send went out.
bool is_received_mail(EventType type) {
  return type == EventType::replied || type == EventType::auto_replied || type == EventType::bounced ||
         type == EventType::unsubscribed || type == EventType::complained;
}

// A send in doubt settled through its mailbox's Sent folder. Its `in_doubt` event counted it
// for every limit and moved the lead on. Found, it only becomes a send in its step's counts.
// Absent, the lead goes back to that step to send it again (the same Message-ID), and the day's
// count gives it back; the mailbox's limits keep it, since it may have gone.
void apply_settlement(CampaignState& c, const MailboxPool& mailboxes, std::uint32_t lead, const Event& event,
                      Origin origin) {
  const auto doubt = c.doubt_of(lead, event.step);
  if (doubt == c.in_doubt.end()) return;  // settled before
  const DoubtfulSend settled = *doubt;
  c.in_doubt.erase(doubt);
  c.analytics.uncount_in_doubt();
  if (event.settled == Settlement::found_in_sent) {
    if (VariantStats* stats = c.stats_for(lead, event.step)) ++stats->sent;
    return;
  }
  if (const auto mailbox = mailboxes.find(settled.mailbox)) {
    c.analytics.uncount_day_send(Schedule::local_day(settled.since, mailboxes[*mailbox].zone()), *mailbox);
  }
  LeadState& state = c.leads[lead];
  c.leads.reopen(lead);
  state.next_step = static_cast<std::uint8_t>(event.step);
  state.attempts = 0;
  state.due = event.retry_at.value_or(event.at);
  if (c.status == CampaignStatus::finished) c.status = CampaignStatus::running;
  if (origin == Origin::live) c.leads.push_due(lead);
}

}  // namespace

void apply_campaign_event(CampaignState& c, const Event& event) {
  if (event.type == EventType::variant_won || event.type == EventType::variant_stopped) {
    StepAbTest* test = c.ab_tests.step(event.step);
    const auto variant = c.variant_named(event.step, event.variant);
    if (test && variant) {
      if (event.type == EventType::variant_won) {
        test->win(*variant);
      } else {
        test->stop(*variant);
      }
    }
    return;
  }
  if (event.type == EventType::campaign_paused) c.status = CampaignStatus::paused;
  if (event.type == EventType::campaign_resumed) c.status = CampaignStatus::running;
  if (event.type == EventType::campaign_stopped) c.status = CampaignStatus::stopped;
}

Reduction apply_lead_event(CampaignState& c, MailboxPool& mailboxes, std::uint32_t lead, const Event& event,
                           Origin origin, std::optional<std::size_t> variant) {
  Reduction reduction;
  if (event.settled != Settlement::none) {
    apply_settlement(c, mailboxes, lead, event, origin);
    return reduction;
  }
  LeadState& state = c.leads[lead];
  if (is_received_mail(event.type)) {
    for (DoubtfulSend& doubt : c.in_doubt) {
      if (doubt.lead == lead && event.at >= doubt.since) doubt.answered = true;
    }
  }
  // The counts of the variant the lead got at the event's step, found only when counted.
  const auto count = [&](std::int64_t VariantStats::*field) {
    VariantStats* stats = variant ? c.analytics.variant_at(event.step, *variant) : c.stats_for(lead, event.step);
    if (stats) ++(stats->*field);
  };
  const auto uncount = [&](std::int64_t VariantStats::*field) {
    VariantStats* stats = c.stats_for(lead, event.step);
    if (stats && stats->*field > 0) --(stats->*field);
  };
  // A send of a step under test: the variant it went with (on replay, by its name) waits for its
  // reply window; one the seed did not choose is kept for the lead's later events.
  if (event.type == EventType::sent && c.ab_tests.step(event.step)) {
    if (!variant) variant = c.variant_named(event.step, event.variant);
    if (variant) c.ab_tests.sent(lead, event.step, *variant, c.seeded_variant(lead, event.step), event.at);
  }
  switch (event.type) {
    case EventType::sent:
    case EventType::in_doubt:
      apply_send(c, mailboxes, lead, event, true, origin);
      if (event.type == EventType::in_doubt) {
        c.analytics.count_in_doubt();
        c.in_doubt.push_back({lead, event.step, event.mailbox, event.message_id, event.at});
      } else {
        count(&VariantStats::sent);
      }
      c.bounces.record_send(lead);
      if (!c.last_sent || *c.last_sent < event.at) c.last_sent = event.at;
      // The thread's subject is rebuilt from the version its first message came from.
      if (const Sequence* sequence = c.sequence_with_step(event.step);
          sequence && sequence->step(event.step).threading == Threading::new_thread) {
        state.thread_version = static_cast<std::uint16_t>(std::clamp(event.sequence_version, 1, c.version()));
      }
      state.attempts = 0;
      state.next_step = static_cast<std::uint8_t>(event.step + 1);
      if (static_cast<std::size_t>(state.next_step) > c.step_count()) {
        c.leads.finish(lead, LeadStatus::completed);
        reduction.completed = true;
      } else {
        state.due = due_after(c.def.schedule, c.wait_before(event.sequence_version, state.next_step), event.at,
                              c.leads.zone_of(state));
        if (origin == Origin::live) c.leads.push_due(lead);
      }
      break;
    case EventType::deferred:
      apply_send(c, mailboxes, lead, event, false, origin);
      ++state.attempts;
      state.due = event.retry_at.value_or(event.at);
      count(&VariantStats::deferred);
      if (origin == Origin::live) c.leads.push_due(lead);
      break;
    case EventType::failed: {
      const Cause cause = failure_cause(event);
      // Only a send that reached the transport was reserved (not one that could not be built).
      if (!event.mailbox.empty() && (cause == Cause::refused || cause == Cause::gave_up)) {
        apply_send(c, mailboxes, lead, event, false, origin);
      }
      count(&VariantStats::failed);
      c.leads.finish(lead, LeadStatus::failed);
      // Refused at once as an address that does not exist: a send that bounced, for the rate.
      if (cause == Cause::refused && refused_as_unknown_address(event.status)) c.bounces.record_send(lead);
      break;
    }
    case EventType::skipped:
      count(&VariantStats::skipped);
      c.leads.finish(lead, LeadStatus::skipped);
      break;
    case EventType::completed:
      c.leads.finish(lead, LeadStatus::completed);
      break;
    case EventType::stopped:
      c.leads.finish(lead, stopped_status(event.reason));
      break;
    case EventType::replied:
      count(&VariantStats::replied);
      c.ab_tests.replied(lead, event.step, event.at);
      break;
    case EventType::auto_replied:
      count(&VariantStats::auto_replied);
      c.returns.erase(lead);
      if (!event.return_date.empty()) {
        if (auto day = parse_instant(event.return_date + "T00:00:00Z")) {
          const auto date = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<milliseconds>(*day));
          const LocalTime midnight{std::chrono::local_days{date.time_since_epoch()}.time_since_epoch()};
          c.returns[lead] = c.leads.zone_of(state).to_instant(midnight);
        }
      }
      break;
    case EventType::paused: {
      const auto returning = c.returns.find(lead);
      const Instant until = returning != c.returns.end() ? returning->second : event.at + pause_without_return;
      state.status = LeadStatus::paused;
      state.due = std::max({state.due, until, event.at + milliseconds(1)});
      if (origin == Origin::live) c.leads.push_due(lead);
      break;
    }
    case EventType::resumed:
      state.status = LeadStatus::active;
      break;
    case EventType::bounced:
      count(&VariantStats::bounced);
      if (event.kind == "hard") {
        c.bounces.record_hard_bounce(lead);
        const auto& rate = c.def.bounces.pause_rate;
        if (rate && c.status == CampaignStatus::running && c.bounces.reaches(*rate)) {
          c.status = CampaignStatus::paused;
          reduction.bounce_rate_reached = true;
        }
      } else {
        ++state.soft_bounces;
      }
      break;
    case EventType::unsubscribed:
      count(&VariantStats::unsubscribed);
      break;
    // Opens and clicks count once per lead and step, and only when nothing says a machine made them.
    case EventType::opened:
      if (!event.suspect && c.first_engagement(lead, event.step, false)) count(&VariantStats::opened);
      break;
    case EventType::clicked:
      if (!event.suspect) {
        if (c.first_engagement(lead, event.step, true)) count(&VariantStats::clicked);
      } else if (event.reason == "every_link_at_once" && c.forget_engagement(lead, event.step, true)) {
        // The burst's first click looked like a person's and was counted: it was the scanner too.
        uncount(&VariantStats::clicked);
      }
      break;
    case EventType::complained:
      count(&VariantStats::complained);
      break;
    case EventType::campaign_paused:
    case EventType::campaign_resumed:
    case EventType::campaign_stopped:
    case EventType::campaign_changed:
    case EventType::mailbox_unreadable:
    case EventType::mailbox_readable:
    case EventType::mailbox_disabled:
    case EventType::mailbox_enabled:
    case EventType::variant_won:
    case EventType::variant_stopped:
      break;
  }
  return reduction;
}

}  // namespace outreach::detail
