// Snapshots kept while the engine runs. A start keeps one after a long replay; a campaign that
// runs for weeks grows its log after it, which the next start, `status` and `explain` would
// replay. At quiet moments the engine builds the campaign's state as a start of it would, aside
// on a view of its store, and keeps the snapshot that start keeps.
#include "engine/engine_on_view.hpp"
#include "engine/engine_state.hpp"

namespace outreach {

using detail::CampaignState;
using detail::CampaignStatus;

std::size_t Engine::keep_snapshots() {
  State& s = *state_;
  if (!s.store.keeps_snapshots() || s.store.access() != StoreAccess::engine || s.log.failed() || !s.outgoing.empty()) {
    return 0;
  }
  std::size_t kept = 0;
  // A stop asked for while it works ends it before the next campaign (one asked for before is
  // the host's, which then asks for the snapshots itself); several campaigns built one after
  // another must not outlast the claims' lease (renewed when a third of it has passed).
  const bool stopped_before = s.stop_requested.load();
  for (const auto& campaign : s.campaigns) {
    if ((!stopped_before && s.stop_requested.load()) || (s.store.shared() && !s.claims_hold())) break;
    CampaignState& c = *campaign;
    if (c.status == CampaignStatus::draft || c.unsnapshotted < s.snapshot_after) continue;
    if (s.keep_snapshot_aside(c)) ++kept;
    c.unsnapshotted = 0;  // kept, or tried: not again until the log has grown as much again
  }
  return kept;
}

bool Engine::State::keep_snapshot_aside(const CampaignState& c) {
  const auto not_kept = [&](const std::string& why) {
    warn("campaign \"" + c.def.name + "\": no snapshot could be kept while it runs (its next start replays more): " + why);
    return false;
  };
  const auto stored = store.campaign(c.def.name);
  if (!stored) return not_kept("it is not in the store");
  detail::EngineOnView rebuilt(store, clock);
  State& aside = *rebuilt.engine.state_;
  aside.keeps_snapshots_in = &store;
  aside.snapshot_after = 1;
  if (auto started = rebuilt.engine.add_stored_campaign(*stored); !started) return not_kept(started.error().message());
  if (aside.snapshots_kept > 0) return true;
  return not_kept(aside.warnings.empty() ? std::string("its start replayed nothing") : aside.warnings.back());
}

}  // namespace outreach
