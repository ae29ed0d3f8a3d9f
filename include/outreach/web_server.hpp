/// @file web_server.hpp
/// @brief `WebServer`: the HTTP server of `outreach serve`, beside the engine that runs a
/// store. Public routes answer the campaigns' one-click unsubscribe links (RFC 8058); private
/// routes show the report pages, a read-only JSON API, `/healthz` and `/metrics`
/// (docs/web.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "outreach/error.hpp"

namespace outreach {

/// @brief How a `WebServer` listens and what it allows.
struct WebServerOptions {
  std::string store;                   ///< The store's location (`outreach.db`); it must exist.
  std::string listen = "127.0.0.1:8080";  ///< `HOST:PORT` (an IPv6 address in brackets); port 0 picks a free one.
  std::filesystem::path tls_certificate;  ///< PEM certificate chain: HTTPS when set, with `tls_key`.
  std::filesystem::path tls_key;          ///< PEM private key.
  /// The bearer token private routes need (`OUTREACH_SERVE_TOKEN`); empty: private routes are
  /// served only when listening on loopback, and never to a request that came through a proxy.
  std::string token;
  std::size_t max_connections = 256;      ///< Connections open at once; more are answered 503 and closed.
  std::size_t max_header_bytes = 8192;    ///< A request's line and headers.
  std::size_t max_body_bytes = 16384;     ///< A request's body.
  /// Time to read a whole request, from its first byte or from the end of the one before: a
  /// client that trickles its headers is dropped when it runs out.
  std::chrono::milliseconds read_deadline{10000};
  std::chrono::milliseconds write_deadline{10000};  ///< Time to write a response.
  int failed_tokens_per_minute = 30;      ///< Bad links one client address may try a minute before 429.
  /// One line for each notable thing (start, refused configurations, store errors); none: quiet.
  std::function<void(std::string_view)> log;
};

/// @brief The HTTP server. Opened, it has read the store's campaigns and bound its address;
/// `run` serves until `stop`.
class WebServer {
 public:
  /// @brief Opens the store (for handing in requests, beside a running engine), checks every
  /// campaign's unsubscribe secret, loads the TLS certificate when asked, and binds.
  /// @param options How to listen.
  /// @return The server; or the error: the store, a campaign whose links cannot be checked
  /// (its `unsubscribe.secret_env` unset or under `Engine::min_unsubscribe_secret` bytes), the
  /// certificate, the address.
  [[nodiscard]] static expected<std::unique_ptr<WebServer>> open(WebServerOptions options);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  /// @brief The port it listens on (the one picked, for port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// @brief Serves until `stop` is called (from any thread or a signal handler's thread).
  void run();

  /// @brief Stops `run`: connections are closed, requests being answered are dropped.
  void stop() noexcept;

 private:
  struct Impl;
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace outreach
