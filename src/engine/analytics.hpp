// A campaign's analytics: per step and variant what happened to its sends, and sends per day
// and mailbox. Received mail counts for the step the lead last received.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "outreach/sequence.hpp"
#include "outreach/summary.hpp"

namespace outreach::detail {

class SnapshotCodec;

class CampaignAnalytics {
 public:
  /// Zero counts for every step and variant of the latest version (oldest first) that has the
  /// step: a step removed since keeps the counts of its sends.
  explicit CampaignAnalytics(const std::vector<Sequence>& versions);

  /// Takes a new version in: its steps that no version had, or whose variants changed (the
  /// engine allows that only before a step's first send), start from zero counts.
  void take_version(const Sequence& version);

  /// The counts of the variant `lead_key` gets at `step`, or nothing for a step out of range.
  [[nodiscard]] VariantStats* variant_of(const Sequence& sequence, std::uint64_t seed, std::string_view lead_key,
                                         int step);
  /// The counts of a step's variant by index, or nothing for a step or variant out of range.
  [[nodiscard]] VariantStats* variant_at(int step, std::size_t variant) {
    if (step < 1 || static_cast<std::size_t>(step) > stats_.size()) return nullptr;
    auto& variants = stats_[static_cast<std::size_t>(step - 1)];
    return variant < variants.size() ? &variants[variant] : nullptr;
  }
  /// The highest step with anything counted (0: none).
  [[nodiscard]] int last_step_counted() const;
  /// One more send from a mailbox on its local day.
  void count_day_send(std::chrono::sys_days day, std::size_t mailbox) { ++days_[{day, mailbox}]; }
  /// One send fewer from a mailbox on its local day (one in doubt that is to be sent again).
  void uncount_day_send(std::chrono::sys_days day, std::size_t mailbox) {
    const auto found = days_.find({day, mailbox});
    if (found != days_.end() && --found->second == 0) days_.erase(found);
  }
  void count_in_doubt() { ++in_doubt_; }
  void uncount_in_doubt() { --in_doubt_; }

  /// The analytics part of a summary: steps, days (mailboxes named by `mailbox_id`), in doubt.
  template <class MailboxId>
  void summarize(CampaignSummary& out, MailboxId&& mailbox_id) const {
    for (std::size_t i = 0; i < stats_.size(); ++i) out.steps.push_back(StepStats{static_cast<int>(i + 1), stats_[i]});
    for (const auto& [key, sent] : days_) out.days.push_back(day_sends(key.first, mailbox_id(key.second), sent));
    out.in_doubt = in_doubt_;
  }

 private:
  friend class SnapshotCodec;  // writes and reads the state back (snapshot.cpp)
  static DaySends day_sends(std::chrono::sys_days day, const std::string& mailbox, std::int64_t sent);

  std::vector<std::vector<VariantStats>> stats_;
  std::map<std::pair<std::chrono::sys_days, std::size_t>, std::int64_t> days_;
  std::int64_t in_doubt_ = 0;
};

}  // namespace outreach::detail
