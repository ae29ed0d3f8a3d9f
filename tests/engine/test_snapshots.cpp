// Snapshots: a campaign restarted from its snapshot and the events after it is where a replay of
// its whole log would have brought it (the randomized restarts are in test_guarantees.cpp); a
// snapshot that does not fit the campaign (changed settings, damaged bytes) is replayed over;
// erasing an address drops the snapshots made of its events.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "engine/snapshot.hpp"
#include "engine/snapshot_fixture.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "util/binary.hpp"
#include "util/hash.hpp"

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

TEST_CASE("a snapshot altered anywhere, its checksum made to fit, is refused or read without harm") {
  StoredRun run("snapshots-altered");
  REQUIRE(start_and_snapshot(run.file, "c", at("2026-12-08T00:00:00Z")));
  auto store = open_store(run.file);
  const auto snapshot = store->snapshot("c");
  const auto stored = store->campaign("c");
  REQUIRE(snapshot);
  REQUIRE(stored);
  const std::string& bytes = snapshot->state;
  REQUIRE(bytes.size() > 64);

  // The campaign as a start has it before its log is applied: definition, leads entered, mailboxes.
  auto campaign = CampaignDefinition::from_json(stored->definition);
  REQUIRE(campaign);
  const auto fresh = [&](detail::MailboxPool& pool) {
    auto c = std::make_unique<detail::CampaignState>(*campaign);
    REQUIRE(c->leads.load(c->def.leads));
    c->leads.enter(c->def.leads, c->def.schedule, c->def.sequence.step(1).delay, stored->started);
    bool replaced = false;
    for (const Mailbox& mailbox : c->def.mailboxes) {
      c->mailboxes.push_back(pool.add(mailbox, c->def.schedule.timezone, nullptr, true, replaced));
    }
    return c;
  };
  const std::uint64_t fingerprint = [&] {
    detail::MailboxPool pool;
    return detail::snapshot_fingerprint(*fresh(pool), detail::hash_text(stored->definition));
  }();
  {
    detail::MailboxPool pool;
    auto c = fresh(pool);
    detail::ReplayRecord record;
    REQUIRE(detail::read_snapshot(bytes, fingerprint, *c, pool, record));
    CHECK(c->leads[0].status == detail::LeadStatus::completed);
    CHECK(record.send_count() == 60);
    detail::MailboxPool other_pool;
    CHECK_FALSE(detail::read_snapshot(bytes, fingerprint + 1, *fresh(other_pool), other_pool, record));
  }
  // Past its header, every byte changed in turn (and runs of random bytes), with a checksum that
  // fits: the reader never reads out of bounds (the sanitizer build runs this too) and what it
  // refuses leaves the campaign untouched.
  const std::size_t body = bytes.size() - 8;
  std::uint64_t random = 0x5EED;
  const auto next = [&] { return random = detail::mix64(random); };
  const auto with_checksum = [](std::string altered) {
    altered.resize(altered.size() - 8);
    detail::BinaryWriter sum;
    sum.u64(detail::hash_text(altered));
    return altered + std::move(sum).take();
  };
  std::size_t refused = 0;
  std::size_t read = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string altered = bytes;
    if (trial < static_cast<int>(body) - 30) {
      altered[30 + static_cast<std::size_t>(trial)] ^= static_cast<char>(1 + next() % 255);
    } else {
      const std::size_t from = 30 + next() % (body - 30);
      for (std::size_t i = from; i < std::min(body, from + 1 + next() % 16); ++i) altered[i] = static_cast<char>(next());
    }
    if (trial % 7 == 0) altered.erase(30 + next() % (body - 30), 1 + next() % 8);
    detail::MailboxPool pool;
    auto c = fresh(pool);
    const std::vector<detail::LeadState> before = std::vector<detail::LeadState>(c->leads.states());
    detail::ReplayRecord record;
    if (detail::read_snapshot(with_checksum(altered), fingerprint, *c, pool, record)) {
      ++read;
    } else {
      ++refused;
      CHECK(std::equal(before.begin(), before.end(), c->leads.states().begin(), [](const auto& a, const auto& b) {
        return a.due == b.due && a.status == b.status && a.next_step == b.next_step && a.mailbox == b.mailbox;
      }));
      CHECK(record.send_count() == 0);
    }
  }
  MESSAGE(read << " altered snapshots read, " << refused << " refused");
  CHECK(refused > 0);
}

TEST_CASE("a run that ends by itself keeps its campaigns' snapshots; one asked to stop, or with nothing new, keeps none") {
  TempDir dir("snapshots-run-end");
  const fs::path file = dir.path / "store.db";
  const std::string always_open =
      R"({"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"hours":["00:00-24:00"]})";
  auto store = open_store(file);
  DryRunTransport transport;
  SystemClock clock;
  const auto engine_on_store = [&] {
    auto engine = std::make_unique<Engine>(*store, transport, clock);
    engine->snapshot_after(5);
    return engine;
  };
  SUBCASE("ended by itself: the snapshot is the state of the whole log") {
    auto engine = engine_on_store();
    REQUIRE(engine->add_campaign(definition(leads_json(30), "", always_open)));
    REQUIRE(engine->start("c"));
    // Step 1 goes to every lead at once; step 2 is two days away, past `until`: the run ends.
    engine->run(clock.now() + std::chrono::minutes(5));
    const auto snapshot = store->snapshot("c");
    REQUIRE(snapshot.has_value());
    CHECK(snapshot->through == raw_count(file, "SELECT max(id) FROM events"));
    const fs::path copy = dir.path / "copy.db";
    raw_execute(file, "VACUUM INTO '" + copy.string() + "'");
    raw_execute(copy, "DELETE FROM snapshots");
    const auto replayed = start_and_snapshot(copy, "c", clock.now());
    REQUIRE(replayed.has_value());
    CHECK(replayed->state == snapshot->state);
    // Nothing new since: nothing is kept again.
    CHECK(engine->keep_snapshots() == 0);
  }
  SUBCASE("waiting, with nothing due for a while: the snapshot is kept then") {
    auto engine = engine_on_store();
    REQUIRE(engine->add_campaign(definition(leads_json(30), "", always_open)));
    REQUIRE(engine->start("c"));
    std::thread running([&] { engine->run(); });  // no `until`: it waits two days for step 2
    SqliteStoreOptions reading;
    reading.access = StoreAccess::read;
    auto reader = SqliteStore::open(file, reading);
    REQUIRE(reader.has_value());
    std::optional<CampaignSnapshot> snapshot;
    for (int tries = 0; tries < 600 && !snapshot; ++tries) {
      snapshot = (*reader)->snapshot("c");
      if (!snapshot) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    engine->request_stop();  // a stop keeps nothing: what is there was kept while it waited
    running.join();
    REQUIRE(snapshot.has_value());
    CHECK(snapshot->through == raw_count(file, "SELECT max(id) FROM events"));
  }
  SUBCASE("asked to stop: it ends at once") {
    auto engine = engine_on_store();
    REQUIRE(engine->add_campaign(definition(leads_json(30), "", always_open)));
    REQUIRE(engine->start("c"));
    REQUIRE(engine->step());
    engine->request_stop();
    engine->run(clock.now() + std::chrono::seconds(5));
    CHECK_FALSE(store->snapshot("c").has_value());
    // Asked for, it is kept.
    CHECK(engine->keep_snapshots() == 1);
    CHECK(store->snapshot("c").has_value());
  }
}
