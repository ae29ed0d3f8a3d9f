// The HTTP server: Beast on one Asio thread, the answers on a small pool (an unsubscribe may
// wait for a send under way), each connection bounded in size, time and number. The only
// translation unit that includes Beast, which compiles slowly.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <utility>

#include "outreach/open_store.hpp"
#include "outreach/web_server.hpp"
#include "serve/web_app.hpp"
#include "util/host_port.hpp"

namespace outreach {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Answers are worked out here, off the network thread.
constexpr std::size_t answer_threads = 4;

// What the connections share. Destroyed in reverse order: the acceptor and the I/O context first,
// whose handlers still own sessions that count connections and use the TLS context and the app.
struct Server {
  WebServerOptions options;
  std::atomic<std::size_t> connections{0};
  std::optional<asio::ssl::context> tls;
  std::unique_ptr<detail::WebApp> app;
  asio::thread_pool workers{answer_threads};
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};

  void accept();
  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }
};

// One connection: requests read one after the other (keep-alive), each answered in turn.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Server& server, Stream stream, std::string client)
      : server_(server), stream_(std::move(stream)), client_(std::move(client)) {
    ++server_.connections;
  }
  ~Session() { --server_.connections; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(server_.options.read_deadline);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code error) {
        if (!error) self->read();
      });
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    parser_->body_limit(server_.options.max_body_bytes);
    // One deadline for the whole request: headers sent a line a second run out of it.
    beast::get_lowest_layer(stream_).expires_after(server_.options.read_deadline);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
  }

  void on_read(beast::error_code error) {
    if (error == http::error::end_of_stream || error == beast::error::timeout || error == asio::error::eof ||
        error == asio::error::connection_reset || error == asio::error::operation_aborted) {
      return close();
    }
    if (error == http::error::header_limit) return refuse(http::status::request_header_fields_too_large, "headers too large\n");
    if (error == http::error::body_limit) return refuse(http::status::payload_too_large, "body too large\n");
    if (error) return refuse(http::status::bad_request, "malformed request\n");

    const auto& message = parser_->get();
    detail::WebRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.content_type = std::string(message[http::field::content_type]);
    request.authorization = std::string(message[http::field::authorization]);
    request.body = message.body();
    request.client = client_;
    request.user_agent = std::string(message[http::field::user_agent]);
    // Whatever a proxy may add: such a request never gets the private routes without a token.
    request.forwarded = message.count(http::field::forwarded) > 0 || message.count(http::field::via) > 0 ||
                        message.count("X-Forwarded-For") > 0 || message.count("X-Real-IP") > 0 ||
                        message.count("X-Forwarded-Host") > 0 || message.count("X-Forwarded-Proto") > 0;
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    head_ = message.method() == http::verb::head;
    asio::post(server_.workers, [self = this->shared_from_this(), request = std::move(request)] {
      detail::WebResponse response;
      try {
        response = self->server_.app->handle(request);
      } catch (const std::exception& failure) {  // out of memory, a store that threw: this request fails, not the server
        self->server_.log(std::string("a request failed: ") + failure.what());
        response = detail::WebResponse{};
        response.status = 500;
        response.content_type = "text/plain; charset=utf-8";
        response.body = "internal error\n";
        response.headers = detail::common_headers();
      }
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->respond(std::move(response), self->keep_alive_);
      });
    });
  }

  void refuse(http::status status, std::string_view why) {
    detail::WebResponse response;
    response.status = static_cast<int>(status);
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string(why);
    response.headers = detail::common_headers();
    version_ = 11;
    head_ = false;
    refused_ = true;
    respond(std::move(response), false);
  }

  void respond(detail::WebResponse answer, bool keep_alive) {
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::server, "outreach");
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    if (head_) {
      // The length a GET would have, and no body.
      response_.content_length(answer.body.size());
    } else {
      response_.body() = std::move(answer.body);
      response_.prepare_payload();
    }
    beast::get_lowest_layer(stream_).expires_after(server_.options.write_deadline);
    http::async_write(stream_, response_, [self = this->shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
      if (error) return self->close();
      if (!keep_alive) return self->refused_ ? self->linger() : self->close();
      self->read();
    });
  }

  // After a refusal the client may still be sending what was refused: closing at once would
  // reset the connection and lose the answer. Stop sending, drop what arrives for a moment,
  // then close.
  void linger() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
    drain();
  }
  void drain() {
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(drained_), [self = this->shared_from_this()](beast::error_code error, std::size_t) {
          if (error) return self->close();
          self->drain();
        });
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  Server& server_;
  Stream stream_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  bool head_ = false;     // the request was HEAD: headers only
  bool refused_ = false;  // refused before it was read whole
  unsigned version_ = 11;
  std::array<char, 4096> drained_{};
};

// Past the cap: a short 503, then the connection is closed.
void turn_away(tcp::socket socket) {
  auto held = std::make_shared<tcp::socket>(std::move(socket));
  static constexpr std::string_view busy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
  asio::async_write(*held, asio::buffer(busy.data(), busy.size()), [held](beast::error_code, std::size_t) {
    beast::error_code ignored;
    held->shutdown(tcp::socket::shutdown_both, ignored);
    held->close(ignored);
  });
}

void Server::accept() {
  acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;  // stopped
    if (error) {
      // Out of file descriptors, say: tried again shortly rather than at once, in a loop.
      log("cannot accept a connection: " + error.message());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code waited) {
        if (!waited) accept();
      });
      return;
    }
    {
      if (connections.load() >= options.max_connections) {
        // A 503 is plain text: a TLS client would read it as a broken handshake, so it is only closed.
        if (tls) {
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          turn_away(std::move(socket));
        }
      } else {
        beast::error_code ignored;
        const auto peer = socket.remote_endpoint(ignored);
        std::string client = ignored ? std::string("unknown") : peer.address().to_string();
        if (tls) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), std::move(client))
              ->start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)), std::move(client))->start();
        }
      }
    }
    accept();
  });
}

}  // namespace

struct WebServer::Impl : Server {};

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebServer::~WebServer() {
  stop();
  impl_->workers.join();
}

expected<std::unique_ptr<WebServer>> WebServer::open(WebServerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  const WebServerOptions& o = impl->options;

  // The address first: what is wrong with the command line is said before the store is read.
  const detail::HostPort parts = detail::split_host_port(o.listen);
  if (parts.problem || !parts.port || parts.host.empty() || (*parts.port != "0" && !detail::is_port_number(*parts.port))) {
    return fail(Errc::invalid_argument, "listen: expected HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080, not \"" +
                                            o.listen + "\"");
  }
  beast::error_code error;
  std::vector<tcp::endpoint> endpoints;
  {
    tcp::resolver resolver(impl->io);
    const auto found = resolver.resolve(std::string(parts.host), std::string(*parts.port),
                                        tcp::resolver::numeric_service | tcp::resolver::passive, error);
    if (error) return fail(Errc::invalid_argument, "listen: cannot resolve " + std::string(parts.host) + ": " + error.message());
    for (const auto& entry : found) endpoints.push_back(entry.endpoint());
  }
  if (endpoints.empty()) return fail(Errc::invalid_argument, "listen: " + std::string(parts.host) + " has no address");
  const tcp::endpoint endpoint = endpoints.front();

  if (!o.tls_certificate.empty() || !o.tls_key.empty()) {
    if (o.tls_certificate.empty() || o.tls_key.empty()) {
      return fail(Errc::invalid_argument, "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
    }
    impl->tls.emplace(asio::ssl::context::tls_server);
    impl->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    impl->tls->use_certificate_chain_file(o.tls_certificate.string(), error);
    if (error) return fail(Errc::invalid_value, o.tls_certificate.string() + ": not a PEM certificate chain: " + error.message());
    impl->tls->use_private_key_file(o.tls_key.string(), asio::ssl::context::pem, error);
    if (error) return fail(Errc::invalid_value, o.tls_key.string() + ": not the PEM key of the certificate: " + error.message());
  }

  auto store = open_store(o.store, {.access = StoreAccess::inbox, .durability = StoreDurability::power});
  if (!store) return fail(store.error());
  auto app = detail::WebApp::open(std::move(*store), {.token = o.token,
                                                      .loopback_only = endpoint.address().is_loopback(),
                                                      .failed_tokens_per_minute = o.failed_tokens_per_minute,
                                                      .in_flight_wait = std::chrono::milliseconds(30000),
                                                      .log = o.log});
  if (!app) return fail(app.error());
  impl->app = std::move(*app);

  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return fail(Errc::unavailable, "cannot listen on " + o.listen + ": " + error.message());
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

std::uint16_t WebServer::port() const noexcept {
  beast::error_code ignored;
  return impl_->acceptor.local_endpoint(ignored).port();
}

void WebServer::run() {
  impl_->accept();
  impl_->io.run();
}

void WebServer::stop() noexcept {
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    impl->io.stop();
  });
}

}  // namespace outreach
