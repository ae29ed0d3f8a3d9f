// The message of a lead's step: its context (campaign, seed, sender, date, thread so far, the
// lead's unsubscribe link), rendered, and signed last when its mailbox has DKIM settings. A
// field the message needs and the lead lacks skips the lead; a message that cannot be built
// or signed fails it. Nothing is sent here.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "engine/campaign_state.hpp"
#include "outreach/dkim.hpp"
#include "outreach/event.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/render.hpp"

namespace outreach::detail {

/// A step ready to hand to the transport.
struct ComposedStep {
  RenderedStep rendered;
  std::string in_reply_to;  // threaded steps: the message it answers
};

/// Why a step cannot be sent: `skipped` (a field is missing) or `failed` (with its cause).
struct Unsendable {
  EventType type = EventType::skipped;
  Cause cause = Cause::none;
  std::string reason;
};

/// The lead's unsubscribe URL: the campaign's, with `{{token}}` replaced by the signed token.
[[nodiscard]] std::string unsubscribe_url(const CampaignState& campaign, const std::string& lead_key);

/// Composes the lead's next step from `mailbox` at `now`.
/// @param thread_domain The domain of the lead's Message-IDs when its first message came from
/// another mailbox; empty: the mailbox's.
/// @param signer The mailbox's signer, or null.
/// @param build_message False when the transport needs no message bytes (nothing is signed).
[[nodiscard]] tl::expected<ComposedStep, Unsendable> compose_step(const CampaignState& campaign, std::uint32_t lead,
                                                                  const Mailbox& mailbox, std::string_view thread_domain,
                                                                  const DkimSigner* signer, Instant now,
                                                                  bool build_message);

}  // namespace outreach::detail
