// The one place an event changes a campaign's state. The engine applies each event it makes
// right after recording it, and a resumed campaign applies the events its store kept, so the
// rules of what an event does exist once and a resumed campaign is where it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "engine/campaign_state.hpp"
#include "engine/mailbox_pool.hpp"
#include "outreach/event.hpp"

namespace outreach::detail {

/// Where an event comes from, which decides the two things that differ between the paths.
enum class Origin : std::uint8_t {
  /// Just made by the engine: its send was reserved against the limits when it was decided
  /// (so a send that did not go is released), and a lead that waits is queued at once.
  live,
  /// Read back from the store: a send is counted from the event (mailboxes rebuild their
  /// counters in time order afterwards), and the due queue is built once at the end.
  log,
};

/// What an event brings that is not state: events the engine makes next.
struct Reduction {
  bool completed = false;            // the lead got its last step: a `completed` event is due
  bool bounce_rate_reached = false;  // the campaign paused itself: a `campaign_paused` is due
};

/// Applies a campaign event (no lead): paused or resumed.
void apply_campaign_event(CampaignState& campaign, const Event& event);

/// Applies an event of one lead of the campaign. `variant`: the index of the variant the lead
/// got at the event's step when the caller knows it (the dispatcher does), which spares hashing
/// the lead's key again to find it.
Reduction apply_lead_event(CampaignState& campaign, MailboxPool& mailboxes, std::uint32_t lead, const Event& event,
                           Origin origin, std::optional<std::size_t> variant = std::nullopt);

}  // namespace outreach::detail
