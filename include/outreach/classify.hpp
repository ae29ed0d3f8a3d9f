/// @file classify.hpp
/// @brief What a received message is — a bounce, an auto-reply, an unsubscribe request, a spam
/// complaint, a reply, or none of these — with the evidence for it and what it names (the
/// bounced recipient, the original Message-ID, an auto-reply's return date).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/mime.hpp"

namespace outreach {

/// @brief The class of a received message (docs/formats.md, "Ingest results").
enum class InboundClass : std::uint8_t {
  reply,        ///< A person answered.
  auto_reply,   ///< An automatic answer: out of office, vacation, ticket acknowledgement.
  bounce,       ///< A delivery failure report (hard or soft).
  unsubscribe,  ///< A request to be sent no more mail.
  complaint,    ///< A spam complaint (feedback loop report).
  unknown,      ///< Not mail about a send of ours (or not recognisable).
};

/// @brief The class's name as in docs/formats.md: `reply`, `auto_reply`, `bounce`, `unsubscribe`,
/// `complaint`, `unknown`.
[[nodiscard]] std::string_view to_string(InboundClass value) noexcept;

/// @brief What a message was found to be, and why.
struct Classification {
  InboundClass type = InboundClass::unknown;  ///< The class.
  /// For bounces: hard (the address does not work: 5.x.x other than the known temporary
  /// cases) or soft (4.x.x, mailbox full, message too large, ...).
  bool hard = false;
  std::string status;       ///< Bounces: the enhanced status code (`5.1.1`), when one is stated.
  std::string diagnostic;   ///< Bounces: the remote server's words (`Diagnostic-Code`), when given.
  std::string recipient;    ///< Bounces and complaints: the address the report is about.
  /// Bounces and complaints: the Message-ID of our message the report encloses or quotes
  /// (with angle brackets), when present.
  std::string original_message_id;
  /// Auto-replies: the date the text says the person is back, when it states one.
  std::optional<std::chrono::year_month_day> return_date;
  std::string from;  ///< The sender's address (`From`, else `Sender`), when there is one.
  /// The message ids this message answers: `In-Reply-To`, then `References` from the newest.
  std::vector<std::string> answers;
  /// Why: one short line per clue, such as `Content-Type: multipart/report;
  /// report-type=delivery-status`, `Status: 5.1.1`, `Auto-Submitted: auto-replied`, `subject
  /// "Out of Office"`.
  std::vector<std::string> evidence;
};

/// @brief What the classifier needs to know beyond the message.
struct ClassifyContext {
  /// Our unsubscribe addresses (the campaigns' `unsubscribe.mailto`): a message to one of them is
  /// an unsubscribe request.
  std::vector<std::string> unsubscribe_addresses;
  /// When the message arrived: the reference for return dates without a year, when the message
  /// has no usable `Date`.
  std::optional<std::chrono::sys_days> received;
};

/// @brief Classifies a received message. The order of the checks: complaint (RFC 5965 report);
/// bounce (RFC 3464 report — one whose recipients were all delivered, and a read receipt, are
/// unknown — then the known non-standard forms); unsubscribe when it is addressed to one of our
/// addresses (whoever or whatever sent it); auto-reply (RFC 3834 and vendor markers,
/// out-of-office subjects and texts; an automatic notification that answers nothing is
/// unknown); unsubscribe when the new text of a reply is a short request; reply (everything else
/// from a person); unknown (no sender, a no-reply or mail system sender, a mailing list or bulk
/// message that answers nothing, an empty message).
///
/// It reads at most the first 32 KiB of the readable text and bounded parts of the reports, so
/// its time is bounded whatever the message. It is a pure function: thread-safe, no errors.
/// @param message The parsed message.
/// @param context Our addresses and the arrival date.
/// @return The class, its details, and one evidence line per clue that decided it.
[[nodiscard]] Classification classify(const MimePart& message, const ClassifyContext& context = {});

}  // namespace outreach
