#include "outreach/steering.hpp"

#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/open_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach {

namespace {

// No engine holds the store: this call is the engine for the request.
expected<Steered> apply_here(Store& store, const Request& request) {
  DryRunTransport transport;  // applying a request sends nothing
  SystemClock clock;
  Engine engine(store, transport, clock);
  // Address requests change the store only: no campaign of this call has a lead to end.
  if (!request.campaign.empty()) {
    if (auto restored = restore_campaigns(engine, store, request.campaign); !restored) return fail(restored.error());
  }
  Steered steered{.id = 0, .applied_here = true, .answer = std::nullopt, .warnings = {}};
  auto id = ask(store, request, clock.now());
  if (!id) return fail(id.error());
  steered.id = *id;
  if (auto applied = engine.apply_waiting(); !applied) return fail(applied.error());
  steered.warnings = engine.warnings();
  steered.answer = await_answer(store, *id, std::chrono::milliseconds(0));
  return steered;
}

}  // namespace

expected<Steered> steer(std::string_view store_location, const Request& request, std::chrono::milliseconds wait) {
  auto store = open_store(store_location, {.access = StoreAccess::engine});
  if (store) return apply_here(**store, request);
  if (store.error().code() != Errc::unavailable) return fail(store.error());
  // Held by a running engine: the request goes to it through the store.
  auto inbox = open_store(store_location, {.access = StoreAccess::inbox});
  if (!inbox) return fail(inbox.error());
  SystemClock clock;
  auto id = ask(**inbox, request, clock.now());
  if (!id) return fail(id.error());
  Steered steered{.id = *id, .applied_here = false, .answer = std::nullopt, .warnings = {}};
  if (wait.count() > 0) steered.answer = await_answer(**inbox, *id, wait);
  return steered;
}

}  // namespace outreach
