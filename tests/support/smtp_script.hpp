// What a scripted SMTP server says and does: its greeting, its EHLO capabilities, its TLS, and
// an answer (a reply, or a fault) for each stage of a session.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace outreach::testing {

// Where in a session an answer is given. `end_of_data` is the reply to the final ".".
enum class SmtpStage { greeting, ehlo, starttls, auth, mail, rcpt, data, end_of_data, rset, quit };

enum class SmtpFault {
  none,
  close_before_reply,  // close the connection instead of replying
  close_after_reply,   // reply, then close the connection
  stall,               // never reply; hold the connection until the client leaves or the server stops
  close_mid_data,      // (data) reply, then close once `data_bytes` of the message have arrived
  extra_after_reply,   // send `extra` in the same write as the reply (STARTTLS injection)
};

struct SmtpAnswer {
  std::string reply;  // one or more lines separated by "\n", without the final CRLF; empty: the default
  SmtpFault fault = SmtpFault::none;
  std::size_t data_bytes = 0;  // close_mid_data
  std::string extra;           // extra_after_reply, sent as is

  SmtpAnswer() = default;
  // Implicit, so that a list of answers can be a list of replies.
  SmtpAnswer(const char* text) : reply(text) {}  // NOLINT(google-explicit-constructor)
  SmtpAnswer(std::string text, SmtpFault what = SmtpFault::none) : reply(std::move(text)), fault(what) {}

  static SmtpAnswer closing_mid_data(std::size_t after_bytes) {
    SmtpAnswer answer({}, SmtpFault::close_mid_data);
    answer.data_bytes = after_bytes;
    return answer;
  }
  static SmtpAnswer with_extra_bytes(std::string text, std::string bytes) {
    SmtpAnswer answer(std::move(text), SmtpFault::extra_after_reply);
    answer.extra = std::move(bytes);
    return answer;
  }
};

enum class SmtpTls {
  none,      // plain text throughout
  implicit,  // TLS from the first byte (smtps)
  starttls,  // STARTTLS offered in EHLO while the session is plain text
};

struct SmtpScript {
  std::string greeting = "220 mx.test ESMTP ready";
  // The EHLO reply's lines after the first, such as "PIPELINING" or "SIZE 1000"; STARTTLS is
  // added while it can be used. An answer for SmtpStage::ehlo replaces the whole reply.
  std::vector<std::string> capabilities = {"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"};

  SmtpTls tls = SmtpTls::none;
  std::filesystem::path certificate;  // PEM, for tls != none
  std::filesystem::path key;

  // The n-th time a stage is reached (counted over all connections) it gets the n-th answer;
  // the last one repeats. A stage without answers gets its default reply. Any reply starting
  // with 421 also closes the connection, as real servers do.
  std::map<SmtpStage, std::vector<SmtpAnswer>> answers;

  // Pipelined commands may arrive in separate writes; after a MAIL, RCPT or end of data the
  // server waits this long for more before replying, so that a pipelining client's group is
  // always seen as one round. Zero: reply as soon as the input runs out.
  std::chrono::milliseconds group_wait{0};

  // A refused XOAUTH2 token gets a 334 challenge with a JSON error first, and the final reply
  // after the client's empty line, as Gmail and Outlook do.
  bool xoauth2_error_challenge = true;

  // A stalled session gives up after this long, so that a client without deadlines fails its
  // test instead of hanging it.
  std::chrono::milliseconds stall_limit{20'000};

  // Shorthands for the common case of a single answer.
  SmtpScript& reply(SmtpStage stage, std::string text) {
    answers[stage] = {SmtpAnswer{std::move(text)}};
    return *this;
  }
  SmtpScript& fault(SmtpStage stage, SmtpFault what) {
    answers[stage] = {SmtpAnswer({}, what)};
    return *this;
  }
};

}  // namespace outreach::testing
