/// @file imap_reader.hpp
/// @brief Reading a mailbox over IMAP: the options of every IMAP connection (deadlines,
/// credentials, limits, trace), and `ImapReader`, a blocking reader of one mailbox for hosts
/// that read their mail their own way. An engine reads its mailboxes with `MailReading`.
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

/// @brief A message of a folder, as `ImapReader::list_new` lists it.
struct ListedMessage {
  std::uint32_t uid = 0;   ///< Its UID in the folder.
  std::uint64_t size = 0;  ///< Its size in bytes (`RFC822.SIZE`).
  /// @brief Messages compare equal when both parts are equal.
  friend bool operator==(const ListedMessage&, const ListedMessage&) = default;
};

/// @brief What is new in a folder: its UIDVALIDITY, to keep with the last UID taken, and the
/// messages after the given one.
struct FolderListing {
  std::uint32_t uidvalidity = 0;           ///< The folder's UIDVALIDITY.
  std::optional<std::uint32_t> uid_next;   ///< The UID the next message will get, when the server says.
  std::vector<ListedMessage> messages;     ///< Ascending by UID.
};

/// @brief Reads one mailbox over IMAP, blocking: what is new in a folder, and one message at a
/// time. It connects at the first call and keeps the connection for the next ones (a call that
/// fails closes it; the next call connects again). The same rules as `MailReading`: verified TLS,
/// read-only (EXAMINE, `BODY.PEEK[]`), every step bounded by a deadline and a size limit.
/// Used by one thread at a time.
class ImapReader {
 public:
  /// @brief A reader of `mailbox`, which needs `imap` settings (checked by the first call).
  /// @param mailbox The mailbox, as in a campaign.
  /// @param options Deadlines, limits, credentials, trace.
  explicit ImapReader(Mailbox mailbox, ImapOptions options = {});
  ~ImapReader();
  ImapReader(const ImapReader&) = delete;
  ImapReader& operator=(const ImapReader&) = delete;

  /// @brief The messages of a folder with a UID above `after_uid`. A `uidvalidity` that is not
  /// the folder's (0 for a first reading) lists every message: UIDs of another validity say nothing.
  /// @param folder The folder's name, UTF-8, such as `INBOX`.
  /// @param uidvalidity The UIDVALIDITY `after_uid` belongs to, or 0.
  /// @param after_uid The last UID already taken.
  /// @return The listing; `invalid_value` for a mailbox without usable `imap` settings or a folder
  /// name that cannot be sent; the connection's errors (`unavailable`, `permanent_failure` for a refused login or an untrusted certificate, ...).
  [[nodiscard]] expected<FolderListing> list_new(std::string_view folder, std::uint32_t uidvalidity,
                                                 std::uint32_t after_uid);

  /// @brief One whole message, as received.
  /// @param folder The folder's name.
  /// @param uid The message's UID.
  /// @return Its bytes; `not_found` when no message has this UID; `limit_exceeded` when it is
  /// larger than `ImapOptions::max_message_bytes`; the connection's errors.
  [[nodiscard]] expected<std::string> fetch(std::string_view folder, std::uint32_t uid);

  /// @brief Logs out and closes the connection, if one is open.
  void close();

 private:
  struct Session;
  std::unique_ptr<Session> session_;
};

}  // namespace outreach
