// Delivery status codes: finding them in a report's text, and what a failure says about the
// address it was sent to (a hard bounce: the address does not work; a soft one: it may).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::detail {

/// A code found in text.
struct CodeMatch {
  std::size_t position = 0;  ///< Where it starts.
  std::string_view code;     ///< The code as written (`5.1.1`, `550`).
  int value = 0;             ///< A basic reply code's number (`550`); 0 for an enhanced code.
};

/// The first enhanced status code (RFC 3463: `class.subject.detail`, class 2, 4 or 5, subject
/// and detail of one to three digits) at or after `from`, not part of a longer dotted number
/// such as an IP address or a version.
[[nodiscard]] std::optional<CodeMatch> find_status_code(std::string_view text, std::size_t from = 0) noexcept;

/// The first basic SMTP reply code of class 4 or 5 (RFC 5321: `550`) at or after `from` that
/// opens a server's words: at the start of a line or after white space, `#`, `(`, `:` or a
/// quote, and followed by a space, `-`, `)`, `.`, `,`, `:`, `;` or the end.
[[nodiscard]] std::optional<CodeMatch> find_reply_code(std::string_view text, std::size_t from = 0) noexcept;

/// Hard or soft, and why (for the evidence).
struct BounceKind {
  bool hard = false;   ///< The address does not work.
  std::string reason;  ///< The clue that decided it, such as `5.1.x: the address does not exist`.
};

/// Whether a failed delivery is a hard bounce.
///
/// The enhanced status code decides where it is specific: 5.1.x (the address: no such user,
/// bad domain, bad syntax), 5.2.1 (mailbox disabled), 5.4.4 (unroutable domain) and 5.7.13,
/// 5.7.17, 5.7.18 (account disabled, mailbox or domain owner changed) are hard; 4.x.x, 5.1.7
/// and 5.1.8 (our sender's address), 5.2.2 (mailbox full), 5.2.3 and 5.3.4 (message too large),
/// 5.2.4, 5.3.x, the 5.4.x routing and network problems, and 5.6.x (content) are soft: they are
/// no evidence that the address is dead. For the codes that say little (5.0.0, 5.2.0, 5.3.0,
/// 5.4.0, 5.4.1, 5.5.x, 5.7.x) the server's words decide: "user unknown", "no such mailbox",
/// "does not exist", "account disabled", ... make it hard; "mailbox full", "over quota", "too
/// large", "spam", "blocked", "policy", "try again later", ... make it soft; otherwise 5.5.x
/// (protocol) and 5.7.x (policy: a message blocked as spam says nothing of the address) are
/// soft and the rest hard. Without an enhanced code the basic reply code stands in: 551 and
/// 521/556 hard, 552 soft, 550/553/554 by the words else hard, other 5xx by the words else soft,
/// 4xx soft. Without either, the words, else hard.
/// @param status The enhanced status code, or empty.
/// @param reply_code The basic SMTP code, or 0.
/// @param words The server's words, folded (see `fold_text`).
[[nodiscard]] BounceKind bounce_kind(std::string_view status, int reply_code, std::string_view words);

}  // namespace outreach::detail
