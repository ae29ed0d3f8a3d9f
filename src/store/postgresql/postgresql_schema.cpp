#include "store/postgresql/postgresql_schema.hpp"

#include <array>

namespace outreach::detail {

namespace {

using Migration = expected<void> (*)(pg::Connection& connection);

// The application named in `meta`: a schema `outreach` that says otherwise is not ours.
constexpr const char* application = "outreach";
// The key of the transaction-level advisory lock that one migration at a time holds.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(1330992210, 2)";

// Version 1: what the SQLite store holds at its version 7, in one step. Instants are
// milliseconds since the Unix epoch (the engine's clock, which may be a simulation's); the
// order of rows is their identity column. No foreign key ties events or intents to campaigns:
// the store port lets an engine write for a campaign it has not saved.
expected<void> create_version_1(pg::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE outreach.campaigns (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- the order of first saving
      name        text NOT NULL UNIQUE,
      definition  text NOT NULL,        -- JSON, the sequence pinned inline
      fingerprint text NOT NULL,
      started     bigint NOT NULL       -- when its leads entered it
    );

    CREATE TABLE outreach.events (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- the order of appending
      campaign   text NOT NULL,
      lead       text NOT NULL,         -- '' for an event of the whole campaign
      type       text NOT NULL,
      at         bigint NOT NULL,
      line       text NOT NULL,         -- the event as its JSON line, the form read back
      message_id text                   -- set on `sent` and `in_doubt` only
    );
    CREATE INDEX events_by_campaign ON outreach.events (campaign, id);
    CREATE INDEX events_by_lead ON outreach.events (lower(lead));
    CREATE INDEX events_by_message_id ON outreach.events (message_id) WHERE message_id IS NOT NULL;

    -- Sends handed to the transport whose outcome is not recorded yet.
    CREATE TABLE outreach.intents (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- the order of recording
      campaign   text NOT NULL,
      lead       text NOT NULL,
      step       integer NOT NULL,
      mailbox    text NOT NULL,
      message_id text NOT NULL,
      at         bigint NOT NULL,
      UNIQUE (campaign, lead, step)
    );
    CREATE INDEX intents_by_lead ON outreach.intents (lower(lead));

    CREATE TABLE outreach.suppressions (
      address text PRIMARY KEY,         -- in lower case
      reason  text NOT NULL,
      added   bigint NOT NULL           -- when it was written (the system clock)
    );

    CREATE TABLE outreach.received (
      fingerprint text PRIMARY KEY,     -- a digest of the message's Message-ID, or of its bytes
      at          bigint NOT NULL       -- when it was taken in
    );

    -- Received messages handed in while an engine runs, waiting for it to take them in.
    CREATE TABLE outreach.inbox (
      id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,       -- the order of arrival
      queued bigint NOT NULL,           -- when it was handed in
      raw    bytea NOT NULL             -- the message as received
    );

    -- Every message of the folder up to last_uid under uidvalidity has been taken in.
    CREATE TABLE outreach.folder_positions (
      mailbox     text NOT NULL,
      folder      text NOT NULL,
      uidvalidity bigint NOT NULL CHECK (uidvalidity BETWEEN 0 AND 4294967295),
      last_uid    bigint NOT NULL CHECK (last_uid BETWEEN 0 AND 4294967295),
      PRIMARY KEY (mailbox, folder)
    );

    CREATE TABLE outreach.mailbox_checks (
      mailbox text PRIMARY KEY,
      checked bigint,                   -- when its folders were last read through; NULL: never
      failed  bigint,                   -- when the last failure after that happened; NULL: none
      error   text NOT NULL             -- that failure; '' when the last reading succeeded
    );

    -- Answered in the unit that applies the request, so that it is applied exactly once.
    CREATE TABLE outreach.requests (
      id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,     -- the order of asking
      queued   bigint NOT NULL,
      body     text NOT NULL,           -- what is asked, as JSON
      answered bigint,                  -- when the engine answered; NULL while it waits
      answer   text
    );
    CREATE INDEX requests_waiting ON outreach.requests (id) WHERE answered IS NULL;

    CREATE TABLE outreach.added_leads (
      id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,     -- the order of adding
      campaign text NOT NULL,
      address  text NOT NULL,           -- the lead's address in lower case (forget)
      lead     text NOT NULL,           -- the lead as its JSON object
      added    bigint NOT NULL
    );
    CREATE INDEX added_leads_by_campaign ON outreach.added_leads (campaign, id);
    CREATE INDEX added_leads_by_address ON outreach.added_leads (address);

    CREATE TABLE outreach.sequence_versions (
      campaign    text NOT NULL,
      version     integer NOT NULL CHECK (version >= 1),
      sequence    text NOT NULL,
      fingerprint text NOT NULL,
      since       bigint NOT NULL,
      PRIMARY KEY (campaign, version)
    );

    CREATE TABLE outreach.mailbox_states (
      mailbox  text PRIMARY KEY,
      disabled boolean NOT NULL,
      reason   text NOT NULL,
      since    bigint NOT NULL
    );
  )sql",
                            "cannot create the schema (version 1)");
}

// Version 2: several engines on one store. Each campaign is claimed by one engine at a time,
// under a lease on the server's clock; `attempt` grows with each claim and fences every write of
// the holder. Each mailbox's sends of the day are counted once for every engine.
expected<void> create_version_2(pg::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE outreach.claims (
      campaign text PRIMARY KEY,
      engine   text,                    -- its holder's id; NULL: free
      attempt  bigint NOT NULL,         -- grows with each claim: the holder's writes name it
      expires  timestamptz,             -- when the holder's lease ends unless renewed
      done     boolean NOT NULL DEFAULT false  -- nothing left to do: claimed again when asked for something
    );
    INSERT INTO outreach.claims (campaign, attempt) SELECT name, 0 FROM outreach.campaigns;

    -- The engines at work: each renews `seen` with its claims, so that a campaign's fair share
    -- counts the engines that have none yet.
    CREATE TABLE outreach.engines (
      id   text PRIMARY KEY,
      seen timestamptz NOT NULL
    );

    CREATE TABLE outreach.mailbox_slots (
      mailbox text PRIMARY KEY,
      day     bigint NOT NULL,          -- the local day counted, in days since 1970-01-01
      sent    bigint NOT NULL,          -- sends counted that day, by every engine
      last_at bigint                    -- the last send
    );
  )sql",
                            "cannot create the claims, engines and slots (version 2)");
}

// Version 3: each campaign's latest snapshot, its state after the events up to `through`, so
// that a start replays only the events after it. Only ever a copy of what the events say.
expected<void> create_version_3(pg::Connection& connection) {
  return connection.execute(R"sql(
    CREATE TABLE outreach.snapshots (
      campaign text PRIMARY KEY,
      through  bigint NOT NULL,         -- the id of the last event it includes
      state    bytea NOT NULL           -- the engine's encoding of the state
    );
  )sql",
                            "cannot create the snapshots table (version 3)");
}

constexpr std::array<Migration, 3> migrations{&create_version_1, &create_version_2, &create_version_3};

}  // namespace

std::int64_t postgresql_schema_version() noexcept { return static_cast<std::int64_t>(migrations.size()); }

expected<PostgresqlSchemaState> read_schema_state(pg::Connection& connection) {
  auto found = connection.query(
      "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'outreach'), "
      "to_regclass('outreach.meta') IS NOT NULL, "
      "(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'outreach')",
      pg::Params(), "cannot read the database's schemas");
  if (!found) return fail(found.error());
  PostgresqlSchemaState state;
  state.exists = found->integer(0, 0) > 0;
  state.ours = found->text(0, 1) == "t";
  state.empty = found->integer(0, 2) == 0;
  if (!state.ours) return state;
  auto meta = connection.query("SELECT application, version FROM outreach.meta", pg::Params(),
                               "cannot read the schema version");
  if (!meta) return fail(meta.error());
  if (meta->rows() != 1 || meta->text(0, 0) != application) {
    state.ours = false;
    return state;
  }
  state.version = meta->integer(0, 1);
  return state;
}

expected<void> migrate_postgresql(pg::Connection& connection) {
  const std::int64_t to = postgresql_schema_version();
  if (auto begun = connection.execute("BEGIN", "cannot start the schema upgrade"); !begun) return begun;
  auto upgrade = [&]() -> expected<void> {
    // Whoever comes second waits here, then reads the version the first one wrote.
    if (auto locked = connection.execute(migration_lock, "cannot lock the schema for its upgrade"); !locked) {
      return locked;
    }
    auto state = read_schema_state(connection);
    if (!state) return fail(state.error());
    const Location where = Location::in(connection.shown());
    if (state->exists && !state->ours && !state->empty) {
      return fail(Error(Errc::invalid_value,
                        "not an outreach store: the database's schema \"outreach\" holds tables of something else",
                        where));
    }
    if (state->version > to) {
      return fail(Error(Errc::invalid_value,
                        "written by a newer version of outreach (schema version " + std::to_string(state->version) +
                            "; this version reads up to " + std::to_string(to) + "): open it with that version",
                        where));
    }
    if (state->version == to) return {};
    if (!state->ours) {
      auto created = connection.execute(
          "CREATE SCHEMA IF NOT EXISTS outreach; "
          "CREATE TABLE outreach.meta (application text NOT NULL, version integer NOT NULL); "
          "INSERT INTO outreach.meta VALUES ('outreach', 0)",
          "cannot create the schema");
      if (!created) return created;
    }
    for (std::int64_t version = state->version; version < to; ++version) {
      if (auto done = migrations[static_cast<std::size_t>(version)](connection); !done) {
        return fail(Error(done.error().code(),
                          "upgrading to schema version " + std::to_string(version + 1) + ": " + done.error().message(),
                          done.error().where()));
      }
    }
    return connection.query("UPDATE outreach.meta SET version = $1", pg::Params(to), "cannot record the schema version")
        .map([](const pg::Result&) {});
  };
  auto upgraded = upgrade();
  if (upgraded) upgraded = connection.execute("COMMIT", "cannot commit the schema upgrade");
  if (!upgraded && !connection.lost()) {
    [[maybe_unused]] const auto rolled_back = connection.execute("ROLLBACK", "cannot roll back the schema upgrade");
  }
  return upgraded;
}

}  // namespace outreach::detail
