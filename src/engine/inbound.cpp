// Received mail: inbound events queued or taken in from raw messages, matched to a lead, and
// applied through the inbound rules, whose events the reducer applies.
#include "engine/engine_state.hpp"

#include <algorithm>

#include "util/ascii.hpp"

namespace outreach {

using detail::CampaignState;

namespace {

// What a received message of a class does to a lead; nothing for `unknown`.
std::optional<InboundType> inbound_type(InboundClass type) {
  switch (type) {
    case InboundClass::reply: return InboundType::reply;
    case InboundClass::auto_reply: return InboundType::auto_reply;
    case InboundClass::bounce: return InboundType::bounce;
    case InboundClass::unsubscribe: return InboundType::unsubscribe;
    case InboundClass::complaint: return InboundType::complaint;
    case InboundClass::unknown: break;
  }
  return std::nullopt;
}

}  // namespace

void Engine::State::apply_inbound(const InboundEvent& arrived, Instant now) {
  const std::string key = detail::ascii_lower(arrived.lead);
  bool suppressed = false;  // once for every campaign that has the address
  detail::InboundActions actions;
  for (auto& campaign : campaigns) {
    CampaignState& c = *campaign;
    if (!arrived.campaign.empty() && c.def.name != arrived.campaign) continue;
    const auto lead = c.leads.find(key);
    if (!lead) continue;
    detail::inbound_actions(c, *lead, arrived, now, actions);
    bool paused = false;
    for (std::size_t i = 0; i < actions.events.size(); ++i) {
      const auto& [who, event] = actions.events[i];
      paused = record(c, who, event).bounce_rate_reached || paused;
      if (i == 0 && !actions.suppress_reason.empty() && !suppressed) {
        (void)log.kept_or_stop(store.suppress(arrived.lead, actions.suppress_reason));
        suppressed = true;
      }
    }
    if (paused) record_campaign(c, campaign_event(EventType::campaign_paused, now, c, "bounce_rate"));
  }
}

// The lead an address names. Several campaigns may have it: the one that sent it something
// and has not ended it comes first, then any that sent it something, then any.
std::optional<detail::LeadMatch> Engine::State::lead_by_address(std::string_view address) const {
  const std::string key = detail::ascii_lower(address);
  std::optional<detail::LeadMatch> best;
  int best_rank = -1;
  for (const auto& campaign : campaigns) {
    const auto lead = campaign->leads.find(key);
    if (!lead) continue;
    const detail::LeadState& state = campaign->leads[*lead];
    const bool contacted = state.next_step > 1;
    const int rank = contacted ? (detail::unfinished(state.status) ? 2 : 1) : 0;
    if (rank <= best_rank) continue;
    best_rank = rank;
    best = detail::LeadMatch{.campaign = campaign->def.name,
                             .lead = campaign->def.leads[*lead].email,
                             .step = contacted ? std::optional<int>(state.next_step - 1) : std::nullopt};
  }
  return best;
}

expected<void> Engine::apply(const InboundEvent& event) {
  const std::string key = detail::ascii_lower(event.lead);
  bool known = false;
  for (const auto& c : state_->campaigns) {
    if (!event.campaign.empty() && c->def.name != event.campaign) continue;
    known = known || c->leads.find(key).has_value();
  }
  if (!known) {
    return fail(Errc::not_found, "no campaign has the lead \"" + event.lead + "\"" +
                                     (event.campaign.empty() ? "" : " (campaign \"" + event.campaign + "\")"));
  }
  state_->inbound.emplace(event.at, event);
  return {};
}

expected<IngestResult> Engine::ingest(std::string_view raw_message, const MimeLimits& limits) {
  return state_->take_in(raw_message, limits, nullptr);
}

expected<IngestResult> Engine::ingest(std::string_view raw_message, const FolderPosition& read_up_to,
                                      const MimeLimits& limits) {
  return state_->take_in(raw_message, limits, &read_up_to);
}

expected<void> Engine::record_folder_position(const FolderPosition& read_up_to) {
  State& s = *state_;
  if (s.log.failed()) return fail(*s.log.failure());
  if (!s.log.kept_or_stop(s.store.save_folder_position(read_up_to))) return fail(*s.log.failure());
  return {};
}

expected<void> Engine::record_mail_reading(std::string_view mailbox_id, std::string_view failure) {
  State& s = *state_;
  if (s.log.failed()) return fail(*s.log.failure());
  const auto mailbox = s.mailboxes.find(std::string(mailbox_id));
  if (!mailbox) return {};
  const Instant now = s.clock.now();
  for (const auto& campaign : s.campaigns) {
    CampaignState& c = *campaign;
    if (c.status == detail::CampaignStatus::draft) continue;  // not started: no log to write to yet
    if (std::find(c.mailboxes.begin(), c.mailboxes.end(), *mailbox) == c.mailboxes.end()) continue;
    Event event = detail::campaign_event(failure.empty() ? EventType::mailbox_readable : EventType::mailbox_unreadable,
                                         now, c, std::string(failure));
    event.mailbox = std::string(mailbox_id);
    s.record_campaign(c, event);
  }
  if (s.log.failed()) return fail(*s.log.failure());
  return {};
}

expected<IngestResult> Engine::State::take_in(std::string_view raw_message, const MimeLimits& limits,
                                              const FolderPosition* position) {
  State& s = *this;
  if (s.log.failed()) return fail(*s.log.failure());  // the store cannot record what the message would change
  ClassifyContext context;
  for (const auto& campaign : s.campaigns) {
    const std::string& mailto = campaign->def.unsubscribe.mailto;
    if (!mailto.empty()) context.unsubscribe_addresses.push_back(mailto);
  }
  const Instant now = s.clock.now();
  context.received = std::chrono::floor<std::chrono::days>(now);
  const detail::MatchSources sources{
      .send_by_message_id = [&](std::string_view id) -> std::optional<detail::LeadMatch> {
        auto sent = s.store.find_sent(id);
        if (!sent) return std::nullopt;
        return detail::LeadMatch{std::move(sent->campaign), std::move(sent->lead), sent->step};
      },
      .last_step_before = [&](std::string_view campaign, std::string_view lead,
                              Instant at) { return s.store.last_step_sent(campaign, lead, at); },
      .lead_by_address = [&](std::string_view address) { return s.lead_by_address(address); },
      .runs_campaign = [&](std::string_view name) { return s.find(name) != nullptr; }};
  // A message that changes nothing (unreadable, unmatched, unknown) still moves the folder's
  // position past it.
  const auto pass_over = [&]() -> expected<void> {
    if (position && !s.log.kept_or_stop(s.store.save_folder_position(*position))) return fail(*s.log.failure());
    return {};
  };
  auto received = detail::read_received(raw_message, limits, context, sources);
  if (!received) {
    if (auto passed = pass_over(); !passed) return fail(passed.error());
    return fail(received.error());
  }
  IngestResult& result = received->result;
  const std::optional<InboundType> type = inbound_type(result.classification.type);
  if (result.matched_by == MatchMethod::none && position && s.store.shared()) {
    // Read from a mailbox that other engines' campaigns share: about none of this engine's
    // campaigns, it may be about one of theirs. It goes to the store's inbox for them, in the
    // unit that moves the folder's position past it.
    const detail::EventLog::Unit unit(s.log);
    if (!s.log.failed()) (void)s.log.kept_or_stop(s.store.queue_received(raw_message, now));
    if (!s.log.failed()) (void)s.log.kept_or_stop(s.store.save_folder_position(*position));
    if (s.log.failed()) return fail(*s.log.failure());
    return std::move(result);
  }
  if (result.matched_by == MatchMethod::none || !type) {
    if (auto passed = pass_over(); !passed) return fail(passed.error());
    return std::move(result);
  }

  // The record that the message was taken in, what it does to the lead and the folder's position
  // after it are one unit: after a crash it is either applied and known, or neither. A write
  // that fails stops the engine, as every failed write does: what it holds in memory may then be
  // ahead of its store.
  bool fresh = false;
  {
    const detail::EventLog::Unit unit(s.log);
    if (!s.log.failed()) {
      auto recorded = s.store.record_received(received->fingerprint, now);
      if (!recorded) {
        (void)s.log.kept_or_stop(fail(recorded.error()));
      } else if ((fresh = *recorded)) {
        InboundEvent event{.at = now,
                           .lead = result.lead,
                           .type = *type,
                           .hard = result.classification.hard,
                           .return_date = result.classification.return_date,
                           .campaign = result.campaign,
                           .step = result.step};
        s.apply_inbound(event, now);
      }
      if (position && !s.log.failed()) (void)s.log.kept_or_stop(s.store.save_folder_position(*position));
    }
  }
  if (s.log.failed()) return fail(*s.log.failure());
  result.duplicate = !fresh;
  return std::move(result);
}

}  // namespace outreach
