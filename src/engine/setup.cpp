// Set-up: campaigns added (their mailboxes checked and their DKIM keys read before anything is
// kept), started (or resumed from the store), paused and resumed. Secrets come from the caller;
// reading them from the environment is the caller's default, here at the edge.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>
#include <unordered_set>

#include "campaign/lead_json.hpp"
#include "engine/engine_state.hpp"
#include "util/hash.hpp"

namespace outreach {

namespace {

// A started campaign's A/B tests read their evidence at the level they started with: a restart
// with other settings than the stored ones (but its guardrails) is refused, as `update` refuses
// them. Nothing when the tests' settings are the same.
std::optional<std::string> ab_test_change(const std::string& stored, const std::string& given) {
  if (stored.empty() || given.empty()) return std::nullopt;
  boost::system::error_code error;
  const auto settings = [&](const std::string& definition) {
    boost::json::value tree = boost::json::parse(definition, error);
    const boost::json::value* test = tree.is_object() ? tree.as_object().if_contains("ab_test") : nullptr;
    boost::json::value out = test ? *test : boost::json::value(nullptr);
    if (out.is_object()) out.as_object().erase("guardrails");
    return out;
  };
  const boost::json::value before = settings(stored);
  const boost::json::value after = settings(given);
  if (error || before == after) return std::nullopt;
  return "ab_test cannot change once the campaign started: its A/B tests' evidence is read at the level it started "
         "with (only ab_test.guardrails may change); it was " + boost::json::serialize(before);
}

}  // namespace

using detail::CampaignState;
using detail::CampaignStatus;
using detail::campaign_event;

CampaignSecrets CampaignSecrets::from_environment(const CampaignDefinition& campaign) {
  CampaignSecrets secrets;
  if (!campaign.unsubscribe.secret_env.empty()) {
    const char* secret = std::getenv(campaign.unsubscribe.secret_env.c_str());
    if (secret && *secret) secrets.unsubscribe_secret = secret;
  }
  return secrets;
}

Engine::Engine(Store& store, Transport& transport, const Clock& clock)
    : state_(std::make_unique<State>(store, transport, clock)) {}

// Its claims go with it (on a store several engines share), finished campaigns as finished.
Engine::~Engine() { state_->release_claims(); }

expected<void> Engine::add_campaign(CampaignDefinition campaign) {
  CampaignSecrets secrets = CampaignSecrets::from_environment(campaign);
  return state_->add_campaign(std::move(campaign), std::move(secrets));
}

expected<void> Engine::add_campaign(CampaignDefinition campaign, CampaignSecrets secrets) {
  return state_->add_campaign(std::move(campaign), std::move(secrets));
}

expected<void> Engine::State::add_campaign(CampaignDefinition campaign, CampaignSecrets secrets) {
  if (find(campaign.name)) {
    return fail(Errc::invalid_argument, "a campaign named \"" + campaign.name + "\" was already added");
  }
  if (campaign.mailboxes.empty()) return fail(Errc::invalid_argument, "the campaign has no mailbox");
  const std::size_t secret_bytes = secrets.unsubscribe_secret ? secrets.unsubscribe_secret->size() : 0;
  if (secrets_required && !campaign.unsubscribe.secret_env.empty() && secret_bytes < min_unsubscribe_secret) {
    return fail(Errc::invalid_value,
                "campaign \"" + campaign.name + "\": its unsubscribe links are signed with the secret in " +
                    campaign.unsubscribe.secret_env + ", which is " +
                    (secret_bytes == 0 ? std::string("not set")
                                       : "shorter than " + std::to_string(min_unsubscribe_secret) + " bytes") +
                    ": anyone could forge a link that unsubscribes any address; set it to a random secret "
                    "(openssl rand -base64 32)");
  }
  if (campaign.leads.size() >= UINT32_MAX) return fail(Errc::limit_exceeded, "too many leads in one campaign");
  auto c = std::make_unique<CampaignState>(std::move(campaign));
  if (auto loaded = c->leads.load(c->def.leads); !loaded) return loaded;
  auto signers = check_mailboxes(c->def);
  if (!signers) return fail(signers.error());
  for (std::size_t i = 0; i < c->def.mailboxes.size(); ++i) {
    const Mailbox& settings = c->def.mailboxes[i];
    bool replaced = false;
    c->mailboxes.push_back(mailboxes.add(settings, c->def.schedule.timezone, std::move((*signers)[i]),
                                         store.keeps_definitions(), replaced));
    if (replaced) warn("mailbox \"" + settings.id + "\" is defined again; the later settings are used");
  }
  if (secret_bytes > 0) {
    c->set_unsubscribe_secret(std::move(*secrets.unsubscribe_secret));
  } else if (!c->def.unsubscribe.secret_env.empty()) {
    warn("campaign \"" + c->def.name + "\": " + c->def.unsubscribe.secret_env +
         " is not set; its unsubscribe (and tracking) tokens are sealed with an empty secret: anyone could make them");
  }
  campaigns.push_back(std::move(c));
  apply_stored_mailbox_states();
  apply_mailbox_settings(clock.now());
  return {};
}

// Every mailbox is checked (and its DKIM key read) before anything of a campaign is kept.
expected<std::vector<std::shared_ptr<const DkimSigner>>> Engine::State::check_mailboxes(
    const CampaignDefinition& campaign) {
  std::vector<std::shared_ptr<const DkimSigner>> signers;
  for (const Mailbox& mailbox : campaign.mailboxes) {
    if (auto usable = transport.check(mailbox); !usable) {
      return fail(usable.error().code(), "campaign \"" + campaign.name + "\": " + usable.error().message(),
                  usable.error().where());
    }
    std::shared_ptr<const DkimSigner> signer;
    if (mailbox.dkim && transport.needs_message_data()) {
      auto loaded = DkimSigner::load(*mailbox.dkim);
      if (!loaded) {
        return fail(loaded.error().code(), "mailbox \"" + mailbox.id + "\": " + loaded.error().message(),
                    loaded.error().where());
      }
      signer = std::make_shared<const DkimSigner>(std::move(*loaded));
    }
    signers.push_back(std::move(signer));
  }
  return signers;
}

expected<void> Engine::add_stored_campaign(const StoredCampaign& stored) {
  auto definition = CampaignDefinition::from_json(stored.definition);
  if (!definition) {
    return fail(definition.error().code(), "campaign \"" + stored.name + "\" in the store cannot be read back: " +
                                               definition.error().message());
  }
  CampaignSecrets secrets = CampaignSecrets::from_environment(*definition);
  if (auto added = state_->add_campaign(std::move(*definition), std::move(secrets)); !added) return added;
  CampaignState* c = state_->find(stored.name);
  if (!c) return fail(Errc::invalid_value, "campaign \"" + stored.name + "\" in the store is named otherwise in its definition");
  if (c->status != CampaignStatus::draft) return {};
  c->read_from = detail::hash_text(stored.definition);
  auto started = state_->start(*c, state_->clock.now(), &stored);
  // A campaign set aside for another engine (a shared store) is gone from `campaigns`.
  if (CampaignState* still = state_->find(stored.name)) still->read_from.reset();
  return started;
}

expected<void> Engine::start(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status != CampaignStatus::draft) return {};
  return state_->start(*c, state_->clock.now());
}

expected<void> Engine::State::start(CampaignState& c, Instant now, const StoredCampaign* known) {
  // On a store several engines share, the campaign runs where its claim is.
  auto claimed = claim_or_defer(c);
  if (!claimed) return fail(claimed.error());
  if (!*claimed) return {};  // set aside: `c` is gone
  c.status = CampaignStatus::running;
  const Delay& first_delay = c.def.sequence.step(1).delay;
  std::optional<StoredCampaign> read;
  if (known == nullptr) read = store.campaign(c.def.name);
  if (const StoredCampaign* stored = known != nullptr ? known : read ? &*read : nullptr) {
    // Started before: it goes on where its events left it, with the versions of its sequence.
    auto versions = sequence_versions(c, *stored);
    if (!versions) {
      c.status = CampaignStatus::draft;
      return fail(versions.error());
    }
    c.versions = std::move(*versions);
    c.analytics = detail::CampaignAnalytics(c.versions);
    // Settings other than the sequence may change: the store keeps the latest. (A store that
    // keeps no definitions has none to compare; a view of another store has that store's; a
    // definition just read from the store's text is that text.)
    std::uint64_t definition_hash =
        known != nullptr && c.read_from ? *c.read_from : detail::hash_text(stored->definition);
    const bool compare = store.keeps_definitions() && c.read_from != definition_hash;
    if (std::string definition = compare ? c.def.to_json() : std::string();
        compare && definition != stored->definition) {
      if (auto refused = ab_test_change(stored->definition, definition)) {
        c.status = CampaignStatus::draft;
        return fail(Errc::invalid_argument, "campaign \"" + c.def.name + "\": " + *refused);
      }
      StoredCampaign changed{stored->name, std::move(definition), stored->fingerprint, stored->started};
      definition_hash = detail::hash_text(changed.definition);
      if (auto saved = store.save_campaign(changed); !saved) {
        c.status = CampaignStatus::draft;
        return fail(saved.error());
      }
    }
    c.leads.enter(c.def.leads, c.def.schedule, first_delay, stored->started);
    restore_added_leads(c);
    restore(c, definition_hash);
    apply_stored_mailbox_states();
    settle_in_doubt(c, now);
  } else {
    const Instant entered = std::max(now, c.def.schedule.start.value_or(now));
    const StoredCampaign kept{c.def.name, store.keeps_definitions() ? c.def.to_json() : std::string(),
                              c.def.sequence.fingerprint(), entered};
    if (auto saved = store.save_campaign(kept); !saved) {
      c.status = CampaignStatus::draft;
      return fail(saved.error());
    }
    c.leads.enter(c.def.leads, c.def.schedule, first_delay, entered);
  }
  c.leads.recount_unfinished();
  finish_if_done(c);
  if (log.failed()) return fail(*log.failure());
  return {};
}

expected<std::vector<Sequence>> Engine::State::sequence_versions(const CampaignState& c, const StoredCampaign& stored) {
  const std::string& name = c.def.name;
  std::vector<Sequence> versions;
  for (const SequenceVersion& kept : store.sequence_versions(name)) {
    auto sequence = Sequence::from_json(kept.sequence);
    const bool in_order = kept.version == static_cast<int>(versions.size()) + 1;
    if (!sequence || !in_order || sequence->fingerprint() != kept.fingerprint) {
      return fail(Errc::invalid_value,
                  "campaign \"" + name + "\": version " + std::to_string(kept.version) +
                      " of its sequence in the store cannot be read" +
                      (!sequence   ? ": " + sequence.error().to_string()
                       : in_order ? std::string(": its text does not match its fingerprint")
                                  : std::string(": a version before it is missing")));
    }
    versions.push_back(std::move(*sequence));
  }
  if (!versions.empty() && versions.back().fingerprint() != stored.fingerprint) {
    return fail(Errc::invalid_value, "campaign \"" + name + "\": the latest version of its sequence in the store is not "
                                     "the one the campaign runs (" + stored.fingerprint.substr(0, 12) + "...)");
  }
  if (stored.fingerprint != c.def.sequence.fingerprint()) {
    const std::string runs = versions.empty() ? "was started with another sequence"
                                              : "runs version " + std::to_string(versions.size()) +
                                                    " of its sequence since its steps were edited";
    return fail(Errc::invalid_value, "campaign \"" + name + "\" " + runs + " (" + stored.fingerprint.substr(0, 12) +
                                         "...): run it from the store alone (outreach run --store), or change its "
                                         "steps with outreach update --edit-steps");
  }
  if (versions.empty()) versions.push_back(c.def.sequence);
  return versions;
}

expected<LeadsAdded> Engine::add_leads(std::string_view name, std::vector<Lead> leads) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status == CampaignStatus::stopped) {
    return fail(Errc::invalid_argument, "campaign \"" + std::string(name) + "\" was stopped for good: it takes no more leads");
  }
  if (state_->log.failed()) return fail(*state_->log.failure());
  return state_->add_leads(*c, std::move(leads), state_->clock.now());
}

expected<LeadsAdded> Engine::State::add_leads(CampaignState& c, std::vector<Lead> leads, Instant now) {
  LeadsAdded result;
  std::vector<Lead> admitted;
  std::vector<std::string> keys;  // of the admitted leads
  std::unordered_set<std::string> seen;
  for (Lead& lead : leads) {
    std::string key = lead.key();
    if (c.leads.find(key) || !seen.insert(key).second) {
      ++result.already_in;
    } else if (store.is_suppressed(key)) {
      ++result.suppressed;
    } else {
      admitted.push_back(std::move(lead));
      keys.push_back(std::move(key));
    }
  }
  if (c.leads.size() + admitted.size() >= UINT32_MAX) return fail(Errc::limit_exceeded, "too many leads in one campaign");
  if (c.status != CampaignStatus::draft) {
    if (!store.keeps_added_leads()) {
      return fail(Errc::invalid_argument, "this store keeps no leads added to a started campaign");
    }
    if (c.def.schedule.end && now >= *c.def.schedule.end) {
      return fail(Errc::invalid_argument, "campaign \"" + c.def.name + "\" has ended (schedule.end): it takes no more leads");
    }
  }
  result.added = static_cast<std::int64_t>(admitted.size());
  if (admitted.empty()) return result;
  if (c.status != CampaignStatus::draft) {
    // Kept before they enter: a lead the engine knows is one a restart brings back.
    std::vector<AddedLead> kept;
    kept.reserve(admitted.size());
    for (std::size_t i = 0; i < admitted.size(); ++i) {
      kept.push_back({keys[i], boost::json::serialize(detail::lead_to_json(admitted[i])), now});
    }
    if (!log.kept_or_stop(store.add_leads(c.def.name, kept))) return fail(*log.failure());
  }
  const auto from = static_cast<std::uint32_t>(c.leads.size());
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    (void)c.leads.add(std::move(keys[i]));
    c.def.leads.push_back(std::move(admitted[i]));
  }
  // A draft's leads are part of its definition, and enter with the others when it starts.
  if (c.status == CampaignStatus::draft) {
    c.listed_leads = c.def.leads.size();
    return result;
  }
  c.leads.enter_from(from, c.def.leads, c.def.schedule, c.def.sequence.step(1).delay, now);
  if (c.status == CampaignStatus::finished) c.status = CampaignStatus::running;
  return result;
}

void Engine::State::restore_added_leads(CampaignState& c) {
  const Delay& first_delay = c.def.sequence.step(1).delay;
  auto from = static_cast<std::uint32_t>(c.leads.size());
  Instant entered{};
  const auto enter_batch = [&] {
    if (from < c.leads.size()) c.leads.enter_from(from, c.def.leads, c.def.schedule, first_delay, entered);
    from = static_cast<std::uint32_t>(c.leads.size());
  };
  store.for_each_added_lead(c.def.name, [&](const AddedLead& added) {
    if (c.leads.find(added.address)) return;  // in the campaign's own list now
    boost::system::error_code error;
    const boost::json::value value = boost::json::parse(added.lead, error);
    expected<Lead> lead =
        error ? expected<Lead>(fail(Errc::parse_error, error.message())) : detail::lead_from_json(value, "lead");
    if (!lead || c.leads.size() + 1 >= UINT32_MAX) {
      warn("campaign \"" + c.def.name + "\": an added lead cannot be read back and is left out: " +
           (lead ? std::string("too many leads") : lead.error().to_string()));
      return;
    }
    if (added.added != entered) enter_batch();
    entered = added.added;
    if (c.leads.add(lead->key())) c.def.leads.push_back(std::move(*lead));
  });
  enter_batch();
}

expected<void> Engine::pause(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status == CampaignStatus::running) {
    state_->record_campaign(*c, campaign_event(EventType::campaign_paused, state_->clock.now(), *c, "request"));
  }
  return {};
}

expected<void> Engine::resume(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status == CampaignStatus::stopped) {
    return fail(Errc::invalid_argument, "campaign \"" + std::string(name) + "\" was stopped for good: it cannot be resumed");
  }
  if (c->status == CampaignStatus::paused) {
    state_->record_campaign(*c, campaign_event(EventType::campaign_resumed, state_->clock.now(), *c, "request"));
  }
  return {};
}

expected<void> Engine::stop(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  // A draft has no log to record in; a finished campaign may still be reopened by a send found
  // missing from its Sent folder, which a stop rules out too.
  if (c->status != CampaignStatus::draft && c->status != CampaignStatus::stopped) {
    state_->record_campaign(*c, campaign_event(EventType::campaign_stopped, state_->clock.now(), *c, "request"));
  }
  return {};
}

}  // namespace outreach
