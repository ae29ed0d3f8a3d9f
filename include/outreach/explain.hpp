/// @file explain.hpp
/// @brief Why a lead has not been emailed yet: its history, its status, its next step, the
/// earliest instant that step can go, and every constraint that holds it now
/// (`outreach explain`, docs/engine.md "Explaining a lead").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/instant.hpp"

namespace outreach {

class Store;

/// @brief One constraint that holds a lead's next step at an instant.
struct Hold {
  /// What holds it: `delay` (the wait before the step), `schedule` (outside the sending hours
  /// or days in the lead's zone), `skipped_date`, `sends_per_day` and `new_leads_per_day` (the
  /// campaign's caps), `mailbox_daily_limit`, `mailbox_ramp` (the warm-up's cap of the day),
  /// `min_interval` (the mailbox's spacing), `mailbox_disabled`, `campaign_paused`,
  /// `auto_reply` (paused until the lead's return), `suppressed`, `in_doubt`, `queued` (a new
  /// lead waiting for the leads before it in the list).
  std::string reason;
  std::optional<Instant> until;  ///< When it stops holding, if that is known.
  /// @brief Holds compare equal when both parts are equal.
  friend bool operator==(const Hold&, const Hold&) = default;
};

/// @brief Where a lead stands at an instant, and why.
struct LeadExplanation {
  std::string campaign;             ///< The campaign's name.
  std::string lead;                 ///< The lead's address as in the list.
  Instant at{};                     ///< The instant asked about.
  std::string status;               ///< The lead's status (`pending`, `active`, `paused`, `replied`, ...).
  std::optional<int> next_step;     ///< The step it gets next; nothing when it has ended.
  /// The earliest instant its next step goes, found by running the engine forward on a virtual
  /// clock from `at` without touching the store (no replies assumed); nothing when it never
  /// goes (ended, or nothing in sight within a year).
  std::optional<Instant> earliest;
  std::vector<Hold> held_by;        ///< Every constraint that holds it at `at`.
  std::vector<Event> history;       ///< Its events, oldest first.
};

/// @brief Explains a lead of a stored campaign: the campaign is rebuilt from its events by an
/// engine on a view of the store (nothing is written), the constraints at `at` are asked of the
/// same checks that decide sends, and the engine then runs forward on a virtual clock until the
/// lead's next step goes.
/// @param store The store (a SQLite store opened for reading while an engine runs on it is fine).
/// @param campaign The campaign's name.
/// @param lead The lead's address (compared case-insensitively).
/// @param at The instant asked about; nothing: the campaign's last event (where a simulation
/// stopped). Not before that last event.
/// @return The explanation; `not_found` for an unknown campaign or lead, `invalid_argument` for
/// an instant before the last event, or the error rebuilding the campaign gave.
[[nodiscard]] expected<LeadExplanation> explain_lead(const Store& store, std::string_view campaign,
                                                     std::string_view lead, std::optional<Instant> at = std::nullopt);

/// @brief The explanation as JSON: `campaign`, `lead`, `at`, `status`, `next_step` (or null),
/// `earliest` (an instant or null), `held_by` (a list of `{"reason", "until"}`, `until` null when
/// unknown) and `history` (the events as the log writes them).
/// @param explanation The explanation.
[[nodiscard]] std::string to_json(const LeadExplanation& explanation);

/// @brief The explanation for people, a few lines.
/// @param explanation The explanation.
[[nodiscard]] std::string to_text(const LeadExplanation& explanation);

}  // namespace outreach
