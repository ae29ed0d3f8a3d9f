// One IMAP4rev1 connection on Boost.Asio and OpenSSL: connect, TLS (implicit or required
// STARTTLS), log in, then the few read-only commands a mail reader needs. Every step has a
// deadline; the server's bytes go through the bounded response reader; user strings reach a
// command only quoted or encoded. It never changes the mailbox: EXAMINE, never SELECT, and
// BODY.PEEK, never BODY.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "imap/imap_response.hpp"
#include "net/endpoint.hpp"
#include "outreach/error.hpp"
#include "outreach/imap_reader.hpp"
#include "outreach/mailbox.hpp"

namespace outreach::detail::imap {

/// What EXAMINE said about a folder.
struct FolderState {
  std::uint32_t uidvalidity = 0;
  std::optional<std::uint32_t> uid_next;
  std::uint32_t exists = 0;
};

/// A message's UID and its size (RFC822.SIZE).
struct MessageSize {
  std::uint32_t uid = 0;
  std::uint64_t size = 0;
};

/// How an IDLE ended.
enum class IdleEnd : std::uint8_t {
  news,     ///< The server said something changed (EXISTS, EXPUNGE, FETCH, ...).
  timeout,  ///< Its time was up.
  woken,    ///< `wake` was called.
};

/// The endpoint of a mailbox's imap:// (port 143) or imaps:// (993) URL, or `invalid_value`.
[[nodiscard]] expected<Endpoint> imap_endpoint(const Mailbox& mailbox);

/// One connection to a mailbox's IMAP server. Its coroutines run on one io_context; one command
/// at a time. Any error leaves the connection unusable (`close` it); errors are `unavailable`
/// (network, timeout, the server's BYE or NO/BAD), `permanent_failure` (login refused, an
/// untrusted certificate, STARTTLS missing or attacked) and `parse_error`/`limit_exceeded`
/// (a response that is not IMAP or too large), with messages that name the server and the step.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::io_context& io, const Mailbox& mailbox, Endpoint endpoint,
             std::shared_ptr<boost::asio::ssl::context> tls, const ImapOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Connects, secures the connection, reads the capabilities, logs in, and says ID when offered.
  [[nodiscard]] boost::asio::awaitable<expected<void>> open();
  /// The name of the folder with the `\Sent` special use (RFC 6154), UTF-8; nothing when none has it.
  [[nodiscard]] boost::asio::awaitable<expected<std::optional<std::string>>> find_sent_folder();
  /// Opens a folder (UTF-8 name) read-only.
  [[nodiscard]] boost::asio::awaitable<expected<FolderState>> examine(std::string_view folder);
  /// `UID SEARCH <criteria>`; the UIDs found, ascending. `criteria` is written as given: build it
  /// from the command helpers only.
  [[nodiscard]] boost::asio::awaitable<expected<std::vector<std::uint32_t>>> uid_search(std::string_view criteria);
  /// The UIDs above `last_uid` in the folder `state` describes (examined last), ascending; none
  /// without a search when its UIDNEXT says nothing came since.
  [[nodiscard]] boost::asio::awaitable<expected<std::vector<std::uint32_t>>> uids_after(std::uint32_t last_uid,
                                                                                        const FolderState& state);
  /// The sizes of the messages with these UIDs (those still there), ascending by UID.
  [[nodiscard]] boost::asio::awaitable<expected<std::vector<MessageSize>>> fetch_sizes(
      const std::vector<std::uint32_t>& uids);
  /// The whole messages with these UIDs, each handed to `take` as it arrives (UID, bytes).
  [[nodiscard]] boost::asio::awaitable<expected<void>> fetch_bodies(
      const std::vector<std::uint32_t>& uids, const std::function<void(std::uint32_t, std::string&&)>& take);
  /// Waits in IDLE (RFC 2177) for news on the folder examined last, at most `limit`.
  [[nodiscard]] boost::asio::awaitable<expected<IdleEnd>> idle(std::chrono::steady_clock::duration limit);
  /// `NOOP`: keeps the connection alive and lets the server report news.
  [[nodiscard]] boost::asio::awaitable<expected<void>> noop();
  /// `LOGOUT`, then the connection is closed; errors are ignored.
  [[nodiscard]] boost::asio::awaitable<void> logout();
  /// Ends an `idle` early (from the connection's thread); no effect otherwise.
  void wake();
  /// Closes the socket at once; any command in progress ends with an error. A connection whose
  /// `open` was called lives until it is closed (by this, `logout`, or an error's deadline).
  void close();

  /// The server's capabilities, as read last.
  [[nodiscard]] const Capabilities& capabilities() const noexcept { return caps_; }
  /// Untagged news seen since the last call (EXISTS and the like outside IDLE).
  [[nodiscard]] bool take_news() noexcept;

 private:
  using Clock = std::chrono::steady_clock;
  struct Reply;
  using Untagged = std::function<void(Response&&)>;

  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<expected<void>> handshake();
  boost::asio::awaitable<expected<void>> starttls();
  boost::asio::awaitable<expected<void>> refresh_capabilities();
  boost::asio::awaitable<expected<void>> authenticate();
  boost::asio::awaitable<expected<Reply>> sasl_exchange(std::string_view mechanism, const std::string& initial);
  boost::asio::awaitable<expected<void>> say_id();
  boost::asio::awaitable<expected<Reply>> command(std::string_view text, std::string_view step,
                                                  const Untagged& untagged = {}, std::string_view shown = {});
  boost::asio::awaitable<expected<void>> send(std::string_view text, std::string_view step, Clock::duration limit);
  boost::asio::awaitable<expected<Response>> receive(std::string_view step, Clock::duration limit);
  boost::asio::awaitable<expected<std::size_t>> read_some(std::string_view step);
  expected<void> check_tagged(const Response& response, std::string_view step) const;
  Error network_error(std::string_view step, const boost::system::error_code& error) const;
  Error refused(const Response& response, std::string_view step) const;
  Error out_of_order(std::string_view when) const;
  void note_untagged(const Response& response);
  void arm(Clock::duration limit);
  void disarm();
  void trace(std::string_view direction, std::string_view text) const;

  boost::asio::io_context& io_;
  const Mailbox& mailbox_;
  Endpoint endpoint_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  const ImapOptions& options_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::ip::tcp::resolver resolver_;
  Clock::time_point deadline_ = Clock::time_point::max();
  ResponseReader reader_;
  Capabilities caps_;
  std::string in_;
  std::string out_;
  std::uint32_t next_tag_ = 1;
  bool tls_active_ = false;
  bool timed_out_ = false;
  bool open_ = true;
  bool idling_ = false;
  bool idle_over_ = false;       // the wait in IDLE ends: its time is up or `wake` was called
  bool idle_timed_out_ = false;  // ... because its time is up
  std::uint64_t idle_generation_ = 0;
  bool news_ = false;
  bool bye_ = false;
  std::string bye_text_;
};

}  // namespace outreach::detail::imap
