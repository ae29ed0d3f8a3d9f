// A blocking reader of one mailbox: the connection's coroutines driven on a private io_context
// until each call's result is there. The connection is kept between calls and dropped after any
// failure, so a call never goes on from a state it does not know.
#include "outreach/imap_reader.hpp"

#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "imap/client/imap_connection.hpp"
#include "net/tls.hpp"

namespace outreach {

namespace asio = boost::asio;
using detail::imap::Connection;

struct ImapReader::Session {
  Mailbox mailbox;
  ImapOptions options;
  asio::io_context io;
  std::shared_ptr<Connection> connection;

  // Runs one of the connection's coroutines to its end; the connection's watchdog may still
  // wait on the io_context, so only as long as the result is not there.
  template <class T>
  expected<T> wait_for(asio::awaitable<expected<T>> task) {
    std::optional<expected<T>> result;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr error, expected<T> value) {
      if (error) {
        result = fail(Errc::internal, "the IMAP reader of mailbox \"" + mailbox.id + "\" stopped on an exception");
      } else {
        result = std::move(value);
      }
    });
    io.restart();
    while (!result && io.run_one() > 0) {
    }
    if (!result) return fail(Errc::internal, "the IMAP reader of mailbox \"" + mailbox.id + "\" lost its work");
    return std::move(*result);
  }

  expected<Connection*> connected() {
    if (connection) return connection.get();
    if (!mailbox.imap) return fail(Errc::invalid_value, "mailbox \"" + mailbox.id + "\" has no imap settings");
    auto endpoint = detail::imap::imap_endpoint(mailbox);
    if (!endpoint) return fail(endpoint.error());
    const auto& ca_file = mailbox.imap->ca_file.empty() ? mailbox.ca_file : mailbox.imap->ca_file;
    auto tls = detail::make_client_tls_context(endpoint->security, ca_file, "mailbox \"" + mailbox.id + "\"'s imap");
    if (!tls) return fail(tls.error());
    connection = std::make_shared<Connection>(io, mailbox, std::move(*endpoint), std::move(*tls), options);
    if (auto opened = wait_for(connection->open()); !opened) {
      drop();
      return fail(opened.error());
    }
    return connection.get();
  }

  // After a failure: the connection is in a state nobody knows.
  void drop() {
    if (!connection) return;
    connection->close();
    connection.reset();
    io.restart();
    io.poll();  // lets the closed connection's handlers end
  }

  // A failure leaves the connection in a state nobody knows, except an argument refused before
  // anything was sent (a folder name with CR, LF or NUL).
  template <class T>
  expected<T> kept(expected<T> result) {
    if (!result && result.error().code() != Errc::invalid_value) drop();
    return result;
  }
};

ImapReader::ImapReader(Mailbox mailbox, ImapOptions options) : session_(std::make_unique<Session>()) {
  session_->mailbox = std::move(mailbox);
  session_->options = std::move(options);
}

ImapReader::~ImapReader() { close(); }

expected<FolderListing> ImapReader::list_new(std::string_view folder, std::uint32_t uidvalidity,
                                             std::uint32_t after_uid) {
  Session& s = *session_;
  auto connection = s.connected();
  if (!connection) return fail(connection.error());
  auto state = s.kept(s.wait_for((*connection)->examine(folder)));
  if (!state) return fail(state.error());
  FolderListing listing{.uidvalidity = state->uidvalidity, .uid_next = state->uid_next, .messages = {}};
  const std::uint32_t after = uidvalidity == state->uidvalidity ? after_uid : 0;
  auto uids = s.kept(s.wait_for((*connection)->uids_after(after, *state)));
  if (!uids) return fail(uids.error());
  if (uids->empty()) return listing;
  auto sizes = s.kept(s.wait_for((*connection)->fetch_sizes(*uids)));
  if (!sizes) return fail(sizes.error());
  for (const detail::imap::MessageSize& message : *sizes) listing.messages.push_back({message.uid, message.size});
  return listing;
}

expected<std::string> ImapReader::fetch(std::string_view folder, std::uint32_t uid) {
  Session& s = *session_;
  if (uid == 0) return fail(Errc::not_found, "no message has UID 0 (UIDs start at 1)");
  auto connection = s.connected();
  if (!connection) return fail(connection.error());
  if (auto state = s.kept(s.wait_for((*connection)->examine(folder))); !state) return fail(state.error());
  auto sizes = s.kept(s.wait_for((*connection)->fetch_sizes({uid})));
  if (!sizes) return fail(sizes.error());
  const std::string where = "message UID " + std::to_string(uid) + " of \"" + std::string(folder) + "\" in mailbox \"" +
                            s.mailbox.id + "\"";
  if (sizes->empty()) return fail(Errc::not_found, "no " + where);
  if (sizes->front().size > s.options.max_message_bytes) {
    return fail(Errc::limit_exceeded, where + " is " + std::to_string(sizes->front().size) +
                                          " bytes, over the limit of " + std::to_string(s.options.max_message_bytes));
  }
  std::optional<std::string> body;
  auto fetched = s.kept(s.wait_for((*connection)->fetch_bodies(
      {uid}, [&](std::uint32_t, std::string&& bytes) { body = std::move(bytes); })));
  if (!fetched) return fail(fetched.error());
  if (!body) return fail(Errc::not_found, "no " + where + " (deleted meanwhile)");
  return std::move(*body);
}

void ImapReader::close() {
  Session& s = *session_;
  if (!s.connection) return;
  std::optional<bool> done;
  asio::co_spawn(s.io, s.connection->logout(), [&](std::exception_ptr) { done = true; });
  s.io.restart();
  while (!done && s.io.run_one() > 0) {
  }
  s.drop();
}

}  // namespace outreach
