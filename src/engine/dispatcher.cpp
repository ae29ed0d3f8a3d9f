// The dispatcher: a due lead's step planned, composed and reserved against every limit, sends
// handed to the transport in groups (their intents durable first), and their outcomes recorded
// as events, which the reducer applies.
#include <algorithm>
#include <utility>

#include "engine/engine_state.hpp"
#include "engine/outcome_policy.hpp"
#include "engine/planner.hpp"

namespace outreach {

using detail::CampaignState;
using detail::LeadStatus;
using detail::Plan;
using detail::lead_event;

Engine::State::Attempt Engine::State::attempt_send(CampaignState& c, std::uint32_t lead, Instant now) {
  detail::LeadState& state = c.leads[lead];
  const int step_number = state.next_step;
  const Lead& person = c.def.leads[lead];
  const Plan plan = detail::plan_step(c, mailboxes, lead, now, [&] { return store.is_suppressed(person.email); });
  if (plan.kind == Plan::Kind::wait) return {false, plan.until};
  if (plan.kind == Plan::Kind::skip_suppressed) {
    Event event = lead_event(EventType::skipped, now, c, lead, step_number);
    event.reason = "suppressed";
    record(c, lead, event);
    return {};
  }

  const detail::MailboxLimiter& mailbox = mailboxes[plan.mailbox];
  // A follow-up moved to another mailbox answers the thread its first mailbox began.
  const std::string_view thread_domain = state.thread_mailbox != detail::no_mailbox && state.thread_mailbox != plan.mailbox
                                             ? mailboxes[state.thread_mailbox].settings().from.domain()
                                             : std::string_view();
  auto composed = detail::compose_step(c, lead, mailbox.settings(), thread_domain, mailboxes.signer(plan.mailbox), now,
                                       transport.needs_message_data());
  if (!composed) {
    Event event = lead_event(composed.error().type, now, c, lead, step_number);
    event.reason = std::move(composed.error().reason);
    event.cause = composed.error().cause;
    if (event.type == EventType::failed) event.mailbox = mailbox.settings().id;
    record(c, lead, event);
    return {};
  }

  // Reserved before sending: an outcome in doubt counts for every limit.
  mailboxes[plan.mailbox].reserve(now);
  c.caps.reserve(step_number);
  state.mailbox = static_cast<std::uint32_t>(plan.mailbox);
  state.status = LeadStatus::active;
  outgoing.push_back(Outgoing{.campaign = &c,
                              .lead = lead,
                              .step = step_number,
                              .mailbox = plan.mailbox,
                              .composed = std::move(*composed)});
  if (outgoing.size() >= group_size()) send_outgoing(now);
  return {};
}

// How many sends go to the transport at once: what it can have in flight, when the store
// makes a group's intents one atomic unit (a store without units gets one send at a time, so
// that a failed intent never leaves part of a group recorded and unsent).
std::size_t Engine::State::group_size() const {
  return store.atomic_units() ? std::max<std::size_t>(1, transport.group_size()) : 1;
}

// Gives back the reservation of a send that did not go: it counts against no limit (the
// spacing still applies).
void Engine::State::release(const Outgoing& send, Instant now) {
  mailboxes[send.mailbox].release(now);
  send.campaign->caps.release(send.step);
}

// Sends the messages decided so far: their intents are durable before any of them goes (one
// commit for the group), then the transport has them all at once (pipelined over its
// connections), then their outcomes and what follows are recorded as one unit. A crash in
// between leaves at most the group in doubt, which is why a transport keeps it small.
void Engine::State::send_outgoing(Instant now) {
  // Taken out first: whatever happens below (even an exception from the transport), no send
  // of this group is handed over twice.
  std::vector<Outgoing> group = std::exchange(outgoing, {});
  outgoing.reserve(group_size());  // the next group, without growing step by step
  // A lead stopped since its send was decided (a listener may take mail in), or an engine that
  // has failed, sends nothing more.
  std::erase_if(group, [&](const Outgoing& send) {
    const bool gone = log.failed() || send.campaign->leads[send.lead].status != LeadStatus::active;
    if (gone) release(send, now);
    return gone;
  });
  if (group.empty()) return;
  bool recorded = log.kept_or_stop(store.begin());
  // Asked again inside the unit, which holds the store's write lock: an address another process
  // suppressed before it began (a one-click unsubscribe answered by `outreach serve`) gets
  // nothing. One suppressed after it may still get this send: `serve` holds its answer until the
  // send's intent is closed (docs/web.md).
  std::vector<bool> suppressed;
  if (recorded) {
    std::vector<std::string_view> addresses;
    addresses.reserve(group.size());
    for (const Outgoing& send : group) addresses.push_back(send.campaign->def.leads[send.lead].email);
    suppressed = store.suppressed_among(addresses);
  }
  std::erase_if(group, [&](const Outgoing& send) {
    CampaignState& c = *send.campaign;
    if (!recorded || !suppressed[static_cast<std::size_t>(&send - group.data())]) return false;
    release(send, now);
    Event event = lead_event(EventType::skipped, now, c, send.lead, send.step);
    event.reason = "suppressed";
    record(c, send.lead, event);
    return true;
  });
  if (store.shared() && recorded) recorded = reserve_slots(group, now);
  for (const Outgoing& send : group) {
    if (!recorded) break;
    const CampaignState& c = *send.campaign;
    recorded = log.kept_or_stop(store.record_intent(SendIntent{c.def.name, c.def.leads[send.lead].email, send.step,
                                                               mailboxes[send.mailbox].settings().id,
                                                               send.composed.rendered.message.message_id, now}));
  }
  recorded = log.kept_or_stop(store.commit()) && recorded;
  if (!recorded) {  // nothing went: the engine stops, and the leads send again next time
    for (const Outgoing& send : group) release(send, now);
    return;
  }
  if (group.empty()) return;
  // With engines sharing the store, the claims are known to hold, and this engine not to have
  // stalled past a third of their lease, before anything leaves: a stalled engine whose campaign
  // another has taken over stops here, its intents left in doubt for the new holder.
  if (store.shared() && !claims_hold()) return;
  std::vector<Transport::Handover> handovers;
  handovers.reserve(group.size());
  for (const Outgoing& send : group) {
    handovers.push_back({&mailboxes[send.mailbox].settings(), &send.composed.rendered.message});
  }
  std::vector<SendOutcome> outcomes(group.size());
  transport.send_all(handovers, outcomes);
  if (yield_after && std::chrono::steady_clock::now() >= *yield_after) yielding = true;
  if (serves_requests) {
    const Instant handed = clock.now();
    for (const Outgoing& send : group) note_handover(send, handed);
  }
  // The outcome events close the intents; they and what follows from them are kept together.
  const detail::EventLog::Unit unit(log);
  std::vector<std::size_t> given_back;  // mailboxes whose send did not go out
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (record_outcome(group[i], outcomes[i], now)) given_back.push_back(group[i].mailbox);
  }
  // Every engine's count gives them back too, in the order of the mailboxes' ids, as slots are
  // taken: two engines' units never wait for each other's slots.
  if (!store.shared()) return;
  std::sort(given_back.begin(), given_back.end(),
            [&](std::size_t a, std::size_t b) { return mailbox_id_before(a, b); });
  for (const std::size_t mailbox : given_back) {
    if (!log.kept_or_stop(store.release_slot(mailboxes[mailbox].slot_at(now)))) return;
  }
}

// With engines sharing the store, each send takes its mailbox's slot by every engine's count, in
// the unit of its intent: no intent without its slot, no slot without its intent. In the order of
// the mailboxes' ids, so that two engines' units never wait for each other's slots. A send
// refused its slot waits for the mailbox as every engine counts it. False when the store failed.
bool Engine::State::reserve_slots(std::vector<Outgoing>& group, Instant now) {
  std::vector<std::size_t> order(group.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return mailbox_id_before(group[a].mailbox, group[b].mailbox); });
  std::vector<SendSlot> asked;
  asked.reserve(order.size());
  for (const std::size_t i : order) asked.push_back(mailboxes[group[i].mailbox].slot_at(now));
  auto answers = store.reserve_slots(asked);
  if (!answers) return log.kept_or_stop(fail(answers.error()));
  std::vector<bool> refused(group.size(), false);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    const SlotAnswer& slot = (*answers)[k];
    if (slot.granted) {
      mailboxes[group[i].mailbox].observe(slot);
      continue;
    }
    refused[i] = true;
    release(group[i], now);
    requeue(group[i], slot, now);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (refused[i]) continue;
    if (kept != i) group[kept] = std::move(group[i]);
    ++kept;
  }
  group.resize(kept);
  return true;
}

bool Engine::State::record_outcome(Outgoing& send, const SendOutcome& outcome, Instant now) {
  CampaignState& c = *send.campaign;
  const std::uint32_t lead = send.lead;
  const RenderedStep& rendered = send.composed.rendered;
  const detail::OutcomeVerdict verdict = detail::judge_outcome(outcome, c.def.delivery, c.leads[lead].attempts);
  Event event = lead_event(verdict.type, now, c, lead, send.step);
  event.mailbox = mailboxes[send.mailbox].settings().id;
  if (went_out(verdict.type)) {
    event.message_id = rendered.message.message_id;
    event.sequence_version = c.version();
    if (verdict.type == EventType::sent) {
      event.variant = rendered.variant_name;
      event.subject = rendered.subject;
      event.in_reply_to = std::move(send.composed.in_reply_to);
    }
  } else {
    detail::describe_outcome(verdict, outcome, now, event);
  }
  detail::MailboxLimiter& mailbox = mailboxes[send.mailbox];
  const std::int64_t room_before = mailbox.room(now);
  if (record(c, lead, event, rendered.variant).completed) {
    completions.push_back(lead_event(EventType::completed, now, c, lead));
    ++c.unsnapshotted;  // appended at the end of the step
  }
  // A send that did not go out counts against no limit.
  const bool given_back = mailbox.room(now) > room_before;
  note_mailbox_outcome(send.mailbox, outcome, now);
  if (!verdict.hard_bounce) return given_back;
  Event bounce = lead_event(EventType::bounced, now, c, lead, send.step);
  bounce.kind = "hard";
  const bool paused = record(c, lead, bounce).bounce_rate_reached;
  (void)log.kept_or_stop(store.suppress(c.def.leads[lead].email, "hard_bounce"));
  if (paused) record_campaign(c, campaign_event(EventType::campaign_paused, now, c, "bounce_rate"));
  return given_back;
}

}  // namespace outreach
