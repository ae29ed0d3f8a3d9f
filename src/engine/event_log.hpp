// The engine's memory, on its store: events appended and told to listeners, writes grouped in
// units, and the rule that a write the store cannot make stops the engine, since it cannot go
// on without its memory.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/store.hpp"

namespace outreach::detail {

class EventLog {
 public:
  using Listener = std::function<void(const Event&)>;

  EventLog(Store& store, std::atomic<bool>& stop_requested) : store_(store), stop_requested_(stop_requested) {}

  /// Appends the event to the store, then tells every listener.
  void append(const Event& event) {
    (void)kept_or_stop(store_.append(event));
    for (const auto& listener : listeners_) listener(event);
  }

  /// True when the write was made; otherwise keeps its error as the engine's failure and stops
  /// the engine.
  bool kept_or_stop(const expected<void>& written) {
    if (written) return true;
    if (!failure_) failure_ = written.error();
    stop_requested_.store(true);
    return false;
  }

  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }
  [[nodiscard]] const std::optional<Error>& failure() const noexcept { return failure_; }
  [[nodiscard]] bool failed() const noexcept { return failure_.has_value(); }

  /// Makes the writes of one decision (a send's outcome and what follows) one atomic unit.
  class Unit {
   public:
    explicit Unit(EventLog& log) : log_(log) { (void)log_.kept_or_stop(log_.store_.begin()); }
    ~Unit() { (void)log_.kept_or_stop(log_.store_.commit()); }
    Unit(const Unit&) = delete;
    Unit& operator=(const Unit&) = delete;

   private:
    EventLog& log_;
  };

 private:
  Store& store_;
  std::atomic<bool>& stop_requested_;
  std::vector<Listener> listeners_;
  std::optional<Error> failure_;
};

}  // namespace outreach::detail
