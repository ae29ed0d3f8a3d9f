#include "outreach/timezone.hpp"

#include <date/tz.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace outreach {

namespace {

const date::time_zone* utc_zone() {
  static const date::time_zone* const zone = [] {
    const date::time_zone* utc = date::locate_zone("Etc/UTC");
    static_cast<void>(utc->get_info(date::sys_seconds{}));  // read its file now, not at first use
    return utc;
  }();
  return zone;
}

// The planner asks a zone for the offset of nearby instants many times a second. Each thread
// keeps the last offset period it saw per zone (a small direct-mapped cache), so that most
// questions are answered by two comparisons instead of a tz database search.
struct CachedPeriod {
  const date::time_zone* zone = nullptr;
  Instant begin{};
  Instant end{};
  std::chrono::seconds offset{0};
};

const CachedPeriod& cached_period(const date::time_zone* zone, Instant instant) {
  thread_local std::array<CachedPeriod, 64> cache{};
  // Fibonacci hashing of the pointer: zones sit at regular strides in the database's vector.
  const auto slot = static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(zone) * 0x9E3779B97F4A7C15ull) >> 58);
  CachedPeriod& entry = cache[slot];
  if (entry.zone != zone || instant < entry.begin || instant >= entry.end) {
    const date::sys_info info = zone->get_info(instant);
    entry.zone = zone;
    entry.begin = Instant{info.begin.time_since_epoch()};
    entry.end = Instant{info.end.time_since_epoch()};
    entry.offset = info.offset;
  }
  return entry;
}

}  // namespace

TimeZone::TimeZone() : zone_(utc_zone()) {}

expected<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name.size() > 64) return fail(Errc::not_found, "not a time zone name");
  try {
    const date::time_zone* zone = date::locate_zone(name);
    // The date library reads a zone's file at its first use. Read it now, where a failure is
    // an error value, so that later lookups (on the planner's hot path) neither read files
    // nor throw.
    static_cast<void>(zone->get_info(date::sys_seconds{}));
    return TimeZone(zone);
  } catch (const std::exception&) {
    // The date library reports an unknown name (or an unreadable tz database) by throwing.
    return fail(Errc::not_found, "unknown time zone \"" + std::string(name) + "\"");
  }
}

std::string_view TimeZone::name() const { return zone_->name(); }

// The date library has its own local_t clock; the public API uses std::chrono's.
LocalTime TimeZone::to_local(Instant instant) const {
  return LocalTime{instant.time_since_epoch() + cached_period(zone_, instant).offset};
}

std::chrono::minutes TimeZone::offset(Instant instant) const {
  return std::chrono::duration_cast<std::chrono::minutes>(cached_period(zone_, instant).offset);
}

OffsetPeriod TimeZone::period_at(Instant instant) const {
  const CachedPeriod& period = cached_period(zone_, instant);
  return OffsetPeriod{period.begin, period.end, period.offset};
}

Instant TimeZone::to_instant(LocalTime local) const {
  // Fast path: a local time well inside the period of its first guess has one meaning. Offsets
  // differ by less than a day, so a day's margin keeps every neighbouring period out.
  const Instant guess{local.time_since_epoch() - cached_period(zone_, Instant{local.time_since_epoch()}).offset};
  const CachedPeriod& period = cached_period(zone_, guess);
  const Instant candidate{local.time_since_epoch() - period.offset};
  if (candidate - period.begin >= std::chrono::days(1) && period.end - candidate > std::chrono::days(1)) {
    return candidate;
  }
  const date::local_info info = zone_->get_info(date::local_time<std::chrono::milliseconds>{local.time_since_epoch()});
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // the first occurrence: the earlier instant
      return Instant{local.time_since_epoch() - info.first.offset};
    case date::local_info::nonexistent:  // in a gap: the instant the gap ends
      return std::chrono::time_point_cast<std::chrono::milliseconds>(info.second.begin);
  }
  return Instant{local.time_since_epoch() - info.first.offset};
}

}  // namespace outreach
