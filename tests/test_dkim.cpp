// DKIM signing: relaxed canonicalization (RFC 6376 section 3.4), key loading and its errors,
// and signatures checked here with OpenSSL's verify functions on data rebuilt from the signed
// message. The independent check (dkimpy) is tests/python/test_dkim_verify.py.
#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "detail/encoding.hpp"
#include "detail/sha256.hpp"
#include "outreach/dkim.hpp"

using outreach::DkimAlgorithm;
using outreach::DkimSigner;
using outreach::dkim_relaxed_body;
using outreach::dkim_relaxed_header;
using outreach::Errc;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate(const char* type, std::size_t rsa_bits = 0) {
  EVP_PKEY* key = rsa_bits != 0 ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, rsa_bits)
                                : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  REQUIRE(key != nullptr);
  return Pkey(key);
}

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(bio != nullptr);
  REQUIRE(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

// Generated once: RSA key generation takes a moment.
EVP_PKEY* rsa_key() {
  static const Pkey key = generate("RSA", 2048);
  return key.get();
}
EVP_PKEY* ed25519_key() {
  static const Pkey key = generate("ED25519");
  return key.get();
}

const std::string message =
    "From: Alice Doe <alice@acme.example>\r\n"
    "To: Bob <bob@example.com>\r\n"
    "Subject: Quick\r\n question\r\n"
    "Date: Tue, 01 Dec 2026 14:03:12 +0000\r\n"
    "Message-ID: <0123456789abcdef@acme.example>\r\n"
    "X-Mailer: not signed\r\n"
    "References: <a@acme.example>\r\n"
    "References: <b@acme.example>\r\n"
    "List-Unsubscribe: <https://acme.example/u/1>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Hi Bob,  \r\n"
    "\r\n"
    "A short\t\tnote.\r\n"
    "\r\n"
    "\r\n";

std::string base64(std::string_view bytes) {
  std::string out;
  outreach::detail::append_base64(out, bytes);
  return out;
}

std::string without_wsp(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  REQUIRE(length >= 0);
  std::size_t size = static_cast<std::size_t>(length);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

struct Parsed {
  std::string signature_field;            // the whole DKIM-Signature field, without final CRLF
  std::vector<std::string> fields;        // the other header fields, without final CRLF
  std::string body;
  std::map<std::string, std::string> tags;  // values without white space
};

Parsed parse(const std::string& signed_message) {
  Parsed parsed;
  const std::size_t end = signed_message.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  parsed.body = signed_message.substr(end + 4);
  std::vector<std::string> fields;
  std::size_t pos = 0;
  while (pos < end + 2) {
    const std::size_t line_end = signed_message.find("\r\n", pos);
    const std::string line = signed_message.substr(pos, line_end - pos);
    if (line[0] == ' ' || line[0] == '\t') {
      fields.back() += "\r\n" + line;
    } else {
      fields.push_back(line);
    }
    pos = line_end + 2;
  }
  REQUIRE(fields.front().rfind("DKIM-Signature:", 0) == 0);
  parsed.signature_field = fields.front();
  parsed.fields.assign(fields.begin() + 1, fields.end());
  const std::string tag_list = parsed.signature_field.substr(parsed.signature_field.find(':') + 1);
  std::size_t start = 0;
  while (start < tag_list.size()) {
    std::size_t semicolon = tag_list.find(';', start);
    if (semicolon == std::string::npos) semicolon = tag_list.size();
    const std::string tag = tag_list.substr(start, semicolon - start);
    const std::size_t equals = tag.find('=');
    if (equals != std::string::npos) parsed.tags[without_wsp(tag.substr(0, equals))] = without_wsp(tag.substr(equals + 1));
    start = semicolon + 1;
  }
  return parsed;
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// Rebuilds the signed data as a verifier does and checks the signature with the public key.
bool verifies(const std::string& signed_message, EVP_PKEY* key) {
  const Parsed parsed = parse(signed_message);
  const std::string body_hash = base64(std::string_view(
      reinterpret_cast<const char*>(outreach::detail::sha256(dkim_relaxed_body(parsed.body)).data()), 32));
  if (parsed.tags.at("bh") != body_hash) return false;
  std::string data;
  std::vector<bool> used(parsed.fields.size(), false);
  std::string names = parsed.tags.at("h");
  std::size_t start = 0;
  while (start <= names.size()) {
    std::size_t colon = names.find(':', start);
    if (colon == std::string::npos) colon = names.size();
    const std::string name = names.substr(start, colon - start);
    for (std::size_t i = parsed.fields.size(); i-- > 0;) {
      const std::string field_name = lower(parsed.fields[i].substr(0, parsed.fields[i].find(':')));
      if (!used[i] && field_name == name) {
        used[i] = true;
        data += dkim_relaxed_header(parsed.fields[i]);
        break;
      }
    }
    start = colon + 1;
  }
  const std::size_t b = parsed.signature_field.rfind("b=");
  std::string stripped = dkim_relaxed_header(parsed.signature_field.substr(0, b + 2));
  stripped.resize(stripped.size() - 2);
  data += stripped;
  const std::string signature = base64_decode(parsed.tags.at("b"));

  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(ctx != nullptr);
  bool ok = false;
  if (parsed.tags.at("a") == "rsa-sha256") {
    ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  } else {
    const auto digest = outreach::detail::sha256(data);
    ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          digest.data(), digest.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

TEST_CASE("dkim: relaxed header canonicalization") {
  CHECK(dkim_relaxed_header("Subject: Hello\r\n") == "subject:Hello\r\n");
  CHECK(dkim_relaxed_header("SUBJECT  \t:  Hello   World \t \r\n") == "subject:Hello World\r\n");
  CHECK(dkim_relaxed_header("Subject: Hello\r\n\tfolded\r\n  twice\r\n") == "subject:Hello folded twice\r\n");
  CHECK(dkim_relaxed_header("Subject:\r\n Hello") == "subject:Hello\r\n");
  CHECK(dkim_relaxed_header("X-Empty:") == "x-empty:\r\n");
  CHECK(dkim_relaxed_header("X-Empty:   \r\n") == "x-empty:\r\n");
  CHECK(dkim_relaxed_header("Content-Type: text/plain;\r\n charset=\"utf-8\"") ==
        "content-type:text/plain; charset=\"utf-8\"\r\n");
  // Case of the value is kept.
  CHECK(dkim_relaxed_header("To: Bob <BOB@Example.COM>") == "to:Bob <BOB@Example.COM>\r\n");
}

TEST_CASE("dkim: relaxed body canonicalization") {
  CHECK(dkim_relaxed_body("Hello  \t world \r\n") == "Hello world\r\n");
  CHECK(dkim_relaxed_body(" leading\r\n") == " leading\r\n");
  CHECK(dkim_relaxed_body("a\r\n\r\n\r\n") == "a\r\n");
  CHECK(dkim_relaxed_body("a\r\n \t\r\n\r\n") == "a\r\n");
  CHECK(dkim_relaxed_body("a\r\n\r\nb\r\n") == "a\r\n\r\nb\r\n");
  CHECK(dkim_relaxed_body("no final line break") == "no final line break\r\n");
  CHECK(dkim_relaxed_body("trailing  ") == "trailing\r\n");
  // RFC 6376 section 3.4.4 (and its errata): the relaxed form of an empty body is empty,
  // unlike the simple form (CRLF). dkimpy and other verifiers agree.
  CHECK(dkim_relaxed_body("") == "");
  CHECK(dkim_relaxed_body("\r\n") == "");
  CHECK(dkim_relaxed_body("\r\n\r\n  \r\n") == "");
}

TEST_CASE("dkim: RSA-SHA256 signature") {
  auto signer = DkimSigner::from_pem(to_pem(rsa_key()), "acme.example", "s1");
  REQUIRE(signer);
  CHECK(signer->algorithm() == DkimAlgorithm::rsa_sha256);
  auto signed_message = signer->sign(message);
  REQUIRE(signed_message);
  CHECK(signed_message->size() > message.size());
  CHECK(signed_message->substr(signed_message->size() - message.size()) == message);
  const Parsed parsed = parse(*signed_message);
  CHECK(parsed.tags.at("v") == "1");
  CHECK(parsed.tags.at("a") == "rsa-sha256");
  CHECK(parsed.tags.at("c") == "relaxed/relaxed");
  CHECK(parsed.tags.at("d") == "acme.example");
  CHECK(parsed.tags.at("s") == "s1");
  CHECK(parsed.tags.count("t") == 0);
  CHECK(parsed.tags.at("h") ==
        "from:to:subject:date:message-id:references:references:list-unsubscribe:list-unsubscribe-post:"
        "mime-version:content-type:content-transfer-encoding");
  CHECK(base64_decode(parsed.tags.at("b")).size() == 256);
  CHECK(verifies(*signed_message, rsa_key()));

  // Lines of the signature field are folded within 78 characters, CRLF only.
  std::size_t start = 0;
  while (start < parsed.signature_field.size()) {
    std::size_t end = parsed.signature_field.find("\r\n", start);
    if (end == std::string::npos) end = parsed.signature_field.size();
    CHECK(end - start <= 78);
    start = end + 2;
  }
  CHECK(signed_message->find('\n') == signed_message->find("\r\n") + 1);

  // Tampering breaks it.
  std::string tampered = *signed_message;
  tampered.replace(tampered.find("Quick"), 5, "Quack");
  CHECK_FALSE(verifies(tampered, rsa_key()));
  tampered = *signed_message;
  tampered.replace(tampered.find("short"), 1, "S");
  CHECK_FALSE(verifies(tampered, rsa_key()));

  // PKCS#1 v1.5 is deterministic.
  auto again = signer->sign(message);
  REQUIRE(again);
  CHECK(*again == *signed_message);
}

TEST_CASE("dkim: Ed25519-SHA256 signature") {
  auto signer = DkimSigner::from_pem(to_pem(ed25519_key()), "acme.example", "ed");
  REQUIRE(signer);
  CHECK(signer->algorithm() == DkimAlgorithm::ed25519_sha256);
  CHECK(signer->domain() == "acme.example");
  CHECK(signer->selector() == "ed");
  auto signed_message = signer->sign(message);
  REQUIRE(signed_message);
  const Parsed parsed = parse(*signed_message);
  CHECK(parsed.tags.at("a") == "ed25519-sha256");
  CHECK(base64_decode(parsed.tags.at("b")).size() == 64);
  CHECK(verifies(*signed_message, ed25519_key()));
  CHECK_FALSE(verifies(*signed_message, generate("ED25519").get()));

  auto again = signer->sign(message);
  REQUIRE(again);
  CHECK(*again == *signed_message);

  // A message without a body still signs (the body hash is that of the empty string).
  auto headers_only = signer->sign("From: a@acme.example\r\nSubject: x\r\n");
  REQUIRE(headers_only);
  CHECK(parse(*headers_only + "\r\n").tags.at("bh") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST_CASE("dkim: a signer is shared by threads") {
  auto signer = DkimSigner::from_pem(to_pem(ed25519_key()), "acme.example", "ed");
  REQUIRE(signer);
  auto expected_message = signer->sign(message);
  REQUIRE(expected_message);
  std::vector<std::string> results(4);
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i, copy = *signer] {
        for (int round = 0; round < 20; ++round) {
          auto out = (i % 2 == 0 ? copy : *signer).sign(message);
          results[i] = out ? *out : std::string();
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  for (const auto& result : results) CHECK(result == *expected_message);
}

TEST_CASE("dkim: key errors") {
  SUBCASE("not PEM") {
    auto signer = DkimSigner::from_pem("not a key", "acme.example", "s1");
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::invalid_value);
    CHECK(signer.error().message().find("not a PEM private key") != std::string::npos);
  }
  SUBCASE("a public key is not a private key") {
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PUBKEY(bio, ed25519_key()) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    auto signer = DkimSigner::from_pem(pem, "acme.example", "s1");
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::invalid_value);
  }
  SUBCASE("small RSA key") {
    auto signer = DkimSigner::from_pem(to_pem(generate("RSA", 512).get()), "acme.example", "s1");
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::invalid_value);
    CHECK(signer.error().message().find("1024") != std::string::npos);
  }
  SUBCASE("other key type") {
    auto signer = DkimSigner::from_pem(to_pem(generate("X25519").get()), "acme.example", "s1");
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::invalid_value);
  }
  SUBCASE("empty domain or selector") {
    CHECK_FALSE(DkimSigner::from_pem(to_pem(ed25519_key()), "", "s1"));
    CHECK_FALSE(DkimSigner::from_pem(to_pem(ed25519_key()), "acme.example", ""));
    CHECK_FALSE(DkimSigner::from_pem(to_pem(ed25519_key()), "acme.example", "s1; x=y"));
  }
  SUBCASE("missing file") {
    outreach::DkimSettings settings{"acme.example", "s1", "/nonexistent/dir/key.pem"};
    auto signer = DkimSigner::load(settings);
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::not_found);
    CHECK(signer.error().where().file == "/nonexistent/dir/key.pem");
  }
  SUBCASE("a directory") {
    outreach::DkimSettings settings{"acme.example", "s1", std::filesystem::temp_directory_path()};
    auto signer = DkimSigner::load(settings);
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::io_error);
  }
  SUBCASE("a file that is not a key") {
    const auto path = temp_file("outreach_test_dkim_bad.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    auto signer = DkimSigner::load({"acme.example", "s1", path});
    std::filesystem::remove(path);
    REQUIRE_FALSE(signer);
    CHECK(signer.error().code() == Errc::invalid_value);
    CHECK(signer.error().where().file == path.string());
    CHECK(signer.error().message().find("not a PEM private key") != std::string::npos);
  }
  SUBCASE("a good file") {
    const auto path = temp_file("outreach_test_dkim_good.pem", to_pem(rsa_key()));
    auto signer = DkimSigner::load({"acme.example", "s1", path});
    std::filesystem::remove(path);
    REQUIRE(signer);
    CHECK(signer->algorithm() == DkimAlgorithm::rsa_sha256);
  }
}

TEST_CASE("dkim: messages that cannot be signed") {
  auto signer = DkimSigner::from_pem(to_pem(ed25519_key()), "acme.example", "ed");
  REQUIRE(signer);
  auto no_from = signer->sign("Subject: x\r\n\r\nbody\r\n");
  REQUIRE_FALSE(no_from);
  CHECK(no_from.error().code() == Errc::invalid_value);
  auto malformed = signer->sign("From: a@acme.example\r\nnot a header\r\n\r\nbody\r\n");
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().code() == Errc::invalid_value);
  auto continuation_first = signer->sign(" folded\r\nFrom: a@acme.example\r\n\r\n");
  REQUIRE_FALSE(continuation_first);
}
