// Bounces without a delivery status part: the plain-text reports of qmail, Exim, Postfix,
// Sendmail, Exchange, Gmail, Yahoo and Lotus Domino, and generic ones known by their sender,
// subject and words.
#pragma once

#include "inbound/classify_input.hpp"
#include "outreach/classify.hpp"

namespace outreach::detail {

/// Reads a bounce written as text. It is one when its text has a phrase only a mail system's
/// failure report uses ("This is the qmail-send program", "The following addresses had
/// permanent fatal errors", "Delivery has failed to these recipients or groups", ...), or when
/// two of these hold: it comes from a mail system (`MAILER-DAEMON@`, `postmaster@`, "Mail
/// Delivery System"); its subject is a bounce's ("Undelivered Mail Returned to Sender",
/// "Undeliverable:", "Delivery Status Notification (Failure)", "failure notice", ...); its text
/// says delivery failed or was delayed, or quotes a status code. An empty `Return-Path` counts
/// only with a bounce's subject (auto-replies have one too).
///
/// Only the report counts: the text before the copy of the returned message ("--- Below this
/// line is a copy of the message", ...), whose words are ours; the system's own words begin at
/// the line of its telling phrase (else at the start). The recipient is `X-Failed-Recipients`, else the first address in the
/// report that is neither ours (`To`) nor a mail system's, else the returned message's `To`;
/// the status and the server's words are the first enhanced and basic codes in the report and
/// the rest of their line. It is soft when the text says delivery was only delayed or will be
/// retried and nothing says the failure is permanent; otherwise `bounce_kind` decides.
/// @return Whether the message is such a bounce (then `result` is filled).
[[nodiscard]] bool read_bounce_text(const Inbound& in, Classification& result);

}  // namespace outreach::detail
