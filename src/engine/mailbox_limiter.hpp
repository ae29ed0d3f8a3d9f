// How much a mailbox may send, and when: its daily limit and warm-up ramp, counted in days of
// its own zone (a new day starts at the local midnight, DST or not), and the spacing of
// `min_interval` plus a jitter drawn from the mailbox's own deterministic sequence. A send is
// reserved when it is decided and released if it did not go; every campaign of an engine
// shares the limiter of a mailbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "outreach/instant.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/schedule.hpp"
#include "outreach/store.hpp"
#include "outreach/timezone.hpp"

namespace outreach::detail {

class MailboxLimiter {
 public:
  /// A limiter with nothing sent yet; days in `zone`.
  MailboxLimiter(Mailbox settings, TimeZone zone);

  [[nodiscard]] const Mailbox& settings() const noexcept { return settings_; }
  [[nodiscard]] const TimeZone& zone() const noexcept { return zone_; }
  /// Later settings for the same mailbox (counters go on).
  void replace_settings(Mailbox settings, TimeZone zone) {
    settings_ = std::move(settings);
    zone_ = std::move(zone);
    day_ends_ = {};
  }

  /// Sends still allowed on the local day of `now` (negative when a lowered limit is passed).
  /// Inline, with `cap_on`: every mailbox is asked for every send.
  [[nodiscard]] std::int64_t room(Instant now) const {
    const auto today = local_day(now);
    return cap_on(today) - (today == day_ ? sent_today_ : 0);
  }
  /// True when a send may go at `now`: room today and the spacing has passed.
  [[nodiscard]] bool available(Instant now) const { return now >= next_allowed_ && room(now) > 0; }
  /// How many sends the day of `now` allows: the daily limit, or less while the ramp is below it.
  [[nodiscard]] std::int64_t day_cap(Instant now) const { return cap_on(local_day(now)); }
  /// The first instant from `now` at which a send may go: now, the end of the spacing, or the
  /// next local midnight when today is full.
  [[nodiscard]] Instant available_at(Instant now) const;
  /// No send before this.
  [[nodiscard]] Instant next_allowed() const noexcept { return next_allowed_; }

  /// Counts a send decided at `now` against today's room, and starts the spacing after it.
  void reserve(Instant now);
  /// The slot the send just reserved at `now` asks of a store several engines share: today's
  /// day number, its cap and the spacing.
  [[nodiscard]] SendSlot slot_at(Instant now) const {
    const auto today = local_day(now);
    return SendSlot{.mailbox = settings_.id,
                    .day = today.time_since_epoch().count(),
                    .day_limit = cap_on(today),
                    .at = now,
                    .spacing = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.min_interval)};
  }
  /// Takes in what a shared store counts for the mailbox (the sends of every engine): today's
  /// count and the spacing after its last send, when they are more than this engine's own.
  void observe(const SlotAnswer& shared);
  /// Gives the room of the last reserved send back: it did not go (the spacing still holds).
  void release(Instant at);

  /// Disabled: it sends nothing until enabled (`mailbox_disabled`, `mailbox_enabled` events).
  [[nodiscard]] bool disabled() const noexcept { return disabled_; }
  /// Why it was disabled (empty when it is not).
  [[nodiscard]] const std::string& disabled_because() const noexcept { return disabled_because_; }
  /// Disables or enables it at `at`; a change older than the last one applied is ignored, so
  /// that the events of several campaigns sharing the mailbox, read back one campaign after
  /// the other, leave the latest state.
  /// When it was last disabled or enabled.
  [[nodiscard]] Instant state_since() const noexcept { return state_since_; }
  void set_disabled(bool disabled, std::string why, Instant at) {
    if (at < state_since_) return;
    state_since_ = at;
    disabled_ = disabled;
    disabled_because_ = disabled ? std::move(why) : std::string();
    if (!disabled) failures_in_a_row_ = 0;
  }
  /// Counts a send's outcome: a failure on the mailbox's side is one more in a row, an accepted
  /// send ends the row (a failure of the recipient's counts neither way). The failures in a row.
  std::int64_t count_outcome(bool accepted, bool sender_side_failure) {
    if (accepted) failures_in_a_row_ = 0;
    if (sender_side_failure) ++failures_in_a_row_;
    return failures_in_a_row_;
  }

  /// Keeps every send from now on, so that the counters can be rebuilt in time order when a
  /// campaign sharing the mailbox resumes and brings its own past sends.
  void keep_history() noexcept { keeps_history_ = true; }
  [[nodiscard]] bool keeps_history() const noexcept { return keeps_history_; }
  /// A send read back from a campaign's log: kept for `rebuild`, not counted yet.
  void remember(Instant at, bool counted) {
    keeps_history_ = true;
    history_.emplace_back(at, counted);
  }
  /// Counts again, from the kept sends in time order.
  void rebuild();

 private:
  void tally(Instant now);
  // The local day of `now`; without a time zone lookup when `now` is on the day counted, which
  // is almost always (every mailbox is asked for every send).
  [[nodiscard]] std::chrono::sys_days local_day(Instant now) const {
    return now >= day_seen_ && now < day_ends_ ? day_ : Schedule::local_day(now, zone_);
  }
  void untally(Instant at);
  // The cap of the n-th day with sends, today being that day if a send goes out now. A day whose
  // only attempts were released is not a sending day: its cap stays the next one's.
  [[nodiscard]] std::int64_t cap_on(std::chrono::sys_days today) const {
    const std::int64_t sending_day = today == day_ ? days_before_ + 1 : days_before_ + (sent_today_ > 0 ? 1 : 0) + 1;
    return settings_.cap_on_day(sending_day);
  }

  Mailbox settings_;
  TimeZone zone_;
  std::chrono::sys_days day_{};  // the local day `sent_today_` counts
  Instant day_seen_{};           // an instant on `day_` ...
  Instant day_ends_{};           // ... and the local midnight after it: instants between are on `day_`
  std::int64_t sent_today_ = 0;
  std::int64_t days_before_ = 0;  // days with a send before `day_`
  Instant next_allowed_{};
  std::uint64_t sends_ = 0;  // every reserved send, for the jitter sequence
  std::uint64_t jitter_seed_ = 0;
  std::vector<std::pair<Instant, bool>> history_;  // (instant, still counted)
  bool keeps_history_ = false;
  bool disabled_ = false;
  std::string disabled_because_;
  Instant state_since_{};  // when it was last disabled or enabled
  std::int64_t failures_in_a_row_ = 0;  // counted by this engine: a restart starts again
};

}  // namespace outreach::detail
