// What other processes leave in the store for the engine that runs it: received messages
// (`outreach ingest`, a mail reader elsewhere) and requests (`outreach pause`, `suppress`, ...).
// Each is applied in one unit with its removal or its answer, so that across a crash it is
// applied exactly once.
#include <boost/json.hpp>

#include <algorithm>

#include "engine/engine_state.hpp"
#include "outreach/campaign.hpp"
#include "outreach/request.hpp"
#include "util/ascii.hpp"

namespace outreach {

using detail::CampaignState;
using detail::CampaignStatus;

namespace {

// A few messages at a time: each may be large. Requests are small; more wait for the next call.
constexpr std::size_t message_batch = 8;
constexpr std::size_t request_batch = 256;
// How long a message of the inbox that matches none of an engine's campaigns waits for another
// engine of the store to take it before it is dropped as nobody's.
constexpr std::chrono::minutes left_for_others_time{15};

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }

RequestAnswer refused(Errc code, std::string why) {
  RequestAnswer answer;
  answer.message = std::move(why);
  answer.error = code;
  return answer;
}

RequestAnswer applied(std::int64_t sends_before) {
  RequestAnswer answer;
  answer.applied = true;
  answer.sends_before = sends_before;
  return answer;
}

}  // namespace

// The sends handed over since the last call, so that an answer says which of them came after
// its request was asked.
void Engine::State::note_handover(const Outgoing& send, Instant at) {
  if (serves_requests) recent_handovers.push_back({at, send.campaign, send.lead});
}

std::int64_t Engine::State::handovers_since(Instant asked, const CampaignState* campaign,
                                            const std::vector<std::string>& addresses) const {
  return std::count_if(recent_handovers.begin(), recent_handovers.end(), [&](const Handover& sent) {
    if (sent.at < asked) return false;
    if (campaign) return sent.campaign == campaign;
    const std::string& key = sent.campaign->leads.key_of(sent.lead);
    return std::any_of(addresses.begin(), addresses.end(),
                       [&](const std::string& address) { return detail::iequals_ascii(address, key); });
  });
}

RequestAnswer Engine::State::apply_campaign_request(const Request& request, Instant asked, Engine& engine) {
  CampaignState* c = find(request.campaign);
  if (!c) return refused(Errc::not_found, "no campaign named " + in_quotes(request.campaign));
  if (request.action == RequestAction::add_leads) return apply_leads_request(*c, request, asked, engine);
  if (request.action == RequestAction::update) return apply_update_request(*c, request, asked, engine);
  if (request.action == RequestAction::unsubscribe) return apply_unsubscribe_request(*c, request, asked);
  if (request.action == RequestAction::open || request.action == RequestAction::click) {
    return apply_tracking_request(*c, request, asked);
  }
  const CampaignStatus before = c->status;
  const auto changed = request.action == RequestAction::pause    ? engine.pause(request.campaign)
                       : request.action == RequestAction::resume ? engine.resume(request.campaign)
                                                                 : engine.stop(request.campaign);
  if (!changed) return refused(changed.error().code(), changed.error().message());
  RequestAnswer answer = applied(handovers_since(asked, c, {}));
  const std::string name = "campaign " + in_quotes(request.campaign);
  const std::string_view status = detail::campaign_status_names[static_cast<std::size_t>(c->status)];
  if (before == c->status) {
    answer.message = name + " is " + std::string(before == CampaignStatus::draft ? "not started" : status) +
                     ": nothing to change";
  } else {
    answer.message = name + " " + std::string(c->status == CampaignStatus::running ? "resumed" : status);
  }
  return answer;
}

RequestAnswer Engine::State::apply_unsubscribe_request(CampaignState& c, const Request& request, Instant asked) {
  const std::string& address = request.addresses.front();
  RequestAnswer answer = applied(handovers_since(asked, nullptr, request.addresses));
  const auto lead = c.leads.find(detail::ascii_lower(address));
  if (!lead) {
    // A lead forgotten since its link was made: the address stays suppressed all the same.
    if (!store.is_suppressed(address)) (void)log.kept_or_stop(store.suppress(address, "unsubscribe"));
    answer.message = address + " is not a lead of campaign " + in_quotes(c.def.name) + " (any more); it is suppressed";
    return answer;
  }
  if (c.leads[*lead].status == detail::LeadStatus::unsubscribed) {  // a second click changes nothing
    answer.message = address + " had unsubscribed from campaign " + in_quotes(c.def.name) + " already";
    return answer;
  }
  InboundEvent clicked;
  clicked.at = asked;
  clicked.lead = address;
  clicked.type = InboundType::unsubscribe;
  clicked.campaign = c.def.name;
  apply_inbound(clicked, clock.now());
  // Its send may have been skipped already for the suppression this very click wrote: the lead
  // is unsubscribed all the same, not skipped.
  if (c.leads[*lead].status == detail::LeadStatus::skipped) {
    Event stopped = detail::lead_event(EventType::stopped, clock.now(), c, *lead);
    stopped.reason = "unsubscribe";
    record(c, *lead, stopped);
  }
  answer.changed = 1;
  answer.message = address + " unsubscribed from campaign " + in_quotes(c.def.name);
  return answer;
}

// An open or a click that `outreach serve` saw: an event of the lead, which changes nothing of
// its sequence (the reducer counts it once per lead and step, unless suspect).
RequestAnswer Engine::State::apply_tracking_request(CampaignState& c, const Request& request, Instant asked) {
  const std::string& address = request.addresses.front();
  RequestAnswer answer = applied(handovers_since(asked, nullptr, request.addresses));
  const auto lead = c.leads.find(detail::ascii_lower(address));
  const bool click = request.action == RequestAction::click;
  if (!lead) {
    answer.message = address + " is not a lead of campaign " + in_quotes(c.def.name) + " (any more): nothing recorded";
    return answer;
  }
  Event event = detail::lead_event(click ? EventType::clicked : EventType::opened, clock.now(), c, *lead, request.step);
  event.url = request.url;
  event.suspect = request.suspect;
  if (request.suspect) event.reason = request.reason;
  record(c, *lead, event);
  answer.changed = 1;
  answer.message = std::string(click ? "click" : "open") + " of step " + std::to_string(request.step) + " by " + address +
                   " recorded" + (request.suspect ? " (suspect: " + request.reason + ")" : "");
  return answer;
}

RequestAnswer Engine::State::apply_update_request(const CampaignState& c, const Request& request, Instant asked,
                                                  Engine& engine) {
  // The request carries no leads, which a definition must have: the campaign's first stands in
  // (leads are never changed by an update).
  boost::system::error_code error;
  boost::json::value definition = boost::json::parse(request.definition, error);
  if (error || !definition.is_object()) return refused(Errc::parse_error, "the changed campaign is not a JSON object");
  if (c.def.leads.empty()) return refused(Errc::invalid_argument, "campaign " + in_quotes(request.campaign) + " has no lead");
  definition.as_object()["leads"] = boost::json::array{boost::json::object{{"email", c.def.leads.front().email}}};
  auto changed = CampaignDefinition::from_json(boost::json::serialize(definition));
  if (!changed) return refused(changed.error().code(), "the changed campaign cannot be read: " + changed.error().to_string());
  if (changed->name != request.campaign) {
    return refused(Errc::invalid_argument, "the changed campaign is named " + in_quotes(changed->name) +
                                               ": a campaign's name cannot change");
  }
  auto changes = engine.update(std::move(*changed), {.edit_steps = request.edit_steps});
  if (!changes) return refused(changes.error().code(), changes.error().message());
  RequestAnswer answer = applied(handovers_since(asked, &c, {}));
  answer.changed = static_cast<std::int64_t>(changes->size());
  answer.message = changes->empty() ? "campaign " + in_quotes(request.campaign) + ": nothing to change"
                                    : "campaign " + in_quotes(request.campaign) + ": " +
                                          std::to_string(changes->size()) +
                                          (changes->size() == 1 ? " setting changed" : " settings changed");
  answer.changes = std::move(*changes);
  return answer;
}

RequestAnswer Engine::State::apply_leads_request(const CampaignState& c, const Request& request, Instant asked,
                                                 Engine& engine) {
  auto added = engine.add_leads(request.campaign, request.leads);
  if (!added) return refused(added.error().code(), added.error().message());
  RequestAnswer answer = applied(handovers_since(asked, &c, {}));
  answer.changed = added->added;
  answer.already_in = added->already_in;
  answer.suppressed = added->suppressed;
  answer.message = std::to_string(added->added) + (added->added == 1 ? " lead" : " leads") + " added to campaign " +
                   in_quotes(request.campaign);
  std::vector<std::string> left_out;
  if (added->already_in) left_out.push_back(std::to_string(added->already_in) + " already in it");
  if (added->suppressed) left_out.push_back(std::to_string(added->suppressed) + " suppressed");
  if (!left_out.empty()) {
    answer.message += " (";
    for (std::size_t i = 0; i < left_out.size(); ++i) answer.message += (i ? ", " : "") + left_out[i];
    answer.message += ", left out)";
  }
  return answer;
}

RequestAnswer Engine::State::apply_address_request(const Request& request, Instant asked) {
  RequestAnswer answer = applied(handovers_since(asked, nullptr, request.addresses));
  const auto kept = [&](const expected<void>& written) { return log.kept_or_stop(written); };
  switch (request.action) {
    case RequestAction::suppress:
    case RequestAction::unsuppress: {
      const bool adding = request.action == RequestAction::suppress;
      for (const std::string& address : request.addresses) {
        const bool was = store.is_suppressed(address);
        if (!kept(adding ? store.suppress(address, request.reason) : store.unsuppress(address))) break;
        if (was != adding) ++answer.changed;
      }
      answer.message = std::to_string(answer.changed) + (answer.changed == 1 ? " address " : " addresses ") +
                       (adding ? "suppressed" : "taken off the suppression list");
      const auto unchanged = static_cast<std::int64_t>(request.addresses.size()) - answer.changed;
      if (unchanged > 0) {
        answer.message += " (" + std::to_string(unchanged) + (adding ? " on the list already)" : " not on the list)");
      }
      break;
    }
    case RequestAction::forget: {
      const std::string& address = request.addresses.front();
      auto erased = store.forget(address);
      if (!erased) {
        (void)kept(fail(erased.error()));
        break;
      }
      answer.changed = static_cast<std::int64_t>(*erased);
      // Its leads end in memory too, with no event (that would write the address again), and
      // the suppression keeps every campaign, this one after a restart included, from mailing it.
      const std::string key = detail::ascii_lower(address);
      for (auto& campaign : campaigns) {
        if (const auto lead = campaign->leads.find(key)) campaign->leads.finish(*lead, detail::LeadStatus::stopped);
      }
      if (!store.is_suppressed(address)) (void)kept(store.suppress(address, "forget"));
      answer.message = std::to_string(*erased) + " records erased; the address stays suppressed";
      break;
    }
    default: break;
  }
  return answer;
}

RequestAnswer Engine::State::apply_mailbox_request(const Request& request, Engine& engine) {
  const bool enabling = request.action == RequestAction::enable_mailbox;
  const auto index = mailboxes.find(request.mailbox);
  const bool was_disabled = index && mailboxes[*index].disabled();
  const auto done = enabling ? engine.enable_mailbox(request.mailbox) : engine.disable_mailbox(request.mailbox);
  if (!done) return refused(done.error().code(), done.error().message());
  RequestAnswer answer = applied(0);
  const std::string name = "mailbox " + in_quotes(request.mailbox);
  if (was_disabled != enabling) {
    answer.message = name + " is " + (enabling ? "enabled" : "disabled") + " already: nothing to change";
  } else {
    answer.changed = 1;
    answer.message = name + (enabling ? " enabled" : " disabled");
  }
  return answer;
}

expected<std::size_t> Engine::apply_waiting() {
  State& s = *state_;
  s.serves_requests = true;
  std::size_t count = 0;
  // Applies one waiting thing in a unit of its own; false, with the engine stopped, when the
  // store cannot record it (what was applied in memory may be ahead of the store: the engine
  // starts again from the store).
  const auto in_one_unit = [&](const std::function<void()>& apply) {
    if (!s.log.kept_or_stop(s.store.begin())) return false;
    apply();
    (void)s.log.kept_or_stop(s.store.commit());
    if (s.log.failed()) return false;
    ++count;
    return true;
  };

  // Paged by id, so that messages left for another engine never hide the ones after them.
  std::int64_t last_message = 0;
  for (bool more = true; more && !s.log.failed();) {
    const std::vector<QueuedMessage> waiting = s.store.queued(message_batch, last_message);
    more = waiting.size() == message_batch;
    for (const QueuedMessage& message : waiting) {
      last_message = message.id;
      // With engines sharing the store, a message about none of this engine's campaigns may be
      // another engine's: it is left to them, and looked at here again (then dropped, when still
      // nobody's) once every engine has had time to take it and none has work left that it
      // could be about (an engine that holds it may not have started yet).
      const bool others_had_time = s.clock.now() - message.queued >= left_for_others_time &&
                                   (!s.store.shared() || !s.store.others_at_work().value_or(true));
      if (s.left_for_others.contains(message.id) && !others_had_time) continue;
      const bool done = in_one_unit([&] {
        auto taken = ingest(message.raw);
        if (!taken && !s.log.failed()) {  // unreadable: dropped, said once
          s.warn("message " + std::to_string(message.id) + " of the inbox cannot be taken in: " +
                 taken.error().to_string());
        }
        if (taken && taken->matched_by == MatchMethod::none && s.store.shared() && !others_had_time) {
          s.left_for_others.insert(message.id);
          return;
        }
        s.left_for_others.erase(message.id);
        if (!s.log.failed()) (void)s.log.kept_or_stop(s.store.unqueue(message.id));
      });
      if (!done) return fail(*s.log.failure());
    }
  }

  // Paged by id, so that requests left for another engine never hide the ones after them.
  std::int64_t last = 0;
  for (bool more = true; more && !s.log.failed();) {
    const std::vector<StoredRequest> waiting = s.store.waiting_requests(request_batch, last);
    more = waiting.size() == request_batch;
    for (const StoredRequest& stored : waiting) {
      last = stored.id;
      auto request = request_from_json(stored.body);
      // A campaign of the store that this engine does not run: its requests wait for the engine
      // that does (in their order, since each is left).
      if (request && !request->campaign.empty() && !s.find(request->campaign) && s.store.campaign(request->campaign)) {
        continue;
      }
      const bool done = in_one_unit([&] {
        // With engines sharing the store, one of them applies it: the others pass it by.
        if (s.store.shared()) {
          auto taken = s.store.take_request(stored.id);
          if (!taken) {
            (void)s.log.kept_or_stop(fail(taken.error()));
            return;
          }
          if (!*taken) return;
        }
        const RequestAnswer answer =
            !request ? refused(request.error().code(), "the request cannot be read: " + request.error().to_string())
            : !request->mailbox.empty()  ? s.apply_mailbox_request(*request, *this)
            : request->campaign.empty() ? s.apply_address_request(*request, stored.queued)
                                        : s.apply_campaign_request(*request, stored.queued, *this);
        if (!s.log.failed()) (void)s.log.kept_or_stop(s.store.answer_request(stored.id, to_json(answer), s.clock.now()));
      });
      if (!done) return fail(*s.log.failure());
    }
  }
  s.recent_handovers.clear();
  if (s.log.failed()) return fail(*s.log.failure());
  return count;
}

}  // namespace outreach
