// A campaign's snapshot: the state the replay of its log made, up to a place in the log, kept in
// the store so that the next start replays only the events after it. It holds what the reducer
// builds (every lead's state, limits, analytics, A/B tests, sends in doubt) and what the replay
// gathers beside it (the sends each mailbox counted, for limiters that other campaigns share).
//
// A snapshot is used only by the campaign it was made from, as it is now: its fingerprint covers
// the stored definition, the versions of its sequence and its leads in order. Anything else
// (another format, a damaged blob) is not an error: the log is replayed from its start, which
// gives the same state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/campaign_state.hpp"
#include "engine/mailbox_pool.hpp"
#include "outreach/instant.hpp"

namespace outreach::detail {

/// What replaying a campaign's log gathers that its state does not keep.
struct ReplayRecord {
  /// A mailbox disabled or enabled by the campaign's events: the latest one applied.
  struct Switch {
    bool disabled = false;
    std::string reason;
    Instant at{};
  };
  /// Per engine mailbox index, the sends the log counted against it in log order: the instant
  /// in milliseconds shifted left once, the low bit set when the send still counts.
  std::vector<std::vector<std::int64_t>> sends;
  std::map<std::size_t, Switch> switches;  // by engine mailbox index
  /// Per lead: its last step went out but its `completed` was not recorded.
  std::vector<bool> completion_missing;

  void sent(std::size_t mailbox, Instant at, bool counted) {
    if (sends.size() <= mailbox) sends.resize(mailbox + 1);
    sends[mailbox].push_back((at.time_since_epoch().count() << 1) | (counted ? 1 : 0));
  }
  void switched(std::size_t mailbox, bool disabled, const std::string& reason, Instant at) {
    auto& latest = switches[mailbox];
    if (at >= latest.at) latest = {disabled, reason, at};
  }
  [[nodiscard]] std::size_t send_count() const noexcept {
    std::size_t count = 0;
    for (const auto& mailbox : sends) count += mailbox.size();
    return count;
  }
};

/// The fingerprint of a campaign as its snapshot must find it: the stored definition's text
/// (`definition_hash`, its `hash_text`), the versions of its sequence, and its leads' addresses
/// in the order the lead book has them.
[[nodiscard]] std::uint64_t snapshot_fingerprint(const CampaignState& c, std::uint64_t definition_hash);

/// The campaign's replayed state (and what the replay gathered) as a snapshot's bytes.
[[nodiscard]] std::string write_snapshot(const CampaignState& c, const MailboxPool& mailboxes,
                                         const ReplayRecord& record, std::uint64_t fingerprint);

/// Brings a campaign whose leads have entered, and no event applied yet, to the state of a
/// snapshot, and gives its mailboxes the sends and switches it records (`record` then holds
/// them, as a replay would have). False, with nothing changed, when the bytes are not a snapshot
/// of this campaign as it is now (`fingerprint`) or cannot be read.
[[nodiscard]] bool read_snapshot(std::string_view bytes, std::uint64_t fingerprint, CampaignState& c,
                                 MailboxPool& mailboxes, ReplayRecord& record);

}  // namespace outreach::detail
