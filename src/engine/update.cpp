// A changed campaign file applied to a campaign that runs: its settings are compared with the
// ones it runs with, path by path, and each difference becomes a `campaign_changed` event with
// the value before and after. What the campaign's past depends on (its seed, the threading and
// A/B split of steps sent, the zones its leads entered in, the zone its days are counted in)
// cannot change; the rest takes effect at the next decision, the counts of the day going on (a
// lowered limit already passed sends nothing more today). Edited steps, when asked for, make
// the sequence's next version (step_edit.hpp).
#include <boost/json.hpp>

#include <algorithm>
#include <iterator>

#include "engine/engine_state.hpp"
#include "engine/step_edit.hpp"

namespace outreach {

using detail::CampaignState;
using detail::CampaignStatus;

namespace {

namespace json = boost::json;

struct SettingChange {
  std::string setting;  // the path in the campaign file
  json::value before;   // null when absent
  json::value after;
};

// The path of a member below `path`.
std::string member_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// The `id` of every element, when each is an object with a distinct string `id` (mailboxes):
// such lists are compared by id, so that removing one is not a change of every one after it.
std::optional<std::vector<std::string>> ids_of(const json::array& list) {
  std::vector<std::string> ids;
  for (const json::value& element : list) {
    const json::value* id = element.is_object() ? element.as_object().if_contains("id") : nullptr;
    if (!id || !id->is_string()) return std::nullopt;
    std::string text(id->as_string());
    if (std::find(ids.begin(), ids.end(), text) != ids.end()) return std::nullopt;
    ids.push_back(std::move(text));
  }
  return ids;
}

const json::value* element_with_id(const json::array& list, std::string_view id) {
  for (const json::value& element : list) {
    if (element.as_object().at("id").as_string() == id) return &element;
  }
  return nullptr;
}

// Every leaf that differs between two settings trees, in the order of the campaign file.
void compare(const json::value& before, const json::value& after, const std::string& path,
             std::vector<SettingChange>& changes) {
  if (before == after) return;
  if (before.is_object() && after.is_object()) {
    const json::value null;
    for (const auto& member : before.as_object()) {
      const json::value* other = after.as_object().if_contains(member.key());
      compare(member.value(), other ? *other : null, member_path(path, member.key()), changes);
    }
    for (const auto& member : after.as_object()) {
      if (!before.as_object().contains(member.key())) compare(null, member.value(), member_path(path, member.key()), changes);
    }
    return;
  }
  if (before.is_array() && after.is_array()) {
    const json::array& old_list = before.as_array();
    const json::array& new_list = after.as_array();
    const auto old_ids = ids_of(old_list);
    const auto new_ids = ids_of(new_list);
    if (old_ids && new_ids) {
      const json::value null;
      for (const std::string& id : *old_ids) {
        const json::value* kept = element_with_id(new_list, id);
        compare(*element_with_id(old_list, id), kept ? *kept : null, path + "[" + id + "]", changes);
      }
      for (const std::string& id : *new_ids) {
        if (!element_with_id(old_list, id)) compare(null, *element_with_id(new_list, id), path + "[" + id + "]", changes);
      }
      return;
    }
    // Objects by position (steps), those beyond the shorter list added or removed.
    const auto objects = [](const json::array& list) {
      return std::all_of(list.begin(), list.end(), [](const json::value& element) { return element.is_object(); });
    };
    if (old_list.size() == new_list.size() || (objects(old_list) && objects(new_list))) {
      const json::value null;
      for (std::size_t i = 0; i < std::max(old_list.size(), new_list.size()); ++i) {
        compare(i < old_list.size() ? old_list[i] : null, i < new_list.size() ? new_list[i] : null,
                path + "[" + std::to_string(i) + "]", changes);
      }
      return;
    }
  }
  changes.push_back({path, before, after});
}

bool starts_with_path(std::string_view setting, std::string_view prefix) {
  return setting.starts_with(prefix) &&
         (setting.size() == prefix.size() || setting[prefix.size()] == '.' || setting[prefix.size()] == '[');
}

// A value for a one-line message: its JSON, shortened on a character boundary.
std::string excerpt(const json::value& value) {
  std::string text = json::serialize(value);
  constexpr std::size_t longest = 80;
  if (text.size() <= longest) return text;
  std::size_t cut = longest - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

// Whether a change gives a mailbox `imap` settings it did not have, or changes them: its mail is
// read by readers started with the engine's run.
bool changes_mail_reading(const SettingChange& change) {
  if (!change.setting.starts_with("mailboxes[")) return false;
  if (change.setting.find("].imap") != std::string::npos) return true;
  const json::value* imap = change.after.is_object() ? change.after.as_object().if_contains("imap") : nullptr;
  return imap && !imap->is_null();
}

}  // namespace

std::string Engine::State::definition_json(CampaignDefinition& definition, std::size_t leads_kept) {
  // The leads beyond `leads_kept` are set aside rather than copied (a campaign may have
  // millions), and put back however `to_json` ends.
  struct SetAside {
    std::vector<Lead>& leads;
    std::vector<Lead> rest;
    ~SetAside() {
      leads.insert(leads.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    }
  } set_aside{definition.leads, {}};
  set_aside.rest.assign(std::make_move_iterator(definition.leads.begin() + static_cast<std::ptrdiff_t>(leads_kept)),
                        std::make_move_iterator(definition.leads.end()));
  definition.leads.resize(leads_kept);
  return definition.to_json();
}

expected<std::vector<std::string>> Engine::update(CampaignDefinition changed, UpdateOptions options) {
  State& s = *state_;
  CampaignState* c = s.find(changed.name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + changed.name + "\"");
  if (c->status == CampaignStatus::stopped) {
    return fail(Errc::invalid_argument, "campaign \"" + changed.name + "\" was stopped for good: it cannot change");
  }
  if (s.log.failed()) return fail(*s.log.failure());
  return s.update(*c, std::move(changed), s.clock.now(), options);
}

expected<std::vector<std::string>> Engine::State::update(CampaignState& c, CampaignDefinition changed, Instant now,
                                                         UpdateOptions options) {
  // The settings of both, without leads: leads are added with `add_leads`, never by an update.
  const auto settings_of = [](CampaignDefinition& definition) {
    json::value tree = json::parse(definition_json(definition, 0));
    tree.as_object().erase("leads");
    return tree;
  };
  std::vector<SettingChange> changes;
  compare(settings_of(c.def), settings_of(changed), "", changes);
  if (changes.empty()) return std::vector<std::string>{};

  std::vector<std::string> refusals;
  const bool started = c.status != CampaignStatus::draft;
  const bool steps_changed = changed.sequence != c.def.sequence;
  const std::vector<std::string> step_changes =
      steps_changed ? detail::describe_step_changes(c.def.sequence, changed.sequence) : std::vector<std::string>{};
  for (const SettingChange& change : changes) {
    if (!started) continue;  // a draft has no past yet
    if (change.setting == "seed") {
      refusals.push_back("seed: a campaign's seed cannot change: it chose the variants and spacing of every send so far");
    } else if (change.setting == "schedule.lead_timezone" || change.setting == "schedule.timezone") {
      refusals.push_back(change.setting + " cannot change: the leads' sending zones were set, and the days of its "
                                          "limits counted, in the zones it started with");
    } else if (starts_with_path(change.setting, "ab_test") && !starts_with_path(change.setting, "ab_test.guardrails")) {
      refusals.push_back(change.setting + " cannot change once the campaign started: its A/B tests' evidence is "
                                          "read at the level it started with (only ab_test.guardrails may change)");
    } else if (reads_mail && changes_mail_reading(change)) {
      refusals.push_back(change.setting + ": the running engine reads the mail of the mailboxes it started with; "
                                          "stop it, update, and start it again");
    }
  }
  if (started && steps_changed) {
    if (!options.edit_steps) {
      std::string listed;
      for (const std::string& line : step_changes) listed += (listed.empty() ? "" : "; ") + line;
      refusals.push_back("sequence: the steps change (" + (listed.empty() ? "its name" : listed) +
                         "); edited steps are applied only when asked (outreach update --edit-steps)");
    } else if (!store.keeps_sequence_versions() || !store.atomic_units()) {
      // A version kept without the campaign that runs it (a unit cut short) would stop it.
      refusals.emplace_back("sequence: this store does not keep versions of a sequence with their campaign in one "
                            "unit, so the steps cannot change");
    } else if (c.versions.size() >= UINT16_MAX) {
      refusals.emplace_back("sequence: a campaign has at most 65534 edits of its steps");
    } else {
      const int reached = steps_reached(c);
      for (std::string& refusal : detail::step_edit_refusals(c.versions, changed.sequence,
                                                             [&](int step) { return step <= reached; })) {
        refusals.push_back(std::move(refusal));
      }
    }
  }
  if (changed.mailboxes.empty()) refusals.emplace_back("mailboxes: a campaign needs at least one mailbox");
  // The secret the tokens would be signed with: read again when its variable changes.
  const std::string secret = changed.unsubscribe.secret_env == c.def.unsubscribe.secret_env
                                 ? c.unsubscribe_secret
                                 : CampaignSecrets::from_environment(changed).unsubscribe_secret.value_or("");
  if (secrets_required && !changed.unsubscribe.secret_env.empty() && secret.size() < min_unsubscribe_secret) {
    refusals.push_back("unsubscribe.secret_env: " + changed.unsubscribe.secret_env + " holds no secret of at least " +
                       std::to_string(min_unsubscribe_secret) + " bytes: anyone could forge its unsubscribe links");
  }
  if (!refusals.empty()) {
    std::string message = "campaign \"" + c.def.name + "\" is not changed: ";
    for (std::size_t i = 0; i < refusals.size(); ++i) message += (i ? "; " : "") + refusals[i];
    return fail(Errc::invalid_argument, std::move(message));
  }

  auto signers = check_mailboxes(changed);
  if (!signers) return fail(signers.error());

  // Applied in memory, then kept: the definition saved and one event per change, in one unit.
  if (changed.unsubscribe.secret_env != c.def.unsubscribe.secret_env) {
    c.set_unsubscribe_secret(secret);
    if (c.unsubscribe_secret.empty() && !changed.unsubscribe.secret_env.empty()) {
      warn("campaign \"" + c.def.name + "\": " + changed.unsubscribe.secret_env +
           " is not set; its unsubscribe (and tracking) tokens are sealed with an empty secret: anyone could make them");
    }
  }
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < changed.mailboxes.size(); ++i) {
    bool replaced = false;
    indices.push_back(mailboxes.add(changed.mailboxes[i], changed.schedule.timezone, std::move((*signers)[i]),
                                    store.keeps_definitions(), replaced));
    const bool shared = std::any_of(campaigns.begin(), campaigns.end(), [&](const auto& other) {
      return other.get() != &c && std::find(other->mailboxes.begin(), other->mailboxes.end(), indices.back()) !=
                                      other->mailboxes.end();
    });
    if (replaced && shared) {
      warn("mailbox \"" + changed.mailboxes[i].id + "\" is shared with other campaigns: they send with its new "
           "settings too");
    }
  }
  // Leads that waited for a mailbox may go now (it is the campaign's again, or follow-ups
  // move); those of a mailbox removed now wait for it when they come due.
  c.mailboxes = std::move(indices);
  c.def.reassign_follow_ups = changed.reassign_follow_ups;
  requeue_parked(c);
  std::vector<std::string> waiting_lines;  // for people: the follow-ups a removal holds
  for (const MailboxTrouble& held : mailbox_trouble(c)) {
    if (held.waiting == 0) continue;
    waiting_lines.push_back("mailboxes[" + held.mailbox + "]: " + std::to_string(held.waiting) +
                            (held.waiting == 1 ? " lead waits" : " leads wait") +
                            " for follow-ups from it (reassign_follow_ups moves them)");
  }
  if (changed.bounces.pause_window != c.def.bounces.pause_window) c.bounces.resize(changed.bounces.pause_window);
  c.def.schedule = std::move(changed.schedule);
  c.def.mailboxes = std::move(changed.mailboxes);
  c.def.limits = changed.limits;
  c.def.stop_on = changed.stop_on;
  c.def.bounces = changed.bounces;
  c.def.delivery = changed.delivery;
  c.def.unsubscribe = std::move(changed.unsubscribe);
  c.def.read_after_last_send = changed.read_after_last_send;
  c.def.tracking = std::move(changed.tracking);
  if (changed.ab_test) c.ab_tests.set_guardrails(changed.ab_test->guardrails);
  c.def.ab_test = changed.ab_test;

  // For people: each setting, and the steps as steps rather than as the paths of their texts.
  std::vector<std::string> described;
  for (const SettingChange& change : changes) {
    if (starts_with_path(change.setting, "sequence.steps")) continue;
    described.push_back(change.setting + ": " + excerpt(change.before) + " -> " + excerpt(change.after));
  }
  if (steps_changed && started) {
    described.push_back("sequence: version " + std::to_string(c.version()) + " -> " + std::to_string(c.version() + 1));
  }
  described.insert(described.end(), step_changes.begin(), step_changes.end());
  described.insert(described.end(), waiting_lines.begin(), waiting_lines.end());

  if (c.status == CampaignStatus::draft) {  // kept with the rest when it starts
    c.def.sequence = std::move(changed.sequence);
    c.versions.assign(1, c.def.sequence);
    c.analytics = detail::CampaignAnalytics(c.versions);
    c.ab_tests = detail::CampaignAbTests(c.def.sequence, c.def.ab_test);
    apply_mailbox_settings(now);
    return described;
  }
  if (!log.kept_or_stop(store.begin())) return fail(*log.failure());
  const Sequence before = c.def.sequence;
  if (steps_changed) keep_sequence_version(c, std::move(changed.sequence), now);
  if (auto stored = store.campaign(c.def.name); stored && (store.keeps_definitions() || steps_changed)) {
    if (store.keeps_definitions()) stored->definition = definition_json(c.def, c.listed_leads);
    stored->fingerprint = c.def.sequence.fingerprint();
    (void)log.kept_or_stop(store.save_campaign(*stored));
  }
  for (const SettingChange& change : changes) {
    Event event = detail::campaign_event(EventType::campaign_changed, now, c, "request");
    event.setting = change.setting;
    event.before = json::serialize(change.before);
    event.after = json::serialize(change.after);
    record_campaign(c, event);
  }
  apply_mailbox_settings(now);  // a mailbox disabled or enabled by its settings
  if (steps_changed) {
    const std::int64_t ended = apply_steps(c, before, now);
    if (ended > 0) {
      described.push_back(std::to_string(ended) + (ended == 1 ? " lead" : " leads") +
                          " waiting for a removed step ended (step_removed)");
    }
  }
  (void)log.kept_or_stop(store.commit());
  if (log.failed()) return fail(*log.failure());
  return described;
}

int Engine::State::steps_reached(const CampaignState& c) {
  int reached = c.analytics.last_step_counted();
  for (const detail::LeadState& lead : c.leads.states()) reached = std::max(reached, lead.next_step - 1);
  return reached;
}

void Engine::State::keep_sequence_version(CampaignState& c, Sequence next, Instant now) {
  if (c.versions.size() == 1) {  // the first edit: the version it started with is kept too
    const auto stored = store.campaign(c.def.name);
    const Sequence& first = c.versions.front();
    (void)log.kept_or_stop(store.save_sequence_version(
        c.def.name, {1, first.to_json(), first.fingerprint(), stored ? stored->started : now}));
  }
  (void)log.kept_or_stop(
      store.save_sequence_version(c.def.name, {c.version() + 1, next.to_json(), next.fingerprint(), now}));
  c.analytics.take_version(next);
  c.ab_tests.take_version(next);
  c.versions.push_back(next);
  c.def.sequence = std::move(next);
}

std::int64_t Engine::State::apply_steps(CampaignState& c, const Sequence& before, Instant now) {
  const Sequence& after = c.def.sequence;
  std::int64_t ended = 0;
  for (std::uint32_t lead = 0; lead < c.leads.size(); ++lead) {
    detail::LeadState& state = c.leads[lead];
    if (!detail::unfinished(state.status)) continue;
    const int step = state.next_step;
    if (static_cast<std::size_t>(step) > after.steps().size()) {
      Event event = detail::lead_event(EventType::stopped, now, c, lead, step);
      event.reason = "step_removed";
      record(c, lead, event);
      ++ended;
    }
  }
  // A wait under way keeps the length it began with (a restart reads it from the version the
  // step before was sent from); leads not started yet are timed again from when they entered.
  if (before.step(1).delay != after.step(1).delay) c.leads.retime_pending(c.def.schedule, after.step(1).delay);
  return ended;
}

}  // namespace outreach
