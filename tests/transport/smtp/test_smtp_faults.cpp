// SmtpTransport against a scripted SMTP server on loopback: refusals at every stage, network
// faults and deadlines, TLS and its attacks, pipelining, extensions, dot-stuffing, connection
// reuse, authentication, and the engine carrying on when one mailbox's server fails.
// Run them as a group with `outreach_tests -ts=smtp`.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/mailbox_transport.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/smtp_transport.hpp"
#include "support/base64.hpp"
#include "support/smtp_script_server.hpp"
#include "support/test_certs.hpp"

using namespace outreach;
using namespace outreach::testing;
using namespace std::chrono_literals;
using Kind = SendOutcome::Kind;

namespace {

// Every outcome must arrive well within this, whatever the server does: a deadline check, far
// above the scripted timeouts, not a speed test.
constexpr auto outcome_bound = 5s;

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::accepted: return "accepted";
    case Kind::temporary: return "temporary";
    case Kind::permanent: return "permanent";
  }
  return "?";
}

std::string describe(const SendOutcome& outcome) {
  return "outcome: " + std::string(kind_name(outcome.kind)) + ", code " +
         std::to_string(outcome.code) + ", status \"" + outcome.status + "\", reason \"" + outcome.reason +
         "\", queue id \"" + outcome.queue_id + "\"" + (outcome.maybe_delivered ? ", maybe delivered" : "");
}

bool mentions(std::string_view text, std::string_view word) {
  const auto lower = [](std::string_view in) {
    std::string out(in);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  return lower(text).find(lower(word)) != std::string::npos;
}

// Short deadlines, so that a stalled server costs little.
SmtpOptions quick_options() {
  SmtpOptions options;
  options.helo_name = "client.test";
  options.timeouts.connect = 2000ms;
  options.timeouts.tls = 1000ms;
  options.timeouts.command = 400ms;
  options.timeouts.data = 800ms;
  options.timeouts.idle = 30s;
  return options;
}

// For tests where the server waits for a pipelined group before replying: deadlines well above
// that wait, so that a client that does not pipeline is slow rather than timed out.
SmtpOptions patient_options() {
  SmtpOptions options = quick_options();
  options.timeouts.command = 2000ms;
  options.timeouts.data = 2000ms;
  return options;
}

SmtpScript tls_script(SmtpTls mode, const CertificateFiles& files) {
  SmtpScript script;
  script.tls = mode;
  script.certificate = files.certificate;
  script.key = files.key;
  return script;
}

Security security_for(SmtpTls mode) {
  switch (mode) {
    case SmtpTls::implicit: return Security::tls;
    case SmtpTls::starttls: return Security::starttls;
    case SmtpTls::none: break;
  }
  return Security::none;
}

Mailbox mailbox_for(const SmtpScriptServer& server, Security security = Security::none) {
  Mailbox mailbox;
  mailbox.id = "alice";
  auto from = Address::parse("Alice <alice@acme.example>");
  REQUIRE(from);
  mailbox.from = *from;
  mailbox.transport = server.url();
  mailbox.security = security;
  if (security != Security::none) mailbox.ca_file = test_certificates().ca;
  return mailbox;
}

Message message_to(const std::string& to, const std::string& body = "Hello there.\r\n") {
  static int sequence = 0;
  const std::string id = "<m" + std::to_string(++sequence) + "@acme.example>";
  Message message;
  message.message_id = id;
  message.envelope_from = "alice@acme.example";
  message.envelope_to = to;
  message.data = "From: Alice <alice@acme.example>\r\nTo: <" + to + ">\r\nSubject: Hello\r\nMessage-ID: " + id +
                 "\r\nMIME-Version: 1.0\r\n\r\n" + body;
  return message;
}

Message message_of_size(std::size_t bytes) {
  std::string body;
  body.reserve(bytes + 80);
  const std::string line(76, 'x');
  while (body.size() < bytes) body += line + "\r\n";
  return message_to("bob@example.net", body);
}

struct TimedOutcome {
  SendOutcome outcome;
  std::chrono::milliseconds took{};
};

TimedOutcome timed_send(SmtpTransport& transport, const Mailbox& mailbox, const Message& message) {
  const auto start = std::chrono::steady_clock::now();
  TimedOutcome result{transport.send(mailbox, message)};
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return result;
}

bool has_round(const std::vector<std::vector<std::string>>& rounds, const std::vector<std::string>& wanted) {
  return std::find(rounds.begin(), rounds.end(), wanted) != rounds.end();
}

std::string show_rounds(const std::vector<std::vector<std::string>>& rounds) {
  std::string out;
  for (const auto& round : rounds) {
    out += "[";
    for (std::size_t i = 0; i < round.size(); ++i) out += (i ? " " : "") + round[i];
    out += "] ";
  }
  return out;
}

std::string show_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// The forms in which a secret could leak: as is, and base64 alone or inside an AUTH response.
std::vector<std::string> leaked_forms(const std::string& username, const std::string& secret) {
  return {secret, base64_encode(secret), base64_encode(std::string(1, '\0') + username + '\0' + secret),
          base64_encode("user=" + username + "\x01" + "auth=Bearer " + secret + "\x01\x01")};
}

void check_never_contains(const std::vector<std::string>& texts, const std::vector<std::string>& forms) {
  for (const std::string& text : texts) {
    for (const std::string& form : forms) CHECK_MESSAGE(text.find(form) == std::string::npos, "leaked in: " << text);
  }
}

// Sets an environment variable for one test.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnvironment() { ::unsetenv(name_); }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
};

// A raw client that connects and then says nothing.
int connect_silently(std::uint16_t port) {
  const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(socket >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::connect(socket, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  return socket;
}

const char* stage_name(SmtpStage stage) {
  switch (stage) {
    case SmtpStage::greeting: return "greeting";
    case SmtpStage::ehlo: return "EHLO";
    case SmtpStage::starttls: return "STARTTLS";
    case SmtpStage::auth: return "AUTH";
    case SmtpStage::mail: return "MAIL";
    case SmtpStage::rcpt: return "RCPT";
    case SmtpStage::data: return "DATA";
    case SmtpStage::end_of_data: return "end of data";
    case SmtpStage::rset: return "RSET";
    case SmtpStage::quit: return "QUIT";
  }
  return "?";
}

}  // namespace

TEST_SUITE_BEGIN("smtp");

TEST_CASE("an accepted message arrives intact with its envelope and the server's queue id") {
  SmtpScript script;
  script.reply(SmtpStage::end_of_data, "250 2.0.0 Ok: queued as 4C1F2D3E");
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());
  const Mailbox mailbox = mailbox_for(server);
  const Message message = message_to("bob@example.net");

  const TimedOutcome sent = timed_send(transport, mailbox, message);
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::accepted);
  CHECK(sent.outcome.queue_id == "4C1F2D3E");
  CHECK(sent.took < outcome_bound);

  const auto messages = server.log().messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].mail_from.starts_with("MAIL FROM:<alice@acme.example>"));
  CHECK(messages[0].rcpt_to == std::vector<std::string>{"RCPT TO:<bob@example.net>"});
  CHECK(messages[0].data == message.data);
  CHECK(server.log().commands().at(0) == "EHLO client.test");

  transport.close();
  server.wait_until_idle();
  CHECK(server.log().count("QUIT") == 1);
  CHECK(server.log().violations().empty());
}

TEST_CASE("each refusal at each stage gives the right outcome with the server's code and status and text") {
  struct Refusal {
    SmtpStage stage;
    const char* reply;
    Kind kind;
    const char* status;  // nullptr: not checked (no enhanced status codes before EHLO)
    const char* text;
  };
  // A refused greeting is the session's failure, and a refused sender the mailbox's: both are
  // temporary, whatever the code, so that a broken mailbox does not end its leads. So are 4xx,
  // 5.2.2, and 552 to RCPT (RFC 5321 section 4.5.3.1.10). 552 to MAIL refuses the message's size
  // (RFC 1870) and other 5xx refuse the message: permanent.
  const std::vector<Refusal> refusals = {
      {SmtpStage::greeting, "421 4.3.2 too busy, try later", Kind::temporary, nullptr, "too busy"},
      {SmtpStage::greeting, "450 4.3.2 not now", Kind::temporary, nullptr, "not now"},
      {SmtpStage::greeting, "451 4.3.0 local problem", Kind::temporary, nullptr, "local problem"},
      {SmtpStage::greeting, "452 4.3.1 out of storage", Kind::temporary, nullptr, "out of storage"},
      {SmtpStage::greeting, "550 5.7.1 go away", Kind::temporary, nullptr, "go away"},
      {SmtpStage::greeting, "552 5.3.4 nothing fits", Kind::temporary, nullptr, "nothing fits"},
      {SmtpStage::greeting, "554 5.7.1 no SMTP service here", Kind::temporary, nullptr, "no SMTP service here"},

      {SmtpStage::mail, "421 4.3.2 shutting down", Kind::temporary, "4.3.2", "shutting down"},
      {SmtpStage::mail, "450 4.7.1 sender greylisted", Kind::temporary, "4.7.1", "sender greylisted"},
      {SmtpStage::mail, "451 4.3.0 local error in processing", Kind::temporary, "4.3.0", "local error in processing"},
      {SmtpStage::mail, "452 4.3.1 insufficient system storage", Kind::temporary, "4.3.1", "insufficient system storage"},
      {SmtpStage::mail, "550 5.7.1 sender rejected", Kind::temporary, "5.7.1", "sender rejected"},
      {SmtpStage::mail, "552 5.3.4 message size exceeds fixed limit", Kind::permanent, "5.3.4", "exceeds fixed limit"},
      {SmtpStage::mail, "554 5.7.1 sender blocked", Kind::temporary, "5.7.1", "sender blocked"},

      {SmtpStage::rcpt, "421 4.3.2 shutting down", Kind::temporary, "4.3.2", "shutting down"},
      {SmtpStage::rcpt, "450 4.2.1 mailbox busy", Kind::temporary, "4.2.1", "mailbox busy"},
      {SmtpStage::rcpt, "451 4.3.0 try again", Kind::temporary, "4.3.0", "try again"},
      {SmtpStage::rcpt, "452 4.5.3 too many recipients", Kind::temporary, "4.5.3", "too many recipients"},
      {SmtpStage::rcpt, "550 5.1.1 no such user", Kind::permanent, "5.1.1", "no such user"},
      {SmtpStage::rcpt, "552 5.5.3 too many recipients", Kind::temporary, "5.5.3", "too many recipients"},
      {SmtpStage::rcpt, "554 5.7.1 relay access denied", Kind::permanent, "5.7.1", "relay access denied"},

      {SmtpStage::data, "421 4.3.2 shutting down", Kind::temporary, "4.3.2", "shutting down"},
      {SmtpStage::data, "450 4.3.2 not now", Kind::temporary, "4.3.2", "not now"},
      {SmtpStage::data, "451 4.3.0 queue write failed", Kind::temporary, "4.3.0", "queue write failed"},
      {SmtpStage::data, "452 4.3.1 queue full", Kind::temporary, "4.3.1", "queue full"},
      {SmtpStage::data, "550 5.7.1 not accepted", Kind::permanent, "5.7.1", "not accepted"},
      {SmtpStage::data, "552 5.3.4 too big", Kind::permanent, "5.3.4", "too big"},
      {SmtpStage::data, "554 5.7.1 transaction failed", Kind::permanent, "5.7.1", "transaction failed"},

      {SmtpStage::end_of_data, "421 4.3.2 shutting down", Kind::temporary, "4.3.2", "shutting down"},
      {SmtpStage::end_of_data, "450 4.7.1 try again later", Kind::temporary, "4.7.1", "try again later"},
      {SmtpStage::end_of_data, "451 4.7.1 greylisted", Kind::temporary, "4.7.1", "greylisted"},
      {SmtpStage::end_of_data, "452 4.3.1 insufficient storage", Kind::temporary, "4.3.1", "insufficient storage"},
      {SmtpStage::end_of_data, "550 5.7.1 message rejected as spam", Kind::permanent, "5.7.1", "rejected as spam"},
      {SmtpStage::end_of_data, "552 5.2.2 mailbox full", Kind::temporary, "5.2.2", "mailbox full"},
      {SmtpStage::end_of_data, "554 5.7.1 message refused", Kind::permanent, "5.7.1", "message refused"},
  };

  for (const Refusal& refusal : refusals) {
    const std::string stage = stage_name(refusal.stage);
    const std::string reply = refusal.reply;
    CAPTURE(stage);
    CAPTURE(reply);
    SmtpScript script;
    script.reply(refusal.stage, refusal.reply);
    SmtpScriptServer server(script);
    SmtpTransport transport(quick_options());

    const TimedOutcome sent = timed_send(transport, mailbox_for(server), message_to("bob@example.net"));
    const SendOutcome& outcome = sent.outcome;
    INFO(describe(outcome));
    CHECK(outcome.kind == refusal.kind);
    CHECK(outcome.code == std::stoi(std::string(refusal.reply, 3)));
    if (refusal.status != nullptr) CHECK(outcome.status == refusal.status);
    CHECK(mentions(outcome.reason, refusal.text));
    CHECK_FALSE(outcome.maybe_delivered);
    CHECK(outcome.address_does_not_exist() == std::string_view(refusal.reply).starts_with("550 5.1."));
    CHECK(sent.took < outcome_bound);
    if (refusal.stage != SmtpStage::end_of_data) CHECK(server.log().messages().empty());
  }
}

TEST_CASE("a refusal without an enhanced status code leaves the status empty") {
  SmtpScript script;
  script.capabilities = {"PIPELINING", "8BITMIME"};
  script.reply(SmtpStage::rcpt, "550 no such user here");
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());

  const SendOutcome outcome = transport.send(mailbox_for(server), message_to("nobody@example.net"));
  INFO(describe(outcome));
  CHECK(outcome.kind == Kind::permanent);
  CHECK(outcome.code == 550);
  CHECK(outcome.status.empty());
  CHECK(mentions(outcome.reason, "no such user here"));
}

TEST_CASE("a connection closed in the middle of the data is temporary and not maybe delivered") {
  SmtpScript script;
  script.answers[SmtpStage::data] = {SmtpAnswer::closing_mid_data(64 * 1024)};
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());
  // Far more than the socket buffers hold, so the client cannot have written it all.
  const Message big = message_of_size(16 * 1024 * 1024);

  const TimedOutcome sent = timed_send(transport, mailbox_for(server), big);
  INFO(describe(sent.outcome));
  INFO("server saw:\n" << show_lines(server.log().commands()));
  // The client may try once more on a new connection: nothing can have been delivered.
  CHECK(server.log().count("DATA") >= 1);
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK_FALSE(sent.outcome.maybe_delivered);
  CHECK(sent.took < outcome_bound);
  CHECK(server.log().messages().empty());
}

TEST_CASE("a connection closed after the final dot and before the reply is temporary and maybe delivered") {
  SmtpScript script;
  script.fault(SmtpStage::end_of_data, SmtpFault::close_before_reply);
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());

  const TimedOutcome sent = timed_send(transport, mailbox_for(server), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(server.log().messages().size() == 1);
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK(sent.outcome.maybe_delivered);
  CHECK(sent.took < outcome_bound);
}

TEST_CASE("a server that stalls gives a temporary outcome within the deadline") {
  SmtpScript script;
  std::string seen;  // what the server must have seen before it stalled
  bool whole_message_sent = false;
  SUBCASE("at the greeting") {
    script.fault(SmtpStage::greeting, SmtpFault::stall);
  }
  SUBCASE("after MAIL") {
    script.fault(SmtpStage::mail, SmtpFault::stall);
    seen = "MAIL";
  }
  SUBCASE("after DATA") {
    script.fault(SmtpStage::data, SmtpFault::stall);
    seen = "DATA";
  }
  SUBCASE("after the final dot") {
    script.fault(SmtpStage::end_of_data, SmtpFault::stall);
    whole_message_sent = true;
  }
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());

  const TimedOutcome sent = timed_send(transport, mailbox_for(server), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(server.log().connections() >= 1);
  if (!seen.empty()) CHECK(server.log().count(seen) >= 1);
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK(sent.took < outcome_bound);
  if (whole_message_sent) {
    CHECK(server.log().messages().size() == 1);
    CHECK(sent.outcome.maybe_delivered);  // RFC 1047: the server may have taken it
  } else {
    CHECK_FALSE(sent.outcome.maybe_delivered);
  }
}

TEST_CASE("a server without STARTTLS when it is required gets a temporary error naming STARTTLS and no MAIL") {
  SmtpScriptServer server(SmtpScript{});
  SmtpTransport transport(quick_options());

  const TimedOutcome sent = timed_send(transport, mailbox_for(server, Security::starttls), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK(mentions(sent.outcome.reason, "STARTTLS"));
  CHECK(sent.took < outcome_bound);
  transport.close();
  server.wait_until_idle();
  CHECK(server.log().count("EHLO") >= 1);
  CHECK(server.log().count("MAIL") == 0);
  CHECK(server.log().count("AUTH") == 0);
}

namespace {

// The client must refuse the server's certificate: nothing is said over the connection.
void check_certificate_refused(SmtpTls mode, const CertificateFiles& certificate) {
  SmtpScriptServer server(tls_script(mode, certificate));
  SmtpTransport transport(quick_options());

  const TimedOutcome sent = timed_send(transport, mailbox_for(server, security_for(mode)), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK(sent.took < outcome_bound);
  transport.close();
  server.wait_until_idle();
  INFO("server saw:\n" << show_lines(server.log().commands()));
  CHECK(server.log().connections() >= 1);
  if (mode == SmtpTls::implicit) {
    CHECK(server.log().commands().empty());
  } else {
    CHECK(server.log().count("STARTTLS") >= 1);
    CHECK(server.log().count("EHLO") == server.log().count("STARTTLS"));  // no EHLO over TLS
  }
  CHECK(server.log().count("MAIL") == 0);
  CHECK(server.log().count("AUTH") == 0);
}

}  // namespace

TEST_CASE("a certificate for another host name is refused") {
  SUBCASE("implicit TLS") { check_certificate_refused(SmtpTls::implicit, test_certificates().other_host); }
  SUBCASE("STARTTLS") { check_certificate_refused(SmtpTls::starttls, test_certificates().other_host); }
}

TEST_CASE("an untrusted self-signed certificate is refused") {
  SUBCASE("implicit TLS") { check_certificate_refused(SmtpTls::implicit, test_certificates().self_signed); }
  SUBCASE("STARTTLS") { check_certificate_refused(SmtpTls::starttls, test_certificates().self_signed); }
}

TEST_CASE("a certificate signed by the mailbox's CA is accepted and the message arrives intact") {
  SmtpTls mode = SmtpTls::implicit;
  SUBCASE("implicit TLS") { mode = SmtpTls::implicit; }
  SUBCASE("STARTTLS") { mode = SmtpTls::starttls; }
  SmtpScriptServer server(tls_script(mode, test_certificates().server));
  SmtpTransport transport(quick_options());
  const Message message = message_to("bob@example.net");

  const TimedOutcome sent = timed_send(transport, mailbox_for(server, security_for(mode)), message);
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::accepted);
  CHECK(sent.took < outcome_bound);
  CHECK(server.log().tls_handshakes() >= 1);
  const auto messages = server.log().messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].over_tls);
  CHECK(messages[0].data == message.data);
}

TEST_CASE("bytes sent after the reply to STARTTLS are refused and no MAIL follows") {
  SmtpScript script = tls_script(SmtpTls::starttls, test_certificates().server);
  // A man in the middle's injection: a reply the client would read as if it came over TLS.
  script.answers[SmtpStage::starttls] = {
      SmtpAnswer::with_extra_bytes("220 2.0.0 ready to start TLS", "250-mx.test\r\n250 AUTH PLAIN\r\n")};
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());

  const TimedOutcome sent =
      timed_send(transport, mailbox_for(server, Security::starttls), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK(sent.took < outcome_bound);
  transport.close();
  server.wait_until_idle();
  INFO("server saw:\n" << show_lines(server.log().commands()));
  CHECK(server.log().count("STARTTLS") >= 1);
  CHECK(server.log().count("MAIL") == 0);
  CHECK(server.log().messages().empty());
}

TEST_CASE("MAIL and RCPT and DATA arrive in one round trip when PIPELINING is offered") {
  SmtpScript script;
  script.group_wait = 150ms;
  SmtpScriptServer server(script);
  SmtpTransport transport(patient_options());

  const TimedOutcome sent = timed_send(transport, mailbox_for(server), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::accepted);
  const auto rounds = server.log().rounds();
  INFO("rounds: " << show_rounds(rounds));
  CHECK(has_round(rounds, {"MAIL", "RCPT", "DATA"}));
  CHECK(server.log().saw_pipelined_commands());
}

TEST_CASE("commands go one at a time without pipelining") {
  SmtpScript script;
  script.group_wait = 150ms;
  SmtpOptions options = patient_options();
  SUBCASE("the server does not offer it") { script.capabilities = {"8BITMIME", "ENHANCEDSTATUSCODES"}; }
  SUBCASE("the client is told not to use it") { options.pipelining = false; }
  SmtpScriptServer server(script);
  SmtpTransport transport(options);

  const TimedOutcome sent = timed_send(transport, mailbox_for(server), message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::accepted);
  const auto rounds = server.log().rounds();
  INFO("rounds: " << show_rounds(rounds));
  CHECK(has_round(rounds, {"MAIL"}));
  CHECK(has_round(rounds, {"RCPT"}));
  CHECK(has_round(rounds, {"DATA"}));
  CHECK_FALSE(server.log().saw_pipelined_commands());
}

TEST_CASE("submitted messages all arrive over one connection with each envelope pipelined after the end of the message before") {
  SmtpScript script;
  script.group_wait = 150ms;
  SmtpScriptServer server(script);
  SmtpOptions options = patient_options();
  options.connections_per_mailbox = 1;
  SmtpTransport transport(options);
  const Mailbox mailbox = mailbox_for(server);

  constexpr std::size_t count = 3;
  std::vector<Message> messages;
  std::vector<std::optional<SendOutcome>> outcomes(count);
  std::vector<int> calls(count, 0);
  for (std::size_t i = 0; i < count; ++i) {
    messages.push_back(message_to("lead" + std::to_string(i) + "@example.net", "Message " + std::to_string(i) + "\r\n"));
    transport.submit(mailbox, messages.back(), [&outcomes, &calls, i](const SendOutcome& outcome) {
      outcomes[i] = outcome;
      ++calls[i];
    });
  }
  const auto start = std::chrono::steady_clock::now();
  transport.flush();
  CHECK(std::chrono::steady_clock::now() - start < outcome_bound);

  for (std::size_t i = 0; i < count; ++i) {
    CAPTURE(i);
    CHECK(calls[i] == 1);
    REQUIRE(outcomes[i].has_value());
    INFO(describe(*outcomes[i]));
    CHECK(outcomes[i]->kind == Kind::accepted);
  }
  const auto received = server.log().messages();
  REQUIRE(received.size() == count);
  for (const Message& message : messages) {
    const bool arrived = std::any_of(received.begin(), received.end(), [&](const ReceivedMessage& got) {
      return got.data == message.data && got.rcpt_to == std::vector<std::string>{"RCPT TO:<" + message.envelope_to + ">"};
    });
    CHECK_MESSAGE(arrived, message.envelope_to);
  }
  CHECK(server.log().connections() == 1);
  CHECK(transport.connections_opened() == 1);
  const auto rounds = server.log().rounds();
  INFO("rounds: " << show_rounds(rounds));
  CHECK(has_round(rounds, {".", "MAIL", "RCPT", "DATA"}));
}

TEST_CASE("a message over the advertised SIZE is refused before MAIL while a smaller one goes") {
  SmtpScript script;
  script.capabilities.push_back("SIZE 2000");
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());
  const Mailbox mailbox = mailbox_for(server);

  const SendOutcome refused = transport.send(mailbox, message_of_size(5000));
  INFO(describe(refused));
  CHECK(refused.kind == Kind::permanent);
  CHECK(mentions(refused.reason, "2000"));  // the server's limit
  CHECK(server.log().count("MAIL") == 0);

  const SendOutcome accepted = transport.send(mailbox, message_to("bob@example.net"));
  INFO(describe(accepted));
  CHECK(accepted.kind == Kind::accepted);
  CHECK(server.log().count("MAIL") == 1);
}

TEST_CASE("a message that needs SMTPUTF8 is refused before MAIL when the server does not offer it") {
  SmtpScriptServer server(SmtpScript{});
  SmtpTransport transport(quick_options());
  Message message = message_to("jörg@example.net");
  message.requires_smtputf8 = true;

  const SendOutcome outcome = transport.send(mailbox_for(server), message);
  INFO(describe(outcome));
  CHECK(outcome.kind == Kind::permanent);
  CHECK(server.log().connections() >= 1);  // it asked the server what it offers
  CHECK(server.log().count("MAIL") == 0);
}

TEST_CASE("a message that needs SMTPUTF8 says so in MAIL when the server offers it") {
  SmtpScript script;
  script.capabilities.push_back("SMTPUTF8");
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());
  Message message = message_to("jörg@example.net");
  message.requires_smtputf8 = true;

  const SendOutcome outcome = transport.send(mailbox_for(server), message);
  INFO(describe(outcome));
  CHECK(outcome.kind == Kind::accepted);
  const auto received = server.log().messages();
  REQUIRE(received.size() == 1);
  CHECK(mentions(received[0].mail_from, " SMTPUTF8"));
  CHECK(received[0].rcpt_to == std::vector<std::string>{"RCPT TO:<jörg@example.net>"});
}

TEST_CASE("8-bit data goes with BODY=8BITMIME when the server offers it") {
  SmtpScriptServer server(SmtpScript{});  // 8BITMIME is offered by default
  SmtpTransport transport(quick_options());
  const Message message = message_to("bob@example.net", "Grüße aus Köln\r\n");

  const SendOutcome outcome = transport.send(mailbox_for(server), message);
  INFO(describe(outcome));
  CHECK(outcome.kind == Kind::accepted);
  const auto received = server.log().messages();
  REQUIRE(received.size() == 1);
  CHECK(mentions(received[0].mail_from, " BODY=8BITMIME"));
  CHECK(received[0].data == message.data);
}

TEST_CASE("lines starting with a dot are stuffed on the wire and arrive intact with CRLF only") {
  SmtpScriptServer server(SmtpScript{});
  SmtpTransport transport(quick_options());
  Message message = message_to("bob@example.net", ".hidden\r\n.\r\n..\r\nnot.at.start\r\n. \r\nend\r\n");
  message.data = ".first line of all\r\n" + message.data;  // the very first line too

  const SendOutcome outcome = transport.send(mailbox_for(server), message);
  INFO(describe(outcome));
  CHECK(outcome.kind == Kind::accepted);
  const auto received = server.log().messages();
  REQUIRE(received.size() == 1);
  const std::string& raw = received[0].raw;
  CHECK(raw.starts_with("..first line of all\r\n"));
  CHECK(raw.find("\r\n..hidden\r\n") != std::string::npos);
  CHECK(raw.find("\r\n..\r\n...\r\n") != std::string::npos);
  CHECK(raw.find("\r\nnot.at.start\r\n") != std::string::npos);
  CHECK(raw.find("\r\n.. \r\n") != std::string::npos);
  CHECK(received[0].data == message.data);
  INFO("violations:\n" << show_lines(server.log().violations()));
  CHECK(server.log().violations().empty());  // no bare CR or LF, in commands or data
}

TEST_CASE("multi-line replies are read at every stage") {
  SmtpScript script = tls_script(SmtpTls::starttls, test_certificates().server);
  script.greeting = "220-mx.test ESMTP\n220-no unsolicited mail\n220 ready";
  script.capabilities = {"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN", "SIZE 10000000"};
  script.reply(SmtpStage::starttls, "220-2.0.0 go ahead\n220 2.0.0 ready to start TLS");
  script.reply(SmtpStage::auth, "235-2.7.0 welcome\n235 2.7.0 authentication successful");
  script.reply(SmtpStage::mail, "250-2.1.0 sender\n250 2.1.0 ok");
  script.reply(SmtpStage::rcpt, "250-2.1.5 recipient\n250 2.1.5 ok");
  script.reply(SmtpStage::data, "354-go ahead\n354 end with <CRLF>.<CRLF>");
  script.reply(SmtpStage::end_of_data, "250-2.0.0 message accepted\n250 2.0.0 queued as 7F3A21");
  script.reply(SmtpStage::quit, "221-2.0.0 closing\n221 2.0.0 bye");
  SmtpScriptServer server(script);
  const ScopedEnvironment password("OUTREACH_TEST_SMTP_PASSWORD", "multi-line-secret");
  Mailbox mailbox = mailbox_for(server, Security::starttls);
  mailbox.username = "alice";
  mailbox.auth = SmtpAuth::plain;
  mailbox.password_env = "OUTREACH_TEST_SMTP_PASSWORD";
  SmtpTransport transport(quick_options());
  const Message message = message_to("bob@example.net");

  const TimedOutcome sent = timed_send(transport, mailbox, message);
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::accepted);
  CHECK(sent.outcome.queue_id == "7F3A21");
  CHECK(sent.took < outcome_bound);
  const auto received = server.log().messages();
  REQUIRE(received.size() == 1);
  CHECK(received[0].over_tls);
  CHECK(received[0].data == message.data);
  CHECK(server.log().auth_attempts().size() == 1);

  transport.close();
  server.wait_until_idle();
  CHECK(server.log().count("QUIT") == 1);
}

TEST_CASE("a multi-line refusal carries its text and the connection goes on after RSET") {
  SmtpScript script;
  script.answers[SmtpStage::rcpt] = {
      "550-5.1.1 The email account that you tried to reach does not exist.\n550-5.1.1 Please check the "
      "address\n550 5.1.1 and try again.",
      "250 2.1.5 ok"};
  script.reply(SmtpStage::rset, "250-2.0.0 flushed\n250 2.0.0 ok");
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());
  const Mailbox mailbox = mailbox_for(server);

  const SendOutcome refused = transport.send(mailbox, message_to("gone@example.net"));
  INFO(describe(refused));
  CHECK(refused.kind == Kind::permanent);
  CHECK(refused.code == 550);
  CHECK(refused.status == "5.1.1");
  CHECK(refused.address_does_not_exist());
  CHECK(mentions(refused.reason, "does not exist"));

  const SendOutcome accepted = transport.send(mailbox, message_to("bob@example.net"));
  INFO(describe(accepted));
  CHECK(accepted.kind == Kind::accepted);
  CHECK(server.log().messages().size() == 1);
  CHECK(server.log().connections() == 1);
}

TEST_CASE("two sends share one connection") {
  SmtpScriptServer server(SmtpScript{});
  SmtpTransport transport(quick_options());
  const Mailbox mailbox = mailbox_for(server);

  const SendOutcome first = transport.send(mailbox, message_to("bob@example.net"));
  const SendOutcome second = transport.send(mailbox, message_to("carol@example.net"));
  INFO(describe(first));
  INFO(describe(second));
  CHECK(first.kind == Kind::accepted);
  CHECK(second.kind == Kind::accepted);
  CHECK(server.log().messages().size() == 2);
  CHECK(server.log().connections() == 1);
  CHECK(transport.connections_opened() == 1);
  CHECK(server.log().count("EHLO") == 1);
}

TEST_CASE("the next send succeeds on a new connection when the server dropped the used one") {
  SmtpScript script;
  SUBCASE("it closes the connection after each message") {
    script.answers[SmtpStage::end_of_data] = {SmtpAnswer("250 2.0.0 ok", SmtpFault::close_after_reply)};
  }
  SUBCASE("it answers 421 to the next MAIL and closes") {
    script.answers[SmtpStage::mail] = {"250 2.1.0 ok", "421 4.4.2 idle too long, closing", "250 2.1.0 ok"};
  }
  SmtpScriptServer server(script);
  SmtpTransport transport(quick_options());
  const Mailbox mailbox = mailbox_for(server);

  const SendOutcome first = transport.send(mailbox, message_to("bob@example.net"));
  INFO(describe(first));
  CHECK(first.kind == Kind::accepted);

  const TimedOutcome second = timed_send(transport, mailbox, message_to("carol@example.net"));
  INFO(describe(second.outcome));
  CHECK(second.outcome.kind == Kind::accepted);
  CHECK(second.took < outcome_bound);
  CHECK(server.log().messages().size() == 2);
  CHECK(server.log().connections() == 2);
  CHECK(transport.connections_opened() == 2);
}

TEST_CASE("after a session could not be set up the mailbox's sends fail at once until retry_setup has passed") {
  SmtpScript script;
  script.answers[SmtpStage::greeting] = {"421 4.3.2 too busy right now", "220 mx.test ESMTP ready"};
  SmtpScriptServer server(script);
  SmtpOptions options = quick_options();
  options.timeouts.retry_setup = 1000ms;
  SmtpTransport transport(options);
  const Mailbox mailbox = mailbox_for(server);

  const SendOutcome refused = transport.send(mailbox, message_to("bob@example.net"));
  INFO(describe(refused));
  CHECK(refused.kind == Kind::temporary);
  CHECK(refused.code == 421);
  CHECK(server.log().connections() == 1);

  const SendOutcome at_once = transport.send(mailbox, message_to("carol@example.net"));
  INFO(describe(at_once));
  CHECK(at_once.kind == Kind::temporary);
  CHECK(mentions(at_once.reason, "too busy right now"));
  CHECK(server.log().connections() == 1);  // no new attempt

  std::this_thread::sleep_for(1200ms);
  const SendOutcome later = transport.send(mailbox, message_to("dave@example.net"));
  INFO(describe(later));
  CHECK(later.kind == Kind::accepted);
  CHECK(server.log().connections() == 2);
  CHECK(server.log().messages().size() == 1);
}

TEST_CASE("a connection idle for longer than the idle timeout is replaced") {
  SmtpScriptServer server(SmtpScript{});
  SmtpOptions options = quick_options();
  options.timeouts.idle = 200ms;
  SmtpTransport transport(options);
  const Mailbox mailbox = mailbox_for(server);

  const SendOutcome first = transport.send(mailbox, message_to("bob@example.net"));
  std::this_thread::sleep_for(500ms);
  const SendOutcome second = transport.send(mailbox, message_to("carol@example.net"));
  INFO(describe(first));
  INFO(describe(second));
  CHECK(first.kind == Kind::accepted);
  CHECK(second.kind == Kind::accepted);
  CHECK(server.log().messages().size() == 2);
  CHECK(transport.connections_opened() == 2);
  CHECK(server.log().connections() == 2);
}

TEST_CASE("AUTH uses the password from the environment and never shows it in the trace") {
  const std::string secret = "Tr0ub4dor&3-horse";
  const ScopedEnvironment password("OUTREACH_TEST_SMTP_PASSWORD", secret.c_str());
  SmtpScript script;
  script.capabilities.push_back("AUTH PLAIN LOGIN");
  SmtpScriptServer server(script);
  std::vector<std::string> trace;
  SmtpOptions options = quick_options();
  options.trace = [&trace](std::string_view line) { trace.emplace_back(line); };
  SmtpTransport transport(options);
  Mailbox mailbox = mailbox_for(server);
  mailbox.username = "alice";
  mailbox.password_env = "OUTREACH_TEST_SMTP_PASSWORD";
  std::string mechanism;
  SUBCASE("PLAIN") {
    mailbox.auth = SmtpAuth::plain;
    mechanism = "PLAIN";
  }
  SUBCASE("LOGIN") {
    mailbox.auth = SmtpAuth::login;
    mechanism = "LOGIN";
  }

  const SendOutcome outcome = transport.send(mailbox, message_to("bob@example.net"));
  INFO(describe(outcome));
  CHECK(outcome.kind == Kind::accepted);
  const auto attempts = server.log().auth_attempts();
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].mechanism == mechanism);
  CHECK(attempts[0].username == "alice");
  CHECK(attempts[0].secret == secret);
  CHECK(server.log().messages().size() == 1);

  INFO("trace:\n" << show_lines(trace));
  CHECK(std::any_of(trace.begin(), trace.end(), [](const std::string& line) { return line.starts_with("C: AUTH"); }));
  CHECK(std::any_of(trace.begin(), trace.end(), [](const std::string& line) { return mentions(line, "<redacted>"); }));
  check_never_contains(trace, leaked_forms("alice", secret));
  check_never_contains({outcome.reason}, leaked_forms("alice", secret));
}

TEST_CASE("a refused password is a temporary failure that never shows the password") {
  const std::string secret = "wrong-Pa55word";
  const ScopedEnvironment password("OUTREACH_TEST_SMTP_PASSWORD", secret.c_str());
  SmtpScript script;
  script.capabilities.push_back("AUTH PLAIN LOGIN");
  script.reply(SmtpStage::auth, "535 5.7.8 authentication credentials invalid");
  SmtpScriptServer server(script);
  std::vector<std::string> trace;
  SmtpOptions options = quick_options();
  options.trace = [&trace](std::string_view line) { trace.emplace_back(line); };
  SmtpTransport transport(options);
  Mailbox mailbox = mailbox_for(server);
  mailbox.username = "alice";
  mailbox.auth = SmtpAuth::plain;
  mailbox.password_env = "OUTREACH_TEST_SMTP_PASSWORD";

  const TimedOutcome sent = timed_send(transport, mailbox, message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::temporary);
  CHECK(sent.outcome.code == 535);
  CHECK(sent.outcome.status == "5.7.8");
  CHECK(mentions(sent.outcome.reason, "credentials invalid"));
  CHECK(sent.took < outcome_bound);
  CHECK(server.log().auth_attempts().size() >= 1);
  CHECK(server.log().count("MAIL") == 0);
  INFO("trace:\n" << show_lines(trace));
  CHECK_FALSE(trace.empty());
  check_never_contains(trace, leaked_forms("alice", secret));
  check_never_contains({sent.outcome.reason}, leaked_forms("alice", secret));
}

TEST_CASE("a refused XOAUTH2 token makes the provider refresh it and the new one works") {
  SmtpScript script;
  script.capabilities.push_back("AUTH PLAIN LOGIN XOAUTH2");
  script.answers[SmtpStage::auth] = {"535 5.7.8 Username and Password not accepted", "235 2.7.0 Accepted"};
  SmtpScriptServer server(script);
  const std::string user = "alice@acme.example";
  const std::string expired = "ya29.expired-token-1";
  const std::string fresh = "ya29.fresh-token-2";
  std::vector<bool> refreshes;
  std::vector<SmtpAuth> mechanisms;
  std::vector<std::string> trace;
  SmtpOptions options = quick_options();
  options.trace = [&trace](std::string_view line) { trace.emplace_back(line); };
  options.credentials = [&](const Mailbox&, SmtpAuth mechanism, bool refresh) -> expected<SmtpCredentials> {
    mechanisms.push_back(mechanism);
    refreshes.push_back(refresh);
    return SmtpCredentials{user, refresh ? fresh : expired};
  };
  SmtpTransport transport(options);
  Mailbox mailbox = mailbox_for(server);
  mailbox.username = user;
  mailbox.auth = SmtpAuth::xoauth2;

  const TimedOutcome sent = timed_send(transport, mailbox, message_to("bob@example.net"));
  INFO(describe(sent.outcome));
  CHECK(sent.outcome.kind == Kind::accepted);
  CHECK(sent.took < outcome_bound);
  CHECK(refreshes == std::vector<bool>{false, true});
  CHECK(std::all_of(mechanisms.begin(), mechanisms.end(), [](SmtpAuth m) { return m == SmtpAuth::xoauth2; }));
  const auto attempts = server.log().auth_attempts();
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].mechanism == "XOAUTH2");
  CHECK(attempts[0].username == user);
  CHECK(attempts[0].secret == expired);
  CHECK(attempts[1].secret == fresh);
  CHECK(server.log().messages().size() == 1);
  INFO("trace:\n" << show_lines(trace));
  CHECK_FALSE(trace.empty());
  check_never_contains(trace, leaked_forms(user, expired));
  check_never_contains(trace, leaked_forms(user, fresh));
}

TEST_CASE("the engine goes on with its other mailboxes when one mailbox's server fails") {
  SmtpScriptServer good(SmtpScript{});
  SmtpScript failing;
  SUBCASE("421 at the greeting") { failing.reply(SmtpStage::greeting, "421 4.3.2 service not available"); }
  SUBCASE("a server that stalls") { failing.fault(SmtpStage::greeting, SmtpFault::stall); }
  SmtpScriptServer bad(failing);

  const std::string mailboxes =
      R"([{"id":"good","from":"Good <good@acme.example>","daily_limit":100,"security":"none","transport":")" +
      good.url() + R"("},{"id":"bad","from":"Bad <bad@acme.example>","daily_limit":100,"security":"none","transport":")" +
      bad.url() + R"("}])";
  const std::string json =
      R"({"name":"smtp-faults","sequence":{"steps":[{"variants":[{"subject":"Hi {{first_name}}","text":"Hello {{first_name}}"}]}]},)"
      R"("leads":[{"email":"lead0@example.net","first_name":"Ann"},{"email":"lead1@example.net","first_name":"Ben"},)"
      R"({"email":"lead2@example.net","first_name":"Cy"}],)"
      R"("schedule":{"timezone":"UTC","start":"2026-12-01"},"mailboxes":)" +
      mailboxes + "}";
  auto campaign = CampaignDefinition::from_json(json);
  REQUIRE_MESSAGE(campaign.has_value(), (campaign ? "" : campaign.error().to_string()));

  MemoryStore store;
  SmtpOptions options = quick_options();
  options.timeouts.command = 250ms;  // each attempt on a stalled server costs this, maybe twice
  MailboxTransport transport(options);
  ManualClock clock{*parse_instant("2026-12-01T00:00:00Z")};
  Engine engine{store, transport, clock};
  REQUIRE(engine.add_campaign(std::move(*campaign)));
  REQUIRE(engine.start("smtp-faults"));
  const auto start = std::chrono::steady_clock::now();
  engine.simulate(clock);
  const auto took = std::chrono::steady_clock::now() - start;

  std::size_t sent = 0;
  std::size_t deferred = 0;
  for (const Event& event : store.events()) {
    if (event.type == EventType::sent) {
      ++sent;
      CHECK_MESSAGE(event.mailbox == "good", event.lead);
    } else if (event.type == EventType::deferred) {
      ++deferred;
      CHECK_MESSAGE(event.mailbox == "bad", event.lead << ": " << event.reason);
    }
  }
  CHECK(sent >= 1);
  CHECK(deferred >= 1);
  CHECK(good.log().messages().size() == sent);
  CHECK(bad.log().connections() >= 1);
  CHECK(engine.summary().campaigns.at(0).status == "finished");
  INFO("connections to the failing server: " << bad.log().connections());
  CHECK(took < 30s);  // every attempt on the failing server ended at its deadline
}

TEST_CASE("the scripted server stops at once while a client holds a connection without a word") {
  SmtpScript script;
  SUBCASE("after the greeting") {}
  SUBCASE("while the server stalls") { script.fault(SmtpStage::greeting, SmtpFault::stall); }
  SUBCASE("before the TLS handshake") { script = tls_script(SmtpTls::implicit, test_certificates().server); }
  std::optional<SmtpScriptServer> server(std::in_place, script);
  const int client = connect_silently(server->port());
  for (int i = 0; i < 100 && server->log().connections() == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(server->log().connections() == 1);

  const auto start = std::chrono::steady_clock::now();
  server.reset();
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  ::close(client);
}

TEST_SUITE_END();
