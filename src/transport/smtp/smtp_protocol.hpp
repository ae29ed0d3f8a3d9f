// The SMTP protocol without I/O: replies (RFC 5321 section 4.2), EHLO capabilities, the
// commands and message data the client writes, and what a reply means for a send. The session
// (src/detail/smtp_session.cpp) does the I/O; everything here is pure and tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/mailbox.hpp"
#include "outreach/transport.hpp"

namespace outreach::detail {

/// One reply of the server, possibly of several lines.
struct SmtpReply {
  int code = 0;                    // 200..599
  std::string status;              // the enhanced status code ("5.1.1") of the first line, or empty
  std::vector<std::string> lines;  // each line's text after "ddd-" / "ddd ", as sent

  [[nodiscard]] bool positive() const noexcept { return code >= 200 && code < 400; }
  /// The reply as one line for a reason: the text of every line without the status codes,
  /// joined by spaces, control and non-ASCII bytes replaced, at most 300 characters (and "..."
  /// after them when the reply had more).
  [[nodiscard]] std::string text() const;
};

enum class ReplyParse : std::uint8_t { complete, incomplete, malformed };

/// Longest reply line accepted (RFC 5321 allows 512; servers write longer ones).
inline constexpr std::size_t max_reply_line = 4096;
/// Most lines in one reply (an EHLO reply has one per extension).
inline constexpr std::size_t max_reply_lines = 256;

/// Reads one reply from the front of `input`. On `complete`, `reply` holds it and `consumed`
/// says how many bytes it took; on `incomplete` more bytes are needed; on `malformed`, `error`
/// says why (a line that is not "ddd" + SP/"-" + text, codes that differ between lines, a line
/// or reply over the limits). Lines end in CRLF; a bare LF is accepted.
[[nodiscard]] ReplyParse parse_reply(std::string_view input, SmtpReply& reply, std::size_t& consumed,
                                     std::string& error);

/// The extensions a server offers in its EHLO reply (RFC 5321 section 4.1.1.1).
struct SmtpCapabilities {
  bool pipelining = false;        // RFC 2920
  bool starttls = false;          // RFC 3207
  bool eight_bit_mime = false;    // RFC 6152
  bool smtputf8 = false;          // RFC 6531
  bool enhanced_status = false;   // RFC 2034
  bool auth_plain = false;        // RFC 4616
  bool auth_login = false;        // draft-murchison-sasl-login
  bool auth_xoauth2 = false;      // Google's and Microsoft's OAuth2 mechanism
  bool size = false;              // RFC 1870
  std::uint64_t size_limit = 0;   // the stated limit; 0 when none
};

/// The capabilities in a positive EHLO reply (every line after the first).
[[nodiscard]] SmtpCapabilities parse_capabilities(const SmtpReply& ehlo);

/// What the client was doing when a reply or a fault came.
enum class SmtpStage : std::uint8_t { connect, tls, greeting, ehlo, starttls, auth, mail, rcpt, data, message, rset, quit };

/// "MAIL FROM", "the TLS handshake", ... for reasons.
[[nodiscard]] std::string_view stage_name(SmtpStage stage) noexcept;

/// Whether a failure at this stage says nothing about the recipient: it is the session's (the
/// server, the network, the login) or the sender's (MAIL FROM refused). Such failures are
/// temporary, so that a broken mailbox neither ends nor suppresses the leads it was sending to.
[[nodiscard]] constexpr bool is_sender_side(SmtpStage stage) noexcept {
  return stage != SmtpStage::rcpt && stage != SmtpStage::data && stage != SmtpStage::message;
}

/// The outcome a negative reply at `stage` gives: 4xx, 5.2.2, 552 to RCPT (RFC 5321 section
/// 4.5.3.1.10) and failures on the sender's side are temporary, except 552 to MAIL FROM (the
/// message's size, RFC 1870); other 5xx are permanent.
[[nodiscard]] SendOutcome failure_outcome(const SmtpReply& reply, SmtpStage stage);

/// A temporary outcome for a fault without a reply (network, deadline, TLS, protocol).
[[nodiscard]] SendOutcome fault_outcome(std::string reason, bool maybe_delivered = false);

/// A permanent outcome decided by the client before sending (size, SMTPUTF8, 8-bit data).
[[nodiscard]] SendOutcome refused_outcome(std::string status, std::string reason);

/// The accepted outcome of the reply to the end of the data, with the queue id when the reply
/// states one ("queued as ID", "id=ID").
[[nodiscard]] SendOutcome accepted_outcome(const SmtpReply& reply);

/// True when `data` has a byte above 127.
[[nodiscard]] bool has_eight_bit(std::string_view data) noexcept;

/// Appends the message data for the wire: CRLF line ends (a bare CR or LF becomes CRLF), a
/// "." added before every line that starts with "." (RFC 5321 section 4.5.2), a final CRLF when
/// missing, and the ".\r\n" that ends the data.
void append_dot_stuffed(std::string& out, std::string_view data);

/// `MAIL FROM:<from>` with `SIZE=`, `BODY=8BITMIME` and `SMTPUTF8` as the message and the server
/// call for, and CRLF.
void append_mail_from(std::string& out, std::string_view from, std::size_t size, bool eight_bit, bool smtputf8,
                      const SmtpCapabilities& server);

/// `RCPT TO:<to>` and CRLF.
void append_rcpt_to(std::string& out, std::string_view to);

/// Whether a value may go on a command line: no CR, LF or NUL, and not empty.
[[nodiscard]] bool is_command_safe(std::string_view value) noexcept;

}  // namespace outreach::detail
