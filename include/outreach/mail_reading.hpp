/// @file mail_reading.hpp
/// @brief `MailReading`: an engine reads its own mailboxes over IMAP while it runs — replies,
/// bounces, auto-replies, unsubscribe requests and complaints are taken in as they arrive.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "outreach/engine.hpp"
#include "outreach/imap_reader.hpp"
#include "outreach/store.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace outreach {

/// @brief Reads every mailbox of an engine's campaigns that has `imap` settings, one connection
/// per mailbox, on the io_context the engine runs on (`Engine::run_on`).
///
/// For each folder of the settings it keeps, in the store, the folder's UIDVALIDITY and the
/// highest UID taken in, recorded in the same unit as the message (`Engine::ingest` with a
/// position), so a crash neither loses nor doubles a message. The first reading of a folder, and
/// a reading after its UIDVALIDITY changed, take the messages since the day before the first
/// campaign started. New mail is noticed at once with IDLE where the server offers it, and every
/// folder is looked at every `poll_interval` in any case (IDLE ended and issued again then, or
/// after `ImapOptions::idle_renewal` if sooner). A
/// connection that fails (network, login, TLS) is retried with exponential backoff and jitter,
/// from 2 seconds to 5 minutes; the failure is recorded (`Store::record_mailbox_check`) and
/// reported to `on_check`, and the campaign goes on.
///
/// It never changes a mailbox: folders are opened with EXAMINE and messages fetched with
/// `BODY.PEEK[]`; no flag is set, nothing moved or deleted.
///
/// Used from the io_context's thread, like the engine.
class MailReading {
 public:
  /// @brief Reading for an engine and its store, which must outlive it.
  /// @param engine The engine that takes the messages in.
  /// @param store The engine's store (folder positions and checks).
  /// @param options Deadlines, credentials, trace.
  MailReading(Engine& engine, Store& store, ImapOptions options = {});
  ~MailReading();
  MailReading(const MailReading&) = delete;
  MailReading& operator=(const MailReading&) = delete;

  /// @brief Receives each outcome of reading a mailbox as it happens (a failure each time one
  /// happens; a success when it follows a failure, or is the first).
  using CheckListener = std::function<void(const MailboxCheck& check)>;

  /// @brief Starts reading, on `io`, every mailbox with `imap` settings of the engine's
  /// campaigns (add them first); the engine then expects mail (`Engine::expect_mail`).
  /// @param io The io_context the engine runs on; must outlive the reading.
  /// @param on_check Called on the io_context with each outcome worth telling (may be empty).
  /// @return How many mailboxes are read, or `invalid_value` when a mailbox's settings cannot be
  /// used (a bad URL, an unreadable `ca_file`); then nothing is started.
  [[nodiscard]] expected<std::size_t> start(boost::asio::io_context& io, CheckListener on_check = {});

  /// @brief Ends the reading: each connection logs out (a wait in IDLE ends at once) and the
  /// engine no longer expects mail. Returns at once; the io_context's `run` returns once the
  /// connections have closed.
  void stop();

  /// @brief Asks every mailbox to look for new mail now rather than at its next poll.
  void check_now();

  /// @brief The last outcome of reading each mailbox, in the order they were started.
  [[nodiscard]] std::vector<MailboxCheck> checks() const;

  /// @brief Messages left unread (larger than `ImapOptions::max_message_bytes`, or unreadable),
  /// each once.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;

  class Reader;  ///< One mailbox's reader (private to the library).

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<Reader>> readers_;
};

}  // namespace outreach
