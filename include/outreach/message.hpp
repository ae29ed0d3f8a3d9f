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
  std::string list_unsubscribe_url;      ///< One-click `https://` URL (RFC 8058), or empty.
  std::string list_unsubscribe_mailto;   ///< Bare address (`a@b`) for a `mailto:` unsubscribe entry, or empty.
};

/// @brief A complete message, ready for a transport.
struct Message {
  std::string message_id;        ///< The Message-ID, with angle brackets.
  std::string envelope_from;     ///< The SMTP `MAIL FROM` address: From's address, domain in ASCII (A-labels).
  std::string envelope_to;       ///< The SMTP `RCPT TO` address: To's address, domain in ASCII (A-labels).
  bool requires_smtputf8 = false;///< True when From or To has a non-ASCII local part (written as UTF-8).
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
///
/// How values are written:
/// - `Subject`: as is when it is printable ASCII, single-spaced, without "=?" and foldable;
///   otherwise as `=?UTF-8?B?...?=` encoded-words (RFC 2047) of at most 75 characters, split
///   between UTF-8 characters. Display names: atoms when they are single-spaced `atext`
///   words, a quoted string (folded at its spaces) when they are other printable ASCII, and
///   encoded-words when they are not ASCII, contain "=?" or have a piece too long for a line.
/// - Addresses: the local part as given (UTF-8 when it is not ASCII, which sets
///   `Message::requires_smtputf8`), the domain as IDNA A-labels in lower case
///   (`domain_to_ascii`).
/// - Ids (`message_id`, `in_reply_to`, each of `references`) must be `<left@right>` with
///   printable ASCII and none of the specials `<>()",;:\@[]` inside, at most 900 octets.
/// - `List-Unsubscribe: <url>, <mailto:addr>` (either or both; the mailto local part is
///   percent-encoded per RFC 6068); `List-Unsubscribe-Post: List-Unsubscribe=One-Click` only
///   with a URL. The URL must start with `https://`, be printable ASCII without spaces, `<`,
///   `>` or `"`, and have at most 900 octets.
/// - Bodies: `text/plain; charset=utf-8`, or with `html` a `multipart/alternative` of text then
///   html; every part quoted-printable, every line ending made CRLF. The multipart boundary is
///   `=_` and 16 hex digits derived from the Message-ID (text that quoted-printable never
///   produces), so the same draft gives the same bytes.
/// - `Date` must be in the years 1900 to 9999.
///
/// Thread-safe: it reads only `draft`.
/// @return The message, or `invalid_value` / `invalid_utf8` naming the header or part at fault
/// (`"Subject: ..."`, `"From: ..."`, `"text body ..."`).
[[nodiscard]] expected<Message> compose(const MessageDraft& draft);

/// @brief A Message-ID (with angle brackets) deterministic per (campaign, lead key, 1-based step)
/// under `domain` (IDNA-encoded): the same arguments give the same id on every machine.
///
/// The id is `<` + the first 32 lower-case hex digits of SHA-256 over
/// `outreach-message-id-v1:` + `len:campaign,` + `len:lead_key,` + `len:step,` (each field
/// netstring-style: its length in decimal octets, `:`, the bytes, `,`; `step` in decimal) +
/// `@` + `domain_to_ascii(domain)` + `>`. The length prefixes make the encoding unambiguous.
/// @param campaign The campaign's name.
/// @param lead_key The lead's identity (`Lead::key()`), used byte for byte.
/// @param step The 1-based step number.
/// @param domain A valid domain, usually the From address's domain. A domain that
/// `domain_to_ascii` rejects is written with ASCII letters lower-cased and otherwise as given,
/// and `compose` then rejects the id if it is not well-formed.
/// Thread-safe.
[[nodiscard]] std::string make_message_id(std::string_view campaign, std::string_view lead_key, int step,
                                          std::string_view domain);

/// @brief Formats an instant as an RFC 5322 date in UTC: `Tue, 01 Dec 2026 14:03:12 +0000`.
///
/// English day and month names, two-digit day, four-digit year. Instants outside the years 1
/// to 9999 are clamped to that range. Thread-safe.
[[nodiscard]] std::string format_rfc5322_date(std::chrono::sys_seconds instant);

}  // namespace outreach
