/// @file mime.hpp
/// @brief Reading received mail: an RFC 5322 message and its MIME parts (RFC 2045-2049), with
/// headers unfolded and their encoded words (RFC 2047) decoded, bodies transfer-decoded, and text
/// converted to UTF-8.
///
/// The reader is lenient, as mail readers must be: whatever the bytes, it returns a message
/// (malformed parts become opaque bodies, a missing boundary ends a multipart at the end of the
/// input) and never reads past its input. Only a message over `MimeLimits::max_message_bytes` is
/// refused; past the other limits the rest is kept unparsed. Its work is linear in the input
/// (times the nesting depth), whatever the input.
///
/// Every function here is thread-safe; decoded values are valid UTF-8, and header field and
/// parameter values never hold CR, LF or other control characters (TAB aside), so they can go
/// to logs and JSON as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outreach/error.hpp"

namespace outreach {

/// @brief Bounds on what the reader does with one message.
struct MimeLimits {
  std::size_t max_message_bytes = std::size_t{64} << 20;  ///< Larger messages are refused.
  /// Nesting of multiparts and enclosed messages (never more than 100, whatever the value);
  /// deeper parts stay opaque: their content is their `body`.
  std::size_t max_depth = 16;
  std::size_t max_parts = 1000;  ///< Parts in all below the message itself; later ones are dropped.
  /// Header fields per part (and `Content-Type` parameters); later ones are dropped.
  std::size_t max_header_fields = 1000;
};

/// @brief One header field.
struct HeaderField {
  std::string name;   ///< As written (compare case-insensitively).
  /// Unfolded, encoded words decoded to UTF-8 (adjacent ones joined, malformed ones kept as
  /// written), other 8-bit text kept when it is UTF-8 and read as windows-1252 otherwise, control
  /// characters such as CR and LF replaced by spaces, surrounding white space trimmed. In address
  /// fields (`From`, `To`, `Cc`, `Reply-To`, `Sender`, delivery reports' recipients, ...) encoded
  /// words are decoded only in display names, quoted strings and comments, never in addresses,
  /// and a display name that holds address syntax once decoded is written as a quoted string
  /// (`=?utf-8?q?Smith=2C_John?= <john@example.com>` reads `"Smith, John" <john@example.com>`),
  /// so `first_address_in` and `addresses_in` find the addresses the raw value has.
  std::string value;
};

/// @brief Finds the first field called `name` (case-insensitively).
/// @param fields The fields, in their order.
/// @param name The field name.
/// @return Its value, or null.
[[nodiscard]] const std::string* find_header(const std::vector<HeaderField>& fields, std::string_view name) noexcept;

/// @brief Reads a block of header fields, as in a message head or the per-message and
/// per-recipient blocks of a delivery status (RFC 3464) or a feedback report (RFC 5965).
/// @param text The block; empty lines before it are skipped, and reading stops at the next
/// empty line.
/// @param max_fields Fields after this many are dropped.
/// @return The fields in their order, values decoded as in `HeaderField`. Lines that are not
/// fields are skipped.
[[nodiscard]] std::vector<HeaderField> parse_header_block(std::string_view text, std::size_t max_fields = 1000);

/// @brief Reads every header block in `text`, the blocks separated by empty lines: a delivery
/// status's per-message block and then one per recipient (RFC 3464 section 2.1).
/// @param text The blocks, such as the body of a `message/delivery-status` part.
/// @param max_fields Fields in all; after this many the rest is dropped.
/// @return The blocks in order; blocks without any field are left out.
[[nodiscard]] std::vector<std::vector<HeaderField>> parse_header_blocks(std::string_view text,
                                                                        std::size_t max_fields = 1000);

/// @brief A message or one of its parts.
struct MimePart {
  std::vector<HeaderField> headers;  ///< The part's own header fields, in order.
  /// `type/subtype` in lower case: from `Content-Type`, or the default (`text/plain`;
  /// `message/rfc822` inside `multipart/digest`).
  std::string media_type;
  /// `Content-Type` parameters in order: names in lower case, values unquoted (RFC 2231
  /// continuations and charsets decoded, and RFC 2047 encoded words, which mailers put in file
  /// names), each name once (the first, or its RFC 2231 form).
  std::vector<std::pair<std::string, std::string>> parameters;
  /// The content with its transfer encoding (base64, quoted-printable) removed. The content of
  /// a `text/*` part, and of a `message/*` part that is not read as an enclosed message
  /// (`message/delivery-status`, `message/feedback-report`), is converted from its charset to
  /// UTF-8 (bytes that cannot be converted become U+FFFD) with its line ends made LF. Empty for
  /// a multipart and an enclosed message, whose content is in `parts`, except when they are
  /// kept opaque (past `MimeLimits::max_depth`, or a multipart without a boundary or delimiter):
  /// then it holds their content.
  std::string body;
  /// A multipart's parts in order; an enclosed message (`message/rfc822`, `message/global`) has
  /// exactly one, the message. `text/rfc822-headers` is a leaf whose `body` is the header text.
  std::vector<MimePart> parts;

  /// @brief The first header field called `name`, or null.
  [[nodiscard]] const std::string* header(std::string_view name) const noexcept { return find_header(headers, name); }
  /// @brief The `Content-Type` parameter called `name` (lower case), or empty.
  [[nodiscard]] std::string_view parameter(std::string_view name) const noexcept;
  /// @brief True when the media type is `type` (`text/plain`), or starts with it when `type`
  /// ends with `/` (`multipart/`).
  [[nodiscard]] bool is(std::string_view type) const noexcept;
};

/// @brief Reads a raw message (CRLF, LF or bare CR line ends).
/// @param raw The message as received.
/// @param limits Bounds on the work done.
/// @return The message (its root part), or `invalid_value` when it is larger than
/// `limits.max_message_bytes`.
[[nodiscard]] expected<MimePart> parse_message(std::string_view raw, const MimeLimits& limits = {});

/// @brief The text a person would read first: the first `text/plain` part that is not an
/// attachment and not blank, depth first, else the first such `text/html` part with its markup
/// removed, entities decoded and block elements as line breaks, else empty. Enclosed messages
/// (`message/rfc822`) are not searched.
/// @param message A message.
/// @param max_bytes At most this many bytes of text (cut at a character boundary); an HTML part
/// is converted from its first `16 * max_bytes` bytes only, so the work stays bounded.
[[nodiscard]] std::string readable_text(const MimePart& message, std::size_t max_bytes = SIZE_MAX);

/// @brief The message ids in a field such as `In-Reply-To` or `References`, in order, each with
/// its angle brackets (`<a@b>`) and without white space; comments, quoted strings and text around
/// them are ignored, and so is bracketed text without an `@`. When there is no bracketed id, a
/// bare `a@b` is taken as `<a@b>`, as some mailers leave the brackets out.
/// @param value The field's value.
[[nodiscard]] std::vector<std::string> message_ids_in(std::string_view value);

/// @brief The address (`local@domain`) of the first mailbox in an address field such as
/// `From`, `To` or `Final-Recipient` (`rfc822; bob@x.example`), without display name, comments
/// or angle brackets.
/// @param value The field's value.
/// @return The address as written, or nothing when there is none.
[[nodiscard]] std::optional<std::string> first_address_in(std::string_view value);

/// @brief Every address in an address field (`To`, `Cc`), in order.
/// @param value The field's value.
[[nodiscard]] std::vector<std::string> addresses_in(std::string_view value);

}  // namespace outreach
