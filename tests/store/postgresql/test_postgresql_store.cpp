// The PostgreSQL store alone, on a real server: reopening, failed units, a writer killed between
// intent and outcome, the engine lock, readers, refused databases, migrations by two engines at
// once, lost connections (outside a unit, inside one, during its commit), timeouts, passwords
// kept out of errors, and an engine resuming on a reopened store.
#include <doctest/doctest.h>

#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/open_store.hpp"
#include "outreach/postgresql_store.hpp"
#include "store/postgresql/pg.hpp"
#include "store/postgresql/postgresql_schema.hpp"
#include "store/store_fixtures.hpp"
#include "support/postgresql.hpp"
#include "support/time.hpp"
#include "util/connection_string.hpp"

using namespace outreach;
using namespace outreach::testing;

namespace {

PostgresqlStoreOptions reading() {
  PostgresqlStoreOptions options;
  options.access = StoreAccess::read;
  return options;
}

PostgresqlStoreOptions handing_in() {
  PostgresqlStoreOptions options;
  options.access = StoreAccess::inbox;
  return options;
}

// An engine's store with the campaigns it writes for claimed.
std::unique_ptr<PostgresqlStore> engine_on(const std::string& uri, PostgresqlStoreOptions options = {}) {
  auto store = open_postgresql(uri, options);
  for (const char* campaign : {"a", "b"}) REQUIRE(store->claim(campaign).value_or(false));
  return store;
}

// A connection of another program to the database, to look and to meddle.
class Session {
 public:
  explicit Session(const std::string& uri) : connection_(PQconnectdb(uri.c_str()), PQfinish) {
    REQUIRE_MESSAGE(PQstatus(connection_.get()) == CONNECTION_OK, PQerrorMessage(connection_.get()));
  }
  // Runs SQL; the first column of the first row ("" when none).
  std::string run(const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(connection_.get(), sql.c_str()), PQclear);
    const auto status = PQresultStatus(result.get());
    REQUIRE_MESSAGE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK), PQresultErrorMessage(result.get()));
    if (PQntuples(result.get()) == 0) return "";
    return PQgetvalue(result.get(), 0, 0);
  }
  // Ends every other session of the database, as a restarted server would.
  void cut_the_others() {
    run("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()");
    // Termination is a signal: wait until the sessions are gone.
    for (int i = 0; i < 200; ++i) {
      if (run("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") ==
          "0") {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

 private:
  std::unique_ptr<PGconn, void (*)(PGconn*)> connection_;
};

// A unix-socket proxy in front of the test server that, when asked, lets the next COMMIT reach
// the server and then cuts the connection before its answer comes back: the commit is kept, and
// the client cannot know it.
class CommitCutter {
 public:
  explicit CommitCutter(const std::string& server_uri) {
    const auto host = server_uri.find("host=") + 5;
    server_socket_ = server_uri.substr(host, server_uri.find('&', host) - host) + "/.s.PGSQL.5432";
    char pattern[] = "/tmp/ocutXXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    folder_ = pattern;
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = folder_ + "/.s.PGSQL.5432";
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(listener_, 8) == 0);
    accepter_ = std::thread([this] { accept_all(); });
  }
  ~CommitCutter() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    close(listener_);
    accepter_.join();
    for (auto& pipe : pipes_) pipe.join();
    std::filesystem::remove_all(folder_);
  }
  CommitCutter(const CommitCutter&) = delete;
  CommitCutter& operator=(const CommitCutter&) = delete;
  // The URI of `database` through the proxy.
  [[nodiscard]] std::string uri(const std::string& database) const {
    return "postgresql://postgres@/" + database + "?host=" + folder_;
  }
  void cut_next_commit() { cut_ = true; }
  [[nodiscard]] int cuts() const { return cuts_; }

 private:
  void accept_all() {
    for (;;) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      const int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::snprintf(address.sun_path, sizeof address.sun_path, "%s", server_socket_.c_str());
      if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(client);
        close(server);
        continue;
      }
      pipes_.emplace_back([this, client, server] { forward(client, server); });
    }
  }
  // Both directions until either side closes; after a COMMIT it was told to cut, the server's
  // answer is dropped with both connections.
  void forward(int client, int server) {
    bool cutting = false;
    char buffer[65536];
    while (!stopping_) {
      pollfd both[2] = {{.fd = client, .events = POLLIN, .revents = 0}, {.fd = server, .events = POLLIN, .revents = 0}};
      if (poll(both, 2, 200) < 0) break;
      if (both[0].revents != 0) {
        const ssize_t got = read(client, buffer, sizeof buffer);
        if (got <= 0) break;
        if (cut_ && std::string_view(buffer, static_cast<std::size_t>(got)).find("COMMIT") != std::string_view::npos) {
          cut_ = false;
          cutting = true;
        }
        if (write(server, buffer, static_cast<std::size_t>(got)) != got) break;
      }
      if (both[1].revents != 0) {
        const ssize_t got = read(server, buffer, sizeof buffer);
        if (got <= 0) break;
        if (cutting) {
          ++cuts_;
          break;  // the commit's answer never reaches the client
        }
        if (write(client, buffer, static_cast<std::size_t>(got)) != got) break;
      }
    }
    close(client);
    close(server);
  }

  std::string server_socket_;
  std::string folder_;
  int listener_ = -1;
  std::thread accepter_;
  std::vector<std::thread> pipes_;
  std::atomic<bool> cut_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> cuts_{0};
};

// A child process that does its part and then waits to be killed (as in the SQLite tests).
class Child {
 public:
  explicit Child(const std::function<bool()>& work) {
    int ends[2];
    REQUIRE(pipe(ends) == 0);
    std::fflush(nullptr);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      close(ends[0]);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const char answer = work() ? '1' : '0';
      [[maybe_unused]] const ssize_t written = write(ends[1], &answer, 1);
      for (;;) pause();
    }
    close(ends[1]);
    report_ = ends[0];
  }
  ~Child() {
    kill();
    close(report_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool ready() {
    pollfd wait_for{.fd = report_, .events = POLLIN, .revents = 0};
    if (poll(&wait_for, 1, 30000) != 1) return false;
    char answer = 0;
    return read(report_, &answer, 1) == 1 && answer == '1';
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int report_ = -1;
};

}  // namespace

TEST_SUITE("postgresql_store") {

TEST_CASE("a PostgreSQL store keeps everything across closing and opening again, in its own schema") {
  PostgresqlDatabase database;
  {
    auto store = engine_on(database.uri());
    REQUIRE(store->save_campaign({"a", R"({"name":"a"})", "fp", utc("2026-12-01T09:00:00Z")}));
    REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
    REQUIRE(store->record_intent(intent_of("a", "y@example.com", 1)));
    REQUIRE(store->suppress("Z@Example.com", "manual"));
    REQUIRE(store->queue_received(std::string("raw\0bytes\xff\r\n", 13), utc("2026-12-01T09:00:00Z")));
    REQUIRE(store->save_folder_position({"alice", "INBOX", 4294967295u, 12}));
  }
  auto store = engine_on(database.uri());
  CHECK(events_of(*store, "a") == std::vector<Event>{event_of(EventType::sent, "a", "x@example.com", 1)});
  CHECK(store->open_intents() == std::vector<SendIntent>{intent_of("a", "y@example.com", 1)});
  CHECK(store->is_suppressed("z@example.com"));
  REQUIRE(store->queued(10).size() == 1);
  CHECK(store->queued(10)[0].raw == std::string("raw\0bytes\xff\r\n", 13));
  CHECK(store->folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 4294967295u, 12});
  CHECK(store->find_sent("<1.x@example.com>") == SentMessage{"a", "x@example.com", 1});
  REQUIRE(store->campaign("a").has_value());
  CHECK(store->campaign("a")->fingerprint == "fp");
  CHECK(store->reconnections() == 0);
  // Everything is in the schema `outreach`, at this library's version; nothing in `public`.
  Session session(database.uri());
  CHECK(session.run("SELECT version FROM outreach.meta") == std::to_string(detail::postgresql_schema_version()));
  CHECK(session.run("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
}

TEST_CASE("a write that fails inside a unit keeps nothing of the unit, and reads still work until its commit") {
  PostgresqlDatabase database;
  open_postgresql(database.uri()).reset();
  // Another program's trigger makes one write fail, as a full disk would.
  Session session(database.uri());
  session.run(R"(CREATE FUNCTION outreach.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                 CREATE TRIGGER refuse BEFORE INSERT ON outreach.events FOR EACH ROW
                 WHEN (NEW.lead = 'poison@example.com') EXECUTE FUNCTION outreach.refuse())");
  auto store = engine_on(database.uri());
  REQUIRE(store->record_intent(intent_of("a", "x@example.com", 1)));
  REQUIRE(store->save_folder_position({"alice", "INBOX", 7, 10}));

  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  REQUIRE(store->suppress("x@example.com", "hard_bounce"));
  REQUIRE(store->save_folder_position({"alice", "INBOX", 7, 11}));
  // Writes whose answer is not needed wait to go with the next statement that needs one: here
  // the read, which sees the unit's writes. The failure shows there, and every write after it
  // and the commit give it.
  REQUIRE(store->append(event_of(EventType::replied, "a", "poison@example.com")));
  REQUIRE(store->append(event_of(EventType::completed, "a", "x@example.com")));
  CHECK_FALSE(store->is_suppressed("x@example.com"));  // a read inside the spoiled unit
  const auto failed = store->append(event_of(EventType::completed, "a", "x@example.com"));
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().where().file == database.uri());
  CHECK(failed.error().message().find("refused by the test") != std::string::npos);
  const auto committed = store->commit();
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().message() == failed.error().message());
  CHECK_FALSE(store->read_error().has_value());

  CHECK(events_of(*store, "a").empty());
  CHECK_FALSE(store->is_suppressed("x@example.com"));
  CHECK(store->open_intents().size() == 1);
  CHECK(store->folder_position("alice", "INBOX") == FolderPosition{"alice", "INBOX", 7, 10});

  // Outside a unit, the failed write is its own transaction, and the store goes on.
  REQUIRE_FALSE(store->append(event_of(EventType::replied, "a", "poison@example.com")).has_value());
  REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK(store->open_intents().empty());
  CHECK(events_of(*store, "a").size() == 1);
  const auto unmatched = store->commit();
  REQUIRE_FALSE(unmatched.has_value());
  CHECK(unmatched.error().message() == "commit without begin");
}

TEST_CASE("an intent recorded by an engine killed before its outcome is open when the database is opened again") {
  PostgresqlDatabase database;
  open_postgresql(database.uri()).reset();
  {
    Child child([&] {
      // Never closed: the process is killed with the store open, its claim held.
      auto opened = PostgresqlStore::open(database.uri());
      PostgresqlStore* store = opened ? opened->release() : nullptr;
      return store && store->claim("a").value_or(false) && store->record_intent(intent_of("a", "done@example.com", 1)) && store->begin() &&
             store->append(event_of(EventType::sent, "a", "done@example.com", 1)) && store->commit() &&
             store->record_intent(intent_of("a", "doubt@example.com", 1));
    });
    REQUIRE(child.ready());
    child.kill();
  }
  // Its claim is not renewed any more; until it lapses, the campaign is not another's.
  auto store = open_postgresql(database.uri());
  CHECK_FALSE(store->claim("a").value_or(true));
  CHECK(store->open_intents() == std::vector<SendIntent>{intent_of("a", "doubt@example.com", 1)});
  CHECK(events_of(*store, "a") == std::vector<Event>{event_of(EventType::sent, "a", "done@example.com", 1)});
}

TEST_CASE("several engines share a PostgreSQL store: each campaign is claimed by one, and only it writes for it") {
  PostgresqlDatabase database;
  auto first = open_postgresql(database.uri());
  auto second = open_postgresql(database.uri());
  CHECK(first->shared());
  CHECK(first->engine_id() != second->engine_id());
  CHECK_FALSE(open_postgresql(database.uri(), reading())->shared());

  REQUIRE(first->claim("a").value_or(false));
  CHECK(first->claim("a").value_or(false));  // held already
  CHECK_FALSE(second->claim("a").value_or(true));
  REQUIRE(second->claim("b").value_or(false));
  REQUIRE(first->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  const auto refused = second->append(event_of(EventType::sent, "a", "y@example.com", 1));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Errc::unavailable);
  CHECK(refused.error().message().find("not claimed by this engine") != std::string::npos);
  REQUIRE(second->record_intent(intent_of("b", "y@example.com", 1)));
  // Store-wide writes need no claim.
  REQUIRE(second->suppress("z@example.com", "manual"));

  // Free campaigns go to whoever asks first, each engine up to its fair share (three campaigns,
  // two engines: two); a campaign never saved is nobody's work.
  for (const char* name : {"c", "d", "e"}) {
    REQUIRE(first->claim(name).value_or(false));
    REQUIRE(first->save_campaign({name, "{}", "fp", utc("2026-12-01T00:00:00Z")}));
    REQUIRE(first->release(name, false));
  }
  REQUIRE(first->claim("never-saved").value_or(false));
  REQUIRE(first->release("never-saved", false));
  const auto taken = second->claim_free(2);
  REQUIRE(taken.has_value());
  CHECK(*taken == std::vector<std::string>{"c", "d"});
  CHECK(first->claim_free(10).value_or(std::vector<std::string>{}) == std::vector<std::string>{"e"});
  CHECK(first->claim_free(10).value_or(std::vector<std::string>{"x"}).empty());
  CHECK(second->others_at_work().value_or(false));

  // Released as finished: nobody claims it, until a request asks something of it.
  REQUIRE(first->release("e", true));
  CHECK(second->claim_free(10).value_or(std::vector<std::string>{"x"}).empty());
  auto inbox = open_postgresql(database.uri(), handing_in());
  REQUIRE(inbox->queue_request(R"({"action":"pause","campaign":"e"})", utc("2026-12-01T09:00:00Z")));
  CHECK(second->claim_free(10).value_or(std::vector<std::string>{"x"}).empty());  // it has its share
  CHECK(first->claim_free(10).value_or(std::vector<std::string>{}) == std::vector<std::string>{"e"});
}

TEST_CASE("a claim that lapsed is taken over, and the old holder's writes are refused from then on") {
  PostgresqlDatabase database;
  PostgresqlStoreOptions brief;
  brief.claim_lease = std::chrono::milliseconds(300);
  auto stalled = open_postgresql(database.uri(), brief);
  auto taker = open_postgresql(database.uri(), brief);
  REQUIRE(stalled->claim("a").value_or(false));
  REQUIRE(stalled->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK_FALSE(taker->claim("a").value_or(true));
  // Renewed in time, the claim holds.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(stalled->renew_claims().value_or(std::vector<std::string>{"x"}).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(taker->claim("a").value_or(true));
  // Paused past its lease (a stopped process, a long pause), it loses the campaign.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  REQUIRE(taker->claim("a").value_or(false));
  REQUIRE(taker->record_intent(intent_of("a", "y@example.com", 1)));
  const auto late = stalled->append(event_of(EventType::sent, "a", "y@example.com", 1));
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code() == Errc::unavailable);
  CHECK(late.error().message().find("taken over by another engine") != std::string::npos);
  CHECK(stalled->renew_claims().value_or(std::vector<std::string>{}) == std::vector<std::string>{"a"});
  CHECK(events_of(*taker, "a").size() == 1);
  CHECK(taker->open_intents().size() == 1);  // the late outcome did not close the new holder's intent
}

TEST_CASE("a takeover waits for the holder's unit under way, and then sees all of it") {
  PostgresqlDatabase database;
  PostgresqlStoreOptions lease;
  lease.claim_lease = std::chrono::milliseconds(2000);  // a unit may stay idle this long
  auto holder = open_postgresql(database.uri(), lease);
  auto taker = open_postgresql(database.uri(), lease);
  REQUIRE(holder->claim("a").value_or(false));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(holder->begin());
  REQUIRE(holder->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK_FALSE(holder->is_suppressed("x@example.com"));  // the unit's writes reach the server
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // lapsed, inside the unit
  std::atomic<bool> claimed{false};
  std::thread take([&] { claimed = taker->claim("a").value_or(false); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(claimed.load());  // waiting for the unit's share lock on the claim
  REQUIRE(holder->append(event_of(EventType::completed, "a", "x@example.com")));
  REQUIRE(holder->commit());
  take.join();
  CHECK(claimed.load());
  CHECK(events_of(*taker, "a").size() == 2);
  CHECK_FALSE(holder->append(event_of(EventType::replied, "a", "x@example.com", 1)).has_value());
}

TEST_CASE("a holder stopped inside its unit past its lease loses the campaign, and its unit is refused") {
  PostgresqlDatabase database;
  PostgresqlStoreOptions brief;
  brief.claim_lease = std::chrono::milliseconds(300);
  auto holder = open_postgresql(database.uri(), brief);
  auto taker = open_postgresql(database.uri(), brief);
  REQUIRE(holder->claim("a").value_or(false));
  REQUIRE(holder->begin());
  REQUIRE(holder->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK_FALSE(holder->is_suppressed("x@example.com"));  // the unit holds the claim's share lock
  // Idle past its lease (a stopped process): the server ends the unit, and with it the lock,
  // so the takeover does not wait for the holder to come back.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  REQUIRE(taker->claim("a").value_or(false));  // without the lock's end: a lock timeout
  REQUIRE(holder->append(event_of(EventType::completed, "a", "x@example.com")));
  const auto committed = holder->commit();
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().message().find("taken over by another engine") != std::string::npos);
  CHECK(events_of(*taker, "a").empty());
}

TEST_CASE("a takeover before the holder's unit reaches the server refuses the whole unit") {
  PostgresqlDatabase database;
  PostgresqlStoreOptions brief;
  brief.claim_lease = std::chrono::milliseconds(200);
  auto holder = open_postgresql(database.uri(), brief);
  auto taker = open_postgresql(database.uri(), brief);
  REQUIRE(holder->claim("a").value_or(false));
  REQUIRE(holder->begin());
  REQUIRE(holder->append(event_of(EventType::sent, "a", "x@example.com", 1)));  // not sent yet
  std::this_thread::sleep_for(std::chrono::milliseconds(300));                    // lapsed
  REQUIRE(taker->claim("a").value_or(false));
  REQUIRE(holder->append(event_of(EventType::completed, "a", "x@example.com")));
  const auto committed = holder->commit();
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().message().find("taken over by another engine") != std::string::npos);
  CHECK(events_of(*taker, "a").empty());
}

TEST_CASE("a step whose send is recorded is refused another intent, at the database") {
  PostgresqlDatabase database;
  auto store = engine_on(database.uri());
  REQUIRE(store->record_intent(intent_of("a", "x@example.com", 1)));
  REQUIRE(store->append(event_of(EventType::deferred, "a", "x@example.com", 1)));
  REQUIRE(store->record_intent(intent_of("a", "x@example.com", 1)));  // a retry after a deferral
  REQUIRE(store->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  const auto again = store->record_intent(intent_of("a", "x@example.com", 1));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().message().find("was sent already") != std::string::npos);
  CHECK(store->open_intents().empty());
  REQUIRE(store->record_intent(intent_of("a", "x@example.com", 2)));  // the next step goes
  SendIntent other = intent_of("b", "x@example.com", 1);
  other.message_id = "<1.b.x@example.com>";  // Message-IDs name their campaign
  REQUIRE(store->record_intent(other));  // and another campaign's
}

TEST_CASE("an engine's wake descriptor becomes readable when another process hands the store something") {
  PostgresqlDatabase database;
  auto engine = open_postgresql(database.uri());
  auto inbox = open_postgresql(database.uri(), handing_in());
  CHECK(inbox->wake_descriptor() == -1);
  const int fd = engine->wake_descriptor();
  REQUIRE(fd >= 0);
  const auto readable = [&](int milliseconds) {
    pollfd wait_for{.fd = engine->wake_descriptor(), .events = POLLIN, .revents = 0};
    return poll(&wait_for, 1, milliseconds) == 1;
  };
  CHECK_FALSE(engine->take_wake_ups());
  CHECK_FALSE(readable(50));
  REQUIRE(inbox->queue_request(R"({"action":"pause","campaign":"a"})", utc("2026-12-01T09:00:00Z")));
  CHECK(readable(5000));
  CHECK(engine->take_wake_ups());
  CHECK_FALSE(engine->take_wake_ups());
  REQUIRE(inbox->queue_received("From: a\r\n\r\nhi\r\n", utc("2026-12-01T09:00:00Z")));
  CHECK(readable(5000));
  CHECK(engine->take_wake_ups());
  // The engine's own writes wake nobody.
  REQUIRE(engine->claim("a").value_or(false));
  REQUIRE(engine->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  CHECK_FALSE(readable(100));
}

TEST_CASE("a mailbox's daily limit and spacing hold across the engines of a store") {
  PostgresqlDatabase database;
  auto first = open_postgresql(database.uri());
  auto second = open_postgresql(database.uri());
  const auto slot = [](std::int64_t day, const char* at) {
    return SendSlot{.mailbox = "m1", .day = day, .day_limit = 3, .at = utc(at), .spacing = std::chrono::minutes(1)};
  };
  const auto granted = [](const expected<SlotAnswer>& answer) { return answer.has_value() && answer->granted; };
  CHECK(granted(first->reserve_slot(slot(20423, "2025-12-01T09:00:00Z"))));
  // Within the spacing of the first engine's send: refused, with the send it is too close to.
  const auto close = second->reserve_slot(slot(20423, "2025-12-01T09:00:30Z"));
  REQUIRE(close.has_value());
  CHECK_FALSE(close->granted);
  CHECK(close->last == utc("2025-12-01T09:00:00Z"));
  CHECK(close->sent_that_day == 1);
  CHECK(granted(second->reserve_slot(slot(20423, "2025-12-01T09:01:00Z"))));
  CHECK(granted(first->reserve_slot(slot(20423, "2025-12-01T09:02:00Z"))));
  const auto full = second->reserve_slot(slot(20423, "2025-12-01T09:03:00Z"));
  REQUIRE(full.has_value());
  CHECK_FALSE(full->granted);
  CHECK(full->sent_that_day == 3);
  // A unit that does not commit gives its slot back.
  REQUIRE(first->begin());
  CHECK(granted(first->reserve_slot(slot(20424, "2025-12-02T09:00:00Z"))));
  CHECK_FALSE(first->append(event_of(EventType::sent, "unclaimed", "x@example.com", 1)).has_value());  // fails the unit
  CHECK_FALSE(first->commit().has_value());
  const auto next_day = second->reserve_slot(slot(20424, "2025-12-02T09:00:00Z"));
  REQUIRE(next_day.has_value());
  CHECK(next_day->granted);
  CHECK(next_day->sent_that_day == 1);
  // Other mailboxes count apart.
  CHECK(granted(first->reserve_slot(SendSlot{.mailbox = "m2", .day = 20423, .day_limit = 1,
                                             .at = utc("2025-12-01T09:00:00Z"), .spacing = {}})));
}

TEST_CASE("slots reserved together answer as slots reserved one after the other") {
  PostgresqlDatabase database;
  auto first = open_postgresql(database.uri());
  auto second = open_postgresql(database.uri());
  const auto slot = [](const char* mailbox, const char* at) {
    return SendSlot{.mailbox = mailbox, .day = 20423, .day_limit = 3, .at = utc(at), .spacing = std::chrono::minutes(1)};
  };
  REQUIRE(first->begin());
  const auto answers = first->reserve_slots({slot("m1", "2025-12-01T09:00:00Z"), slot("m1", "2025-12-01T09:00:30Z"),
                                             slot("m2", "2025-12-01T09:00:00Z"), slot("m1", "2025-12-01T09:01:00Z")});
  REQUIRE(first->commit());
  REQUIRE(answers.has_value());
  REQUIRE(answers->size() == 4);
  CHECK((*answers)[0].granted);
  CHECK_FALSE((*answers)[1].granted);  // within the spacing of the first
  // A refused slot tells the mailbox's count once all are reserved: the sends after it too.
  CHECK((*answers)[1].last == utc("2025-12-01T09:01:00Z"));
  CHECK((*answers)[1].sent_that_day == 2);
  CHECK((*answers)[2].granted);  // another mailbox, its first send
  CHECK((*answers)[3].granted);
  CHECK((*answers)[3].sent_that_day == 2);
  // The other engine's count goes on from there, to the day's limit.
  const auto more = second->reserve_slots({slot("m1", "2025-12-01T09:02:00Z"), slot("m1", "2025-12-01T09:03:00Z")});
  REQUIRE(more.has_value());
  CHECK((*more)[0].granted);
  CHECK_FALSE((*more)[1].granted);
  CHECK((*more)[1].sent_that_day == 3);
  // A mailbox whose first reservation was rolled back has no row after all: it is added then.
  REQUIRE(first->begin());
  CHECK(first->reserve_slots({slot("m3", "2025-12-01T09:00:00Z")}).has_value());
  CHECK_FALSE(first->append(event_of(EventType::sent, "unclaimed", "x@example.com", 1)).has_value());  // fails the unit
  CHECK_FALSE(first->commit().has_value());
  const auto again = first->reserve_slots({slot("m3", "2025-12-01T09:00:00Z"), slot("m3", "2025-12-01T09:01:00Z")});
  REQUIRE(again.has_value());
  CHECK((*again)[0].granted);
  CHECK((*again)[1].granted);
  CHECK((*again)[1].sent_that_day == 2);
}

TEST_CASE("a unit of many writes is sent with its commit without waiting on itself") {
  PostgresqlDatabase database;
  auto store = engine_on(database.uri());
  // Some megabytes of statements and their answers in one round trip: libpq takes the answers
  // in while it sends, so neither side waits for the other to read.
  constexpr int count = 20000;
  REQUIRE(store->begin());
  for (int i = 0; i < count; ++i) {
    REQUIRE(store->append(event_of(EventType::replied, "a", "lead" + std::to_string(i) + "@example.com", 1)));
  }
  REQUIRE(store->commit());
  Session session(database.uri());
  CHECK(session.run("SELECT count(*) FROM outreach.events") == std::to_string(count));
}

TEST_CASE("a PostgreSQL reader sees what an engine committed, reads one snapshot in a unit, and cannot write") {
  PostgresqlDatabase database;
  auto engine = engine_on(database.uri());
  REQUIRE(engine->append(event_of(EventType::sent, "a", "x@example.com", 1)));
  auto reader = open_postgresql(database.uri(), reading());
  CHECK(events_of(*reader, "a").size() == 1);
  REQUIRE(engine->begin());
  REQUIRE(engine->append(event_of(EventType::replied, "a", "x@example.com", 1)));
  CHECK(events_of(*reader, "a").size() == 1);  // not the unit still open
  REQUIRE(engine->commit());
  CHECK(events_of(*reader, "a").size() == 2);

  REQUIRE(reader->begin());
  CHECK(events_of(*reader, "a").size() == 2);
  REQUIRE(engine->append(event_of(EventType::completed, "a", "y@example.com")));
  CHECK(events_of(*reader, "a").size() == 2);
  REQUIRE(reader->commit());
  CHECK(events_of(*reader, "a").size() == 3);

  const auto write = reader->suppress("x@example.com", "manual");
  REQUIRE_FALSE(write.has_value());
  CHECK(write.error().code() == Errc::invalid_argument);
  CHECK(write.error().message().find("opened for reading") != std::string::npos);
  CHECK_FALSE(reader->queue_request("{}", utc("2026-12-01T09:00:00Z")).has_value());
}

TEST_CASE("databases that do not hold an outreach store of this version are refused and left unchanged") {
  {  // a schema `outreach` of someone else's
    PostgresqlDatabase database;
    Session session(database.uri());
    session.run("CREATE SCHEMA outreach; CREATE TABLE outreach.orders (id int)");
    for (const auto& options : {PostgresqlStoreOptions{}, reading()}) {
      const auto opened = PostgresqlStore::open(database.uri(), options);
      REQUIRE_FALSE(opened.has_value());
      CHECK(opened.error().code() == Errc::invalid_value);
      CHECK(opened.error().message().find("not an outreach store") != std::string::npos);
    }
    CHECK(session.run("SELECT count(*) FROM pg_tables WHERE schemaname = 'outreach'") == "1");
  }
  {  // a newer version
    PostgresqlDatabase database;
    open_postgresql(database.uri()).reset();
    Session session(database.uri());
    session.run("UPDATE outreach.meta SET version = version + 1");
    const auto opened = PostgresqlStore::open(database.uri());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code() == Errc::invalid_value);
    CHECK(opened.error().message().find("newer version of outreach") != std::string::npos);
  }
  {  // no store yet: a reader does not make one
    PostgresqlDatabase database;
    const auto opened = PostgresqlStore::open(database.uri(), reading());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code() == Errc::not_found);
    CHECK(Session(database.uri()).run("SELECT count(*) FROM pg_namespace WHERE nspname = 'outreach'") == "0");
  }
  {  // no such database
    const auto opened = PostgresqlStore::open(postgresql_database_uri("no_such_database"));
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code() == Errc::not_found);
    CHECK(opened.error().message().find("does not exist") != std::string::npos);
  }
  {  // no server: the socket folder has none
    const auto opened = PostgresqlStore::open("postgresql://postgres@/x?host=/nonexistent&connect_timeout=2");
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code() == Errc::unavailable);
  }
}

TEST_CASE("a password never shows in a PostgreSQL store's errors") {
  CHECK(detail::without_password("postgresql://ann:s3cret@db.internal:5432/outreach?sslmode=require") ==
        "postgresql://ann@db.internal:5432/outreach?sslmode=require");
  CHECK(detail::without_password("postgres://ann:s3cret@db/x") == "postgres://ann@db/x");
  CHECK(detail::without_password("postgresql://db/x?user=ann&password=s3cret&sslmode=verify-full") ==
        "postgresql://db/x?user=ann&password=***&sslmode=verify-full");
  CHECK(detail::without_password("host=db user=ann password=s3cret dbname=x") ==
        "host=db user=ann password=*** dbname=x");
  CHECK(detail::without_password("host=db password='a \\' b' dbname=x") == "host=db password=*** dbname=x");
  CHECK(detail::without_password("postgresql://db/x") == "postgresql://db/x");
  CHECK(detail::without_password("postgresql://u:pa?ss@h/db") == "postgresql://u@h/db");
  CHECK(detail::without_password("/var/lib/outreach/outreach.db") == "/var/lib/outreach/outreach.db");
  const auto opened = PostgresqlStore::open("postgresql://ann:s3cret@/x?host=/nonexistent&connect_timeout=2");
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().to_string().find("s3cret") == std::string::npos);
  CHECK(opened.error().where().file == "postgresql://ann@/x?host=/nonexistent&connect_timeout=2");
  // libpq quotes what it cannot read: such a location's message shows none of it.
  const auto garbled = PostgresqlStore::open("postgresql://ann:s3cr%zz@/x?host=/nonexistent");
  REQUIRE_FALSE(garbled.has_value());
  CHECK(garbled.error().to_string().find("s3cr") == std::string::npos);
}

TEST_CASE("two engines opening a new database at once: one creates the schema, the other waits and finds it") {
  PostgresqlDatabase database;
  std::vector<std::string> errors(4);
  std::vector<std::thread> openers;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    openers.emplace_back([&, i] {
      auto connection = detail::pg::Connection::open(database.uri(), database.uri());
      if (!connection) {
        errors[i] = connection.error().to_string();
        return;
      }
      if (auto migrated = detail::migrate_postgresql(*connection); !migrated) errors[i] = migrated.error().to_string();
    });
  }
  for (auto& opener : openers) opener.join();
  for (const auto& error : errors) CHECK_MESSAGE(error.empty(), error);
  Session session(database.uri());
  CHECK(session.run("SELECT count(*) FROM outreach.meta") == "1");
  CHECK(session.run("SELECT version FROM outreach.meta") == std::to_string(detail::postgresql_schema_version()));
  auto store = open_postgresql(database.uri());
  CHECK(store->campaigns().empty());
}

TEST_CASE("a lost connection is opened again: a write outside a unit is kept once, a unit is written again") {
  PostgresqlDatabase database;
  auto store = engine_on(database.uri());
  Session session(database.uri());
  REQUIRE(store->append(event_of(EventType::sent, "a", "a@example.com", 1)));

  // Outside a unit: the write finds the connection gone, opens a new one and is kept once.
  session.cut_the_others();
  REQUIRE(store->append(event_of(EventType::sent, "a", "b@example.com", 1)));
  CHECK(store->reconnections() == 1);
  // A read does the same.
  session.cut_the_others();
  CHECK(events_of(*store, "a").size() == 2);
  CHECK(store->reconnections() == 2);

  // Inside a unit: the writes before the cut are written again on the new connection.
  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::sent, "a", "c@example.com", 1)));
  REQUIRE(store->suppress("c@example.com", "manual"));
  session.cut_the_others();
  REQUIRE(store->append(event_of(EventType::sent, "a", "d@example.com", 1)));
  REQUIRE(store->commit());
  CHECK(store->reconnections() == 3);
  CHECK(events_of(*store, "a").size() == 4);
  CHECK(store->is_suppressed("c@example.com"));

  // A request's id comes from a sequence: written again, it would get another one than the id
  // the unit gave out. The unit fails then, saying so, and keeps nothing.
  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::sent, "a", "f@example.com", 1)));
  REQUIRE(store->queue_request(R"({"action":"pause","campaign":"a"})", utc("2026-12-01T09:00:00Z")));
  session.cut_the_others();
  REQUIRE(store->append(event_of(EventType::sent, "a", "g@example.com", 1)));  // waits for the commit
  const auto replayed = store->commit();
  REQUIRE_FALSE(replayed.has_value());
  CHECK(replayed.error().message().find("gives another result") != std::string::npos);
  CHECK(events_of(*store, "a").size() == 4);
  CHECK(store->waiting_requests(10).empty());

  // Cut just before the commit: the commit finds out the unit was not kept, writes it again.
  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::sent, "a", "e@example.com", 1)));
  session.cut_the_others();
  REQUIRE(store->commit());
  CHECK(events_of(*store, "a").size() == 5);
  CHECK(session.run("SELECT count(*) FROM outreach.events WHERE lead = 'e@example.com'") == "1");
  CHECK_FALSE(store->read_error().has_value());
}

TEST_CASE("a connection lost during COMMIT: the transaction's status says whether to write again") {
  PostgresqlDatabase database;
  auto store = engine_on(database.uri());
  Session session(database.uri());
  // At the first commit that has a row for this lead, the server ends the session, as a
  // restart would during the commit; the sequence is not transactional, so it fires once.
  session.run(R"(CREATE SEQUENCE outreach.once;
                 CREATE FUNCTION outreach.cut() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   IF nextval('outreach.once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
                   RETURN NULL;
                 END $$;
                 CREATE CONSTRAINT TRIGGER cut AFTER INSERT ON outreach.events DEFERRABLE INITIALLY DEFERRED
                 FOR EACH ROW WHEN (NEW.lead = 'cut@example.com') EXECUTE FUNCTION outreach.cut())");
  REQUIRE(store->append(event_of(EventType::sent, "a", "cut@example.com", 1)));
  CHECK(store->reconnections() >= 1);
  CHECK(session.run("SELECT count(*) FROM outreach.events WHERE lead = 'cut@example.com'") == "1");
  // The same inside a unit.
  session.run("ALTER SEQUENCE outreach.once RESTART");
  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::replied, "a", "cut@example.com", 1)));
  REQUIRE(store->append(event_of(EventType::stopped, "a", "cut@example.com")));
  REQUIRE(store->commit());
  CHECK(session.run("SELECT count(*) FROM outreach.events WHERE lead = 'cut@example.com'") == "3");
}

TEST_CASE("a commit kept whose answer was lost is found kept: the write is neither lost nor written twice") {
  PostgresqlDatabase database;
  CommitCutter cutter(postgresql_server());
  auto store = engine_on(cutter.uri(database.name()));
  Session session(database.uri());
  cutter.cut_next_commit();
  REQUIRE(store->append(event_of(EventType::sent, "a", "kept@example.com", 1)));
  CHECK(cutter.cuts() == 1);
  CHECK(store->reconnections() == 1);
  CHECK(session.run("SELECT count(*) FROM outreach.events WHERE lead = 'kept@example.com'") == "1");
  // The same for a unit.
  cutter.cut_next_commit();
  REQUIRE(store->begin());
  REQUIRE(store->append(event_of(EventType::replied, "a", "kept@example.com", 1)));
  REQUIRE(store->append(event_of(EventType::stopped, "a", "kept@example.com")));
  REQUIRE(store->commit());
  CHECK(cutter.cuts() == 2);
  CHECK(session.run("SELECT count(*) FROM outreach.events WHERE lead = 'kept@example.com'") == "3");
  CHECK_FALSE(store->read_error().has_value());
}

TEST_CASE("a statement that waits past the statement timeout fails, and the store goes on") {
  PostgresqlDatabase database;
  PostgresqlStoreOptions options;
  options.statement_timeout = std::chrono::milliseconds(300);
  auto store = open_postgresql(database.uri(), options);
  Session session(database.uri());
  session.run("BEGIN; LOCK TABLE outreach.suppressions IN ACCESS EXCLUSIVE MODE");
  const auto started = std::chrono::steady_clock::now();
  const auto waited = store->suppress("x@example.com", "manual");
  REQUIRE_FALSE(waited.has_value());
  CHECK(waited.error().code() == Errc::unavailable);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  session.run("ROLLBACK");
  REQUIRE(store->suppress("x@example.com", "manual"));
  CHECK(store->is_suppressed("x@example.com"));
}

TEST_CASE("an event line that cannot be read is skipped, reported, and stops every later write (PostgreSQL)") {
  PostgresqlDatabase database;
  {
    auto store = engine_on(database.uri());
    for (const char* lead : {"a@example.com", "b@example.com", "c@example.com"}) {
      REQUIRE(store->append(event_of(EventType::sent, "a", lead, 1)));
    }
  }
  Session(database.uri()).run(R"(UPDATE outreach.events SET line = '{"type":"sent"' WHERE lead = 'b@example.com')");
  auto store = engine_on(database.uri());
  const auto events = events_of(*store, "a");
  REQUIRE(events.size() == 2);
  CHECK(events[1].lead == "c@example.com");
  REQUIRE(store->read_error().has_value());
  CHECK(store->read_error()->message().find("cannot be read") != std::string::npos);
  const auto write = store->append(event_of(EventType::completed, "a", "a@example.com"));
  REQUIRE_FALSE(write.has_value());
  CHECK(write.error().message().find("after a failed read") != std::string::npos);
}

TEST_CASE("open_store opens a postgresql:// location as a PostgreSQL store") {
  PostgresqlDatabase database;
  auto opened = open_store(database.uri());
  REQUIRE_MESSAGE(opened.has_value(), (opened ? std::string() : opened.error().to_string()));
  CHECK(dynamic_cast<PostgresqlStore*>(opened->get()) != nullptr);
  CHECK(names_postgresql("postgres://db/x"));
  CHECK(names_postgresql("postgresql://db/x"));
  CHECK_FALSE(names_postgresql("postgresql.db"));
  CHECK_FALSE(names_postgresql("/var/lib/outreach/postgres://x"));
}

TEST_CASE("an engine on a PostgreSQL store writes the same log as on a memory store, and resumes after closing") {
  PostgresqlDatabase database;
  check_engine_resumes([&] { return std::unique_ptr<Store>(open_postgresql(database.uri())); },
                       [&] { return std::unique_ptr<Store>(open_postgresql(database.uri(), reading())); });
}

}  // TEST_SUITE
