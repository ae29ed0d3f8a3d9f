// An engine on a read-only view of a store: it rebuilds campaigns from their events, and may run
// them forward, without writing to the store or sending anything. `status`, `report`, `explain`,
// `forecast` and the snapshots a running engine keeps are made with it.
#pragma once

#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/store_view.hpp"

namespace outreach::detail {

struct EngineOnView {
  ReadOnlyView view;
  DryRunTransport transport;
  Engine engine;
  EngineOnView(const Store& store, const Clock& clock) : view(store), engine(view, transport, clock) {}
};

}  // namespace outreach::detail
