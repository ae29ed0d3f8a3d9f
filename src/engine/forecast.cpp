// What a stored campaign will send, per day and mailbox: the engine itself run forward on a
// view of the store (nothing written), its summary's days after the run less those before.
#include "outreach/forecast.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <utility>

#include "engine/days_table.hpp"
#include "engine/engine_on_view.hpp"
#include "outreach/engine.hpp"
#include "util/hash.hpp"

namespace outreach {

namespace {

// How far a forecast looks.
constexpr auto forecast_horizon = std::chrono::days(400);

// Whether the send of a lead's step is answered under `rate`: drawn from the lead and the step,
// so that the same forecast gives the same days.
bool answered(const Event& sent, double rate) {
  if (rate <= 0) return false;
  constexpr std::uint64_t scale = 1000000;
  const std::uint64_t hash = detail::hash_combine(detail::hash_bytes(sent.lead), static_cast<std::uint64_t>(sent.step));
  return static_cast<double>(detail::pick_below(hash, scale)) < rate * static_cast<double>(scale);
}

std::map<std::pair<std::string, std::string>, std::int64_t> days_of(const Summary& summary) {
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  for (const CampaignSummary& campaign : summary.campaigns) {
    for (const DaySends& day : campaign.days) out[{day.date, day.mailbox}] += day.sent;
  }
  return out;
}

}  // namespace

expected<CampaignForecast> forecast_campaign(const Store& store, std::string_view campaign,
                                             const ForecastOptions& options) {
  if (!(options.reply_rate >= 0.0 && options.reply_rate <= 1.0)) {
    return fail(Errc::invalid_argument, "the reply rate must be from 0 to 1");
  }
  const auto stored = store.campaign(campaign);
  if (!stored) return fail(Errc::not_found, "the store has no campaign \"" + std::string(campaign) + "\"");
  const std::optional<Instant> last = store.last_event_at(campaign);
  if (options.from && last && *options.from < *last) {
    return fail(Errc::invalid_argument, "a forecast starts at or after the campaign's last event (" +
                                            format_instant(*last) + "): the instant given is before it");
  }
  CampaignForecast out;
  out.campaign = std::string(campaign);
  out.from = options.from ? *options.from : last.value_or(stored->started);
  ManualClock clock(out.from);
  detail::EngineOnView rebuilt(store, clock);
  Engine& engine = rebuilt.engine;
  if (auto restored = engine.add_stored_campaign(*stored); !restored) return fail(restored.error());
  const auto before = days_of(engine.summary());
  std::optional<Instant> last_send;
  engine.on_event([&](const Event& event) {
    if (event.type != EventType::sent) return;
    ++out.sends;
    last_send = event.at;
    if (!answered(event, options.reply_rate)) return;
    InboundEvent reply;
    reply.at = event.at + std::chrono::days(1);
    reply.lead = event.lead;
    reply.campaign = event.campaign;
    reply.step = event.step;
    (void)engine.apply(reply);
  });
  engine.simulate(clock, out.from + forecast_horizon);
  const Summary after = engine.summary();
  for (const auto& [key, sent] : days_of(after)) {
    const auto was = before.find(key);
    const std::int64_t more = sent - (was == before.end() ? 0 : was->second);
    if (more > 0) out.days.push_back(DaySends{key.first, key.second, more});
  }
  const bool finished = !after.campaigns.empty() && after.campaigns.front().status == "finished";
  if (finished) out.ends = last_send;
  return out;
}

std::string to_json(const CampaignForecast& forecast) {
  return boost::json::serialize(boost::json::object{
      {"campaign", forecast.campaign},
      {"from", format_instant(forecast.from)},
      {"ends", forecast.ends ? boost::json::value(format_instant(*forecast.ends)) : boost::json::value(nullptr)},
      {"sends", forecast.sends},
      {"days", detail::days_json(forecast.days)}});
}

std::string to_text(const CampaignForecast& forecast) {
  std::string out = "campaign " + forecast.campaign + " from " + format_instant(forecast.from) + ": " +
                    std::to_string(forecast.sends) + (forecast.sends == 1 ? " send" : " sends") + " to come, ";
  out += forecast.ends ? "the last at " + format_instant(*forecast.ends) + "\n"
                       : std::string(forecast.sends == 0 ? "none\n" : "and leads still waiting after 400 days\n");
  return out + detail::days_table(forecast.days);
}

}  // namespace outreach
