#include "store/sqlite/sqlite_schema.hpp"

#include <array>
#include <string>

#include "outreach/sqlite_store.hpp"

namespace outreach::detail {

namespace {

// Version 1. Instants are milliseconds since the Unix epoch. STRICT: a value of the wrong type
// is refused instead of converted. No foreign key ties events or intents to campaigns: the
// store port lets an engine write for a campaign it has not saved.
expected<void> create_version_1(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE campaigns (
      id          INTEGER PRIMARY KEY,  -- the order of first saving
      name        TEXT NOT NULL UNIQUE,
      definition  TEXT NOT NULL,        -- JSON, the sequence pinned inline
      fingerprint TEXT NOT NULL,
      started     INTEGER NOT NULL      -- when its leads entered it
    ) STRICT;

    CREATE TABLE events (
      id       INTEGER PRIMARY KEY,     -- the order of appending
      campaign TEXT NOT NULL,
      lead     TEXT NOT NULL,           -- '' for an event of the whole campaign
      type     TEXT NOT NULL,
      at       INTEGER NOT NULL,
      line     TEXT NOT NULL            -- the event as its JSON line, the form read back
    ) STRICT;
    -- Replaying a campaign in order: an index entry ends with the row id.
    CREATE INDEX events_by_campaign ON events (campaign);
    -- Everything about an address (forget), compared the way addresses are.
    CREATE INDEX events_by_lead ON events (lead COLLATE NOCASE);

    -- Sends handed to the transport whose outcome is not recorded yet.
    CREATE TABLE intents (
      id         INTEGER PRIMARY KEY,   -- the order of recording
      campaign   TEXT NOT NULL,
      lead       TEXT NOT NULL,
      step       INTEGER NOT NULL,
      mailbox    TEXT NOT NULL,
      message_id TEXT NOT NULL,
      at         INTEGER NOT NULL,
      UNIQUE (campaign, lead, step)
    ) STRICT;

    CREATE TABLE suppressions (
      address TEXT PRIMARY KEY,         -- in lower case
      reason  TEXT NOT NULL,
      added   INTEGER NOT NULL          -- when it was written (the system clock)
    ) STRICT, WITHOUT ROWID;
  )sql",
                            "cannot create the schema (version 1)");
}

// Received mail: finding the send a message answers, and knowing a message taken in before.
expected<void> create_version_2(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    -- A send by its Message-ID (set on `sent` and `in_doubt` events only, so the index holds
    -- nothing else), including the sends of a file written before this version.
    ALTER TABLE events ADD COLUMN message_id TEXT;
    UPDATE events SET message_id = json_extract(line, '$.message_id')
      WHERE type IN ('sent', 'in_doubt') AND json_valid(line);
    CREATE INDEX events_by_message_id ON events (message_id) WHERE message_id IS NOT NULL;

    CREATE TABLE received (
      fingerprint TEXT PRIMARY KEY,     -- a digest of the message's Message-ID, or of its bytes
      at          INTEGER NOT NULL      -- when it was taken in
    ) STRICT, WITHOUT ROWID;

    -- Received messages handed in while an engine runs, waiting for it to take them in.
    CREATE TABLE inbox (
      id     INTEGER PRIMARY KEY,       -- the order of arrival
      queued INTEGER NOT NULL,          -- when it was handed in
      raw    BLOB NOT NULL              -- the message as received
    ) STRICT;
  )sql",
                            "cannot create the received-mail tables (version 2)");
}

// Reading mailboxes over IMAP: how far each folder was taken in, and each mailbox's last reading.
expected<void> create_version_3(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    -- Every message of the folder up to last_uid under uidvalidity has been taken in. Written in
    -- the unit that takes a message in, so that none is lost or taken in twice.
    CREATE TABLE folder_positions (
      mailbox     TEXT NOT NULL,        -- the mailbox id
      folder      TEXT NOT NULL,        -- the folder's name, as in the settings
      uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 0 AND 4294967295),
      last_uid    INTEGER NOT NULL CHECK (last_uid BETWEEN 0 AND 4294967295),
      PRIMARY KEY (mailbox, folder)
    ) STRICT, WITHOUT ROWID;

    -- The last reading of each mailbox, for status.
    CREATE TABLE mailbox_checks (
      mailbox TEXT PRIMARY KEY,         -- the mailbox id
      checked INTEGER,                  -- when its folders were last read through; NULL: never
      failed  INTEGER,                  -- when the last failure after that happened; NULL: none
      error   TEXT NOT NULL             -- that failure; '' when the last reading succeeded
    ) STRICT, WITHOUT ROWID;
  )sql",
                            "cannot create the mailbox reading tables (version 3)");
}

// Changes asked of a running engine by other processes: pause, suppress, add leads, ...
expected<void> create_version_4(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    -- Answered in the unit that applies the request, so that it is applied exactly once.
    CREATE TABLE requests (
      id       INTEGER PRIMARY KEY,     -- the order of asking, which is the order of applying
      queued   INTEGER NOT NULL,        -- when it was asked
      body     TEXT NOT NULL,           -- what is asked, as JSON
      answered INTEGER,                 -- when the engine answered; NULL while it waits
      answer   TEXT                     -- the answer, as JSON
    ) STRICT;
    CREATE INDEX requests_waiting ON requests (id) WHERE answered IS NULL;
  )sql",
                            "cannot create the requests table (version 4)");
}

// Leads added to a started campaign, kept apart from its definition so that adding a few
// leads to a campaign of a million never rewrites it.
expected<void> create_version_5(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE added_leads (
      id       INTEGER PRIMARY KEY,     -- the order of adding, which is the order in the campaign
      campaign TEXT NOT NULL,
      address  TEXT NOT NULL,           -- the lead's address in lower case (forget)
      lead     TEXT NOT NULL,           -- the lead as its JSON object
      added    INTEGER NOT NULL         -- when it entered the campaign
    ) STRICT;
    CREATE INDEX added_leads_by_campaign ON added_leads (campaign);
    CREATE INDEX added_leads_by_address ON added_leads (address);
  )sql",
                            "cannot create the added leads table (version 5)");
}

// The versions of a campaign's sequence once its steps were edited: `sent` events name the
// version they used, and a lead's thread is rebuilt from the version its first message used.
expected<void> create_version_6(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE sequence_versions (
      campaign    TEXT NOT NULL,
      version     INTEGER NOT NULL CHECK (version >= 1),
      sequence    TEXT NOT NULL,        -- the sequence as JSON
      fingerprint TEXT NOT NULL,
      since       INTEGER NOT NULL,     -- when it took effect
      PRIMARY KEY (campaign, version)
    ) STRICT, WITHOUT ROWID;
  )sql",
                            "cannot create the sequence versions table (version 6)");
}

// Whether each mailbox is disabled, shared by every campaign (and engine) of the store.
expected<void> create_version_7(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE mailbox_states (
      mailbox  TEXT PRIMARY KEY,        -- the mailbox id
      disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
      reason   TEXT NOT NULL,           -- `request`, or the failures that disabled it
      since    INTEGER NOT NULL         -- when it was disabled or enabled
    ) STRICT, WITHOUT ROWID;
  )sql",
                            "cannot create the mailbox states table (version 7)");
}

// Each campaign's latest snapshot: its state after the events up to `through`, so that a start
// replays only the events after it. Only ever a copy of what the events say.
expected<void> create_version_8(sqlite::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE snapshots (
      campaign TEXT PRIMARY KEY,
      through  INTEGER NOT NULL,        -- the id of the last event it includes
      state    BLOB NOT NULL            -- the engine's encoding of the state
    ) STRICT;
  )sql",
                            "cannot create the snapshots table (version 8)");
}

constexpr std::array<SqliteMigration, 8> migrations{&create_version_1, &create_version_2, &create_version_3,
                                                    &create_version_4, &create_version_5, &create_version_6,
                                                    &create_version_7, &create_version_8};
static_assert(static_cast<std::int64_t>(migrations.size()) == SqliteStore::schema_version, "each schema version has its migration");

}  // namespace

std::span<const SqliteMigration> sqlite_migrations() noexcept { return migrations; }

expected<void> migrate(sqlite::Connection& connection, std::int64_t from,
                       std::span<const SqliteMigration> steps, std::int32_t application_id) {
  const auto to = static_cast<std::int64_t>(steps.size());
  if (from == to) return {};
  if (from < 0 || from > to) {
    return fail(Errc::internal, "cannot migrate from schema version " + std::to_string(from) + " to " +
                                    std::to_string(to), Location::in(connection.file()));
  }
  if (auto begun = connection.execute("BEGIN IMMEDIATE", "cannot start the schema upgrade"); !begun) return begun;
  auto upgrade = [&]() -> expected<void> {
    for (std::int64_t version = from; version < to; ++version) {
      if (auto done = steps[static_cast<std::size_t>(version)](connection); !done) {
        return fail(Error(done.error().code(),
                          "upgrading to schema version " + std::to_string(version + 1) + ": " + done.error().message(),
                          done.error().where()));
      }
    }
    // PRAGMA takes no parameters; both values are numbers of ours.
    const std::string stamp = "PRAGMA application_id = " + std::to_string(application_id) +
                              "; PRAGMA user_version = " + std::to_string(to);
    if (auto stamped = connection.execute(stamp.c_str(), "cannot record the schema version"); !stamped) return stamped;
    return connection.execute("COMMIT", "cannot commit the schema upgrade");
  };
  auto upgraded = upgrade();
  if (!upgraded && !sqlite3_get_autocommit(connection.handle())) {
    [[maybe_unused]] const auto rolled_back = connection.execute("ROLLBACK", "cannot roll back the schema upgrade");
  }
  return upgraded;
}

}  // namespace outreach::detail
