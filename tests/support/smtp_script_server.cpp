#include "support/smtp_script_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "support/smtp_script_session.hpp"

namespace outreach::testing {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("scripted SMTP server: " + what + ": " + std::strerror(errno));
}

[[noreturn]] void tls_fail(const std::string& what) {
  char text[256] = {};
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  throw std::runtime_error("scripted SMTP server: " + what + ": " + text);
}

SSL_CTX* make_tls_context(const SmtpScript& script) {
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr) tls_fail("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(context, script.certificate.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, script.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context) != 1) {
    SSL_CTX_free(context);
    tls_fail("certificate " + script.certificate.string());
  }
  return context;
}

}  // namespace

SmtpScriptServer::SmtpScriptServer(SmtpScript script) : script_(std::move(script)) {
  // A client that leaves while TLS data is written would otherwise kill the test program:
  // OpenSSL writes to the socket without MSG_NOSIGNAL.
  std::signal(SIGPIPE, SIG_IGN);
  if (script_.tls != SmtpTls::none) tls_ = make_tls_context(script_);

  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // any free port
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(listener_, 16) != 0) fail("listen");
  if (::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
  port_ = ntohs(address.sin_port);
  stop_event_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_event_ < 0) fail("eventfd");
  acceptor_ = std::thread([this] { accept_connections(); });
}

SmtpScriptServer::~SmtpScriptServer() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(stop_event_, &one, sizeof one);
  {
    // Wakes sessions blocked in a read, a write or a TLS handshake.
    std::scoped_lock lock(mutex_);
    for (const int socket : open_sockets_) ::shutdown(socket, SHUT_RDWR);
  }
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& session : sessions_) session.join();  // no new ones once the acceptor ended
  if (tls_ != nullptr) SSL_CTX_free(tls_);
  ::close(listener_);
  ::close(stop_event_);
}

std::string SmtpScriptServer::url() const {
  return std::string(script_.tls == SmtpTls::implicit ? "smtps" : "smtp") + "://127.0.0.1:" + std::to_string(port_);
}

bool SmtpScriptServer::wait_until_idle(std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return open_sockets_.empty(); });
}

void SmtpScriptServer::accept_connections() {
  while (true) {
    pollfd waits[2] = {{listener_, POLLIN, 0}, {stop_event_, POLLIN, 0}};
    if (::poll(waits, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (waits[1].revents != 0) return;
    const int socket = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (socket < 0) continue;
    const int on = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::scoped_lock lock(mutex_);
    if (stopping_) {
      ::close(socket);
      return;
    }
    open_sockets_.insert(socket);
    sessions_.emplace_back([this, socket] { serve(socket); });
  }
}

void SmtpScriptServer::serve(int socket) {
  {
    SmtpScriptSession session(script_, log_, tls_, socket, stop_event_, stopping_);
    session.run();
  }
  // Closed under the lock, so that the destructor never shuts a reused descriptor.
  std::scoped_lock lock(mutex_);
  open_sockets_.erase(socket);
  ::close(socket);
  idle_.notify_all();
}

}  // namespace outreach::testing
