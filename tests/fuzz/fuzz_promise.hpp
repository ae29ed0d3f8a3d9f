// What a fuzz target does when the code under test breaks a promise it makes (beyond not
// crashing): says which, and aborts, so that libFuzzer keeps the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace outreach::fuzz {

/// Aborts with "broken promise: <promise>" unless `condition` holds.
inline void require(bool condition, const char* promise) {
  if (condition) return;
  std::fprintf(stderr, "broken promise: %s\n", promise);
  std::abort();
}

}  // namespace outreach::fuzz
