/// @file memory_store.hpp
/// @brief `MemoryStore`: a `Store` in memory, for tests and simulations. Nothing survives the
/// process.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "outreach/store.hpp"

namespace outreach {

/// @brief Keeps everything in memory. Not thread-safe (the engine uses it from one thread).
class MemoryStore final : public Store {
 public:
  /// @brief Makes an empty store.
  /// @param keep_events False to count events without keeping them (large simulations).
  explicit MemoryStore(bool keep_events = true) : keep_events_(keep_events) {}

  void append(const Event& event) override;
  void record_intent(const SendIntent& intent) override;
  void record_outcome(const SendIntent& intent, bool accepted) override;
  [[nodiscard]] bool is_suppressed(std::string_view address) const override;
  void suppress(std::string_view address, std::string_view reason) override;

  /// @brief The events appended so far (empty when events are not kept).
  [[nodiscard]] const std::vector<Event>& events() const noexcept { return events_; }
  /// @brief How many events were appended.
  [[nodiscard]] std::size_t event_count() const noexcept { return event_count_; }
  /// @brief Sends recorded as intended whose outcome was not recorded.
  [[nodiscard]] std::vector<SendIntent> sends_in_doubt() const;
  /// @brief Removes an address from the suppression list.
  /// @param address The address.
  void unsuppress(std::string_view address);

 private:
  bool keep_events_;
  std::size_t event_count_ = 0;
  std::vector<Event> events_;
  std::unordered_map<std::string, SendIntent> open_intents_;  // by message id
  /// Hashes and compares addresses with ASCII letters folded, so lookups need no copy.
  struct CaseFoldedHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept;
  };
  struct CaseFoldedEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept;
  };
  std::unordered_map<std::string, std::string, CaseFoldedHash, CaseFoldedEqual> suppressed_;  // address -> reason
};

}  // namespace outreach
