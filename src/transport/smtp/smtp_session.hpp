// One SMTP connection: connect, TLS, EHLO, AUTH, then transactions until it is idle too long,
// closed, or fails. It takes its messages from its host (the mailbox's pool), so that one
// connection can pipeline a message's end with the next message's envelope.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tl/expected.hpp>

#include "net/endpoint.hpp"
#include "transport/smtp/smtp_protocol.hpp"
#include "outreach/smtp_transport.hpp"

namespace outreach::detail {

/// The endpoint of the mailbox's smtp:// (port 587) or smtps:// (465) transport, or
/// `invalid_value`.
[[nodiscard]] expected<Endpoint> smtp_endpoint(const Mailbox& mailbox);

/// A message waiting for, or in, a transaction.
struct SmtpJob {
  std::shared_ptr<const Message> message;
  SmtpTransport::Completion done;
  int retries = 0;  // times it went back to the queue after a fault before any of it was accepted
};

/// How many times a message goes back to the queue, for a fresh connection, after a fault that
/// took none of it.
inline constexpr int max_requeues = 2;

/// What a session needs from the pool that owns it. Every call happens on the thread running
/// the transport's io_context.
class SmtpSessionHost {
 public:
  virtual ~SmtpSessionHost() = default;
  [[nodiscard]] virtual const Mailbox& mailbox() const = 0;
  [[nodiscard]] virtual const Endpoint& endpoint() const = 0;
  [[nodiscard]] virtual const SmtpOptions& options() const = 0;
  /// The next queued message, if any.
  [[nodiscard]] virtual std::optional<SmtpJob> take() = 0;
  /// Puts back a message none of which the server accepted, to be sent on another connection.
  virtual void give_back(SmtpJob job) = 0;
  /// Ends a message with its outcome.
  virtual void finish(SmtpJob& job, const SendOutcome& outcome) = 0;
  /// The TCP connection is up.
  virtual void connected() = 0;
  /// The session could not be set up (connect, TLS, greeting, EHLO, STARTTLS, AUTH).
  virtual void setup_failed(const SendOutcome& why) = 0;
  /// The session has ended (after `setup_failed` too); the host may start another.
  virtual void ended(const class SmtpSession& session) = 0;
};

/// One connection to a mailbox's server, driven by a coroutine on the transport's io_context.
class SmtpSession : public std::enable_shared_from_this<SmtpSession> {
 public:
  SmtpSession(boost::asio::io_context& io, SmtpSessionHost& host, std::shared_ptr<boost::asio::ssl::context> tls);

  /// Starts the session's coroutine.
  void start();
  /// Tells an idle session that a message is queued.
  void wake();
  /// Asks the session to say QUIT and end once its messages in flight are done.
  void close();
  /// True while it waits for work.
  [[nodiscard]] bool idle() const noexcept { return idle_; }
  /// True once EHLO (and AUTH) succeeded.
  [[nodiscard]] bool ready() const noexcept { return ready_; }

 private:
  using Clock = std::chrono::steady_clock;
  using Fault = tl::unexpected<SendOutcome>;
  template <typename T>
  using Result = tl::expected<T, SendOutcome>;

  struct InFlight {
    SmtpJob job;
    bool smtputf8 = false;
    bool eight_bit = false;
    bool envelope_written = false;  // its MAIL/RCPT/DATA are on the wire, replies unread
    bool rset_written = false;      // and an RSET before them
  };

  // The outcome of a transaction's envelope.
  enum class Envelope { go, refused, lost };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<Result<void>> open();
  boost::asio::awaitable<Result<void>> handshake();
  boost::asio::awaitable<Result<void>> ehlo();
  boost::asio::awaitable<Result<void>> authenticate();
  boost::asio::awaitable<Result<SmtpReply>> auth_exchange(SmtpAuth mechanism, const SmtpCredentials& login);
  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<Envelope> envelope(InFlight& current);
  boost::asio::awaitable<bool> wait_for_work();
  boost::asio::awaitable<void> quit();

  boost::asio::awaitable<Result<void>> write(SmtpStage stage, Clock::duration limit);
  boost::asio::awaitable<Result<SmtpReply>> read_reply(SmtpStage stage, Clock::duration limit);
  boost::asio::awaitable<Result<SmtpReply>> command(std::string line, SmtpStage stage, std::string_view shown = {});

  std::optional<InFlight> next_job();
  void append_envelope(InFlight& job);
  void requeue(SmtpJob& job, const SendOutcome& why);
  void fail_all(std::deque<InFlight>& flight, const SendOutcome& why);
  SendOutcome fault(SmtpStage stage, const boost::system::error_code& error) const;
  void arm(Clock::duration limit, SmtpStage stage);
  void disarm();
  void trace(std::string_view direction, std::string_view text) const;
  void shut();

  boost::asio::io_context& io_;
  SmtpSessionHost& host_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer wake_timer_;
  boost::asio::ip::tcp::resolver resolver_;
  Clock::time_point deadline_ = Clock::time_point::max();
  SmtpStage stage_ = SmtpStage::connect;
  bool timed_out_ = false;
  bool tls_active_ = false;
  bool idle_ = false;
  bool ready_ = false;
  bool closing_ = false;
  bool open_ = true;
  bool need_rset_ = false;
  Clock::time_point last_used_{};
  SmtpCapabilities caps_;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;
};

}  // namespace outreach::detail
