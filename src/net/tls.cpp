#include "net/tls.hpp"

#include <openssl/x509v3.h>

#include "net/endpoint.hpp"

namespace outreach::detail {

namespace asio = boost::asio;

expected<std::shared_ptr<asio::ssl::context>> make_client_tls_context(Security security,
                                                                      const std::filesystem::path& ca_file,
                                                                      std::string_view owner) {
  try {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    if (security == Security::none) return context;
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->set_verify_mode(asio::ssl::verify_peer);
    boost::system::error_code error;
    if (ca_file.empty()) {
      context->set_default_verify_paths(error);
    } else {
      context->load_verify_file(ca_file.string(), error);
    }
    if (error) {
      return fail(Errc::io_error, std::string(owner) + ": cannot load the certificates to trust: " + error.message(),
                  Location::in(ca_file.string()));
    }
    return context;
  } catch (const std::exception& error) {
    return fail(Errc::io_error, std::string("cannot set up TLS: ") + error.what());
  }
}

bool expect_server(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  if (is_ip_address(host)) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
}

std::string handshake_failure(SSL* ssl, const std::string& host, const boost::system::error_code& error,
                              bool timed_out) {
  const long verified = SSL_get_verify_result(ssl);
  if (verified != X509_V_OK) {
    return "the certificate of " + host + " failed verification: " + X509_verify_cert_error_string(verified);
  }
  if (timed_out) return "timed out during the TLS handshake with " + host;
  return "the TLS handshake with " + host + " failed: " + error.message();
}

}  // namespace outreach::detail
