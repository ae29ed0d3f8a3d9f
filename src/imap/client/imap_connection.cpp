#include "imap/client/imap_connection.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "imap/imap_command.hpp"
#include "net/credentials.hpp"
#include "net/sasl.hpp"
#include "net/tls.hpp"
#include "outreach/version.hpp"

namespace outreach::detail::imap {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;
/// Untagged responses one command may collect; a server that sends more is refused.
constexpr std::size_t max_untagged = 200'000;
/// UIDs per FETCH command, so that its line stays short.
constexpr std::size_t uids_per_fetch = 500;

std::string_view condition_name(Condition condition) {
  switch (condition) {
    case Condition::ok: return "OK";
    case Condition::no: return "NO";
    case Condition::bad: return "BAD";
    case Condition::preauth: return "PREAUTH";
    case Condition::bye: return "BYE";
    case Condition::none: break;
  }
  return "";
}

// The server's text, shown in an error: bounded and without control characters.
std::string shown_text(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 300)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  if (text.size() > 300) out += "...";
  return out;
}

// A set of UIDs as IMAP writes it: ascending runs joined (`1:4,9,12:13`).
std::string uid_set(std::vector<std::uint32_t>::const_iterator first, std::vector<std::uint32_t>::const_iterator last) {
  std::string set;
  while (first != last) {
    auto run_end = first;
    while (std::next(run_end) != last && *std::next(run_end) == *run_end + 1) ++run_end;
    if (!set.empty()) set += ',';
    set += *run_end == *first ? std::to_string(*first) : uid_range(*first, *run_end);
    first = std::next(run_end);
  }
  return set;
}

// Message data (a body or a size) comes only in answer to a FETCH: elsewhere it was sent out of
// order, and acting on the rest of the exchange could skip or misplace messages.
bool is_message_data(const Response& response) {
  if (!response.is_data("FETCH") && !(response.values.size() >= 2 && response.values[1].is_atom("FETCH"))) return false;
  const auto item = parse_fetch(response);
  return item && (item->body || item->size);
}

}  // namespace

expected<Endpoint> imap_endpoint(const Mailbox& mailbox) {
  if (!mailbox.imap) return fail(Errc::invalid_argument, "mailbox \"" + mailbox.id + "\" has no imap settings");
  return parse_endpoint(mailbox.imap->url, {"imap", "143", "imaps", "993"}, mailbox.imap->security,
                        "mailbox \"" + mailbox.id + "\"'s imap url");
}

struct Connection::Reply {
  Response tagged;
  std::vector<Response> untagged;
};

Connection::Connection(asio::io_context& io, const Mailbox& mailbox, Endpoint endpoint,
                       std::shared_ptr<asio::ssl::context> tls, const ImapOptions& options)
    : io_(io),
      mailbox_(mailbox),
      endpoint_(std::move(endpoint)),
      tls_context_(std::move(tls)),
      options_(options),
      stream_(io, *tls_context_),
      watchdog_timer_(io),
      idle_timer_(io),
      resolver_(io),
      reader_(ReaderLimits{.max_literal = static_cast<std::size_t>(options.max_message_bytes)}),
      in_(read_chunk, '\0') {}

Connection::~Connection() { close(); }

void Connection::close() {
  open_ = false;
  boost::system::error_code ignored;
  resolver_.cancel();
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
  watchdog_timer_.cancel();
  idle_timer_.cancel();
}

void Connection::wake() {
  if (!idling_) return;
  idle_over_ = true;
  boost::system::error_code ignored;
  stream_.next_layer().cancel(ignored);
}

bool Connection::take_news() noexcept { return std::exchange(news_, false); }

// ---- deadlines ---------------------------------------------------------------------------------

// One timer guards every step: a step sets the deadline, and when it passes the socket is
// closed, which ends whatever the connection was waiting for with an error.
awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (open_) {
    if (deadline_ <= Clock::now()) {
      timed_out_ = true;
      close();
      break;
    }
    watchdog_timer_.expires_at(deadline_);
    (void)co_await watchdog_timer_.async_wait(nothrow);
  }
}

void Connection::arm(Clock::duration limit) {
  deadline_ = Clock::now() + limit;
  if (deadline_ < watchdog_timer_.expiry()) watchdog_timer_.expires_at(deadline_);
}

void Connection::disarm() { deadline_ = Clock::time_point::max(); }

// ---- errors and tracing --------------------------------------------------------------------------

void Connection::trace(std::string_view direction, std::string_view text) const {
  if (!options_.trace) return;
  std::string line(direction);
  line += text;
  options_.trace(line);
}

Error Connection::network_error(std::string_view step, const boost::system::error_code& error) const {
  const std::string server = "IMAP server " + endpoint_.host + ":" + endpoint_.port;
  if (timed_out_) return Error(Errc::unavailable, server + ": timed out during " + std::string(step));
  if (bye_) return Error(Errc::unavailable, server + " closed the connection during " + std::string(step) +
                                                ": BYE " + shown_text(bye_text_));
  if (error == asio::error::eof || error == asio::ssl::error::stream_truncated) {
    return Error(Errc::unavailable, server + " closed the connection during " + std::string(step));
  }
  return Error(Errc::unavailable, server + ": network error during " + std::string(step) + ": " + error.message());
}

Error Connection::refused(const Response& response, std::string_view step) const {
  return Error(Errc::temporary_failure, "IMAP server " + endpoint_.host + " answered " + std::string(step) + " with " +
                                            std::string(condition_name(response.condition)) + " " +
                                            shown_text(response.text));
}

Error Connection::out_of_order(std::string_view when) const {
  return Error(Errc::parse_error, "IMAP server " + endpoint_.host + " sent message data nobody asked for " +
                                      std::string(when) + " (a response out of order); the connection was dropped");
}

expected<void> Connection::check_tagged(const Response& response, std::string_view step) const {
  if (response.condition == Condition::ok) return {};
  return fail(refused(response, step));
}

void Connection::note_untagged(const Response& response) {
  if (response.condition == Condition::bye) {
    bye_ = true;
    bye_text_ = response.text;
  }
  if (carries_capabilities(response)) caps_ = parse_capabilities(response);
  if (!response.values.empty() && response.values.front().kind == Value::Kind::number && response.values.size() >= 2) {
    // `* n EXISTS`, `* n EXPUNGE`, `* n FETCH`: the folder changed.
    news_ = true;
  }
}

// ---- I/O -----------------------------------------------------------------------------------------

awaitable<expected<std::size_t>> Connection::read_some(std::string_view step) {
  const auto space = asio::buffer(in_.data(), in_.size());
  const auto [error, count] = tls_active_ ? co_await stream_.async_read_some(space, nothrow)
                                          : co_await stream_.next_layer().async_read_some(space, nothrow);
  if (error) {
    if (error == asio::error::operation_aborted && idle_over_) co_return std::size_t{0};
    co_return fail(network_error(step, error));
  }
  reader_.feed(std::string_view(in_.data(), count));
  co_return count;
}

awaitable<expected<Response>> Connection::receive(std::string_view step, Clock::duration limit) {
  arm(limit);
  while (true) {
    auto next = reader_.next();
    if (!next) {
      co_return fail(next.error().code(), "IMAP server " + endpoint_.host + " during " + std::string(step) + ": " +
                                              next.error().message());
    }
    if (*next) {
      if (options_.trace) {
        const Response& r = **next;
        std::string line = r.kind == Response::Kind::tagged ? r.tag : r.kind == Response::Kind::untagged ? "*" : "+";
        if (r.is_status()) {
          line += " " + std::string(condition_name(r.condition));
          if (!r.code.empty()) line += " [" + r.code + "]";
          line += " " + shown_text(r.text);
        } else {
          for (std::size_t i = 0; i < r.values.size() && i < 2; ++i) {
            line += " " + (r.values[i].is_list() ? std::string("(...)") : shown_text(r.values[i].text));
          }
          if (r.values.size() > 2) line += " ...";
        }
        trace("S: ", line);
      }
      co_return std::move(**next);
    }
    auto got = co_await read_some(step);
    if (!got) co_return fail(got.error());
  }
}

awaitable<expected<void>> Connection::send(std::string_view text, std::string_view step, Clock::duration limit) {
  arm(limit);
  const auto [error, written] = tls_active_ ? co_await asio::async_write(stream_, asio::buffer(text), nothrow)
                                            : co_await asio::async_write(stream_.next_layer(), asio::buffer(text), nothrow);
  (void)written;
  if (error) co_return fail(network_error(step, error));
  co_return expected<void>{};
}

awaitable<expected<Connection::Reply>> Connection::command(std::string_view text, std::string_view step,
                                                           const Untagged& untagged, std::string_view shown) {
  const std::string tag = "a" + std::to_string(next_tag_++);
  auto line = command_line(tag, text);
  if (!line) co_return fail(line.error());
  trace("C: ", tag + " " + std::string(shown.empty() ? text : shown));
  if (auto sent = co_await send(*line, step, options_.timeouts.command); !sent) co_return fail(sent.error());
  const auto limit = step == "FETCH" ? options_.timeouts.fetch : options_.timeouts.command;
  arm(limit);
  const auto deadline = deadline_;
  Reply reply;
  std::size_t seen = 0;
  while (true) {
    auto response = co_await receive(step, deadline - Clock::now());
    if (!response) co_return fail(response.error());
    switch (response->kind) {
      case Response::Kind::tagged:
        if (response->tag != tag) {
          co_return fail(Errc::parse_error, "IMAP server " + endpoint_.host + " answered " + std::string(step) +
                                                " with the tag \"" + shown_text(response->tag) + "\" instead of " + tag);
        }
        note_untagged(*response);  // a tagged OK may carry [CAPABILITY ...]
        reply.tagged = std::move(*response);
        disarm();
        co_return reply;
      case Response::Kind::continuation:
        co_return fail(Errc::parse_error, "IMAP server " + endpoint_.host + " asked for more during " +
                                              std::string(step) + ", which sends nothing more");
      case Response::Kind::untagged:
        if (++seen > max_untagged) {
          co_return fail(Errc::limit_exceeded, "IMAP server " + endpoint_.host + " sent more than " +
                                                   std::to_string(max_untagged) + " responses to " + std::string(step));
        }
        note_untagged(*response);
        if (step != "FETCH" && is_message_data(*response)) co_return fail(out_of_order("during " + std::string(step)));
        if (untagged) {
          untagged(std::move(*response));
        } else {
          reply.untagged.push_back(std::move(*response));
        }
        break;
    }
  }
}

// ---- opening -------------------------------------------------------------------------------------

awaitable<expected<void>> Connection::open() {
  asio::co_spawn(io_, watchdog(), asio::detached);
  const std::string where = endpoint_.host + ":" + endpoint_.port;
  arm(options_.timeouts.connect);
  const auto [resolve_error, found] = co_await resolver_.async_resolve(endpoint_.host, endpoint_.port, nothrow);
  if (resolve_error || timed_out_) {
    co_return fail(Errc::unavailable, timed_out_ ? "timed out resolving " + endpoint_.host
                                                 : "cannot resolve " + endpoint_.host + ": " + resolve_error.message());
  }
  const auto [connect_error, peer] = co_await asio::async_connect(stream_.next_layer(), found, nothrow);
  (void)peer;
  if (connect_error || timed_out_) {
    co_return fail(Errc::unavailable, timed_out_ ? "timed out connecting to IMAP server " + where
                                                 : "cannot connect to IMAP server " + where + ": " +
                                                       connect_error.message());
  }
  if (endpoint_.security == Security::tls) {
    if (auto secured = co_await handshake(); !secured) co_return secured;
  }
  auto greeting = co_await receive("the greeting", options_.timeouts.command);
  if (!greeting) co_return fail(greeting.error());
  if (greeting->kind != Response::Kind::untagged ||
      (greeting->condition != Condition::ok && greeting->condition != Condition::preauth)) {
    co_return fail(Errc::unavailable, "IMAP server " + where + " refused the connection: " +
                                          std::string(condition_name(greeting->condition)) + " " +
                                          shown_text(greeting->text));
  }
  note_untagged(*greeting);
  const bool preauthenticated = greeting->condition == Condition::preauth;
  if (!carries_capabilities(*greeting)) {
    if (auto read = co_await refresh_capabilities(); !read) co_return read;
  }
  if (endpoint_.security == Security::starttls) {
    if (preauthenticated) {
      // STARTTLS is only allowed before authentication: the session would stay in plain text.
      co_return fail(Errc::permanent_failure, "IMAP server " + where + " authenticated the connection before "
                                              "STARTTLS (PREAUTH), which the mailbox's security (starttls) refuses");
    }
    if (auto secured = co_await starttls(); !secured) co_return secured;
  }
  if (!preauthenticated) {
    if (auto logged_in = co_await authenticate(); !logged_in) co_return logged_in;
  }
  if (caps_.id) {
    if (auto said = co_await say_id(); !said) co_return said;
  }
  disarm();
  co_return expected<void>{};
}

awaitable<expected<void>> Connection::handshake() {
  SSL* ssl = stream_.native_handle();
  if (!expect_server(ssl, endpoint_.host)) co_return fail(Errc::unavailable, "cannot set up TLS for " + endpoint_.host);
  arm(options_.timeouts.tls);
  const auto [error] = co_await stream_.async_handshake(asio::ssl::stream_base::client, nothrow);
  if (error) co_return fail(Errc::permanent_failure, "IMAP: " + handshake_failure(ssl, endpoint_.host, error, timed_out_));
  tls_active_ = true;
  co_return expected<void>{};
}

awaitable<expected<void>> Connection::starttls() {
  if (!caps_.starttls) {
    co_return fail(Errc::permanent_failure, "IMAP server " + endpoint_.host +
                                                " does not offer STARTTLS, which the mailbox's security (starttls) "
                                                "requires; nothing was sent");
  }
  auto reply = co_await command("STARTTLS", "STARTTLS");
  if (!reply) co_return fail(reply.error());
  if (auto ok = check_tagged(reply->tagged, "STARTTLS"); !ok) co_return ok;
  if (reader_.buffered() != 0) {
    // Bytes sent before the handshake would be read as if TLS protected them.
    co_return fail(Errc::permanent_failure, "IMAP server " + endpoint_.host +
                                                " sent data after its reply to STARTTLS, before the TLS handshake "
                                                "(a STARTTLS injection); the connection was dropped");
  }
  if (auto secured = co_await handshake(); !secured) co_return secured;
  // What the server said before TLS could have been forged: ask again.
  caps_ = {};
  co_return co_await refresh_capabilities();
}

awaitable<expected<void>> Connection::refresh_capabilities() {
  auto reply = co_await command("CAPABILITY", "CAPABILITY");
  if (!reply) co_return fail(reply.error());
  co_return check_tagged(reply->tagged, "CAPABILITY");
}

awaitable<expected<Connection::Reply>> Connection::sasl_exchange(std::string_view mechanism, const std::string& initial) {
  const std::string tag = "a" + std::to_string(next_tag_++);
  const std::string verb = "AUTHENTICATE " + std::string(mechanism);
  auto line = command_line(tag, caps_.sasl_ir ? verb + " " + initial : verb);
  if (!line) co_return fail(line.error());
  trace("C: ", tag + " " + verb + (caps_.sasl_ir ? " <redacted>" : ""));
  if (auto sent = co_await send(*line, "AUTHENTICATE", options_.timeouts.command); !sent) co_return fail(sent.error());
  bool initial_sent = caps_.sasl_ir;
  Reply reply;
  for (int rounds = 0; rounds < 4; ++rounds) {
    auto response = co_await receive("AUTHENTICATE", options_.timeouts.command);
    if (!response) co_return fail(response.error());
    if (response->kind == Response::Kind::continuation) {
      // The initial response when the server asks for it; after that, a challenge can only carry
      // an error (XOAUTH2), which an empty line acknowledges.
      const std::string answer = initial_sent ? "" : initial;
      trace("C: ", initial_sent ? "" : "<redacted>");
      initial_sent = true;
      if (auto sent = co_await send(answer + "\r\n", "AUTHENTICATE", options_.timeouts.command); !sent) {
        co_return fail(sent.error());
      }
      continue;
    }
    note_untagged(*response);
    if (response->kind == Response::Kind::tagged) {
      if (response->tag != tag) break;
      reply.tagged = std::move(*response);
      co_return reply;
    }
  }
  co_return fail(Errc::parse_error, "IMAP server " + endpoint_.host + " did not end AUTHENTICATE");
}

awaitable<expected<void>> Connection::authenticate() {
  const ImapSettings& settings = *mailbox_.imap;
  if (!tls_active_ && !endpoint_.loopback) {
    co_return fail(Errc::permanent_failure, "refusing to send credentials over a connection without TLS to " +
                                                endpoint_.host);
  }
  ImapAuth mechanism = settings.auth;
  if (mechanism == ImapAuth::best) mechanism = caps_.auth_plain ? ImapAuth::plain : ImapAuth::login;
  if (mechanism == ImapAuth::login && caps_.logindisabled) {
    co_return fail(Errc::permanent_failure, "IMAP server " + endpoint_.host + " does not allow LOGIN" +
                                                (caps_.auth_plain ? "" : " and offers no AUTHENTICATE PLAIN"));
  }
  if ((mechanism == ImapAuth::plain && !caps_.auth_plain) || (mechanism == ImapAuth::xoauth2 && !caps_.auth_xoauth2)) {
    co_return fail(Errc::permanent_failure, "IMAP server " + endpoint_.host + " does not offer AUTHENTICATE " +
                                                (mechanism == ImapAuth::plain ? "PLAIN" : "XOAUTH2"));
  }
  const std::string owner = "mailbox \"" + mailbox_.id + "\"";
  for (const bool refresh : {false, true}) {
    SmtpCredentials login;
    if (options_.credentials) {
      auto given = options_.credentials(mailbox_, mechanism, refresh);
      if (!given) co_return fail(Errc::permanent_failure, "no IMAP credentials for " + owner + ": " + given.error().message());
      login = std::move(*given);
    } else {
      const bool oauth = mechanism == ImapAuth::xoauth2;
      const std::string& own = oauth ? settings.token_env : settings.password_env;
      const std::string& smtp = oauth ? mailbox_.token_env : mailbox_.password_env;
      auto secret = secret_from_environment(own.empty() ? smtp : own, owner, oauth ? "token_env" : "password_env");
      if (!secret) co_return fail(Errc::permanent_failure, secret.error().message());
      login = {settings.username.empty() ? mailbox_.username : settings.username, std::move(*secret)};
    }
    expected<Reply> reply = fail(Errc::internal, "no login");
    if (mechanism == ImapAuth::login) {
      auto user = imap::quoted(login.username);
      auto password = imap::quoted(login.secret);
      if (!user || !password) {
        co_return fail(Errc::permanent_failure, "the user name or password of " + owner +
                                                    " cannot be sent with LOGIN (a line break or non-ASCII "
                                                    "character); use \"auth\": \"plain\"");
      }
      reply = co_await command("LOGIN " + *user + " " + *password, "LOGIN", {}, "LOGIN <redacted>");
    } else if (mechanism == ImapAuth::plain) {
      reply = co_await sasl_exchange("PLAIN", sasl_plain(login.username, login.secret));
    } else {
      reply = co_await sasl_exchange("XOAUTH2", sasl_xoauth2(login.username, login.secret));
    }
    if (!reply) co_return fail(reply.error());
    if (reply->tagged.condition == Condition::ok) {
      // The capabilities may change with the login; a server that does not say them is asked.
      if (!carries_capabilities(reply->tagged)) co_return co_await refresh_capabilities();
      co_return expected<void>{};
    }
    // An OAuth2 access token expires: the provider may give a fresh one, once.
    if (mechanism == ImapAuth::xoauth2 && options_.credentials && !refresh) continue;
    co_return fail(Errc::permanent_failure, "IMAP login of " + owner + " refused by " + endpoint_.host + ": " +
                                                std::string(condition_name(reply->tagged.condition)) + " " +
                                                shown_text(reply->tagged.text));
  }
  co_return fail(Errc::permanent_failure, "IMAP login of " + owner + " refused");
}

awaitable<expected<void>> Connection::say_id() {
  // RFC 2971: some providers want a client to name itself; nothing about this machine is sent.
  auto reply = co_await command("ID (\"name\" \"outreach\" \"version\" \"" + std::string(version()) + "\")", "ID");
  if (!reply) co_return fail(reply.error());
  co_return expected<void>{};  // a refused ID is harmless
}

// ---- reading -------------------------------------------------------------------------------------

awaitable<expected<std::optional<std::string>>> Connection::find_sent_folder() {
  auto reply = co_await command(caps_.special_use ? "LIST \"\" \"*\" RETURN (SPECIAL-USE)" : "LIST \"\" \"*\"", "LIST");
  if (!reply) co_return fail(reply.error());
  if (auto ok = check_tagged(reply->tagged, "LIST"); !ok) co_return fail(ok.error());
  for (const Response& response : reply->untagged) {
    const auto item = parse_list(response);
    if (!item) continue;
    const bool sent = std::any_of(item->attributes.begin(), item->attributes.end(), [](const std::string& a) {
      return a.size() == 5 && (a[1] | 0x20) == 's' && (a[2] | 0x20) == 'e' && (a[3] | 0x20) == 'n' &&
             (a[4] | 0x20) == 't' && a[0] == '\\';
    });
    const bool selectable = std::none_of(item->attributes.begin(), item->attributes.end(), [](const std::string& a) {
      return a.size() == 9 && (a == "\\Noselect" || a == "\\NoSelect" || a == "\\NOSELECT");
    });
    if (!sent || !selectable) continue;
    auto name = decode_mailbox_name(item->name);
    if (name) co_return std::optional<std::string>(std::move(*name));
  }
  co_return std::optional<std::string>();
}

awaitable<expected<FolderState>> Connection::examine(std::string_view folder) {
  auto argument = mailbox_argument(folder);
  if (!argument) co_return fail(argument.error());
  auto reply = co_await command("EXAMINE " + *argument, "EXAMINE");
  if (!reply) co_return fail(reply.error());
  if (auto ok = check_tagged(reply->tagged, "EXAMINE " + *argument); !ok) co_return fail(ok.error());
  FolderState state;
  bool has_validity = false;
  for (const Response& response : reply->untagged) {
    if (auto validity = code_number(response, "UIDVALIDITY")) {
      state.uidvalidity = *validity;
      has_validity = true;
    } else if (auto next = code_number(response, "UIDNEXT")) {
      state.uid_next = *next;
    } else if (auto exists = exists_count(response)) {
      state.exists = *exists;
    }
  }
  if (!has_validity || state.uidvalidity == 0) {
    co_return fail(Errc::parse_error, "IMAP server " + endpoint_.host + " gave folder " + *argument +
                                          " no UIDVALIDITY; its messages cannot be told apart across sessions");
  }
  news_ = false;
  co_return state;
}

awaitable<expected<std::vector<std::uint32_t>>> Connection::uids_after(std::uint32_t last_uid,
                                                                       const FolderState& state) {
  if (last_uid == UINT32_MAX || (state.uid_next && *state.uid_next <= last_uid + 1)) {
    co_return std::vector<std::uint32_t>{};
  }
  auto uids = co_await uid_search("UID " + uid_range(last_uid + 1, std::nullopt));
  // `n:*` always matches the highest UID, even one below n.
  if (uids) std::erase_if(*uids, [&](std::uint32_t uid) { return uid <= last_uid; });
  co_return uids;
}

awaitable<expected<std::vector<std::uint32_t>>> Connection::uid_search(std::string_view criteria) {
  std::vector<std::uint32_t> found;
  auto reply = co_await command("UID SEARCH " + std::string(criteria), "SEARCH", [&](Response&& response) {
    if (!response.is_data("SEARCH") && !response.is_data("ESEARCH")) return;
    if (auto numbers = parse_search(response); numbers && found.size() + numbers->size() <= max_search_results) {
      found.insert(found.end(), numbers->begin(), numbers->end());
    }
  });
  if (!reply) co_return fail(reply.error());
  if (auto ok = check_tagged(reply->tagged, "UID SEARCH"); !ok) co_return fail(ok.error());
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  co_return found;
}

awaitable<expected<std::vector<MessageSize>>> Connection::fetch_sizes(const std::vector<std::uint32_t>& uids) {
  std::vector<MessageSize> sizes;
  for (std::size_t start = 0; start < uids.size(); start += uids_per_fetch) {
    const auto first = uids.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last = uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), start + uids_per_fetch));
    auto reply = co_await command("UID FETCH " + uid_set(first, last) + " (UID RFC822.SIZE)", "FETCH",
                                  [&](Response&& response) {
                                    const auto item = parse_fetch(response);
                                    if (item && item->uid && item->size && std::binary_search(first, last, *item->uid)) {
                                      sizes.push_back({*item->uid, *item->size});
                                    }
                                  });
    if (!reply) co_return fail(reply.error());
    if (auto ok = check_tagged(reply->tagged, "UID FETCH"); !ok) co_return fail(ok.error());
  }
  std::sort(sizes.begin(), sizes.end(), [](const MessageSize& a, const MessageSize& b) { return a.uid < b.uid; });
  sizes.erase(std::unique(sizes.begin(), sizes.end(),
                          [](const MessageSize& a, const MessageSize& b) { return a.uid == b.uid; }),
              sizes.end());
  co_return sizes;
}

awaitable<expected<void>> Connection::fetch_bodies(const std::vector<std::uint32_t>& uids,
                                                   const std::function<void(std::uint32_t, std::string&&)>& take) {
  for (std::size_t start = 0; start < uids.size(); start += uids_per_fetch) {
    const auto first = uids.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last = uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), start + uids_per_fetch));
    auto reply = co_await command("UID FETCH " + uid_set(first, last) + " (UID BODY.PEEK[])", "FETCH",
                                  [&](Response&& response) {
                                    auto item = parse_fetch(response);
                                    if (item && item->uid && item->body && item->body_section == "BODY[]" &&
                                        std::binary_search(first, last, *item->uid)) {
                                      take(*item->uid, std::move(*item->body));
                                    }
                                  });
    if (!reply) co_return fail(reply.error());
    if (auto ok = check_tagged(reply->tagged, "UID FETCH"); !ok) co_return fail(ok.error());
  }
  co_return expected<void>{};
}

awaitable<expected<IdleEnd>> Connection::idle(Clock::duration limit) {
  const std::string tag = "a" + std::to_string(next_tag_++);
  trace("C: ", tag + " IDLE");
  if (auto sent = co_await send(tag + " IDLE\r\n", "IDLE", options_.timeouts.command); !sent) co_return fail(sent.error());
  while (true) {
    auto accepted = co_await receive("IDLE", options_.timeouts.command);
    if (!accepted) co_return fail(accepted.error());
    if (accepted->kind == Response::Kind::continuation) break;
    if (accepted->kind == Response::Kind::tagged) {
      co_return fail(accepted->tag == tag ? refused(*accepted, "IDLE")
                                          : Error(Errc::parse_error, "IMAP server " + endpoint_.host +
                                                                         " answered IDLE with another tag"));
    }
    note_untagged(*accepted);
    if (is_message_data(*accepted)) co_return fail(out_of_order("before IDLE"));
  }
  IdleEnd end = IdleEnd::timeout;
  if (!news_) {
    // The wait: the socket's reads are cancelled when the time is up or `wake` is called.
    idling_ = true;
    idle_over_ = false;
    idle_timed_out_ = false;
    idle_timer_.expires_after(limit);
    idle_timer_.async_wait([weak = weak_from_this(), generation = ++idle_generation_](const boost::system::error_code& error) {
      const auto self = weak.lock();
      if (error || !self || !self->idling_ || self->idle_generation_ != generation) return;
      self->idle_timed_out_ = true;
      self->idle_over_ = true;
      boost::system::error_code ignored;
      self->stream_.next_layer().cancel(ignored);
    });
    arm(limit + options_.timeouts.command);
    while (!news_ && !idle_over_ && open_) {
      auto next = reader_.next();
      if (!next) {
        idling_ = false;
        idle_timer_.cancel();
        co_return fail(next.error().code(), "IMAP server " + endpoint_.host + " during IDLE: " + next.error().message());
      }
      if (*next) {
        const Response& response = **next;
        if (response.kind != Response::Kind::untagged) {
          idling_ = false;
          idle_timer_.cancel();
          co_return fail(Errc::parse_error, "IMAP server " + endpoint_.host + " ended IDLE on its own");
        }
        note_untagged(response);
        if (is_message_data(response)) {
          idling_ = false;
          idle_timer_.cancel();
          co_return fail(out_of_order("during IDLE"));
        }
        if (bye_) break;
        continue;
      }
      auto got = co_await read_some("IDLE");
      if (!got) {
        idling_ = false;
        idle_timer_.cancel();
        co_return fail(got.error());
      }
    }
    idling_ = false;
    idle_timer_.cancel();
    end = news_ ? IdleEnd::news : idle_timed_out_ ? IdleEnd::timeout : IdleEnd::woken;
    idle_over_ = false;
    if (!open_) co_return fail(network_error("IDLE", asio::error::operation_aborted));
  } else {
    end = IdleEnd::news;
  }
  trace("C: ", "DONE");
  if (auto sent = co_await send("DONE\r\n", "IDLE", options_.timeouts.command); !sent) co_return fail(sent.error());
  while (true) {
    auto response = co_await receive("IDLE", options_.timeouts.command);
    if (!response) co_return fail(response.error());
    if (response->kind == Response::Kind::untagged) {
      note_untagged(*response);
      continue;
    }
    if (response->kind != Response::Kind::tagged || response->tag != tag) {
      co_return fail(Errc::parse_error, "IMAP server " + endpoint_.host + " did not end IDLE with its tag");
    }
    if (auto ok = check_tagged(*response, "IDLE"); !ok) co_return fail(ok.error());
    break;
  }
  disarm();
  co_return end;
}

awaitable<expected<void>> Connection::noop() {
  auto reply = co_await command("NOOP", "NOOP");
  if (!reply) co_return fail(reply.error());
  co_return check_tagged(reply->tagged, "NOOP");
}

awaitable<void> Connection::logout() {
  if (open_ && !timed_out_) {
    const Clock::duration limit = std::min<Clock::duration>(options_.timeouts.command, std::chrono::seconds(5));
    const std::string tag = "a" + std::to_string(next_tag_++);
    trace("C: ", tag + " LOGOUT");
    if (co_await send(tag + " LOGOUT\r\n", "LOGOUT", limit)) {
      while (true) {
        auto response = co_await receive("LOGOUT", limit);
        if (!response || response->kind == Response::Kind::tagged) break;
      }
    }
  }
  close();
}

}  // namespace outreach::detail::imap
