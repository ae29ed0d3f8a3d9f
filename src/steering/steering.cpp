#include "outreach/steering.hpp"

#include <algorithm>

#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/open_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach {

namespace {

// While the request waits, how often the call looks whether the engine that held the store has
// let it go (its process ended): then the call applies the request itself.
constexpr std::chrono::milliseconds take_over_interval{250};

// No engine holds the store: this call is the engine for the request. It restores the request's
// campaign (an address request changes the store only: no campaign of this call has a lead to
// end) and applies what waits, the request among it, in order.
expected<std::vector<std::string>> apply_here(Store& store, const Request& request) {
  DryRunTransport transport;  // applying a request sends nothing
  SystemClock clock;
  Engine engine(store, transport, clock);
  if (!request.campaign.empty()) {
    if (auto restored = restore_campaigns(engine, store, request.campaign); !restored) return fail(restored.error());
  }
  if (auto applied = engine.apply_waiting(); !applied) return fail(applied.error());
  return engine.warnings();
}

// Applies the request, already in the store, here; `steered` takes the answer.
expected<Steered> finish_here(Store& store, const Request& request, Steered steered) {
  auto warnings = apply_here(store, request);
  if (!warnings) return fail(warnings.error());
  steered.applied_here = true;
  steered.warnings = std::move(*warnings);
  steered.answer = await_answer(store, steered.id, std::chrono::milliseconds(0));
  return steered;
}

}  // namespace

expected<Steered> steer(std::string_view store_location, const Request& request, std::chrono::milliseconds wait) {
  SystemClock clock;
  Steered steered{.id = 0, .applied_here = false, .answer = std::nullopt, .warnings = {}};
  auto store = open_store(store_location, {.access = StoreAccess::engine});
  if (store) {
    auto id = ask(**store, request, clock.now());
    if (!id) return fail(id.error());
    steered.id = *id;
    return finish_here(**store, request, std::move(steered));
  }
  if (store.error().code() != Errc::unavailable) return fail(store.error());
  // Held by a running engine: the request goes to it through the store.
  auto inbox = open_store(store_location, {.access = StoreAccess::inbox});
  if (!inbox) return fail(inbox.error());
  auto id = ask(**inbox, request, clock.now());
  if (!id) return fail(id.error());
  steered.id = *id;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (wait.count() > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    steered.answer = await_answer(**inbox, *id, std::clamp(left, std::chrono::milliseconds(0), take_over_interval));
    if (steered.answer || left <= take_over_interval) break;
    // The engine may have ended since (its campaigns finished, or it was stopped) and left the
    // request unanswered: then nobody would answer it until the next run.
    if (auto taken = open_store(store_location, {.access = StoreAccess::engine})) {
      return finish_here(**taken, request, std::move(steered));
    }
  }
  return steered;
}

}  // namespace outreach
