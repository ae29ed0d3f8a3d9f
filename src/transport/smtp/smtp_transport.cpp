#include "outreach/smtp_transport.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>

#include "net/credentials.hpp"
#include "net/tls.hpp"
#include "transport/smtp/smtp_session.hpp"

namespace outreach {

namespace asio = boost::asio;
using detail::SmtpJob;
using detail::SmtpSession;

namespace {

// Mailboxes with the same connection settings share connections.
bool same_connection(const Mailbox& a, const Mailbox& b) {
  return a.transport == b.transport && a.security == b.security && a.username == b.username && a.auth == b.auth &&
         a.password_env == b.password_env && a.token_env == b.token_env && a.ca_file == b.ca_file;
}

bool needs_auth(const Mailbox& mailbox) { return !mailbox.username.empty() || mailbox.auth != SmtpAuth::best; }

// ---- one mailbox's connections ---------------------------------------------------------------

/// The queue and the connections of one mailbox.
class SmtpPool final : public detail::SmtpSessionHost {
 public:
  SmtpPool(asio::io_context& io, const SmtpOptions& options, std::size_t& pending, std::size_t& opened, Mailbox mailbox)
      : io_(io),
        options_(options),
        pending_(pending),
        opened_(opened),
        mailbox_(std::move(mailbox)),
        limit_(std::max<std::size_t>(1, options.connections_per_mailbox)) {}

  void submit(SmtpJob job) {
    ++pending_;
    closed_ = false;  // a transport may be used again after close()
    if (!prepared_) prepare();
    if (setup_error_) {
      finish(job, *setup_error_);
      return;
    }
    if (last_failure_ && std::chrono::steady_clock::now() < failed_until_) {
      finish(job, *last_failure_);
      return;
    }
    queue_.push_back(std::move(job));
    dispatch();
  }

  void close() {
    closed_ = true;
    while (!queue_.empty()) {
      SmtpJob job = std::move(queue_.front());
      queue_.pop_front();
      finish(job, detail::fault_outcome("the transport was closed before the message was sent"));
    }
    for (const auto& session : sessions_) session->close();
  }

  [[nodiscard]] bool has_sessions() const noexcept { return !sessions_.empty(); }

  // ---- SmtpSessionHost ----
  const Mailbox& mailbox() const override { return mailbox_; }
  const detail::Endpoint& endpoint() const override { return endpoint_; }
  const SmtpOptions& options() const override { return options_; }

  std::optional<SmtpJob> take() override {
    if (queue_.empty()) return std::nullopt;
    SmtpJob job = std::move(queue_.front());
    queue_.pop_front();
    return job;
  }

  void give_back(SmtpJob job) override {
    if (closed_) {
      finish(job, detail::fault_outcome("the transport was closed before the message was sent"));
      return;
    }
    queue_.push_front(std::move(job));
    dispatch();
  }

  void finish(SmtpJob& job, const SendOutcome& outcome) override {
    --pending_;
    auto done = std::move(job.done);
    if (done) done(outcome);
  }

  void connected() override { ++opened_; }

  void setup_failed(const SendOutcome& why) override {
    const auto ready = static_cast<std::size_t>(
        std::count_if(sessions_.begin(), sessions_.end(), [](const auto& session) { return session->ready(); }));
    if (ready > 0) {
      // The server takes no more connections than those it has: stay with them.
      limit_ = ready;
      return;
    }
    // Without a working connection every queued message would wait for the same failure, and
    // so would the next ones for a while.
    last_failure_ = why;
    last_failure_->reason += " (messages for this mailbox fail at once for the next " +
                             std::to_string(options_.timeouts.retry_setup.count()) + " ms)";
    failed_until_ = std::chrono::steady_clock::now() + options_.timeouts.retry_setup;
    while (!queue_.empty()) {
      SmtpJob job = std::move(queue_.front());
      queue_.pop_front();
      finish(job, why);
    }
  }

  void ended(const SmtpSession& session) override {
    std::erase_if(sessions_, [&](const auto& open) { return open.get() == &session; });
    dispatch();
  }

 private:
  void prepare() {
    prepared_ = true;
    auto endpoint = detail::smtp_endpoint(mailbox_);
    if (!endpoint) {
      setup_error_ = detail::fault_outcome(endpoint.error().message());
      return;
    }
    endpoint_ = std::move(*endpoint);
    auto context = detail::make_client_tls_context(mailbox_.security, mailbox_.ca_file, "mailbox \"" + mailbox_.id + "\"");
    if (!context) {
      setup_error_ = detail::fault_outcome(context.error().message());
      return;
    }
    tls_ = std::move(*context);
  }

  // Idle connections take the queue first; more open while the queue is longer than the
  // connections there are (so a lone send reuses the one it finds).
  void dispatch() {
    if (queue_.empty() || closed_) return;
    for (const auto& session : sessions_) {
      if (session->idle()) session->wake();
    }
    while (sessions_.size() < limit_ && queue_.size() > sessions_.size()) {
      auto session = std::make_shared<SmtpSession>(io_, *this, tls_);
      sessions_.push_back(session);
      session->start();
    }
  }

  asio::io_context& io_;
  const SmtpOptions& options_;
  std::size_t& pending_;
  std::size_t& opened_;
  Mailbox mailbox_;
  std::size_t limit_;  // most sessions at once
  bool prepared_ = false;
  bool closed_ = false;  // close() was called: no new session, nothing put back
  std::optional<SendOutcome> setup_error_;  // the mailbox's settings cannot work at all
  std::optional<SendOutcome> last_failure_;  // the last session that could not be set up ...
  std::chrono::steady_clock::time_point failed_until_{};  // ... and until when it stands
  detail::Endpoint endpoint_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::deque<SmtpJob> queue_;
  std::vector<std::shared_ptr<SmtpSession>> sessions_;
};

}  // namespace

// ---- the transport ---------------------------------------------------------------------------

struct SmtpTransport::Impl {
  explicit Impl(SmtpOptions settings) : options(std::move(settings)) {}

  SmtpOptions options;
  std::size_t pending = 0;
  std::size_t opened = 0;
  asio::io_context io;
  // By mailbox id; a mailbox whose connection settings changed gets a pool of its own.
  std::map<std::string, std::vector<std::unique_ptr<SmtpPool>>, std::less<>> pools;

  SmtpPool& pool_for(const Mailbox& mailbox) {
    auto found = pools.find(mailbox.id);
    if (found == pools.end()) found = pools.emplace(mailbox.id, std::vector<std::unique_ptr<SmtpPool>>{}).first;
    for (const auto& pool : found->second) {
      if (same_connection(pool->mailbox(), mailbox)) return *pool;
    }
    found->second.push_back(std::make_unique<SmtpPool>(io, options, pending, opened, mailbox));
    return *found->second.back();
  }

  // Runs the io_context one handler at a time until `done` says so.
  template <typename Done>
  void run_until(Done done) {
    while (!done()) {
      if (io.stopped()) io.restart();
      if (io.run_one() == 0) break;
    }
  }
};

SmtpTransport::SmtpTransport(SmtpOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

SmtpTransport::~SmtpTransport() { close(); }

SendOutcome SmtpTransport::send(const Mailbox& mailbox, const Message& message) {
  std::optional<SendOutcome> result;
  // The caller's message outlives the call, and the call waits for the outcome: no copy.
  std::shared_ptr<const Message> borrowed(std::shared_ptr<const Message>{}, &message);
  SmtpPool& pool = impl_->pool_for(mailbox);
  pool.submit(SmtpJob{std::move(borrowed), [&result](const SendOutcome& outcome) { result = outcome; }});
  impl_->run_until([&] { return result.has_value(); });
  // Never reached while a connection or the queue has work; if it were, the borrowed message
  // must not stay queued.
  if (!result) pool.close();
  return result ? *result : detail::fault_outcome("the SMTP transport stopped before the message was sent");
}

void SmtpTransport::send_all(std::span<const Handover> group, std::span<SendOutcome> outcomes) {
  std::vector<bool> done(group.size(), false);
  std::size_t waiting = group.size();
  for (std::size_t i = 0; i < group.size(); ++i) {
    // As in `send`: the caller's messages outlive the call, which waits for every outcome.
    std::shared_ptr<const Message> borrowed(std::shared_ptr<const Message>{}, group[i].message);
    impl_->pool_for(*group[i].mailbox).submit(SmtpJob{std::move(borrowed), [&, i](const SendOutcome& outcome) {
      outcomes[i] = outcome;
      done[i] = true;
      --waiting;
    }});
  }
  impl_->run_until([&] { return waiting == 0; });
  if (waiting == 0) return;
  // Never reached while a connection or a queue has work; if it were, no borrowed message may
  // stay queued.
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (done[i]) continue;
    impl_->pool_for(*group[i].mailbox).close();
    outcomes[i] = detail::fault_outcome("the SMTP transport stopped before the message was sent");
  }
}

std::size_t SmtpTransport::group_size() const {
  const SmtpOptions& options = impl_->options;
  return std::max<std::size_t>(1, options.connections_per_mailbox) * (options.pipelining ? 2 : 1);
}

expected<void> SmtpTransport::check(const Mailbox& mailbox) const {
  auto endpoint = detail::smtp_endpoint(mailbox);
  if (!endpoint) return fail(endpoint.error().code(), endpoint.error().message());
  if (!mailbox.ca_file.empty()) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(mailbox.ca_file, error)) {
      return fail(Errc::not_found, "mailbox \"" + mailbox.id + "\": the ca_file does not exist",
                  Location::in(mailbox.ca_file.string()));
    }
  }
  if (needs_auth(mailbox) && !impl_->options.credentials) {
    const bool oauth = mailbox.auth == SmtpAuth::xoauth2;
    auto secret = detail::secret_from_environment(oauth ? mailbox.token_env : mailbox.password_env,
                                                  "mailbox \"" + mailbox.id + "\" logs in as \"" + mailbox.username +
                                                      "\" but",
                                                  oauth ? "token_env" : "password_env");
    if (!secret) return fail(secret.error().code(), secret.error().message());
  }
  return {};
}

void SmtpTransport::submit(const Mailbox& mailbox, Message message, Completion done) {
  impl_->pool_for(mailbox).submit(SmtpJob{std::make_shared<const Message>(std::move(message)), std::move(done)});
}

void SmtpTransport::flush() {
  impl_->run_until([&] { return impl_->pending == 0; });
}

void SmtpTransport::close() {
  for (auto& [id, pools] : impl_->pools) {
    for (auto& pool : pools) pool->close();
  }
  impl_->run_until([&] {
    for (const auto& [id, pools] : impl_->pools) {
      for (const auto& pool : pools) {
        if (pool->has_sessions()) return false;
      }
    }
    return true;
  });
}

std::size_t SmtpTransport::connections_opened() const noexcept { return impl_->opened; }

}  // namespace outreach
