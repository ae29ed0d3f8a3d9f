// What the network clients share: server URLs, SASL initial responses, secrets from the
// environment, TLS contexts. The handshakes themselves are tested against real servers by each
// protocol's tests.
#include <doctest/doctest.h>

#include <cstdlib>

#include "net/credentials.hpp"
#include "net/endpoint.hpp"
#include "net/sasl.hpp"
#include "net/tls.hpp"

using namespace outreach;
using namespace outreach::detail;

TEST_SUITE("net") {

constexpr UrlSchemes imap_schemes{"imap", "143", "imaps", "993"};

TEST_CASE("a server URL: scheme, host, port and security") {
  auto endpoint = parse_endpoint("imaps://imap.acme.example", imap_schemes, Security::starttls, "mailbox \"m\"");
  REQUIRE(endpoint);
  CHECK(endpoint->host == "imap.acme.example");
  CHECK(endpoint->port == "993");
  CHECK(endpoint->security == Security::tls);
  CHECK_FALSE(endpoint->loopback);

  endpoint = parse_endpoint("imap://127.0.0.1:1143", imap_schemes, Security::none, "mailbox \"m\"");
  REQUIRE(endpoint);
  CHECK(endpoint->port == "1143");
  CHECK(endpoint->security == Security::none);
  CHECK(endpoint->loopback);

  endpoint = parse_endpoint("imap://[::1]", imap_schemes, Security::starttls, "mailbox \"m\"");
  REQUIRE(endpoint);
  CHECK(endpoint->host == "::1");
  CHECK(endpoint->port == "143");
  CHECK(endpoint->security == Security::starttls);
}

TEST_CASE("a server URL that cannot be used says why and whose it is") {
  const auto refused = [](std::string_view url) {
    auto endpoint = parse_endpoint(url, imap_schemes, Security::starttls, "mailbox \"m\"'s imap");
    REQUIRE_FALSE(endpoint);
    CHECK(endpoint.error().code() == Errc::invalid_value);
    CHECK(endpoint.error().message().find("mailbox \"m\"'s imap") != std::string::npos);
    return endpoint.error().message();
  };
  CHECK(refused("smtp://mail.example").find("is not a imap:// or imaps:// URL") != std::string::npos);
  CHECK(refused("imap://").find("names no host") != std::string::npos);
  CHECK(refused("imap://[::1").find("unbalanced") != std::string::npos);
  CHECK(refused("imap://[::1]x").find("after the address") != std::string::npos);
  CHECK(refused("imap://host:0").find("port") != std::string::npos);
  CHECK(refused("imap://host:65536").find("port") != std::string::npos);
  CHECK(refused("imap://host:14x3").find("port") != std::string::npos);
}

TEST_CASE("SASL initial responses") {
  // RFC 4616 section 4's example, and Google's documented XOAUTH2 example.
  CHECK(sasl_plain("tim", "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  CHECK(sasl_xoauth2("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg") ==
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRH"
        "RXVZMjl0Q2cBAQ==");
  CHECK(base64_of("username") == "dXNlcm5hbWU=");
}

TEST_CASE("a secret comes from the variable a setting names, and its errors never show it") {
  ::setenv("OUTREACH_TEST_NET_SECRET", "hunter2", 1);
  auto secret = secret_from_environment("OUTREACH_TEST_NET_SECRET", "mailbox \"m\"", "password_env");
  REQUIRE(secret);
  CHECK(*secret == "hunter2");

  auto unnamed = secret_from_environment("", "mailbox \"m\"", "password_env");
  REQUIRE_FALSE(unnamed);
  CHECK(unnamed.error().message() == "mailbox \"m\" names no password_env");

  ::unsetenv("OUTREACH_TEST_NET_SECRET");
  auto unset = secret_from_environment("OUTREACH_TEST_NET_SECRET", "mailbox \"m\"", "password_env");
  REQUIRE_FALSE(unset);
  CHECK(unset.error().message() == "the environment variable OUTREACH_TEST_NET_SECRET is not set");
}

TEST_CASE("a TLS context trusts the named bundle or says which file it could not load") {
  auto system = make_client_tls_context(Security::tls, {}, "mailbox \"m\"");
  CHECK(system);
  auto missing = make_client_tls_context(Security::starttls, "/nonexistent/ca.pem", "mailbox \"m\"");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Errc::io_error);
  CHECK(missing.error().message().find("mailbox \"m\": cannot load the certificates to trust") == 0);
  CHECK(make_client_tls_context(Security::none, "/nonexistent/ca.pem", "mailbox \"m\""));
}

}  // TEST_SUITE
