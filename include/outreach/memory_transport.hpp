/// @file memory_transport.hpp
/// @brief `MemoryTransport` and `DryRunTransport`: transports that send nothing anywhere.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "outreach/transport.hpp"

namespace outreach {

/// @brief Keeps every message it is given, and answers with a scripted outcome (accepted by
/// default). For tests.
class MemoryTransport final : public Transport {
 public:
  /// @brief Decides the outcome of a send.
  using Script = std::function<SendOutcome(const Mailbox& mailbox, const Message& message)>;

  /// @brief A message as the transport received it.
  struct Sent {
    std::string mailbox;  ///< The mailbox id.
    Message message;      ///< The message.
  };

  /// @brief Accepts everything, or answers as `script` says.
  /// @param script The outcome of each send; empty: always accepted.
  explicit MemoryTransport(Script script = {}) : script_(std::move(script)) {}

  /// @brief Records the message and answers with the script's outcome.
  SendOutcome send(const Mailbox& mailbox, const Message& message) override {
    SendOutcome outcome = script_ ? script_(mailbox, message) : SendOutcome::accept();
    if (outcome.kind == SendOutcome::Kind::accepted) sent_.push_back({mailbox.id, message});
    return outcome;
  }

  /// @brief The accepted messages, in order.
  [[nodiscard]] const std::vector<Sent>& sent() const noexcept { return sent_; }

 private:
  Script script_;
  std::vector<Sent> sent_;
};

/// @brief Accepts every message without looking at it: a simulation that writes nothing. The
/// engine does not build MIME bytes for it.
class DryRunTransport final : public Transport {
 public:
  /// @brief Accepts.
  SendOutcome send(const Mailbox& /*mailbox*/, const Message& /*message*/) override { return SendOutcome::accept(); }
  /// @brief False: the message's bytes are not needed.
  [[nodiscard]] bool needs_message_data() const override { return false; }
};

}  // namespace outreach
