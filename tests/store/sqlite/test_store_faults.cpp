// The disk failing under a SQLite store, at every write: a campaign sending, received mail taken
// in, and requests applied by a running engine, each run once healthy to count its writes W,
// then once for every n in 1..W with the n-th write refused, as an I/O error (that write alone)
// and as a full disk (that write and every one after it). Each faulty run must stop with the
// store's error, having handed the transport nothing whose intent was not on disk; a new engine
// on a healthy disk must then finish the work with nothing lost and nothing done twice.
//
// Environment:
//   OUTREACH_FAULT_SWEEP=every  every n under AddressSanitizer too (which by default samples
//                               each scenario's writes with an even stride, to keep its run short)
//   OUTREACH_FAULT_AT=n         only the n-th write, with each code: a failing case again
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/request.hpp"
#include "outreach/sqlite_store.hpp"
#include "store/store_fixtures.hpp"
#include "support/failing_vfs.hpp"
#include "support/sqlite_query.hpp"

using namespace outreach;
using namespace outreach::testing;
using outreach::test::at;
using outreach::test::definition;
using outreach::test::leads_json;

namespace {

// ---- the sweep -----------------------------------------------------------------------------------

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

bool every_write_asked() {
  const char* sweep = std::getenv("OUTREACH_FAULT_SWEEP");
  return sweep != nullptr && std::string_view(sweep) == "every";
}

// The writes a sweep fails: every n, or (beyond `most` of them) an even stride over 1..W that
// starts half a stride later for the second code, so that the two codes hit different writes,
// and always the first and the last write.
std::vector<std::uint64_t> writes_to_fail(std::uint64_t writes, std::uint64_t most, bool second_code) {
  std::vector<std::uint64_t> chosen;
  if (const char* only = std::getenv("OUTREACH_FAULT_AT")) return {std::stoull(only)};
  if (every_write_asked() || writes <= most) {
    for (std::uint64_t n = 1; n <= writes; ++n) chosen.push_back(n);
    return chosen;
  }
  const std::uint64_t stride = (writes + most - 1) / most;
  chosen.push_back(1);
  for (std::uint64_t n = 1 + (second_code ? stride / 2 : 0); n <= writes; n += stride) {
    if (n != 1) chosen.push_back(n);
  }
  if (chosen.back() != writes) chosen.push_back(writes);
  return chosen;
}

// The two ways a disk refuses a write: an I/O error on that write alone, or a full disk, which
// stays full.
FailingVfs::Fault io_error_at(std::uint64_t n) { return {.at = n, .code = SQLITE_IOERR_WRITE, .sticky = false}; }
FailingVfs::Fault disk_full_at(std::uint64_t n) { return {.at = n, .code = SQLITE_FULL, .sticky = true}; }

// What the store's error must say: the file, and SQLite's word for the fault.
void check_names_the_fault(const Error& error, const fs::path& file, int code) {
  const std::string text = error.to_string();
  CHECK_MESSAGE(text.find(file.string()) != std::string::npos, text);
  const char* says = code == SQLITE_FULL ? "database or disk is full" : "disk I/O error";
  CHECK_MESSAGE(text.find(says) != std::string::npos, text);
}

std::string file_kind_of(const FailingVfs& vfs) {
  const auto kind = vfs.first_failure_on();
  if (!kind) return "none";
  return *kind == FailingVfs::FileKind::database ? "the database" : *kind == FailingVfs::FileKind::wal ? "the log" : "another file";
}

// Every commit goes to the log: a write to it refused must stop the work. SQLite can do without
// a write to another file and say nothing: the database's during a checkpoint (the log still
// holds the pages, copied again at the next one), or the rollback journal of a blank file's first
// transaction (there is nothing to roll back). Then the work must have gone on to its end.
bool absorbed(const FailingVfs& vfs, const std::optional<Error>& failure) {
  return !failure && vfs.first_failure_on() != FailingVfs::FileKind::wal;
}

std::string said(const std::optional<Error>& error) { return error ? error->to_string() : std::string(); }
std::string first_of(const std::vector<std::string>& problems) { return problems.empty() ? std::string() : problems.front(); }

// What a sweep did, printed at its end.
struct SweepFigures {
  std::string scenario;
  std::uint64_t writes = 0;  // W
  std::size_t runs = 0;
  std::size_t stopped = 0;   // runs whose engine (or store opening) stopped with the fault
  std::size_t absorbed = 0;  // runs whose refused write SQLite could do without (see `absorbed`)
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();

  void print() const {
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    MESSAGE(scenario << ": W = " << writes << " writes, " << runs << " faulty runs (" << stopped << " stopped by the "
                     << "fault, " << absorbed << " absorbed by SQLite), each followed by a healthy one: " << seconds
                     << " s");
  }
};

// ---- a healthy look at the file ------------------------------------------------------------------

// A connection to the store file through the VFS the shim wraps: the disk as it is, for checking
// what the faulty store made durable.
class HealthyReader {
 public:
  HealthyReader(const fs::path& file, const FailingVfs& vfs) {
    REQUIRE(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, vfs.healthy_vfs_name()) == SQLITE_OK);
    REQUIRE(sqlite3_prepare_v2(db_, "SELECT lead, step FROM intents WHERE message_id = ?1", -1, &intent_, nullptr) ==
            SQLITE_OK);
  }
  ~HealthyReader() {
    sqlite3_finalize(intent_);
    sqlite3_close(db_);
  }
  HealthyReader(const HealthyReader&) = delete;
  HealthyReader& operator=(const HealthyReader&) = delete;

  // The (lead, step) of the open intent of this Message-ID, when one is on disk.
  std::optional<std::pair<std::string, int>> intent(const std::string& message_id) {
    sqlite3_reset(intent_);
    sqlite3_bind_text(intent_, 1, message_id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(intent_) != SQLITE_ROW) return std::nullopt;
    auto found = std::make_pair(std::string(reinterpret_cast<const char*>(sqlite3_column_text(intent_, 0))),
                                sqlite3_column_int(intent_, 1));
    sqlite3_reset(intent_);
    return found;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* intent_ = nullptr;
};

std::int64_t count_rows(const fs::path& file, const char* sql) {
  const std::int64_t value = sqlite_integer(file, sql);
  REQUIRE_MESSAGE(value >= 0, sql);
  return value;
}

std::vector<std::string> event_lines(const Store& store, std::string_view campaign) {
  std::vector<std::string> lines;
  store.for_each_event(campaign, [&](const Event& event) { lines.push_back(to_json_line(event)); });
  return lines;
}

// ---- a campaign sending --------------------------------------------------------------------------

constexpr int campaign_leads = 120;
constexpr int campaign_steps = 2;

// A transport that can have two messages in flight (a group of two, as SMTP pipelining gives),
// accepts every one, and checks at each handover that the message's intent is on disk, read
// through a healthy connection of its own, and that its engine has not stopped.
class CheckingTransport final : public Transport {
 public:
  static constexpr std::size_t in_flight = 2;

  struct Handover {
    std::string message_id;
    std::string lead;  // empty when no intent was on disk
    int step = 0;
  };

  CheckingTransport(const fs::path& file, const FailingVfs& vfs) : file_(file), vfs_(vfs) {}

  void watch(const Engine* engine) { engine_ = engine; }
  // Closes the healthy connection, so that the store's is the file's last one when it closes.
  void close_reader() { reader_.reset(); }

  SendOutcome send(const Mailbox& /*mailbox*/, const Message& message) override {
    if (!reader_) reader_ = std::make_unique<HealthyReader>(file_, vfs_);
    Handover handover{message.message_id, {}, 0};
    if (const auto intent = reader_->intent(message.message_id)) {
      handover.lead = intent->first;
      handover.step = intent->second;
    } else {
      problems.push_back("handed over without its intent on disk: " + message.message_id);
    }
    if (engine_ != nullptr && engine_->failure()) {
      problems.push_back("handed over after the engine stopped: " + message.message_id);
    }
    handovers.push_back(std::move(handover));
    return SendOutcome::accept();
  }
  [[nodiscard]] std::size_t group_size() const override { return in_flight; }
  [[nodiscard]] bool needs_message_data() const override { return false; }

  std::vector<Handover> handovers;
  std::vector<std::string> problems;

 private:
  fs::path file_;
  const FailingVfs& vfs_;
  const Engine* engine_ = nullptr;
  std::unique_ptr<HealthyReader> reader_;
};

CampaignDefinition sending_campaign() {
  // Two steps a day apart, no sending hours, one mailbox with room for every send.
  return definition(leads_json(campaign_leads), "", R"({"timezone":"UTC","start":"2026-12-01"})",
                    R"([{"id":"m1","from":"m1@acme.example","daily_limit":10000}])");
}

// One run of the campaign from an empty file until it ends or the store fails: the store opened,
// the campaign added and started, then simulated. Nothing (with the error) when the store failed.
std::optional<Error> run_campaign(const fs::path& file, CheckingTransport& transport, ManualClock& clock) {
  auto opened = SqliteStore::open(file, fast_engine());
  if (!opened) return opened.error();
  std::unique_ptr<SqliteStore> store = std::move(*opened);
  Engine engine{*store, transport, clock};
  transport.watch(&engine);
  std::optional<Error> failure;
  if (auto added = engine.add_campaign(sending_campaign()); !added) {
    failure = added.error();
  } else if (auto started = engine.start("c"); !started) {
    failure = started.error();
  } else {
    engine.simulate(clock);
    failure = engine.failure();
  }
  transport.watch(nullptr);
  transport.close_reader();
  return failure;
}

// After a faulty run and a healthy one on the same file: every lead completed, every (lead, step)
// handed over at most once, and each either sent or in doubt, by its events.
void check_campaign_whole(const fs::path& file, const std::vector<CheckingTransport::Handover>& handovers,
                          bool fault_fired) {
  auto store = open_sqlite(file, reader());
  std::map<std::pair<std::string, int>, int> handed;
  for (const auto& handover : handovers) {
    if (!handover.lead.empty()) ++handed[{handover.lead, handover.step}];
  }
  for (const auto& [send, times] : handed) CHECK_MESSAGE(times == 1, send.first << " step " << send.second << " handed over " << times << " times");

  std::map<std::pair<std::string, int>, std::vector<EventType>> outcomes;
  std::set<std::string> completed;
  std::size_t in_doubt = 0;
  store->for_each_event("c", [&](const Event& event) {
    if (event.type == EventType::completed) completed.insert(event.lead);
    if (!is_send_outcome(event.type)) return;
    outcomes[{event.lead, event.step}].push_back(event.type);
    in_doubt += event.type == EventType::in_doubt;
  });
  CHECK(completed.size() == static_cast<std::size_t>(campaign_leads));
  CHECK(outcomes.size() == static_cast<std::size_t>(campaign_leads * campaign_steps));
  for (const auto& [send, types] : outcomes) {
    const bool one_outcome = types.size() == 1 && (types[0] == EventType::sent || types[0] == EventType::in_doubt);
    CHECK_MESSAGE(one_outcome, send.first << " step " << send.second << " has " << types.size() << " outcomes");
    // Sent means handed over; in doubt means its intent was on disk, so it may have been.
    if (one_outcome && types[0] == EventType::sent) CHECK_MESSAGE(handed.contains(send), send.first << " step " << send.second << " sent but never handed over");
  }
  for (const auto& [send, times] : handed) {
    CHECK_MESSAGE(outcomes.contains(send), send.first << " step " << send.second << " handed over without a sent or in_doubt event");
  }
  CHECK(in_doubt <= CheckingTransport::in_flight);
  if (!fault_fired) CHECK(in_doubt == 0);
  CHECK(store->open_intents().empty());
}

// ---- received mail -------------------------------------------------------------------------------

std::string reply_to(const std::string& lead, const std::string& message_id, int number) {
  return "From: " + lead + "\r\nTo: m1@acme.example\r\nSubject: Re: Hi\r\nDate: Wed, 02 Dec 2026 09:00:00 +0000\r\n"
         "Message-ID: <reply" + std::to_string(number) + "@example.com>\r\nIn-Reply-To: " + message_id +
         "\r\nReferences: " + message_id + "\r\n\r\nTell me more.\r\n";
}

std::string hard_bounce_of(const std::string& lead, const std::string& message_id, int number) {
  return "From: MAILER-DAEMON@mx.acme.example\r\nTo: m1@acme.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
         "Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nMessage-ID: <dsn" + std::to_string(number) + "@mx.acme.example>\r\n"
         "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\r\n"
         "--B1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
         "--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n"
         "Final-Recipient: rfc822; " + lead + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
         "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n"
         "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: m1@acme.example\r\nTo: " + lead +
         "\r\nSubject: Hi\r\nMessage-ID: " + message_id + "\r\n\r\n--B1--\r\n";
}

constexpr int mail_leads = 40;

// Makes `file` the store of campaign "c" of `leads` leads on a healthy disk, its first steps sent
// on the first day; returns each first step's (lead, Message-ID), in the log's order.
std::vector<std::pair<std::string, std::string>> send_first_steps(const fs::path& file, int leads) {
  auto store = open_sqlite(file);
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{*store, transport, clock};
  REQUIRE(engine.add_campaign(definition(leads_json(leads))));
  REQUIRE(engine.start("c"));
  engine.simulate(clock, at("2026-12-02T00:00:00Z"));
  REQUIRE_FALSE(engine.failure());
  std::vector<std::pair<std::string, std::string>> sends;
  store->for_each_event("c", [&](const Event& event) {
    if (event.type == EventType::sent && event.step == 1) sends.emplace_back(event.lead, event.message_id);
  });
  return sends;
}

// A store of a campaign of 40 leads whose first steps went out, kept as a file to copy for each
// run; and the mail that came back: replies, hard bounces, a stranger's mail and a repeat.
struct MailScene {
  TempFolder folder;
  fs::path original = folder.path() / "sent.db";
  Instant now = at("2026-12-02T12:00:00Z");
  std::vector<std::string> mail;

  MailScene() {
    std::map<std::string, std::string> first_sends;
    for (auto& [lead, message_id] : send_first_steps(original, mail_leads)) first_sends[lead] = message_id;
    REQUIRE(first_sends.size() == static_cast<std::size_t>(mail_leads));
    int number = 0;
    for (const auto& [lead, message_id] : first_sends) {
      ++number;
      if (number % 4 == 0) {
        mail.push_back(hard_bounce_of(lead, message_id, number));
      } else if (number % 4 == 1) {
        mail.push_back(reply_to(lead, message_id, number));
      }
    }
    mail.push_back("From: someone@elsewhere.example\r\nTo: m1@acme.example\r\nSubject: Hello\r\n"
                   "Message-ID: <stranger@elsewhere.example>\r\n\r\nWho are you?\r\n");
    mail.push_back(mail.front());  // the same reply again, as a mail reader may hand it twice
  }
};

// An engine resumed on a copy of the scene's store, at the scene's instant.
struct ResumedEngine {
  std::unique_ptr<SqliteStore> store;
  DryRunTransport transport;
  ManualClock clock;
  std::optional<Engine> engine;

  ResumedEngine(const fs::path& file, Instant now, const CampaignDefinition& campaign) : clock(now) {
    store = open_sqlite(file);
    engine.emplace(*store, transport, clock);
    REQUIRE(engine->add_campaign(campaign));
    REQUIRE(engine->start("c"));
  }
};

// What a store holds once its mail was taken in, to compare with the healthy run's.
struct MailOutcome {
  std::vector<std::string> events;
  std::vector<std::string> suppressed;
  std::int64_t received = 0;
  friend bool operator==(const MailOutcome&, const MailOutcome&) = default;
};

MailOutcome mail_outcome(const fs::path& file) {
  auto store = open_sqlite(file, reader());
  return {event_lines(*store, "c"), addresses_of(store->suppressions()), count_rows(file, "SELECT count(*) FROM received")};
}

// ---- requests to a running engine ----------------------------------------------------------------

constexpr int steered_leads = 30;

Request steering(RequestAction action) {
  Request request;
  request.action = action;
  if (action == RequestAction::pause || action == RequestAction::resume || action == RequestAction::stop ||
      action == RequestAction::add_leads) {
    request.campaign = "c";
  }
  if (action == RequestAction::disable_mailbox || action == RequestAction::enable_mailbox) request.mailbox = "m1";
  return request;
}

Request naming(RequestAction action, std::vector<std::string> addresses) {
  Request request = steering(action);
  request.addresses = std::move(addresses);
  return request;
}

// A store of a campaign of 30 leads whose first steps went out, with requests and received mail
// written into it by another connection (as `outreach pause` or `outreach ingest` beside a
// running engine write them), kept as a file to copy for each run.
struct SteeringScene {
  TempFolder folder;
  fs::path original = folder.path() / "asked.db";
  Instant now = at("2026-12-02T12:00:00Z");
  std::vector<std::int64_t> requests;

  SteeringScene() {
    std::vector<std::string> replies;
    int number = 0;
    for (const auto& [lead, message_id] : send_first_steps(original, steered_leads)) {
      if (number < 3) replies.push_back(reply_to(lead, message_id, ++number));
    }
    auto other = open_sqlite(original, inbox());
    for (const auto& raw : replies) REQUIRE(other->queue_received(raw, now));
    Request added = steering(RequestAction::add_leads);
    for (const char* address : {"new1@example.com", "new2@example.com"}) {
      Lead lead;
      lead.email = address;
      added.leads.push_back(lead);
    }
    Request suppressed = naming(RequestAction::suppress, {"lead5@example.com", "lead6@example.com"});
    suppressed.reason = "customer";
    for (const Request& request : {steering(RequestAction::pause), suppressed, added, steering(RequestAction::resume),
                                   steering(RequestAction::disable_mailbox), naming(RequestAction::unsuppress, {"lead6@example.com"}),
                                   steering(RequestAction::enable_mailbox), naming(RequestAction::forget, {"lead7@example.com"}),
                                   steering(RequestAction::stop)}) {
      auto id = outreach::ask(*other, request, now);
      REQUIRE_MESSAGE(id.has_value(), to_json(request));
      requests.push_back(*id);
    }
  }
};

// What a store holds once its requests were applied, to compare with the healthy run's.
struct SteeringOutcome {
  std::vector<std::string> events;
  std::vector<std::string> suppressed;
  std::vector<StoredRequest> requests;
  std::int64_t added_leads = 0;
  std::int64_t inbox = 0;
  std::int64_t received = 0;
  friend bool operator==(const SteeringOutcome&, const SteeringOutcome&) = default;
};

SteeringOutcome steering_outcome(const fs::path& file, const std::vector<std::int64_t>& ids) {
  auto store = open_sqlite(file, reader());
  SteeringOutcome outcome{event_lines(*store, "c"), addresses_of(store->suppressions()), {},
                          count_rows(file, "SELECT count(*) FROM added_leads"), count_rows(file, "SELECT count(*) FROM inbox"),
                          count_rows(file, "SELECT count(*) FROM received")};
  for (const std::int64_t id : ids) {
    const auto request = store->request(id);
    REQUIRE(request.has_value());
    CHECK_MESSAGE(request->answered.has_value(), "request " << id << " " << request->body << " not answered");
    outcome.requests.push_back(*request);
  }
  return outcome;
}

// ---- work of an engine resumed on a store --------------------------------------------------------

// The work an engine resumed on a store does; the store's error when it stopped it.
using ResumedWork = std::function<std::optional<Error>(Engine& engine)>;

// Sweeps `work` done by an engine resumed at `now` on a copy of `original` running `campaign`: once healthy, to
// count its writes (from the campaign's start to the store's closing); then, for each n, with the
// n-th write refused, after which it must have stopped with the store's error, then healthy
// again, after which `check` looks at the file.
void sweep_resumed_work(SweepFigures& figures, FailingVfs& vfs, const fs::path& folder, const fs::path& original,
                        const CampaignDefinition& campaign, Instant now, const ResumedWork& work, const std::function<void(const fs::path&)>& check) {
  const fs::path file = folder / "resumed.db";
  const auto resume = [&](const std::optional<FailingVfs::Fault>& fault) -> std::optional<Error> {
    vfs.healthy();
    ResumedEngine resumed(file, now, campaign);
    if (fault) {
      vfs.arm(*fault);
    } else {
      vfs.healthy();
    }
    return work(*resumed.engine);
  };
  const auto fresh_copy = [&] {
    std::error_code ignored;
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(file.string() + suffix, ignored);
    fs::copy_file(original, file, fs::copy_options::overwrite_existing);
  };

  fresh_copy();
  const auto healthy = resume(std::nullopt);
  REQUIRE_FALSE_MESSAGE(healthy.has_value(), said(healthy));
  figures.writes = vfs.writes();
  REQUIRE(figures.writes > 0);
  check(file);

  const std::uint64_t most = sanitized ? 40 : 100000;
  for (const int code : {SQLITE_FULL, SQLITE_IOERR_WRITE}) {
    for (const std::uint64_t n : writes_to_fail(figures.writes, most, code == SQLITE_IOERR_WRITE)) {
      CAPTURE(sqlite_code_name(code));
      CAPTURE(n);
      fresh_copy();
      const auto failure = resume(code == SQLITE_FULL ? disk_full_at(n) : io_error_at(n));
      REQUIRE_MESSAGE(vfs.failed() > 0, "the write was never made: the count differs from the healthy run's");
      ++figures.runs;
      if (absorbed(vfs, failure)) {
        ++figures.absorbed;
        check(file);
      } else {
        REQUIRE_MESSAGE(failure.has_value(), "the write refused (to " << file_kind_of(vfs) << ") was not reported");
        check_names_the_fault(*failure, file, code);
        ++figures.stopped;
      }
      const auto again = resume(std::nullopt);
      REQUIRE_FALSE_MESSAGE(again.has_value(), said(again));
      check(file);
    }
  }
  CHECK(figures.stopped > 0);
  figures.print();
}

}  // namespace

TEST_SUITE("sqlite_store") {

TEST_CASE("a disk made to fail counts every write to its folder and refuses the n-th with the code asked, once or "
          "from then on") {
  TempFolder folder;
  TempFolder elsewhere;
  FailingVfs vfs(folder.path());
  sqlite3* db = nullptr;
  const fs::path file = folder.path() / "plain.db";
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);  // through the default VFS: the shim
  sqlite3_extended_result_codes(db, 1);
  const auto run = [&](const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); };
  REQUIRE(run("PRAGMA journal_mode = WAL; CREATE TABLE t (x)") == SQLITE_OK);

  vfs.healthy();
  REQUIRE(run("INSERT INTO t VALUES (1)") == SQLITE_OK);
  CHECK(vfs.writes() > 0);
  CHECK(vfs.failed() == 0);

  // An I/O error refuses that write alone: the next statement goes through.
  vfs.arm({.at = 1, .code = SQLITE_IOERR_WRITE, .sticky = false});
  CHECK(run("INSERT INTO t VALUES (2)") == SQLITE_IOERR_WRITE);
  CHECK(vfs.failed() == 1);
  CHECK(vfs.first_failure_on() == FailingVfs::FileKind::wal);
  CHECK(run("INSERT INTO t VALUES (3)") == SQLITE_OK);

  // A full disk stays full.
  vfs.arm({.at = 2, .code = SQLITE_FULL, .sticky = true});
  CHECK(run("INSERT INTO t VALUES (4)") == SQLITE_FULL);
  CHECK(run("INSERT INTO t VALUES (5)") == SQLITE_FULL);
  CHECK(vfs.failed() >= 2);
  CHECK(vfs.writes() >= 3);

  // Flushes are counted, and done by nobody.
  vfs.healthy();
  CHECK(run("INSERT INTO t VALUES (6); PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
  CHECK(vfs.syncs() > 0);
  sqlite3_close(db);
  CHECK(count_rows(file, "SELECT count(*) FROM t") == 3);

  // A file outside the folder is left alone.
  vfs.arm({.at = 1, .code = SQLITE_FULL, .sticky = true});
  REQUIRE(sqlite3_open((elsewhere.path() / "other.db").c_str(), &db) == SQLITE_OK);
  CHECK(run("CREATE TABLE t (x); INSERT INTO t VALUES (1)") == SQLITE_OK);
  sqlite3_close(db);
  CHECK(vfs.writes() == 0);
  CHECK(vfs.failed() == 0);
}

TEST_CASE("a SQLite store whose disk refuses a write stops the campaign, sends nothing without its intent on disk, "
          "and a restart on a healthy disk finishes it with nothing sent twice" *
          doctest::timeout(600)) {
  TempFolder folder;
  FailingVfs vfs(folder.path());
  SweepFigures figures{"a campaign of 120 leads x 2 steps"};

  // The healthy run counts the writes.
  const fs::path healthy_file = folder.path() / "healthy.db";
  {
    CheckingTransport transport(healthy_file, vfs);
    ManualClock clock{at("2026-12-01T00:00:00Z")};
    vfs.healthy();
    const auto failure = run_campaign(healthy_file, transport, clock);
    REQUIRE_FALSE_MESSAGE(failure.has_value(), said(failure));
    figures.writes = vfs.writes();
    CHECK(transport.problems.empty());
    CHECK(transport.handovers.size() == static_cast<std::size_t>(campaign_leads * campaign_steps));
    check_campaign_whole(healthy_file, transport.handovers, false);
  }
  REQUIRE(figures.writes > 0);

  const std::uint64_t most = sanitized ? 40 : 100000;
  for (const int code : {SQLITE_FULL, SQLITE_IOERR_WRITE}) {
    for (const std::uint64_t n : writes_to_fail(figures.writes, most, code == SQLITE_IOERR_WRITE)) {
      CAPTURE(sqlite_code_name(code));
      CAPTURE(n);
      const fs::path file = folder.path() / ("faulty-" + std::to_string(code) + "-" + std::to_string(n) + ".db");
      CheckingTransport transport(file, vfs);
      ManualClock clock{at("2026-12-01T00:00:00Z")};
      vfs.arm(code == SQLITE_FULL ? disk_full_at(n) : io_error_at(n));
      const auto failure = run_campaign(file, transport, clock);
      REQUIRE_MESSAGE(vfs.failed() > 0, "the write was never made: the count differs from the healthy run's");
      ++figures.runs;
      if (absorbed(vfs, failure)) {
        ++figures.absorbed;
        CHECK(transport.handovers.size() == static_cast<std::size_t>(campaign_leads * campaign_steps));
        check_campaign_whole(file, transport.handovers, false);
      } else {
        REQUIRE_MESSAGE(failure.has_value(), "the write refused (to " << file_kind_of(vfs) << ") was not reported");
        check_names_the_fault(*failure, file, code);
        ++figures.stopped;
      }
      CHECK_MESSAGE(transport.problems.empty(), first_of(transport.problems));

      vfs.healthy();
      const auto resumed = run_campaign(file, transport, clock);
      REQUIRE_FALSE_MESSAGE(resumed.has_value(), said(resumed));
      CHECK_MESSAGE(transport.problems.empty(), first_of(transport.problems));
      check_campaign_whole(file, transport.handovers, true);
      std::error_code ignored;
      for (const char* suffix : {"", "-wal", "-shm", "-lock"}) fs::remove(file.string() + suffix, ignored);
    }
  }
  CHECK(figures.stopped > 0);
  figures.print();
}

TEST_CASE("received mail taken in while the disk refuses a write is taken in once, and nothing of it is lost, "
          "when it is taken in again on a healthy disk" * doctest::timeout(600)) {
  MailScene scene;
  FailingVfs vfs(scene.folder.path());
  const ResumedWork take_in_all = [&](Engine& engine) -> std::optional<Error> {
    for (const std::string& raw : scene.mail) {
      auto taken = engine.ingest(raw);
      if (taken) continue;
      // Stopped: it takes nothing more in.
      CHECK(engine.failure().has_value());
      CHECK_FALSE(engine.ingest(scene.mail.front()).has_value());
      return taken.error();
    }
    return engine.failure();
  };
  std::optional<MailOutcome> expected;
  const auto check = [&](const fs::path& file) {
    const MailOutcome outcome = mail_outcome(file);
    if (!expected) {
      // The healthy run: a reply, a bounce or nothing for each message, once.
      expected = outcome;
      CHECK(outcome.received == mail_leads / 2);  // the replies and bounces: not the stranger's, the repeat once
      CHECK(outcome.suppressed.size() == static_cast<std::size_t>(mail_leads / 4));
      return;
    }
    CHECK(outcome.events == expected->events);
    CHECK(outcome.suppressed == expected->suppressed);
    CHECK(outcome.received == expected->received);
  };
  SweepFigures figures{"ingest of " + std::to_string(scene.mail.size()) + " received messages"};
  sweep_resumed_work(figures, vfs, scene.folder.path(), scene.original, definition(leads_json(mail_leads)), scene.now,
                     take_in_all, check);
}

TEST_CASE("requests a running engine applies while the disk refuses a write are each applied once, with their "
          "answers, once it runs again on a healthy disk" * doctest::timeout(600)) {
  SteeringScene scene;
  FailingVfs vfs(scene.folder.path());
  const ResumedWork apply_all = [&](Engine& engine) -> std::optional<Error> {
    auto applied = engine.apply_waiting();
    if (applied) return engine.failure();
    // Stopped: it applies nothing more.
    CHECK(engine.failure().has_value());
    CHECK_FALSE(engine.apply_waiting().has_value());
    return applied.error();
  };
  std::optional<SteeringOutcome> expected;
  const auto check = [&](const fs::path& file) {
    const SteeringOutcome outcome = steering_outcome(file, scene.requests);
    if (!expected) {
      expected = outcome;
      CHECK(outcome.inbox == 0);
      CHECK(outcome.received == 3);
      CHECK(outcome.added_leads == 2);
      for (const auto& request : outcome.requests) {
        const auto answer = request_answer_from_json(request.answer);
        REQUIRE(answer.has_value());
        CHECK_MESSAGE(answer->applied, request.body << ": " << answer->message);
      }
      return;
    }
    CHECK(outcome.events == expected->events);
    CHECK(outcome.suppressed == expected->suppressed);
    CHECK(outcome.requests == expected->requests);
    CHECK(outcome.added_leads == expected->added_leads);
    CHECK(outcome.inbox == 0);
    CHECK(outcome.received == expected->received);
  };
  SweepFigures figures{std::to_string(scene.requests.size()) + " requests and 3 received messages applied by a running engine"};
  sweep_resumed_work(figures, vfs, scene.folder.path(), scene.original, definition(leads_json(steered_leads)),
                     scene.now, apply_all, check);
}

}  // TEST_SUITE
