#include "transport/smtp/smtp_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/credentials.hpp"
#include "net/sasl.hpp"
#include "net/tls.hpp"
#include "util/ascii.hpp"

namespace outreach::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t max_in_buffer = 2 * max_reply_line * max_reply_lines;

std::string local_host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

}  // namespace

expected<Endpoint> smtp_endpoint(const Mailbox& mailbox) {
  return parse_endpoint(mailbox.transport, {"smtp", "587", "smtps", "465"}, mailbox.security,
                        "mailbox \"" + mailbox.id + "\"'s transport");
}

SmtpSession::SmtpSession(asio::io_context& io, SmtpSessionHost& host, std::shared_ptr<asio::ssl::context> tls)
    : io_(io),
      host_(host),
      tls_context_(std::move(tls)),
      stream_(io, *tls_context_),
      watchdog_timer_(io),
      wake_timer_(io),
      resolver_(io),
      in_(read_chunk) {}

void SmtpSession::start() {
  asio::co_spawn(io_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
  asio::co_spawn(io_, [self = shared_from_this()]() { return self->watchdog(); }, asio::detached);
}

void SmtpSession::wake() { wake_timer_.cancel(); }

void SmtpSession::close() {
  closing_ = true;
  wake_timer_.cancel();
}

// ---- deadlines -------------------------------------------------------------------------------

// One timer per session guards every step: a step sets the deadline, and when it passes the
// socket is closed, which ends whatever the session was waiting for with an error.
awaitable<void> SmtpSession::watchdog() {
  while (open_) {
    if (deadline_ <= Clock::now()) {
      timed_out_ = true;
      resolver_.cancel();
      shut();
      deadline_ = Clock::time_point::max();  // the session ends now; nothing more to guard
    }
    watchdog_timer_.expires_at(deadline_);
    (void)co_await watchdog_timer_.async_wait(nothrow);
  }
}

void SmtpSession::arm(Clock::duration limit, SmtpStage stage) {
  stage_ = stage;
  deadline_ = Clock::now() + limit;
  // Waking the watchdog costs a handler; only needed when the deadline moves earlier.
  if (deadline_ < watchdog_timer_.expiry()) watchdog_timer_.expires_at(deadline_);
}

void SmtpSession::disarm() { deadline_ = Clock::time_point::max(); }

void SmtpSession::shut() {
  boost::system::error_code ignored;
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

// ---- I/O ---------------------------------------------------------------------------------------

void SmtpSession::trace(std::string_view direction, std::string_view text) const {
  const auto& sink = host_.options().trace;
  if (!sink) return;
  std::string line(direction);
  line += text;
  sink(line);
}

SendOutcome SmtpSession::fault(SmtpStage stage, const boost::system::error_code& error) const {
  const std::string where = std::string(stage_name(stage));
  if (timed_out_) return fault_outcome("timed out during " + where);
  if (error == asio::error::eof || error == asio::ssl::error::stream_truncated) {
    return fault_outcome("the server closed the connection during " + where);
  }
  return fault_outcome("network error during " + where + ": " + error.message());
}

awaitable<SmtpSession::Result<void>> SmtpSession::write(SmtpStage stage, Clock::duration limit) {
  arm(limit, stage);
  const auto [error, written] = tls_active_ ? co_await asio::async_write(stream_, asio::buffer(out_), nothrow)
                                            : co_await asio::async_write(stream_.next_layer(), asio::buffer(out_), nothrow);
  (void)written;
  if (error) co_return Fault(fault(stage, error));
  co_return Result<void>{};
}

awaitable<SmtpSession::Result<SmtpReply>> SmtpSession::read_reply(SmtpStage stage, Clock::duration limit) {
  arm(limit, stage);
  SmtpReply reply;
  while (true) {
    std::size_t consumed = 0;
    std::string error;
    const std::string_view buffered(in_.data() + in_begin_, in_end_ - in_begin_);
    const ReplyParse parsed = parse_reply(buffered, reply, consumed, error);
    if (parsed == ReplyParse::complete) {
      in_begin_ += consumed;
      if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
      if (host_.options().trace) {
        for (std::size_t i = 0; i < reply.lines.size(); ++i) {
          trace("S: ", std::to_string(reply.code) + (i + 1 < reply.lines.size() ? "-" : " ") + reply.lines[i]);
        }
      }
      co_return reply;
    }
    if (parsed == ReplyParse::malformed) {
      co_return Fault(fault_outcome("protocol error during " + std::string(stage_name(stage)) + ": " + error));
    }
    if (in_end_ == in_.size()) {
      if (in_begin_ > 0) {
        std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_), in_.begin() + static_cast<std::ptrdiff_t>(in_end_),
                  in_.begin());
        in_end_ -= in_begin_;
        in_begin_ = 0;
      } else if (in_.size() < max_in_buffer) {
        in_.resize(in_.size() * 2);
      } else {
        co_return Fault(fault_outcome("protocol error during " + std::string(stage_name(stage)) + ": reply too long"));
      }
    }
    const auto space = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
    const auto [read_error, count] = tls_active_ ? co_await stream_.async_read_some(space, nothrow)
                                                 : co_await stream_.next_layer().async_read_some(space, nothrow);
    if (read_error) co_return Fault(fault(stage, read_error));
    in_end_ += count;
  }
}

awaitable<SmtpSession::Result<SmtpReply>> SmtpSession::command(std::string line, SmtpStage stage,
                                                                std::string_view shown) {
  trace("C: ", shown.empty() ? std::string_view(line) : shown);
  out_ = std::move(line);
  out_ += "\r\n";
  const auto limit = host_.options().timeouts.command;
  if (auto written = co_await write(stage, limit); !written) co_return Fault(written.error());
  co_return co_await read_reply(stage, limit);
}

// ---- the session -------------------------------------------------------------------------------

awaitable<void> SmtpSession::run() {
  if (auto opened = co_await open(); !opened) {
    host_.setup_failed(opened.error());
  } else {
    ready_ = true;
    last_used_ = Clock::now();
    co_await serve();
    co_await quit();
  }
  open_ = false;
  disarm();
  watchdog_timer_.cancel();
  shut();
  host_.ended(*this);
}

awaitable<SmtpSession::Result<void>> SmtpSession::open() {
  const Endpoint& endpoint = host_.endpoint();
  const SmtpTimeouts& timeouts = host_.options().timeouts;
  arm(timeouts.connect, SmtpStage::connect);
  const auto [resolve_error, found] = co_await resolver_.async_resolve(endpoint.host, endpoint.port, nothrow);
  if (resolve_error || timed_out_) {
    co_return Fault(fault_outcome(timed_out_ ? "timed out resolving " + endpoint.host
                                             : "cannot resolve " + endpoint.host + ": " + resolve_error.message()));
  }
  const auto [connect_error, peer] = co_await asio::async_connect(stream_.next_layer(), found, nothrow);
  if (connect_error || timed_out_) {
    co_return Fault(fault_outcome(timed_out_ ? "timed out connecting to " + endpoint.host + ":" + endpoint.port
                                             : "cannot connect to " + endpoint.host + ":" + endpoint.port + ": " +
                                                   connect_error.message()));
  }
  (void)peer;
  host_.connected();
  boost::system::error_code ignored;
  // Pipelined commands go out in one write; no delay waiting for an acknowledgement.
  stream_.next_layer().set_option(tcp::no_delay(true), ignored);

  if (endpoint.security == Security::tls) {
    if (auto secured = co_await handshake(); !secured) co_return Fault(secured.error());
  }
  auto greeting = co_await read_reply(SmtpStage::greeting, timeouts.command);
  if (!greeting) co_return Fault(greeting.error());
  if (greeting->code != 220) co_return Fault(failure_outcome(*greeting, SmtpStage::greeting));
  if (auto said = co_await ehlo(); !said) co_return Fault(said.error());

  if (endpoint.security == Security::starttls) {
    if (!caps_.starttls) {
      co_return Fault(fault_outcome("the server does not offer STARTTLS, which the mailbox's security "
                                    "(starttls) requires; nothing was sent"));
    }
    auto reply = co_await command("STARTTLS", SmtpStage::starttls);
    if (!reply) co_return Fault(reply.error());
    if (reply->code != 220) co_return Fault(failure_outcome(*reply, SmtpStage::starttls));
    if (in_end_ != in_begin_) {
      // Anything already buffered was sent before TLS and would be read as if it came after it.
      co_return Fault(fault_outcome("the server sent data after its reply to STARTTLS, before the TLS handshake "
                                    "(a STARTTLS injection); the connection was dropped"));
    }
    if (auto secured = co_await handshake(); !secured) co_return Fault(secured.error());
    if (auto said = co_await ehlo(); !said) co_return Fault(said.error());
  }
  if (auto logged_in = co_await authenticate(); !logged_in) co_return Fault(logged_in.error());
  disarm();
  co_return Result<void>{};
}

awaitable<SmtpSession::Result<void>> SmtpSession::handshake() {
  const Endpoint& endpoint = host_.endpoint();
  SSL* ssl = stream_.native_handle();
  if (!expect_server(ssl, endpoint.host)) co_return Fault(fault_outcome("cannot set up TLS for " + endpoint.host));
  arm(host_.options().timeouts.tls, SmtpStage::tls);
  const auto [error] = co_await stream_.async_handshake(asio::ssl::stream_base::client, nothrow);
  if (error) co_return Fault(fault_outcome(handshake_failure(ssl, endpoint.host, error, timed_out_)));
  tls_active_ = true;
  co_return Result<void>{};
}

awaitable<SmtpSession::Result<void>> SmtpSession::ehlo() {
  std::string name = host_.options().helo_name;
  if (name.empty()) name = local_host_name();
  if (name.find('.') == std::string::npos || !is_command_safe(name)) {
    // RFC 5321 section 4.1.4: without a fully qualified name, the address literal.
    boost::system::error_code ec;
    const auto local = stream_.next_layer().local_endpoint(ec).address();
    name = local.is_v6() ? "[IPv6:" + local.to_string() + "]" : "[" + local.to_string() + "]";
  }
  auto reply = co_await command("EHLO " + name, SmtpStage::ehlo);
  if (!reply) co_return Fault(reply.error());
  if (reply->code != 250) co_return Fault(failure_outcome(*reply, SmtpStage::ehlo));
  caps_ = parse_capabilities(*reply);
  co_return Result<void>{};
}

awaitable<SmtpSession::Result<void>> SmtpSession::authenticate() {
  const Mailbox& mailbox = host_.mailbox();
  if (mailbox.username.empty() && mailbox.auth == SmtpAuth::best) co_return Result<void>{};
  if (!tls_active_ && !host_.endpoint().loopback) {
    co_return Fault(fault_outcome("refusing to send credentials over a connection without TLS to " +
                                  host_.endpoint().host));
  }
  SmtpAuth mechanism = mailbox.auth;
  if (mechanism == SmtpAuth::best) {
    if (caps_.auth_plain) mechanism = SmtpAuth::plain;
    else if (caps_.auth_login) mechanism = SmtpAuth::login;
    else co_return Fault(fault_outcome("the server offers neither AUTH PLAIN nor AUTH LOGIN"));
  }
  const bool offered = (mechanism == SmtpAuth::plain && caps_.auth_plain) ||
                       (mechanism == SmtpAuth::login && caps_.auth_login) ||
                       (mechanism == SmtpAuth::xoauth2 && caps_.auth_xoauth2);
  if (!offered) {
    constexpr std::array<std::string_view, 4> names{"", "PLAIN", "LOGIN", "XOAUTH2"};
    co_return Fault(fault_outcome("the server does not offer AUTH " +
                                  std::string(names[static_cast<std::size_t>(mechanism)])));
  }
  const auto& provider = host_.options().credentials;
  for (const bool refresh : {false, true}) {
    SmtpCredentials login;
    if (provider) {
      auto given = provider(mailbox, mechanism, refresh);
      if (!given) co_return Fault(fault_outcome("no credentials for mailbox \"" + mailbox.id + "\": " + given.error().message()));
      login = std::move(*given);
    } else {
      const bool oauth = mechanism == SmtpAuth::xoauth2;
      auto secret = secret_from_environment(oauth ? mailbox.token_env : mailbox.password_env,
                                            "mailbox \"" + mailbox.id + "\"", oauth ? "token_env" : "password_env");
      if (!secret) co_return Fault(fault_outcome(secret.error().message()));
      login = {mailbox.username, std::move(*secret)};
    }
    auto reply = co_await auth_exchange(mechanism, login);
    if (!reply) co_return Fault(reply.error());
    if (reply->code == 235) co_return Result<void>{};
    // An OAuth2 access token expires: the provider may give a fresh one, once.
    if (mechanism == SmtpAuth::xoauth2 && provider && !refresh && reply->code >= 500) continue;
    SendOutcome refused = failure_outcome(*reply, SmtpStage::auth);
    refused.reason = "authentication failed (" + refused.reason + ")";
    co_return Fault(refused);
  }
  co_return Fault(fault_outcome("authentication failed"));
}

awaitable<SmtpSession::Result<SmtpReply>> SmtpSession::auth_exchange(SmtpAuth mechanism, const SmtpCredentials& login) {
  switch (mechanism) {
    case SmtpAuth::plain:
      co_return co_await command("AUTH PLAIN " + sasl_plain(login.username, login.secret), SmtpStage::auth,
                                 "AUTH PLAIN <redacted>");
    case SmtpAuth::xoauth2: {
      auto reply = co_await command("AUTH XOAUTH2 " + sasl_xoauth2(login.username, login.secret),
                                    SmtpStage::auth, "AUTH XOAUTH2 <redacted>");
      // A refused token comes as a 334 challenge carrying the error; an empty line ends it.
      if (reply && reply->code == 334) co_return co_await command("", SmtpStage::auth);
      co_return reply;
    }
    case SmtpAuth::login:
    case SmtpAuth::best: {
      auto reply = co_await command("AUTH LOGIN", SmtpStage::auth);
      if (!reply || reply->code != 334) co_return reply;
      reply = co_await command(base64_of(login.username), SmtpStage::auth, "<redacted>");
      if (!reply || reply->code != 334) co_return reply;
      co_return co_await command(base64_of(login.secret), SmtpStage::auth, "<redacted>");
    }
  }
  co_return Fault(fault_outcome("unknown AUTH mechanism"));
}

// ---- transactions ------------------------------------------------------------------------------

std::optional<SmtpSession::InFlight> SmtpSession::next_job() {
  while (auto job = host_.take()) {
    const Message& message = *job->message;
    InFlight next{std::move(*job)};
    const auto unsafe = [](const std::string& address) {
      return address.find_first_of(std::string_view("\r\n\0<> ", 6)) != std::string::npos;
    };
    next.smtputf8 = message.requires_smtputf8 || !is_ascii(message.envelope_from) || !is_ascii(message.envelope_to);
    next.eight_bit = has_eight_bit(message.data);
    if (unsafe(message.envelope_from)) {
      host_.finish(next.job, fault_outcome("the sender's address cannot be written in SMTP"));
    } else if (unsafe(message.envelope_to) || message.envelope_to.empty()) {
      host_.finish(next.job, refused_outcome("5.1.3", "the recipient's address cannot be written in SMTP"));
    } else if (caps_.size_limit > 0 && message.data.size() > caps_.size_limit) {
      host_.finish(next.job, refused_outcome("5.3.4", "the message (" + std::to_string(message.data.size()) +
                                                          " bytes) is larger than the server's limit (" +
                                                          std::to_string(caps_.size_limit) + " bytes)"));
    } else if (next.smtputf8 && !caps_.smtputf8) {
      host_.finish(next.job, refused_outcome("5.6.7", "the message has a non-ASCII address and the server "
                                                      "does not offer SMTPUTF8"));
    } else if (next.eight_bit && !caps_.eight_bit_mime && !next.smtputf8) {
      host_.finish(next.job, refused_outcome("5.6.3", "the message has 8-bit data and the server does not offer "
                                                      "8BITMIME"));
    } else {
      return next;
    }
  }
  return std::nullopt;
}

void SmtpSession::append_envelope(InFlight& job) {
  const Message& message = *job.job.message;
  const std::size_t start = out_.size();
  if (need_rset_) {
    // The failed transaction before this one may have left the server with a sender.
    out_ += "RSET\r\n";
    job.rset_written = true;
    need_rset_ = false;
  }
  append_mail_from(out_, message.envelope_from, message.data.size(), job.eight_bit, job.smtputf8, caps_);
  append_rcpt_to(out_, message.envelope_to);
  out_ += "DATA\r\n";
  if (host_.options().trace) {
    std::string_view commands(out_.data() + start, out_.size() - start);
    while (!commands.empty()) {
      const std::size_t end = commands.find("\r\n");
      trace("C: ", commands.substr(0, end));
      commands.remove_prefix(end + 2);
    }
  }
  job.envelope_written = true;
}

void SmtpSession::requeue(SmtpJob& job, const SendOutcome& why) {
  // Twice: a message pipelined behind another shares that one's connection when it drops, so
  // one lost connection can cost it a try that was not its own.
  if (job.retries < max_requeues) {
    ++job.retries;
    host_.give_back(std::move(job));
  } else {
    host_.finish(job, why);
  }
}

void SmtpSession::fail_all(std::deque<InFlight>& flight, const SendOutcome& why) {
  for (InFlight& job : flight) requeue(job.job, why);
  flight.clear();
}

awaitable<SmtpSession::Envelope> SmtpSession::envelope(InFlight& current) {
  const auto limit = host_.options().timeouts.command;
  const bool pipelined = current.envelope_written;
  const bool had_rset = current.rset_written;
  std::optional<SendOutcome> refused;
  // Replies in the order the commands went: RSET (when sent), MAIL, RCPT, DATA. Without
  // pipelining each command is written once the one before it succeeded.
  std::array<SmtpStage, 4> stages{SmtpStage::rset, SmtpStage::mail, SmtpStage::rcpt, SmtpStage::data};
  for (std::size_t i = had_rset ? 0 : 1; i < stages.size(); ++i) {
    const SmtpStage stage = stages[i];
    if (!pipelined) {
      if (refused) break;
      out_.clear();
      const Message& message = *current.job.message;
      if (stage == SmtpStage::mail) {
        if (need_rset_) {
          auto reset = co_await command("RSET", SmtpStage::rset);
          if (!reset || reset->code == 421 || !reset->positive()) {
            requeue(current.job, reset ? failure_outcome(*reset, SmtpStage::rset) : reset.error());
            co_return Envelope::lost;
          }
          need_rset_ = false;
          out_.clear();
        }
        append_mail_from(out_, message.envelope_from, message.data.size(), current.eight_bit, current.smtputf8, caps_);
      } else if (stage == SmtpStage::rcpt) {
        append_rcpt_to(out_, message.envelope_to);
      } else {
        out_ += "DATA\r\n";
      }
      trace("C: ", std::string_view(out_).substr(0, out_.size() - 2));
      if (auto written = co_await write(stage, limit); !written) {
        requeue(current.job, written.error());
        co_return Envelope::lost;
      }
    }
    auto reply = co_await read_reply(stage, limit);
    if (!reply) {
      requeue(current.job, reply.error());
      co_return Envelope::lost;
    }
    if (reply->code == 421) {
      // The server is closing the connection: nothing of this message was taken.
      requeue(current.job, failure_outcome(*reply, stage));
      co_return Envelope::lost;
    }
    if (stage == SmtpStage::rset) {
      if (!reply->positive()) {
        requeue(current.job, failure_outcome(*reply, stage));
        co_return Envelope::lost;
      }
      continue;
    }
    if (stage == SmtpStage::data) {
      if (reply->code == 354 && !refused) co_return Envelope::go;
      if (reply->code == 354) {
        // A server that starts the data although a command before DATA failed gets an empty
        // message, which it must refuse for lack of a recipient.
        out_ = ".\r\n";
        trace("C: ", ".");
        if (auto written = co_await write(SmtpStage::message, limit); !written) {
          host_.finish(current.job, *refused);
          co_return Envelope::lost;
        }
        if (auto ended = co_await read_reply(SmtpStage::message, limit); !ended) {
          host_.finish(current.job, *refused);
          co_return Envelope::lost;
        }
      } else if (!refused) {
        refused = failure_outcome(*reply, stage);
      }
    } else if (!reply->positive() && !refused) {
      refused = failure_outcome(*reply, stage);
    }
  }
  need_rset_ = true;
  host_.finish(current.job, refused.value_or(fault_outcome("the server did not start the message data")));
  co_return Envelope::refused;
}

awaitable<bool> SmtpSession::wait_for_work() {
  if (closing_) co_return false;
  disarm();  // idle is not a step: only the idle timeout applies
  idle_ = true;
  const auto idle_limit = host_.options().timeouts.idle;
  const auto idle_since = last_used_;
  wake_timer_.expires_at(idle_since + idle_limit);
  const auto [error] = co_await wake_timer_.async_wait(nothrow);
  idle_ = false;
  // Not woken, or woken too late: the server has likely dropped the connection by now.
  co_return error && !closing_ && Clock::now() - idle_since < idle_limit;
}

awaitable<void> SmtpSession::serve() {
  const SmtpOptions& options = host_.options();
  const bool pipelining = options.pipelining && caps_.pipelining;
  std::deque<InFlight> flight;  // the message whose envelope is next, and (pipelined) the one after it
  while (open_) {
    if (flight.empty()) {
      auto job = next_job();
      if (!job) {
        if (!co_await wait_for_work()) break;
        continue;
      }
      flight.push_back(std::move(*job));
      if (pipelining) {
        out_.clear();
        append_envelope(flight.front());
        if (auto written = co_await write(SmtpStage::mail, options.timeouts.command); !written) {
          fail_all(flight, written.error());
          break;
        }
      }
    }
    InFlight& current = flight.front();
    const Envelope started = co_await envelope(current);
    if (started == Envelope::lost) {
      flight.pop_front();
      fail_all(flight, fault_outcome("the connection was lost"));
      break;
    }
    if (started == Envelope::refused) {
      flight.pop_front();
      last_used_ = Clock::now();
      continue;
    }

    // The data, and with pipelining the next message's envelope in the same write.
    out_.clear();
    append_dot_stuffed(out_, current.job.message->data);
    trace("C: ", "<message data, " + std::to_string(current.job.message->data.size()) + " bytes>");
    trace("C: ", ".");
    if (pipelining && flight.size() == 1 && !closing_) {
      if (auto next = next_job()) {
        flight.push_back(std::move(*next));
        append_envelope(flight.back());
      }
    }
    if (auto written = co_await write(SmtpStage::message, options.timeouts.data); !written) {
      // The final "." did not all go out: the server cannot have taken the message.
      fail_all(flight, written.error());
      break;
    }
    auto reply = co_await read_reply(SmtpStage::message, options.timeouts.data);
    if (!reply) {
      SendOutcome lost = reply.error();
      lost.maybe_delivered = true;
      lost.reason += " (after the whole message was sent: it may have been delivered)";
      host_.finish(current.job, lost);
      flight.pop_front();
      fail_all(flight, reply.error());
      break;
    }
    host_.finish(current.job, reply->positive() ? accepted_outcome(*reply) : failure_outcome(*reply, SmtpStage::message));
    flight.pop_front();
    last_used_ = Clock::now();
    if (reply->code == 421) {
      fail_all(flight, failure_outcome(*reply, SmtpStage::message));
      break;
    }
  }
  // Nothing may be left behind when the loop ends early.
  fail_all(flight, fault_outcome("the connection was closed"));
}

awaitable<void> SmtpSession::quit() {
  if (!open_ || timed_out_) co_return;
  (void)co_await command("QUIT", SmtpStage::quit);
}

}  // namespace outreach::detail
