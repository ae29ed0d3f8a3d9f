// SQLite store speed: the writes the engine makes per send — the intent, committed before the
// message goes, then the `sent` event in one unit (which closes the intent) — against raw SQLite
// doing the same rows through the C API with the same schema and PRAGMAs: an intent inserted and
// committed, then an event inserted and the intent deleted in one transaction. Both durability
// settings; ours and the peer take turns, round by round, on fresh files in the same folder.
// The peer binds event lines serialized before the clock starts, so the ratio also charges ours
// for turning each event into its JSON line.
//
//   bench_store [--sends N] [--power-sends M] [--rounds R] [--dir DIR]
//
// --sends: sends per round with durability `process` (default 20000); --power-sends: with
// `power`, where every commit waits for the disk (default 1000); --rounds: rounds, the median is
// reported (default 3); --dir: where the files go (default a folder under /tmp; it must be on a
// real disk for `power` to mean anything).

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bench_process.hpp"
#include "outreach/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Send {
  outreach::SendIntent intent;
  outreach::Event sent;
  std::string line;  // the peer's copy of the event's JSON line
};

std::vector<Send> make_sends(std::size_t count) {
  std::vector<Send> sends;
  sends.reserve(count);
  const auto start = outreach::Instant(std::chrono::milliseconds(1'796'115'600'000));  // 2026-12-01T09:00:00Z
  for (std::size_t i = 0; i < count; ++i) {
    Send send;
    const std::string lead = "lead" + std::to_string(i) + "@company" + std::to_string(i % 997) + ".example";
    const auto at = start + std::chrono::minutes(3 * i);
    send.intent = {.campaign = "q4-saas-founders",
                   .lead = lead,
                   .step = 1,
                   .mailbox = "alice",
                   .message_id = "<q4-saas-founders.1." + std::to_string(i * 2654435761u) + "@acme.example>",
                   .at = at};
    send.sent.type = outreach::EventType::sent;
    send.sent.at = at;
    send.sent.campaign = send.intent.campaign;
    send.sent.lead = lead;
    send.sent.step = 1;
    send.sent.variant = "A";
    send.sent.mailbox = send.intent.mailbox;
    send.sent.message_id = send.intent.message_id;
    send.sent.subject = "Quick question about Company " + std::to_string(i % 997);
    send.line = outreach::to_json_line(send.sent);
    sends.push_back(std::move(send));
  }
  return sends;
}

struct Rate {
  double sends_per_second = 0;
  double cpu_us_per_send = 0;
  bool ok = false;
};

Rate rate_of(std::size_t sends, Clock::time_point wall_start, double cpu_start) {
  const double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
  const double cpu = bench::own_cpu_seconds() - cpu_start;
  return {.sends_per_second = static_cast<double>(sends) / wall,
          .cpu_us_per_send = cpu * 1e6 / static_cast<double>(sends),
          .ok = true};
}

Rate run_ours(const std::filesystem::path& file, outreach::StoreDurability durability, const std::vector<Send>& sends) {
  outreach::SqliteStoreOptions options;
  options.durability = durability;
  auto store = outreach::SqliteStore::open(file, options);
  if (!store) {
    std::fprintf(stderr, "bench_store: %s\n", store.error().to_string().c_str());
    return {};
  }
  outreach::SqliteStore& ours = **store;
  const auto wall_start = Clock::now();
  const double cpu_start = bench::own_cpu_seconds();
  for (const Send& send : sends) {
    bool ok = ours.record_intent(send.intent).has_value();
    ok = ok && ours.begin().has_value();
    ok = ok && ours.append(send.sent).has_value();
    ok = ours.commit().has_value() && ok;
    if (!ok) {
      std::fprintf(stderr, "bench_store: a write of ours failed\n");
      return {};
    }
  }
  Rate rate = rate_of(sends.size(), wall_start, cpu_start);
  if (!ours.open_intents().empty()) rate.ok = false;
  return rate;
}

// The peer: SQLite's C API, the same tables, indexes and PRAGMAs, statements prepared once.
class RawSqlite {
 public:
  RawSqlite(const std::filesystem::path& file, outreach::StoreDurability durability) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) return;
    const std::string setup =
        std::string("PRAGMA journal_mode = WAL; PRAGMA synchronous = ") +
        (durability == outreach::StoreDurability::power ? "FULL" : "NORMAL") +
        "; PRAGMA foreign_keys = ON;"
        "CREATE TABLE events (id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, lead TEXT NOT NULL,"
        "  type TEXT NOT NULL, at INTEGER NOT NULL, line TEXT NOT NULL) STRICT;"
        "CREATE INDEX events_by_campaign ON events (campaign);"
        "CREATE INDEX events_by_lead ON events (lead COLLATE NOCASE);"
        "CREATE TABLE intents (id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, lead TEXT NOT NULL,"
        "  step INTEGER NOT NULL, mailbox TEXT NOT NULL, message_id TEXT NOT NULL, at INTEGER NOT NULL,"
        "  UNIQUE (campaign, lead, step)) STRICT;";
    ok_ = exec(setup.c_str()) && prepare(insert_intent_,
                                         "INSERT INTO intents (campaign, lead, step, mailbox, message_id, at) "
                                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)") &&
          prepare(insert_event_, "INSERT INTO events (campaign, lead, type, at, line) VALUES (?1, ?2, ?3, ?4, ?5)") &&
          prepare(delete_intent_, "DELETE FROM intents WHERE campaign = ?1 AND lead = ?2 AND step = ?3") &&
          prepare(begin_, "BEGIN IMMEDIATE") && prepare(commit_, "COMMIT");
  }
  ~RawSqlite() {
    for (sqlite3_stmt* statement : {insert_intent_, insert_event_, delete_intent_, begin_, commit_}) {
      sqlite3_finalize(statement);
    }
    sqlite3_close(db_);
  }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }

  bool send(const Send& send) {
    const auto& intent = send.intent;
    text(insert_intent_, 1, intent.campaign);
    text(insert_intent_, 2, intent.lead);
    sqlite3_bind_int(insert_intent_, 3, intent.step);
    text(insert_intent_, 4, intent.mailbox);
    text(insert_intent_, 5, intent.message_id);
    sqlite3_bind_int64(insert_intent_, 6, intent.at.time_since_epoch().count());
    if (!run(insert_intent_) || !run(begin_)) return false;
    text(insert_event_, 1, send.sent.campaign);
    text(insert_event_, 2, send.sent.lead);
    text(insert_event_, 3, "sent");
    sqlite3_bind_int64(insert_event_, 4, send.sent.at.time_since_epoch().count());
    text(insert_event_, 5, send.line);
    text(delete_intent_, 1, intent.campaign);
    text(delete_intent_, 2, intent.lead);
    sqlite3_bind_int(delete_intent_, 3, intent.step);
    return run(insert_event_) && run(delete_intent_) && run(commit_);
  }

 private:
  bool exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  bool prepare(sqlite3_stmt*& statement, const char* sql) {
    return sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) == SQLITE_OK;
  }
  static void text(sqlite3_stmt* statement, int index, std::string_view value) {
    sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }
  static bool run(sqlite3_stmt* statement) {
    const int result = sqlite3_step(statement);
    sqlite3_reset(statement);
    return result == SQLITE_DONE;
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_intent_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* delete_intent_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  bool ok_ = false;
};

Rate run_raw(const std::filesystem::path& file, outreach::StoreDurability durability, const std::vector<Send>& sends) {
  RawSqlite raw(file, durability);
  if (!raw.ok()) {
    std::fprintf(stderr, "bench_store: raw SQLite could not set up %s\n", file.c_str());
    return {};
  }
  const auto wall_start = Clock::now();
  const double cpu_start = bench::own_cpu_seconds();
  for (const Send& send : sends) {
    if (!raw.send(send)) {
      std::fprintf(stderr, "bench_store: a raw SQLite write failed\n");
      return {};
    }
  }
  return rate_of(sends.size(), wall_start, cpu_start);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void remove_database(const std::filesystem::path& file) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-lock"}) std::filesystem::remove(file.string() + suffix, ignored);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t process_sends = 20000;
  std::size_t power_sends = 1000;
  int rounds = 3;
  std::string folder;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string_view option = argv[i];
    if (option == "--sends") process_sends = std::max<std::size_t>(1, std::strtoul(argv[i + 1], nullptr, 10));
    if (option == "--power-sends") power_sends = std::max<std::size_t>(1, std::strtoul(argv[i + 1], nullptr, 10));
    if (option == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
    if (option == "--dir") folder = argv[i + 1];
  }
  bench::TempDirectory temporary("outreach-bench-store");
  const std::filesystem::path directory = folder.empty() ? temporary.path() : std::filesystem::path(folder);
  if (directory.empty() || !std::filesystem::is_directory(directory)) {
    std::fprintf(stderr, "bench_store: no folder for the files\n");
    return 1;
  }

  std::printf("outreach SQLite store benchmark: per send, the intent committed, then the sent event and the "
              "intent's deletion in one transaction (2 commits, 2 state transitions); median of %d rounds, "
              "files in %s\n\n",
              rounds, directory.c_str());
  bool all_ok = true;
  struct Setting {
    const char* name;
    outreach::StoreDurability durability;
    std::size_t sends;
  };
  for (const Setting setting : {Setting{"process (synchronous=NORMAL)", outreach::StoreDurability::process, process_sends},
                                Setting{"power (synchronous=FULL)", outreach::StoreDurability::power, power_sends}}) {
    const std::vector<Send> sends = make_sends(setting.sends);
    std::vector<double> ours_rates, raw_rates, ours_cpu, raw_cpu, ratios;
    for (int round = 0; round < rounds; ++round) {
      const auto ours_file = directory / "ours.db";
      const auto raw_file = directory / "raw.db";
      remove_database(ours_file);
      remove_database(raw_file);
      // Turns: the peer first in odd rounds, so neither always gets the warmer disk.
      Rate ours, raw;
      if (round % 2 == 0) {
        ours = run_ours(ours_file, setting.durability, sends);
        raw = run_raw(raw_file, setting.durability, sends);
      } else {
        raw = run_raw(raw_file, setting.durability, sends);
        ours = run_ours(ours_file, setting.durability, sends);
      }
      remove_database(ours_file);
      remove_database(raw_file);
      if (!ours.ok || !raw.ok) {
        all_ok = false;
        break;
      }
      ours_rates.push_back(ours.sends_per_second);
      raw_rates.push_back(raw.sends_per_second);
      ours_cpu.push_back(ours.cpu_us_per_send);
      raw_cpu.push_back(raw.cpu_us_per_send);
      ratios.push_back(ours.sends_per_second / raw.sends_per_second);
    }
    if (ratios.empty()) continue;
    const double ratio = median(ratios);
    std::printf("durability %s, %zu sends a round\n", setting.name, setting.sends);
    std::printf("  raw SQLite (peer)    %10.0f sends/s  %10.0f transitions/s  %7.1f us CPU per send\n",
                median(raw_rates), 2 * median(raw_rates), median(raw_cpu));
    std::printf("  SqliteStore          %10.0f sends/s  %10.0f transitions/s  %7.1f us CPU per send\n",
                median(ours_rates), 2 * median(ours_rates), median(ours_cpu));
    std::printf("  ratio to raw SQLite  %.2f (rounds:", ratio);
    for (const double each : ratios) std::printf(" %.2f", each);
    std::printf(")  goal >= 0.50 (within 2x): %s\n\n", ratio >= 0.5 ? "reached" : "not reached");
  }
  return all_ok ? 0 : 1;
}
