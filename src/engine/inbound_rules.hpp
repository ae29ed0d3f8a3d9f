// What a received event does to a lead of a campaign, by the campaign's stop rules and bounce
// settings: the events it brings, in order, and whether its address is to be suppressed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/campaign_state.hpp"
#include "outreach/event.hpp"
#include "outreach/inbound.hpp"

namespace outreach::detail {

/// How long an auto-reply without a return date pauses its lead.
inline constexpr auto pause_without_return = std::chrono::days(7);

struct InboundActions {
  std::vector<std::pair<std::uint32_t, Event>> events;  // by lead; the first is what came back
  std::string_view suppress_reason;  // not empty: suppress the address, right after the first event
};

/// The events a received event brings for `lead` of the campaign at `now` (`out` is cleared).
void inbound_actions(const CampaignState& campaign, std::uint32_t lead, const InboundEvent& arrived, Instant now,
                     InboundActions& out);

}  // namespace outreach::detail
