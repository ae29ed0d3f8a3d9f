#include "engine/analytics.hpp"

#include <algorithm>

#include "util/calendar_date.hpp"

namespace outreach::detail {

CampaignAnalytics::CampaignAnalytics(const std::vector<Sequence>& versions) {
  for (const Sequence& version : versions) take_version(version);
}

void CampaignAnalytics::take_version(const Sequence& version) {
  const auto& steps = version.steps();
  if (stats_.size() < steps.size()) stats_.resize(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::vector<VariantStats>& counts = stats_[i];
    const auto& variants = steps[i].variants;
    const bool same = counts.size() == variants.size() &&
                      std::equal(counts.begin(), counts.end(), variants.begin(),
                                 [](const VariantStats& kept, const Variant& variant) { return kept.name == variant.name; });
    if (same) continue;
    counts.clear();
    for (const Variant& variant : variants) counts.push_back(VariantStats{variant.name});
  }
}

VariantStats* CampaignAnalytics::variant_of(const Sequence& sequence, std::uint64_t seed, std::string_view lead_key,
                                            int step) {
  if (step < 1 || static_cast<std::size_t>(step) > stats_.size()) return nullptr;
  const std::size_t variant = sequence.step(step).choose_variant(seed, lead_key, step);
  return &stats_[static_cast<std::size_t>(step - 1)][variant];
}

int CampaignAnalytics::last_step_counted() const {
  for (std::size_t i = stats_.size(); i > 0; --i) {
    for (const VariantStats& counts : stats_[i - 1]) {
      if (counts.sent || counts.deferred || counts.failed || counts.skipped || counts.replied || counts.auto_replied ||
          counts.bounced || counts.unsubscribed) {
        return static_cast<int>(i);
      }
    }
  }
  return 0;
}

DaySends CampaignAnalytics::day_sends(std::chrono::sys_days day, const std::string& mailbox, std::int64_t sent) {
  return DaySends{format_date(std::chrono::year_month_day{day}), mailbox, sent};
}

}  // namespace outreach::detail
