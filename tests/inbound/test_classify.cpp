// Classifying received mail: complaints, bounces (RFC 3464 and the text forms of the major mail
// systems), auto-replies with their return dates, unsubscribe requests, replies, and the rest.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "inbound/bounce_status.hpp"
#include "inbound/classify_new_text.hpp"
#include "inbound/classify_text.hpp"
#include "inbound/return_date.hpp"
#include "outreach/classify.hpp"
#include "outreach/mime.hpp"

using namespace std::chrono_literals;
using outreach::Classification;
using outreach::ClassifyContext;
using outreach::InboundClass;

namespace {

Classification classified(std::string_view raw, const ClassifyContext& context = {}) {
  auto message = outreach::parse_message(raw);
  REQUIRE(message.has_value());
  return outreach::classify(*message, context);
}

std::string evidence_of(const Classification& result) {
  std::string out;
  for (const std::string& line : result.evidence) out += line + " | ";
  return out;
}

bool has_evidence(const Classification& result, std::string_view part) {
  return evidence_of(result).find(part) != std::string::npos;
}

std::chrono::year_month_day day(int y, unsigned m, unsigned d) {
  return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

// The message of ours that reports enclose.
constexpr std::string_view our_message =
    "From: Alice <alice@acme.example>\n"
    "To: Bob <bob@lead.example>\n"
    "Subject: Quick question about Lead Inc\n"
    "Message-ID: <step1.lead42@acme.example>\n"
    "List-Unsubscribe: <mailto:unsubscribe@acme.example>\n"
    "\n"
    "Hi Bob, ...\n"
    "To unsubscribe, reply with unsubscribe.\n";

// An RFC 3464 report with one human-readable part, the status part and the returned message.
std::string delivery_report(std::string_view status_fields, std::string_view extra_headers = "") {
  std::string raw =
      "From: Mail Delivery System <MAILER-DAEMON@mx.lead.example>\n"
      "To: alice@acme.example\n"
      "Subject: Undelivered Mail Returned to Sender\n"
      "Date: Mon, 30 Nov 2026 10:00:00 +0000\n"
      "Auto-Submitted: auto-replied\n";
  raw += extra_headers;
  raw +=
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
      "\n"
      "--B\n"
      "Content-Type: text/plain\n"
      "\n"
      "This is the mail system at host mx.lead.example.\n"
      "\n"
      "--B\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; mx.lead.example\n"
      "Arrival-Date: Mon, 30 Nov 2026 09:59:58 +0000\n"
      "\n";
  raw += status_fields;
  raw +=
      "\n"
      "--B\n"
      "Content-Type: message/rfc822\n"
      "\n";
  raw += our_message;
  raw += "\n--B--\n";
  return raw;
}

// A text report as a mail system sends it: from MAILER-DAEMON, with the given subject and text.
std::string text_bounce(std::string_view subject, std::string_view text,
                        std::string_view from = "MAILER-DAEMON@mx.lead.example") {
  std::string raw = "From: ";
  raw += from;
  raw += "\nTo: alice@acme.example\nSubject: ";
  raw += subject;
  raw += "\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n\n";
  raw += text;
  return raw;
}

// A message answering ours, dated Monday 30 November 2026.
std::string answer(std::string_view subject, std::string_view body, std::string_view extra_headers = "") {
  std::string raw =
      "From: Bob <bob@lead.example>\n"
      "To: Alice <alice@acme.example>\n"
      "Date: Mon, 30 Nov 2026 10:00:00 +0100\n"
      "Message-ID: <answer1@lead.example>\n"
      "In-Reply-To: <step1.lead42@acme.example>\n"
      "References: <step1.lead42@acme.example>\n"
      "Subject: ";
  raw += subject;
  raw += "\n";
  raw += extra_headers;
  raw += "\n";
  raw += body;
  return raw;
}

constexpr std::string_view quoted_history =
    "\n\nOn Mon, Nov 30, 2026 at 9:00 AM Alice <alice@acme.example> wrote:\n"
    "> Hi Bob, ...\n"
    "> To unsubscribe, reply with unsubscribe.\n";

}  // namespace

TEST_SUITE("classify") {

TEST_CASE("classify: the sender is read from the From field's address, not from what its name decodes to") {
  const Classification result = classified(
      "From: =?utf-8?q?bob=40lead.example=2C?= <mallory@elsewhere.example>\r\n"
      "To: ana@outreach.example\r\n"
      "Subject: Re: hello\r\n"
      "In-Reply-To: <seq-1-step-1@outreach.example>\r\n"
      "\r\n"
      "Sounds good.\r\n");
  CHECK(result.type == InboundClass::reply);
  CHECK(result.from == "mallory@elsewhere.example");
}

TEST_CASE("classify: the class names are the format's") {
  CHECK(outreach::to_string(InboundClass::reply) == "reply");
  CHECK(outreach::to_string(InboundClass::auto_reply) == "auto_reply");
  CHECK(outreach::to_string(InboundClass::bounce) == "bounce");
  CHECK(outreach::to_string(InboundClass::unsubscribe) == "unsubscribe");
  CHECK(outreach::to_string(InboundClass::complaint) == "complaint");
  CHECK(outreach::to_string(InboundClass::unknown) == "unknown");
}

// ---- complaints --------------------------------------------------------------------------------

TEST_CASE("classify: an ARF feedback report of abuse is a complaint about the enclosed message") {
  const std::string raw = std::string(
                              "From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>\n"
                              "To: fbl@acme.example\n"
                              "Subject: FW: Quick question about Lead Inc\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\n"
                              "\n"
                              "--F\n"
                              "Content-Type: text/plain\n"
                              "\n"
                              "This is an email abuse report for an email message received from IP 192.0.2.1.\n"
                              "\n"
                              "--F\n"
                              "Content-Type: message/feedback-report\n"
                              "\n"
                              "Feedback-Type: abuse\n"
                              "User-Agent: Yahoo!-Mail-Feedback/2.0\n"
                              "Version: 1\n"
                              "Original-Mail-From: <alice@acme.example>\n"
                              "Original-Rcpt-To: <bob@lead.example>\n"
                              "Arrival-Date: Mon, 30 Nov 2026 09:00:00 +0000\n"
                              "\n"
                              "--F\n"
                              "Content-Type: message/rfc822\n"
                              "\n") +
                          std::string(our_message) + "\n--F--\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::complaint);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
  CHECK(result.from == "feedback@arf.mail.yahoo.com");
  CHECK(has_evidence(result, "report-type=feedback-report"));
  CHECK(has_evidence(result, "Feedback-Type: abuse"));
}

TEST_CASE("classify: a feedback report with only the enclosed header names its To as the recipient") {
  const std::string raw =
      "From: staff@hotmail.example\n"
      "Subject: complaint\n"
      "Content-Type: multipart/report; report-type=feedback-report; boundary=F\n"
      "\n"
      "--F\n"
      "Content-Type: message/feedback-report\n"
      "\n"
      "Feedback-Type: fraud\n"
      "\n"
      "--F\n"
      "Content-Type: text/rfc822-headers\n"
      "\n"
      "From: alice@acme.example\n"
      "To: <carol@lead.example>\n"
      "Message-ID: <step2.lead7@acme.example>\n"
      "\n"
      "--F--\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::complaint);
  CHECK(result.recipient == "carol@lead.example");
  CHECK(result.original_message_id == "<step2.lead7@acme.example>");
}

TEST_CASE("classify: a not-spam feedback report is no complaint") {
  const std::string raw =
      "From: fbl@isp.example\n"
      "Content-Type: multipart/report; report-type=feedback-report; boundary=F\n"
      "\n"
      "--F\n"
      "Content-Type: message/feedback-report\n"
      "\n"
      "Feedback-Type: not-spam\n"
      "\n"
      "--F--\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::unknown);
  CHECK(has_evidence(result, "Feedback-Type: not-spam"));
}

TEST_CASE("classify: Hotmail's JMRP form names the complaining recipient in the enclosed message") {
  const std::string raw = std::string(
                              "From: staff@hotmail.com\n"
                              "To: fbl@acme.example\n"
                              "Subject: complaint about message from 192.0.2.1\n"
                              "Content-Type: multipart/mixed; boundary=J\n"
                              "\n"
                              "--J\n"
                              "Content-Type: text/plain\n"
                              "\n"
                              "This is a complaint.\n"
                              "--J\n"
                              "Content-Type: message/rfc822\n"
                              "\n"
                              "X-HmXmrOriginalRecipient: <dave@hotmail.com>\n") +
                          std::string(our_message) + "\n--J--\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::complaint);
  CHECK(result.recipient == "dave@hotmail.com");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
}

// ---- RFC 3464 bounces --------------------------------------------------------------------------

TEST_CASE("classify: a delivery status report with Action failed and 5.1.1 is a hard bounce") {
  const Classification result = classified(delivery_report(
      "Final-Recipient: rfc822; robert@mail.lead.example\n"
      "Original-Recipient: rfc822;bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Remote-MTA: dns; mail.lead.example\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <robert@mail.lead.example>: Recipient address rejected: User unknown\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.status == "5.1.1");
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.diagnostic == "550 5.1.1 <robert@mail.lead.example>: Recipient address rejected: User unknown");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
  CHECK(result.from == "MAILER-DAEMON@mx.lead.example");
  CHECK(has_evidence(result, "Content-Type: multipart/report; report-type=delivery-status"));
  CHECK(has_evidence(result, "Status: 5.1.1"));
  CHECK(has_evidence(result, "Action: failed"));
}

TEST_CASE("classify: a delayed delivery is a soft bounce") {
  const Classification result = classified(delivery_report(
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: delayed\n"
      "Status: 4.4.7\n"
      "Will-Retry-Until: Fri, 4 Dec 2026 10:00:00 +0000\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK_FALSE(result.hard);
  CHECK(result.status == "4.4.7");
  CHECK(result.recipient == "bob@lead.example");
}

TEST_CASE("classify: a report of deliveries only is no bounce") {
  const Classification result = classified(delivery_report(
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: delivered\n"
      "Status: 2.0.0\n"
      "\n"
      "Final-Recipient: rfc822; carol@lead.example\n"
      "Action: relayed\n"
      "Status: 2.0.0\n"));
  CHECK(result.type == InboundClass::unknown);
  CHECK(has_evidence(result, "delivered, relayed"));
}

TEST_CASE("classify: of several recipients, the one that failed is the bounce") {
  const Classification result = classified(delivery_report(
      "Final-Recipient: rfc822; carol@lead.example\n"
      "Action: delivered\n"
      "Status: 2.0.0\n"
      "\n"
      "Final-Recipient: rfc822; dan@lead.example\n"
      "Action: delayed\n"
      "Status: 4.2.0\n"
      "\n"
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.2.1\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "5.2.1");
  CHECK(result.hard);
}

TEST_CASE("classify: a generic 5.0.0 Status gives way to the specific code of the diagnostic") {
  const Classification result = classified(delivery_report(
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"));
  CHECK(result.status == "5.2.2");
  CHECK_FALSE(result.hard);
}

TEST_CASE("classify: without Status, the diagnostic's basic code and words decide") {
  SUBCASE("552 is storage exceeded: soft") {
    const Classification result = classified(delivery_report(
        "Final-Recipient: rfc822; bob@lead.example\n"
        "Action: failed\n"
        "Diagnostic-Code: smtp; 552 Requested mail action aborted: exceeded storage allocation\n"));
    CHECK(result.type == InboundClass::bounce);
    CHECK(result.status.empty());
    CHECK_FALSE(result.hard);
  }
  SUBCASE("550 with user-unknown words: hard") {
    const Classification result = classified(delivery_report(
        "Final-Recipient: rfc822; bob@lead.example\n"
        "Action: failed\n"
        "Diagnostic-Code: smtp; 550 No such user here\n"));
    CHECK(result.hard);
  }
  SUBCASE("no Action: the Status class says it failed") {
    const Classification result = classified(delivery_report(
        "Final-Recipient: rfc822; bob@lead.example\n"
        "Status: 5.1.2\n"));
    CHECK(result.type == InboundClass::bounce);
    CHECK(result.hard);
  }
}

TEST_CASE("classify: a message blocked as spam is a soft bounce, a 5.7.1 that names an unknown user is hard") {
  const Classification blocked = classified(delivery_report(
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.7.1\n"
      "Diagnostic-Code: smtp; 554 5.7.1 Message rejected as spam by Content Filtering\n"));
  CHECK(blocked.type == InboundClass::bounce);
  CHECK_FALSE(blocked.hard);
  const Classification unknown_user = classified(delivery_report(
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.7.1\n"
      "Diagnostic-Code: smtp; 550 5.7.1 <bob@lead.example>: Recipient address rejected: user unknown\n"));
  CHECK(unknown_user.hard);
}

TEST_CASE("classify: a report enclosing only the header still names the original Message-ID") {
  const std::string raw =
      "From: postmaster@lead.example\n"
      "Subject: Delivery Status Notification (Failure)\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n"
      "\n"
      "--B\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; mx.lead.example\n"
      "\n"
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "\n"
      "--B\n"
      "Content-Type: text/rfc822-headers\n"
      "\n"
      "From: alice@acme.example\n"
      "Message-ID:\n"
      " <step3.lead9@acme.example>\n"
      "\n"
      "--B--\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.original_message_id == "<step3.lead9@acme.example>");
}

TEST_CASE("classify: a report without the original names it in X-Original-Message-ID") {
  const std::string raw =
      "From: MAILER-DAEMON@relay.example\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n"
      "\n"
      "--B\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; relay.example\n"
      "X-Original-Message-ID: <step1.lead42@acme.example>\n"
      "\n"
      "Final-Recipient: rfc822; bob@lead.example\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "--B--\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
  CHECK(has_evidence(result, "X-Original-Message-ID: <step1.lead42@acme.example>"));
}

TEST_CASE("classify: an auto-submitted report is still a bounce, not an auto-reply") {
  const Classification result = classified(delivery_report(
      "Final-Recipient: rfc822; bob@lead.example\nAction: failed\nStatus: 5.1.1\n", "X-Autoreply: yes\n"));
  CHECK(result.type == InboundClass::bounce);
}

TEST_CASE("classify: the hard and soft table of enhanced status codes") {
  using outreach::detail::bounce_kind;
  struct Case {
    std::string_view status;
    int code;
    std::string_view words;
    bool hard;
  };
  const Case cases[]{
      {"5.1.1", 550, "user unknown", true},       {"5.1.2", 0, "", true},
      {"5.1.10", 0, "null mx", true},             {"5.1.7", 0, "bad sender address", false},
      {"5.2.1", 0, "mailbox disabled", true},     {"5.2.2", 552, "mailbox full", false},
      {"5.2.3", 0, "", false},                    {"5.3.4", 552, "message too big", false},
      {"5.4.4", 0, "unrouteable address", true},  {"5.4.7", 0, "delivery time expired", false},
      {"5.4.1", 550, "recipient address rejected: access denied", true},
      {"5.5.0", 550, "requested action not taken: mailbox unavailable", true},
      {"5.5.2", 500, "syntax error", false},      {"5.6.0", 0, "", false},
      {"5.7.1", 554, "blocked using spamhaus", false}, {"5.7.26", 550, "unauthenticated email dmarc", false},
      {"5.7.13", 0, "", true},                    {"5.0.0", 550, "", true},
      {"5.0.0", 550, "mailbox is full", false},   {"4.2.2", 452, "mailbox full", false},
      {"4.7.0", 421, "try again later", false},   {"", 551, "", true},
      {"", 554, "", true},                        {"", 554, "blocked", false},
      {"", 503, "bad sequence of commands", false}, {"", 450, "user unknown", false},
      {"", 0, "", true},                          {"", 0, "over quota", false},
  };
  for (const Case& c : cases) {
    INFO(c.status, " ", c.code, " ", c.words);
    CHECK(bounce_kind(c.status, c.code, c.words).hard == c.hard);
  }
}

TEST_CASE("classify: status codes are found in text, not in IP addresses or versions") {
  using outreach::detail::find_reply_code;
  using outreach::detail::find_status_code;
  CHECK(find_status_code("host 192.5.1.1 said: 550 5.1.1 unknown")->code == "5.1.1");
  CHECK(find_status_code("#550 5.1.1 RESOLVER.ADR.RecipNotFound")->code == "5.1.1");
  CHECK(find_status_code("550-5.7.26 unauthenticated")->code == "5.7.26");
  CHECK_FALSE(find_status_code("Postfix 3.7.11 and 10.5.1.1"));
  CHECK_FALSE(find_status_code("version 5.1.1b"));
  CHECK(find_reply_code("Remote host said: 550 5.1.1 ...")->value == 550);
  CHECK(find_reply_code("#550 5.1.1")->value == 550);
  CHECK(find_reply_code("(reason: 552 5.2.2 full)")->value == 552);
  CHECK_FALSE(find_reply_code("order 5500 items, 4501 left, room 550a"));
}

// ---- text bounces ------------------------------------------------------------------------------

TEST_CASE("classify: a qmail bounce") {
  const Classification result = classified(text_bounce(
      "failure notice",
      "Hi. This is the qmail-send program at mx.lead.example.\n"
      "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
      "This is a permanent error; I've given up. Sorry it didn't work out.\n"
      "\n"
      "<bob@lead.example>:\n"
      "192.0.2.7 does not like recipient.\n"
      "Remote host said: 550 5.1.1 <bob@lead.example>: Recipient address rejected: User unknown\n"
      "Giving up on 192.0.2.7.\n"
      "\n"
      "--- Below this line is a copy of the message.\n"
      "\n"
      "Return-Path: <alice@acme.example>\n"
      "From: Alice <alice@acme.example>\n"
      "To: bob@lead.example\n"
      "Message-ID: <step1.lead42@acme.example>\n"
      "Subject: Quick question\n"
      "\n"
      "Our mailbox is full of ideas; version 5.3.4 is out. Sorry this was delayed, we will retry.\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "5.1.1");
  CHECK(result.diagnostic == "550 5.1.1 <bob@lead.example>: Recipient address rejected: User unknown");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
  CHECK(has_evidence(result, "qmail text"));
}

TEST_CASE("classify: an Exim bounce names its recipient in X-Failed-Recipients") {
  const std::string raw =
      "From: Mail Delivery System <Mailer-Daemon@mx.lead.example>\n"
      "To: alice@acme.example\n"
      "Subject: Mail delivery failed: returning message to sender\n"
      "X-Failed-Recipients: bob@lead.example\n"
      "Auto-Submitted: auto-replied\n"
      "\n"
      "This message was created automatically by mail delivery software.\n"
      "\n"
      "A message that you sent could not be delivered to one or more of its\n"
      "recipients. This is a permanent error. The following address(es) failed:\n"
      "\n"
      "  bob@lead.example\n"
      "    host mx.lead.example [192.0.2.7]\n"
      "    SMTP error from remote mail server after RCPT TO:<bob@lead.example>:\n"
      "    550 No such user here\n"
      "\n"
      "------ This is a copy of the message, including all the headers. ------\n"
      "\n"
      "Message-ID: <step1.lead42@acme.example>\n"
      "From: alice@acme.example\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status.empty());
  CHECK(result.diagnostic == "550 No such user here");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
  CHECK(has_evidence(result, "X-Failed-Recipients: bob@lead.example"));
}

TEST_CASE("classify: an Exim delay warning is a soft bounce") {
  const Classification result = classified(text_bounce(
      "Warning: message 1kXyZ-0001Ab-2C delayed 24 hours",
      "This message was created automatically by mail delivery software.\n"
      "A message that you sent has not yet been delivered to one or more of its\n"
      "recipients after more than 24 hours on the queue on mx.acme.example.\n"
      "\n"
      "  bob@lead.example\n"
      "    Delay reason: SMTP error from remote mail server after RCPT TO:<bob@lead.example>:\n"
      "    451 4.7.1 Greylisted, try again later\n"
      "\n"
      "No action is required on your part. Delivery attempts will continue for some time.\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK_FALSE(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "4.7.1");
}

TEST_CASE("classify: a Postfix text bounce without its status part") {
  const Classification result = classified(text_bounce(
      "Undelivered Mail Returned to Sender",
      "This is the mail system at host mx.acme.example.\n"
      "\n"
      "I'm sorry to have to inform you that your message could not\n"
      "be delivered to one or more recipients. It's attached below.\n"
      "\n"
      "For further assistance, please send mail to postmaster.\n"
      "\n"
      "                   The mail system\n"
      "\n"
      "<bob@lead.example>: host mx.lead.example[192.0.2.7] said: 552 5.2.2\n"
      "    <bob@lead.example>: Mailbox full (in reply to RCPT TO command)\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK_FALSE(result.hard);
  CHECK(result.status == "5.2.2");
  CHECK(result.recipient == "bob@lead.example");
}

TEST_CASE("classify: a Postfix delay warning is a soft bounce") {
  const Classification result = classified(text_bounce(
      "Delayed Mail (still being retried)",
      "This is the mail system at host mx.acme.example.\n"
      "\n"
      "####################################################################\n"
      "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
      "####################################################################\n"
      "\n"
      "Your message could not be delivered for more than 4 hour(s).\n"
      "It will be retried until it is 5 day(s) old.\n"
      "\n"
      "<bob@lead.example>: connect to mx.lead.example[192.0.2.7]:25: Connection timed out\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK_FALSE(result.hard);
  CHECK(result.recipient == "bob@lead.example");
}

TEST_CASE("classify: a Sendmail bounce") {
  const Classification result = classified(text_bounce(
      "Returned mail: see transcript for details",
      "The original message was received at Mon, 30 Nov 2026 09:00:00 GMT\n"
      "from mail.acme.example [198.51.100.2]\n"
      "\n"
      "   ----- The following addresses had permanent fatal errors -----\n"
      "<bob@lead.example>\n"
      "    (reason: 550 5.1.1 <bob@lead.example>... User unknown)\n"
      "\n"
      "   ----- Transcript of session follows -----\n"
      "... while talking to mx.lead.example.:\n"
      ">>> RCPT To:<bob@lead.example>\n"
      "<<< 550 5.1.1 <bob@lead.example>... User unknown\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "5.1.1");
  CHECK(result.diagnostic == "550 5.1.1 <bob@lead.example>... User unknown");
}

TEST_CASE("classify: an Exchange non-delivery report in text") {
  const Classification result = classified(text_bounce(
      "Undeliverable: Quick question about Lead Inc",
      "Delivery has failed to these recipients or groups:\n"
      "\n"
      "Bob Smith (bob@lead.example)\n"
      "The email address you entered couldn't be found. Please check the recipient's email address and try to "
      "resend the message.\n"
      "\n"
      "Diagnostic information for administrators:\n"
      "\n"
      "Generating server: EXCH01.lead.example\n"
      "\n"
      "bob@lead.example\n"
      "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n"
      "\n"
      "Original message headers:\n"
      "\n"
      "Message-ID: <step1.lead42@acme.example>\n",
      "Microsoft Outlook <postmaster@lead.example>"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "5.1.1");
  CHECK(result.diagnostic == "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
}

TEST_CASE("classify: Exchange Online's newer text names the recipient before the failure") {
  const Classification result = classified(text_bounce(
      "Undeliverable: Quick question",
      "Your message to bob@lead.example couldn't be delivered.\n"
      "bob wasn't found at lead.example.\n"
      "\n"
      "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address "
      "lookup'\n",
      "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@lead.example>"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "5.1.10");
  CHECK(result.diagnostic == "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
}

TEST_CASE("classify: a Gmail bounce in text") {
  const Classification result = classified(text_bounce(
      "Delivery Status Notification (Failure)",
      "Address not found\n"
      "\n"
      "Your message wasn't delivered to bob@lead.example because the address couldn't be found, or is unable to "
      "receive mail.\n"
      "\n"
      "The response from the remote server was:\n"
      "550 5.1.1 The email account that you tried to reach does not exist.\n",
      "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.status == "5.1.1");
  CHECK(has_evidence(result, "Gmail text"));
}

TEST_CASE("classify: a Gmail temporary problem is a soft bounce") {
  const Classification result = classified(text_bounce(
      "Delivery Status Notification (Delay)",
      "Delivery incomplete\n"
      "\n"
      "There was a temporary problem delivering your message to bob@lead.example. Gmail will retry for 47 more "
      "hours. You'll be notified if the delivery fails permanently.\n",
      "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"));
  CHECK(result.type == InboundClass::bounce);
  CHECK_FALSE(result.hard);
  CHECK(result.recipient == "bob@lead.example");
}

TEST_CASE("classify: a Yahoo bounce") {
  const Classification result = classified(text_bounce(
      "Failure Notice",
      "Sorry, we were unable to deliver your message to the following address.\n"
      "\n"
      "<bob@lead.example>:\n"
      "554: delivery error: dd This user doesn't have a lead.example account (bob@lead.example) [0] - "
      "mta1.mail.example\n",
      "MAILER-DAEMON@yahoo.example"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.diagnostic.starts_with("554: delivery error"));
}

TEST_CASE("classify: a Lotus Domino bounce") {
  const Classification result = classified(text_bounce(
      "DELIVERY FAILURE: User bob (bob@lead.example) not listed in Domino Directory",
      "Your message\n"
      "\n"
      "  Subject: Quick question\n"
      "\n"
      "was not delivered to:\n"
      "\n"
      "  bob@lead.example\n"
      "\n"
      "because:\n"
      "\n"
      "  User bob (bob@lead.example) not listed in Domino Directory\n",
      "Postmaster@lead.example"));
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
}

TEST_CASE("classify: a generic bounce known by sender and subject, with a quoted Message-ID") {
  const std::string raw =
      "From: postmaster@mail.lead.example\n"
      "Return-Path: <>\n"
      "To: alice@acme.example\n"
      "Subject: Undeliverable mail\n"
      "\n"
      "Your mail to the recipient below could not be sent.\n"
      "  Recipient: <bob@lead.example>\n"
      "  Reason: 550 mailbox unavailable\n"
      "\n"
      "  > Message-Id: <step1.lead42@acme.example>\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::bounce);
  CHECK(result.hard);
  CHECK(result.recipient == "bob@lead.example");
  CHECK(result.original_message_id == "<step1.lead42@acme.example>");
}

TEST_CASE("classify: over-quota words make a text bounce soft") {
  const Classification result = classified(text_bounce(
      "Mail delivery failed", "Delivery to bob@lead.example failed: 550 user is over quota\n"));
  CHECK(result.type == InboundClass::bounce);
  CHECK_FALSE(result.hard);
}

TEST_CASE("classify: a person who says a mail could not be delivered did not send a bounce") {
  const Classification result = classified(
      answer("Re: Quick question", "My last email could not be delivered to Carol, can you forward it?\n"));
  CHECK(result.type == InboundClass::reply);
}

// ---- auto-replies ------------------------------------------------------------------------------

TEST_CASE("classify: an out-of-office with an empty Return-Path that mentions delays is no bounce") {
  const Classification result = classified(answer(
      "Out of Office", "I am out of the office until 12/7. Your message was delayed in my inbox; I will reply then.\n",
      "Return-Path: <>\n"));
  CHECK(result.type == InboundClass::auto_reply);
}

TEST_CASE("classify: an RFC 3834 out-of-office reply with its return date") {
  const Classification result = classified(answer(
      "Automatic reply: Quick question about Lead Inc",
      "Thank you for your email. I am out of the office until December 7th with limited access to email.\n",
      "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"));
  CHECK(result.type == InboundClass::auto_reply);
  REQUIRE(result.return_date);
  CHECK(*result.return_date == day(2026, 12, 7));
  CHECK(has_evidence(result, "Auto-Submitted: auto-replied"));
  CHECK(has_evidence(result, "subject \"Automatic reply: Quick question about Lead Inc\""));
  CHECK(result.answers == std::vector<std::string>{"<step1.lead42@acme.example>"});
}

TEST_CASE("classify: out-of-office subjects and texts in several languages give the return date") {
  struct Case {
    std::string_view subject;
    std::string_view text;
    std::chrono::year_month_day back;
  };
  const Case cases[]{
      {"Out of Office: Quick question", "I'm currently out of the office and will be back on Monday, December 7.",
       day(2026, 12, 7)},
      {"Abwesenheitsnotiz: Quick question",
       "Vielen Dank für Ihre Nachricht. Ich bin bis zum 4. Dezember nicht im Büro und ab dem 7.12. wieder erreichbar.",
       day(2026, 12, 7)},
      {"Automatische Antwort: Quick question", "Ich bin bis 4.12.2026 im Urlaub.", day(2026, 12, 4)},
      {"Réponse automatique : Quick question",
       "Bonjour, je suis absent du bureau jusqu'au 4 décembre inclus. De retour le lundi 7 décembre.",
       day(2026, 12, 7)},
      {"Respuesta automática: Quick question",
       "Estoy fuera de la oficina hasta el 4 de diciembre de 2026. Para temas urgentes escriba a ana@lead.example.",
       day(2026, 12, 4)},
      {"Risposta automatica: Quick question", "Sono fuori sede, rientro lunedì 7 dicembre.", day(2026, 12, 7)},
      {"Automatisch antwoord: Quick question", "Ik ben afwezig tot en met 4 december.", day(2026, 12, 4)},
      {"Resposta automática: Quick question", "Estou ausente até 04/12/2026.", day(2026, 12, 4)},
      {"Autosvar: Quick question", "Jag är på semester och är tillbaka den 7 december.", day(2026, 12, 7)},
      {"Automatyczna odpowiedź: Quick question", "Jestem na urlopie do 4 grudnia.", day(2026, 12, 4)},
      {"自動返信: Quick question", "12月4日まで不在にしております。", day(2026, 12, 4)},
      {"Frånvaro", "Jag är ledig till 2026-12-07.", day(2026, 12, 7)},
  };
  for (const Case& c : cases) {
    INFO(c.subject);
    const Classification result = classified(answer(c.subject, c.text));
    CHECK(result.type == InboundClass::auto_reply);
    CHECK(has_evidence(result, "subject"));
    REQUIRE(result.return_date);
    CHECK(*result.return_date == c.back);
  }
}

TEST_CASE("classify: an out-of-office text with no header or subject sign, quoting nothing, is an auto-reply") {
  const Classification result = classified(answer(
      "Re: Quick question",
      "Hello,\n\nI am on annual leave until 12/4 and will respond to your message when I return.\n\nBob\n"));
  CHECK(result.type == InboundClass::auto_reply);
  REQUIRE(result.return_date);
  CHECK(*result.return_date == day(2026, 12, 4));  // US English: month first
  CHECK(has_evidence(result, "text \"on annual leave until 12/4"));
}

TEST_CASE("classify: numeric return dates are read by language and validity") {
  using outreach::detail::DayOrder;
  using outreach::detail::find_return_date;
  const std::chrono::sys_days sent{day(2026, 11, 30)};
  CHECK(find_return_date("back on 12/5", sent, DayOrder::month_first) == day(2026, 12, 5));
  CHECK(find_return_date("back on 12/5", sent, DayOrder::day_first) == day(2027, 5, 12));
  CHECK(find_return_date("back on 25/12", sent, DayOrder::month_first) == day(2026, 12, 25));
  CHECK(find_return_date("zurück am 5.12.", sent, DayOrder::month_first) == day(2026, 12, 5));
  CHECK(find_return_date("back 2027-01-04", sent, DayOrder::month_first) == day(2027, 1, 4));
  CHECK(find_return_date("back january 4th", sent, DayOrder::month_first) == day(2027, 1, 4));
  CHECK(find_return_date("back on monday", sent, DayOrder::month_first) == day(2026, 12, 7));
  CHECK(find_return_date("back tomorrow", sent, DayOrder::month_first) == day(2026, 12, 1));
  CHECK(find_return_date("away december 1-4", sent, DayOrder::month_first) == day(2026, 12, 4));
  CHECK(find_return_date("away from 1.12.-4.12.", sent, DayOrder::month_first) == day(2026, 12, 4));
  // A date with a year must be after the message and within a year of it.
  CHECK_FALSE(find_return_date("back on 2025-12-04", sent, DayOrder::month_first));
  CHECK_FALSE(find_return_date("back on 2028-12-04", sent, DayOrder::month_first));
  // A date without a year just before the message is a notice left on, not next year's.
  CHECK_FALSE(find_return_date("out until november 20", sent, DayOrder::month_first));
  // Times, addresses, versions, office hours and phone numbers are not dates.
  CHECK_FALSE(find_return_date("call 10.30 or 9-5 on 192.168.1.12, v1.2.3, +1 555-1234", sent, DayOrder::day_first));
  // Without the day it was written, only dates with a year count.
  CHECK_FALSE(find_return_date("back on december 7", std::nullopt, DayOrder::month_first));
  CHECK(find_return_date("back on december 7, 2026", std::nullopt, DayOrder::month_first) == day(2026, 12, 7));
}

TEST_CASE("classify: a British sender's numeric return date is read day first") {
  std::string raw = answer("Out of office", "I am out of the office until 4/12.");
  raw.replace(raw.find("bob@lead.example"), 16, "bob@lead.co.uk");
  const Classification result = classified(raw);
  REQUIRE(result.return_date);
  CHECK(*result.return_date == day(2026, 12, 4));
}

TEST_CASE("classify: the return date is reckoned from the arrival when the Date field is missing") {
  const std::string raw =
      "From: bob@lead.example\n"
      "Subject: Out of Office\n"
      "Auto-Submitted: auto-replied\n"
      "\n"
      "I'm out until January 5.\n";
  ClassifyContext context;
  context.received = std::chrono::sys_days{day(2026, 12, 20)};
  const Classification result = classified(raw, context);
  CHECK(result.type == InboundClass::auto_reply);
  REQUIRE(result.return_date);
  CHECK(*result.return_date == day(2027, 1, 5));
}

TEST_CASE("classify: a reply that is out of budget is no auto-reply") {
  const Classification result =
      classified(answer("Re: Quick question", "Thanks, but I'm out of budget until next year." + std::string(quoted_history)));
  CHECK(result.type == InboundClass::reply);
}

TEST_CASE("classify: a person whose signature says they are out of the office on Fridays replied") {
  const Classification result = classified(answer(
      "Re: Quick question",
      "Sounds good, call me Tuesday at 10.\n\nBob\nI'm out of the office Fridays." + std::string(quoted_history)));
  CHECK(result.type == InboundClass::reply);
  // Even without the quoted history: the text says nothing of how long or whom to ask.
  const Classification bare =
      classified(answer("Re: Quick question", "Sounds good, call me Tuesday.\n\nBob\nI'm out of the office Fridays."));
  CHECK(bare.type == InboundClass::reply);
}

TEST_CASE("classify: X-Auto-Response-Suppress alone does not make a reply automatic") {
  const Classification result =
      classified(answer("RE: Quick question", "Yes, let's talk.\n", "X-Auto-Response-Suppress: All\n"));
  CHECK(result.type == InboundClass::reply);
}

TEST_CASE("classify: an automatic notification is unknown, an automatic answer to us is an auto-reply") {
  const std::string notification =
      "From: calendar@lead.example\n"
      "Subject: Reminder: meeting at 10\n"
      "Auto-Submitted: auto-generated\n"
      "\n"
      "You have a meeting.\n";
  const Classification unknown = classified(notification);
  CHECK(unknown.type == InboundClass::unknown);
  CHECK(has_evidence(unknown, "auto-generated"));
  const Classification ticket = classified(
      answer("[Ticket #123] Quick question", "Your request has been received and will be reviewed by our team.\n",
             "Auto-Submitted: auto-generated\n"));
  CHECK(ticket.type == InboundClass::auto_reply);
  const Classification from_noreply = classified(
      "From: no-reply@lead.example\nIn-Reply-To: <step1.lead42@acme.example>\nSubject: Re: Quick question\n\n"
      "We received your message.\n");
  CHECK(from_noreply.type == InboundClass::auto_reply);
}

TEST_CASE("classify: vendor auto-reply fields") {
  for (std::string_view field : {"X-Autoreply: yes\n", "X-Autorespond: 1\n", "X-Autogenerated: Reply\n",
                                 "Precedence: auto_reply\n"}) {
    INFO(field);
    const Classification result = classified(answer("Re: Quick question", "Thanks for your message.\n", field));
    CHECK(result.type == InboundClass::auto_reply);
  }
  const Classification declared_not = classified(answer("Re: Quick question", "Yes please.\n", "Auto-Submitted: no\n"));
  CHECK(declared_not.type == InboundClass::reply);
}

// ---- unsubscribe requests ------------------------------------------------------------------------

TEST_CASE("classify: mail to our unsubscribe address is an unsubscribe request") {
  ClassifyContext context;
  context.unsubscribe_addresses = {"unsubscribe@acme.example"};
  const Classification result = classified(
      "From: bob@lead.example\nTo: <Unsubscribe@ACME.example>\nSubject: unsubscribe\nAuto-Submitted: auto-generated\n\n",
      context);
  CHECK(result.type == InboundClass::unsubscribe);
  CHECK(has_evidence(result, "our unsubscribe address"));
  const Classification delivered = classified(
      "From: bob@lead.example\nTo: list@acme.example\nDelivered-To: unsubscribe@acme.example\nSubject: x\n\nhello\n",
      context);
  CHECK(delivered.type == InboundClass::unsubscribe);
}

TEST_CASE("classify: a short reply asking to be removed is an unsubscribe request") {
  const std::string_view requests[]{
      "Please remove me from your list.",
      "Not interested. Take me off your mailing list, thanks.",
      "UNSUBSCRIBE",
      "Unsubscribe please!",
      "Stop emailing me.",
      "Bitte austragen.",
      "Merci de me retirer de votre liste.",
      "Por favor, darme de baja.",
      "STOP",
  };
  for (std::string_view text : requests) {
    INFO(text);
    const Classification result = classified(answer("Re: Quick question", std::string(text) + std::string(quoted_history)));
    CHECK(result.type == InboundClass::unsubscribe);
    CHECK(has_evidence(result, "text \""));
  }
  const Classification by_subject = classified(answer("Unsubscribe", ""));
  CHECK(by_subject.type == InboundClass::unsubscribe);
  CHECK(has_evidence(by_subject, "subject \"Unsubscribe\""));
}

TEST_CASE("classify: replies that mention unsubscribing without asking stay replies") {
  const std::string_view replies[]{
      "I can't unsubscribe from my gym but let's talk next week.",
      "Please don't remove me, I'm interested. Call me tomorrow.",
      "Sounds interesting, send me pricing.",
      // A long answer that asks in passing is a conversation, not a request.
      "Thanks for reaching out. We are evaluating several vendors this quarter and your product looks like it could "
      "fit our needs, especially the reporting part. Could you send a proposal for 50 seats, including onboarding and "
      "support options, and the terms for an annual contract? My colleague Carol handles purchasing, so please "
      "remove me from the thread and write to her instead.",
  };
  for (std::string_view text : replies) {
    INFO(text);
    const Classification result = classified(answer("Re: Quick question", std::string(text) + std::string(quoted_history)));
    CHECK(result.type == InboundClass::reply);
  }
}

TEST_CASE("classify: a reply that quotes our footer's unsubscribe line stays a reply") {
  const Classification gmail = classified(answer("Re: Quick question", "Yes, interested!" + std::string(quoted_history)));
  CHECK(gmail.type == InboundClass::reply);
  const Classification outlook = classified(answer(
      "RE: Quick question",
      "Yes, interested!\n\n________________________________\nFrom: Alice <alice@acme.example>\nSent: Monday, "
      "November 30, 2026 9:00 AM\nTo: Bob\nSubject: Quick question\n\nHi Bob, ...\nunsubscribe\n"));
  CHECK(outlook.type == InboundClass::reply);
}

// ---- replies and the rest --------------------------------------------------------------------------

TEST_CASE("classify: a person's answer is a reply, with the ids it answers newest first") {
  const std::string raw =
      "From: Bob <bob@lead.example>\n"
      "In-Reply-To: <step2@acme.example>\n"
      "References: <step1@acme.example> <step2@acme.example> <other@lead.example>\n"
      "Subject: Re: Following up\n"
      "\n"
      "Let's talk Thursday.\n";
  const Classification result = classified(raw);
  CHECK(result.type == InboundClass::reply);
  CHECK(result.from == "bob@lead.example");
  CHECK(result.answers == std::vector<std::string>{"<step2@acme.example>", "<other@lead.example>", "<step1@acme.example>"});
  CHECK(has_evidence(result, "In-Reply-To: <step2@acme.example>"));
}

TEST_CASE("classify: a person's message that answers no id is still a reply, from Sender when no From") {
  const Classification result = classified("Sender: bob@lead.example\nSubject: hello\n\nAre you the Acme person?\n");
  CHECK(result.type == InboundClass::reply);
  CHECK(result.from == "bob@lead.example");
  CHECK(result.answers.empty());
}

TEST_CASE("classify: newsletters, read receipts, nobody's mail and empty mail are unknown") {
  const Classification newsletter = classified(
      "From: news@vendor.example\nList-Id: <news.vendor.example>\nList-Unsubscribe: <https://vendor.example/u>\n"
      "Precedence: bulk\nSubject: Our December deals\n\nBig sale!\n");
  CHECK(newsletter.type == InboundClass::unknown);
  CHECK(has_evidence(newsletter, "List-Id"));

  const Classification receipt = classified(
      "From: bob@lead.example\nSubject: Read: Quick question\n"
      "Content-Type: multipart/report; report-type=disposition-notification; boundary=M\n\n"
      "--M\nContent-Type: text/plain\n\nYour message was read.\n"
      "--M\nContent-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; bob@lead.example\n"
      "Original-Message-ID: <step1.lead42@acme.example>\nDisposition: manual-action/MDN-sent-manually; displayed\n"
      "--M--\n");
  CHECK(receipt.type == InboundClass::unknown);
  CHECK(has_evidence(receipt, "read receipt"));

  CHECK(classified("Subject: hello\n\nwho am I?\n").type == InboundClass::unknown);
  CHECK(classified("From: bob@lead.example\n\n").type == InboundClass::unknown);
  CHECK(classified("From: noreply@lead.example\nSubject: Your invoice\n\nAttached.\n").type == InboundClass::unknown);
  CHECK(classified("From: noreply-dmarc-support@google.example\nSubject: Report domain: acme.example\n\nReport.\n").type ==
        InboundClass::unknown);
}

// ---- text helpers ---------------------------------------------------------------------------------

TEST_CASE("classify: the new text of a reply ends where the quoted history begins") {
  using outreach::detail::new_text_of;
  CHECK(new_text_of("yes.\n\non mon, nov 30, 2026 at 9:00 am alice <alice@acme.example> wrote:\n> hi") == "yes.");
  CHECK(new_text_of("yes.\n\non mon, nov 30, 2026 at 9:00 am alice <\nalice@acme.example> wrote:\n> hi") == "yes.");
  CHECK(new_text_of("ja.\n\nam 30.11.2026 um 09:00 schrieb alice <alice@acme.example>:\n> hallo") == "ja.");
  CHECK(new_text_of("oui.\n\nle lun. 30 nov. 2026 à 09:00, alice <alice@acme.example> a écrit :\n> bonjour") == "oui.");
  CHECK(new_text_of("yes\n-----original message-----\nfrom: alice") == "yes");
  CHECK(new_text_of("ja\n\nvon: alice\ngesendet: montag\nan: bob") == "ja");
  CHECK(new_text_of("yes\n-- \nbob smith\nceo") == "yes");
  CHECK(new_text_of("yes\n\nsent from my iphone") == "yes");
  CHECK(new_text_of("here is what i wrote:\nthe plan") == "here is what i wrote:\nthe plan");
}

TEST_CASE("classify: text is folded once, letters of several alphabets and typographic apostrophes alike") {
  using outreach::detail::fold_text;
  CHECK(fold_text("R\xC3\x89PONSE AUTOMATIQUE", 100) == "r\xC3\xA9ponse automatique");  // RÉPONSE
  CHECK(fold_text("I\xE2\x80\x99M OUT\r\nTHERE", 100) == "i'm out\nthere");
  CHECK(fold_text("ODPOWIED\xC5\xB9", 100) == "odpowied\xC5\xBA");                  // Ź -> ź
  CHECK(fold_text("\xC5\x81\xC3\x93" "D\xC5\xB9", 100) == "\xC5\x82\xC3\xB3" "d\xC5\xBA");  // ŁÓDŹ -> łódź
  CHECK(fold_text("\xD0\x90\xD0\x92\xD0\xA2\xD0\x9E", 100) == "\xD0\xB0\xD0\xB2\xD1\x82\xD0\xBE");  // АВТО
  CHECK(fold_text("ab\xC3\xA9", 3) == "ab");  // cut at a code point boundary
  const auto folded = outreach::detail::fold_text_mapped("A\xE2\x80\x99" "B\r\nC", 100);
  CHECK(folded.text == "a'b\nc");
  CHECK(folded.original("A\xE2\x80\x99" "B\r\nC", 2, 5) == "B\r\nC");
}

TEST_CASE("classify: phrases match whole words only") {
  using outreach::detail::find_words;
  CHECK(find_words("please stop", "stop") == 7);
  CHECK(find_words("nonstop talk", "stop") == std::string_view::npos);
  CHECK(find_words("stopped", "stop") == std::string_view::npos);
  CHECK(find_words("auto: out", "auto:") == 0);
  CHECK(find_words("12月4日まで", "まで") == 9);
}

// ---- hostile input ----------------------------------------------------------------------------------

TEST_CASE("classify: random bytes never crash the classifier") {
  std::mt19937 random(20261130);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string_view pieces[]{"\n", ": ", "From: ", "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n",
                                  "--b\n", "Action: failed\n", "Status: 5.1.1\n", "message/delivery-status\n",
                                  "Subject: Automatic reply: ", "until 12/5 ", "<a@b.c>", "@", "5.", "wrote:\n", "> "};
  for (int round = 0; round < 300; ++round) {
    std::string raw;
    const int parts = std::uniform_int_distribution<int>(0, 60)(random);
    for (int i = 0; i < parts; ++i) {
      if (byte(random) < 128) {
        raw += pieces[static_cast<std::size_t>(byte(random)) % std::size(pieces)];
      } else {
        raw += static_cast<char>(byte(random));
      }
    }
    auto message = outreach::parse_message(raw);
    if (!message) continue;
    const Classification result = outreach::classify(*message);
    CHECK_FALSE(outreach::to_string(result.type).empty());
  }
}

TEST_CASE("classify: huge and repetitive texts are classified quickly") {
  const std::string_view fillers[]{
      "a@a@a@a.", "5.5.5.5.", "out of the office ", "12/12/12/12/", "550 550-550 ", "on mon wrote:\n",
      "\xC3", "x", "monday back until 1.1. ", "message-id: <", "remove me stop ", "\n\n"};
  for (std::string_view filler : fillers) {
    std::string body;
    while (body.size() < (std::size_t{4} << 20)) body += filler;
    for (const std::string& raw :
         {answer("Automatic reply: " + std::string(64 * 1024, 'x'), body, "Auto-Submitted: auto-replied\n"),
          text_bounce("Undelivered Mail Returned to Sender", body), answer("Re: hi", body)}) {
      INFO(filler);
      const auto started = std::chrono::steady_clock::now();
      auto message = outreach::parse_message(raw);
      REQUIRE(message.has_value());
      const auto parsed = std::chrono::steady_clock::now();
      (void)outreach::classify(*message);
      const auto elapsed = std::chrono::steady_clock::now() - parsed;
      (void)started;
      CHECK(elapsed < 500ms);
    }
  }
}

}  // TEST_SUITE
