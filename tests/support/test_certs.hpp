// Certificates for TLS tests, made with OpenSSL in a temporary folder: a CA, certificates it
// signed for this host and for another, and a self-signed one nobody trusts.
#pragma once

#include <filesystem>

namespace outreach::testing {

struct CertificateFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path key;          // PEM, unencrypted
};

struct TestCertificates {
  std::filesystem::path folder;
  std::filesystem::path ca;      // the CA's certificate: what Mailbox::ca_file names
  CertificateFiles server;       // 127.0.0.1 and localhost, signed by the CA
  CertificateFiles other_host;   // other.example, signed by the CA
  CertificateFiles self_signed;  // 127.0.0.1 and localhost, signed by itself
};

// Made on first use (EC P-256 keys, valid from an hour ago for 30 days); the folder is removed
// when the program exits. Fails the test case if OpenSSL cannot make them.
const TestCertificates& test_certificates();

}  // namespace outreach::testing
