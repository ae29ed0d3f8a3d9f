// Spam complaints: feedback loop reports (RFC 5965, the Abuse Reporting Format that Yahoo, AOL,
// Microsoft's JMRP and most other mailbox providers send) and Microsoft's older JMRP form.
#pragma once

#include "inbound/classify_input.hpp"
#include "outreach/classify.hpp"

namespace outreach::detail {

/// Reads a feedback report: a `message/feedback-report` part (normally in a `multipart/report;
/// report-type=feedback-report`), or a message that encloses one of ours carrying
/// `X-HmXmrOriginalRecipient` (Hotmail's JMRP form before it used ARF). `Feedback-Type` abuse,
/// fraud, virus, other, or none stated, is a complaint; `not-spam` and `auth-failure` (a DMARC
/// failure report, RFC 6591) are not. The recipient is `Original-Rcpt-To`, else `Removal-Recipient`,
/// else the enclosed message's `To`; the original Message-ID is the enclosed message's.
/// @return Whether the message is such a report; `result` is then a complaint, or unknown.
[[nodiscard]] bool read_complaint(const Inbound& in, Classification& result);

}  // namespace outreach::detail
