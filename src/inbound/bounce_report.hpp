// Delivery status notifications (RFC 3464, and RFC 6533's message/global-delivery-status): the
// standard form of a bounce.
#pragma once

#include "inbound/classify_input.hpp"
#include "outreach/classify.hpp"

namespace outreach::detail {

/// Reads a delivery status notification: a `message/delivery-status` part (normally in a
/// `multipart/report; report-type=delivery-status`). Of its per-recipient blocks, the first whose
/// `Action` is `failed`, else the first `delayed`, is the bounce (an `Action` missing is taken
/// from the `Status` class); a report whose recipients were only `delivered`, `relayed` or
/// `expanded` is no bounce. The recipient is `Original-Recipient` (the address as we sent it),
/// else `Final-Recipient`, else the enclosed message's `To`; the status is `Status`, or the
/// more specific code in `Diagnostic-Code` when `Status` is a generic `x.0.0`, or the one in
/// `Diagnostic-Code` when there is no `Status`; hard or soft as `bounce_kind` says (`delayed` is
/// always soft).
/// @return Whether the message is such a report; `result` is then a bounce, or unknown.
[[nodiscard]] bool read_delivery_report(const Inbound& in, Classification& result);

}  // namespace outreach::detail
