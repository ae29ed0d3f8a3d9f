/// @file imap_reader.hpp
/// @brief Reading a mailbox over IMAP: the options of every IMAP connection (deadlines,
/// credentials, limits, trace). An engine reads its mailboxes with `MailReading`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/smtp_transport.hpp"

namespace outreach {

/// @brief Supplies IMAP credentials instead of the environment variables the mailbox names.
///
/// Called before each login, on the thread that drives the connection. `refresh` is true when
/// the server refused the secret given last time, so an OAuth2 host can fetch a new access token
/// (asked once more, then the login fails). An error fails the login with its message.
/// @param mailbox The mailbox.
/// @param mechanism The mechanism about to be used (never `ImapAuth::best`).
/// @param refresh True when the previous secret was refused.
using ImapCredentialsProvider =
    std::function<expected<SmtpCredentials>(const Mailbox& mailbox, ImapAuth mechanism, bool refresh)>;

/// @brief How long each step of an IMAP connection may take before it counts as a network fault.
struct ImapTimeouts {
  std::chrono::milliseconds connect{30'000};  ///< Name resolution and TCP connect.
  std::chrono::milliseconds tls{30'000};      ///< The TLS handshake.
  std::chrono::milliseconds command{60'000};  ///< The greeting, and each command's whole response.
  std::chrono::milliseconds fetch{300'000};   ///< Each fetch of message bodies.
};

/// @brief Settings shared by every IMAP connection of a reader.
struct ImapOptions {
  /// @brief Deadlines of every step.
  ImapTimeouts timeouts;
  /// @brief The largest message fetched, in bytes: its size is read first, and a larger one is
  /// left unread and reported.
  std::uint64_t max_message_bytes = 48 * 1024 * 1024;
  /// @brief IDLE is ended and issued again at least this often (servers drop it after 30 minutes;
  /// some middleboxes sooner). At most 29 minutes.
  std::chrono::seconds idle_renewal{9 * 60};
  /// @brief Supplies credentials; empty: the mailbox's user name with the value of the
  /// environment variable its `imap` settings (or else its SMTP settings) name.
  ImapCredentialsProvider credentials;
  /// @brief Receives the protocol as it happens, one line per call: `C: ` for the client, `S: `
  /// for the server. Secrets are written as `<redacted>`, message bodies are left out. Empty: no trace.
  std::function<void(std::string_view line)> trace;
};

}  // namespace outreach
