/// @file store_view.hpp
/// @brief Looking at a store without running it: a view that records nothing, the campaigns
/// rebuilt from their events, their summary (`outreach status`) and their event log
/// (`outreach events`). A `SqliteStore` opened with `StoreAccess::read` is looked at so while
/// an engine runs on the file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/instant.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/store.hpp"
#include "outreach/summary.hpp"

namespace outreach {

/// @brief A store that reads through to another and keeps its own writes in memory: an engine
/// rebuilt on it (for a summary) reports what it finds, such as sends in doubt, without
/// recording anything in the store underneath.
///
/// Reads see the base store's content and then the view's own writes. The view refers to the
/// base store, which must outlive it; it is used from one thread at a time, like any store.
class ReadOnlyView final : public Store {
 public:
  /// @brief A view of `base`.
  /// @param base The store looked at; never written to.
  explicit ReadOnlyView(const Store& base) : base_(base) {}

  /// @brief Keeps the event in the view.
  /// @param event The event.
  [[nodiscard]] expected<void> append(const Event& event) override { return written_.append(event); }
  /// @brief Keeps the intent in the view.
  /// @param intent The send.
  [[nodiscard]] expected<void> record_intent(const SendIntent& intent) override {
    return written_.record_intent(intent);
  }
  /// @brief On the base store's list, or suppressed in the view.
  /// @param address The address.
  [[nodiscard]] bool is_suppressed(std::string_view address) const override {
    return base_.is_suppressed(address) || written_.is_suppressed(address);
  }
  /// @brief Suppresses the address in the view only.
  /// @param address The address.
  /// @param reason Why.
  [[nodiscard]] expected<void> suppress(std::string_view address, std::string_view reason) override {
    return written_.suppress(address, reason);
  }
  /// @brief Removes the view's own suppression of the address (the base store's stays).
  /// @param address The address.
  [[nodiscard]] expected<void> unsuppress(std::string_view address) override { return written_.unsuppress(address); }
  /// @brief The base store's suppression list.
  [[nodiscard]] std::vector<Suppression> suppressions() const override { return base_.suppressions(); }
  /// @brief The base store's events of the campaign, then the view's.
  /// @param campaign The campaign's name.
  /// @param visit Called once per event.
  void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const override {
    base_.for_each_event(campaign, visit);
    written_.for_each_event(campaign, visit);
  }
  /// @brief The base store's events of the campaign after a place, then the view's (placed
  /// after the base store's).
  /// @param campaign The campaign's name.
  /// @param after Only events placed after this.
  /// @param visit Called once per event, with its place.
  void for_each_event_after(std::string_view campaign, std::int64_t after,
                            const std::function<void(std::int64_t, const Event&)>& visit) const override {
    std::int64_t last = after;
    base_.for_each_event_after(campaign, after, [&](std::int64_t place, const Event& event) {
      last = place;
      visit(place, event);
    });
    written_.for_each_event(campaign, [&](const Event& event) { visit(++last, event); });
  }
  /// @brief The view's last event of the campaign, else the base store's.
  /// @param campaign The campaign's name.
  [[nodiscard]] std::optional<Instant> last_event_at(std::string_view campaign) const override {
    const auto own = written_.last_event_at(campaign);
    return own ? own : base_.last_event_at(campaign);
  }
  /// @brief The base store's events of the lead, then the view's.
  /// @param campaign The campaign's name.
  /// @param lead The lead's address.
  /// @param visit Called once per event.
  void for_each_lead_event(std::string_view campaign, std::string_view lead,
                           const std::function<void(const Event&)>& visit) const override {
    base_.for_each_lead_event(campaign, lead, visit);
    written_.for_each_lead_event(campaign, lead, visit);
  }
  /// @brief The base store's snapshot of the campaign (the view keeps none of its own).
  /// @param campaign The campaign's name.
  [[nodiscard]] std::optional<CampaignSnapshot> snapshot(std::string_view campaign) const override {
    return base_.snapshot(campaign);
  }
  /// @brief The base store's open intents.
  [[nodiscard]] std::vector<SendIntent> open_intents() const override { return base_.open_intents(); }
  /// @brief Keeps nothing: the view never changes a campaign.
  [[nodiscard]] expected<void> save_campaign(const StoredCampaign&) override { return {}; }
  /// @brief The base store's campaign of that name.
  /// @param name The campaign's name.
  [[nodiscard]] std::optional<StoredCampaign> campaign(std::string_view name) const override {
    return base_.campaign(name);
  }
  /// @brief The base store's campaigns.
  [[nodiscard]] std::vector<StoredCampaign> campaigns() const override { return base_.campaigns(); }
  /// @brief No: the definitions are the base store's, and the view saves none.
  [[nodiscard]] bool keeps_definitions() const noexcept override { return false; }
  /// @brief Erases nothing: the view never changes the base store.
  [[nodiscard]] expected<std::size_t> forget(std::string_view) override { return std::size_t{0}; }

  /// @brief Yes: in memory, as every write through the view.
  [[nodiscard]] bool keeps_added_leads() const noexcept override { return true; }

  /// @brief Keeps the leads in memory only.
  [[nodiscard]] expected<void> add_leads(std::string_view campaign, const std::vector<AddedLead>& leads) override {
    return written_.add_leads(campaign, leads);
  }

  /// @brief The store's added leads, then those added through the view.
  void for_each_added_lead(std::string_view campaign,
                           const std::function<void(const AddedLead&)>& visit) const override {
    base_.for_each_added_lead(campaign, visit);
    written_.for_each_added_lead(campaign, visit);
  }
  /// @brief Yes: in memory, as every write through the view.
  [[nodiscard]] bool keeps_sequence_versions() const noexcept override { return true; }

  /// @brief Keeps the version in memory only.
  [[nodiscard]] expected<void> save_sequence_version(std::string_view campaign,
                                                     const SequenceVersion& version) override {
    return written_.save_sequence_version(campaign, version);
  }

  /// @brief The store's versions, then those kept through the view.
  [[nodiscard]] std::vector<SequenceVersion> sequence_versions(std::string_view campaign) const override {
    std::vector<SequenceVersion> versions = base_.sequence_versions(campaign);
    for (SequenceVersion& version : written_.sequence_versions(campaign)) versions.push_back(std::move(version));
    return versions;
  }

  /// @brief The base store's send of that Message-ID (through its index).
  /// @param message_id The Message-ID.
  [[nodiscard]] std::optional<SentMessage> find_sent(std::string_view message_id) const override {
    return base_.find_sent(message_id);
  }
  /// @brief The base store's last send to the lead at or before the instant.
  /// @param campaign The campaign's name.
  /// @param lead The lead's address.
  /// @param at_or_before The latest instant that counts.
  [[nodiscard]] std::optional<int> last_step_sent(std::string_view campaign, std::string_view lead,
                                                  Instant at_or_before) const override {
    return base_.last_step_sent(campaign, lead, at_or_before);
  }
  /// @brief The view's own position of the folder, else the base store's.
  /// @param mailbox The mailbox id.
  /// @param folder The folder's name.
  [[nodiscard]] std::optional<FolderPosition> folder_position(std::string_view mailbox,
                                                              std::string_view folder) const override {
    if (auto own = written_.folder_position(mailbox, folder)) return own;
    return base_.folder_position(mailbox, folder);
  }
  /// @brief Keeps the position in the view.
  /// @param position The position.
  [[nodiscard]] expected<void> save_folder_position(const FolderPosition& position) override {
    return written_.save_folder_position(position);
  }
  /// @brief Keeps the check in the view.
  /// @param check The outcome.
  [[nodiscard]] expected<void> record_mailbox_check(const MailboxCheck& check) override {
    return written_.record_mailbox_check(check);
  }
  /// @brief The base store's checks, each replaced by the view's own of the same mailbox, ordered
  /// by mailbox id.
  [[nodiscard]] std::vector<MailboxCheck> mailbox_checks() const override;
  /// @brief Keeps the state in memory only.
  /// @param state The state.
  [[nodiscard]] expected<void> save_mailbox_state(const MailboxState& state) override {
    return written_.save_mailbox_state(state);
  }
  /// @brief The view's own state of each mailbox, else the base store's; by mailbox id.
  [[nodiscard]] std::vector<MailboxState> mailbox_states() const override;
  /// @brief Yes: its writes go to memory and never fail.
  [[nodiscard]] bool atomic_units() const noexcept override { return true; }

 private:
  const Store& base_;
  MemoryStore written_;
};

/// @brief Adds campaigns of `store` to `engine` from their stored definitions and starts them,
/// which brings each back to where its events left it.
/// @param engine The engine, over `store` or a view of it.
/// @param store The store holding the campaigns.
/// @param only Just the campaign of that name; nothing for every campaign, in the order they
/// were first saved.
/// @return Nothing; `not_found` when `only` names no campaign of the store; the error of a
/// stored definition that cannot be read back (naming the campaign), or of adding or starting it.
[[nodiscard]] expected<void> restore_campaigns(Engine& engine, const Store& store,
                                               std::optional<std::string_view> only = std::nullopt);

/// @brief Every campaign of a store with its status and analytics, as `outreach status` gives
/// them: the campaigns are rebuilt from their events by an engine on a `ReadOnlyView` (a send
/// left in doubt shows as such), and nothing is written to the store.
/// @param store The store (a `SqliteStore` opened for reading, while an engine may run on it).
/// @return The summary; or the error of a stored campaign that cannot be rebuilt.
[[nodiscard]] expected<Summary> summarize_store(const Store& store);

/// @brief How one mailbox of a campaign is doing, for its report.
struct MailboxHealth {
  std::string mailbox;                ///< The mailbox id.
  std::string from;                   ///< The address it sends from.
  std::int64_t daily_limit = 0;       ///< Its sends per day.
  std::optional<Ramp> ramp;           ///< Its warm-up, if any.
  bool disabled = false;              ///< Disabled (after failures in a row, or on request).
  std::string disabled_reason;        ///< Why, when disabled.
  std::string last_error;             ///< The reason of its last failed or deferred send; empty: none.
  std::optional<Instant> last_error_at;  ///< When that was.
  std::optional<MailboxCheck> check;  ///< The last reading of its received mail, when it is read.
};

/// @brief What a campaign's report shows (`outreach report`, the pages of `outreach serve`).
struct CampaignReport {
  CampaignSummary summary;             ///< Its summary, as `outreach status` gives it.
  std::vector<LeadProgress> leads;     ///< Every lead, in the campaign's order.
  std::vector<MailboxHealth> mailboxes;  ///< Its mailboxes, in its order.
  TrackingSettings tracking;           ///< Whether it tracks opens and clicks (its `tracking`).
  Instant generated{};                 ///< When the report was made (the system clock).
};

/// @brief A campaign's report, rebuilt from the store as `summarize_store` does.
/// @param store The store.
/// @param campaign The campaign's name.
/// @return The report; or `not_found` when the store has no such campaign.
[[nodiscard]] expected<CampaignReport> report_store(const Store& store, std::string_view campaign);

/// @brief The event log of a store's campaigns, as `outreach events` gives it: one log in time
/// order, each campaign's own order kept for events of one instant.
/// @param store The store.
/// @param campaign Only this campaign's events; nothing for every campaign's.
/// @param since Only the events at or after this instant; nothing for all.
/// @return The events; or `not_found` when `campaign` names no campaign of the store.
[[nodiscard]] expected<std::vector<Event>> store_events(const Store& store,
                                                        std::optional<std::string_view> campaign = std::nullopt,
                                                        std::optional<Instant> since = std::nullopt);

}  // namespace outreach
