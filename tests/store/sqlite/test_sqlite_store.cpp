// The SQLite store alone: reopening, failed units, a writer killed between intent and outcome,
// the engine lock, readers, refused files, migrations, the inbox, folder positions, damaged
// lines, and an engine resuming on a reopened store.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite.hpp"
#include "store/sqlite/sqlite_schema.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"
#include "store/store_fixtures.hpp"
#include "support/sqlite_query.hpp"
#include "support/time.hpp"

using namespace outreach;
using namespace outreach::testing;

using outreach::testing::sqlite_integer;

namespace {

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// The file as another program sees it, through SQLite's C API directly.
void raw_execute(const fs::path& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int result = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE_MESSAGE(result == SQLITE_OK, text);
}


// A store whose events of poison@example.com another program's trigger refuses: one write
// fails, as it would on a full disk.
void refuse_poison(const fs::path& file) {
  open_sqlite(file).reset();
  raw_execute(file, "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.lead = 'poison@example.com' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
}

// A new store file at an earlier schema version, as that version's library made it.
void make_store_of_version(const fs::path& file, std::size_t version) {
  auto connection = detail::sqlite::Connection::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  REQUIRE(connection.has_value());
  const auto all = detail::sqlite_migrations();
  REQUIRE(version <= all.size());
  const std::vector<detail::SqliteMigration> earlier(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(version));
  REQUIRE(detail::migrate(*connection, 0, earlier, SqliteStore::application_id));
}

class ChildProcess {
 public:
  using Ready = std::function<void(bool)>;

  explicit ChildProcess(const std::function<void(const Ready&)>& work) {
    int ends[2];
    REQUIRE(pipe(ends) == 0);
    std::fflush(nullptr);  // nothing buffered twice
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      close(ends[0]);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the tests
      const int report = ends[1];
      const Ready ready = [report](bool done) {
        const char answer = done ? '1' : '0';
        [[maybe_unused]] const ssize_t written = write(report, &answer, 1);
        for (;;) pause();
      };
      work(ready);
      ready(false);
    }
    close(ends[1]);
    report_ = ends[0];
  }
  ~ChildProcess() {
    kill();
    if (report_ >= 0) close(report_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // True when the child said it did its part (within 30 seconds).
  bool ready() {
    pollfd wait_for{.fd = report_, .events = POLLIN, .revents = 0};
    if (poll(&wait_for, 1, 30000) != 1) return false;
    char answer = 0;
    return read(report_, &answer, 1) == 1 && answer == '1';
  }

  // SIGKILL: no destructor, no atexit handler, nothing of the child's runs any more.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int report_ = -1;
};

}  // namespace

TEST_SUITE("sqlite_store") {

TEST_CASE("a SQLite store keeps everything across closing and opening again") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  const Event sent = event_of(EventType::sent, "a", "x@example.com", 1);
  const Event deferred = event_of(EventType::deferred, "a", "y@example.com", 1);
  const StoredCampaign campaign{"a", R"({"name":"a"})", "sha256:aa", utc("2026-12-01T00:00:00Z")};
  const FolderPosition position{"alice", "INBOX", 1700000000, 42};
  const MailboxCheck check{"alice", utc("2026-12-01T09:00:00.125Z"), utc("2026-12-01T09:05:00Z"), "timed out"};
  {
    auto store = open_sqlite(file);
    REQUIRE(store->save_campaign(campaign));
    REQUIRE(store->record_intent(intent_of("a", "x@example.com", 1)));
    REQUIRE(store->record_intent(intent_of("a", "z@example.com", 1)));
    REQUIRE(store->append(sent));
    REQUIRE(store->append(deferred));
    REQUIRE(store->suppress("Bob@Example.com", "unsubscribe"));
    REQUIRE(store->save_folder_position(position));
    REQUIRE(store->record_mailbox_check(check));
    // Not committed when the store closes: rolled back.
    REQUIRE(store->begin());
    REQUIRE(store->append(event_of(EventType::completed, "a", "x@example.com")));
    REQUIRE(store->save_folder_position({"alice", "INBOX", 1700000000, 99}));
  }
  CHECK(fs::exists(folder.path() / "outreach.db-lock"));
  for (const auto& options : {fast_engine(), reader()}) {
    auto store = open_sqlite(file, options);
    CHECK(store->path() == file);
    CHECK(store->campaigns() == std::vector<StoredCampaign>{campaign});
    CHECK(store->open_intents() == std::vector<SendIntent>{intent_of("a", "z@example.com", 1)});
    CHECK(events_of(*store, "a") == std::vector<Event>{sent, deferred});
    CHECK(store->is_suppressed("bob@example.com"));
    CHECK(store->folder_position("alice", "INBOX") == position);
    CHECK(store->mailbox_checks() == std::vector<MailboxCheck>{check});
    CHECK_FALSE(store->read_error().has_value());
  }
  CHECK(sqlite_integer(file, "PRAGMA application_id") == SqliteStore::application_id);
  CHECK(sqlite_integer(file, "PRAGMA user_version") == SqliteStore::schema_version);
}

TEST_CASE("a write that fails inside a unit keeps nothing of the unit") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  refuse_poison(file);
  auto store = open_sqlite(file);
  REQUIRE(store->record_intent(intent_of("a", "x@example.com", 1)));

  REQUIRE(store->save_folder_position({"alice", "INBOX", 7, 10}));

  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  REQUIRE(store->suppress("x@example.com", "hard_bounce"));
  REQUIRE(store->save_folder_position({"alice", "INBOX", 7, 11}));
  REQUIRE(store->record_mailbox_check({"alice", utc("2026-12-01T09:00:00Z"), std::nullopt, ""}));
  const auto failed = store->append(event_of(EventType::replied, "a", "poison@example.com"));
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().where().file == file.string());
  CHECK(failed.error().message().find("refused by the test") != std::string::npos);
  // Later writes of the unit fail with the same error and are not kept on their own either.
  const auto after = store->append(event_of(EventType::completed, "a", "x@example.com"));
  REQUIRE_FALSE(after.has_value());
  CHECK(after.error().message() == failed.error().message());
  const auto position_after = store->save_folder_position({"alice", "INBOX", 7, 12});
  REQUIRE_FALSE(position_after.has_value());
  CHECK(position_after.error().message() == failed.error().message());
  const auto committed = store->commit();
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().message() == failed.error().message());

  CHECK(events_of(*store, "a").empty());
  CHECK_FALSE(store->is_suppressed("x@example.com"));
  CHECK(store->open_intents().size() == 1);
  // The message the unit took in is not counted as read: it will be read again.
  CHECK(store->folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 7, 10});
  CHECK(store->mailbox_checks().empty());

  // The same outside a unit: the failed write is its own transaction, and the store goes on.
  REQUIRE_FALSE(store->append(event_of(EventType::replied, "a", "poison@example.com")).has_value());
  REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK(store->open_intents().empty());
  CHECK(events_of(*store, "a").size() == 1);

  const auto unmatched = store->commit();
  REQUIRE_FALSE(unmatched.has_value());
  CHECK(unmatched.error().message() == "commit without begin");
}

TEST_CASE("an intent recorded by a process killed before its outcome is open when the store is opened again") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  {
    ChildProcess child([&](const ChildProcess::Ready& ready) {
      auto store = SqliteStore::open(file, fast_engine());
      const bool done = store && (*store)->record_intent(intent_of("a", "done@example.com", 1)) &&
                        (*store)->begin() && (*store)->append(event_of(EventType::sent, "a", "done@example.com", 1)) &&
                        (*store)->commit() && (*store)->record_intent(intent_of("a", "doubt@example.com", 1));
      ready(done);  // the transport would have the message now
    });
    REQUIRE(child.ready());
    child.kill();
  }
  auto store = open_sqlite(file);
  CHECK(store->open_intents() == std::vector<SendIntent>{intent_of("a", "doubt@example.com", 1)});
  CHECK(events_of(*store, "a") == std::vector<Event>{event_of(EventType::sent, "a", "done@example.com", 1)});
}

TEST_CASE("grouped commits: readers see a group once flushed, a killed writer loses only its open group") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  const SqliteStoreOptions grouped{.durability = StoreDurability::none};
  {
    ChildProcess child([&](const ChildProcess::Ready& ready) {
      auto store = SqliteStore::open(file, grouped);
      bool done = store.has_value();
      for (int i = 0; done && i < 3; ++i) {
        const std::string lead = "kept" + std::to_string(i) + "@example.com";
        done = (*store)->record_intent(intent_of("a", lead, 1)) && (*store)->begin() &&
               (*store)->append(event_of(EventType::sent, "a", lead, 1)) && (*store)->commit();
      }
      done = done && (*store)->flush() && (*store)->record_intent(intent_of("a", "lost@example.com", 1)) &&
             (*store)->append(event_of(EventType::sent, "a", "lost@example.com", 1)) &&
             (*store)->suppress("lost@example.com", "manual");
      ready(done);  // killed with the last group open
    });
    REQUIRE(child.ready());
    auto reading = open_sqlite(file, reader());
    CHECK(events_of(*reading, "a").size() == 3);  // the flushed group, not the open one
    child.kill();
  }
  auto store = open_sqlite(file, grouped);
  CHECK(events_of(*store, "a").size() == 3);
  CHECK(store->open_intents().empty());
  CHECK_FALSE(store->is_suppressed("lost@example.com"));

  // What is written is read back at once by the writer, by readers after a flush, and is kept
  // when the store closes without one.
  REQUIRE(store->append(event_of(EventType::replied, "a", "kept0@example.com", 1)));
  CHECK(events_of(*store, "a").size() == 4);
  auto reading = open_sqlite(file, reader());
  CHECK(events_of(*reading, "a").size() == 3);
  REQUIRE(store->flush());
  CHECK(events_of(*reading, "a").size() == 4);
  REQUIRE(store->flush());  // nothing held: nothing to do
  REQUIRE(store->begin());
  const auto inside = store->flush();
  REQUIRE_FALSE(inside.has_value());
  CHECK(inside.error().message().find("flush inside a unit") != std::string::npos);
  REQUIRE(store->append(event_of(EventType::completed, "a", "kept1@example.com")));
  REQUIRE(store->commit());
  store.reset();
  CHECK(events_of(*reading, "a").size() == 5);
}

TEST_CASE("grouped commits: a unit that fails after a change takes its group with it, and the store goes on") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  refuse_poison(file);
  auto store = open_sqlite(file, {.durability = StoreDurability::none});
  REQUIRE(store->append(event_of(EventType::sent, "a", "first@example.com", 1)));
  REQUIRE(store->flush());
  REQUIRE(store->append(event_of(EventType::sent, "a", "second@example.com", 1)));  // same group as the failure
  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::sent, "a", "third@example.com", 1)));
  const auto failed = store->append(event_of(EventType::replied, "a", "poison@example.com"));
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().message().find("refused by the test") != std::string::npos);
  const auto committed = store->commit();
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().message() == failed.error().message());
  CHECK(events_of(*store, "a") == std::vector<Event>{event_of(EventType::sent, "a", "first@example.com", 1)});
  // Later writes start a group of their own; a write that fails before changing anything
  // leaves it as it was.
  REQUIRE(store->append(event_of(EventType::sent, "a", "fourth@example.com", 1)));
  REQUIRE_FALSE(store->append(event_of(EventType::replied, "a", "poison@example.com")).has_value());
  store.reset();
  auto reading = open_sqlite(file, reader());
  CHECK(events_of(*reading, "a") == std::vector<Event>{event_of(EventType::sent, "a", "first@example.com", 1),
                                                       event_of(EventType::sent, "a", "fourth@example.com", 1)});
}

TEST_CASE("only one engine opens a store at a time, and a killed engine leaves it free") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  {
    auto first = open_sqlite(file);
    const auto second = SqliteStore::open(file, fast_engine());
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code() == Errc::unavailable);
    CHECK(second.error().where().file == file.string());
    CHECK(second.error().message().find("in use by another engine") != std::string::npos);
    CHECK(second.error().message().find("held by process " + std::to_string(getpid())) != std::string::npos);
    // A reader needs no lock.
    auto reading = open_sqlite(file, reader());
    CHECK(reading->campaigns().empty());
  }
  open_sqlite(file).reset();  // free once the first is closed

  ChildProcess holder([&](const ChildProcess::Ready& ready) {
    auto store = SqliteStore::open(file, fast_engine());
    ready(store.has_value());
  });
  REQUIRE(holder.ready());
  const auto refused = SqliteStore::open(file, fast_engine());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("held by process " + std::to_string(holder.pid())) != std::string::npos);
  holder.kill();
  auto after_kill = SqliteStore::open(file, fast_engine());
  CHECK_MESSAGE(after_kill.has_value(), (after_kill ? std::string() : after_kill.error().to_string()));
}

TEST_CASE("a reader sees what an engine committed, while the engine runs, and cannot write") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  auto engine = open_sqlite(file);
  REQUIRE(engine->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  auto reading = open_sqlite(file, reader());
  CHECK(events_of(*reading, "a").size() == 1);

  REQUIRE(engine->append(event_of(EventType::replied, "a", "x@example.com", 1)));
  REQUIRE(engine->begin());
  REQUIRE(engine->append(event_of(EventType::stopped, "a", "x@example.com")));
  CHECK(events_of(*reading, "a").size() == 2);  // not the unit still open
  REQUIRE(engine->commit());
  CHECK(events_of(*reading, "a").size() == 3);

  // A reader's unit is one snapshot: the engine's commits after its begin are not in it.
  REQUIRE(reading->begin());
  CHECK(events_of(*reading, "a").size() == 3);
  REQUIRE(engine->append(event_of(EventType::completed, "a", "y@example.com")));
  CHECK(events_of(*reading, "a").size() == 3);
  REQUIRE(reading->commit());
  CHECK(events_of(*reading, "a").size() == 4);

  const auto write = reading->suppress("x@example.com", "manual");
  REQUIRE_FALSE(write.has_value());
  CHECK(write.error().code() == Errc::invalid_argument);
  CHECK(write.error().message().find("opened for reading") != std::string::npos);
  CHECK_FALSE(reading->record_intent(intent_of("a", "x@example.com", 2)).has_value());
  for (const auto& refused : {reading->save_folder_position({"alice", "INBOX", 1, 1}),
                              reading->record_mailbox_check({"alice", std::nullopt, std::nullopt, ""})}) {
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Errc::invalid_argument);
  }

  // What the engine records of its reading of mailboxes, the reader sees.
  REQUIRE(engine->save_folder_position({"alice", "INBOX", 1, 5}));
  REQUIRE(engine->record_mailbox_check({"alice", utc("2026-12-01T09:00:00Z"), std::nullopt, ""}));
  CHECK(reading->folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 1, 5});
  CHECK(reading->mailbox_checks().size() == 1);
}

TEST_CASE("files that are not outreach stores are refused and left unchanged") {
  TempFolder folder;
  struct Case {
    const char* name;
    std::function<void(const fs::path&)> make;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"garbage", [](const fs::path& path) { write_bytes(path, std::string(5000, 'x') + "not a database"); },
       "not a SQLite database"},
      {"a file with SQLite's first bytes and nothing else of one",
       [](const fs::path& path) { write_bytes(path, std::string("SQLite format 3\0", 16) + std::string(600, '\xff')); },
       "not an outreach store"},
      {"another application's database",
       [](const fs::path& path) {
         raw_execute(path, "PRAGMA application_id = 1234; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi')");
       },
       "another application (application_id 1234)"},
      {"a database without an application id",
       [](const fs::path& path) { raw_execute(path, "CREATE TABLE notes (body TEXT)"); },
       "without outreach's application_id"},
      {"a newer schema",
       [](const fs::path& path) {
         open_sqlite(path).reset();
         raw_execute(path, "PRAGMA user_version = 99");
       },
       "newer version of outreach (schema version 99"},
      {"a damaged store",
       [](const fs::path& path) {
         {
           auto store = open_sqlite(path);
           REQUIRE(store->begin());
           for (int i = 0; i < 300; ++i) REQUIRE(store->append(event_of(EventType::sent, "a", std::to_string(i) + "@x.example", 1)));
           REQUIRE(store->commit());
         }
         // Page 3 onwards are b-tree pages of the tables: their headers become nonsense.
         std::string bytes = bytes_of(path);
         const std::size_t page = static_cast<std::size_t>(sqlite_integer(path, "PRAGMA page_size"));
         REQUIRE(bytes.size() > 6 * page);
         for (std::size_t p = 2; p < 6; ++p) bytes.replace(p * page, 64, std::string(64, '\x7f'));
         write_bytes(path, bytes);
       },
       "damaged"},
  };
  for (const Case& bad : cases) {
    const std::string name = bad.name;
    CAPTURE(name);
    const fs::path file = folder.path() / (std::string(bad.name) + ".db");
    bad.make(file);
    fs::remove(file.string() + "-lock");  // left by the store that made some of them
    const std::string before = bytes_of(file);
    for (const auto& options : {fast_engine(), reader()}) {
      const auto opened = SqliteStore::open(file, options);
      REQUIRE_FALSE(opened.has_value());
      CHECK(opened.error().code() == Errc::invalid_value);
      CHECK(opened.error().where().file == file.string());
      CHECK_MESSAGE(opened.error().message().find(bad.why) != std::string::npos, opened.error().message());
      CHECK(bytes_of(file) == before);
    }
    // A store of ours, even damaged, may have its lock file; a file of someone else gets none.
    if (std::string_view(bad.name) != "a damaged store") CHECK_FALSE(fs::exists(file.string() + "-lock"));
  }

  const auto no_folder = SqliteStore::open(folder.path() / "missing" / "outreach.db", fast_engine());
  REQUIRE_FALSE(no_folder.has_value());
  CHECK(no_folder.error().code() == Errc::not_found);
  CHECK(no_folder.error().message().find("folder") != std::string::npos);
  CHECK_FALSE(fs::exists(folder.path() / "missing"));

  const auto no_file = SqliteStore::open(folder.path() / "absent.db", reader());
  REQUIRE_FALSE(no_file.has_value());
  CHECK(no_file.error().code() == Errc::not_found);
  CHECK_FALSE(fs::exists(folder.path() / "absent.db"));

  const auto a_folder = SqliteStore::open(folder.path(), fast_engine());
  REQUIRE_FALSE(a_folder.has_value());
  CHECK(a_folder.error().message().find("is a folder") != std::string::npos);
}

TEST_CASE("a large store is checked at open but for its event log, whose damage shows when it is read") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  {
    auto store = open_sqlite(file);
    REQUIRE(store->begin());
    // A definition the size of a large campaign's makes the file large.
    REQUIRE(store->save_campaign({"a", std::string(66u << 20, 'x'), "sha256:a", Instant{}}));
    for (int i = 0; i < 300; ++i) {
      REQUIRE(store->append(event_of(EventType::sent, "a", std::to_string(i) + "@x.example", 1)));
      REQUIRE(store->suppress(std::to_string(i) + "@x.example", "manual"));
    }
    REQUIRE(store->commit());
  }
  REQUIRE(fs::file_size(file) > (64u << 20));
  const fs::path copy = folder.path() / "copy.db";
  fs::copy_file(file, copy);
  // The same page damage as above, on a page of the events, then of the suppressions.
  const auto damage = [](const fs::path& path, const char* table) {
    const auto page = static_cast<std::size_t>(sqlite_integer(path, "PRAGMA page_size"));
    const std::string query = std::string("SELECT pageno FROM dbstat WHERE name = '") + table + "' AND pagetype = 'leaf' LIMIT 1";
    const auto number = static_cast<std::size_t>(sqlite_integer(path, query.c_str()));
    std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>((number - 1) * page));
    out.write(std::string(64, '\x7f').data(), 64);
    REQUIRE(out.good());
  };
  damage(file, "events");
  auto store = open_sqlite(file);  // opened: its events are not read yet
  CHECK_FALSE(store->read_error().has_value());
  (void)events_of(*store, "a");
  REQUIRE(store->read_error().has_value());
  CHECK(store->read_error()->message().find("malformed") != std::string::npos);
  const auto write = store->suppress("late@x.example", "manual");
  REQUIRE_FALSE(write.has_value());

  damage(copy, "suppressions");
  const auto refused = SqliteStore::open(copy, fast_engine());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("damaged") != std::string::npos);
}

TEST_CASE("empty files become stores and a version 1 store written by hand is read") {
  TempFolder folder;
  SUBCASE("an empty file") {
    const fs::path file = folder.path() / "empty.db";
    write_bytes(file, "");
    REQUIRE(open_sqlite(file)->append(event_of(EventType::sent, "a", "x@example.com", 1)));
    CHECK(sqlite_integer(file, "PRAGMA user_version") == SqliteStore::schema_version);
    CHECK(sqlite_integer(file, "PRAGMA application_id") == SqliteStore::application_id);
    CHECK(events_of(*open_sqlite(file, reader()), "a").size() == 1);
  }
  SUBCASE("an empty SQLite database (version 0)") {
    const fs::path file = folder.path() / "version0.db";
    raw_execute(file, "PRAGMA page_size = 1024; VACUUM");
    auto reading = SqliteStore::open(file, reader());
    REQUIRE_FALSE(reading.has_value());
    CHECK(reading.error().message().find("not an outreach store yet") != std::string::npos);
    open_sqlite(file).reset();
    CHECK(sqlite_integer(file, "PRAGMA user_version") == SqliteStore::schema_version);
    CHECK(sqlite_integer(file, "SELECT count(*) FROM sqlite_schema WHERE name = 'events'") == 1);
  }
  SUBCASE("version 1, as its schema was first released") {
    const fs::path file = folder.path() / "version1.db";
    raw_execute(file, R"sql(
      PRAGMA journal_mode = WAL;
      BEGIN;
      CREATE TABLE campaigns (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, definition TEXT NOT NULL,
                              fingerprint TEXT NOT NULL, started INTEGER NOT NULL) STRICT;
      CREATE TABLE events (id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, lead TEXT NOT NULL, type TEXT NOT NULL,
                           at INTEGER NOT NULL, line TEXT NOT NULL) STRICT;
      CREATE INDEX events_by_campaign ON events (campaign);
      CREATE INDEX events_by_lead ON events (lead COLLATE NOCASE);
      CREATE TABLE intents (id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, lead TEXT NOT NULL, step INTEGER NOT NULL,
                            mailbox TEXT NOT NULL, message_id TEXT NOT NULL, at INTEGER NOT NULL,
                            UNIQUE (campaign, lead, step)) STRICT;
      CREATE TABLE suppressions (address TEXT PRIMARY KEY, reason TEXT NOT NULL, added INTEGER NOT NULL)
        STRICT, WITHOUT ROWID;
      INSERT INTO campaigns VALUES (1, 'a', '{"name":"a"}', 'sha256:aa', 1764547200000);
      INSERT INTO events VALUES (1, 'a', 'x@example.com', 'sent', 1764579600000,
        '{"type":"sent","at":"2025-12-01T09:00:00Z","campaign":"a","lead":"x@example.com","step":1,"mailbox":"alice","message_id":"<1.x>"}');
      INSERT INTO intents VALUES (1, 'a', 'y@example.com', 1, 'alice', '<1.y>', 1764579600000);
      INSERT INTO suppressions VALUES ('z@example.com', 'complaint', 1764579600000);
      PRAGMA application_id = 1330992210;
      PRAGMA user_version = 1;
      COMMIT;
    )sql");
    auto store = open_sqlite(file);
    REQUIRE(store->campaigns().size() == 1);
    CHECK(store->campaigns()[0].started == utc("2025-12-01T00:00:00Z"));
    const auto events = events_of(*store, "a");
    REQUIRE(events.size() == 1);
    CHECK(events[0].message_id == "<1.x>");
    CHECK(events[0].at == utc("2025-12-01T09:00:00Z"));
    REQUIRE(store->open_intents().size() == 1);
    CHECK(store->open_intents()[0].message_id == "<1.y>");
    CHECK(store->is_suppressed("Z@example.com"));
    REQUIRE(store->append(event_of(EventType::sent, "a", "y@example.com", 1)));
    CHECK(store->open_intents().empty());
  }
}

TEST_CASE("a schema migration is one function, and a failing one leaves the file as it was") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  {
    auto store = open_sqlite(file);
    REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  }
  const auto add_notes = [](detail::sqlite::Connection& connection) -> expected<void> {
    return connection.execute("CREATE TABLE notes (body TEXT NOT NULL); INSERT INTO notes VALUES ('v2')", "notes");
  };
  const auto fails = [](detail::sqlite::Connection& connection) -> expected<void> {
    return connection.execute("CREATE TABLE broken (x); INSERT INTO missing VALUES (1)", "broken");
  };
  std::vector<detail::SqliteMigration> migrations(detail::sqlite_migrations().begin(), detail::sqlite_migrations().end());
  REQUIRE(migrations.size() == static_cast<std::size_t>(SqliteStore::schema_version));
  migrations.push_back(add_notes);
  migrations.push_back(fails);

  const std::int64_t current = SqliteStore::schema_version;
  const std::string before = bytes_of(file);
  {
    auto connection = detail::sqlite::Connection::open(file, SQLITE_OPEN_READWRITE);
    REQUIRE(connection.has_value());
    const auto failed = detail::migrate(*connection, current, migrations, SqliteStore::application_id);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().message().find("upgrading to schema version " + std::to_string(current + 2) +
                                        ": broken: no such table: missing") != std::string::npos);
    CHECK(failed.error().where().file == file.string());
  }
  CHECK(bytes_of(file) == before);
  CHECK(sqlite_integer(file, "PRAGMA user_version") == current);
  CHECK(sqlite_integer(file, "SELECT count(*) FROM sqlite_schema WHERE name IN ('notes', 'broken')") == 0);

  migrations.pop_back();
  {
    auto connection = detail::sqlite::Connection::open(file, SQLITE_OPEN_READWRITE);
    REQUIRE(connection.has_value());
    REQUIRE(detail::migrate(*connection, current, migrations, SqliteStore::application_id));
  }
  CHECK(sqlite_integer(file, "PRAGMA user_version") == current + 1);
  CHECK(sqlite_integer(file, "SELECT count(*) FROM notes") == 1);
  CHECK(sqlite_integer(file, "SELECT count(*) FROM events") == 1);
  // This library reads up to the current version: the upgraded file is now too new for it.
  const auto newer = SqliteStore::open(file, fast_engine());
  REQUIRE_FALSE(newer.has_value());
  CHECK(newer.error().message().find("newer version") != std::string::npos);
}

TEST_CASE("a store of schema version 1 is upgraded on open, and its earlier sends are found by Message-ID") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  make_store_of_version(file, 1);
  raw_execute(file, R"(INSERT INTO events (campaign, lead, type, at, line) VALUES ('a', 'x@example.com', 'sent', 1,
    '{"type":"sent","at":"2026-12-01T00:00:00Z","campaign":"a","lead":"x@example.com","step":2,"message_id":"<m@acme.example>"}'))");
  auto store = open_sqlite(file);
  CHECK(sqlite_integer(file, "PRAGMA user_version") == SqliteStore::schema_version);
  const auto found = store->find_sent("<m@acme.example>");
  REQUIRE(found.has_value());
  CHECK(*found == SentMessage{"a", "x@example.com", 2});
  auto fresh = store->record_received("digest", Instant{});
  REQUIRE(fresh.has_value());
  CHECK(*fresh);
  auto again = store->record_received("digest", Instant{});
  REQUIRE(again.has_value());
  CHECK_FALSE(*again);
}

TEST_CASE("a store of schema version 2 is upgraded on open with its data intact, reads mailboxes from the start and takes requests") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  make_store_of_version(file, 2);
  raw_execute(file, R"sql(
    INSERT INTO campaigns (name, definition, fingerprint, started) VALUES ('a', '{"name":"a"}', 'sha256:aa', 1764547200000);
    INSERT INTO events (campaign, lead, type, at, line, message_id) VALUES ('a', 'x@example.com', 'sent', 1764579600000,
      '{"type":"sent","at":"2025-12-01T09:00:00Z","campaign":"a","lead":"x@example.com","step":1,"mailbox":"alice","message_id":"<1.x>"}',
      '<1.x>');
    INSERT INTO intents (campaign, lead, step, mailbox, message_id, at) VALUES ('a', 'y@example.com', 1, 'alice', '<1.y>', 1764579600000);
    INSERT INTO suppressions VALUES ('z@example.com', 'complaint', 1764579600000);
    INSERT INTO received VALUES ('digest', 1764579600000);
    INSERT INTO inbox (queued, raw) VALUES (1764579600000, CAST('From: w@example.com' AS BLOB));
  )sql");
  REQUIRE(sqlite_integer(file, "PRAGMA user_version") == 2);

  // A reader does not upgrade: the engine opens it first.
  REQUIRE_FALSE(SqliteStore::open(file, reader()).has_value());
  auto store = open_sqlite(file);
  CHECK(sqlite_integer(file, "PRAGMA user_version") == SqliteStore::schema_version);
  CHECK(sqlite_integer(file, "SELECT count(*) FROM sqlite_schema WHERE name IN ('folder_positions', 'mailbox_checks')") == 2);
  CHECK(store->waiting_requests(10).empty());
  CHECK(store->queue_request(R"({"action":"pause","campaign":"a"})", Instant{}).has_value());
  REQUIRE(store->campaigns().size() == 1);
  CHECK(store->campaigns()[0].started == utc("2025-12-01T00:00:00Z"));
  CHECK(events_of(*store, "a").size() == 1);
  CHECK(store->find_sent("<1.x>") == SentMessage{"a", "x@example.com", 1});
  CHECK(keys_of(store->open_intents()) == std::vector<std::string>{"a/y@example.com/1"});
  CHECK(store->is_suppressed("z@example.com"));
  const auto again = store->record_received("digest", Instant{});
  REQUIRE(again.has_value());
  CHECK_FALSE(*again);
  REQUIRE(store->queued(10).size() == 1);
  CHECK(store->queued(10)[0].raw == "From: w@example.com");

  CHECK_FALSE(store->folder_position("alice", "INBOX").has_value());
  CHECK(store->mailbox_checks().empty());
  REQUIRE(store->save_folder_position({"alice", "INBOX", 3, 9}));
  CHECK(store->folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 3, 9});
}

TEST_CASE("the file refuses a UID or UIDVALIDITY outside 32 bits written by another program") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  open_sqlite(file).reset();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  for (const std::string sql : {"INSERT INTO folder_positions VALUES ('alice', 'INBOX', 4294967296, 1)",
                                 "INSERT INTO folder_positions VALUES ('alice', 'INBOX', 1, -1)",
                                 "INSERT INTO folder_positions VALUES ('alice', 'INBOX', 1.5, 1)"}) {
    CAPTURE(sql);
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK);
  }
  CHECK(sqlite3_exec(db, "INSERT INTO folder_positions VALUES ('alice', 'INBOX', 4294967295, 0)", nullptr, nullptr,
                     nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

TEST_CASE("a view of a store read while an engine runs shows its folder positions and checks, and keeps its own") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  auto engine_store = open_sqlite(file);
  REQUIRE(engine_store->save_folder_position({"alice", "INBOX", 1, 5}));
  REQUIRE(engine_store->save_folder_position({"alice", "Bounces", 2, 1}));
  const MailboxCheck alice{"alice", utc("2026-12-01T09:00:00Z"), std::nullopt, ""};
  const MailboxCheck carol{"carol", std::nullopt, utc("2026-12-01T09:00:00Z"), "login refused"};
  REQUIRE(engine_store->record_mailbox_check(alice));
  REQUIRE(engine_store->record_mailbox_check(carol));

  auto reading = open_sqlite(file, reader());
  ReadOnlyView view(*reading);
  CHECK(view.folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 1, 5});
  CHECK(view.mailbox_checks() == std::vector<MailboxCheck>{alice, carol});

  // The view's writes are its own: seen through it, never written to the store.
  REQUIRE(view.save_folder_position({"alice", "INBOX", 1, 8}));
  const MailboxCheck bob{"bob", utc("2026-12-01T09:10:00Z"), std::nullopt, ""};
  const MailboxCheck carol_read{"carol", utc("2026-12-01T09:10:00Z"), std::nullopt, ""};
  REQUIRE(view.record_mailbox_check(bob));
  REQUIRE(view.record_mailbox_check(carol_read));
  CHECK(view.folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 1, 8});
  CHECK(view.folder_position("alice", "Bounces") == FolderPosition{"alice", "Bounces", 2, 1});
  CHECK(view.mailbox_checks() == std::vector<MailboxCheck>{alice, bob, carol_read});
  CHECK(reading->folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 1, 5});
  CHECK(engine_store->mailbox_checks() == std::vector<MailboxCheck>{alice, carol});
}

TEST_CASE("messages handed in beside a running engine wait in its inbox until it takes them out") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  auto engine_store = open_sqlite(file);
  auto inbox_store = open_sqlite(file, inbox());  // no lock: works while the engine holds it
  const std::string with_nul("From: a@example.com\r\n\r\nbody\0tail", 33);
  REQUIRE(inbox_store->queue_received(with_nul, Instant{}));
  REQUIRE(inbox_store->queue_received("second", Instant{}));
  // Nothing else may be written with that access.
  CHECK_FALSE(inbox_store->suppress("a@example.com", "manual").has_value());
  CHECK_FALSE(inbox_store->append(event_of(EventType::completed, "a", "a@example.com")).has_value());
  CHECK_FALSE(inbox_store->save_folder_position({"alice", "INBOX", 1, 1}).has_value());
  CHECK_FALSE(inbox_store->record_mailbox_check({"alice", std::nullopt, std::nullopt, ""}).has_value());
  SqliteStoreOptions read_access = fast_engine();
  read_access.access = StoreAccess::read;
  auto reader = open_sqlite(file, read_access);
  CHECK_FALSE(reader->queue_received("third", Instant{}).has_value());

  auto waiting = engine_store->queued(10);
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[0].raw == with_nul);
  CHECK(waiting[1].raw == "second");
  CHECK(engine_store->queued(1).size() == 1);
  REQUIRE(engine_store->unqueue(waiting[0].id));
  waiting = engine_store->queued(10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].raw == "second");

  // Forgetting an address also drops waiting mail that mentions it.
  REQUIRE(engine_store->queue_received("From: Ann_O <ANN_O@example.com>\r\n\r\nhi", Instant{}));
  REQUIRE(engine_store->queue_received("From: annXo@example.com\r\n\r\nhi", Instant{}));
  const auto erased = engine_store->forget("ann_o@example.com");
  REQUIRE(erased.has_value());
  CHECK(*erased == 1);
  waiting = engine_store->queued(10);
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[1].raw.starts_with("From: annXo"));
}

TEST_CASE("a one-click unsubscribe beside a running engine is one transaction the engine sees at once") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  auto engine_store = open_sqlite(file);
  auto handing_in = open_sqlite(file, inbox());
  const std::string body = R"({"action":"unsubscribe","campaign":"q4","addresses":["ann@example.com"]})";
  const auto id = handing_in->suppress_and_queue("ann@example.com", "unsubscribe", body, Instant{});
  REQUIRE(id.has_value());
  CHECK(engine_store->is_suppressed("ANN@example.com"));
  REQUIRE(engine_store->waiting_requests(10).size() == 1);
  CHECK(engine_store->waiting_requests(10).front().body == body);

  // While the engine holds a unit open, the other writer waits for it (busy timeout) and then
  // goes in after it; with a shorter timeout it fails and leaves nothing half written.
  SqliteStoreOptions impatient = inbox();
  impatient.busy_timeout = std::chrono::milliseconds(50);
  auto hurried = open_sqlite(file, impatient);
  REQUIRE(engine_store->begin());
  REQUIRE(engine_store->append(event_of(EventType::sent, "q4", "bob@example.com", 1)));
  const auto blocked = hurried->suppress_and_queue("bob@example.com", "unsubscribe", body, Instant{});
  CHECK_FALSE(blocked.has_value());
  REQUIRE(engine_store->commit());
  CHECK_FALSE(engine_store->is_suppressed("bob@example.com"));
  CHECK(engine_store->waiting_requests(10).size() == 1);

  // A reader may not write it.
  auto reading = open_sqlite(file, reader());
  CHECK_FALSE(reading->suppress_and_queue("cy@example.com", "unsubscribe", body, Instant{}).has_value());
  CHECK_FALSE(engine_store->is_suppressed("cy@example.com"));
}

TEST_CASE("an engine's write waits on while another process holds the write lock past one busy timeout") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  SqliteStoreOptions brief = fast_engine();
  brief.busy_timeout = std::chrono::milliseconds(100);
  auto engine_store = open_sqlite(file, brief);
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
  const auto hold = [&] { REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK); };
  const auto release = [&] { REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK); };
  SUBCASE("held for several busy timeouts: the write waits, then goes in") {
    hold();
    std::thread releasing([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      release();
    });
    CHECK(engine_store->append(event_of(EventType::sent, "q4", "ann@example.com", 1)));
    releasing.join();
    CHECK(events_of(*engine_store, "q4").size() == 1);
  }
  SUBCASE("held on: the write fails, having written nothing, and the next one goes in") {
    hold();
    const auto refused = engine_store->append(event_of(EventType::sent, "q4", "ann@example.com", 1));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Errc::unavailable);
    release();
    CHECK(events_of(*engine_store, "q4").empty());
    CHECK(engine_store->append(event_of(EventType::sent, "q4", "bob@example.com", 1)));
  }
  sqlite3_close(other);
}

TEST_CASE("requests written beside a running engine wait for it, and whoever asked reads its answer") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  auto engine_store = open_sqlite(file);
  auto asker = open_sqlite(file, inbox());  // no lock: works while the engine holds it
  const auto id = asker->queue_request(R"({"action":"pause","campaign":"q4"})", utc("2026-12-01T09:00:00Z"));
  REQUIRE(id.has_value());
  // Answering is the engine's: the asker may not.
  CHECK_FALSE(asker->answer_request(*id, "{}", utc("2026-12-01T09:00:01Z")).has_value());
  SqliteStoreOptions read_access = fast_engine();
  read_access.access = StoreAccess::read;
  auto reader = open_sqlite(file, read_access);
  CHECK_FALSE(reader->queue_request("{}", Instant{}).has_value());

  const auto waiting = engine_store->waiting_requests(10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].id == *id);
  REQUIRE(engine_store->answer_request(*id, R"({"applied":true})", utc("2026-12-01T09:00:02Z")));
  const auto seen = asker->request(*id);
  REQUIRE(seen.has_value());
  CHECK(seen->answer == R"({"applied":true})");
  CHECK(reader->request(*id) == seen);

  // Answers are dropped a week after they were given, at the next answer.
  const auto later = asker->queue_request(R"({"action":"resume","campaign":"q4"})", utc("2026-12-09T09:00:00Z"));
  REQUIRE(later.has_value());
  REQUIRE(engine_store->answer_request(*later, R"({"applied":true})", utc("2026-12-09T09:00:03Z")));
  CHECK_FALSE(asker->request(*id).has_value());
  CHECK(asker->request(*later).has_value());
}

TEST_CASE("an event line that cannot be read is skipped, reported, and stops every later write") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  {
    auto store = open_sqlite(file);
    for (const char* lead : {"a@example.com", "b@example.com", "c@example.com"}) {
      REQUIRE(store->append(event_of(EventType::sent, "a", lead, 1)));
    }
  }
  raw_execute(file, R"(UPDATE events SET line = '{"type":"sent"' WHERE id = 2)");
  auto store = open_sqlite(file);
  const auto events = events_of(*store, "a");
  REQUIRE(events.size() == 2);
  CHECK(events[1].lead == "c@example.com");
  const auto problem = store->read_error();
  REQUIRE(problem.has_value());
  CHECK(problem->message().find("event 2 cannot be read") != std::string::npos);
  const auto write = store->append(event_of(EventType::completed, "a", "a@example.com"));
  REQUIRE_FALSE(write.has_value());
  CHECK(write.error().message().find("after a failed read") != std::string::npos);
}

TEST_CASE("an engine on a SQLite store writes the same log as on a memory store, and resumes after closing") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  check_engine_resumes([&] { return std::unique_ptr<Store>(open_sqlite(file)); },
                       [&] { return std::unique_ptr<Store>(open_sqlite(file, reader())); });
}

TEST_CASE("an engine on a SQLite store with grouped commits writes the same log, and resumes after closing") {
  TempFolder folder;
  const fs::path file = folder.path() / "outreach.db";
  check_engine_resumes([&] { return std::unique_ptr<Store>(open_sqlite(file, {.durability = StoreDurability::none})); },
                       [&] { return std::unique_ptr<Store>(open_sqlite(file, reader())); });
}

}  // TEST_SUITE
