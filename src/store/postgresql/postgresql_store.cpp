#include "outreach/postgresql_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "store/postgresql/pg.hpp"
#include "store/postgresql/postgresql_schema.hpp"
#include "store/request_body.hpp"
#include "store/writable.hpp"
#include "store/instant_columns.hpp"
#include "util/ascii.hpp"
#include "util/connection_string.hpp"

namespace outreach {

namespace {

using detail::pg::Bytes;
using detail::pg::Params;
using detail::pg::Result;
using Deadline = std::chrono::steady_clock::time_point;

// Events read per query when a campaign is replayed, so that no result holds a whole log.
constexpr std::int64_t replay_batch = 1024;

using detail::instant_of;
using detail::milliseconds_of;
std::int64_t limit_of(std::size_t limit) noexcept {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}
Instant system_now() noexcept {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// An engine's id in the claims: its host and process, and a random part for a process that
// opens the store twice.
std::string new_engine_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  const auto tag = std::uniform_int_distribution<std::uint32_t>(0, 0xFFFFFF)(random);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(tag));
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

// Every statement, prepared on each connection. Names are the C++ names.
const std::vector<detail::pg::Prepared>& statements() {
  static const std::vector<detail::pg::Prepared> all = {
      {"xact_status", "SELECT pg_xact_status($1::text::xid8)"},
      {"insert_event",
       "INSERT INTO outreach.events (campaign, lead, type, at, line, message_id) "
       "VALUES ($1, $2, $3, $4, $5, NULLIF($6::text, ''))"},
      {"close_intent", "DELETE FROM outreach.intents WHERE campaign = $1 AND lead = $2 AND step = $3"},
      // A step whose send is recorded is refused a second intent: no engine, however stale its
      // memory, sends it again. A step's Message-ID is the same at every attempt.
      {"record_intent",
       "INSERT INTO outreach.intents (campaign, lead, step, mailbox, message_id, at) "
       "SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM outreach.events "
       "WHERE message_id = $5 AND message_id IS NOT NULL AND type = 'sent')"},
      {"find_suppression", "SELECT 1 FROM outreach.suppressions WHERE address = $1"},
      {"suppress",
       "INSERT INTO outreach.suppressions (address, reason, added) VALUES ($1, $2, $3) ON CONFLICT (address) DO NOTHING"},
      {"unsuppress", "DELETE FROM outreach.suppressions WHERE address = $1"},
      {"list_suppressions", "SELECT address, reason, added FROM outreach.suppressions ORDER BY address"},
      {"campaign_events",
       "SELECT id, line FROM outreach.events WHERE campaign = $1 AND id > $2 ORDER BY id LIMIT $3"},
      {"list_intents", "SELECT campaign, lead, step, mailbox, message_id, at FROM outreach.intents ORDER BY id"},
      {"save_campaign",
       "INSERT INTO outreach.campaigns (name, definition, fingerprint, started) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, fingerprint = excluded.fingerprint, "
       "started = excluded.started"},
      {"find_campaign", "SELECT name, definition, fingerprint, started FROM outreach.campaigns WHERE name = $1"},
      {"list_campaigns", "SELECT name, definition, fingerprint, started FROM outreach.campaigns ORDER BY id"},
      {"forget_events", "DELETE FROM outreach.events WHERE lower(lead) = lower($1)"},
      {"forget_intents", "DELETE FROM outreach.intents WHERE lower(lead) = lower($1)"},
      // Received mail waiting in the inbox that mentions the address anywhere, compared byte for
      // byte (bytea's escape form keeps ASCII as it is) without regard to case.
      {"forget_inbox",
       "DELETE FROM outreach.inbox WHERE "
       "position(lower(encode(convert_to($1, 'UTF8'), 'escape')) IN lower(encode(raw, 'escape'))) > 0"},
      // Requests that may name the address: the body is read in C++, as the other stores read it.
      {"requests_mentioning",
       "SELECT id, body, answered IS NOT NULL FROM outreach.requests WHERE position(lower($1) IN lower(body)) > 0 "
       "ORDER BY id"},
      {"drop_request", "DELETE FROM outreach.requests WHERE id = $1"},
      {"rewrite_request", "UPDATE outreach.requests SET body = $2 WHERE id = $1"},
      {"forget_added_leads", "DELETE FROM outreach.added_leads WHERE address = lower($1)"},
      {"forget_snapshots", "DELETE FROM outreach.snapshots"},
      {"save_snapshot",
       "INSERT INTO outreach.snapshots (campaign, through, state) VALUES ($1, $2, $3) "
       "ON CONFLICT (campaign) DO UPDATE SET through = excluded.through, state = excluded.state"},
      {"find_snapshot", "SELECT through, state FROM outreach.snapshots WHERE campaign = $1"},
      {"add_lead", "INSERT INTO outreach.added_leads (campaign, address, lead, added) VALUES ($1, $2, $3, $4)"},
      {"list_added_leads",
       "SELECT id, address, lead, added FROM outreach.added_leads WHERE campaign = $1 AND id > $2 ORDER BY id LIMIT $3"},
      {"add_sequence_version",
       "INSERT INTO outreach.sequence_versions (campaign, version, sequence, fingerprint, since) "
       "VALUES ($1, $2, $3, $4, $5)"},
      {"list_sequence_versions",
       "SELECT version, sequence, fingerprint, since FROM outreach.sequence_versions WHERE campaign = $1 "
       "ORDER BY version"},
      {"find_sent", "SELECT line FROM outreach.events WHERE message_id = $1 ORDER BY id LIMIT 1"},
      {"last_event_at", "SELECT at FROM outreach.events WHERE campaign = $1 ORDER BY id DESC LIMIT 1"},
      {"lead_events", "SELECT id, line FROM outreach.events WHERE lower(lead) = lower($2) AND campaign = $1 ORDER BY id"},
      {"last_step_sent",
       "SELECT line FROM outreach.events WHERE lower(lead) = lower($2) AND campaign = $1 AND message_id IS NOT NULL "
       "AND at <= $3 ORDER BY id DESC LIMIT 1"},
      {"record_received",
       "INSERT INTO outreach.received (fingerprint, at) VALUES ($1, $2) ON CONFLICT (fingerprint) DO NOTHING"},
      {"queue_received", "INSERT INTO outreach.inbox (queued, raw) VALUES ($1, $2)"},
      {"list_queued", "SELECT id, raw, queued FROM outreach.inbox WHERE id > $2 ORDER BY id LIMIT $1"},
      {"unqueue", "DELETE FROM outreach.inbox WHERE id = $1"},
      {"queue_request", "INSERT INTO outreach.requests (queued, body) VALUES ($1, $2) RETURNING id"},
      {"waiting_requests",
       "SELECT id, queued, body FROM outreach.requests WHERE answered IS NULL AND id > $2 ORDER BY id LIMIT $1"},
      {"answer_request",
       "UPDATE outreach.requests SET answered = $2, answer = $3 WHERE id = $1 AND answered IS NULL"},
      {"find_request", "SELECT id, queued, body, answered, answer FROM outreach.requests WHERE id = $1"},
      // One engine applies a request: the others skip it while it is taken, and it is answered then.
      {"take_request", "SELECT 1 FROM outreach.requests WHERE id = $1 AND answered IS NULL FOR UPDATE SKIP LOCKED"},
      {"drop_old_requests", "DELETE FROM outreach.requests WHERE answered IS NOT NULL AND answered < $1"},
      {"find_folder_position",
       "SELECT uidvalidity, last_uid FROM outreach.folder_positions WHERE mailbox = $1 AND folder = $2"},
      {"save_folder_position",
       "INSERT INTO outreach.folder_positions (mailbox, folder, uidvalidity, last_uid) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (mailbox, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid"},
      {"record_mailbox_check",
       "INSERT INTO outreach.mailbox_checks (mailbox, checked, failed, error) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (mailbox) DO UPDATE SET checked = excluded.checked, failed = excluded.failed, error = excluded.error"},
      {"list_mailbox_checks", "SELECT mailbox, checked, failed, error FROM outreach.mailbox_checks ORDER BY mailbox"},
      {"save_mailbox_state",
       "INSERT INTO outreach.mailbox_states (mailbox, disabled, reason, since) VALUES ($1, $2::bigint <> 0, $3, $4) "
       "ON CONFLICT (mailbox) DO UPDATE SET disabled = excluded.disabled, reason = excluded.reason, since = excluded.since"},
      {"list_mailbox_states", "SELECT mailbox, disabled, reason, since FROM outreach.mailbox_states ORDER BY mailbox"},
      // Claims: $2 is this engine's id, the lease in milliseconds is on the server's clock.
      {"claim",
       "INSERT INTO outreach.claims AS c (campaign, engine, attempt, expires) "
       "VALUES ($1, $2, 1, clock_timestamp() + $3::bigint * interval '1 millisecond') "
       "ON CONFLICT (campaign) DO UPDATE SET engine = excluded.engine, attempt = c.attempt + 1, "
       "expires = excluded.expires, done = false "
       "WHERE c.engine IS NULL OR c.expires < clock_timestamp() RETURNING attempt"},
      // No more than this engine's fair share of the work: the campaigns left to do over the
      // engines at work, so that engines started together share them.
      {"claim_free",
       "WITH work AS (SELECT count(*) AS total FROM outreach.claims WHERE NOT done "
       "AND EXISTS (SELECT 1 FROM outreach.campaigns WHERE name = claims.campaign)), "
       "engines AS (SELECT count(*) AS live FROM outreach.engines WHERE id <> $1 "
       "AND seen > clock_timestamp() - $2::bigint * interval '1 millisecond'), "
       "mine AS (SELECT count(*) AS held FROM outreach.claims WHERE engine = $1 AND NOT done "
       "AND EXISTS (SELECT 1 FROM outreach.campaigns WHERE name = claims.campaign)), "
       "free AS (SELECT campaign FROM outreach.claims WHERE NOT done "
       "AND (engine IS NULL OR expires < clock_timestamp()) "
       "AND EXISTS (SELECT 1 FROM outreach.campaigns WHERE name = claims.campaign) ORDER BY campaign "
       "LIMIT GREATEST(0, LEAST($3, (SELECT ceil(total::numeric / (live + 1))::bigint FROM work, engines) - "
       "(SELECT held FROM mine))) FOR UPDATE SKIP LOCKED) "
       "UPDATE outreach.claims c SET engine = $1, attempt = c.attempt + 1, "
       "expires = clock_timestamp() + $2::bigint * interval '1 millisecond' "
       "FROM free WHERE c.campaign = free.campaign RETURNING c.campaign, c.attempt"},
      {"engine_seen",
       "INSERT INTO outreach.engines (id, seen) VALUES ($1, clock_timestamp()) "
       "ON CONFLICT (id) DO UPDATE SET seen = excluded.seen"},
      {"engine_gone", "DELETE FROM outreach.engines WHERE id = $1 OR seen < clock_timestamp() - interval '1 day'"},
      {"renew_claims",
       "UPDATE outreach.claims SET expires = clock_timestamp() + $2::bigint * interval '1 millisecond' "
       "WHERE engine = $1 RETURNING campaign, attempt"},
      {"release_claim",
       "UPDATE outreach.claims SET engine = NULL, expires = NULL, done = $4::bigint <> 0 "
       "WHERE campaign = $1 AND engine = $2 AND attempt = $3"},
      {"others_at_work",
       "SELECT EXISTS (SELECT 1 FROM outreach.claims WHERE NOT done AND engine IS DISTINCT FROM $1 "
       "AND EXISTS (SELECT 1 FROM outreach.campaigns WHERE name = claims.campaign))"},
      // In the transaction of every write of a campaign: the claim is still this engine's, and
      // no other engine takes it over until the transaction ends.
      {"fence", "SELECT 1 FROM outreach.claims WHERE campaign = $1 AND engine = $2 AND attempt = $3 FOR SHARE"},
      {"mark_finished", "UPDATE outreach.claims SET done = $4::bigint <> 0 WHERE campaign = $1 AND engine = $2 AND attempt = $3"},
      {"notify", "SELECT pg_notify('outreach', '')"},
      {"reopen_campaign", "UPDATE outreach.claims SET done = false WHERE campaign = $1 AND done"},
      // A mailbox's sends of the day, for every engine: $2 the day, $3 its limit, $4 the instant,
      // $5 the spacing in milliseconds. A later day than the one counted starts a new count; a day
      // before it (an engine whose mailbox zone or clock is behind) counts into the later day,
      // so that the count never starts over back and forth; a day or a last send more than a day
      // ahead (a simulation's instants left in the store) is stale.
      {"add_slot_row",
       "INSERT INTO outreach.mailbox_slots (mailbox, day, sent) VALUES ($1, $2, 0) ON CONFLICT (mailbox) DO NOTHING"},
      {"reserve_slot",
       "UPDATE outreach.mailbox_slots SET sent = CASE WHEN day < $2 OR day > $2 + 1 THEN 1 ELSE sent + 1 END, "
       "day = CASE WHEN day < $2 OR day > $2 + 1 THEN $2 ELSE day END, last_at = $4 "
       "WHERE mailbox = $1 AND (day < $2 OR day > $2 + 1 OR sent < $3) "
       "AND (last_at IS NULL OR last_at <= $4::bigint - $5::bigint OR last_at > $4::bigint + 86400000) "
       "RETURNING day, sent, last_at"},
      {"read_slot", "SELECT day, sent, last_at FROM outreach.mailbox_slots WHERE mailbox = $1"},
      {"release_slot", "UPDATE outreach.mailbox_slots SET sent = sent - 1 WHERE mailbox = $1 AND day = $2 AND sent > 0"},
  };
  return all;
}

}  // namespace

struct PostgresqlStore::Impl {
  std::string uri;  // in memory only: it may hold a password
  std::string shown;
  PostgresqlStoreOptions options;
  detail::pg::Connection connection;
  std::int64_t reconnections = 0;
  int depth = 0;                      // nested begin() calls not yet committed
  bool unit_open = false;             // the outermost begin() opened a transaction on the server
  std::string unit_xid;               // its transaction id, to ask whether a lost commit was kept
  bool begin_pending = false;         // BEGIN goes with the transaction's first statements
  bool commit_sent = false;           // the open transaction's COMMIT went to the server
  // The open unit's writes and what each gave, to write them again on a new connection.
  struct Write {
    const char* statement;
    Params params;
    std::int64_t changes;
    std::string returned;  // the first row's first column, when the statement gives rows
    std::function<expected<void>(const Result&)> check;  // its own refusal comes first, again
  };
  std::vector<Write> unit_writes;
  // Writes whose answer is not needed at once, sent together with the next statement that needs
  // one, or with the commit: one round trip for many. `check` refuses an answer that does not do.
  struct Deferred {
    const char* statement;
    Params params;
    std::string_view doing;  // a literal
    std::function<expected<void>(const Result&)> check;
    bool read = false;  // a read: not written again on a new connection
  };
  std::vector<Deferred> deferred;
  std::set<std::string, std::less<>> slot_rows;  // mailboxes whose slot row was seen
  bool in_transaction = false;  // a write of its own is open (`transaction`)
  std::optional<Error> unit_error;    // the first failed write of the open unit
  std::optional<Error> read_failure;  // the first failed read since open
  std::string engine_id;
  std::map<std::string, std::int64_t, std::less<>> claims;  // campaign -> the attempt this engine holds
  std::set<std::string, std::less<>> fenced;               // campaigns checked in the open unit
  std::chrono::steady_clock::time_point renewed{};         // the last renewal

  [[nodiscard]] Error refused(Errc code, std::string why) const { return Error(code, std::move(why), Location::in(shown)); }
  [[nodiscard]] Deadline deadline() const { return std::chrono::steady_clock::now() + options.reconnect_timeout; }

  expected<void> connect();
  expected<void> reconnect(Deadline deadline);
  expected<void> begin_transaction();
  expected<bool> committed(const std::string& xid, Deadline deadline);
  expected<void> reopen_unit(Deadline deadline);
  [[nodiscard]] expected<void> writable() const;
  expected<Result> exec(const char* statement, Params params, std::string_view doing);
  expected<void> defer(const char* statement, Params params, std::string_view doing,
                       std::function<expected<void>(const Result&)> check = {});
  expected<std::vector<Result>> send_deferred(bool commit);
  expected<std::vector<Result>> flush();
  expected<void> finish();
  std::optional<std::vector<Result>> read_many(const char* statement, std::vector<Params> params, std::string_view doing);
  template <class Body>
  expected<void> transaction(Body&& body);
  template <class Body>
  expected<void> write(Body&& body);
  template <class Body>
  expected<void> write_handed_in(Body&& body);
  expected<std::int64_t> insert_request(std::string_view body, Instant at);
  expected<void> fence(std::string_view campaign);
  expected<void> wake_engines();
  [[nodiscard]] bool shared_engine() const noexcept { return options.access == StoreAccess::engine; }
  expected<void> write_claim(const char* statement, std::string_view campaign, bool flag, std::string_view doing);
  // A write of one statement, whose answer is not needed.
  expected<void> write_one(const char* statement, Params params, std::string_view doing) {
    return write([&]() -> expected<void> { return defer(statement, params, doing); });
  }
  [[nodiscard]] std::int64_t lease_milliseconds() const { return std::max<std::int64_t>(options.claim_lease.count(), 1); }
  void rollback() noexcept;
  void note_read_failure(Error error);
  // An event's line read back; nothing when it does not parse, the failure kept (`read_error`).
  std::optional<Event> event_of(std::int64_t id, std::string_view line);
  std::optional<Result> read(const char* statement, const Params& params, std::string_view doing);
};

// Opens the connection and makes it the store's: the session's settings. (Claims are rows: they
// outlive a connection.)
expected<void> PostgresqlStore::Impl::connect() {
  auto opened = detail::pg::Connection::open(uri, shown);
  if (!opened) return fail(opened.error());
  detail::pg::Connection fresh = std::move(*opened);
  const auto timeout = std::to_string(std::max<std::chrono::milliseconds::rep>(options.statement_timeout.count(), 1));
  // Our transactions are short: one left idle (a process stopped inside one) is ended by the
  // server before it holds its locks for long, and never past the claims' lease, so that an
  // engine stopped inside a unit holds the share lock on its claims no longer than its lease
  // promises (a takeover waits on that lock).
  const auto idle = std::to_string(std::max<std::chrono::milliseconds::rep>(
      std::min({options.statement_timeout.count(), options.claim_lease.count(), std::chrono::milliseconds::rep{10000}}), 1));
  std::string session = "SET client_encoding = 'UTF8'; SET bytea_output = 'hex'; SET statement_timeout = " + timeout +
                        "; SET lock_timeout = " + timeout + "; SET idle_in_transaction_session_timeout = " + idle +
                        "; SET synchronous_commit = " +
                        (options.durability == StoreDurability::power  ? "on"
                         : options.durability == StoreDurability::none ? "off"
                                                                       : "local");
  if (options.access == StoreAccess::read) session += "; SET default_transaction_read_only = on";
  // Engines wake when something is handed in; the notification goes with the inbox's commit,
  // never with the engines' own (a commit that notifies takes a lock of the whole server).
  if (options.access == StoreAccess::engine) session += "; LISTEN outreach";
  if (auto set = fresh.execute(session.c_str(), "cannot set up the session"); !set) return set;
  connection = std::move(fresh);
  return {};
}

expected<void> PostgresqlStore::Impl::reconnect(Deadline deadline) {
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    auto connected = connect();
    if (connected) connected = connection.prepare(statements());
    if (connected) {
      ++reconnections;
      return {};
    }
    // A location refused will not pass by waiting.
    if (connected.error().code() != Errc::unavailable || std::chrono::steady_clock::now() + pause > deadline) {
      return fail(Error(connected.error().code(), "the connection was lost and cannot be opened again: " +
                                                      connected.error().message(),
                        connected.error().where()));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

// The transaction and its id, in one round trip.
expected<void> PostgresqlStore::Impl::begin_transaction() {
  begin_pending = false;
  auto xid = connection.simple("BEGIN; SELECT pg_current_xact_id()::text", "cannot start a transaction");
  if (!xid) return fail(xid.error());
  unit_xid = std::string(xid->text(0, 0));
  return {};
}

// Whether the transaction `xid` was committed, asked on a new connection after the old one was
// lost during its COMMIT. A transaction still in progress belongs to a session the server has not
// ended yet: it ends at the latest after idle_in_transaction_session_timeout.
expected<bool> PostgresqlStore::Impl::committed(const std::string& xid, Deadline deadline) {
  for (;;) {
    if (connection.lost()) {
      if (auto again = reconnect(deadline); !again) return fail(again.error());
    }
    auto status = connection.run("xact_status", Params(xid), "cannot find out whether the commit was kept");
    if (!status && !connection.lost()) return fail(status.error());
    if (status) {
      const std::string_view state = status->text(0, 0);
      if (state == "committed") return true;
      if (state == "aborted") return false;
      if (state != "in progress") {
        return fail(refused(Errc::io_error, "cannot find out whether the commit of transaction " + xid + " was kept"));
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(refused(Errc::unavailable, "the commit of transaction " + xid + " is still in progress"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// After the connection was lost inside a unit: a new connection, a new transaction, and the
// unit's writes again, each giving what it gave the first time (or the unit cannot go on).
expected<void> PostgresqlStore::Impl::reopen_unit(Deadline deadline) {
  for (;;) {
    if (connection.lost()) {
      if (auto again = reconnect(deadline); !again) return again;
    }
    auto replayed = [&]() -> expected<void> {
      if (auto begun = begin_transaction(); !begun) return begun;
      for (const Write& write : unit_writes) {
        auto result = connection.run(write.statement, write.params, "cannot write the unit again");
        if (!result) return fail(result.error());
        // A fence that no longer holds says so (the campaign was taken over meanwhile).
        if (write.check) {
          if (auto fits = write.check(*result); !fits) return fits;
        }
        const std::string returned = result->rows() > 0 ? std::string(result->text(0, 0)) : std::string();
        if (result->changes() != write.changes || returned != write.returned) {
          return fail(refused(Errc::unavailable, std::string("the connection was lost inside a unit, and its write (") +
                                                     write.statement + ") gives another result on the new one"));
        }
      }
      return {};
    }();
    if (replayed || !connection.lost() || std::chrono::steady_clock::now() >= deadline) return replayed;
  }
}

expected<void> PostgresqlStore::Impl::writable() const {
  return detail::writable(options.access, read_failure, shown);
}

// One statement of a write whose answer is needed: sent with the writes deferred before it, in
// one round trip.
expected<Result> PostgresqlStore::Impl::exec(const char* statement, Params params, std::string_view doing) {
  if (!unit_open && !in_transaction) return connection.run(statement, params, doing);
  deferred.push_back(Deferred{statement, std::move(params), doing, {}});
  auto results = flush();
  if (!results) return fail(results.error());
  return std::move(results->back());
}

// One statement of a write whose answer is not needed now: sent with the next that needs one, or
// with the commit. (However many wait, libpq takes the server's answers in while it sends them.)
expected<void> PostgresqlStore::Impl::defer(const char* statement, Params params, std::string_view doing,
                                            std::function<expected<void>(const Result&)> check) {
  if (!unit_open && !in_transaction) {
    auto result = connection.run(statement, params, doing);
    if (!result) return fail(result.error());
    return check ? check(*result) : expected<void>();
  }
  deferred.push_back(Deferred{statement, std::move(params), doing, std::move(check)});
  return {};
}

// The deferred writes, and the COMMIT after them when asked, in one round trip; their answers
// checked. Inside a unit they are kept, to be written again on a new connection should this one
// be lost (outside, `transaction` runs the whole write again). After a failure they stay
// deferred, to be sent again or dropped by the caller.
expected<std::vector<Result>> PostgresqlStore::Impl::send_deferred(bool commit) {
  std::vector<detail::pg::Call> calls;
  calls.reserve(deferred.size() + 1);
  for (const Deferred& write : deferred) calls.push_back({write.statement, &write.params, nullptr, write.doing});
  // A transaction opens with its first statements, and its id comes back with them.
  const bool opening = begin_pending;
  if (commit) {
    // The transaction must still be open on this connection: a COMMIT outside one would succeed
    // with nothing in it (a connection opened again since, by a read).
    if (!opening && PQtransactionStatus(connection.handle()) != PQTRANS_INTRANS) {
      return fail(refused(Errc::unavailable, "the transaction was lost with its connection"));
    }
    calls.push_back({nullptr, nullptr, "COMMIT", "cannot commit"});
    commit_sent = true;
  }
  if (opening) {
    calls.insert(calls.begin(), {{nullptr, nullptr, "BEGIN", "cannot start a transaction"},
                                 {nullptr, nullptr, "SELECT pg_current_xact_id()::text", "cannot start a transaction"}});
  }
  auto results = connection.pipeline(calls);
  if (!results) return results;
  if (opening) {
    begin_pending = false;
    unit_xid = std::string((*results)[1].text(0, 0));
    results->erase(results->begin(), results->begin() + 2);
  }
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    if (deferred[i].check) {
      if (auto fits = deferred[i].check((*results)[i]); !fits) return fail(fits.error());
    }
  }
  if (unit_open && !commit) {
    for (std::size_t i = 0; i < deferred.size(); ++i) {
      if (deferred[i].read) continue;
      const Result& result = (*results)[i];
      unit_writes.push_back(Write{deferred[i].statement, std::move(deferred[i].params), result.changes(),
                                  result.rows() > 0 ? std::string(result.text(0, 0)) : std::string(),
                                  std::move(deferred[i].check)});
    }
  }
  deferred.clear();
  return results;
}

// The deferred writes sent; inside a unit, after a lost connection, sent again on a new one once
// the unit's earlier writes are. Dropped when they cannot be sent.
expected<std::vector<Result>> PostgresqlStore::Impl::flush() {
  auto sent = send_deferred(false);
  if (!sent && unit_open && connection.lost()) {
    if (auto reopened = reopen_unit(deadline()); reopened) {
      sent = send_deferred(false);
    } else {
      sent = fail(reopened.error());
    }
  }
  if (!sent) deferred.clear();
  return sent;
}

// The open transaction's deferred writes and its COMMIT: in one round trip when no answer needs a
// check (a check may refuse the whole write) and the transaction's id is known (to find out
// whether a commit whose answer was lost was kept), else the writes first. A transaction that
// wrote nothing has nothing to commit. The writes stay deferred when the connection is lost, for
// the caller to send again.
expected<void> PostgresqlStore::Impl::finish() {
  if (begin_pending && deferred.empty()) {
    begin_pending = false;
    return {};
  }
  const bool checked = begin_pending || std::any_of(deferred.begin(), deferred.end(),
                                                    [](const Deferred& write) { return bool(write.check); });
  if (checked) {
    auto sent = send_deferred(false);
    if (!sent) return fail(sent.error());
  }
  return send_deferred(true).map([](const std::vector<Result>&) {});
}

// A write of its own: BEGIN, its statements, COMMIT. When the connection is lost, a new one
// asks whether the commit was kept; if not, the write runs again from its start (`body` sets
// what it reports afresh each time).
template <class Body>
expected<void> PostgresqlStore::Impl::transaction(Body&& body) {
  const Deadline until = deadline();
  for (;;) {
    if (connection.lost()) {
      if (auto again = reconnect(until); !again) return again;
    }
    unit_xid.clear();
    deferred.clear();
    commit_sent = false;
    in_transaction = true;
    begin_pending = true;
    auto written = [&]() -> expected<void> {
      if (auto done = body(); !done) return done;
      return finish();
    }();
    in_transaction = false;
    begin_pending = false;
    deferred.clear();
    if (written) return written;
    if (!connection.lost()) {
      rollback();
      return written;
    }
    if (commit_sent && !unit_xid.empty()) {
      auto kept = committed(unit_xid, until);
      if (!kept) return fail(kept.error());
      if (*kept) return {};
    }
    if (std::chrono::steady_clock::now() >= until) return written;
  }
}

template <class Body>
expected<void> PostgresqlStore::Impl::write(Body&& body) {
  if (auto ready = writable(); !ready) {
    if (depth > 0 && !unit_error) unit_error = ready.error();
    return ready;
  }
  if (depth == 0) return transaction(body);
  if (unit_error) return fail(*unit_error);
  auto written = body();
  if (!written) {
    unit_error = written.error();
    // The server's transaction is spoiled: rolled back now, so that reads until the unit's
    // commit (which returns the error) still work.
    rollback();
  }
  return written;
}

// What is handed to the engine (received mail, requests) is all the inbox access writes.
template <class Body>
expected<void> PostgresqlStore::Impl::write_handed_in(Body&& body) {
  if (options.access == StoreAccess::read) return writable();
  if (options.access == StoreAccess::engine) return write(body);
  return transaction(body);
}

void PostgresqlStore::Impl::rollback() noexcept {
  deferred.clear();
  begin_pending = false;
  if (connection.lost() || PQtransactionStatus(connection.handle()) == PQTRANS_IDLE) return;
  [[maybe_unused]] const auto rolled_back = connection.execute("ROLLBACK", "cannot roll back");
}

void PostgresqlStore::Impl::note_read_failure(Error error) {
  if (!read_failure) read_failure = std::move(error);
}

// Reads of one statement in one round trip: inside a unit, after the writes deferred before them,
// which they see; outside, after a lost connection, once more on a new one. Nothing when they
// fail (inside a unit, the unit fails with them).
std::optional<std::vector<Result>> PostgresqlStore::Impl::read_many(const char* statement, std::vector<Params> params,
                                                                    std::string_view doing) {
  if ((unit_open && !unit_error) || in_transaction) {
    const std::size_t first = deferred.size();
    for (Params& asked : params) deferred.push_back(Deferred{statement, std::move(asked), doing, {}, true});
    auto results = flush();
    if (!results) {
      // A unit fails with them; a write of its own fails its body, and runs again if it can.
      if (unit_open) {
        unit_error = results.error();
        rollback();
      } else {
        note_read_failure(results.error());
      }
      return std::nullopt;
    }
    return std::vector<Result>(std::make_move_iterator(results->begin() + static_cast<std::ptrdiff_t>(first)),
                               std::make_move_iterator(results->end()));
  }
  std::vector<detail::pg::Call> calls;
  calls.reserve(params.size());
  for (const Params& asked : params) calls.push_back({statement, &asked, nullptr, doing});
  auto results = connection.lost() ? fail(refused(Errc::unavailable, "the connection was lost")) : connection.pipeline(calls);
  if (!results && connection.lost()) {
    auto again = reconnect(deadline());
    results = again ? connection.pipeline(calls) : fail(again.error());
  }
  if (!results) {
    note_read_failure(results.error());
    return std::nullopt;
  }
  return std::move(*results);
}

// A read; after a lost connection, once more on a new one (inside a unit, with the unit's writes
// written again first).
std::optional<Result> PostgresqlStore::Impl::read(const char* statement, const Params& params, std::string_view doing) {
  // A read inside a unit sees the unit's writes: those deferred go first.
  if (!deferred.empty()) {
    if (auto flushed = flush(); !flushed) {
      if (!unit_error) unit_error = flushed.error();
      rollback();
    }
  }
  if (!connection.lost()) {
    auto result = connection.run(statement, params, doing);
    if (result) return std::move(*result);
    if (!connection.lost()) {
      note_read_failure(result.error());
      return std::nullopt;
    }
  }
  auto recovered = unit_open ? reopen_unit(deadline()) : reconnect(deadline());
  if (!recovered) {
    note_read_failure(recovered.error());
    return std::nullopt;
  }
  auto result = connection.run(statement, params, doing);
  if (!result) {
    note_read_failure(result.error());
    return std::nullopt;
  }
  return std::move(*result);
}

expected<std::unique_ptr<PostgresqlStore>> PostgresqlStore::open(std::string_view location,
                                                                 const PostgresqlStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->uri = std::string(location);
  impl->shown = detail::without_password(location);
  impl->engine_id = new_engine_id();
  impl->options = options;
  if (auto connected = impl->connect(); !connected) return fail(connected.error());
  auto& connection = impl->connection;
  if (options.access == StoreAccess::engine) {
    if (auto migrated = detail::migrate_postgresql(connection); !migrated) return fail(migrated.error());
  } else {
    auto state = detail::read_schema_state(connection);
    if (!state) return fail(state.error());
    const auto ours = detail::postgresql_schema_version();
    if (!state->ours) {
      return fail(impl->refused(state->exists && !state->empty ? Errc::invalid_value : Errc::not_found,
                                state->exists && !state->empty
                                    ? "not an outreach store: the database's schema \"outreach\" holds tables of "
                                      "something else"
                                    : "no store in this database yet (an engine creates it when it opens it)"));
    }
    if (state->version != ours) {
      return fail(impl->refused(Errc::invalid_value,
                                state->version > ours
                                    ? "written by a newer version of outreach (schema version " +
                                          std::to_string(state->version) + "; this version reads up to " +
                                          std::to_string(ours) + "): open it with that version"
                                    : "written by an older version of outreach (schema version " +
                                          std::to_string(state->version) + "): open it as an engine once to upgrade it"));
    }
  }
  if (auto prepared = connection.prepare(statements()); !prepared) return fail(prepared.error());
  std::unique_ptr<PostgresqlStore> store(new PostgresqlStore(std::move(impl)));
  // An engine counts among those at work from the start (the claims' fair shares).
  if (options.access == StoreAccess::engine) {
    if (auto seen = store->renew_claims(); !seen) return fail(seen.error());
  }
  return store;
}

PostgresqlStore::PostgresqlStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

// A store closed cleanly gives its claims up, so that another engine takes its campaigns at once.
PostgresqlStore::~PostgresqlStore() {
  impl_->rollback();
  impl_->depth = 0;
  while (!impl_->claims.empty() && !impl_->connection.lost()) {
    const std::string campaign = impl_->claims.begin()->first;
    if (!release(campaign, false)) impl_->claims.erase(impl_->claims.begin());
  }
  if (shared() && !impl_->connection.lost()) {
    (void)impl_->write_one("engine_gone", Params(impl_->engine_id), "cannot say the engine has gone");
  }
}

expected<void> PostgresqlStore::append(const Event& event) {
  const std::string line = to_json_line(event);
  return impl_->write([&]() -> expected<void> {
    if (auto fenced = impl_->fence(event.campaign); !fenced) return fenced;
    auto inserted = impl_->defer("insert_event",
                                 Params(event.campaign, event.lead, to_string(event.type), milliseconds_of(event.at), line,
                                        went_out(event.type) ? std::string_view(event.message_id) : std::string_view()),
                                 "cannot append the event");
    if (!inserted || !is_send_outcome(event.type)) return inserted;
    return impl_->defer("close_intent", Params(event.campaign, event.lead, event.step), "cannot close the send's intent");
  });
}

expected<void> PostgresqlStore::record_intent(const SendIntent& intent) {
  return impl_->write([&]() -> expected<void> {
    if (auto fenced = impl_->fence(intent.campaign); !fenced) return fenced;
    // Recorded again, an intent moves to the end of the order: the one before goes first.
    auto closed = impl_->defer("close_intent", Params(intent.campaign, intent.lead, intent.step),
                               "cannot record the send's intent");
    if (!closed) return closed;
    Error already = impl_->refused(Errc::invalid_argument, "campaign \"" + intent.campaign + "\": step " +
                                                               std::to_string(intent.step) + " of " + intent.lead +
                                                               " was sent already; it is not sent again");
    return impl_->defer("record_intent",
                        Params(intent.campaign, intent.lead, intent.step, intent.mailbox, intent.message_id,
                               milliseconds_of(intent.at)),
                        "cannot record the send's intent", [already](const Result& recorded) -> expected<void> {
                          if (recorded.changes() == 0) return fail(already);
                          return {};
                        });
  });
}

expected<void> PostgresqlStore::begin() {
  Impl& impl = *impl_;
  if (impl.depth++ > 0) return {};
  impl.unit_error.reset();
  impl.unit_writes.clear();
  impl.deferred.clear();
  impl.fenced.clear();
  impl.unit_open = false;
  // A reader's unit reads from one snapshot.
  const bool engine = impl.options.access == StoreAccess::engine;
  if (engine) {
    if (auto ready = impl.writable(); !ready) {
      impl.unit_error = ready.error();
      return ready;
    }
  }
  auto open = [&]() -> expected<void> {
    if (!engine) {
      return impl.connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "cannot start a read");
    }
    impl.unit_xid.clear();
    impl.begin_pending = true;  // sent with the unit's first statements
    return {};
  };
  expected<void> begun;
  if (!impl.connection.lost()) begun = open();
  if (impl.connection.lost()) {
    if (auto again = impl.reconnect(impl.deadline()); !again) {
      impl.unit_error = again.error();
      return again;
    }
    begun = open();
  }
  if (!begun) {
    impl.unit_error = begun.error();
    return begun;
  }
  impl.unit_open = engine;
  return begun;
}

expected<void> PostgresqlStore::commit() {
  Impl& impl = *impl_;
  if (impl.depth == 0) return fail(impl.refused(Errc::invalid_argument, "commit without begin"));
  if (--impl.depth > 0) return {};
  const bool was_open = impl.unit_open;
  impl.fenced.clear();
  if (impl.unit_error || !was_open) impl.unit_open = false;
  if (impl.unit_error) {
    Error error = std::move(*impl.unit_error);
    impl.unit_error.reset();
    impl.unit_writes.clear();
    impl.rollback();
    return fail(std::move(error));
  }
  if (!was_open) {  // a reader's unit
    impl.rollback();
    return {};
  }
  const Deadline until = impl.deadline();
  // Open until done: what the commit sends first is kept with the unit's writes, to be written
  // again should the connection be lost before the COMMIT is answered.
  auto done = [&](expected<void> outcome) {
    impl.unit_open = false;
    impl.unit_writes.clear();
    impl.deferred.clear();
    if (!outcome) impl.rollback();
    return outcome;
  };
  for (;;) {
    impl.commit_sent = false;
    auto committed = impl.finish();
    if (committed || !impl.connection.lost()) return done(std::move(committed));
    // A COMMIT not sent was not kept (and one is sent only once the transaction's id is known).
    auto kept = !impl.commit_sent || impl.unit_xid.empty() ? expected<bool>(false) : impl.committed(impl.unit_xid, until);
    if (!kept) return done(fail(kept.error()));
    if (*kept) return done({});
    // Not kept: the unit's writes again on the new connection, then the rest and the commit once
    // more.
    if (auto reopened = impl.reopen_unit(until); !reopened) return done(std::move(reopened));
  }
}

bool PostgresqlStore::is_suppressed(std::string_view address) const {
  const auto found = impl_->read("find_suppression", Params(detail::ascii_lower(address)),
                                 "cannot read the suppression list");
  // When the list cannot be read, the address counts as suppressed: not sending is the safe side.
  return !found || found->rows() > 0;
}

expected<void> PostgresqlStore::suppress(std::string_view address, std::string_view reason) {
  const std::string key = detail::ascii_lower(address);
  const Instant now = system_now();
  return impl_->write_one("suppress", Params(key, reason, milliseconds_of(now)), "cannot add to the suppression list");
}

expected<void> PostgresqlStore::unsuppress(std::string_view address) {
  const std::string key = detail::ascii_lower(address);
  return impl_->write_one("unsuppress", Params(key), "cannot remove from the suppression list");
}

std::vector<Suppression> PostgresqlStore::suppressions() const {
  std::vector<Suppression> out;
  if (const auto rows = impl_->read("list_suppressions", Params(), "cannot read the suppression list")) {
    for (int i = 0; i < rows->rows(); ++i) {
      out.push_back({std::string(rows->text(i, 0)), std::string(rows->text(i, 1)), instant_of(rows->integer(i, 2))});
    }
  }
  return out;
}

void PostgresqlStore::for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const {
  for_each_event_after(campaign, INT64_MIN, [&](std::int64_t, const Event& event) { visit(event); });
}

void PostgresqlStore::for_each_event_after(std::string_view campaign, std::int64_t after,
                                           const std::function<void(std::int64_t, const Event&)>& visit) const {
  for (;;) {
    const auto page = events_after(campaign, after, static_cast<std::size_t>(replay_batch));
    for (const auto& [id, event] : page.events) visit(id, event);
    if (page.next == after) return;
    after = page.next;
  }
}

std::optional<Event> PostgresqlStore::Impl::event_of(std::int64_t id, std::string_view line) {
  auto event = parse_event_line(line);
  if (event) return std::move(*event);
  note_read_failure(refused(event.error().code(), "event " + std::to_string(id) + " cannot be read: " +
                                                      event.error().to_string()));
  return std::nullopt;
}

std::optional<Instant> PostgresqlStore::last_event_at(std::string_view campaign) const {
  const auto rows = impl_->read("last_event_at", Params(campaign), "cannot read the events");
  if (!rows || rows->rows() == 0) return std::nullopt;
  return instant_of(rows->integer(0, 0));
}

void PostgresqlStore::for_each_lead_event(std::string_view campaign, std::string_view lead,
                                          const std::function<void(const Event&)>& visit) const {
  const auto rows = impl_->read("lead_events", Params(campaign, lead), "cannot read the events");
  if (!rows) return;
  for (int i = 0; i < rows->rows(); ++i) {
    const auto event = impl_->event_of(rows->integer(i, 0), rows->text(i, 1));
    if (!event) continue;
    // lower() folds more than ASCII letters: the addresses are compared as everywhere else.
    if (detail::iequals_ascii(event->lead, lead)) visit(*event);
  }
}

expected<void> PostgresqlStore::save_snapshot(std::string_view campaign, const CampaignSnapshot& snapshot) {
  return impl_->write([&]() -> expected<void> {
    if (auto fenced = impl_->fence(campaign); !fenced) return fenced;
    return impl_->exec("save_snapshot", Params(campaign, snapshot.through, Bytes{snapshot.state}),
                       "cannot save the campaign's snapshot")
        .map([](const Result&) {});
  });
}

std::optional<CampaignSnapshot> PostgresqlStore::snapshot(std::string_view campaign) const {
  const auto rows = impl_->read("find_snapshot", Params(campaign), "cannot read the campaign's snapshot");
  if (!rows || rows->rows() == 0) return std::nullopt;
  return CampaignSnapshot{.through = rows->integer(0, 0), .state = rows->bytes(0, 1)};
}

EventPage PostgresqlStore::events_after(std::string_view campaign, std::int64_t after, std::size_t limit) const {
  EventPage page;
  page.next = after;
  const auto rows = impl_->read("campaign_events", Params(campaign, after, limit_of(limit)), "cannot read the events");
  if (!rows) return page;
  page.events.reserve(static_cast<std::size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    const std::int64_t id = rows->integer(i, 0);
    page.next = id;
    auto event = impl_->event_of(id, rows->text(i, 1));
    if (!event) continue;
    page.events.emplace_back(id, std::move(*event));
  }
  return page;
}

std::vector<SendIntent> PostgresqlStore::open_intents() const {
  std::vector<SendIntent> out;
  if (const auto rows = impl_->read("list_intents", Params(), "cannot read the open intents")) {
    for (int i = 0; i < rows->rows(); ++i) {
      out.push_back(SendIntent{.campaign = std::string(rows->text(i, 0)),
                               .lead = std::string(rows->text(i, 1)),
                               .step = static_cast<int>(rows->integer(i, 2)),
                               .mailbox = std::string(rows->text(i, 3)),
                               .message_id = std::string(rows->text(i, 4)),
                               .at = instant_of(rows->integer(i, 5))});
    }
  }
  return out;
}

expected<void> PostgresqlStore::save_campaign(const StoredCampaign& campaign) {
  return impl_->write([&]() -> expected<void> {
    if (auto fenced = impl_->fence(campaign.name); !fenced) return fenced;
    return impl_
        ->exec("save_campaign",
               Params(campaign.name, campaign.definition, campaign.fingerprint, milliseconds_of(campaign.started)),
               "cannot save the campaign")
        .map([](const Result&) {});
  });
}

namespace {

std::vector<StoredCampaign> campaigns_of(const std::optional<Result>& rows) {
  std::vector<StoredCampaign> out;
  if (!rows) return out;
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back(StoredCampaign{.name = std::string(rows->text(i, 0)),
                                 .definition = std::string(rows->text(i, 1)),
                                 .fingerprint = std::string(rows->text(i, 2)),
                                 .started = instant_of(rows->integer(i, 3))});
  }
  return out;
}

}  // namespace

std::optional<StoredCampaign> PostgresqlStore::campaign(std::string_view name) const {
  auto found = campaigns_of(impl_->read("find_campaign", Params(name), "cannot read the campaign"));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<StoredCampaign> PostgresqlStore::campaigns() const {
  return campaigns_of(impl_->read("list_campaigns", Params(), "cannot read the campaigns"));
}

expected<std::size_t> PostgresqlStore::forget(std::string_view address) {
  std::size_t erased = 0;
  auto written = impl_->write([&]() -> expected<void> {
    erased = 0;
    for (const char* erase : {"forget_events", "forget_intents", "forget_inbox", "forget_added_leads"}) {
      auto done = impl_->exec(erase, Params(address), "cannot erase the address's records");
      if (!done) return fail(done.error());
      erased += static_cast<std::size_t>(done->changes());
    }
    // The snapshots were made of the erased events: the next start replays the logs as they are.
    if (auto dropped = impl_->exec("forget_snapshots", Params(), "cannot drop the snapshots"); !dropped) {
      return fail(dropped.error());
    }
    // Requests whose addresses hold it: answered ones go, waiting ones lose that address.
    auto mentioning = impl_->exec("requests_mentioning", Params(address), "cannot read the requests");
    if (!mentioning) return fail(mentioning.error());
    const std::string folded = detail::ascii_lower(address);
    for (int i = 0; i < mentioning->rows(); ++i) {
      std::string body(mentioning->text(i, 1));
      const bool answered = mentioning->text(i, 2) == "t";
      if (!detail::request_names_address(body, folded, !answered)) continue;
      ++erased;
      const std::int64_t id = mentioning->integer(i, 0);
      auto done = answered ? impl_->exec("drop_request", Params(id), "cannot erase the address's requests")
                           : impl_->exec("rewrite_request", Params(id, body), "cannot erase the address's requests");
      if (!done) return fail(done.error());
    }
    return {};
  });
  if (!written) return fail(written.error());
  return erased;
}

expected<void> PostgresqlStore::add_leads(std::string_view campaign, const std::vector<AddedLead>& leads) {
  return impl_->write([&]() -> expected<void> {
    if (auto fenced = impl_->fence(campaign); !fenced) return fenced;
    for (const AddedLead& lead : leads) {
      auto added = impl_->exec("add_lead", Params(campaign, lead.address, lead.lead, milliseconds_of(lead.added)),
                               "cannot add the lead");
      if (!added) return fail(added.error());
    }
    return {};
  });
}

void PostgresqlStore::for_each_added_lead(std::string_view campaign,
                                          const std::function<void(const AddedLead&)>& visit) const {
  std::int64_t after = INT64_MIN;
  for (;;) {
    const auto rows =
        impl_->read("list_added_leads", Params(campaign, after, replay_batch), "cannot read the added leads");
    if (!rows) return;
    for (int i = 0; i < rows->rows(); ++i) {
      visit(AddedLead{.address = std::string(rows->text(i, 1)),
                      .lead = std::string(rows->text(i, 2)),
                      .added = instant_of(rows->integer(i, 3))});
    }
    if (rows->rows() < replay_batch) return;
    after = rows->integer(rows->rows() - 1, 0);
  }
}

expected<void> PostgresqlStore::save_sequence_version(std::string_view campaign, const SequenceVersion& version) {
  return impl_->write([&]() -> expected<void> {
    if (auto fenced = impl_->fence(campaign); !fenced) return fenced;
    return impl_
        ->exec("add_sequence_version",
               Params(campaign, version.version, version.sequence, version.fingerprint, milliseconds_of(version.since)),
               "cannot keep the sequence version")
        .map([](const Result&) {});
  });
}

std::vector<SequenceVersion> PostgresqlStore::sequence_versions(std::string_view campaign) const {
  std::vector<SequenceVersion> versions;
  if (const auto rows =
          impl_->read("list_sequence_versions", Params(campaign), "cannot read the sequence versions")) {
    for (int i = 0; i < rows->rows(); ++i) {
      versions.push_back({static_cast<int>(rows->integer(i, 0)), std::string(rows->text(i, 1)),
                          std::string(rows->text(i, 2)), instant_of(rows->integer(i, 3))});
    }
  }
  return versions;
}

expected<void> PostgresqlStore::save_mailbox_state(const MailboxState& state) {
  return impl_->write_one("save_mailbox_state", Params(state.mailbox, state.disabled ? 1 : 0, state.reason, milliseconds_of(state.since)), "cannot keep the mailbox's state");
}

std::vector<MailboxState> PostgresqlStore::mailbox_states() const {
  std::vector<MailboxState> out;
  if (const auto rows = impl_->read("list_mailbox_states", Params(), "cannot read the mailbox states")) {
    for (int i = 0; i < rows->rows(); ++i) {
      out.push_back(MailboxState{.mailbox = std::string(rows->text(i, 0)),
                                 .disabled = rows->text(i, 1) == "t",
                                 .reason = std::string(rows->text(i, 2)),
                                 .since = instant_of(rows->integer(i, 3))});
    }
  }
  return out;
}

std::optional<SentMessage> PostgresqlStore::find_sent(std::string_view message_id) const {
  const auto rows = impl_->read("find_sent", Params(message_id), "cannot read the sends");
  if (!rows || rows->rows() == 0) return std::nullopt;
  auto event = parse_event_line(rows->text(0, 0));
  if (!event) return std::nullopt;
  return SentMessage{event->campaign, event->lead, event->step};
}

std::optional<int> PostgresqlStore::last_step_sent(std::string_view campaign, std::string_view lead,
                                                   Instant at_or_before) const {
  const auto rows =
      impl_->read("last_step_sent", Params(campaign, lead, milliseconds_of(at_or_before)), "cannot read the sends");
  if (!rows || rows->rows() == 0) return std::nullopt;
  auto event = parse_event_line(rows->text(0, 0));
  if (!event) return std::nullopt;
  return event->step;
}

expected<bool> PostgresqlStore::record_received(std::string_view fingerprint, Instant at) {
  bool added = false;
  auto written = impl_->write([&]() -> expected<void> {
    auto recorded = impl_->exec("record_received", Params(fingerprint, milliseconds_of(at)),
                                "cannot record the received message");
    if (!recorded) return fail(recorded.error());
    added = recorded->changes() > 0;
    return {};
  });
  if (!written) return fail(written.error());
  return added;
}

expected<void> PostgresqlStore::queue_received(std::string_view raw, Instant at) {
  return impl_->write_handed_in([&]() -> expected<void> {
    auto queued = impl_->exec("queue_received", Params(milliseconds_of(at), Bytes{raw}), "cannot hand the message to the engine");
    if (!queued) return fail(queued.error());
    return impl_->wake_engines();
  });
}

std::vector<QueuedMessage> PostgresqlStore::queued(std::size_t limit, std::int64_t after) const {
  std::vector<QueuedMessage> out;
  if (const auto rows = impl_->read("list_queued", Params(limit_of(limit), after), "cannot read the inbox")) {
    for (int i = 0; i < rows->rows(); ++i) {
      out.push_back(QueuedMessage{
          .id = rows->integer(i, 0), .raw = rows->bytes(i, 1), .queued = instant_of(rows->integer(i, 2))});
    }
  }
  return out;
}

expected<void> PostgresqlStore::unqueue(std::int64_t id) {
  return impl_->write_one("unqueue", Params(id), "cannot take the message out of the inbox");
}

// A request for a campaign that was released as finished makes it one an engine claims again.
expected<std::int64_t> PostgresqlStore::Impl::insert_request(std::string_view body, Instant at) {
  auto inserted = exec("queue_request", Params(milliseconds_of(at), body), "cannot write the request");
  if (!inserted) return fail(inserted.error());
  const std::int64_t id = inserted->integer(0, 0);
  if (const std::string campaign = detail::request_campaign(body); !campaign.empty()) {
    auto reopened = exec("reopen_campaign", Params(campaign), "cannot write the request");
    if (!reopened) return fail(reopened.error());
  }
  if (auto woken = wake_engines(); !woken) return fail(woken.error());
  return id;
}

// From the inbox's side (another process), the engines are told at its commit.
expected<void> PostgresqlStore::Impl::wake_engines() {
  if (options.access != StoreAccess::inbox) return {};
  return exec("notify", Params(), "cannot wake the engines").map([](const Result&) {});
}

// Inside a write of a campaign: the claim is this engine's, still, and stays so until the
// transaction ends (a share lock on its row, which a takeover's update waits for). Once per
// campaign in a unit.
expected<void> PostgresqlStore::Impl::fence(std::string_view campaign) {
  if (depth > 0 && fenced.contains(campaign)) return {};
  const auto held = claims.find(campaign);
  if (held == claims.end()) {
    return fail(refused(Errc::unavailable, "campaign \"" + std::string(campaign) +
                                               "\" is not claimed by this engine, so it may not write for it"));
  }
  Error taken = refused(Errc::unavailable, "campaign \"" + std::string(campaign) +
                                              "\" was taken over by another engine after this engine's claim "
                                              "lapsed: its writes are refused");
  // Checked before the commit: the writes after it in the transaction never commit without it.
  auto row = defer("fence", Params(campaign, engine_id, held->second), "cannot check the campaign's claim",
                   [taken](const Result& held_rows) -> expected<void> {
                     if (held_rows.rows() == 0) return fail(taken);
                     return {};
                   });
  if (!row) return row;
  if (depth > 0) fenced.emplace(campaign);
  return {};
}

expected<std::int64_t> PostgresqlStore::queue_request(std::string_view body, Instant at) {
  std::int64_t id = 0;
  auto written = impl_->write_handed_in([&]() -> expected<void> {
    auto inserted = impl_->insert_request(body, at);
    if (!inserted) return fail(inserted.error());
    id = *inserted;
    return {};
  });
  if (!written) return fail(written.error());
  return id;
}

expected<std::int64_t> PostgresqlStore::suppress_and_queue(std::string_view address, std::string_view reason,
                                                           std::string_view body, Instant at) {
  const std::string key = detail::ascii_lower(address);
  const Instant now = system_now();
  std::int64_t id = 0;
  auto written = impl_->write_handed_in([&]() -> expected<void> {
    id = 0;
    auto suppressed = impl_->exec("suppress", Params(key, reason, milliseconds_of(now)), "cannot add to the suppression list");
    if (!suppressed) return fail(suppressed.error());
    if (suppressed->changes() == 0) return {};  // on the list already: nothing more to ask
    auto inserted = impl_->insert_request(body, at);
    if (!inserted) return fail(inserted.error());
    id = *inserted;
    return {};
  });
  if (!written) return fail(written.error());
  return id;
}

std::vector<StoredRequest> PostgresqlStore::waiting_requests(std::size_t limit, std::int64_t after) const {
  std::vector<StoredRequest> out;
  if (const auto rows = impl_->read("waiting_requests", Params(limit_of(limit), after), "cannot read the requests")) {
    for (int i = 0; i < rows->rows(); ++i) {
      out.push_back(StoredRequest{.id = rows->integer(i, 0),
                                  .body = std::string(rows->text(i, 2)),
                                  .queued = instant_of(rows->integer(i, 1)),
                                  .answered = {},
                                  .answer = {}});
    }
  }
  return out;
}

expected<bool> PostgresqlStore::take_request(std::int64_t id) {
  bool taken = false;
  auto written = impl_->write([&]() -> expected<void> {
    auto row = impl_->exec("take_request", Params(id), "cannot take the request");
    if (!row) return fail(row.error());
    taken = row->rows() > 0;
    return {};
  });
  if (!written) return fail(written.error());
  return taken;
}

expected<void> PostgresqlStore::answer_request(std::int64_t id, std::string_view answer, Instant at) {
  // Answers are read within moments by whoever asked; a week later they only take room.
  constexpr std::chrono::hours kept{7 * 24};
  return impl_->write([&]() -> expected<void> {
    auto answered = impl_->exec("answer_request", Params(id, milliseconds_of(at), answer),
                                "cannot record the request's answer");
    if (!answered) return fail(answered.error());
    if (answered->changes() == 0) {
      return fail(impl_->refused(Errc::not_found, "no waiting request " + std::to_string(id)));
    }
    return impl_->exec("drop_old_requests", Params(milliseconds_of(at - kept)), "cannot drop old requests")
        .map([](const Result&) {});
  });
}

std::optional<StoredRequest> PostgresqlStore::request(std::int64_t id) const {
  const auto rows = impl_->read("find_request", Params(id), "cannot read the request");
  if (!rows || rows->rows() == 0) return std::nullopt;
  return StoredRequest{.id = rows->integer(0, 0),
                       .body = std::string(rows->text(0, 2)),
                       .queued = instant_of(rows->integer(0, 1)),
                       .answered = instant_of(rows->optional_integer(0, 3)),
                       .answer = std::string(rows->text(0, 4))};
}

std::optional<FolderPosition> PostgresqlStore::folder_position(std::string_view mailbox, std::string_view folder) const {
  const auto rows = impl_->read("find_folder_position", Params(mailbox, folder), "cannot read the folder's position");
  if (!rows || rows->rows() == 0) return std::nullopt;
  // The table's CHECKs keep both within 32 bits.
  return FolderPosition{.mailbox = std::string(mailbox),
                        .folder = std::string(folder),
                        .uidvalidity = static_cast<std::uint32_t>(rows->integer(0, 0)),
                        .last_uid = static_cast<std::uint32_t>(rows->integer(0, 1))};
}

expected<void> PostgresqlStore::save_folder_position(const FolderPosition& position) {
  return impl_->write_one("save_folder_position", Params(position.mailbox, position.folder, std::int64_t{position.uidvalidity},
                      std::int64_t{position.last_uid}), "cannot record the folder's position");
}

expected<void> PostgresqlStore::record_mailbox_check(const MailboxCheck& check) {
  return impl_->write_one("record_mailbox_check", Params(check.mailbox, milliseconds_of(check.checked), milliseconds_of(check.failed), check.error), "cannot record the mailbox's check");
}

std::vector<MailboxCheck> PostgresqlStore::mailbox_checks() const {
  std::vector<MailboxCheck> out;
  if (const auto rows = impl_->read("list_mailbox_checks", Params(), "cannot read the mailbox checks")) {
    for (int i = 0; i < rows->rows(); ++i) {
      out.push_back(MailboxCheck{.mailbox = std::string(rows->text(i, 0)),
                                 .checked = instant_of(rows->optional_integer(i, 1)),
                                 .failed = instant_of(rows->optional_integer(i, 2)),
                                 .error = std::string(rows->text(i, 3))});
    }
  }
  return out;
}

bool PostgresqlStore::shared() const noexcept { return impl_->shared_engine(); }

const std::string& PostgresqlStore::engine_id() const noexcept { return impl_->engine_id; }

expected<bool> PostgresqlStore::claim(std::string_view campaign) {
  if (impl_->claims.contains(campaign)) return true;
  std::optional<std::int64_t> attempt;
  auto written = impl_->write([&]() -> expected<void> {
    attempt.reset();
    auto claimed = impl_->exec("claim", Params(campaign, impl_->engine_id, impl_->lease_milliseconds()),
                               "cannot claim the campaign");
    if (!claimed) return fail(claimed.error());
    if (claimed->rows() > 0) attempt = claimed->integer(0, 0);
    return {};
  });
  if (!written) return fail(written.error());
  if (!attempt) return false;
  impl_->claims.emplace(campaign, *attempt);
  return true;
}

expected<std::vector<std::string>> PostgresqlStore::claim_free(std::size_t limit) {
  std::vector<std::pair<std::string, std::int64_t>> taken;
  auto written = impl_->write([&]() -> expected<void> {
    taken.clear();
    auto claimed = impl_->exec("claim_free", Params(impl_->engine_id, impl_->lease_milliseconds(), limit_of(limit)),
                               "cannot claim campaigns");
    if (!claimed) return fail(claimed.error());
    for (int i = 0; i < claimed->rows(); ++i) taken.emplace_back(claimed->text(i, 0), claimed->integer(i, 1));
    return {};
  });
  if (!written) return fail(written.error());
  std::vector<std::string> names;
  for (auto& [campaign, attempt] : taken) {
    impl_->claims.insert_or_assign(campaign, attempt);
    names.push_back(std::move(campaign));
  }
  return names;
}

expected<std::vector<std::string>> PostgresqlStore::renew_claims() {
  Impl& impl = *impl_;
  std::vector<std::string> lost;
  const auto now = std::chrono::steady_clock::now();
  if (now - impl.renewed < impl.options.claim_lease / 3) return lost;
  std::map<std::string, std::int64_t, std::less<>> renewed;
  auto written = impl.write([&]() -> expected<void> {
    renewed.clear();
    auto seen = impl.exec("engine_seen", Params(impl.engine_id), "cannot renew the claims");
    if (!seen) return fail(seen.error());
    auto rows = impl.exec("renew_claims", Params(impl.engine_id, impl.lease_milliseconds()), "cannot renew the claims");
    if (!rows) return fail(rows.error());
    for (int i = 0; i < rows->rows(); ++i) renewed.emplace(rows->text(i, 0), rows->integer(i, 1));
    return {};
  });
  if (!written) return fail(written.error());
  impl.renewed = now;
  for (auto it = impl.claims.begin(); it != impl.claims.end();) {
    const auto kept = renewed.find(it->first);
    if (kept != renewed.end() && kept->second == it->second) {
      ++it;
      continue;
    }
    lost.push_back(it->first);
    it = impl.claims.erase(it);
  }
  return lost;
}

// A statement about a claim this engine holds ($1 the campaign, $2 the engine, $3 the attempt,
// $4 the flag); nothing for a campaign it does not hold.
expected<void> PostgresqlStore::Impl::write_claim(const char* statement, std::string_view campaign, bool flag,
                                                  std::string_view doing) {
  const auto held = claims.find(campaign);
  if (held == claims.end()) return {};
  return write_one(statement, Params(campaign, engine_id, held->second, flag ? 1 : 0), doing);
}

expected<void> PostgresqlStore::release(std::string_view campaign, bool finished) {
  auto written = impl_->write_claim("release_claim", campaign, finished, "cannot give the campaign's claim up");
  if (!written) return written;
  if (const auto held = impl_->claims.find(campaign); held != impl_->claims.end()) impl_->claims.erase(held);
  return {};
}

expected<void> PostgresqlStore::mark_finished(std::string_view campaign, bool finished) {
  return impl_->write_claim("mark_finished", campaign, finished, "cannot say the campaign is finished");
}

expected<bool> PostgresqlStore::others_at_work() {
  const auto rows = impl_->read("others_at_work", Params(impl_->engine_id), "cannot read the claims");
  if (!rows) return fail(impl_->read_failure.value_or(impl_->refused(Errc::io_error, "cannot read the claims")));
  return rows->text(0, 0) == "t";
}

namespace {

SlotAnswer answer_of(const Result& row, bool granted) {
  return SlotAnswer{.granted = granted, .day = row.integer(0, 0), .sent_that_day = row.integer(0, 1),
                    .last = instant_of(row.optional_integer(0, 2))};
}

Params reservation_of(const SendSlot& slot) {
  return Params(slot.mailbox, slot.day, slot.day_limit, milliseconds_of(slot.at), static_cast<std::int64_t>(slot.spacing.count()));
}

}  // namespace

// The reservations in one round trip, each mailbox's row added first the first time it is asked
// for (in the same order, so that two engines' units never wait for each other); the refused
// ones' slots read in a second. A row not there after all (added by a unit that did not commit)
// is added by `reserve_slot`.
expected<std::vector<SlotAnswer>> PostgresqlStore::reserve_slots(const std::vector<SendSlot>& slots) {
  static constexpr std::string_view reserving = "cannot reserve the mailbox's send";
  std::vector<SlotAnswer> answers(slots.size());
  std::vector<std::size_t> missing;
  auto written = impl_->write([&]() -> expected<void> {
    missing.clear();
    auto& deferred = impl_->deferred;
    const std::size_t first = deferred.size();
    std::vector<std::size_t> at;
    at.reserve(slots.size());
    for (const SendSlot& slot : slots) {
      if (!impl_->slot_rows.contains(slot.mailbox)) {
        deferred.push_back({"add_slot_row", Params(slot.mailbox, slot.day), reserving, {}});
      }
      at.push_back(deferred.size() - first);
      deferred.push_back({"reserve_slot", reservation_of(slot), reserving, {}});
    }
    auto reserved = impl_->flush();
    if (!reserved) return fail(reserved.error());
    std::vector<std::size_t> refused;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const Result& row = (*reserved)[first + at[i]];
      impl_->slot_rows.insert(slots[i].mailbox);
      if (row.rows() > 0) {
        answers[i] = answer_of(row, true);
      } else {
        refused.push_back(i);
      }
    }
    if (refused.empty()) return {};
    std::vector<Params> asked;
    for (const std::size_t i : refused) asked.emplace_back(slots[i].mailbox);
    auto current = impl_->read_many("read_slot", std::move(asked), reserving);
    if (!current) return fail(impl_->unit_error.value_or(impl_->refused(Errc::unavailable, std::string(reserving))));
    for (std::size_t k = 0; k < refused.size(); ++k) {
      if ((*current)[k].rows() > 0) {
        answers[refused[k]] = answer_of((*current)[k], false);
      } else {
        missing.push_back(refused[k]);
      }
    }
    return {};
  });
  if (!written) return fail(written.error());
  for (const std::size_t i : missing) {
    auto answer = reserve_slot(slots[i]);
    if (!answer) return fail(answer.error());
    answers[i] = *answer;
  }
  return answers;
}

std::vector<bool> PostgresqlStore::suppressed_among(const std::vector<std::string_view>& addresses) const {
  std::vector<Params> asked;
  asked.reserve(addresses.size());
  for (const std::string_view address : addresses) asked.emplace_back(detail::ascii_lower(address));
  const auto found = impl_->read_many("find_suppression", std::move(asked), "cannot read the suppression list");
  // When the list cannot be read, every address counts as suppressed: not sending is the safe side.
  std::vector<bool> out(addresses.size(), true);
  for (std::size_t i = 0; found && i < addresses.size(); ++i) out[i] = (*found)[i].rows() > 0;
  return out;
}

// One reservation, its mailbox's row added when it has none yet.
expected<SlotAnswer> PostgresqlStore::reserve_slot(const SendSlot& slot) {
  SlotAnswer answer;
  auto written = impl_->write([&]() -> expected<void> {
    const Params asked = reservation_of(slot);
    // Reserved, or refused with the mailbox's count; false when the mailbox has no row yet.
    const auto reserve_or_read = [&]() -> expected<bool> {
      auto reserved = impl_->exec("reserve_slot", asked, "cannot reserve the mailbox's send");
      if (!reserved) return fail(reserved.error());
      if (reserved->rows() > 0) {
        answer = answer_of(*reserved, true);
        return true;
      }
      auto current = impl_->exec("read_slot", Params(slot.mailbox), "cannot read the mailbox's sends");
      if (!current) return fail(current.error());
      if (current->rows() == 0) return false;
      answer = answer_of(*current, false);
      return true;
    };
    auto done = reserve_or_read();
    if (!done || *done) return done.map([](bool) {});
    // The mailbox's first send in this store (another engine may add its row meanwhile).
    auto added = impl_->exec("add_slot_row", Params(slot.mailbox, slot.day), "cannot reserve the mailbox's send");
    if (!added) return fail(added.error());
    done = reserve_or_read();
    if (!done) return fail(done.error());
    if (!*done) return fail(impl_->refused(Errc::internal, "the mailbox's row of sends is missing after it was added"));
    return {};
  });
  if (!written) return fail(written.error());
  return answer;
}

expected<void> PostgresqlStore::release_slot(const SendSlot& slot) {
  return impl_->write_one("release_slot", Params(slot.mailbox, slot.day), "cannot give the mailbox's send back");
}

int PostgresqlStore::wake_descriptor() const noexcept {
  return impl_->options.access == StoreAccess::engine ? impl_->connection.socket() : -1;
}

bool PostgresqlStore::take_wake_ups() noexcept { return impl_->connection.take_notifications(); }

StoreAccess PostgresqlStore::access() const noexcept { return impl_->options.access; }

std::optional<Error> PostgresqlStore::read_error() const { return impl_->read_failure; }

const std::string& PostgresqlStore::location() const noexcept { return impl_->shown; }

const PostgresqlStoreOptions& PostgresqlStore::options() const noexcept { return impl_->options; }

std::int64_t PostgresqlStore::reconnections() const noexcept { return impl_->reconnections; }

}  // namespace outreach
