// Several engines on one store (`Store::shared`, a PostgreSQL store): each campaign runs in the
// engine that holds its claim. The claims are renewed while the engine runs; one found lost
// means another engine took the campaign over after this one stalled past its lease (a stopped
// process, a partition): what this engine holds in memory is no longer the truth, its writes are
// refused, and it stops. A supervisor starts it again, and it claims what is free.
#include <algorithm>

#include "engine/engine_state.hpp"

namespace outreach {

using detail::CampaignState;
using detail::CampaignStatus;

namespace {

// How often a running engine claims what waits: the campaigns set aside, the store's free ones.
constexpr std::chrono::seconds claims_look{1};
// The free campaigns claimed at one look: the rest wait for the next, or for another engine.
constexpr std::size_t free_batch = 8;

}  // namespace

void Engine::take_free_campaigns(bool taking) noexcept {
  state_->takes_free_campaigns = taking;
  // Not at once: engines started together have then all said they are at work, and each
  // claims its fair share rather than the first one everything.
  if (taking) state_->next_claims_look = std::chrono::steady_clock::now() + claims_look;
}

expected<bool> Engine::State::claim_or_defer(CampaignState& c) {
  if (!store.shared()) return true;
  auto claimed = store.claim(c.def.name);
  if (!claimed || *claimed) return claimed;
  warn("campaign \"" + c.def.name + "\" runs in another engine of the store; this one takes it over should that one stop");
  Deferred deferred{std::move(c.def), CampaignSecrets{}};
  if (!c.unsubscribe_secret.empty()) deferred.secrets.unsubscribe_secret = c.unsubscribe_secret;
  elsewhere.push_back(std::move(deferred));
  std::erase_if(campaigns, [&](const auto& held) { return held.get() == &c; });
  return false;
}

void Engine::State::run_claimed(CampaignDefinition definition, CampaignSecrets secrets) {
  const std::string name = definition.name;
  auto added = add_campaign(std::move(definition), std::move(secrets));
  if (added) {
    CampaignState* c = find(name);
    added = start(*c, clock.now());
  }
  if (!added) (void)log.kept_or_stop(fail(added.error().code(), "campaign \"" + name + "\", claimed: " + added.error().message()));
}

bool Engine::State::claims_hold() {
  auto lost = store.renew_claims();
  if (!lost) return log.kept_or_stop(fail(lost.error()));
  if (lost->empty()) return true;
  return log.kept_or_stop(fail(Errc::unavailable, "campaign \"" + lost->front() +
                                                      "\" was taken over by another engine: this engine was stalled "
                                                      "past its claim's lease, so it stops (start it again: it claims "
                                                      "what is free)"));
}

void Engine::State::tend_claims() {
  if (!store.shared() || log.failed() || !claims_hold()) return;
  const auto stop = [&](const Error& error) { (void)log.kept_or_stop(fail(error)); };
  const auto now = std::chrono::steady_clock::now();
  if (now < next_claims_look) return;
  next_claims_look = now + claims_look;
  // A mailbox disabled or enabled by another engine (a request it applied, or its failures).
  apply_stored_mailbox_states();
  for (std::size_t i = 0; i < elsewhere.size() && !log.failed();) {
    auto claimed = store.claim(elsewhere[i].definition.name);
    if (!claimed) return stop(claimed.error());
    if (!*claimed) {
      ++i;
      continue;
    }
    Deferred deferred = std::move(elsewhere[i]);
    elsewhere.erase(elsewhere.begin() + static_cast<std::ptrdiff_t>(i));
    run_claimed(std::move(deferred.definition), std::move(deferred.secrets));
  }
  if (!takes_free_campaigns || log.failed()) return;
  auto taken = store.claim_free(free_batch);
  if (!taken) return stop(taken.error());
  for (const std::string& name : *taken) {
    if (log.failed()) return;
    const auto stored = store.campaign(name);
    auto definition = stored ? CampaignDefinition::from_json(stored->definition)
                             : expected<CampaignDefinition>(fail(Errc::not_found, "it is not in the store"));
    if (!definition) {
      // Every engine would fail the same way: it is set aside as finished until asked for something.
      warn("campaign \"" + name + "\" of the store cannot be read back: " + definition.error().message());
      if (auto released = store.release(name, true); !released) return stop(released.error());
      continue;
    }
    CampaignSecrets secrets = CampaignSecrets::from_environment(*definition);
    run_claimed(std::move(*definition), std::move(secrets));
  }
}

bool Engine::State::waits_for_others() {
  if (!store.shared() || log.failed()) return false;
  if (!elsewhere.empty()) return true;
  if (!takes_free_campaigns) return false;
  auto working = store.others_at_work();
  if (!working) {
    (void)log.kept_or_stop(fail(working.error()));
    return false;
  }
  return *working;
}

void Engine::State::release_claims() {
  if (!store.shared() || store.access() != StoreAccess::engine) return;
  for (const auto& campaign : campaigns) {
    // After a failed write, what memory says may be ahead of the store: never "finished" then.
    const bool finished = !log.failed() && (campaign->status == CampaignStatus::finished ||
                                            campaign->status == CampaignStatus::stopped);
    if (auto released = store.release(campaign->def.name, finished); !released) return;
  }
}

void Engine::State::requeue(const Outgoing& send, const SlotAnswer& shared, Instant now) {
  detail::MailboxLimiter& mailbox = mailboxes[send.mailbox];
  mailbox.observe(shared);
  CampaignState& c = *send.campaign;
  detail::LeadState& state = c.leads[send.lead];
  // Decided, not sent: it waits as a step deferred does, with its mailbox, until the mailbox
  // may send by every engine's count.
  state.due = std::max(mailbox.available_at(now), now + std::chrono::milliseconds(1));
  c.leads.push_due(send.lead);
}

}  // namespace outreach
