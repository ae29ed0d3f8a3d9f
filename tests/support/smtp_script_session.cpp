#include "support/smtp_script_session.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <utility>

#include "support/base64.hpp"

namespace outreach::testing {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t max_line_length = 64 * 1024;
constexpr milliseconds forever{-1};
constexpr milliseconds drain_limit{2000};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < line.size()) {
    const std::size_t space = line.find(' ', start);
    const std::size_t end = space == std::string::npos ? line.size() : space;
    if (end > start) out.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int reply_code(const std::string& reply) {
  if (reply.size() < 3 || !std::all_of(reply.begin(), reply.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoi(reply.substr(0, 3));
}

// Lines separated by "\n" (or CRLF) written with CRLF, the last one too.
std::string wire_lines(const std::string& reply) {
  std::string out;
  for (char c : reply) {
    if (c == '\n' && (out.empty() || out.back() != '\r')) out += '\r';
    out += c;
  }
  return out + "\r\n";
}

bool has_bare_line_break(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return true;
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return true;
  }
  return false;
}

// RFC 5321 section 4.5.2, undone: one leading "." removed from each line.
std::string unstuff(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  bool line_start = true;
  for (char c : raw) {
    if (!(line_start && c == '.')) out += c;
    line_start = c == '\n';
  }
  return out;
}

}  // namespace

SmtpScriptSession::SmtpScriptSession(const SmtpScript& script, SmtpScriptLog& log, SSL_CTX* tls, int socket,
                                     int stop_event, const std::atomic<bool>& stopping)
    : script_(script), log_(log), tls_context_(tls), socket_(socket), stop_event_(stop_event), stopping_(stopping) {}

SmtpScriptSession::~SmtpScriptSession() {
  if (tls_ != nullptr) SSL_free(tls_);
}

void SmtpScriptSession::run() {
  connection_ = log_.connection_opened();
  if (script_.tls == SmtpTls::implicit && !start_tls()) return finish();
  if (!respond(answer_for(SmtpStage::greeting, script_.greeting))) return finish();
  while (auto line = next_line()) {
    if (!handle(*line)) break;
  }
  finish();
}

bool SmtpScriptSession::handle(const std::string& line) {
  log_.command(line);
  const std::vector<std::string> parts = words(line);
  const std::string verb = parts.empty() ? std::string() : upper(parts[0]);
  round_.push_back(verb);
  last_item_ = verb;

  if (verb == "EHLO") {
    reset_transaction();
    return respond(answer_for(SmtpStage::ehlo, ehlo_reply(parts.size() > 1 ? parts[1] : "")));
  }
  if (verb == "HELO") {
    reset_transaction();
    output_ += "250 mx.test\r\n";
    return true;
  }
  if (verb == "STARTTLS") {
    if (script_.tls != SmtpTls::starttls || tls_ != nullptr) {
      output_ += "502 5.5.1 STARTTLS not available\r\n";
      return true;
    }
    const SmtpAnswer answer = answer_for(SmtpStage::starttls, "220 2.0.0 ready to start TLS");
    if (!respond(answer)) return false;
    if (reply_code(answer.reply) != 220) return true;
    flush();
    // Plain text sent after STARTTLS must not be taken as commands over TLS (RFC 3207).
    if (!input_.empty()) log_.violation("plain text after STARTTLS: " + input_);
    input_.clear();
    return start_tls();
  }
  if (verb == "AUTH") return authenticate(line);
  if (verb == "MAIL") {
    if (!mail_from_.empty()) {
      output_ += "503 5.5.1 nested MAIL command\r\n";
      return true;
    }
    const SmtpAnswer answer = answer_for(SmtpStage::mail, "250 2.1.0 sender ok");
    if (!respond(answer)) return false;
    if (reply_code(answer.reply) / 100 == 2) mail_from_ = line;
    return true;
  }
  if (verb == "RCPT") {
    if (mail_from_.empty()) {
      output_ += "503 5.5.1 need MAIL before RCPT\r\n";
      return true;
    }
    const SmtpAnswer answer = answer_for(SmtpStage::rcpt, "250 2.1.5 recipient ok");
    if (!respond(answer)) return false;
    if (reply_code(answer.reply) / 100 == 2) rcpt_to_.push_back(line);
    return true;
  }
  if (verb == "DATA") {
    if (mail_from_.empty() || rcpt_to_.empty()) {
      output_ += "554 5.5.1 no valid recipients\r\n";
      return true;
    }
    const SmtpAnswer answer = answer_for(SmtpStage::data, "354 end data with <CR><LF>.<CR><LF>");
    if (!respond(answer)) return false;
    if (reply_code(answer.reply) != 354) return true;
    return receive_message(answer);
  }
  if (verb == "RSET") {
    reset_transaction();
    return respond(answer_for(SmtpStage::rset, "250 2.0.0 ok"));
  }
  if (verb == "NOOP") {
    output_ += "250 2.0.0 ok\r\n";
    return true;
  }
  if (verb == "QUIT") {
    respond(answer_for(SmtpStage::quit, "221 2.0.0 bye"));
    return false;
  }
  output_ += "500 5.5.2 command not recognized\r\n";
  return true;
}

bool SmtpScriptSession::start_tls() {
  tls_ = SSL_new(tls_context_);
  if (tls_ == nullptr || SSL_set_fd(tls_, socket_) != 1) {
    log_.violation("server: cannot set up TLS");
    return false;
  }
  const bool completed = SSL_accept(tls_) == 1;
  log_.tls_handshake(completed);
  if (!completed) abrupt_close_ = true;  // nothing more can be said on a failed handshake
  reset_transaction();
  return completed;
}

bool SmtpScriptSession::authenticate(const std::string& line) {
  const std::vector<std::string> parts = words(line);
  AuthAttempt attempt;
  attempt.mechanism = parts.size() > 1 ? upper(parts[1]) : std::string();
  const std::string initial = parts.size() > 2 ? parts[2] : std::string();
  // "=" is an empty initial response (RFC 4954).
  const auto response_or_challenge = [&](const std::string& reply) -> std::optional<std::string> {
    if (!initial.empty()) return initial == "=" ? std::string() : initial;
    return challenge(reply);
  };

  if (attempt.mechanism == "PLAIN") {
    const auto response = response_or_challenge("334 ");
    if (!response) return false;
    // authzid NUL authcid NUL password
    const std::string decoded = base64_decode(*response);
    const std::size_t first = decoded.find('\0');
    const std::size_t second = first == std::string::npos ? first : decoded.find('\0', first + 1);
    if (second != std::string::npos) {
      attempt.username = decoded.substr(first + 1, second - first - 1);
      attempt.secret = decoded.substr(second + 1);
    }
  } else if (attempt.mechanism == "LOGIN") {
    const auto username = response_or_challenge("334 " + base64_encode("Username:"));
    if (!username) return false;
    const auto password = challenge("334 " + base64_encode("Password:"));
    if (!password) return false;
    attempt.username = base64_decode(*username);
    attempt.secret = base64_decode(*password);
  } else if (attempt.mechanism == "XOAUTH2") {
    const auto response = response_or_challenge("334 ");
    if (!response) return false;
    // "user=" name ^A "auth=Bearer " token ^A ^A
    const std::string decoded = base64_decode(*response);
    const std::size_t separator = decoded.find('\x01');
    if (decoded.starts_with("user=") && separator != std::string::npos) {
      attempt.username = decoded.substr(5, separator - 5);
      const std::string auth = decoded.substr(separator + 1);
      const std::string bearer = "auth=Bearer ";
      if (auth.starts_with(bearer)) attempt.secret = auth.substr(bearer.size(), auth.find('\x01') - bearer.size());
    }
  } else {
    output_ += "504 5.5.4 mechanism not supported\r\n";
    return true;
  }
  log_.auth(attempt);

  const SmtpAnswer answer = answer_for(SmtpStage::auth, "235 2.7.0 authentication successful");
  if (attempt.mechanism == "XOAUTH2" && script_.xoauth2_error_challenge && answer.fault == SmtpFault::none &&
      reply_code(answer.reply) / 100 != 2) {
    const std::string error = R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})";
    if (!challenge("334 " + base64_encode(error))) return false;
  }
  return respond(answer);
}

bool SmtpScriptSession::receive_message(const SmtpAnswer& data_answer) {
  std::string raw;
  std::size_t search_from = 0;
  while (true) {
    if (data_answer.fault == SmtpFault::close_mid_data && input_.size() >= data_answer.data_bytes) {
      abrupt_close_ = true;
      return false;
    }
    if (input_.starts_with(".\r\n")) {  // no data at all
      input_.erase(0, 3);
      break;
    }
    const std::size_t end = input_.find("\r\n.\r\n", search_from);
    if (end != std::string::npos) {
      raw = input_.substr(0, end + 2);
      input_.erase(0, end + 5);
      break;
    }
    search_from = input_.size() >= 4 ? input_.size() - 4 : 0;
    if (!wait_for_input()) return false;
  }
  round_.push_back(".");
  last_item_ = ".";
  if (has_bare_line_break(raw)) log_.violation("a bare CR or LF in the message data");

  ReceivedMessage received;
  received.mail_from = mail_from_;
  received.rcpt_to = rcpt_to_;
  received.data = unstuff(raw);
  received.raw = std::move(raw);
  received.connection = connection_;
  received.over_tls = tls_ != nullptr;
  const std::size_t number = log_.message(std::move(received));
  reset_transaction();
  return respond(answer_for(SmtpStage::end_of_data, "250 2.0.0 Ok: queued as Q" + std::to_string(number)));
}

void SmtpScriptSession::reset_transaction() {
  mail_from_.clear();
  rcpt_to_.clear();
}

SmtpAnswer SmtpScriptSession::answer_for(SmtpStage stage, std::string default_reply) {
  SmtpAnswer answer = log_.next_answer(stage);
  if (answer.reply.empty()) answer.reply = std::move(default_reply);
  return answer;
}

bool SmtpScriptSession::respond(const SmtpAnswer& answer) {
  switch (answer.fault) {
    case SmtpFault::close_before_reply:
      return false;
    case SmtpFault::stall:
      stall();
      return false;
    default:
      break;
  }
  output_ += wire_lines(answer.reply);
  if (answer.fault == SmtpFault::extra_after_reply) output_ += answer.extra;
  return answer.fault != SmtpFault::close_after_reply && reply_code(answer.reply) != 421;
}

std::string SmtpScriptSession::ehlo_reply(const std::string& client_name) const {
  std::vector<std::string> lines{"mx.test greets " + client_name};
  lines.insert(lines.end(), script_.capabilities.begin(), script_.capabilities.end());
  if (script_.tls == SmtpTls::starttls && tls_ == nullptr) lines.emplace_back("STARTTLS");
  std::string reply;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    reply += (i + 1 < lines.size() ? "250-" : "250 ") + lines[i];
    if (i + 1 < lines.size()) reply += '\n';
  }
  return reply;
}

void SmtpScriptSession::stall() {
  flush();
  close_round();
  const auto deadline = Clock::now() + script_.stall_limit;
  char discarded[4096];
  while (Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) + milliseconds(1);
    if (wait_readable(left) != Wait::readable) return;
    if (read_some(discarded, sizeof discarded) <= 0) return;
  }
}

// Writes what is queued, then closes the sending side and waits for the client to close
// before the socket is closed: closing with unread input would make the kernel send a reset,
// which can destroy the last reply before the client reads it. An abrupt close skips that.
void SmtpScriptSession::finish() {
  if (!abrupt_close_) flush();
  close_round();
  if (abrupt_close_ || stopping_) return;
  ::shutdown(socket_, SHUT_WR);
  const auto deadline = Clock::now() + drain_limit;
  char discarded[4096];
  while (Clock::now() < deadline) {
    pollfd waits[2] = {{socket_, POLLIN, 0}, {stop_event_, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) + milliseconds(1);
    if (::poll(waits, 2, static_cast<int>(left.count())) <= 0 || waits[1].revents != 0) return;
    if (::recv(socket_, discarded, sizeof discarded, 0) <= 0) return;
  }
}

std::optional<std::string> SmtpScriptSession::next_line() {
  while (true) {
    const std::size_t end = input_.find('\n');
    if (end != std::string::npos) {
      std::string line = input_.substr(0, end);
      input_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      } else {
        log_.violation("a command line ending in a bare LF: " + line);
      }
      return line;
    }
    if (input_.size() > max_line_length) {
      log_.violation("a command line longer than 64 KiB");
      return std::nullopt;
    }
    if (!wait_for_input()) return std::nullopt;
  }
}

// A continuation of AUTH: `reply` (a 334 challenge) and the client's answer line.
std::optional<std::string> SmtpScriptSession::challenge(const std::string& reply) {
  output_ += reply + "\r\n";
  return next_line();
}

bool SmtpScriptSession::wait_for_input() {
  // A pipelining client's group ends with DATA (RFC 2920); after a MAIL, RCPT or end of data
  // more of it may still be on its way.
  const bool group_may_continue = last_item_ == "MAIL" || last_item_ == "RCPT" || last_item_ == ".";
  if (script_.group_wait.count() > 0 && group_may_continue) {
    const Wait waited = wait_readable(script_.group_wait);
    if (waited == Wait::stopped) return false;
    if (waited == Wait::readable) return read_more();
  }
  flush();
  close_round();
  return read_more();
}

bool SmtpScriptSession::read_more() {
  if (wait_readable(forever) != Wait::readable) return false;
  char buffer[64 * 1024];
  const long got = read_some(buffer, sizeof buffer);
  if (got <= 0) return false;
  input_.append(buffer, static_cast<std::size_t>(got));
  return true;
}

SmtpScriptSession::Wait SmtpScriptSession::wait_readable(milliseconds timeout) {
  if (stopping_) return Wait::stopped;
  if (tls_ != nullptr && SSL_pending(tls_) > 0) return Wait::readable;
  pollfd waits[2] = {{socket_, POLLIN, 0}, {stop_event_, POLLIN, 0}};
  while (true) {
    const int ready = ::poll(waits, 2, static_cast<int>(timeout.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || waits[1].revents != 0) return Wait::stopped;
    if (ready == 0) return Wait::timed_out;
    return Wait::readable;  // data, or the end of the connection for the read to find
  }
}

long SmtpScriptSession::read_some(char* buffer, std::size_t size) {
  if (tls_ != nullptr) return SSL_read(tls_, buffer, static_cast<int>(size));
  while (true) {
    const ssize_t got = ::recv(socket_, buffer, size, 0);
    if (got < 0 && errno == EINTR) continue;
    return static_cast<long>(got);
  }
}

// Everything queued goes out in one write, so a reply and bytes scripted after it arrive
// together.
void SmtpScriptSession::flush() {
  if (output_.empty()) return;
  if (tls_ != nullptr) {
    SSL_write(tls_, output_.data(), static_cast<int>(output_.size()));
  } else {
    std::size_t sent = 0;
    while (sent < output_.size()) {
      const ssize_t wrote = ::send(socket_, output_.data() + sent, output_.size() - sent, MSG_NOSIGNAL);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) break;
      sent += static_cast<std::size_t>(wrote);
    }
  }
  output_.clear();
}

void SmtpScriptSession::close_round() {
  if (round_.empty()) return;
  log_.round(std::move(round_));
  round_.clear();
}

}  // namespace outreach::testing
