// The lead book: every lead's state, kept small because a campaign may have millions, and the
// queues that let an instant cost time in proportion to its sends, not to the campaign's size:
// follow-ups in a priority queue keyed by their due instant, leads not yet started in one list
// per sending zone.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"
#include "outreach/lead.hpp"
#include "outreach/schedule.hpp"
#include "outreach/sequence.hpp"
#include "outreach/timezone.hpp"

namespace outreach::detail {

/// A lead's status (docs/engine.md, "Lead and campaign statuses"), plus `stopped` for leads
/// ended by the campaign's end or by another lead's reply.
enum class LeadStatus : std::uint8_t {
  pending, active, completed, replied, auto_replied, bounced, unsubscribed, failed, skipped, paused, stopped
};
inline constexpr std::array<std::string_view, 11> lead_status_names{
    "pending", "active", "completed", "replied", "auto_replied", "bounced", "unsubscribed", "failed", "skipped",
    "paused", "stopped"};

[[nodiscard]] constexpr bool unfinished(LeadStatus status) noexcept {
  return status == LeadStatus::pending || status == LeadStatus::active || status == LeadStatus::paused;
}

inline constexpr std::uint32_t no_mailbox = UINT32_MAX;

/// What the engine keeps per lead.
struct LeadState {
  Instant due{};                       // active: when the next step may go; paused: when it resumes
  std::uint32_t mailbox = no_mailbox;  // engine mailbox index, once assigned (follow-ups are sticky)
  // The mailbox of its first message: every Message-ID of the lead is made with its domain, so
  // that a follow-up sent from another mailbox still answers its thread.
  std::uint32_t thread_mailbox = no_mailbox;
  std::uint16_t zone = 0;              // index of the lead's sending zone
  std::uint8_t next_step = 1;          // 1-based step to send next
  std::uint8_t attempts = 0;           // temporary failures of the current step
  std::uint8_t soft_bounces = 0;
  LeadStatus status = LeadStatus::pending;
  std::uint16_t thread_version = 1;    // the sequence version the thread's first message came from
};
static_assert(sizeof(LeadState) <= 24, "a campaign may have millions of leads");

/// A follow-up waiting in the due queue; an entry whose `due` is no longer the lead's is stale.
struct DueEntry {
  Instant due;
  std::uint32_t lead;
  friend bool operator>(const DueEntry& a, const DueEntry& b) {
    return a.due != b.due ? a.due > b.due : a.lead > b.lead;  // ties: list order
  }
};

/// Leads not yet started, in list order, that share a sending zone.
struct PendingQueue {
  std::uint32_t zone = 0;
  std::vector<std::uint32_t> leads;
  std::size_t next = 0;
  Instant entered{};   // when its leads entered the campaign
  Instant ready_at{};  // entry time plus the first step's delay, in this zone
};

/// When a step with this delay is due after `from`: a business-day delay is the same local time
/// on the n-th following sending day of the lead's zone.
[[nodiscard]] Instant due_after(const Schedule& schedule, const Delay& delay, Instant from, const TimeZone& zone);

/// Every lead of one campaign: its state, its key, its sending zone, and the queues.
class LeadBook {
 public:
  /// Takes the leads in (none entered yet); fails with the address of a lead listed twice.
  [[nodiscard]] expected<void> load(const std::vector<Lead>& leads);

  /// Enters every lead at `entered`: sending zones are found (a lead's own zone when the
  /// schedule allows it and the zone is known), and each zone's queue is ready after the
  /// first step's delay.
  void enter(const std::vector<Lead>& leads, const Schedule& schedule, const Delay& first_delay, Instant entered);

  /// Takes one more lead in (not entered yet), after the others; nothing when its address is
  /// listed already.
  [[nodiscard]] std::optional<std::uint32_t> add(std::string key);

  /// Enters the leads from `from` on (those `add` took in) at `entered`, as `enter` does, in
  /// queues of their own behind the leads entered before them.
  void enter_from(std::uint32_t from, const std::vector<Lead>& leads, const Schedule& schedule,
                  const Delay& first_delay, Instant entered);

  /// Times the queues of leads not yet started again after the first step's delay changed.
  void retime_pending(const Schedule& schedule, const Delay& first_delay);

  [[nodiscard]] std::size_t size() const noexcept { return states_.size(); }
  [[nodiscard]] LeadState& operator[](std::uint32_t lead) { return states_[lead]; }
  [[nodiscard]] const LeadState& operator[](std::uint32_t lead) const { return states_[lead]; }
  [[nodiscard]] const std::vector<LeadState>& states() const noexcept { return states_; }

  /// The lead of a lowercased address, if listed.
  [[nodiscard]] std::optional<std::uint32_t> find(const std::string& key) const {
    const auto found = by_key_.find(key);
    if (found == by_key_.end()) return std::nullopt;
    return found->second;
  }
  /// The lowercased address of a lead.
  [[nodiscard]] const std::string& key_of(std::uint32_t lead) const { return *keys_[lead]; }
  [[nodiscard]] const TimeZone& zone_of(const LeadState& state) const { return zones_[state.zone]; }
  [[nodiscard]] const TimeZone& zone(std::uint32_t index) const { return zones_[index]; }

  /// Ends a lead with a final status, once: a lead already ended keeps its first.
  void finish(std::uint32_t lead, LeadStatus status) {
    LeadState& state = states_[lead];
    if (unfinished(state.status) && unfinished_ > 0) --unfinished_;
    state.status = status;
  }
  /// Sets an ended lead going again (`active`): a send it ended with is to be sent again.
  void reopen(std::uint32_t lead) {
    LeadState& state = states_[lead];
    if (!unfinished(state.status)) ++unfinished_;
    state.status = LeadStatus::active;
  }
  [[nodiscard]] std::size_t unfinished_count() const noexcept { return unfinished_; }
  /// Counts again the leads not ended (after a resume rebuilt their statuses).
  void recount_unfinished();

  /// Queues the lead at its current `due`.
  void push_due(std::uint32_t lead) { due_.push({states_[lead].due, lead}); }
  [[nodiscard]] bool has_due() const noexcept { return !due_.empty(); }
  [[nodiscard]] const DueEntry& next_due() const { return due_.top(); }
  void pop_due() { due_.pop(); }

  [[nodiscard]] std::vector<PendingQueue>& pending() noexcept { return pending_; }

 private:
  std::vector<LeadState> states_;
  std::unordered_map<std::string, std::uint32_t> by_key_;
  std::vector<const std::string*> keys_;  // each lead's key, stored once in `by_key_`
  std::vector<TimeZone> zones_;
  std::unordered_map<std::string, std::uint32_t> zone_by_name_;  // lead zones found so far
  std::vector<PendingQueue> pending_;
  std::priority_queue<DueEntry, std::vector<DueEntry>, std::greater<>> due_;
  std::size_t unfinished_ = 0;
};

}  // namespace outreach::detail
