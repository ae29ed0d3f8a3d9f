#include "engine/analytics.hpp"

#include "util/calendar_date.hpp"

namespace outreach::detail {

CampaignAnalytics::CampaignAnalytics(const Sequence& sequence) {
  for (const Step& step : sequence.steps()) {
    std::vector<VariantStats> variants;
    for (const Variant& variant : step.variants) variants.push_back(VariantStats{variant.name});
    stats_.push_back(std::move(variants));
  }
}

VariantStats* CampaignAnalytics::variant_of(const Sequence& sequence, std::uint64_t seed, std::string_view lead_key,
                                            int step) {
  if (step < 1 || static_cast<std::size_t>(step) > stats_.size()) return nullptr;
  const std::size_t variant = sequence.step(step).choose_variant(seed, lead_key, step);
  return &stats_[static_cast<std::size_t>(step - 1)][variant];
}

DaySends CampaignAnalytics::day_sends(std::chrono::sys_days day, const std::string& mailbox, std::int64_t sent) {
  return DaySends{format_date(std::chrono::year_month_day{day}), mailbox, sent};
}

}  // namespace outreach::detail
