// DKIM signing: relaxed canonicalization (RFC 6376 section 3.4), key loading and its errors,
// and signatures checked here with OpenSSL's verify functions on data rebuilt from the signed
// message. The independent check (dkimpy) is tests/mail/test_dkim_verify.py.
#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mail/encoding.hpp"
#include "util/sha256.hpp"
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

// The relaxed algorithms stated plainly, a character at a time, to hold the library's faster
// implementation to. A CR or LF that is not part of a CRLF is dropped, as the library does.
std::string reference_relaxed_line(std::string_view line) {
  std::string out;
  bool space = false;
  for (const char c : line) {
    if (c == '\r' || c == '\n') continue;
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;  // white space at the end is left out
}

std::string reference_relaxed_body(std::string_view body) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\r\n", pos);
    if (end == std::string_view::npos) end = body.size();
    lines.push_back(reference_relaxed_line(body.substr(pos, end - pos)));
    pos = end + 2;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  return out;
}

std::string reference_relaxed_header(std::string_view field) {
  while (!field.empty() && (field.back() == '\r' || field.back() == '\n')) field.remove_suffix(1);
  const std::size_t colon = field.find(':');
  std::string name(field.substr(0, colon));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  std::string value = colon == std::string_view::npos ? "" : reference_relaxed_line(field.substr(colon + 1));
  if (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return lower(name) + ":" + value + "\r\n";
}

// Text made of pieces that exercise canonicalization: runs of spaces and tabs, line breaks, stray
// CR and LF, white-space-only lines, control and 8-bit characters, long words.
std::string random_text(std::mt19937& random, std::size_t size) {
  static const std::vector<std::string> pieces = {
      " ", "  ", "\t", " \t ", "\r\n", "\r\n", "\r\n\r\n", "\r\n ", "\r\n\t", "  \r\n", "\t\r\n", " \r\n \r\n",
      "\r", "\n", "\r\r\n", "\n\r", std::string(1, '\0'), "\x0b", "\xc3\xa9", ";", "a", "word", "x y",
      "abcdefghijklmnopqrstuvwxyz0123456789"};
  std::string out;
  while (out.size() < size) out += pieces[random() % pieces.size()];
  return out;
}

std::string body_hash_of(std::string_view canonical_body) {
  const auto digest = outreach::detail::sha256(canonical_body);
  return base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// Keys kept in the source, for test signatures that must not change from one version to the
// next. Test keys only: they sign nothing else.
constexpr std::string_view fixed_ed25519_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIGm9d1DfhwxXeCB6vlbAqVTwjhiTOgP+tyzVKyWy8jHa\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view fixed_rsa1024_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAL5pPfaqkSGbu6iQ\n"
    "yR/Pd+FjmE++bSHB2rqVFNPIhEj9UUODHMfTT/y0rQCP34iLzSfuUSOHV/JrdaXZ\n"
    "FsUAEILrGgcDhgl32G7P1g+H2KHhdc/M4ILxiUoX8ZMkYv1sYG8aQdQ/U0tE5HOf\n"
    "YRMTmAwcTAif88J4zvm5RThyMDj/AgMBAAECgYBkmXPMW8d7yyy1XXF1ZgZ/RUBW\n"
    "eVRtLl9ijptHXTxO189UbPQKuyEacVap4lmGad5FR4sEy1/yy0WIDw8Rm/wcVHfZ\n"
    "ZvldzufBMyEeTJrqI0kB8kXNwPiiUthDxqyZSDZ++U4UXEKjxd/XagZenFsl1kFq\n"
    "XpcuuivoHtyfytj0uQJBAPXPehnGOj6sjyreoKZtp2m1J1OCPCCUjUzAx/qt69FE\n"
    "B5Ie+w3AXtB1ukb2a8H6FH7tqcm0m+9uTKdtWhVXjg0CQQDGTd7/Pm6j1zW4bINx\n"
    "pC8OaKx4zubSF3wY1xdPHZsW5uk65VRd646EPh/XrNfJBh46XibDuM0FWOGSmltz\n"
    "KWw7AkEAi23Sfog4RZCv7Ms3KPAOBCHjWrUG0hwxQhYf2QuKNbt25+V21kgGAAyn\n"
    "StVALlliAtVgd69gvCE+jcGzVWPCiQJBAJ0SNR2rj+tKnYx0tzCeQX+CPYp7J60l\n"
    "WPA7/oR2CM/9GqPB3i9+UyZAJuyoRUs/A1ZsGPxSNmKT4ihDB0iSeN0CQQCJwG1r\n"
    "xMYAeoE1l3ckyAPRfvwPecreuxetohsSUXc6aQHbpv5vb+4zVM/A35gUOuJfcXz4\n"
    "aLaEsOdn+2irfu9N\n"
    "-----END PRIVATE KEY-----\n";

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
  CHECK(dkim_relaxed_header("Subject:Hello") == "subject:Hello\r\n");
  CHECK(dkim_relaxed_header("Subject:  \t two  spaces") == "subject:two spaces\r\n");
  CHECK(dkim_relaxed_header("Subject: a\r\n\t \r\n b\r\n") == "subject:a b\r\n");  // a fold of white space only
  // A long folded field unfolds to one line.
  std::string folded = "Subject:";
  std::string unfolded = "subject:";
  for (int i = 0; i < 200; ++i) {
    folded += (i % 2 == 0 ? "\r\n\t" : "\r\n ") + std::string("word") + std::to_string(i);
    unfolded += (i == 0 ? "" : " ") + std::string("word") + std::to_string(i);
  }
  CHECK(dkim_relaxed_header(folded + "\r\n") == unfolded + "\r\n");
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
  CHECK(dkim_relaxed_body("\t\tlead  and\t trail \t\r\n") == " lead and trail\r\n");
  // Lines of white space inside the body become empty lines; only those at the end go.
  CHECK(dkim_relaxed_body("a\r\n  \t \r\nb\r\n") == "a\r\n\r\nb\r\n");
  CHECK(dkim_relaxed_body("\r\n \r\n\r\nb \r\n\t") == "\r\n\r\n\r\nb\r\n");
  CHECK(dkim_relaxed_body("a\r\n\r\n\r\nb") == "a\r\n\r\n\r\nb\r\n");
  CHECK(dkim_relaxed_body("end  \t") == "end\r\n");
  // A CR or LF that is not part of a CRLF is dropped (composed messages never have one).
  CHECK(dkim_relaxed_body("a\rb\nc\r\n") == "abc\r\n");
  CHECK(dkim_relaxed_body("a \r b\r\r\n") == "a b\r\n");
  CHECK(dkim_relaxed_body("\n\r\n\r") == "");
  // Very long lines, with and without white space to compress.
  std::string long_line;
  std::string long_canonical;
  for (int i = 0; i < 20000; ++i) {
    long_line += i % 3 == 0 ? "word \t " : "word ";
    long_canonical += i == 0 ? "word" : " word";
  }
  CHECK(dkim_relaxed_body(long_line + "\r\n") == long_canonical + "\r\n");
  CHECK(dkim_relaxed_body(std::string(100000, 'x')) == std::string(100000, 'x') + "\r\n");
}

TEST_CASE("dkim: relaxed canonicalization agrees with a plain statement of it on random text") {
  std::mt19937 random(6376);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(random, random() % (i % 100 == 0 ? 5000 : 200));
    CAPTURE(text);
    CHECK(dkim_relaxed_body(text) == reference_relaxed_body(text));
    const std::string field = "X-Name" + std::string(i % 3 == 0 ? " \t" : "") + ":" + text;
    CHECK(dkim_relaxed_header(field) == reference_relaxed_header(field));
  }
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
  for (EVP_PKEY* key : {ed25519_key(), rsa_key()}) {
    CAPTURE(EVP_PKEY_get_base_id(key));
    auto signer = DkimSigner::from_pem(to_pem(key), "acme.example", "s1");
    REQUIRE(signer);
    auto expected_message = signer->sign(message);
    REQUIRE(expected_message);
    std::vector<int> mismatches(4, 0);
    {
      std::vector<std::thread> threads;
      for (std::size_t i = 0; i < mismatches.size(); ++i) {
        threads.emplace_back([&, i, copy = *signer] {
          for (int round = 0; round < 20; ++round) {
            auto out = (i % 2 == 0 ? copy : *signer).sign(message);
            if (!out || *out != *expected_message) ++mismatches[i];
          }
        });
      }
      for (auto& thread : threads) thread.join();
    }
    for (const int count : mismatches) CHECK(count == 0);
  }
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

TEST_CASE("dkim: bodies at the edges sign and verify") {
  std::string tabbed_paragraph;  // many spaces to insert: more than one buffer of them
  for (int i = 0; i < 3000; ++i) tabbed_paragraph += i % 50 == 49 ? "w\t\r\n" : "w\t";
  std::string long_lines;
  for (int i = 0; i < 50; ++i) long_lines += std::string(200 + static_cast<std::size_t>(i), 'y') + "\r\n";
  const std::vector<std::string> bodies = {
      "",
      "\r\n",
      "no final line break",
      "no final line break, trailing white space \t ",
      "text\r\n \t \r\n\r\n  \r\n",                  // white-space lines at the end
      "\r\n\r\nafter two empty lines\r\n",
      " \r\n\t\r\nafter two white-space lines\r\n",
      "\t\tindented\r\n  and  spaced\tout \r\n",
      "a\rstray CR and\na stray LF\r\n",
      std::string(70000, 'z') + "\r\n",             // one line longer than any buffer
      tabbed_paragraph,
      long_lines,
      message.substr(message.find("\r\n\r\n") + 4),
  };
  for (EVP_PKEY* key : {ed25519_key(), rsa_key()}) {
    auto signer = DkimSigner::from_pem(to_pem(key), "acme.example", "s1");
    REQUIRE(signer);
    for (const auto& body : bodies) {
      CAPTURE(body.substr(0, 60));
      const std::string whole = "From: a@acme.example\r\nSubject: edge\r\n\r\n" + body;
      auto signed_message = signer->sign(whole);
      REQUIRE(signed_message);
      CHECK(signed_message->ends_with(whole));
      CHECK(parse(*signed_message).tags.at("bh") == body_hash_of(reference_relaxed_body(body)));
      CHECK(verifies(*signed_message, key));
    }
  }
}

TEST_CASE("dkim: fixed keys keep their signatures") {
  // Ed25519 and RSA PKCS#1 v1.5 are deterministic: these bytes come from an earlier version and
  // must not change (the body hash is that of "Hi Bob,\r\n\r\nA short note.\r\n\r\n\r\n
  // last line without break\r\n", computed apart).
  const std::string pinned_message =
      "From: Alice Doe <alice@acme.example>\r\n"
      "To: Bob <bob@example.com>\r\n"
      "Subject: Quick\r\n question\r\n"
      "Date: Tue, 01 Dec 2026 14:03:12 +0000\r\n"
      "Message-ID: <0123456789abcdef@acme.example>\r\n"
      "X-Mailer: not signed\r\n"
      "References: <a@acme.example>\r\n"
      "References: <b@acme.example>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "Hi Bob,  \r\n\r\nA short\t\tnote.\r\n \t\r\n\r\nlast line\twithout break  ";
  const std::string ed25519_field =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=acme.example;\r\n"
      " s=pin; h=from:to:subject:date:message-id:references:references:mime-version\r\n"
      " :content-type; bh=TQkBAEA31G8MufGy3Bng3g1qSuj3FJ1RHogs19FGS00=;\r\n"
      " b=T3mUIJ0Ylw2SeAeTt5a0yYLovuKUHpSeivdk/McohrW2AxAm1ltVyWGy7rA+CBLuFWyCl+0PaBs\r\n"
      " Z6zPX3r0cBw==\r\n";
  const std::string rsa_field =
      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.example; s=pin;\r\n"
      " h=from:to:subject:date:message-id:references:references:mime-version\r\n"
      " :content-type; bh=TQkBAEA31G8MufGy3Bng3g1qSuj3FJ1RHogs19FGS00=;\r\n"
      " b=L4AIy5GDog3hqevNRORMxVHbRDSyhxj6hmlflLd9CXNiW+tRlTgZVPFK4McFOe4SqiKb9AyhyLu\r\n"
      " /CUKQemoPgfjcaTjB8Y5cL560TDpsHWPzVKaeY8F3Caf7TUCDz4VWUwSXiL93cuhaz46LPKySPiC8\r\n"
      " WeeedMu+sy+jPP/cv+M=\r\n";
  auto ed25519 = DkimSigner::from_pem(fixed_ed25519_pem, "acme.example", "pin");
  REQUIRE(ed25519);
  auto ed25519_signed = ed25519->sign(pinned_message);
  REQUIRE(ed25519_signed);
  CHECK(*ed25519_signed == ed25519_field + pinned_message);
  auto rsa = DkimSigner::from_pem(fixed_rsa1024_pem, "acme.example", "pin");
  REQUIRE(rsa);
  auto rsa_signed = rsa->sign(pinned_message);
  REQUIRE(rsa_signed);
  CHECK(*rsa_signed == rsa_field + pinned_message);
}

// Found by fuzz_dkim: an RSA key whose numbers do not make a key loaded, and every signature
// with it then failed.
TEST_CASE("dkim: an RSA key whose numbers do not make a key is refused when it loads") {
  constexpr std::string_view damaged =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXAIBAAKBgQDPF3nXtIzwwZnkJsvXkC7x3g8Ir/YMF5KySf4vRw1SCi3VbRXp\n"
    "ZP8PoHEWc0w+tYY+0oPWCvYoqmquvXbYnt6yaP0EXxs7XkMAoGFeNHO2q4tNhPvD\n"
    "pIb5DSaKheJdrT+v5/TYs0qlAcexEnzYRrpSY5xJporB4qdGqgav/Z74awIDAQAB\n"
    "AoGAebuXB9E+OBfV2mNj16cNsWeS9sxYmesRdHRCUpA1qFALeTXSd4vC0vDBCS1l\n"
    "WEdkTnF4xc1TvbvPUkBVKCjbRn1xKZkSV2Q8NeS07oyEv2kr2KbvKwgvM19hzk16\n"
    "ElLYXdteY6iBH+MG03TRLvw63cvCKj1buM3gtoLelRkwCaECQQD0+Oa7A6NIrrBX\n"
    "M5MXvHoGY5DS+W+YCRYzKWHBCqdZZumB+ceCSHgKBXJyTj61V6fVuLrfjXEKuk0D\n"
    "LMf0ukt0AkEA2GoId8F4FyZ3rCx4JM0PaxuNC0TLPdZnO8We5h6NLJ9GpxNXiBvS\n"
    "1Ml1Rz0CDDrO33BsQIEJOVxmQ4m2VIIYXwJBAJ7CxH3FEMhk9kG9WgHTE14antwr\n"
    "7cehc/K6SfEan3RQPtsObt8fajRMbWxpCzjpUwsuimWhO/aQ4KJDHl+bcJUCQBAI\n"
    "Mt5kR7g3UlA/7xqS0lyV6un1y7SmCHnGFxJnGwA+QGaqKSbdIM5Aql5/p4IubRri\n"
    "YjKZHIzSSoUgU5CJHrMCQGe1VTico2lD2qdjk5oAwzh6HE6AiMRqGbC6Uth5eTVx\n"
    "nBKx/9D1vbKNoDcyjEUcty4nrNr3t+Ir1Ob/FvZgd54=\n"
    "-----END RSA PRIVATE KEY-----\n";
  const auto signer = DkimSigner::from_pem(damaged, "acme.example", "s1");
  REQUIRE_FALSE(signer);
  CHECK(signer.error().code() == Errc::invalid_value);
}
