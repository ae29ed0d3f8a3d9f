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

// No engine holds the store: this call is the engine for the request. Every campaign of the
// store is restored, since what waits may be for any of them (received mail handed in for an
// engine that has ended, a request for an unknown campaign is answered so); the request is
// written first when it is not yet (`steered.id` 0), then everything waiting is applied in order.
expected<Steered> apply_here(Store& store, const Request& request, Steered steered) {
  DryRunTransport transport;  // applying a request sends nothing
  SystemClock clock;
  Engine engine(store, transport, clock);
  if (auto restored = restore_campaigns(engine, store); !restored) return fail(restored.error());
  if (steered.id == 0) {
    auto id = ask(store, request, clock.now());
    if (!id) return fail(id.error());
    steered.id = *id;
  }
  if (auto applied = engine.apply_waiting(); !applied) return fail(applied.error());
  steered.applied_here = true;
  steered.warnings = engine.warnings();
  steered.answer = await_answer(store, steered.id, std::chrono::milliseconds(0));
  return steered;
}

}  // namespace

expected<Steered> steer(std::string_view store_location, const Request& request, std::chrono::milliseconds wait) {
  SystemClock clock;
  Steered steered{.id = 0, .applied_here = false, .answer = std::nullopt, .warnings = {}};
  auto store = open_store(store_location, {.access = StoreAccess::engine});
  if (store) return apply_here(**store, request, std::move(steered));
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
    // Gone from the store: answered, then erased by a `forget` of an address it named.
    if (!(**inbox).request(*id)) break;
    // The engine may have ended since (its campaigns finished, or it was stopped) and left the
    // request unanswered: then nobody would answer it until the next run.
    if (auto taken = open_store(store_location, {.access = StoreAccess::engine})) {
      return apply_here(**taken, request, std::move(steered));
    }
  }
  return steered;
}

}  // namespace outreach
