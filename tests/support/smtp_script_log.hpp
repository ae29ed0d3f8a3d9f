// What a scripted SMTP server saw, and how far each stage of its script has got; shared by its
// sessions, each on its own thread.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/smtp_script.hpp"

namespace outreach::testing {

struct ReceivedMessage {
  std::string mail_from;               // the whole MAIL command line, with its parameters
  std::vector<std::string> rcpt_to;    // the accepted RCPT command lines
  std::string raw;                     // the data as it came, dot-stuffed, up to the CRLF before "."
  std::string data;                    // the same without the stuffing
  std::size_t connection = 0;          // 1 for the first connection
  bool over_tls = false;
};

struct AuthAttempt {
  std::string mechanism;  // PLAIN, LOGIN, XOAUTH2
  std::string username;
  std::string secret;  // the password or token, decoded
};

class SmtpScriptLog {
 public:
  explicit SmtpScriptLog(const SmtpScript& script) : script_(script) {}

  // The answer for the next time `stage` is reached.
  SmtpAnswer next_answer(SmtpStage stage) {
    std::scoped_lock lock(mutex_);
    const std::size_t index = reached_[stage]++;
    const auto found = script_.answers.find(stage);
    if (found == script_.answers.end() || found->second.empty()) return {};
    const auto& list = found->second;
    return list[index < list.size() ? index : list.size() - 1];
  }

  std::size_t connection_opened() {
    std::scoped_lock lock(mutex_);
    return ++connections_;
  }
  void command(std::string line) { add(commands_, std::move(line)); }
  // The commands (verbs, "." for the end of the data) that arrived before the server replied.
  void round(std::vector<std::string> verbs) { add(rounds_, std::move(verbs)); }
  // Returns how many messages have arrived, this one included.
  std::size_t message(ReceivedMessage received) {
    std::scoped_lock lock(mutex_);
    messages_.push_back(std::move(received));
    return messages_.size();
  }
  void auth(AuthAttempt attempt) { add(auth_attempts_, std::move(attempt)); }
  void violation(std::string what) { add(violations_, std::move(what)); }
  void tls_handshake(bool completed) {
    std::scoped_lock lock(mutex_);
    ++(completed ? tls_handshakes_ : tls_failures_);
  }

  std::size_t connections() const { return read(connections_); }
  std::vector<std::string> commands() const { return read(commands_); }
  std::vector<std::vector<std::string>> rounds() const { return read(rounds_); }
  std::vector<ReceivedMessage> messages() const { return read(messages_); }
  std::vector<AuthAttempt> auth_attempts() const { return read(auth_attempts_); }
  std::vector<std::string> violations() const { return read(violations_); }
  // Whether several commands ever arrived before the server replied to the first of them.
  bool saw_pipelined_commands() const {
    std::scoped_lock lock(mutex_);
    return std::any_of(rounds_.begin(), rounds_.end(), [](const auto& round) { return round.size() > 1; });
  }
  // How many commands had this verb (MAIL, RCPT, ...), on any connection.
  std::size_t count(std::string_view verb) const {
    std::scoped_lock lock(mutex_);
    return static_cast<std::size_t>(std::count_if(commands_.begin(), commands_.end(), [&](const std::string& line) {
      return line.size() >= verb.size() && std::equal(verb.begin(), verb.end(), line.begin(), [](char a, char b) {
               return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
             }) && (line.size() == verb.size() || line[verb.size()] == ' ');
    }));
  }
  std::size_t tls_handshakes() const { return read(tls_handshakes_); }
  std::size_t tls_failures() const { return read(tls_failures_); }

 private:
  template <typename T>
  void add(std::vector<T>& list, T value) {
    std::scoped_lock lock(mutex_);
    list.push_back(std::move(value));
  }
  template <typename T>
  T read(const T& value) const {
    std::scoped_lock lock(mutex_);
    return value;
  }

  const SmtpScript& script_;
  mutable std::mutex mutex_;
  std::map<SmtpStage, std::size_t> reached_;
  std::size_t connections_ = 0;
  std::vector<std::string> commands_;
  std::vector<std::vector<std::string>> rounds_;
  std::vector<ReceivedMessage> messages_;
  std::vector<AuthAttempt> auth_attempts_;
  std::vector<std::string> violations_;
  std::size_t tls_handshakes_ = 0;
  std::size_t tls_failures_ = 0;
};

}  // namespace outreach::testing
