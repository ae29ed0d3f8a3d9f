#include "outreach/store_view.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/engine_on_view.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"

namespace outreach {

namespace {

// Per mailbox, the view's own entry, else the base store's; by mailbox id.
template <class Entry>
std::vector<Entry> own_else_base(std::vector<Entry> own, std::vector<Entry> base) {
  for (Entry& entry : base) {
    const bool replaced =
        std::any_of(own.begin(), own.end(), [&](const Entry& mine) { return mine.mailbox == entry.mailbox; });
    if (!replaced) own.push_back(std::move(entry));
  }
  std::sort(own.begin(), own.end(), [](const Entry& a, const Entry& b) { return a.mailbox < b.mailbox; });
  return own;
}

}  // namespace

std::vector<MailboxCheck> ReadOnlyView::mailbox_checks() const {
  return own_else_base(written_.mailbox_checks(), base_.mailbox_checks());
}

std::vector<MailboxState> ReadOnlyView::mailbox_states() const {
  return own_else_base(written_.mailbox_states(), base_.mailbox_states());
}

expected<void> restore_campaigns(Engine& engine, const Store& store, std::optional<std::string_view> only) {
  bool found = false;
  for (const StoredCampaign& stored : store.campaigns()) {
    if (only && stored.name != *only) continue;
    found = true;
    if (auto restored = engine.add_stored_campaign(stored); !restored) return restored;
  }
  if (only && !found) return fail(Errc::not_found, "the store has no campaign named \"" + std::string(*only) + "\"");
  return {};
}

namespace {

// The clock a store's campaigns are rebuilt on to be looked at.
const SystemClock system_clock{};

}  // namespace

expected<Summary> summarize_store(const Store& store) {
  detail::EngineOnView rebuilt(store, system_clock);
  if (auto restored = restore_campaigns(rebuilt.engine, rebuilt.view); !restored) return fail(restored.error());
  Summary summary = rebuilt.engine.summary();
  summary.mail_checks = store.mailbox_checks();
  return summary;
}

expected<CampaignReport> report_store(const Store& store, std::string_view campaign) {
  detail::EngineOnView rebuilt(store, system_clock);
  if (auto restored = restore_campaigns(rebuilt.engine, rebuilt.view, campaign); !restored) return fail(restored.error());
  CampaignReport report;
  report.generated = system_clock.now();
  Summary summary = rebuilt.engine.summary();
  report.summary = std::move(summary.campaigns.front());
  auto leads = rebuilt.engine.lead_progress(campaign);
  if (!leads) return fail(leads.error());
  report.leads = std::move(*leads);

  const auto stored = store.campaign(campaign);
  auto definition = CampaignDefinition::from_json(stored->definition);
  if (!definition) return fail(definition.error());
  report.tracking = definition->tracking;
  const std::vector<MailboxCheck> checks = store.mailbox_checks();
  const std::vector<MailboxState> states = store.mailbox_states();
  for (const Mailbox& mailbox : definition->mailboxes) {
    MailboxHealth health{.mailbox = mailbox.id, .from = mailbox.from.email, .daily_limit = mailbox.daily_limit,
                         .ramp = mailbox.ramp, .disabled = false, .disabled_reason = {}, .last_error = {},
                         .last_error_at = {}, .check = {}};
    for (const MailboxCheck& check : checks) {
      if (check.mailbox == mailbox.id) health.check = check;
    }
    for (const MailboxState& state : states) {
      if (state.mailbox == mailbox.id && state.disabled) {
        health.disabled = true;
        health.disabled_reason = state.reason;
      }
    }
    report.mailboxes.push_back(std::move(health));
  }
  store.for_each_event(campaign, [&](const Event& event) {
    if (event.type != EventType::failed && event.type != EventType::deferred) return;
    for (MailboxHealth& health : report.mailboxes) {
      if (health.mailbox != event.mailbox) continue;
      health.last_error = event.reason;
      health.last_error_at = event.at;
    }
  });
  return report;
}

expected<std::vector<Event>> store_events(const Store& store, std::optional<std::string_view> campaign,
                                          std::optional<Instant> since) {
  std::vector<Event> found;
  bool known = false;
  for (const StoredCampaign& stored : store.campaigns()) {
    if (campaign && stored.name != *campaign) continue;
    known = true;
    store.for_each_event(stored.name, [&](const Event& event) {
      if (!since || event.at >= *since) found.push_back(event);
    });
  }
  if (campaign && !known) {
    return fail(Errc::not_found, "the store has no campaign named \"" + std::string(*campaign) + "\"");
  }
  // One log in time order; each campaign's own order is kept for events of one instant.
  std::stable_sort(found.begin(), found.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  return found;
}

}  // namespace outreach
