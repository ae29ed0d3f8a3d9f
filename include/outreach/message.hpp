/// @file message.hpp
/// @brief Composing complete RFC 5322 / MIME messages from rendered parts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/address.hpp"
#include "outreach/error.hpp"

namespace outreach {

/// @brief Everything a message is made of, already rendered (no template syntax left).
struct MessageDraft {
  Address from;                          ///< `From:`; its domain also names the Message-ID's domain.
  Address to;                            ///< `To:`.
  std::string subject;                   ///< UTF-8; encoded (RFC 2047) when it is not plain ASCII.
  std::string text;                      ///< The text/plain body (UTF-8; any line ending).
  std::optional<std::string> html;       ///< The text/html body; with it the message is multipart/alternative.
  std::string message_id;                ///< `<id@domain>`, with angle brackets.
  std::chrono::sys_seconds date{};       ///< `Date:` (written in UTC, `+0000`).
  std::string in_reply_to;               ///< `<id>` of the message this one answers, or empty.
  std::vector<std::string> references;   ///< `References:` ids, oldest first (each with brackets).
  std::string list_unsubscribe_url;      ///< One-click https URL (RFC 8058), or empty.
  std::string list_unsubscribe_mailto;   ///< Address for a `mailto:` unsubscribe entry, or empty.
};

/// @brief A complete message, ready for a transport.
struct Message {
  std::string message_id;        ///< The Message-ID, with angle brackets.
  std::string envelope_from;     ///< The SMTP `MAIL FROM` address (From's address).
  std::string envelope_to;       ///< The SMTP `RCPT TO` address (To's address).
  bool requires_smtputf8 = false;///< True when an address has a non-ASCII local part.
  std::string data;              ///< The bytes of the message: CRLF line endings, no dot-stuffing.
};

/// @brief Builds the message: headers (`Date`, `From`, `To`, `Subject`, `Message-ID`,
/// `In-Reply-To`, `References`, `List-Unsubscribe`, `List-Unsubscribe-Post`, `MIME-Version`,
/// `Content-Type`, `Content-Transfer-Encoding`) and quoted-printable UTF-8 bodies, every line
/// at most 78 characters where it can be folded and never more than 998.
///
/// No value can start a new header: a subject containing CR, LF or other control characters is
/// written as encoded-words; control characters in a name or address, or in a message id, are
/// an `invalid_value` error.
/// @return The message, or `invalid_value` / `invalid_utf8` naming the header at fault.
[[nodiscard]] expected<Message> compose(const MessageDraft& draft);

/// @brief A Message-ID (with angle brackets) deterministic per (campaign, lead key, 1-based step)
/// under `domain` (IDNA-encoded): the same arguments give the same id on every machine.
[[nodiscard]] std::string make_message_id(std::string_view campaign, std::string_view lead_key, int step,
                                          std::string_view domain);

/// @brief Formats an instant as an RFC 5322 date in UTC: `Tue, 01 Dec 2026 14:03:12 +0000`.
[[nodiscard]] std::string format_rfc5322_date(std::chrono::sys_seconds instant);

}  // namespace outreach
