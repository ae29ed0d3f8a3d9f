// Snapshots: a campaign restarted from its snapshot and the events after it is where a replay of
// its whole log would have brought it (the randomized restarts are in test_guarantees.cpp); a
// snapshot that does not fit the campaign (changed settings, damaged bytes) is replayed over;
// erasing an address drops the snapshots made of its events.
#include <doctest/doctest.h>

#include <string>

#include "engine/engine_fixture.hpp"
#include "engine/snapshot_fixture.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"

using namespace outreach;
using namespace outreach::test;

namespace {

// A campaign of 30 leads x 2 steps on a SQLite file, run to its end: 60 sends and 30
// `completed`.
struct StoredRun {
  TempDir dir;
  fs::path file;
  explicit StoredRun(const std::string& name) : dir(name), file(dir.path / "store.db") {
    auto store = open_store(file);
    MemoryTransport transport;
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{*store, transport, clock};
    REQUIRE(engine.add_campaign(definition(leads_json(30))));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-08T00:00:00Z"));
  }
};


}  // namespace

TEST_CASE("a start replays only the events after the snapshot, and a snapshot that does not fit is replayed over") {
  StoredRun run("snapshots-used");
  const std::string before = report_of(run.file);
  // A start that replays at least `snapshot_after` events keeps a snapshot; `status` uses it.
  const auto snapshot = start_and_snapshot(run.file, "c", at("2026-12-08T00:00:00Z"));
  REQUIRE(snapshot.has_value());
  CHECK(snapshot->through > 0);
  CHECK(report_of(run.file) == before);

  SUBCASE("the events a snapshot holds are not read again") {
    // Were they replayed, the campaign would have lost the sends they hold.
    raw_execute(run.file, "DELETE FROM events WHERE id <= " + std::to_string(snapshot->through));
    CHECK(report_of(run.file) == before);
  }
  SUBCASE("a damaged snapshot is replayed over, to the same state") {
    for (const std::string damage : {"substr(state, 1, length(state) / 2)", "zeroblob(length(state))",
                                     "CAST(state || x'00' AS BLOB)", "x''",
                                     "CAST(substr(state, 1, 40) || x'FF' || substr(state, 42) AS BLOB)"}) {
      CAPTURE(damage);
      raw_execute(run.file, "UPDATE snapshots SET state = " + damage);
      CHECK(report_of(run.file) == before);
      // The start after it replays the whole log, and keeps a sound snapshot again.
      CHECK(start_and_snapshot(run.file, "c", at("2026-12-08T00:00:00Z")) == snapshot);
    }
  }
  SUBCASE("a snapshot of the campaign as it was before its settings changed is replayed over") {
    raw_execute(run.file, "UPDATE campaigns SET definition = replace(definition, '\"daily_limit\": 1000', "
                          "'\"daily_limit\": 999')");
    REQUIRE(raw_count(run.file, "SELECT count(*) FROM campaigns WHERE definition LIKE '%\"daily_limit\": 999%'") == 1);
    // Were the snapshot used, the erased events would not be missed.
    raw_execute(run.file, "DELETE FROM events WHERE id <= " + std::to_string(snapshot->through));
    CHECK(report_of(run.file) != before);
  }
  SUBCASE("erasing an address drops the snapshots made of its events") {
    auto store = open_store(run.file);
    REQUIRE(store->forget("lead3@example.com"));
    CHECK_FALSE(store->snapshot("c").has_value());
  }
}
