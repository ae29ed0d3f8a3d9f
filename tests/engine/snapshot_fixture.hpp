// What the snapshot tests share: a SQLite file looked at and changed under the engine, engines
// that start a store's campaigns and keep a snapshot, and what `status` says of a store.
#pragma once

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach::test {

namespace fs = std::filesystem;

inline void raw_execute(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int result = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE_MESSAGE(result == SQLITE_OK, text);
}

inline std::unique_ptr<SqliteStore> open_store(const fs::path& path) {
  auto store = SqliteStore::open(path);
  REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().to_string()));
  return std::move(*store);
}

// Starts the campaign of the store alone in an engine that keeps a snapshot after any replay
// (the mailboxes of the snapshot's table are then in the campaign's order), and gives the
// campaign's snapshot as the start left it.
inline std::optional<CampaignSnapshot> start_and_snapshot(const fs::path& path, const std::string& campaign, Instant now) {
  auto store = open_store(path);
  DryRunTransport transport;
  ManualClock clock{now};
  Engine engine{*store, transport, clock};
  engine.snapshot_after(1);
  REQUIRE(restore_campaigns(engine, *store, campaign));
  return store->snapshot(campaign);
}

// What a store says of its campaigns when looked at (`outreach status`): summary and each lead.
inline std::string report_of(const fs::path& path) {
  auto store = open_store(path);
  std::string out;
  const auto summary = summarize_store(*store);
  REQUIRE_MESSAGE(summary.has_value(), (summary ? "" : summary.error().to_string()));
  out += to_json(*summary);
  for (const StoredCampaign& stored : store->campaigns()) {
    const auto report = report_store(*store, stored.name);
    REQUIRE(report.has_value());
    for (const LeadProgress& lead : report->leads) {
      out += "\n" + lead.email + " " + lead.status + " " + std::to_string(lead.steps_sent);
    }
  }
  return out;
}

inline std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  const std::size_t line = a.rfind('\n', at == 0 ? 0 : at - 1);
  const std::size_t from = line == std::string::npos ? 0 : line + 1;
  return "\n  one:   " + a.substr(from, a.find('\n', from) - from) + "\n  other: " + b.substr(from, b.find('\n', from) - from);
}

inline std::int64_t raw_count(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  const std::int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

}  // namespace outreach::test
