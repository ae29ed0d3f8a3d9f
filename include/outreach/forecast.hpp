/// @file forecast.hpp
/// @brief What a stored campaign will send, per day and mailbox, until it ends: the engine run
/// forward on a virtual clock from the stored state, without touching the store (`outreach
/// forecast`, docs/engine.md "Forecasting a campaign").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"
#include "outreach/summary.hpp"

namespace outreach {

class Store;

/// @brief What a forecast assumes.
struct ForecastOptions {
  /// The instant it starts from; nothing: the campaign's last event (where a simulation
  /// stopped). Not before that last event.
  std::optional<Instant> from;
  /// The share of the sends answered, a day after each (0: no replies). Which sends are
  /// answered is drawn from their leads and steps, so the same forecast gives the same days.
  double reply_rate = 0.0;
};

/// @brief A campaign's sends to come.
struct CampaignForecast {
  std::string campaign;          ///< The campaign's name.
  Instant from{};                ///< The instant it starts from.
  /// When the campaign's last send goes (every lead ended); nothing when it still has leads
  /// after 400 days, or nothing to send at all.
  std::optional<Instant> ends;
  std::int64_t sends = 0;        ///< Sends to come, in all.
  std::vector<DaySends> days;    ///< Sends to come per day and mailbox (the mailbox's local date), by date then mailbox.
};

/// @brief Forecasts a stored campaign: an engine on a view of the store (nothing is written)
/// rebuilds it from its events and runs forward from `options.from` until every lead has ended.
/// @param store The store.
/// @param campaign The campaign's name.
/// @param options What to assume.
/// @return The forecast; `not_found` for an unknown campaign, `invalid_argument` for a start
/// before the last event or a reply rate outside 0 to 1, or the error rebuilding the campaign gave.
[[nodiscard]] expected<CampaignForecast> forecast_campaign(const Store& store, std::string_view campaign,
                                                           const ForecastOptions& options = {});

/// @brief The forecast as JSON: `campaign`, `from`, `ends` (an instant or null), `sends` and
/// `days` (`[{"date", "mailbox", "sent"}]`, as a summary's).
/// @param forecast The forecast.
[[nodiscard]] std::string to_json(const CampaignForecast& forecast);

/// @brief The forecast for people: its end, then sends per day and mailbox as a table.
/// @param forecast The forecast.
[[nodiscard]] std::string to_text(const CampaignForecast& forecast);

}  // namespace outreach
