// IMAP4rev1 (RFC 3501) commands without I/O: the pieces a client writes, built so that a string
// from a user or a server never reaches a command line unquoted, and mailbox names in modified
// UTF-7 (RFC 3501 section 5.1.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "outreach/error.hpp"

namespace outreach::detail::imap {

/// @brief The longest string `quoted` writes; longer ones go as literals.
inline constexpr std::size_t max_quoted_length = 4096;

/// @brief `text` as an IMAP quoted string, with `\` and `"` escaped.
/// @return `Errc::invalid_value` for CR, LF, NUL or a byte over 0x7f (those need a literal) and
/// for text over `max_quoted_length` bytes.
[[nodiscard]] expected<std::string> quoted(std::string_view text);

/// @brief `bytes` as a literal: `{n}` CRLF bytes, or `{n+}` CRLF bytes when `non_synchronizing`
/// (RFC 7888; the server must offer LITERAL+, or LITERAL- for up to 4096 bytes). For the
/// synchronizing form the caller sends up to the CRLF and waits for the server's continuation.
[[nodiscard]] std::string literal(std::string_view bytes, bool non_synchronizing);

/// @brief A UTF-8 mailbox name in modified UTF-7: printable ASCII as is, `&` as `&-`, any other
/// run of characters as `&`, modified base64 (`,` for `/`, no padding) of its UTF-16BE, and `-`.
/// @return `Errc::invalid_utf8` when `utf8` is not valid UTF-8.
[[nodiscard]] expected<std::string> encode_mailbox_name(std::string_view utf8);

/// @brief A modified UTF-7 mailbox name as UTF-8, for display and for matching names.
/// @return `Errc::invalid_value` for a byte outside printable ASCII, a `&` run without its `-`,
/// bad modified base64 (a character outside its alphabet, leftover bits that are not zero or
/// make a whole character), a surrogate without its pair, and a printable ASCII character
/// encoded in base64 (it must stand for itself).
[[nodiscard]] expected<std::string> decode_mailbox_name(std::string_view mutf7);

/// @brief A mailbox name from UTF-8 as a command argument: modified UTF-7, quoted.
/// @return the errors of `encode_mailbox_name` and `quoted`.
[[nodiscard]] expected<std::string> mailbox_argument(std::string_view utf8);

/// @brief A UID range: `first:*` without `last`, else `first:last`.
[[nodiscard]] std::string uid_range(std::uint32_t first, std::optional<std::uint32_t> last);

/// @brief `tag SP verb_and_args CRLF`: the last guard before any command goes on the wire.
/// @return `Errc::invalid_argument` for an empty tag or one with a character a tag cannot have
/// (RFC 3501: printable ASCII but `( ) { % * " \ +` and space), and for empty `verb_and_args`;
/// `Errc::invalid_value` for CR, LF or NUL in `verb_and_args`.
[[nodiscard]] expected<std::string> command_line(std::string_view tag, std::string_view verb_and_args);

/// @brief `HEADER <field> "<value>"`: the search criterion for a message by a header such as
/// Message-ID (a substring match). `field` goes as an atom (quoted when it holds a character an
/// atom cannot).
/// @return `Errc::invalid_value` for a field that is not a header field name (printable ASCII
/// but `:`, not empty), for an empty value (it would match every message with the field), and
/// for a value `quoted` refuses.
[[nodiscard]] expected<std::string> search_header(std::string_view field, std::string_view value);

/// @brief `SINCE d-Mon-yyyy`: the search criterion for messages whose internal date is on or after
/// a day (RFC 3501 compares dates without time or zone).
/// @param year The year, such as 2026.
/// @param month 1 to 12.
/// @param day 1 to 31.
[[nodiscard]] std::string since_criterion(int year, unsigned month, unsigned day);

}  // namespace outreach::detail::imap
