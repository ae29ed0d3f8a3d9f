// How the durable stores keep instants: whole milliseconds since the Unix epoch, an absent one
// as NULL.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "outreach/instant.hpp"

namespace outreach::detail {

[[nodiscard]] inline std::int64_t milliseconds_of(Instant instant) noexcept { return instant.time_since_epoch().count(); }
[[nodiscard]] inline Instant instant_of(std::int64_t milliseconds) noexcept {
  return Instant(std::chrono::milliseconds(milliseconds));
}
[[nodiscard]] inline std::optional<std::int64_t> milliseconds_of(const std::optional<Instant>& instant) noexcept {
  if (!instant) return std::nullopt;
  return milliseconds_of(*instant);
}
[[nodiscard]] inline std::optional<Instant> instant_of(std::optional<std::int64_t> milliseconds) noexcept {
  if (!milliseconds) return std::nullopt;
  return instant_of(*milliseconds);
}

}  // namespace outreach::detail
