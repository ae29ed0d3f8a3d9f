/// @file clock.hpp
/// @brief `Clock`: where the engine reads the time — the system clock, or a manual clock that
/// a simulation moves forward.
#pragma once

#include <chrono>

#include "outreach/instant.hpp"

namespace outreach {

/// @brief A source of the current time.
class Clock {
 public:
  virtual ~Clock() = default;
  /// @brief The current instant.
  [[nodiscard]] virtual Instant now() const = 0;
};

/// @brief The system's real-time clock.
class SystemClock final : public Clock {
 public:
  /// @brief The system's current time, in milliseconds.
  [[nodiscard]] Instant now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }
};

/// @brief A clock that only moves when told to: simulations jump it from one event to the next.
class ManualClock final : public Clock {
 public:
  /// @brief Starts at `start`.
  /// @param start The initial instant.
  explicit ManualClock(Instant start = Instant{}) : now_(start) {}
  /// @brief The instant the clock was last set to.
  [[nodiscard]] Instant now() const override { return now_; }
  /// @brief Sets the clock; it never goes backwards (an earlier instant is ignored).
  /// @param instant The new time.
  void set(Instant instant) {
    if (instant > now_) now_ = instant;
  }
  /// @brief Moves the clock forward.
  /// @param by How far.
  void advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  Instant now_;
};

}  // namespace outreach
