// Recovery: a campaign started before is brought back from its store's events, applied by the
// same reducer as live, and the sends cut off mid-way (intents without an outcome) are settled.
#include "engine/engine_state.hpp"
#include "util/ascii.hpp"

namespace outreach {

using detail::CampaignState;
using detail::LeadStatus;
using detail::lead_event;

// Mailboxes may be shared with campaigns resumed before: their sends are counted in time order.
void Engine::State::rebuild_mailboxes(const CampaignState& c) {
  for (const std::size_t index : c.mailboxes) {
    if (mailboxes[index].keeps_history()) mailboxes[index].rebuild();
  }
}

void Engine::State::restore(CampaignState& c) {
  // Leads whose last step went out but whose `completed` (recorded after the sends of its
  // instant) the engine stopped before recording.
  std::vector<bool> completion_missing(c.leads.size(), false);
  store.for_each_event(c.def.name, [&](const Event& event) {
    if (event.lead.empty()) {
      detail::apply_campaign_event(c, event);
      return;
    }
    const auto lead = c.leads.find(detail::ascii_lower(event.lead));
    if (!lead) return;  // no longer in the list
    if (detail::apply_lead_event(c, mailboxes, *lead, event, detail::Origin::log).completed) {
      completion_missing[*lead] = true;
    } else if (event.type == EventType::completed) {
      completion_missing[*lead] = false;
    }
  });
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
      state.due = std::min(state.due, now);
      c.leads.push_due(lead);
      continue;
    }
    // Reported (and counted) when found, which keeps the log in time order. It is applied as
    // the store's events are: counted into the mailbox's history, which is then rebuilt.
    Event event = lead_event(EventType::in_doubt, now, c, lead, intent.step);
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

}  // namespace outreach
