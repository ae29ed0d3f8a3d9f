// A scripted SMTP server on 127.0.0.1 for tests: it answers as its SmtpScript says, one thread
// per connection, and records what it saw in its log.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/smtp_script.hpp"
#include "support/smtp_script_log.hpp"

namespace outreach::testing {

class SmtpScriptServer {
 public:
  // Listens on a free port of 127.0.0.1 at once. Throws std::runtime_error when it cannot.
  explicit SmtpScriptServer(SmtpScript script);
  // Stops at once, even with a client stalled or a session stalling: every connection is shut.
  ~SmtpScriptServer();
  SmtpScriptServer(const SmtpScriptServer&) = delete;
  SmtpScriptServer& operator=(const SmtpScriptServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // "smtp://127.0.0.1:PORT", or "smtps://..." for implicit TLS: a Mailbox::transport.
  [[nodiscard]] std::string url() const;
  [[nodiscard]] const SmtpScriptLog& log() const noexcept { return log_; }

  // Waits until no connection is open (the client closed them all), at most `limit`; so that
  // a test can say what never arrived without racing the last bytes. True when idle.
  bool wait_until_idle(std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) const;

 private:
  void accept_connections();
  void serve(int socket);

  const SmtpScript script_;
  SmtpScriptLog log_{script_};
  SSL_CTX* tls_ = nullptr;
  int listener_ = -1;
  int stop_event_ = -1;  // an eventfd, readable once the server stops
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  mutable std::condition_variable idle_;
  std::set<int> open_sockets_;
  std::vector<std::thread> sessions_;
  std::thread acceptor_;
};

}  // namespace outreach::testing
