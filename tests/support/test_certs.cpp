#include "support/test_certs.hpp"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace outreach::testing {

namespace {

namespace fs = std::filesystem;

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateFree {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Certificate = std::unique_ptr<X509, CertificateFree>;

[[noreturn]] void openssl_failed(const std::string& what) {
  char text[256] = {};
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  throw std::runtime_error("test certificates: " + what + ": " + text);
}

void require(bool ok, const char* what) {
  if (!ok) openssl_failed(what);
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  require(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  require(extension != nullptr, value);
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  require(added == 1, "X509_add_ext");
}

struct Subject {
  const char* common_name;
  const char* alt_names;  // subjectAltName value; nullptr for the CA
};

// A certificate for `key`, signed by `issuer` (itself when null).
Certificate make_certificate(const Subject& subject, EVP_PKEY* key, long serial, X509* issuer,
                             EVP_PKEY* issuer_key) {
  Certificate certificate(X509_new());
  require(certificate != nullptr, "X509_new");
  X509* cert = certificate.get();
  require(X509_set_version(cert, 2) == 1, "X509_set_version");
  require(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial) == 1, "serial number");
  require(X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600) != nullptr, "notAfter");
  require(X509_set_pubkey(cert, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert);
  require(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("outreach tests"), -1, -1, 0) == 1,
          "O");
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(subject.common_name), -1, -1, 0) == 1,
          "CN");
  X509* signer = issuer != nullptr ? issuer : cert;
  require(X509_set_issuer_name(cert, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");

  add_extension(cert, signer, NID_subject_key_identifier, "hash");
  add_extension(cert, signer, NID_authority_key_identifier, "keyid:always");
  if (subject.alt_names == nullptr) {
    add_extension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert, signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert, signer, NID_ext_key_usage, "serverAuth");
    add_extension(cert, signer, NID_subject_alt_name, subject.alt_names);
  }
  require(X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return certificate;
}

std::unique_ptr<BIO, BioFree> open_for_writing(const fs::path& path) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "w"));
  require(bio != nullptr, path.c_str());
  return bio;
}

void write_certificate(X509* certificate, const fs::path& path) {
  auto bio = open_for_writing(path);
  require(PEM_write_bio_X509(bio.get(), certificate) == 1, "PEM_write_bio_X509");
}

void write_key(EVP_PKEY* key, const fs::path& path) {
  auto bio = open_for_writing(path);
  require(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
}

CertificateFiles write_pair(const fs::path& folder, const char* stem, X509* certificate, EVP_PKEY* key) {
  CertificateFiles files{folder / (std::string(stem) + ".pem"), folder / (std::string(stem) + ".key")};
  write_certificate(certificate, files.certificate);
  write_key(key, files.key);
  return files;
}

struct OwnedCertificates {
  TestCertificates files;

  OwnedCertificates() {
    std::string pattern = (fs::temp_directory_path() / "outreach-certs-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("test certificates: mkdtemp failed");
    files.folder = pattern;

    const Key ca_key = new_key();
    const Certificate ca = make_certificate({"outreach test CA", nullptr}, ca_key.get(), 1, nullptr, nullptr);
    files.ca = files.folder / "ca.pem";
    write_certificate(ca.get(), files.ca);

    const Key server_key = new_key();
    const Certificate server = make_certificate({"localhost", "DNS:localhost,IP:127.0.0.1"}, server_key.get(), 2,
                                                ca.get(), ca_key.get());
    files.server = write_pair(files.folder, "server", server.get(), server_key.get());

    const Key other_key = new_key();
    const Certificate other = make_certificate({"other.example", "DNS:other.example"}, other_key.get(), 3, ca.get(),
                                               ca_key.get());
    files.other_host = write_pair(files.folder, "other-host", other.get(), other_key.get());

    const Key lone_key = new_key();
    const Certificate lone = make_certificate({"localhost", "DNS:localhost,IP:127.0.0.1"}, lone_key.get(), 4,
                                              nullptr, nullptr);
    files.self_signed = write_pair(files.folder, "self-signed", lone.get(), lone_key.get());
  }

  ~OwnedCertificates() {
    std::error_code ignored;
    fs::remove_all(files.folder, ignored);
  }
  OwnedCertificates(const OwnedCertificates&) = delete;
  OwnedCertificates& operator=(const OwnedCertificates&) = delete;
};

}  // namespace

const TestCertificates& test_certificates() {
  try {
    static const OwnedCertificates made;
    return made.files;
  } catch (const std::exception& error) {
    FAIL(error.what());
    throw;  // not reached: FAIL ends the test case
  }
}

}  // namespace outreach::testing
