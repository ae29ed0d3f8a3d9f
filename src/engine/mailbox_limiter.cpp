#include "engine/mailbox_limiter.hpp"

#include <algorithm>

#include "outreach/schedule.hpp"
#include "util/hash.hpp"

namespace outreach::detail {

MailboxLimiter::MailboxLimiter(Mailbox settings, TimeZone zone)
    : settings_(std::move(settings)), zone_(std::move(zone)), jitter_seed_(hash_bytes(settings_.id)) {}

Instant MailboxLimiter::available_at(Instant now) const {
  const Instant free = room(now) > 0 ? now : Schedule::next_local_midnight(now, zone_);
  return std::max(free, next_allowed_);
}

void MailboxLimiter::reserve(Instant now) {
  if (keeps_history_) history_.emplace_back(now, true);
  tally(now);
}

void MailboxLimiter::observe(const SlotAnswer& shared) {
  if (shared.day == day_.time_since_epoch().count()) sent_today_ = std::max(sent_today_, shared.sent_that_day);
  if (shared.last) next_allowed_ = std::max(next_allowed_, *shared.last + settings_.min_interval);
}

void MailboxLimiter::release(Instant at) {
  if (keeps_history_ && !history_.empty()) history_.back().second = false;
  untally(at);
}

void MailboxLimiter::rebuild() {
  std::stable_sort(history_.begin(), history_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  day_ = {};
  day_seen_ = {};
  day_ends_ = {};
  sent_today_ = 0;
  days_before_ = 0;
  next_allowed_ = {};
  sends_ = 0;
  for (const auto& [at, counted] : history_) {
    tally(at);
    if (!counted) untally(at);
  }
}

void MailboxLimiter::tally(Instant now) {
  const auto today = local_day(now);
  if (today != day_) {
    days_before_ += sent_today_ > 0 ? 1 : 0;
    day_ = today;
    day_seen_ = now;
    day_ends_ = Schedule::next_local_midnight(now, zone_);
    sent_today_ = 0;
  }
  ++sent_today_;
  ++sends_;
  // Jitter in whole seconds, drawn from the mailbox's own deterministic sequence.
  const auto jitter_seconds = static_cast<std::uint64_t>(settings_.jitter.count() / 1000);
  const auto jitter = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(
      jitter_seconds == 0 ? 0 : pick_below(hash_combine(jitter_seed_, sends_), jitter_seconds + 1)));
  next_allowed_ = now + settings_.min_interval + jitter;
}

void MailboxLimiter::untally(Instant at) {
  if (local_day(at) == day_ && sent_today_ > 0) --sent_today_;
}

}  // namespace outreach::detail
