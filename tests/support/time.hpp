// Test helpers for instants and zones: fail the test case, not the program, on a typo.
#pragma once

#include <doctest/doctest.h>

#include "outreach/instant.hpp"
#include "outreach/timezone.hpp"

namespace outreach::testing {

/// The instant of an RFC 3339 text such as "2026-12-01T09:00:00Z".
inline Instant utc(const char* text) {
  const auto instant = parse_instant(text);
  REQUIRE_MESSAGE(instant, text);
  return *instant;
}

/// The zone of an IANA name.
inline TimeZone zone(const char* name) {
  auto located = TimeZone::locate(name);
  REQUIRE_MESSAGE(located, name);
  return *located;
}

}  // namespace outreach::testing
