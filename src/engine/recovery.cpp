// Recovery: a campaign started before is brought back from its store's events, applied by the
// same reducer as live, and the sends cut off mid-way (intents without an outcome) are settled:
// at once by the campaign's delivery rule, later through the mailbox's Sent folder.
#include "engine/engine_state.hpp"

#include <algorithm>
#include <chrono>

#include "engine/snapshot.hpp"
#include "util/ascii.hpp"

namespace outreach {

using detail::CampaignState;
using detail::LeadStatus;
using detail::lead_event;

namespace {

// How long after `resend_after` a send in doubt may still be sent again. Later, its absence
// from Sent may be a folder emptied since: it stays in doubt.
constexpr std::chrono::hours resend_window{7 * 24};
// Longer than an SMTP exchange may last with the default timeouts (they add up to about 15).
constexpr std::chrono::minutes shared_resend_after{30};

}  // namespace

// Mailboxes may be shared with campaigns resumed before: their sends are counted in time order.
void Engine::State::rebuild_mailboxes(const CampaignState& c) {
  for (const std::size_t index : c.mailboxes) {
    if (mailboxes[index].keeps_history()) mailboxes[index].rebuild();
  }
}

void Engine::State::restore(CampaignState& c, std::uint64_t definition_hash) {
  detail::ReplayRecord record;
  // Leads whose last step went out but whose `completed` (recorded after the sends of its
  // instant) the engine stopped before recording.
  record.completion_missing.assign(c.leads.size(), false);
  std::optional<std::uint64_t> fingerprint;
  const auto fingerprint_now = [&] {
    if (!fingerprint) fingerprint = detail::snapshot_fingerprint(c, definition_hash);
    return *fingerprint;
  };
  std::int64_t after = 0;
  if (const auto snapshot = store.snapshot(c.def.name)) {
    if (detail::read_snapshot(snapshot->state, fingerprint_now(), c, mailboxes, record)) after = snapshot->through;
  }
  std::int64_t last = after;
  std::int64_t replayed = 0;
  c.replaying = &record;
  store.for_each_event_after(c.def.name, after, [&](std::int64_t place, const Event& event) {
    last = place;
    ++replayed;
    if (event.lead.empty()) {
      detail::apply_campaign_event(c, event);
      const bool disabled = event.type == EventType::mailbox_disabled;
      if (disabled || event.type == EventType::mailbox_enabled) {
        if (const auto mailbox = mailboxes.find(event.mailbox)) {
          mailboxes[*mailbox].set_disabled(disabled, event.reason, event.at);
          record.switched(*mailbox, disabled, event.reason, event.at);
        }
      }
      return;
    }
    const auto lead = c.leads.find(detail::ascii_lower(event.lead));
    if (!lead) return;  // no longer in the list
    if (detail::apply_lead_event(c, mailboxes, *lead, event, detail::Origin::log).completed) {
      record.completion_missing[*lead] = true;
    } else if (event.type == EventType::completed || event.type == EventType::stopped) {
      record.completion_missing[*lead] = false;
    }
  });
  c.replaying = nullptr;
  // Written before anything below appends to the log: the state is exactly what the events up
  // to `last` make.
  c.unsnapshotted = replayed;
  Store& keeper = keeps_snapshots_in != nullptr ? *keeps_snapshots_in : store;
  if (replayed >= snapshot_after && keeper.keeps_snapshots() && keeper.access() == StoreAccess::engine) {
    const CampaignSnapshot snapshot{last, detail::write_snapshot(c, mailboxes, record, fingerprint_now())};
    if (auto saved = keeper.save_snapshot(c.def.name, snapshot); !saved) {
      warn("campaign \"" + c.def.name + "\": its snapshot cannot be kept (its next start replays its log): " +
           saved.error().message());
    } else {
      c.unsnapshotted = 0;
      ++snapshots_kept;
    }
  }
  const std::vector<bool>& completion_missing = record.completion_missing;
  rebuild_mailboxes(c);
  const Instant now = clock.now();
  for (std::uint32_t lead = 0; lead < c.leads.size(); ++lead) {
    const detail::LeadState& state = c.leads[lead];
    if (completion_missing[lead]) {
      log.append(lead_event(EventType::completed, now, c, lead));
    } else if (state.status == LeadStatus::active || state.status == LeadStatus::paused) {
      c.leads.push_due(lead);
    }
  }
}

// An intent without an outcome: the engine stopped between handing the message over and
// recording how it went. At most once it is not sent again; at least once its lead simply
// sends the same step again (same Message-ID), as it is still due.
void Engine::State::settle_in_doubt(CampaignState& c, Instant now) {
  // A group of sends can be in doubt at once: every `in_doubt` first, then the `completed` they
  // bring, as for sends of one instant.
  std::vector<std::uint32_t> completed;
  for (const SendIntent& intent : store.open_intents()) {
    if (intent.campaign != c.def.name) continue;
    const auto found = c.leads.find(detail::ascii_lower(intent.lead));
    if (!found) continue;
    const std::uint32_t lead = *found;
    detail::LeadState& state = c.leads[lead];
    // An intent whose step the lead has gone past was settled before (its event names the lead
    // as the list spelled it then): nothing to do.
    if (state.next_step != intent.step) continue;
    if (c.def.delivery == Delivery::at_least_once) {
      if (state.status == LeadStatus::pending) state.status = LeadStatus::active;
      // With engines sharing the store, the engine that recorded the intent may be alive and
      // still sending it (stalled past its lease): sent again only once no SMTP exchange it
      // began can still be under way.
      state.due = store.shared() ? std::max(now, intent.at + shared_resend_after) : std::min(state.due, now);
      c.leads.push_due(lead);
      continue;
    }
    // Reported (and counted) when found, which keeps the log in time order. It is applied as
    // the store's events are: counted into the mailbox's history, which is then rebuilt.
    Event event = lead_event(EventType::in_doubt, now, c, lead, intent.step);
    event.sequence_version = c.version();  // no version is applied while a send is under way
    event.mailbox = intent.mailbox;
    event.message_id = intent.message_id;
    const bool last = detail::apply_lead_event(c, mailboxes, lead, event, detail::Origin::log).completed;
    rebuild_mailboxes(c);
    log.append(event);
    if (last) {
      completed.push_back(lead);
    } else {
      c.leads.push_due(lead);
    }
  }
  for (const std::uint32_t lead : completed) log.append(lead_event(EventType::completed, now, c, lead));
}

std::vector<SendInDoubt> Engine::sends_in_doubt(std::string_view mailbox_id) const {
  std::vector<SendInDoubt> found;
  for (const auto& campaign : state_->campaigns) {
    const CampaignState& c = *campaign;
    for (const detail::DoubtfulSend& send : c.in_doubt) {
      if (send.mailbox != mailbox_id) continue;
      found.push_back({c.def.name, c.def.leads[send.lead].email, send.step, send.mailbox, send.message_id, send.since});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const SendInDoubt& a, const SendInDoubt& b) { return a.since < b.since; });
  return found;
}

expected<Settlement> Engine::settle(const SendInDoubt& send, bool found_in_sent) {
  State& s = *state_;
  if (s.log.failed()) return fail(*s.log.failure());
  CampaignState* c = s.find(send.campaign);
  if (!c) return Settlement::none;
  const auto lead = c->leads.find(detail::ascii_lower(send.lead));
  if (!lead) return Settlement::none;
  const auto doubt = c->doubt_of(*lead, send.step);
  if (doubt == c->in_doubt.end() || doubt->message_id != send.message_id) return Settlement::none;
  const Instant now = s.clock.now();
  Event event = lead_event(found_in_sent ? EventType::sent : EventType::deferred, now, *c, *lead, send.step);
  event.mailbox = doubt->mailbox;
  if (found_in_sent) {
    event.message_id = doubt->message_id;
    event.settled = Settlement::found_in_sent;
  } else {
    if (!s.may_send_again(*c, *lead, *doubt, now)) return Settlement::none;
    event.settled = Settlement::not_in_sent;
    event.reason = "in doubt, and not in the Sent folder of a mailbox whose provider files every send there: sent "
                   "again with the same Message-ID";
    event.retry_at = now;
  }
  s.record(*c, *lead, event);
  if (s.log.failed()) return fail(*s.log.failure());
  return event.settled;
}

// Only a provider that files every submission in Sent makes an absent message one that never
// went, and only after it had time to file it, and not long after (a Sent folder emptied since
// says nothing); a lead from whom mail came back since, or that is paused by an auto-reply, is
// left alone.
bool Engine::State::may_send_again(const CampaignState& c, std::uint32_t lead, const detail::DoubtfulSend& doubt,
                                   Instant now) const {
  const auto mailbox = mailboxes.find(doubt.mailbox);
  if (!mailbox || doubt.answered) return false;
  const std::optional<ImapSettings>& imap = mailboxes[*mailbox].settings().imap;
  if (!imap || !imap->sent_files_submissions || now - doubt.since < imap->resend_after) return false;
  if (now - doubt.since > imap->resend_after + resend_window) return false;
  const detail::LeadState& state = c.leads[lead];
  if (state.next_step != doubt.step + 1) return false;
  return state.status == LeadStatus::active || state.status == LeadStatus::completed;
}

}  // namespace outreach
