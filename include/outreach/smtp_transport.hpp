/// @file smtp_transport.hpp
/// @brief `SmtpTransport`: sends through each mailbox's SMTP server over TLS, with connection
/// reuse, pipelining and a deadline on every step.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "outreach/error.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/message.hpp"
#include "outreach/transport.hpp"

namespace outreach {

/// @brief A login for SMTP AUTH: a user name and its password or OAuth2 access token.
struct SmtpCredentials {
  std::string username;  ///< The login name (for XOAUTH2, the account's address).
  std::string secret;    ///< The password, or for XOAUTH2 the access token. Never logged.
};

/// @brief Supplies credentials instead of the mailbox's environment variables.
///
/// Called on the thread that drives the transport, before each AUTH. `refresh` is true when the
/// server refused the secret given last time on this connection, so an OAuth2 host can fetch a
/// new access token (the transport asks once more, then gives up on the connection). An error
/// (any `Errc`) makes the session fail with its message, as a temporary failure.
/// @param mailbox The sending mailbox.
/// @param mechanism The mechanism the transport is about to use (never `SmtpAuth::best`).
/// @param refresh True when the previous secret was refused.
using SmtpCredentialsProvider =
    std::function<expected<SmtpCredentials>(const Mailbox& mailbox, SmtpAuth mechanism, bool refresh)>;

/// @brief How long each step of an SMTP session may take before it counts as a network fault.
struct SmtpTimeouts {
  std::chrono::milliseconds connect{30'000};   ///< Name resolution and TCP connect.
  std::chrono::milliseconds tls{30'000};       ///< The TLS handshake.
  std::chrono::milliseconds command{60'000};   ///< The greeting and each command's reply.
  std::chrono::milliseconds data{600'000};     ///< Writing a message and its final reply.
  std::chrono::milliseconds idle{60'000};      ///< An unused connection is closed after this.
  /// @brief After a mailbox's session could not be set up (its server down, stalled, refusing
  /// the login), its messages get the same outcome at once for this long instead of each
  /// waiting for its own connection attempt.
  std::chrono::milliseconds retry_setup{10'000};
};

/// @brief Settings of an `SmtpTransport`.
struct SmtpOptions {
  /// @brief The name sent with EHLO; empty: this machine's host name when it is fully
  /// qualified, else the connection's local address as a literal (`[192.0.2.1]`, RFC 5321).
  std::string helo_name;
  /// @brief Deadlines of every step.
  SmtpTimeouts timeouts;
  /// @brief Most connections open at once to one mailbox's server (at least 1). `send` uses one;
  /// `submit` spreads queued messages over up to this many.
  std::size_t connections_per_mailbox = 2;
  /// @brief Use PIPELINING (RFC 2920) when the server offers it: each transaction's MAIL, RCPT
  /// and DATA go in one round trip, together with the end of the message before it.
  bool pipelining = true;
  /// @brief Supplies credentials; when empty the mailbox's `username` with the value of its
  /// `password_env` (or `token_env` for XOAUTH2) environment variable is used.
  SmtpCredentialsProvider credentials;
  /// @brief Receives the protocol as it happens, one line per call: `C: ` for what the client
  /// sends and `S: ` for what the server says. AUTH secrets are written as `<redacted>` and the
  /// message data is left out. Empty: no trace.
  std::function<void(std::string_view line)> trace;
};

/// @brief Sends messages over SMTP (RFC 5321) through the server of each mailbox's
/// `transport` (`smtp://host[:port]`, port 587 by default, or `smtps://host[:port]`, 465).
///
/// - Security: implicit TLS or STARTTLS as the mailbox's `security` says; the server's
///   certificate chain and host name are verified against the system's CAs or the mailbox's
///   `ca_file`, with SNI. A server that does not offer STARTTLS when it is required, and bytes
///   sent by the server between its reply to STARTTLS and the handshake, are errors.
///   Credentials are never sent without TLS except to a loopback address.
/// - Extensions used when offered: PIPELINING, SIZE (a message over the limit is refused before
///   MAIL), 8BITMIME, SMTPUTF8 (required by messages with non-ASCII addresses),
///   ENHANCEDSTATUSCODES, AUTH PLAIN, LOGIN and XOAUTH2.
/// - Connections are kept per mailbox (up to `SmtpOptions::connections_per_mailbox`) and reused;
///   one the server closed, or idle for longer than `SmtpTimeouts::idle`, is replaced.
/// - Outcomes: 2xx accepted (with the queue id when the reply gives one); 4xx, 5.2.2, a refused
///   sender (5xx to MAIL FROM, except 552: the declared size) and faults of the network or the
///   session (connection, TLS, authentication) temporary; other 5xx permanent. When a connection is lost after a whole message was sent and before the
///   server's reply, the outcome is temporary with `SendOutcome::maybe_delivered` set.
///
/// All the work happens on the thread that calls `send`, `submit`, `flush` or `close`: one
/// thread at a time.
class SmtpTransport final : public Transport {
 public:
  /// @brief Called with each submitted message's outcome.
  using Completion = std::function<void(const SendOutcome& outcome)>;

  /// @brief A transport with no connection open yet.
  /// @param options Its settings.
  explicit SmtpTransport(SmtpOptions options = {});
  /// @brief Closes every connection, as `close` does.
  ~SmtpTransport() override;
  SmtpTransport(const SmtpTransport&) = delete;             ///< Not copyable.
  SmtpTransport& operator=(const SmtpTransport&) = delete;  ///< Not copyable.

  /// @brief Sends one message and waits for its outcome. Never throws for delivery problems.
  /// @param mailbox The sending mailbox (its `transport` must be an smtp:// or smtps:// URL).
  /// @param message The message and its envelope.
  SendOutcome send(const Mailbox& mailbox, const Message& message) override;

  /// @brief Sends a group at once, spread over each mailbox's connections and pipelined, and
  /// waits for every outcome.
  void send_all(std::span<const Handover> group, std::span<SendOutcome> outcomes) override;

  /// @brief Two messages per connection of a mailbox with pipelining (the one being answered
  /// and the next), one without: what can really be in flight at once.
  [[nodiscard]] std::size_t group_size() const override;

  /// @brief Checks that the mailbox can be served: an smtp:// or smtps:// transport, an AUTH
  /// mechanism with the credentials it needs (or a credentials provider), a readable `ca_file`.
  /// @param mailbox The mailbox.
  /// @return Nothing, or `invalid_value` / `not_found` saying what is wrong.
  [[nodiscard]] expected<void> check(const Mailbox& mailbox) const override;

  /// @brief Queues a message; it is sent, pipelined with the others of its mailbox, during
  /// `flush` (or a later `send`), and `done` is called then with its outcome.
  /// @param mailbox The sending mailbox (copied).
  /// @param message The message (moved in).
  /// @param done Called exactly once with the outcome.
  void submit(const Mailbox& mailbox, Message message, Completion done);

  /// @brief Sends everything submitted and returns when every message has its outcome.
  void flush();

  /// @brief Says QUIT on every open connection (waiting at most one command timeout) and
  /// closes them. Messages still queued get a temporary outcome first.
  void close();

  /// @brief How many connections this transport has opened so far (a session that got past the
  /// TCP connect). Connection reuse shows here.
  [[nodiscard]] std::size_t connections_opened() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outreach
