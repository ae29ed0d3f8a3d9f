#include "engine/campaign_limits.hpp"

#include "outreach/schedule.hpp"

namespace outreach::detail {

void DailyCaps::roll(Instant now, const TimeZone& zone) {
  const auto today = Schedule::local_day(now, zone);
  if (today != day_) {
    day_ = today;
    new_today_ = 0;
    sends_today_ = 0;
  }
}

std::optional<std::string_view> DailyCaps::reached(Instant now, const TimeZone& zone, const CampaignLimits& limits,
                                                   int step) {
  roll(now, zone);
  if (limits.sends_per_day && sends_today_ >= *limits.sends_per_day) return "sends_per_day";
  if (step == 1 && limits.new_leads_per_day && new_today_ >= *limits.new_leads_per_day) return "new_leads_per_day";
  return std::nullopt;
}

std::optional<Instant> DailyCaps::reached_until(Instant now, const TimeZone& zone, const CampaignLimits& limits,
                                                int step) {
  if (!reached(now, zone, limits, step)) return std::nullopt;
  return Schedule::next_local_midnight(now, zone);
}

bool DailyCaps::any_full(Instant now, const TimeZone& zone, const CampaignLimits& limits) {
  roll(now, zone);
  return (limits.sends_per_day && sends_today_ >= *limits.sends_per_day) ||
         (limits.new_leads_per_day && new_today_ >= *limits.new_leads_per_day);
}

void BounceWindow::record_send(std::uint32_t lead) {
  recent_.emplace_back(lead, false);
  trim();
}

void BounceWindow::resize(std::int64_t size) {
  size_ = size;
  trim();
}

void BounceWindow::trim() {
  while (static_cast<std::int64_t>(recent_.size()) > size_) {
    if (recent_.front().second) --bounced_;
    recent_.pop_front();
  }
}

void BounceWindow::record_hard_bounce(std::uint32_t lead) {
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    if (it->first == lead && !it->second) {
      it->second = true;
      ++bounced_;
      return;
    }
  }
}

}  // namespace outreach::detail
