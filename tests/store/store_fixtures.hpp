// What the store tests share: a temporary folder, events and intents to write, and the stores
// the conformance suite runs on (a fresh empty one of each kind).
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#if OUTREACH_WITH_POSTGRESQL
#include "outreach/postgresql_store.hpp"
#include "support/postgresql.hpp"
#endif
#include "outreach/store.hpp"
#include "support/time.hpp"

namespace outreach::testing {

namespace fs = std::filesystem;

// A private folder under the system's temporary folder, removed with its files at the end.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "outreach-store-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline SqliteStoreOptions fast_engine() {
  SqliteStoreOptions options;
  options.durability = StoreDurability::process;
  return options;
}

// Handing in received mail and requests beside an engine, with the fast durability.
inline SqliteStoreOptions inbox() {
  SqliteStoreOptions options = fast_engine();
  options.access = StoreAccess::inbox;
  return options;
}

inline SqliteStoreOptions reader() {
  SqliteStoreOptions options;
  options.access = StoreAccess::read;
  return options;
}

inline std::unique_ptr<SqliteStore> open_sqlite(const fs::path& path, const SqliteStoreOptions& options = fast_engine()) {
  auto store = SqliteStore::open(path, options);
  REQUIRE_MESSAGE(store.has_value(), (store ? std::string() : store.error().to_string()));
  return std::move(*store);
}

inline Event event_of(EventType type, std::string campaign, std::string lead, int step = 0,
               const char* when = "2026-12-01T09:00:00Z") {
  Event event;
  event.type = type;
  event.at = utc(when);
  event.campaign = std::move(campaign);
  event.lead = std::move(lead);
  event.step = step;
  if (is_send_outcome(type)) {
    event.mailbox = "alice";
    event.message_id = "<" + std::to_string(step) + "." + event.lead + ">";
  }
  if (type == EventType::sent) event.subject = "Hello — ünïcode";
  if (type == EventType::deferred) {
    event.code = 451;
    event.status = "4.2.2";
    event.reason = "try later";
    event.retry_at = utc("2026-12-01T09:10:00Z");
  }
  return event;
}

inline SendIntent intent_of(std::string campaign, std::string lead, int step) {
  return SendIntent{.campaign = std::move(campaign),
                    .lead = lead,
                    .step = step,
                    .mailbox = "alice",
                    .message_id = "<" + std::to_string(step) + "." + lead + ">",
                    .at = utc("2026-12-01T09:00:00.125Z")};
}

inline std::vector<Event> events_of(const Store& store, std::string_view campaign) {
  std::vector<Event> out;
  store.for_each_event(campaign, [&](const Event& event) { out.push_back(event); });
  return out;
}

// What identifies an intent, for comparing orders briefly.
inline std::vector<std::string> keys_of(const std::vector<SendIntent>& intents) {
  std::vector<std::string> out;
  for (const auto& intent : intents) out.push_back(intent.campaign + "/" + intent.lead + "/" + std::to_string(intent.step));
  return out;
}

inline std::vector<std::string> addresses_of(const std::vector<Suppression>& list) {
  std::vector<std::string> out;
  for (const auto& entry : list) out.push_back(entry.address);
  return out;
}

// The stores, each as a fresh empty one.
struct MemoryStoreKind {
  MemoryStore store;
  Store& get() { return store; }
};

struct SqliteStoreKind {
  TempFolder folder;
  std::unique_ptr<SqliteStore> store = open_sqlite(folder.path() / "store.db");
  Store& get() { return *store; }
};

// Commits grouped (`StoreDurability::none`): the same contract, durable only at a flush.
struct GroupedSqliteStoreKind {
  TempFolder folder;
  std::unique_ptr<SqliteStore> store = open_sqlite(folder.path() / "store.db", {.durability = StoreDurability::none});
  Store& get() { return *store; }
};

#if OUTREACH_WITH_POSTGRESQL
inline std::unique_ptr<PostgresqlStore> open_postgresql(const std::string& uri, PostgresqlStoreOptions options = {}) {
  auto store = PostgresqlStore::open(uri, options);
  REQUIRE_MESSAGE(store.has_value(), (store ? std::string() : store.error().to_string()));
  return std::move(*store);
}

// An engine claims a campaign before it writes for it: the suite's campaigns are claimed first.
struct PostgresqlStoreKind {
  PostgresqlDatabase database;
  std::unique_ptr<PostgresqlStore> store = open_postgresql(database.uri());
  PostgresqlStoreKind() {
    for (const char* campaign : {"a", "b", "c", "long", "other", "q4", "q5"}) REQUIRE(store->claim(campaign).value_or(false));
  }
  Store& get() { return *store; }
};
#endif

// An engine that runs a campaign (two steps, 40 leads, one mailbox, every seventh send deferred)
// on a durable store, stopped partway and started again on the store opened anew, must write
// the same log as an engine that runs it whole on a memory store: checked here for a store that
// `open_engine` opens for an engine and `open_reader` for reading.
inline void check_engine_resumes(const std::function<std::unique_ptr<Store>()>& open_engine,
                                 const std::function<std::unique_ptr<Store>()>& open_reader) {
  std::string leads = "[";
  for (int i = 0; i < 40; ++i) {
    leads += std::string(i ? "," : "") + R"({"email":"lead)" + std::to_string(i) + R"(@example.com","first_name":"L"})";
  }
  leads += "]";
  const std::string json = R"({"name":"c","seed":7,"sequence":{"steps":[
      {"variants":[{"subject":"Hi","text":"Hello {{first_name}}"}]},
      {"delay":{"days":2},"variants":[{"text":"Again"}]}]},
    "leads":)" + leads + R"(,"schedule":{"timezone":"UTC","start":"2026-12-01","hours":["09:00-17:00"]},
    "mailboxes":[{"id":"m1","from":"M <m1@acme.example>","daily_limit":30,"min_interval":{"minutes":3}}]})";
  std::size_t sends = 0;
  const MemoryTransport::Script script = [&sends](const Mailbox&, const Message&) {
    return ++sends % 7 == 0 ? SendOutcome{.kind = SendOutcome::Kind::temporary, .code = 451, .status = "4.3.0",
                                          .reason = "later", .queue_id = {}, .maybe_delivered = false}
                            : SendOutcome::accept();
  };
  // `keep`: the engine keeps a snapshot when it stops, which the next start goes on from.
  const auto run = [&](Store& store, ManualClock& clock, std::optional<Instant> until, bool keep = false) {
    MemoryTransport transport(script);
    Engine engine{store, transport, clock};
    auto campaign = CampaignDefinition::from_json(json);
    REQUIRE_MESSAGE(campaign.has_value(), (campaign ? std::string() : campaign.error().to_string()));
    REQUIRE(engine.add_campaign(std::move(*campaign)));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, until);
    if (keep) {
      engine.snapshot_after(1);
      CHECK(engine.keep_snapshots() == 1);
      CHECK(store.snapshot("c").has_value());
    }
    REQUIRE_FALSE(engine.failure().has_value());
  };
  const auto lines_of = [](const Store& store) {
    std::vector<std::string> lines;
    store.for_each_event("c", [&](const Event& event) { lines.push_back(to_json_line(event)); });
    return lines;
  };
  MemoryStore memory;
  ManualClock memory_clock{utc("2026-12-01T00:00:00Z")};
  run(memory, memory_clock, std::nullopt);
  const auto expected_lines = lines_of(memory);
  REQUIRE(expected_lines.size() > 80);

  sends = 0;
  ManualClock clock{utc("2026-12-01T00:00:00Z")};
  run(*open_engine(), clock, utc("2026-12-02T12:00:00Z"), /*keep=*/true);
  run(*open_engine(), clock, std::nullopt);
  auto store = open_reader();
  CHECK(lines_of(*store) == expected_lines);
  CHECK(store->open_intents().empty());
  REQUIRE(store->campaigns().size() == 1);
  CHECK(store->campaigns()[0].name == "c");
}

// A process forked to hold a store. `work` runs in the child; it calls `ready` (with true when it

}  // namespace outreach::testing
