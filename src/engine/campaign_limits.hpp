// A campaign's own limits: its daily caps (`sends_per_day`, `new_leads_per_day`, days in the
// schedule's zone) and its bounce window (the last `pause_window` sends and which of them
// bounced hard, for `bounces.pause_rate`).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>

#include "outreach/campaign.hpp"
#include "outreach/instant.hpp"
#include "outreach/timezone.hpp"

namespace outreach::detail {

class SnapshotCodec;

class DailyCaps {
 public:
  /// Starts a new day's counts when `now` is on a later local day than the last count.
  void roll(Instant now, const TimeZone& zone);
  /// The cap a send of `step` is held by today: `sends_per_day` or `new_leads_per_day`, or
  /// nothing when neither is reached.
  [[nodiscard]] std::optional<std::string_view> reached(Instant now, const TimeZone& zone, const CampaignLimits& limits,
                                                        int step);
  /// When a send of `step` cannot go today because a cap is reached: the next local midnight.
  [[nodiscard]] std::optional<Instant> reached_until(Instant now, const TimeZone& zone, const CampaignLimits& limits,
                                                     int step);
  /// True when today's sends or new leads are at their cap (for a first step, either stops it).
  [[nodiscard]] bool any_full(Instant now, const TimeZone& zone, const CampaignLimits& limits);
  /// Counts a send of `step` decided today.
  void reserve(int step) {
    ++sends_today_;
    if (step == 1) ++new_today_;
  }
  /// Gives back a send of `step` that did not go.
  void release(int step) {
    --sends_today_;
    if (step == 1) --new_today_;
  }
  [[nodiscard]] std::int64_t sends_today() const noexcept { return sends_today_; }
  [[nodiscard]] std::int64_t new_today() const noexcept { return new_today_; }

 private:
  friend class SnapshotCodec;  // writes and reads the state back (snapshot.cpp)
  std::chrono::sys_days day_{};
  std::int64_t new_today_ = 0;
  std::int64_t sends_today_ = 0;
};

class BounceWindow {
 public:
  /// Keeps the last `size` sends.
  explicit BounceWindow(std::int64_t size) : size_(size) {}
  /// A send to `lead` went out (or was refused at once as an address that does not exist).
  void record_send(std::uint32_t lead);
  /// Keeps the last `size` sends from now on (the oldest go when it shrinks).
  void resize(std::int64_t size);
  /// The latest send to `lead` in the window bounced hard.
  void record_hard_bounce(std::uint32_t lead);
  /// True when the hard bounces reach `rate` of the sends in the window.
  [[nodiscard]] bool reaches(double rate) const {
    return !recent_.empty() && static_cast<double>(bounced_) / static_cast<double>(recent_.size()) >= rate;
  }
  [[nodiscard]] std::size_t sends() const noexcept { return recent_.size(); }
  [[nodiscard]] std::int64_t bounced() const noexcept { return bounced_; }

 private:
  friend class SnapshotCodec;  // writes and reads the state back (snapshot.cpp)
  void trim();
  std::int64_t size_;
  std::deque<std::pair<std::uint32_t, bool>> recent_;  // lead, bounced hard
  std::int64_t bounced_ = 0;
};

}  // namespace outreach::detail
