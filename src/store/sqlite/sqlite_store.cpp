#include "outreach/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

#include "store/instant_columns.hpp"
#include "store/writable.hpp"
#include "util/ascii.hpp"
#include "util/file_lock.hpp"
#include "store/sqlite/sqlite.hpp"
#include "store/sqlite/sqlite_schema.hpp"

namespace outreach {

namespace {

using detail::sqlite::Connection;
using detail::sqlite::ResetOnExit;
using detail::sqlite::Statement;

// Events read per query when a campaign is replayed: the statement is reset before the visitor
// runs, so no read stays open across it and the visitor may use the store.
constexpr std::int64_t replay_batch = 256;

using detail::instant_of;
using detail::milliseconds_of;

// Every SQLite database starts with these 16 bytes. Checked before SQLite opens a file, so a
// file that is not a database is refused without SQLite touching it.
bool starts_like_sqlite(const std::filesystem::path& path) {
  constexpr char magic[] = "SQLite format 3";  // with its terminating zero: 16 bytes
  char header[sizeof magic] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(header, sizeof header);
  return in.gcount() == static_cast<std::streamsize>(sizeof header) && std::memcmp(header, magic, sizeof magic) == 0;
}

// quick_check's report, which starts with a header line and lists a problem a line, on one line.
std::string one_line(std::string report) {
  constexpr std::string_view header = "*** in database main ***\n";
  if (report.starts_with(header)) report.erase(0, header.size());
  std::replace(report.begin(), report.end(), '\n', ';');
  return report;
}

Error refused(Errc code, const std::string& file, std::string why) {
  return Error(code, std::move(why), Location::in(file));
}

}  // namespace

struct SqliteStore::Impl {
  std::filesystem::path path;
  std::string file;
  SqliteStoreOptions options;
  // Members are destroyed in reverse order: the statements are finalized, then the connection
  // is closed (checkpointing the WAL), then the lock is released.
  std::optional<detail::ExclusiveFileLock> lock;
  Connection connection;
  struct Statements {
    Statement begin_write;
    Statement begin_read;
    Statement commit;
    Statement rollback;
    Statement insert_event;
    Statement close_intent;
    Statement record_intent;
    Statement find_suppression;
    Statement suppress;
    Statement unsuppress;
    Statement list_suppressions;
    Statement campaign_events;
    Statement list_intents;
    Statement save_campaign;
    Statement find_campaign;
    Statement list_campaigns;
    Statement forget_events;
    Statement forget_intents;
    Statement forget_inbox;
    Statement forget_answered_requests;
    Statement forget_waiting_requests;
    Statement forget_added_leads;
    Statement forget_snapshots;
    Statement save_snapshot;
    Statement find_snapshot;
    Statement add_lead;
    Statement list_added_leads;
    Statement add_sequence_version;
    Statement list_sequence_versions;
    Statement find_sent;
    Statement last_step_sent;
    Statement last_event_at;
    Statement lead_events;
    Statement record_received;
    Statement queue_received;
    Statement list_queued;
    Statement unqueue;
    Statement queue_request;
    Statement waiting_requests;
    Statement answer_request;
    Statement find_request;
    Statement drop_old_requests;
    Statement find_folder_position;
    Statement save_folder_position;
    Statement record_mailbox_check;
    Statement list_mailbox_checks;
    Statement save_mailbox_state;
    Statement list_mailbox_states;
  } statements;
  int depth = 0;                        // nested begin() calls not yet committed
  // `StoreDurability::none`: one transaction holds a group of units (a unit that fails after
  // changing something rolls its group back: savepoints, which would undo it alone, copy every
  // page a unit touches).
  bool grouped = false;
  bool group_open = false;
  std::size_t group_units = 0;          // units in the open group
  std::int64_t changes_before_unit = 0;  // sqlite3_total_changes64 when the open unit began
  std::optional<Error> unit_error;      // the first failed write of the open unit
  std::optional<Error> read_failure;    // the first failed read since open

  expected<void> open_file();
  expected<void> check_integrity(std::uintmax_t file_size);
  expected<void> prepare_statements();
  [[nodiscard]] expected<void> writable() const;
  template <class Body>
  expected<void> write(Body&& body);
  template <class Body>
  expected<void> write_handed_in(Body&& body);
  expected<void> insert_request(std::string_view body, Instant at, std::int64_t& id);
  // A unit of writes: its own transaction, or with grouped commits a part of the group's.
  expected<void> start_unit();
  expected<void> begin_write();  // BEGIN IMMEDIATE, waiting on for an engine (see there)
  expected<void> finish_unit();  // commits it (a grouped one once its group is full)
  void undo_unit() noexcept;
  expected<void> commit_group();
  void rollback() noexcept;
  void note_read_failure(Error error);
  // An event's line read back; nothing when it does not parse, the failure kept (`read_error`).
  std::optional<Event> event_of(std::int64_t id, std::string_view line);
  template <class OnRow>
  bool read_rows(Statement& statement, std::string_view doing, OnRow&& on_row);
};

expected<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                         const SqliteStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->file = path.string();
  impl->options = options;
  if (impl->file.empty()) return fail(Errc::invalid_argument, "no store file given");
  if (auto opened = impl->open_file(); !opened) return fail(opened.error());
  if (auto prepared = impl->prepare_statements(); !prepared) return fail(prepared.error());
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

// A file up to this size is checked whole when it is opened (PRAGMA quick_check reads every
// page: about a second per gigabyte when cached, several when not).
constexpr std::uintmax_t checked_whole_below = 64u << 20;

expected<void> SqliteStore::Impl::check_integrity(std::uintmax_t file_size) {
  const auto check = [&](const std::string& pragma) -> expected<void> {
    const auto verdict = connection.text(pragma.c_str(), "cannot check the file");
    if (!verdict) return fail(refused(verdict.error().code(), file, "damaged: " + verdict.error().message()));
    if (*verdict != "ok") return fail(refused(Errc::invalid_value, file, "damaged (PRAGMA quick_check): " + one_line(*verdict)));
    return {};
  };
  if (file_size < checked_whole_below) return check("PRAGMA quick_check(1)");
  // A large store is mostly its event log, which would make every command wait for the whole
  // file: every other table is checked, the events as they are read (a damaged page read is an
  // error the store keeps, and later writes fail with it).
  const auto tables = connection.text("SELECT group_concat(name, ' ') FROM sqlite_schema WHERE type = 'table' AND "
                                      "name <> 'events' AND name NOT GLOB '*[^a-z_]*'",
                                      "cannot check the file");
  if (!tables) return fail(refused(tables.error().code(), file, "damaged: " + tables.error().message()));
  std::string_view rest = *tables;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    if (auto checked = check("PRAGMA quick_check(" + std::string(rest.substr(0, space)) + ")"); !checked) return checked;
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  return {};
}

expected<void> SqliteStore::Impl::open_file() {
  const bool engine = options.access == StoreAccess::engine;

  // 1. The file, or for a new store its folder.
  std::error_code ignored;
  const auto status = std::filesystem::status(path, ignored);
  const bool exists = std::filesystem::exists(status);
  if (exists && !std::filesystem::is_regular_file(status)) {
    return fail(refused(Errc::io_error, file, std::filesystem::is_directory(status)
                                                  ? "is a folder, not a store file"
                                                  : "is not a regular file, so it cannot be a store"));
  }
  if (!exists) {
    if (!engine) return fail(refused(Errc::not_found, file, "no such store (an engine creates it when it opens it)"));
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
    if (!std::filesystem::is_directory(folder, ignored)) {
      return fail(refused(Errc::not_found, file, "cannot create the store: the folder " + folder.string() +
                                                     " does not exist"));
    }
  }
  if (exists && std::filesystem::file_size(path, ignored) > 0 && !starts_like_sqlite(path)) {
    return fail(refused(Errc::invalid_value, file, "not an outreach store: it is not a SQLite database"));
  }

  // 2. Open, then find out what the file is, reading only: a file we refuse stays as it was,
  // with nothing new beside it.
  const int flags = (engine                                   ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                     : options.access == StoreAccess::inbox ? SQLITE_OPEN_READWRITE
                                                             : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOMUTEX;
  auto opened = Connection::open(path, flags);
  if (!opened) return fail(opened.error());
  connection = std::move(*opened);
  const auto timeout = std::clamp<std::chrono::milliseconds::rep>(options.busy_timeout.count(), 0, INT_MAX);
  sqlite3_busy_timeout(connection.handle(), static_cast<int>(timeout));

  std::int64_t version = 0;
  bool blank = false;
  const auto identify = [&]() -> expected<void> {
    const auto application = connection.integer("PRAGMA application_id", "cannot read the file's header");
    if (!application) {
      if (application.error().code() != Errc::invalid_value) return fail(application.error());
      return fail(refused(Errc::invalid_value, file, "not an outreach store: " + application.error().message()));
    }
    const auto user_version = connection.integer("PRAGMA user_version", "cannot read the schema version");
    if (!user_version) return fail(user_version.error());
    const auto tables = connection.integer("SELECT count(*) FROM sqlite_schema", "cannot read the schema");
    if (!tables) return fail(tables.error());
    version = *user_version;
    blank = *application == 0 && version == 0 && *tables == 0;
    if (*application != SqliteStore::application_id && !blank) {
      return fail(refused(Errc::invalid_value, file,
                          *application != 0 ? "not an outreach store: it is a SQLite database of another application "
                                              "(application_id " + std::to_string(*application) + ")"
                                            : "not an outreach store: it is a SQLite database without outreach's "
                                              "application_id"));
    }
    if (version > SqliteStore::schema_version) {
      return fail(refused(Errc::invalid_value, file,
                          "written by a newer version of outreach (schema version " + std::to_string(version) +
                              "; this version reads up to " + std::to_string(SqliteStore::schema_version) +
                              "): open it with that version"));
    }
    return {};
  };
  if (auto identified = identify(); !identified) return identified;

  // 3. The engine lock, before anything is written; then the file is looked at again, since
  // another engine may have changed it until the lock was ours.
  if (engine) {
    auto taken = detail::ExclusiveFileLock::acquire(file + "-lock");
    if (!taken) {
      if (taken.error().code() != Errc::unavailable) return fail(taken.error());
      return fail(refused(Errc::unavailable, file, "in use by another engine (the lock " + file + "-lock is " +
                                                       taken.error().message() +
                                                       "); stop that engine first, or open the store for reading"));
    }
    lock.emplace(std::move(*taken));
    if (auto identified = identify(); !identified) return identified;
  }

  if (options.check_integrity && !blank) {
    if (auto checked = check_integrity(std::filesystem::file_size(path, ignored)); !checked) return checked;
  }
  if (!engine) {
    if (blank) return fail(refused(Errc::invalid_value, file, "not an outreach store yet: the file is empty"));
    if (version < SqliteStore::schema_version) {
      return fail(refused(Errc::invalid_value, file,
                          "written by an older version of outreach (schema version " + std::to_string(version) +
                              "): open it as an engine once to upgrade it"));
    }
  }

  // 4. Ours (or new): WAL, durability, foreign keys, and the schema brought up to date.
  if (engine) {
    const auto mode = connection.text("PRAGMA journal_mode = WAL", "cannot switch to WAL");
    if (!mode) return fail(mode.error());
    if (*mode != "wal") return fail(refused(Errc::io_error, file, "cannot switch to WAL (the journal mode stays " + *mode + ")"));
  }
  // What a commit survives, for every connection that writes (the inbox's requests too).
  if (options.access != StoreAccess::read) {
    // Grouped commits (`none`) are for writes that need a consistent store, not a durable one.
    grouped = engine && options.durability == StoreDurability::none;
    const char* synchronous = options.durability == StoreDurability::power ? "PRAGMA synchronous = FULL"
                              : grouped                                    ? "PRAGMA synchronous = OFF"
                                                                           : "PRAGMA synchronous = NORMAL";
    if (auto set = connection.execute(synchronous, "cannot set the durability"); !set) return set;
    // A group's pages stay in memory until it commits rather than spilling to the WAL one by one.
    if (grouped) {
      if (auto set = connection.execute("PRAGMA cache_size = -262144", "cannot set the cache"); !set) return set;
      if (auto set = connection.execute("PRAGMA temp_store = MEMORY", "cannot set the cache"); !set) return set;
    }
  }
  if (auto set = connection.execute("PRAGMA foreign_keys = ON", "cannot turn foreign keys on"); !set) return set;
  if (engine) {
    return detail::migrate(connection, version, detail::sqlite_migrations(), SqliteStore::application_id);
  }
  return {};
}

// The condition of a request row whose `addresses` hold address ?1 (any case).
#define REQUEST_NAMES_ADDRESS                                                                        \
  "CASE WHEN json_valid(body) THEN EXISTS (SELECT 1 FROM json_each(body, '$.addresses') WHERE "      \
  "lower(value) = lower(?1)) OR EXISTS (SELECT 1 FROM json_each(body, '$.leads') WHERE "            \
  "lower(json_extract(value, '$.email')) = lower(?1)) ELSE 0 END"

expected<void> SqliteStore::Impl::prepare_statements() {
  const std::pair<Statement*, const char*> all[] = {
      {&statements.begin_write, "BEGIN IMMEDIATE"},
      {&statements.begin_read, "BEGIN"},
      {&statements.commit, "COMMIT"},
      {&statements.rollback, "ROLLBACK"},
      {&statements.insert_event,
       "INSERT INTO events (campaign, lead, type, at, line, message_id) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, ''))"},
      {&statements.close_intent, "DELETE FROM intents WHERE campaign = ?1 AND lead = ?2 AND step = ?3"},
      // REPLACE gives a recorded-again intent a new id, so it moves to the end of the order.
      {&statements.record_intent,
       "INSERT OR REPLACE INTO intents (campaign, lead, step, mailbox, message_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&statements.find_suppression, "SELECT 1 FROM suppressions WHERE address = ?1"},
      {&statements.suppress,
       "INSERT INTO suppressions (address, reason, added) VALUES (?1, ?2, ?3) ON CONFLICT (address) DO NOTHING"},
      {&statements.unsuppress, "DELETE FROM suppressions WHERE address = ?1"},
      {&statements.list_suppressions, "SELECT address, reason, added FROM suppressions ORDER BY address"},
      {&statements.campaign_events, "SELECT id, line FROM events WHERE campaign = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
      {&statements.list_intents, "SELECT campaign, lead, step, mailbox, message_id, at FROM intents ORDER BY id"},
      {&statements.save_campaign,
       "INSERT INTO campaigns (name, definition, fingerprint, started) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO "
       "UPDATE SET definition = excluded.definition, fingerprint = excluded.fingerprint, started = excluded.started"},
      {&statements.find_campaign, "SELECT name, definition, fingerprint, started FROM campaigns WHERE name = ?1"},
      {&statements.list_campaigns, "SELECT name, definition, fingerprint, started FROM campaigns ORDER BY id"},
      {&statements.forget_events, "DELETE FROM events WHERE lead = ?1 COLLATE NOCASE"},
      {&statements.forget_intents, "DELETE FROM intents WHERE lead = ?1 COLLATE NOCASE"},
      // Received mail waiting in the inbox that mentions the address anywhere (instr, not LIKE,
      // whose `_` and `%` occur in addresses).
      {&statements.forget_inbox, "DELETE FROM inbox WHERE instr(lower(CAST(raw AS TEXT)), lower(?1)) > 0"},
      // Requests whose `addresses` hold the address: answered ones go; a waiting one loses that
      // address and keeps the others (the forget being applied included). A body that is not
      // JSON names nobody (CASE, so that json_each never reads it).
      {&statements.forget_answered_requests,
       "DELETE FROM requests WHERE answered IS NOT NULL AND " REQUEST_NAMES_ADDRESS},
      {&statements.forget_waiting_requests,
       "UPDATE requests SET body = json_replace(json_replace(body, '$.addresses', json((SELECT json_group_array(value) FROM "
       "json_each(body, '$.addresses') WHERE lower(value) <> lower(?1)))), '$.leads', json((SELECT "
       "json_group_array(json(value)) FROM json_each(body, '$.leads') WHERE lower(json_extract(value, '$.email')) <> "
       "lower(?1)))) WHERE answered IS NULL AND " REQUEST_NAMES_ADDRESS},
      {&statements.forget_added_leads, "DELETE FROM added_leads WHERE address = lower(?1)"},
      {&statements.forget_snapshots, "DELETE FROM snapshots"},
      {&statements.save_snapshot, "INSERT OR REPLACE INTO snapshots (campaign, through, state) VALUES (?1, ?2, ?3)"},
      {&statements.find_snapshot, "SELECT through, state FROM snapshots WHERE campaign = ?1"},
      {&statements.add_lead, "INSERT INTO added_leads (campaign, address, lead, added) VALUES (?1, ?2, ?3, ?4)"},
      // Through added_leads_by_campaign: an index entry ends with the row id.
      {&statements.list_added_leads,
       "SELECT id, address, lead, added FROM added_leads WHERE campaign = ?1 AND id > ?2 ORDER BY id LIMIT ?3"},
      {&statements.add_sequence_version,
       "INSERT INTO sequence_versions (campaign, version, sequence, fingerprint, since) VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&statements.list_sequence_versions,
       "SELECT version, sequence, fingerprint, since FROM sequence_versions WHERE campaign = ?1 ORDER BY version"},
      // Through events_by_message_id.
      {&statements.find_sent, "SELECT line FROM events WHERE message_id = ?1 ORDER BY id LIMIT 1"},
      // Through events_by_lead: a lead's events are few.
      {&statements.last_event_at, "SELECT at FROM events WHERE campaign = ?1 ORDER BY id DESC LIMIT 1"},
      {&statements.lead_events, "SELECT id, line FROM events WHERE lead = ?2 COLLATE NOCASE AND campaign = ?1 ORDER BY id"},
      {&statements.last_step_sent,
       "SELECT line FROM events WHERE lead = ?2 COLLATE NOCASE AND campaign = ?1 AND message_id IS NOT NULL "
       "AND at <= ?3 ORDER BY id DESC LIMIT 1"},
      {&statements.record_received,
       "INSERT INTO received (fingerprint, at) VALUES (?1, ?2) ON CONFLICT (fingerprint) DO NOTHING"},
      {&statements.queue_received, "INSERT INTO inbox (queued, raw) VALUES (?1, ?2)"},
      {&statements.list_queued, "SELECT id, raw, queued FROM inbox WHERE id > ?2 ORDER BY id LIMIT ?1"},
      {&statements.unqueue, "DELETE FROM inbox WHERE id = ?1"},
      {&statements.queue_request, "INSERT INTO requests (queued, body) VALUES (?1, ?2) RETURNING id"},
      // Through requests_waiting.
      {&statements.waiting_requests,
       "SELECT id, queued, body FROM requests WHERE answered IS NULL AND id > ?2 ORDER BY id LIMIT ?1"},
      {&statements.answer_request, "UPDATE requests SET answered = ?2, answer = ?3 WHERE id = ?1 AND answered IS NULL"},
      {&statements.find_request, "SELECT id, queued, body, answered, answer FROM requests WHERE id = ?1"},
      {&statements.drop_old_requests, "DELETE FROM requests WHERE answered IS NOT NULL AND answered < ?1"},
      {&statements.find_folder_position,
       "SELECT uidvalidity, last_uid FROM folder_positions WHERE mailbox = ?1 AND folder = ?2"},
      {&statements.save_folder_position,
       "INSERT INTO folder_positions (mailbox, folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (mailbox, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid"},
      {&statements.record_mailbox_check,
       "INSERT INTO mailbox_checks (mailbox, checked, failed, error) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (mailbox) DO UPDATE SET checked = excluded.checked, failed = excluded.failed, error = excluded.error"},
      {&statements.list_mailbox_checks, "SELECT mailbox, checked, failed, error FROM mailbox_checks ORDER BY mailbox"},
      {&statements.save_mailbox_state,
       "INSERT INTO mailbox_states (mailbox, disabled, reason, since) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (mailbox) DO UPDATE SET disabled = excluded.disabled, reason = excluded.reason, since = excluded.since"},
      {&statements.list_mailbox_states, "SELECT mailbox, disabled, reason, since FROM mailbox_states ORDER BY mailbox"},
  };
  for (const auto& [statement, sql] : all) {
    auto prepared = Statement::prepare(connection, sql);
    if (!prepared) return fail(prepared.error());
    *statement = std::move(*prepared);
  }
  return {};
}

#undef REQUEST_NAMES_ADDRESS

expected<void> SqliteStore::Impl::writable() const { return detail::writable(options.access, read_failure, file); }

template <class Body>
expected<void> SqliteStore::Impl::write(Body&& body) {
  if (auto ready = writable(); !ready) {
    if (depth > 0 && !unit_error) unit_error = ready.error();
    return ready;
  }
  if (depth > 0) {
    // SQLite may have rolled the transaction back by itself after a failure (a full disk, an
    // I/O error): the unit's later writes must not go on as transactions of their own.
    if (unit_error) return fail(*unit_error);
    auto written = body();
    if (!written) unit_error = written.error();
    return written;
  }
  if (auto begun = start_unit(); !begun) return begun;
  auto written = body();
  if (written) written = finish_unit();
  if (!written) undo_unit();
  return written;
}

// A group of about this many units is one transaction with `StoreDurability::none`: its
// commit's cost (the WAL's frames, the locks) is shared by them, and a WAL that grows past the
// cache is checkpointed at the group's end rather than in its middle.
constexpr std::size_t units_per_group = 50000;

// Other processes write to the file too (`serve`'s one-click unsubscribes, `ingest`, requests),
// and a burst of theirs can hold the write lock past one busy timeout on a loaded machine. A unit
// that could not begin has written nothing, so an engine waits on, for up to a dozen busy
// timeouts, rather than stopping on a lock it would get a moment later.
expected<void> SqliteStore::Impl::begin_write() {
  constexpr int engine_patience = 12;
  const int tries = options.access == StoreAccess::engine ? engine_patience : 1;
  for (int attempt = 1;; ++attempt) {
    auto begun = statements.begin_write.run("cannot start a transaction");
    if (begun || begun.error().code() != Errc::unavailable || attempt >= tries) return begun;
  }
}

expected<void> SqliteStore::Impl::start_unit() {
  if (!grouped) return begin_write();
  // SQLite rolls a transaction back by itself after some failures (a full disk, an I/O error):
  // the group's units are gone, which must not pass unsaid.
  if (group_open && sqlite3_get_autocommit(connection.handle()) != 0) {
    group_open = false;
    return fail(connection.error(SQLITE_ABORT, "the group of writes was rolled back"));
  }
  if (!group_open) {
    if (auto begun = begin_write(); !begun) return begun;
    group_open = true;
    group_units = 0;
  }
  changes_before_unit = sqlite3_total_changes64(connection.handle());
  return {};
}

expected<void> SqliteStore::Impl::finish_unit() {
  if (!grouped) return statements.commit.run("cannot commit");
  return ++group_units < units_per_group ? expected<void>{} : commit_group();
}

void SqliteStore::Impl::undo_unit() noexcept {
  // A statement that fails undoes its own changes: a unit that changed nothing before it leaves
  // its group as it was.
  if (grouped && group_open && sqlite3_get_autocommit(connection.handle()) == 0 &&
      sqlite3_total_changes64(connection.handle()) == changes_before_unit) {
    return;
  }
  rollback();
  group_open = false;
}

expected<void> SqliteStore::Impl::commit_group() {
  if (!group_open) return {};
  group_open = false;
  if (sqlite3_get_autocommit(connection.handle()) != 0) {
    return fail(connection.error(SQLITE_ABORT, "the group of writes was rolled back"));
  }
  auto committed = statements.commit.run("cannot commit");
  if (!committed) rollback();
  return committed;
}

void SqliteStore::Impl::rollback() noexcept {
  if (sqlite3_get_autocommit(connection.handle()) != 0) return;  // nothing open (SQLite may have rolled back)
  [[maybe_unused]] const auto rolled_back = statements.rollback.run("cannot roll back");
}

void SqliteStore::Impl::note_read_failure(Error error) {
  if (!read_failure) read_failure = std::move(error);
}

template <class OnRow>
bool SqliteStore::Impl::read_rows(Statement& statement, std::string_view doing, OnRow&& on_row) {
  const ResetOnExit reset(statement);
  for (;;) {
    const auto row = statement.step(doing);
    if (!row) {
      note_read_failure(row.error());
      return false;
    }
    if (!*row) return true;
    on_row(statement);
  }
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() {
  // Grouped units are kept when the store closes: whole ones (one still open is undone).
  Impl& impl = *impl_;
  if (!impl.group_open) return;
  if (impl.depth > 0) impl.undo_unit();
  [[maybe_unused]] const auto committed = impl.commit_group();
}

expected<void> SqliteStore::flush() {
  Impl& impl = *impl_;
  if (impl.depth > 0) return fail(refused(Errc::invalid_argument, impl.file, "flush inside a unit of writes"));
  return impl.commit_group();
}

expected<void> SqliteStore::append(const Event& event) {
  const std::string line = to_json_line(event);
  return impl_->write([&]() -> expected<void> {
    auto& insert = impl_->statements.insert_event;
    insert.bind_all(std::string_view(event.campaign), std::string_view(event.lead), to_string(event.type),
                    milliseconds_of(event.at), std::string_view(line),
                    went_out(event.type) ? std::string_view(event.message_id) : std::string_view());
    if (auto inserted = insert.run("cannot append the event"); !inserted) return inserted;
    if (!is_send_outcome(event.type)) return {};
    auto& close = impl_->statements.close_intent;
    close.bind_all(std::string_view(event.campaign), std::string_view(event.lead), event.step);
    return close.run("cannot close the send's intent");
  });
}

expected<void> SqliteStore::record_intent(const SendIntent& intent) {
  return impl_->write([&]() -> expected<void> {
    auto& record = impl_->statements.record_intent;
    record.bind_all(std::string_view(intent.campaign), std::string_view(intent.lead), intent.step,
                    std::string_view(intent.mailbox), std::string_view(intent.message_id), milliseconds_of(intent.at));
    return record.run("cannot record the send's intent");
  });
}

expected<void> SqliteStore::begin() {
  Impl& impl = *impl_;
  if (impl.depth++ > 0) return {};
  impl.unit_error.reset();
  // A reader's unit is a read transaction: what it reads comes from one snapshot.
  if (impl.options.access != StoreAccess::engine) return impl.statements.begin_read.run("cannot start a read");
  if (auto ready = impl.writable(); !ready) {
    impl.unit_error = ready.error();
    return ready;
  }
  auto begun = impl.start_unit();
  if (!begun) impl.unit_error = begun.error();
  return begun;
}

expected<void> SqliteStore::commit() {
  Impl& impl = *impl_;
  if (impl.depth == 0) return fail(refused(Errc::invalid_argument, impl.file, "commit without begin"));
  if (--impl.depth > 0) return {};
  if (impl.unit_error) {
    Error error = std::move(*impl.unit_error);
    impl.unit_error.reset();
    impl.undo_unit();
    return fail(std::move(error));
  }
  if (sqlite3_get_autocommit(impl.connection.handle()) != 0) return {};  // a reader's failed begin
  auto committed = impl.finish_unit();  // a reader's unit (never grouped) ends its read
  if (!committed) impl.undo_unit();
  return committed;
}

bool SqliteStore::is_suppressed(std::string_view address) const {
  const std::string key = detail::ascii_lower(address);
  auto& find = impl_->statements.find_suppression;
  find.bind_all(std::string_view(key));
  bool found = false;
  // When the list cannot be read, the address counts as suppressed: not sending is the safe side.
  if (!impl_->read_rows(find, "cannot read the suppression list", [&](const Statement&) { found = true; })) return true;
  return found;
}

expected<void> SqliteStore::suppress(std::string_view address, std::string_view reason) {
  const std::string key = detail::ascii_lower(address);
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return impl_->write([&]() -> expected<void> {
    auto& insert = impl_->statements.suppress;
    insert.bind_all(std::string_view(key), reason, milliseconds_of(now));
    return insert.run("cannot add to the suppression list");
  });
}

expected<void> SqliteStore::unsuppress(std::string_view address) {
  const std::string key = detail::ascii_lower(address);
  return impl_->write([&]() -> expected<void> {
    auto& remove = impl_->statements.unsuppress;
    remove.bind_all(std::string_view(key));
    return remove.run("cannot remove from the suppression list");
  });
}

std::vector<Suppression> SqliteStore::suppressions() const {
  std::vector<Suppression> out;
  impl_->read_rows(impl_->statements.list_suppressions, "cannot read the suppression list",
                   [&](const Statement& row) {
                     out.push_back({std::string(row.text(0)), std::string(row.text(1)), instant_of(row.integer(2))});
                   });
  return out;
}

expected<void> SqliteStore::add_leads(std::string_view campaign, const std::vector<AddedLead>& leads) {
  return impl_->write([&]() -> expected<void> {
    auto& insert = impl_->statements.add_lead;
    for (const AddedLead& lead : leads) {
      insert.bind_all(campaign, std::string_view(lead.address), std::string_view(lead.lead), milliseconds_of(lead.added));
      if (auto done = insert.run("cannot add the lead"); !done) return done;
    }
    return {};
  });
}

void SqliteStore::for_each_added_lead(std::string_view campaign,
                                      const std::function<void(const AddedLead&)>& visit) const {
  // In batches, as events are: `visit` may read the store too.
  std::vector<std::pair<std::int64_t, AddedLead>> batch;
  std::int64_t after = INT64_MIN;
  do {
    batch.clear();
    auto& select = impl_->statements.list_added_leads;
    select.bind_all(campaign, after, replay_batch);
    if (!impl_->read_rows(select, "cannot read the added leads", [&](const Statement& row) {
          batch.emplace_back(row.integer(0), AddedLead{.address = std::string(row.text(1)),
                                                       .lead = std::string(row.text(2)),
                                                       .added = instant_of(row.integer(3))});
        })) {
      return;
    }
    for (const auto& [id, lead] : batch) visit(lead);
    if (!batch.empty()) after = batch.back().first;
  } while (static_cast<std::int64_t>(batch.size()) == replay_batch);
}

expected<void> SqliteStore::save_sequence_version(std::string_view campaign, const SequenceVersion& version) {
  return impl_->write([&]() -> expected<void> {
    auto& insert = impl_->statements.add_sequence_version;
    insert.bind_all(campaign, static_cast<std::int64_t>(version.version), std::string_view(version.sequence),
                    std::string_view(version.fingerprint), milliseconds_of(version.since));
    return insert.run("cannot keep the sequence version");
  });
}

std::vector<SequenceVersion> SqliteStore::sequence_versions(std::string_view campaign) const {
  std::vector<SequenceVersion> versions;
  auto& select = impl_->statements.list_sequence_versions;
  select.bind_all(campaign);
  impl_->read_rows(select, "cannot read the sequence versions", [&](const Statement& row) {
    versions.push_back({static_cast<int>(row.integer(0)), std::string(row.text(1)), std::string(row.text(2)),
                        instant_of(row.integer(3))});
  });
  return versions;
}

void SqliteStore::for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const {
  for_each_event_after(campaign, INT64_MIN, [&](std::int64_t, const Event& event) { visit(event); });
}

void SqliteStore::for_each_event_after(std::string_view campaign, std::int64_t after,
                                       const std::function<void(std::int64_t, const Event&)>& visit) const {
  std::vector<std::pair<std::int64_t, std::string>> batch;
  for (;;) {
    batch.clear();
    auto& select = impl_->statements.campaign_events;
    select.bind_all(campaign, after, replay_batch);
    const bool read = impl_->read_rows(select, "cannot read the events", [&](const Statement& row) {
      batch.emplace_back(row.integer(0), std::string(row.text(1)));
    });
    for (const auto& [id, line] : batch) {
      auto event = impl_->event_of(id, line);
      if (!event) continue;
      visit(id, *event);
    }
    if (!read || static_cast<std::int64_t>(batch.size()) < replay_batch) return;
    after = batch.back().first;
  }
}

EventPage SqliteStore::events_after(std::string_view campaign, std::int64_t after, std::size_t limit) const {
  std::vector<std::pair<std::int64_t, std::string>> rows;
  auto& select = impl_->statements.campaign_events;
  select.bind_all(campaign, after, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  impl_->read_rows(select, "cannot read the events",
                   [&](const Statement& row) { rows.emplace_back(row.integer(0), std::string(row.text(1))); });
  EventPage page;
  page.next = rows.empty() ? after : rows.back().first;
  page.events.reserve(rows.size());
  for (const auto& [id, line] : rows) {
    auto event = impl_->event_of(id, line);
    if (!event) continue;
    page.events.emplace_back(id, std::move(*event));
  }
  return page;
}

std::optional<Event> SqliteStore::Impl::event_of(std::int64_t id, std::string_view line) {
  auto event = parse_event_line(line);
  if (event) return std::move(*event);
  note_read_failure(refused(event.error().code(), file,
                            "event " + std::to_string(id) + " cannot be read: " + event.error().to_string()));
  return std::nullopt;
}

std::optional<Instant> SqliteStore::last_event_at(std::string_view campaign) const {
  std::optional<Instant> last;
  auto& find = impl_->statements.last_event_at;
  find.bind_all(campaign);
  impl_->read_rows(find, "cannot read the events", [&](const Statement& row) { last = instant_of(row.integer(0)); });
  return last;
}

void SqliteStore::for_each_lead_event(std::string_view campaign, std::string_view lead,
                                      const std::function<void(const Event&)>& visit) const {
  std::vector<std::pair<std::int64_t, std::string>> rows;
  auto& select = impl_->statements.lead_events;
  select.bind_all(campaign, lead);
  impl_->read_rows(select, "cannot read the events",
                   [&](const Statement& row) { rows.emplace_back(row.integer(0), std::string(row.text(1))); });
  for (const auto& [id, line] : rows) {
    auto event = impl_->event_of(id, line);
    if (!event) continue;
    visit(*event);
  }
}

expected<void> SqliteStore::save_snapshot(std::string_view campaign, const CampaignSnapshot& snapshot) {
  return impl_->write([&]() -> expected<void> {
    auto& save = impl_->statements.save_snapshot;
    save.bind_all(campaign, snapshot.through, detail::sqlite::Blob{snapshot.state});
    return save.run("cannot save the campaign's snapshot");
  });
}

std::optional<CampaignSnapshot> SqliteStore::snapshot(std::string_view campaign) const {
  std::optional<CampaignSnapshot> found;
  auto& find = impl_->statements.find_snapshot;
  find.bind_all(campaign);
  impl_->read_rows(find, "cannot read the campaign's snapshot", [&](const Statement& row) {
    found = CampaignSnapshot{.through = row.integer(0), .state = std::string(row.blob(1))};
  });
  return found;
}

std::vector<SendIntent> SqliteStore::open_intents() const {
  std::vector<SendIntent> out;
  impl_->read_rows(impl_->statements.list_intents, "cannot read the open intents", [&](const Statement& row) {
    out.push_back(SendIntent{.campaign = std::string(row.text(0)),
                             .lead = std::string(row.text(1)),
                             .step = static_cast<int>(row.integer(2)),
                             .mailbox = std::string(row.text(3)),
                             .message_id = std::string(row.text(4)),
                             .at = instant_of(row.integer(5))});
  });
  return out;
}

expected<void> SqliteStore::save_campaign(const StoredCampaign& campaign) {
  return impl_->write([&]() -> expected<void> {
    auto& save = impl_->statements.save_campaign;
    save.bind_all(std::string_view(campaign.name), std::string_view(campaign.definition),
                  std::string_view(campaign.fingerprint), milliseconds_of(campaign.started));
    return save.run("cannot save the campaign");
  });
}

namespace {

StoredCampaign campaign_of(const Statement& row) {
  return StoredCampaign{.name = std::string(row.text(0)),
                        .definition = std::string(row.text(1)),
                        .fingerprint = std::string(row.text(2)),
                        .started = instant_of(row.integer(3))};
}

}  // namespace

std::optional<StoredCampaign> SqliteStore::campaign(std::string_view name) const {
  std::optional<StoredCampaign> found;
  auto& find = impl_->statements.find_campaign;
  find.bind_all(name);
  impl_->read_rows(find, "cannot read the campaign", [&](const Statement& row) { found = campaign_of(row); });
  return found;
}

std::vector<StoredCampaign> SqliteStore::campaigns() const {
  std::vector<StoredCampaign> out;
  impl_->read_rows(impl_->statements.list_campaigns, "cannot read the campaigns",
                   [&](const Statement& row) { out.push_back(campaign_of(row)); });
  return out;
}

expected<std::size_t> SqliteStore::forget(std::string_view address) {
  std::size_t erased = 0;
  auto written = impl_->write([&]() -> expected<void> {
    erased = 0;
    for (Statement* erase :
         {&impl_->statements.forget_events, &impl_->statements.forget_intents, &impl_->statements.forget_inbox,
          &impl_->statements.forget_answered_requests, &impl_->statements.forget_waiting_requests,
          &impl_->statements.forget_added_leads}) {
      erase->bind_all(address);
      if (auto done = erase->run("cannot erase the address's records"); !done) return done;
      erased += static_cast<std::size_t>(erase->changes());
    }
    // The snapshots were made of the erased events: the next start replays the logs as they are.
    return impl_->statements.forget_snapshots.run("cannot drop the snapshots");
  });
  if (!written) return fail(written.error());
  return erased;
}

std::optional<SentMessage> SqliteStore::find_sent(std::string_view message_id) const {
  std::optional<SentMessage> found;
  auto& find = impl_->statements.find_sent;
  find.bind_all(message_id);
  impl_->read_rows(find, "cannot read the sends", [&](const Statement& row) {
    if (auto event = parse_event_line(row.text(0))) found = SentMessage{event->campaign, event->lead, event->step};
  });
  return found;
}

std::optional<int> SqliteStore::last_step_sent(std::string_view campaign, std::string_view lead,
                                               Instant at_or_before) const {
  std::optional<int> step;
  auto& find = impl_->statements.last_step_sent;
  find.bind_all(campaign, lead, milliseconds_of(at_or_before));
  impl_->read_rows(find, "cannot read the sends", [&](const Statement& row) {
    if (auto event = parse_event_line(row.text(0))) step = event->step;
  });
  return step;
}

expected<bool> SqliteStore::record_received(std::string_view fingerprint, Instant at) {
  bool added = false;
  auto written = impl_->write([&]() -> expected<void> {
    auto& record = impl_->statements.record_received;
    record.bind_all(fingerprint, milliseconds_of(at));
    if (auto done = record.run("cannot record the received message"); !done) return done;
    added = record.changes() > 0;
    return {};
  });
  if (!written) return fail(written.error());
  return added;
}

expected<void> SqliteStore::queue_received(std::string_view raw, Instant at) {
  return impl_->write_handed_in([&]() -> expected<void> {
    auto& queue = impl_->statements.queue_received;
    queue.bind_all(milliseconds_of(at), detail::sqlite::Blob{raw});
    return queue.run("cannot hand the message to the engine");
  });
}

std::vector<QueuedMessage> SqliteStore::queued(std::size_t limit, std::int64_t after) const {
  std::vector<QueuedMessage> out;
  auto& list = impl_->statements.list_queued;
  list.bind_all(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)), after);
  impl_->read_rows(list, "cannot read the inbox", [&](const Statement& row) {
    out.push_back(QueuedMessage{.id = row.integer(0), .raw = std::string(row.blob(1)), .queued = instant_of(row.integer(2))});
  });
  return out;
}

expected<void> SqliteStore::unqueue(std::int64_t id) {
  return impl_->write([&]() -> expected<void> {
    auto& remove = impl_->statements.unqueue;
    remove.bind_all(id);
    return remove.run("cannot take the message out of the inbox");
  });
}

// The request's row, its id into `id`; or the error (the caller's transaction rolls back).
expected<void> SqliteStore::Impl::insert_request(std::string_view body, Instant at, std::int64_t& id) {
  auto& insert = statements.queue_request;
  insert.bind_all(milliseconds_of(at), body);
  auto row = insert.step("cannot write the request");
  if (!row || !*row) {  // RETURNING gives a row, unless the insert failed
    insert.reset();
    return fail(row ? connection.error(SQLITE_ERROR, "cannot write the request") : row.error());
  }
  id = insert.integer(0);
  return insert.run("cannot write the request");  // steps to the end, and resets
}

// What is handed to the engine (received mail, requests) is all inbox access writes: in a
// transaction of its own, not through `write`, which refuses that access.
template <class Body>
expected<void> SqliteStore::Impl::write_handed_in(Body&& body) {
  if (options.access == StoreAccess::read) return writable();
  if (options.access == StoreAccess::engine) return write(body);
  if (auto begun = start_unit(); !begun) return begun;  // never grouped: a transaction of its own
  auto written = body();
  if (written) written = finish_unit();
  if (!written) undo_unit();
  return written;
}

expected<std::int64_t> SqliteStore::queue_request(std::string_view body, Instant at) {
  std::int64_t id = 0;
  auto written = impl_->write_handed_in([&] { return impl_->insert_request(body, at, id); });
  if (!written) return fail(written.error());
  return id;
}

expected<std::int64_t> SqliteStore::suppress_and_queue(std::string_view address, std::string_view reason,
                                                       std::string_view body, Instant at) {
  const std::string key = detail::ascii_lower(address);
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::int64_t id = 0;
  auto written = impl_->write_handed_in([&]() -> expected<void> {
    auto& insert = impl_->statements.suppress;
    insert.bind_all(std::string_view(key), reason, milliseconds_of(now));
    if (auto done = insert.run("cannot add to the suppression list"); !done) return done;
    if (insert.changes() == 0) return {};  // on the list already: nothing more to ask
    return impl_->insert_request(body, at, id);
  });
  if (!written) return fail(written.error());
  return id;
}

std::vector<StoredRequest> SqliteStore::waiting_requests(std::size_t limit, std::int64_t after) const {
  std::vector<StoredRequest> out;
  auto& list = impl_->statements.waiting_requests;
  list.bind_all(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)), after);
  impl_->read_rows(list, "cannot read the requests", [&](const Statement& row) {
    out.push_back(StoredRequest{
        .id = row.integer(0), .body = std::string(row.text(2)), .queued = instant_of(row.integer(1)), .answered = {}, .answer = {}});
  });
  return out;
}

expected<void> SqliteStore::answer_request(std::int64_t id, std::string_view answer, Instant at) {
  // Answers are read within moments by whoever asked; a week later they only take room.
  constexpr std::chrono::hours kept{7 * 24};
  return impl_->write([&]() -> expected<void> {
    auto& record = impl_->statements.answer_request;
    record.bind_all(id, milliseconds_of(at), answer);
    if (auto done = record.run("cannot record the request's answer"); !done) return done;
    if (record.changes() == 0) {
      return fail(refused(Errc::not_found, impl_->file, "no waiting request " + std::to_string(id)));
    }
    auto& drop = impl_->statements.drop_old_requests;
    drop.bind_all(milliseconds_of(at - kept));
    return drop.run("cannot drop old requests");
  });
}

std::optional<StoredRequest> SqliteStore::request(std::int64_t id) const {
  std::optional<StoredRequest> found;
  auto& find = impl_->statements.find_request;
  find.bind_all(id);
  impl_->read_rows(find, "cannot read the request", [&](const Statement& row) {
    found = StoredRequest{.id = row.integer(0),
                          .body = std::string(row.text(2)),
                          .queued = instant_of(row.integer(1)),
                          .answered = instant_of(row.optional_integer(3)),
                          .answer = std::string(row.text(4))};
  });
  return found;
}

std::optional<FolderPosition> SqliteStore::folder_position(std::string_view mailbox, std::string_view folder) const {
  std::optional<FolderPosition> found;
  auto& find = impl_->statements.find_folder_position;
  find.bind_all(mailbox, folder);
  impl_->read_rows(find, "cannot read the folder's position", [&](const Statement& row) {
    // The table's CHECKs keep both within 32 bits.
    found = FolderPosition{.mailbox = std::string(mailbox),
                           .folder = std::string(folder),
                           .uidvalidity = static_cast<std::uint32_t>(row.integer(0)),
                           .last_uid = static_cast<std::uint32_t>(row.integer(1))};
  });
  return found;
}

expected<void> SqliteStore::save_folder_position(const FolderPosition& position) {
  return impl_->write([&]() -> expected<void> {
    auto& save = impl_->statements.save_folder_position;
    save.bind_all(std::string_view(position.mailbox), std::string_view(position.folder),
                  std::int64_t{position.uidvalidity}, std::int64_t{position.last_uid});
    return save.run("cannot record the folder's position");
  });
}

expected<void> SqliteStore::record_mailbox_check(const MailboxCheck& check) {
  return impl_->write([&]() -> expected<void> {
    auto& record = impl_->statements.record_mailbox_check;
    record.bind_all(std::string_view(check.mailbox), milliseconds_of(check.checked), milliseconds_of(check.failed),
                    std::string_view(check.error));
    return record.run("cannot record the mailbox's check");
  });
}

std::vector<MailboxCheck> SqliteStore::mailbox_checks() const {
  std::vector<MailboxCheck> out;
  impl_->read_rows(impl_->statements.list_mailbox_checks, "cannot read the mailbox checks", [&](const Statement& row) {
    out.push_back(MailboxCheck{.mailbox = std::string(row.text(0)),
                               .checked = instant_of(row.optional_integer(1)),
                               .failed = instant_of(row.optional_integer(2)),
                               .error = std::string(row.text(3))});
  });
  return out;
}

expected<void> SqliteStore::save_mailbox_state(const MailboxState& state) {
  return impl_->write([&]() -> expected<void> {
    auto& save = impl_->statements.save_mailbox_state;
    save.bind_all(std::string_view(state.mailbox), static_cast<std::int64_t>(state.disabled ? 1 : 0),
                  std::string_view(state.reason), milliseconds_of(state.since));
    return save.run("cannot keep the mailbox's state");
  });
}

std::vector<MailboxState> SqliteStore::mailbox_states() const {
  std::vector<MailboxState> out;
  impl_->read_rows(impl_->statements.list_mailbox_states, "cannot read the mailbox states", [&](const Statement& row) {
    out.push_back(MailboxState{.mailbox = std::string(row.text(0)),
                               .disabled = row.integer(1) != 0,
                               .reason = std::string(row.text(2)),
                               .since = instant_of(row.integer(3))});
  });
  return out;
}

const std::filesystem::path& SqliteStore::path() const noexcept { return impl_->path; }

const SqliteStoreOptions& SqliteStore::options() const noexcept { return impl_->options; }

std::optional<Error> SqliteStore::read_error() const { return impl_->read_failure; }

StoreAccess SqliteStore::access() const noexcept { return impl_->options.access; }

}  // namespace outreach
