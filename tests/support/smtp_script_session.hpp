// One connection to a scripted SMTP server: TLS, the command dialogue and the scripted faults.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "support/smtp_script.hpp"
#include "support/smtp_script_log.hpp"

namespace outreach::testing {

class SmtpScriptSession {
 public:
  // `socket` stays owned by the caller, which closes it after `run`. `stop_event` becomes
  // readable, and `stopping` true, when the server stops.
  SmtpScriptSession(const SmtpScript& script, SmtpScriptLog& log, SSL_CTX* tls, int socket, int stop_event,
                    const std::atomic<bool>& stopping);
  ~SmtpScriptSession();
  SmtpScriptSession(const SmtpScriptSession&) = delete;
  SmtpScriptSession& operator=(const SmtpScriptSession&) = delete;

  // Serves the connection until the client leaves, a fault ends it, or the server stops.
  void run();

 private:
  enum class Wait { readable, timed_out, stopped };

  // Commands; each returns false when the session ends.
  bool handle(const std::string& line);
  bool start_tls();
  bool authenticate(const std::string& line);
  bool receive_message(const SmtpAnswer& data_answer);
  void reset_transaction();

  // Gives `answer` (its reply or its fault); false when the session ends with it.
  bool respond(const SmtpAnswer& answer);
  SmtpAnswer answer_for(SmtpStage stage, std::string default_reply);
  std::string ehlo_reply(const std::string& client_name) const;
  void stall();
  void finish();

  // Input and output. Replies are queued and written when the server waits for input, as real
  // servers do, so commands that arrive together are seen as one round.
  std::optional<std::string> next_line();
  std::optional<std::string> challenge(const std::string& reply);
  bool wait_for_input();
  bool read_more();
  Wait wait_readable(std::chrono::milliseconds timeout);
  long read_some(char* buffer, std::size_t size);
  void flush();
  void close_round();

  const SmtpScript& script_;
  SmtpScriptLog& log_;
  SSL_CTX* tls_context_;
  SSL* tls_ = nullptr;
  int socket_;
  int stop_event_;
  const std::atomic<bool>& stopping_;

  std::size_t connection_ = 0;
  std::string input_;
  std::string output_;
  std::vector<std::string> round_;  // what arrived since the server last replied
  std::string last_item_;           // the last command verb, or "." for the end of the data
  bool abrupt_close_ = false;       // close without waiting for the client (a crash)

  std::string mail_from_;
  std::vector<std::string> rcpt_to_;
};

}  // namespace outreach::testing
