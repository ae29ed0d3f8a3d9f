/// @file timezone.hpp
/// @brief `TimeZone`: an IANA time zone from the system's tz database, with every transition.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"

namespace date {
class time_zone;
}  // namespace date

namespace outreach {

/// @brief A local (wall-clock) time with millisecond resolution, in no particular zone.
using LocalTime = std::chrono::local_time<std::chrono::milliseconds>;

/// @brief A stretch of time during which a zone's offset from UTC does not change: from one
/// transition of the tz database to the next. (A transition may change only the zone's
/// abbreviation, so two periods in a row can have the same offset.)
struct OffsetPeriod {
  Instant begin;                ///< The first instant of the period (the transition into it).
  Instant end;                  ///< The first instant after it (the next transition).
  std::chrono::seconds offset;  ///< The offset in effect throughout: local = UTC + offset.
};

/// @brief An IANA time zone such as `Europe/Berlin`, read from the system's zoneinfo (every
/// historical and future transition the tz database lists, not a rule approximation).
///
/// A small value (a pointer into the process-wide database); cheap to copy; thread-safe.
class TimeZone {
 public:
  /// @brief Coordinated Universal Time.
  TimeZone();

  /// @brief Finds a zone by its IANA name (case-sensitive, as in the tz database).
  /// @param name An IANA name such as `America/New_York` or `Asia/Kathmandu`.
  /// @return The zone, or `not_found` when the system's tz database has no such zone.
  [[nodiscard]] static expected<TimeZone> locate(std::string_view name);

  /// @brief The zone's IANA name.
  [[nodiscard]] std::string_view name() const;

  /// @brief The local wall-clock time of an instant in this zone.
  /// @param instant A point in time.
  [[nodiscard]] LocalTime to_local(Instant instant) const;

  /// @brief The instant at which the wall clock of this zone shows `local`.
  ///
  /// A local time that happens twice (the hour repeated when clocks go back) gives the earlier
  /// instant. A local time that does not exist (skipped when clocks go forward) moves forward
  /// to the first one that does: the instant the gap ends.
  /// @param local A wall-clock time.
  [[nodiscard]] Instant to_instant(LocalTime local) const;

  /// @brief The offset from UTC in effect at an instant (local = UTC + offset).
  /// @param instant A point in time.
  [[nodiscard]] std::chrono::minutes offset(Instant instant) const;

  /// @brief The period of constant offset that contains an instant, with its transitions: one
  /// lookup gives both the offset and how long it lasts, for walking through time without
  /// asking again at every step.
  /// @param instant A point in time.
  /// @return The period; `begin <= instant < end`. Before the first and after the last
  /// transition of the database, the period reaches far into the past or the future.
  [[nodiscard]] OffsetPeriod period_at(Instant instant) const;

  /// @brief Zones are equal when they are the same zone of the database.
  friend bool operator==(const TimeZone& a, const TimeZone& b) noexcept { return a.zone_ == b.zone_; }

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_;
};

}  // namespace outreach
