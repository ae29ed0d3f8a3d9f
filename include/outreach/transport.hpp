/// @file transport.hpp
/// @brief `Transport`: the port through which messages leave — SMTP, a Maildir outbox, a host's
/// own mail API, or memory in tests.
#pragma once

#include <cstdint>
#include <string>

#include "outreach/error.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/message.hpp"

namespace outreach {

/// @brief How a send ended, as the spec classifies transport outcomes.
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

/// @brief Sends one rendered message through one mailbox.
///
/// The engine calls `send` from its own thread, one message at a time per engine.
class Transport {
 public:
  virtual ~Transport() = default;

  /// @brief Sends `message` from `mailbox`. Never throws for delivery problems: they are
  /// outcomes.
  /// @param mailbox The sending account (its transport settings and credentials reference).
  /// @param message The complete message and its envelope.
  [[nodiscard]] virtual SendOutcome send(const Mailbox& mailbox, const Message& message) = 0;

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
