// libFuzzer target for DKIM key files (dkim.hpp) and the relaxed canonicalization. The first
// byte picks what the rest is: a PEM key (even) or a header field and a body (odd). Besides
// crashes, leaks and hangs, it checks the promises: a key that loads signs a small message with
// its algorithm's signature; a canonical header is `name:value` CRLF with a lower-case name
// and no white space around the colon or before the CRLF; a canonical body is empty or ends in
// one CRLF; both canonical forms are idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "outreach/dkim.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::fuzz::require;

constexpr std::string_view message =
    "From: Ada <ada@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Hello\r\n"
    "\r\n"
    "Hi Bob.\r\n";

void check_key(std::string_view pem) {
  const auto signer = outreach::DkimSigner::from_pem(pem, "example.com", "fuzz");
  if (!signer) {
    require(signer.error().code() == outreach::Errc::invalid_value, "a key that does not load is invalid_value");
    return;
  }
  const auto signed_message = signer->sign(message);
  require(signed_message.has_value(), "a key that loads signs");
  const std::string_view algorithm =
      signer->algorithm() == outreach::DkimAlgorithm::rsa_sha256 ? "a=rsa-sha256;" : "a=ed25519-sha256;";
  require(signed_message->starts_with("DKIM-Signature:"), "a signed message starts with its signature");
  require(signed_message->find(algorithm) != std::string::npos, "the signature names the key's algorithm");
  require(signed_message->ends_with(message), "signing only prepends the signature");
}

void check_canonical_forms(std::string_view input) {
  const std::size_t split = input.find("\r\n\r\n");
  const std::string_view field = input.substr(0, split);
  const std::string_view body = split == std::string_view::npos ? std::string_view{} : input.substr(split + 4);

  const std::string header = outreach::dkim_relaxed_header(field);
  require(header.ends_with("\r\n"), "a canonical header ends with CRLF");
  const std::string_view content(header.data(), header.size() - 2);
  const std::size_t colon = content.find(':');
  if (colon != std::string_view::npos) {
    for (std::size_t i = 0; i < colon; ++i) {
      require(!(content[i] >= 'A' && content[i] <= 'Z'), "a canonical header name is lower case");
    }
    require(colon == 0 || (content[colon - 1] != ' ' && content[colon - 1] != '\t'), "no space before the colon");
    require(colon + 1 == content.size() || (content[colon + 1] != ' ' && content[colon + 1] != '\t'),
            "no space after the colon");
    require(content.empty() || (content.back() != ' ' && content.back() != '\t'), "no space at the end");
    require(outreach::dkim_relaxed_header(header) == header, "the canonical header is canonical");
  }

  const std::string canonical_body = outreach::dkim_relaxed_body(body);
  require(canonical_body.empty() || (canonical_body.ends_with("\r\n") && !canonical_body.ends_with("\r\n\r\n")),
          "a canonical body is empty or ends in one CRLF");
  require(outreach::dkim_relaxed_body(canonical_body) == canonical_body, "the canonical body is canonical");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    check_key(input);
  } else {
    check_canonical_forms(input);
  }
  return 0;
}
