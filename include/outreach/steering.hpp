/// @file steering.hpp
/// @brief `steer`: a change to a store's campaigns (outreach/request.hpp) that works the same
/// whether or not an engine runs them — applied at once when none does, applied by the running
/// engine otherwise, with its answer awaited. What `outreach pause`, `suppress`, `forget`, ...
/// and the C and Python interfaces do.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/request.hpp"

namespace outreach {

/// @brief How a request made through `steer` ended.
struct Steered {
  std::int64_t id = 0;        ///< The request's id in the store.
  bool applied_here = false;  ///< No engine held the store: the call applied the request itself.
  /// The engine's answer; nothing while the request waits in the store (the running engine did
  /// not answer within the wait, or the call did not wait): it is applied when that engine comes
  /// to it, not lost.
  std::optional<RequestAnswer> answer;
  std::vector<std::string> warnings;  ///< What applying it here warned of (mail handed in that could not be read, ...).
};

/// @brief Makes a request of the campaigns of a store.
///
/// The request is written to the store either way, so that it is applied exactly once and in
/// order with the others. When no engine holds the store, this call takes it like an engine,
/// restores the store's campaigns and applies what waits (`Engine::apply_waiting`). When an
/// engine holds it (`outreach run`, a host program), the request is handed to that engine through
/// the store, which applies it within a second, and the call waits for its answer; if that
/// engine lets go of the store meanwhile, the call applies the request itself.
/// @param store_location The store (`open_store`).
/// @param request The request.
/// @param wait How long to wait for a running engine's answer (zero: not at all).
/// @return How it ended (a request for a campaign the store does not have is answered, refused
/// with `not_found`); or the store's error, or the error of restoring its campaigns.
[[nodiscard]] expected<Steered> steer(std::string_view store_location, const Request& request,
                                      std::chrono::milliseconds wait);

}  // namespace outreach
