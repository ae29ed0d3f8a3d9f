/// @file transport.hpp
/// @brief `Transport`: the port through which messages leave — SMTP, a Maildir outbox, a host's
/// own mail API, or memory in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "outreach/error.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/message.hpp"

namespace outreach {

/// @brief How a send ended, as docs/sending.md classifies transport outcomes.
struct SendOutcome {
  /// @brief The class of outcome.
  enum class Kind : std::uint8_t {
    accepted,   ///< Taken by the server (2xx).
    temporary,  ///< Try again later: 4xx, a network fault, 5.2.2 mailbox full.
    permanent,  ///< Refused for good: other 5xx.
  };
  Kind kind = Kind::accepted;  ///< The class.
  int code = 0;                ///< The SMTP reply code, when there was one.
  std::string status;          ///< The enhanced status code (`5.1.1`), when given.
  std::string reason;          ///< What the server or the network said (never credentials).
  std::string queue_id;        ///< The server's queue id for an accepted message, when given.
  /// @brief For a temporary outcome: the whole message went out but the connection was lost
  /// before the server's reply, so it may have been delivered (RFC 1047). A campaign with
  /// `delivery: at_most_once` does not send it again.
  bool maybe_delivered = false;
  /// @brief The failure is the sending mailbox's, not the recipient's or the message's: its
  /// server out of reach or closing the connection, its TLS, its login or its sender refused,
  /// or the message refused after the recipient was taken for a reason that is neither the
  /// address, the recipient's mailbox, nor the message's size or content (a policy or quota of
  /// the mailbox's server). Such failures in a row disable the mailbox
  /// (`Mailbox::disable_after_failures`).
  bool sender_side = false;

  /// @brief True for a permanent failure that says the address does not exist (5.1.x): also a
  /// hard bounce, and the address is suppressed.
  [[nodiscard]] bool address_does_not_exist() const noexcept {
    return kind == Kind::permanent && status.size() >= 4 && status.compare(0, 4, "5.1.") == 0;
  }

  /// @brief An accepted outcome.
  /// @param queue_id The server's queue id, if any.
  [[nodiscard]] static SendOutcome accept(std::string queue_id = {}) {
    SendOutcome outcome;
    outcome.queue_id = std::move(queue_id);
    return outcome;
  }
};

/// @brief Sends rendered messages through their mailboxes.
///
/// The engine calls it from its own thread: `send_all` with groups of at most `group_size()`
/// messages, each group's intents recorded before it is handed over.
class Transport {
 public:
  virtual ~Transport() = default;

  /// @brief One message handed over in a group, and the mailbox it goes from.
  struct Handover {
    const Mailbox* mailbox = nullptr;  ///< The sending account.
    const Message* message = nullptr;  ///< The complete message and its envelope.
  };

  /// @brief Sends `message` from `mailbox`. Never throws for delivery problems: they are
  /// outcomes.
  /// @param mailbox The sending account (its transport settings and credentials reference).
  /// @param message The complete message and its envelope.
  [[nodiscard]] virtual SendOutcome send(const Mailbox& mailbox, const Message& message) = 0;

  /// @brief Sends a group of messages and gives each its outcome. A transport that can have
  /// several messages in flight at once (SMTP pipelining, several connections) overrides it;
  /// the default sends them one after the other with `send`.
  /// @param group The messages, at most `group_size()`.
  /// @param outcomes Where the outcomes go, one per message, in the same order (same size).
  virtual void send_all(std::span<const Handover> group, std::span<SendOutcome> outcomes) {
    for (std::size_t i = 0; i < group.size(); ++i) outcomes[i] = send(*group[i].mailbox, *group[i].message);
  }

  /// @brief How many messages the engine may hand over in one group. Every message of a group
  /// is in doubt when the process dies while the group is out, so a transport asks only for
  /// what it can really have in flight at once. The default, 1, is one message at a time.
  [[nodiscard]] virtual std::size_t group_size() const { return 1; }

  /// @brief Checks, before a campaign starts, that this transport can send from `mailbox`, so
  /// that a setting it cannot serve is an error when the campaign is added rather than a
  /// failure on every lead. The default accepts every mailbox.
  /// @param mailbox The mailbox.
  /// @return Nothing, or an error saying what is wrong.
  [[nodiscard]] virtual expected<void> check(const Mailbox& mailbox) const {
    (void)mailbox;
    return {};
  }

  /// @brief Whether `send` reads `message.data`. A transport that only records outcomes (a
  /// dry run) returns false, and the engine skips building the MIME bytes.
  [[nodiscard]] virtual bool needs_message_data() const { return true; }
};

}  // namespace outreach
