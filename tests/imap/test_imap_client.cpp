// The IMAP client against a scripted hostile server (tests/support/hostile_imap_server.py): each
// attack ends in a clear error within its deadline, with no crash and nothing taken in twice; and
// against its well-behaved scenario, a folder is read once and its place kept.
#include <doctest/doctest.h>

#include <algorithm>

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "outreach/engine.hpp"
#include "outreach/mail_reading.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"

namespace outreach {
namespace {

/// The hostile server, started for one test and stopped after it.
class HostileServer {
 public:
  explicit HostileServer(const std::string& scenario, bool tls = false) {
    const std::string command = "/usr/bin/python3 " OUTREACH_SOURCE_DIR "/tests/support/hostile_imap_server.py --scenario " +
                                scenario + (tls ? " --tls" : "") + " --lifetime 120";
    pipe_ = ::popen(command.c_str(), "r");
    REQUIRE(pipe_ != nullptr);
    char line[4096] = {};
    REQUIRE(std::fgets(line, sizeof line, pipe_) != nullptr);
    const auto ready = boost::json::parse(line).as_object();
    port = std::to_string(ready.at("port").as_int64());
    pid_ = static_cast<int>(ready.at("pid").as_int64());
    if (ready.at("ca_file").is_string()) ca_file = std::string(ready.at("ca_file").as_string());
  }
  ~HostileServer() {
    ::kill(pid_, SIGTERM);
    ::pclose(pipe_);
  }
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  std::string port;
  std::string ca_file;

 private:
  FILE* pipe_ = nullptr;
  int pid_ = 0;
};

CampaignDefinition campaign_reading(const HostileServer& server, Security security, bool trust_it = true) {
  auto loaded = CampaignDefinition::from_json(R"({"name":"c","sequence":{"steps":[
      {"variants":[{"subject":"Hi","text":"Hello"}]}]},"leads":[{"email":"one@example.test"}],
      "schedule":{"timezone":"UTC"},"mailboxes":[{"id":"m1","from":"user@example.test","daily_limit":10}]})");
  REQUIRE(loaded.has_value());
  ImapSettings imap;
  imap.url = (security == Security::tls ? "imaps://127.0.0.1:" : "imap://127.0.0.1:") + server.port;
  imap.security = security;
  imap.username = "user@example.test";
  imap.password_env = "OUTREACH_TEST_IMAP_PASSWORD";
  if (trust_it) imap.ca_file = server.ca_file;
  loaded->mailboxes[0].imap = imap;
  return std::move(*loaded);
}

/// Reads the mailbox until its first outcome (or `limit`), then stops; the outcome.
struct Reading {
  MailboxCheck outcome;
  std::chrono::steady_clock::duration took{};
  std::vector<std::string> warnings;
};

std::vector<Event> events_of(const MemoryStore& store, EventType type) {
  std::vector<Event> found;
  for (const Event& event : store.events()) {
    if (event.type == type) found.push_back(event);
  }
  return found;
}

Reading read_once(MemoryStore& store, CampaignDefinition campaign,
                  std::chrono::milliseconds command_limit = std::chrono::milliseconds(2000), bool until_failure = false) {
  ::setenv("OUTREACH_TEST_IMAP_PASSWORD", "secret", 1);
  MemoryTransport transport;
  SystemClock clock;
  Engine engine(store, transport, clock);
  REQUIRE(engine.add_campaign(std::move(campaign)).has_value());
  REQUIRE(engine.start("c").has_value());
  boost::asio::io_context io;
  ImapOptions options;
  options.timeouts = {.connect = command_limit, .tls = command_limit, .command = command_limit, .fetch = command_limit};
  MailReading reading(engine, store, options);
  Reading result;
  const auto started = std::chrono::steady_clock::now();
  auto count = reading.start(io, [&](const MailboxCheck& check) {
    if (until_failure && check.error.empty()) return;
    result.outcome = check;
    result.took = std::chrono::steady_clock::now() - started;
    reading.stop();
  });
  REQUIRE(count.has_value());
  REQUIRE(*count == 1);
  io.run_for(std::chrono::seconds(30));
  result.warnings = reading.warnings();
  return result;
}

void check_refused(const char* scenario, const char* expected, Security security = Security::starttls) {
  CAPTURE(scenario);
  HostileServer server(scenario, security == Security::tls);
  MemoryStore store;
  const Reading reading = read_once(store, campaign_reading(server, security));
  CHECK(reading.outcome.mailbox == "m1");
  CHECK_FALSE(reading.outcome.checked.has_value());
  CHECK(reading.outcome.failed.has_value());
  CHECK_MESSAGE(reading.outcome.error.find(expected) != std::string::npos, reading.outcome.error);
  CHECK(reading.took < std::chrono::seconds(10));
  // Nothing was taken in, and the folder's place did not move.
  CHECK_FALSE(store.folder_position("m1", "INBOX").has_value());
  // The campaign's log says so once.
  const auto unreadable = events_of(store, EventType::mailbox_unreadable);
  REQUIRE(unreadable.size() == 1);
  CHECK(unreadable[0].mailbox == "m1");
  CHECK(unreadable[0].lead.empty());
  CHECK(unreadable[0].reason == reading.outcome.error);
}

}  // namespace

TEST_SUITE_BEGIN("imap.client");

TEST_CASE("IMAP reader: a well-behaved server's folder is read once and its place kept") {
  HostileServer server("normal");
  MemoryStore store;
  const Reading first = read_once(store, campaign_reading(server, Security::starttls));
  CHECK_MESSAGE(first.outcome.error.empty(), first.outcome.error);
  REQUIRE(first.outcome.checked.has_value());
  const auto position = store.folder_position("m1", "INBOX");
  REQUIRE(position.has_value());
  CHECK(position->uidvalidity == 7);
  CHECK(position->last_uid == 2);
  // Read again: nothing new, the place stays.
  const Reading second = read_once(store, campaign_reading(server, Security::starttls));
  CHECK(second.outcome.error.empty());
  CHECK(store.folder_position("m1", "INBOX") == position);
  // And over implicit TLS.
  HostileServer secure("normal", true);
  MemoryStore other;
  const Reading tls = read_once(other, campaign_reading(secure, Security::tls));
  CHECK_MESSAGE(tls.outcome.error.empty(), tls.outcome.error);
  CHECK(other.folder_position("m1", "INBOX").has_value());
}

TEST_CASE("IMAP reader: bytes injected after STARTTLS's reply are refused") {
  check_refused("starttls_injection", "STARTTLS injection");
}

TEST_CASE("IMAP reader: a literal announced at 2 GiB is refused before its bytes arrive") {
  check_refused("huge_literal", "literal");
}

TEST_CASE("IMAP reader: a line that never ends is refused at the line limit") {
  check_refused("endless_line", "line");
}

TEST_CASE("IMAP reader: malformed responses end the connection") {
  check_refused("malformed_parens", "IMAP server 127.0.0.1 during FETCH");
  check_refused("malformed_literal", "IMAP server 127.0.0.1 during FETCH");
}

TEST_CASE("IMAP reader: a tag that answers no command, or another command, is refused") {
  check_refused("unknown_tag", "with the tag \"zz999\"");
  check_refused("wrong_tag", "with the tag");
}

TEST_CASE("IMAP reader: message data after the command's end is refused, and nothing is skipped") {
  // The sizes the server sends after its OK are not there when the folder is read through, so the
  // first reading takes nothing in; the stray data ends the connection at the next command.
  HostileServer server("out_of_order");
  MemoryStore store;
  const Reading reading = read_once(store, campaign_reading(server, Security::starttls), std::chrono::milliseconds(2000), true);
  CHECK_MESSAGE(reading.outcome.error.find("nobody asked for") != std::string::npos, reading.outcome.error);
  const auto position = store.folder_position("m1", "INBOX");
  CHECK((!position || position->last_uid == 0));  // messages 1 and 2 are still to be read
}

TEST_CASE("IMAP reader: a server that stalls times out within the step's deadline") {
  HostileServer server("stall");
  MemoryStore store;
  const auto started = std::chrono::steady_clock::now();
  const Reading reading = read_once(store, campaign_reading(server, Security::starttls), std::chrono::milliseconds(500));
  CHECK_MESSAGE(reading.outcome.error.find("timed out") != std::string::npos, reading.outcome.error);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("IMAP reader: a mailbox that cannot be read, then can, is logged once each way") {
  MemoryStore store;
  {
    HostileServer failing("bye");
    CHECK_FALSE(read_once(store, campaign_reading(failing, Security::starttls)).outcome.error.empty());
  }
  HostileServer server("normal");
  CHECK(read_once(store, campaign_reading(server, Security::starttls)).outcome.error.empty());
  std::vector<std::string> types;
  for (const Event& event : store.events()) {
    if (event.type == EventType::mailbox_unreadable || event.type == EventType::mailbox_readable) {
      types.emplace_back(to_string(event.type));
      CHECK(event.mailbox == "m1");
    }
  }
  CHECK(types == std::vector<std::string>{"mailbox_unreadable", "mailbox_readable"});
}

TEST_CASE("IMAP reader: BYE is reported with the server's words") {
  check_refused("bye", "BYE shutting down");
}

TEST_CASE("IMAP reader: an untrusted certificate is refused, and no credentials are sent") {
  HostileServer server("normal", true);
  MemoryStore store;
  const Reading reading = read_once(store, campaign_reading(server, Security::tls, false));
  CHECK_MESSAGE(reading.outcome.error.find("certificate") != std::string::npos, reading.outcome.error);
  CHECK(reading.outcome.error.find("secret") == std::string::npos);
}

TEST_CASE("IMAP reader on its own: lists what is new after a place, fetches one message, and says why not") {
  ::setenv("OUTREACH_TEST_IMAP_PASSWORD", "secret", 1);
  HostileServer server("normal");
  std::vector<std::string> trace;
  ImapOptions options;
  options.trace = [&](std::string_view line) { trace.emplace_back(line); };
  ImapReader reader(campaign_reading(server, Security::starttls).mailboxes[0], options);

  const auto first = reader.list_new("INBOX", 0, 0);
  REQUIRE_MESSAGE(first.has_value(), first.error().message());
  CHECK(first->uidvalidity == 7);
  REQUIRE(first->messages.size() == 2);
  CHECK(first->messages[0].uid == 1);
  CHECK(first->messages[0].size > 0);
  // After the first message of the same validity: the second; of another validity: both again.
  const auto after = reader.list_new("INBOX", 7, 1);
  REQUIRE(after.has_value());
  REQUIRE(after->messages.size() == 1);
  CHECK(after->messages[0].uid == 2);
  CHECK(reader.list_new("INBOX", 8, 1)->messages.size() == 2);
  CHECK(reader.list_new("INBOX", 7, 2)->messages.empty());

  const auto message = reader.fetch("INBOX", 1);
  REQUIRE_MESSAGE(message.has_value(), message.error().message());
  CHECK(message->find("Message-ID: <m1@example.test>") != std::string::npos);
  CHECK(message->size() == first->messages[0].size);
  CHECK(reader.fetch("INBOX", 99).error().code() == Errc::not_found);
  CHECK(reader.fetch("INBOX", 0).error().code() == Errc::not_found);
  // One connection for all of it, read-only, and the password never in the trace.
  CHECK(std::count_if(trace.begin(), trace.end(), [](const std::string& line) {
          return line.starts_with("C: ") && (line.find(" LOGIN ") != std::string::npos ||
                                             line.find(" AUTHENTICATE ") != std::string::npos);
        }) == 1);
  CHECK(std::none_of(trace.begin(), trace.end(), [](const std::string& line) {
    return line.find("secret") != std::string::npos || line.find(" SELECT ") != std::string::npos ||
           line.find("BODY[") != std::string::npos;
  }));
  reader.close();

  ImapOptions small;
  small.max_message_bytes = 10;
  ImapReader limited(campaign_reading(server, Security::starttls).mailboxes[0], small);
  CHECK(limited.fetch("INBOX", 1).error().code() == Errc::limit_exceeded);

  Mailbox without = campaign_reading(server, Security::starttls).mailboxes[0];
  without.imap.reset();
  CHECK(ImapReader(without).list_new("INBOX", 0, 0).error().code() == Errc::invalid_value);
}

TEST_SUITE_END();

}  // namespace outreach
