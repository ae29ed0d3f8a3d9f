// TLS for a client: a context that verifies the server, and the server's name set on each
// connection (SNI and the certificate's host-name check).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <openssl/ssl.h>

#include "outreach/error.hpp"
#include "outreach/mailbox.hpp"

namespace outreach::detail {

/// A client context: TLS 1.2 or later, the peer verified against `ca_file` (a PEM bundle) or,
/// when it is empty, the system's CAs. With `Security::none` the context has no trust store
/// (reading the system's costs milliseconds) and must not be used for TLS. `owner` names the
/// setting's owner in errors (`mailbox "alice"`).
[[nodiscard]] expected<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(
    Security security, const std::filesystem::path& ca_file, std::string_view owner);

/// Prepares a connection's handshake with `host`: SNI and the host-name check for a name (no
/// partial wildcards), the IP check for an address (RFC 6066 forbids addresses in SNI), and
/// peer verification. False when OpenSSL refused the name.
[[nodiscard]] bool expect_server(SSL* ssl, const std::string& host);

/// Why a handshake with `host` failed, in words: a certificate that did not verify (and why),
/// a timeout, or the transport's error.
[[nodiscard]] std::string handshake_failure(SSL* ssl, const std::string& host, const boost::system::error_code& error,
                                            bool timed_out);

}  // namespace outreach::detail
