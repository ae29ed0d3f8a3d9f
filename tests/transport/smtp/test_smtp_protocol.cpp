// The SMTP protocol without I/O: replies, capabilities, the bytes the client writes, and what a
// reply means for a send. The client against real servers is in test_smtp_faults.cpp and the
// Python tests.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "transport/smtp/smtp_protocol.hpp"
#include "transport/smtp/smtp_session.hpp"

using namespace outreach;
using namespace outreach::detail;

namespace {

SmtpReply reply_of(std::string_view text) {
  SmtpReply reply;
  std::size_t consumed = 0;
  std::string error;
  REQUIRE_MESSAGE(parse_reply(text, reply, consumed, error) == ReplyParse::complete, error);
  CHECK(consumed == text.size());
  return reply;
}

std::string stuffed(std::string_view data) {
  std::string out;
  append_dot_stuffed(out, data);
  return out;
}

}  // namespace

TEST_SUITE("smtp.protocol") {

TEST_CASE("a reply of one or several lines, with its enhanced status code") {
  const SmtpReply single = reply_of("250 2.1.0 Ok\r\n");
  CHECK(single.code == 250);
  CHECK(single.status == "2.1.0");
  CHECK(single.text() == "Ok");

  const SmtpReply multi = reply_of("550-5.1.1 The email account that you tried to reach does not exist.\r\n"
                                   "550-5.1.1 Please try double-checking the recipient's email\r\n"
                                   "550 5.1.1 address for typos. x1-20020a gsmtp\r\n");
  CHECK(multi.code == 550);
  CHECK(multi.status == "5.1.1");
  CHECK(multi.lines.size() == 3);
  CHECK(multi.text() ==
        "The email account that you tried to reach does not exist. Please try double-checking the recipient's email "
        "address for typos. x1-20020a gsmtp");

  CHECK(reply_of("354\r\n").code == 354);
  CHECK(reply_of("250 Ok\n").text() == "Ok");  // a bare LF is read too
  CHECK(reply_of("450 4.2.0\r\n").status == "4.2.0");
  // A status whose class is not the reply's is text, not a status.
  CHECK(reply_of("250 5.1.1 odd\r\n").status.empty());
  CHECK(reply_of("250 2.1 short\r\n").status.empty());
}

TEST_CASE("replies are read one at a time from a pipelined stream, and a partial one waits") {
  const std::string stream = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n250-par";
  SmtpReply reply;
  std::size_t consumed = 0;
  std::string error;
  std::string_view rest = stream;
  for (const int code : {250, 250, 354}) {
    REQUIRE(parse_reply(rest, reply, consumed, error) == ReplyParse::complete);
    CHECK(reply.code == code);
    rest.remove_prefix(consumed);
  }
  CHECK(parse_reply(rest, reply, consumed, error) == ReplyParse::incomplete);
  CHECK(parse_reply("", reply, consumed, error) == ReplyParse::incomplete);
}

TEST_CASE("malformed replies are errors that say why") {
  SmtpReply reply;
  std::size_t consumed = 0;
  std::string error;
  for (const std::string_view bad : {"hello\r\n", "25\r\n", "2500 x\r\n", "650 x\r\n", "150 x\r\n", "250_x\r\n",
                                     "250-a\r\n251 b\r\n"}) {
    CAPTURE(bad);
    CHECK(parse_reply(bad, reply, consumed, error) == ReplyParse::malformed);
    CHECK_FALSE(error.empty());
  }
  CHECK(parse_reply(std::string(max_reply_line + 10, '2'), reply, consumed, error) == ReplyParse::malformed);
  std::string endless;
  for (std::size_t i = 0; i <= max_reply_lines; ++i) endless += "250-x\r\n";
  CHECK(parse_reply(endless, reply, consumed, error) == ReplyParse::malformed);
}

TEST_CASE("hostile bytes never crash the reply reader, and a complete reply never reads past its input") {
  std::mt19937 random(7);
  const std::string alphabet = "0123456789 -.\r\n25xyz\x80\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    const std::size_t length = random() % 64;
    for (std::size_t i = 0; i < length; ++i) input += alphabet[random() % alphabet.size()];
    SmtpReply reply;
    std::size_t consumed = 0;
    std::string error;
    if (parse_reply(input, reply, consumed, error) == ReplyParse::complete) {
      CHECK(consumed <= input.size());
      CHECK(reply.code >= 200);
      CHECK(reply.code <= 599);
      for (const char c : reply.text()) CHECK((c >= 0x20 && c < 0x7f));
    }
  }
}

TEST_CASE("server text is made safe for events: printable ASCII, bounded") {
  const SmtpReply reply = reply_of("550 5.7.1 bad \x01\x80 bytes\r\n");
  CHECK(reply.text() == "bad ?? bytes");
  const SmtpReply longer = reply_of("550 " + std::string(1000, 'a') + "\r\n");
  CHECK(longer.text().size() < 310);
}

// Found by fuzz_smtp_reply: a line starting right at the limit went one character past it, the
// space before it counted without a check.
TEST_CASE("a reply's text stops at 300 characters, and a line that starts at the limit adds nothing") {
  const std::string a299(299, 'a');
  const std::string a250(250, 'a');
  const std::string b250(250, 'b');
  const std::string b49(49, 'b');
  const std::string a300(300, 'a');
  CHECK(reply_of("250-" + a299 + "\r\n250 bcd\r\n").text() == a299 + " ...");
  CHECK(reply_of("250-" + a250 + "\r\n250 " + b250 + "\r\n").text() == a250 + " " + b49 + "...");
  CHECK(reply_of("250 " + a300 + "\r\n").text() == a300);
}

TEST_CASE("EHLO capabilities") {
  const SmtpCapabilities caps = parse_capabilities(reply_of("250-mx.example.com at your service\r\n"
                                                            "250-SIZE 35882577\r\n"
                                                            "250-8BITMIME\r\n"
                                                            "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN\r\n"
                                                            "250-ENHANCEDSTATUSCODES\r\n"
                                                            "250-PIPELINING\r\n"
                                                            "250-STARTTLS\r\n"
                                                            "250 SMTPUTF8\r\n"));
  CHECK(caps.size);
  CHECK(caps.size_limit == 35882577);
  CHECK(caps.eight_bit_mime);
  CHECK(caps.auth_login);
  CHECK(caps.auth_plain);
  CHECK(caps.auth_xoauth2);
  CHECK(caps.enhanced_status);
  CHECK(caps.pipelining);
  CHECK(caps.starttls);
  CHECK(caps.smtputf8);

  const SmtpCapabilities old = parse_capabilities(reply_of("250-host\r\n250-AUTH=LOGIN\r\n250 size\r\n"));
  CHECK(old.auth_login);
  CHECK_FALSE(old.auth_plain);
  CHECK(old.size);
  CHECK(old.size_limit == 0);

  const SmtpCapabilities bare = parse_capabilities(reply_of("250 host\r\n"));
  CHECK_FALSE(bare.pipelining);
  CHECK_FALSE(bare.starttls);
  CHECK_FALSE(bare.size);
  // The greeting line is the server's name, never a capability.
  CHECK_FALSE(parse_capabilities(reply_of("250 PIPELINING\r\n")).pipelining);
}

TEST_CASE("outcomes: 4xx, 5.2.2, 552 to RCPT and sender-side failures are temporary, other 5xx permanent") {
  struct Case {
    const char* reply;
    SmtpStage stage;
    SendOutcome::Kind kind;
    bool does_not_exist;
    bool sender_side;  // counts toward disabling the mailbox
  };
  const Case cases[] = {
      {"450 4.2.1 try later\r\n", SmtpStage::rcpt, SendOutcome::Kind::temporary, false, false},
      {"451 4.3.0 local error\r\n", SmtpStage::message, SendOutcome::Kind::temporary, false, true},
      {"452 4.5.3 too many recipients\r\n", SmtpStage::rcpt, SendOutcome::Kind::temporary, false, false},
      {"421 4.7.0 closing\r\n", SmtpStage::mail, SendOutcome::Kind::temporary, false, true},
      {"421 4.3.2 shutting down\r\n", SmtpStage::rcpt, SendOutcome::Kind::temporary, false, true},
      {"550 5.1.1 no such user\r\n", SmtpStage::rcpt, SendOutcome::Kind::permanent, true, false},
      // The mailbox's own server refusing the message: its policy, every message alike.
      {"550 5.7.1 rejected as spam\r\n", SmtpStage::message, SendOutcome::Kind::permanent, false, true},
      {"550 5.4.5 daily sending quota exceeded\r\n", SmtpStage::message, SendOutcome::Kind::permanent, false, true},
      {"554 transaction failed\r\n", SmtpStage::message, SendOutcome::Kind::permanent, false, true},
      {"552 5.2.2 mailbox full\r\n", SmtpStage::message, SendOutcome::Kind::temporary, false, false},
      {"552 5.3.4 message too big\r\n", SmtpStage::message, SendOutcome::Kind::permanent, false, false},
      {"554 5.6.0 content refused\r\n", SmtpStage::message, SendOutcome::Kind::permanent, false, false},
      {"550 5.1.1 no such user, after data\r\n", SmtpStage::message, SendOutcome::Kind::permanent, true, false},
      {"552 too much mail\r\n", SmtpStage::rcpt, SendOutcome::Kind::temporary, false, false},
      {"554 5.7.1 relay denied\r\n", SmtpStage::rcpt, SendOutcome::Kind::permanent, false, false},
      {"554 no service\r\n", SmtpStage::greeting, SendOutcome::Kind::temporary, false, true},
      {"535 5.7.8 bad credentials\r\n", SmtpStage::auth, SendOutcome::Kind::temporary, false, true},
      {"553 5.1.3 bad recipient address syntax\r\n", SmtpStage::rcpt, SendOutcome::Kind::permanent, true, false},
      // A refused sender says nothing about the lead: never a hard bounce.
      {"553 5.1.7 bad sender address syntax\r\n", SmtpStage::mail, SendOutcome::Kind::temporary, false, true},
      {"550 5.7.1 sender rejected\r\n", SmtpStage::mail, SendOutcome::Kind::temporary, false, true},
      {"552 5.3.4 message size exceeds fixed limit\r\n", SmtpStage::mail, SendOutcome::Kind::permanent, false, false},
  };
  for (const Case& each : cases) {
    CAPTURE(each.reply);
    const SendOutcome outcome = failure_outcome(reply_of(each.reply), each.stage);
    CHECK(outcome.kind == each.kind);
    CHECK(outcome.address_does_not_exist() == each.does_not_exist);
    CHECK(outcome.sender_side == each.sender_side);
    CHECK(outcome.code == reply_of(each.reply).code);
    CHECK(outcome.reason.find(std::string(stage_name(each.stage))) == 0);
    CHECK_FALSE(outcome.maybe_delivered);
  }
  CHECK(failure_outcome(reply_of("550 5.1.1 x\r\n"), SmtpStage::rcpt).reason == "RCPT TO: 550 5.1.1 x");
  // A network fault is the mailbox's side: its server, the network or its own settings.
  CHECK(fault_outcome("network error during DATA").sender_side);
}

TEST_CASE("the queue id of an accepted message") {
  CHECK(accepted_outcome(reply_of("250 2.0.0 Ok: queued as 4XyZ1r2mQ\r\n")).queue_id == "4XyZ1r2mQ");
  CHECK(accepted_outcome(reply_of("250 OK id=1rB2cD-000aBc-Ef\r\n")).queue_id == "1rB2cD-000aBc-Ef");
  CHECK(accepted_outcome(reply_of("250 Message accepted for delivery\r\n")).queue_id.empty());
  const SendOutcome accepted = accepted_outcome(reply_of("250 2.0.0 Ok\r\n"));
  CHECK(accepted.kind == SendOutcome::Kind::accepted);
  CHECK(accepted.code == 250);
  CHECK(accepted.status == "2.0.0");
}

TEST_CASE("dot-stuffing, CRLF only, and the end of the data") {
  CHECK(stuffed("a\r\nb\r\n") == "a\r\nb\r\n.\r\n");
  CHECK(stuffed(".start\r\n.\r\nmid.dle\r\n..two\r\n") == "..start\r\n..\r\nmid.dle\r\n...two\r\n.\r\n");
  CHECK(stuffed("no end") == "no end\r\n.\r\n");
  CHECK(stuffed("bare\nlf\rcr\r\n.x") == "bare\r\nlf\r\ncr\r\n..x\r\n.\r\n");
  CHECK(stuffed("") == ".\r\n");
  // Nothing the data holds can end it early: after stuffing, "\r\n.\r\n" appears only at the end.
  std::mt19937 random(11);
  const std::string alphabet = ".\r\nab";
  for (int round = 0; round < 5000; ++round) {
    std::string data;
    const std::size_t length = random() % 40;
    for (std::size_t i = 0; i < length; ++i) data += alphabet[random() % alphabet.size()];
    const std::string wire = "\r\n" + stuffed(data);
    CHECK(wire.find("\r\n.\r\n") == wire.size() - 5);
    for (std::size_t i = 0; i < wire.size(); ++i) {
      if (wire[i] == '\n') CHECK(wire[i - 1] == '\r');
      if (wire[i] == '\r') CHECK(wire[i + 1] == '\n');
    }
  }
}

TEST_CASE("MAIL FROM carries SIZE, BODY=8BITMIME and SMTPUTF8 only as the server and message call for") {
  SmtpCapabilities server;
  std::string out;
  append_mail_from(out, "a@b.example", 1234, false, false, server);
  CHECK(out == "MAIL FROM:<a@b.example>\r\n");
  server.size = true;
  server.eight_bit_mime = true;
  out.clear();
  append_mail_from(out, "a@b.example", 1234, true, true, server);
  CHECK(out == "MAIL FROM:<a@b.example> SIZE=1234 BODY=8BITMIME SMTPUTF8\r\n");
  out.clear();
  append_rcpt_to(out, "c@d.example");
  CHECK(out == "RCPT TO:<c@d.example>\r\n");
}

TEST_CASE("the endpoint of a mailbox's transport") {
  Mailbox mailbox;
  mailbox.id = "m";
  mailbox.transport = "smtp://mail.example.com";
  auto endpoint = smtp_endpoint(mailbox);
  REQUIRE(endpoint);
  CHECK(endpoint->host == "mail.example.com");
  CHECK(endpoint->port == "587");
  CHECK(endpoint->security == Security::starttls);
  CHECK_FALSE(endpoint->loopback);

  mailbox.transport = "smtps://mail.example.com";
  mailbox.security = Security::starttls;
  CHECK(smtp_endpoint(mailbox)->port == "465");
  CHECK(smtp_endpoint(mailbox)->security == Security::tls);

  mailbox.transport = "smtp://[::1]:2525";
  mailbox.security = Security::none;
  endpoint = smtp_endpoint(mailbox);
  REQUIRE(endpoint);
  CHECK(endpoint->host == "::1");
  CHECK(endpoint->port == "2525");
  CHECK(endpoint->loopback);
  mailbox.transport = "smtp://127.0.0.1:25";
  CHECK(smtp_endpoint(mailbox)->loopback);
  mailbox.transport = "smtp://localhost:25";
  CHECK(smtp_endpoint(mailbox)->loopback);

  mailbox.transport = "outbox:out";
  CHECK_FALSE(smtp_endpoint(mailbox));
}

}  // TEST_SUITE
