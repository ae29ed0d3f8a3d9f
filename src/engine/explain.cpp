// Why a lead has not been emailed yet: the constraints asked of the checks that decide sends
// (the planner's schedule, the campaign's caps, the suppression list, the mailboxes' limits),
// and the instant its next step goes, found by running the engine forward on a view of the store.
#include "outreach/explain.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

#include "engine/engine_on_view.hpp"
#include "engine/engine_state.hpp"
#include "engine/planner.hpp"
#include "util/ascii.hpp"

namespace outreach {

namespace {

// How far the engine runs forward looking for the lead's next send.
constexpr auto explain_horizon = std::chrono::days(400);

}  // namespace

// What holds a mailbox's next send at `now`: disabled, its day's cap (the limit or the ramp's),
// its spacing.
void Engine::State::mailbox_holds(const detail::MailboxLimiter& mailbox, Instant now, std::vector<Hold>& held) const {
  if (mailbox.disabled()) {
    held.push_back({"mailbox_disabled", std::nullopt});
    return;
  }
  if (mailbox.room(now) <= 0) {
    const bool ramp = mailbox.day_cap(now) < mailbox.settings().daily_limit;
    held.push_back({ramp ? "mailbox_ramp" : "mailbox_daily_limit", Schedule::next_local_midnight(now, mailbox.zone())});
  }
  if (now < mailbox.next_allowed()) held.push_back({"min_interval", mailbox.next_allowed()});
}

std::vector<Hold> Engine::State::holds(detail::CampaignState& c, std::uint32_t lead, Instant now) {
  std::vector<Hold> held;
  const detail::LeadState& state = c.leads[lead];
  if (c.status == detail::CampaignStatus::paused) held.push_back({"campaign_paused", std::nullopt});
  if (state.status == detail::LeadStatus::paused) held.push_back({"auto_reply", state.due});
  // A send of the lead that a crash left unknown and nothing has settled yet.
  if (std::any_of(c.in_doubt.begin(), c.in_doubt.end(),
                  [&](const detail::DoubtfulSend& send) { return send.lead == lead && !send.answered; })) {
    held.push_back({"in_doubt", std::nullopt});
  }
  if (state.status == detail::LeadStatus::active && state.due > now) held.push_back({"delay", state.due});
  if (state.status == detail::LeadStatus::pending) {
    for (const detail::PendingQueue& queue : c.leads.pending()) {
      if (queue.zone != state.zone) continue;
      if (queue.ready_at > now) held.push_back({"delay", queue.ready_at});
      // New leads go in list order: the first of its zone still pending goes first.
      std::size_t next = queue.next;
      while (next < queue.leads.size() && c.leads[queue.leads[next]].status != detail::LeadStatus::pending) ++next;
      if (next < queue.leads.size() && queue.leads[next] != lead) held.push_back({"queued", std::nullopt});
    }
  }
  // The planner's checks, each asked on its own rather than the first that fails.
  const TimeZone& zone = c.leads.zone_of(state);
  const Schedule& schedule = c.def.schedule;
  if (!schedule.is_open(now, zone)) {
    const auto today = std::chrono::year_month_day{Schedule::local_day(now, zone)};
    const bool skipped = std::binary_search(schedule.skip_dates.begin(), schedule.skip_dates.end(), today);
    held.push_back({skipped ? "skipped_date" : "schedule", schedule.next_open(now, zone)});
  }
  if (const auto cap = c.caps.reached(now, schedule.timezone, c.def.limits, state.next_step)) {
    held.push_back({std::string(*cap), Schedule::next_local_midnight(now, schedule.timezone)});
  }
  if (store.is_suppressed(c.def.leads[lead].email)) held.push_back({"suppressed", std::nullopt});
  const bool own_mailbox = state.mailbox != detail::no_mailbox && (state.next_step > 1 || state.attempts > 0);
  if (own_mailbox && !c.def.reassign_follow_ups) {
    if (!detail::can_send_with(c, mailboxes, state.mailbox)) {
      held.push_back({"mailbox_disabled", std::nullopt});
    } else {
      mailbox_holds(mailboxes[state.mailbox], now, held);
    }
  } else if (const detail::Plan plan = detail::pick_mailbox(c, mailboxes, lead, now); plan.kind == detail::Plan::Kind::wait) {
    // No mailbox of the campaign can send now: what holds the one that frees first.
    std::optional<std::size_t> first;
    for (const std::size_t index : c.mailboxes) {
      if (mailboxes[index].disabled()) continue;
      if (!first || mailboxes[index].available_at(now) < mailboxes[*first].available_at(now)) first = index;
    }
    if (first) {
      mailbox_holds(mailboxes[*first], now, held);
    } else {
      held.push_back({"mailbox_disabled", std::nullopt});
    }
  }
  return held;
}

expected<LeadExplanation> Engine::explain(std::string_view campaign, std::string_view lead) {
  State& s = *state_;
  detail::CampaignState* c = s.find(campaign);
  if (!c) return fail(Errc::not_found, "no campaign \"" + std::string(campaign) + "\"");
  const auto index = c->leads.find(detail::ascii_lower(lead));
  if (!index) {
    return fail(Errc::not_found, "campaign \"" + c->def.name + "\" has no lead " + std::string(lead));
  }
  LeadExplanation out;
  out.campaign = c->def.name;
  out.lead = c->def.leads[*index].email;
  out.at = s.clock.now();
  const detail::LeadState& state = c->leads[*index];
  out.status = std::string(detail::lead_status_names[static_cast<std::size_t>(state.status)]);
  if (!detail::unfinished(state.status)) return out;
  out.next_step = state.next_step;
  out.held_by = s.holds(*c, *index, out.at);
  return out;
}

expected<LeadExplanation> explain_lead(const Store& store, std::string_view campaign, std::string_view lead,
                                       std::optional<Instant> at) {
  const std::optional<Instant> last = store.last_event_at(campaign);
  std::vector<Event> history;
  const std::string key = detail::ascii_lower(lead);
  store.for_each_lead_event(campaign, lead, [&](const Event& event) { history.push_back(event); });
  const auto stored = store.campaign(campaign);
  if (!stored) return fail(Errc::not_found, "the store has no campaign \"" + std::string(campaign) + "\"");
  if (at && last && *at < *last) {
    return fail(Errc::invalid_argument, "explain looks forward from the campaign's last event (" + format_instant(*last) +
                                            "): the instant asked about cannot be before it");
  }
  const Instant now = at ? *at : last.value_or(stored->started);
  ManualClock clock(now);
  detail::EngineOnView rebuilt(store, clock);
  Engine& engine = rebuilt.engine;
  if (auto restored = engine.add_stored_campaign(*stored); !restored) return fail(restored.error());
  auto explained = engine.explain(campaign, lead);
  if (!explained) return explained;
  explained->history = std::move(history);
  if (!explained->next_step) return explained;
  // The same engine, run forward: the instant it sends the step is the earliest.
  const int step = *explained->next_step;
  engine.on_event([&](const Event& event) {
    if (event.type == EventType::sent && event.step == step && event.campaign == explained->campaign &&
        detail::ascii_lower(event.lead) == key) {
      explained->earliest = event.at;
      engine.request_stop();
    }
  });
  engine.simulate(clock, now + explain_horizon);
  return explained;
}

namespace {

boost::json::value instant_or_null(const std::optional<Instant>& at) {
  return at ? boost::json::value(format_instant(*at)) : boost::json::value(nullptr);
}

}  // namespace

std::string to_json(const LeadExplanation& explanation) {
  boost::json::array held;
  for (const Hold& hold : explanation.held_by) {
    held.push_back(boost::json::object{{"reason", hold.reason}, {"until", instant_or_null(hold.until)}});
  }
  boost::json::array history;
  for (const Event& event : explanation.history) history.push_back(boost::json::parse(to_json_line(event)));
  return boost::json::serialize(boost::json::object{
      {"campaign", explanation.campaign},
      {"lead", explanation.lead},
      {"at", format_instant(explanation.at)},
      {"status", explanation.status},
      {"next_step", explanation.next_step ? boost::json::value(*explanation.next_step) : boost::json::value(nullptr)},
      {"earliest", instant_or_null(explanation.earliest)},
      {"held_by", std::move(held)},
      {"history", std::move(history)}});
}

std::string to_text(const LeadExplanation& explanation) {
  std::string out = explanation.lead + " in " + explanation.campaign + " at " + format_instant(explanation.at) + ": " +
                    explanation.status;
  if (explanation.next_step) out += ", next step " + std::to_string(*explanation.next_step);
  out += "\n";
  if (explanation.next_step) {
    out += "  earliest: " + (explanation.earliest ? format_instant(*explanation.earliest)
                                                 : std::string("not in sight (nothing sends it within 400 days)")) +
           "\n";
  }
  for (const Hold& hold : explanation.held_by) {
    out += "  held by " + hold.reason + (hold.until ? " until " + format_instant(*hold.until) : std::string()) + "\n";
  }
  if (explanation.next_step && explanation.held_by.empty()) out += "  nothing holds it now\n";
  out += "  history: " + std::to_string(explanation.history.size()) + (explanation.history.size() == 1 ? " event" : " events") + "\n";
  for (const Event& event : explanation.history) {
    out += "    " + format_instant(event.at) + " " + std::string(to_string(event.type));
    if (event.step > 0) out += " step " + std::to_string(event.step);
    if (!event.variant.empty()) out += " (" + event.variant + ")";
    if (!event.reason.empty()) out += ": " + event.reason;
    out += "\n";
  }
  return out;
}

}  // namespace outreach
