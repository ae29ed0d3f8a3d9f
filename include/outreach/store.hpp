/// @file store.hpp
/// @brief `Store`: the port for what the engine must remember — the event log, the send log
/// (intent before send, outcome after) and the suppression list shared by every campaign.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "outreach/event.hpp"
#include "outreach/instant.hpp"

namespace outreach {

/// @brief A send about to be handed to the transport.
struct SendIntent {
  std::string campaign;    ///< The campaign's name.
  std::string lead;        ///< The lead's address, as in its list.
  int step = 0;            ///< 1-based step.
  std::string mailbox;     ///< The mailbox id.
  std::string message_id;  ///< The Message-ID, with angle brackets.
  Instant at{};            ///< When the send started.
};

/// @brief Durable state of the engine. The engine calls it from one thread.
///
/// `record_intent` must be durable before it returns: the engine sends only after it. A store
/// that finds an intent without an outcome when it is opened reports it as in doubt.
class Store {
 public:
  virtual ~Store() = default;

  /// @brief Appends an event to the log.
  /// @param event The event, in time order with the ones before it.
  virtual void append(const Event& event) = 0;

  /// @brief Records that a message is about to be sent.
  /// @param intent The send.
  virtual void record_intent(const SendIntent& intent) = 0;

  /// @brief Records how the send recorded by `record_intent` ended.
  /// @param intent The same send.
  /// @param accepted True when the transport accepted it; false for a deferred or failed send.
  virtual void record_outcome(const SendIntent& intent, bool accepted) = 0;

  /// @brief True when the address (compared case-insensitively) is on the suppression list.
  /// @param address The address.
  [[nodiscard]] virtual bool is_suppressed(std::string_view address) const = 0;

  /// @brief Adds an address to the suppression list (no effect when it is on it).
  /// @param address The address.
  /// @param reason Why, such as `unsubscribe`, `complaint` or `hard_bounce`.
  virtual void suppress(std::string_view address, std::string_view reason) = 0;
};

}  // namespace outreach
