// The rule a durable store holds each write to: engine access (a reader writes nothing, the
// inbox only what it hands in), and no read failed since the store was opened (an engine must
// not act on a read it could not trust).
#pragma once

#include <optional>
#include <string>

#include "outreach/error.hpp"
#include "outreach/store.hpp"

namespace outreach::detail {

/// Nothing, or why the store at `location` may not write now.
[[nodiscard]] inline expected<void> writable(StoreAccess access, const std::optional<Error>& read_failure,
                                             const std::string& location) {
  if (access != StoreAccess::engine) {
    return fail(Errc::invalid_argument,
                access == StoreAccess::read ? "opened for reading: writing needs the engine access"
                                            : "opened to hand received messages in: other writes need the engine access",
                Location::in(location));
  }
  if (read_failure) {
    return fail(Error(read_failure->code(), "nothing more is written after a failed read: " + read_failure->message(),
                      read_failure->where()));
  }
  return {};
}

}  // namespace outreach::detail
