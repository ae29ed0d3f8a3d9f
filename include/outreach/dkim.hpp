/// @file dkim.hpp
/// @brief `DkimSigner`: DKIM signatures (RFC 6376) with RSA-SHA256 or Ed25519-SHA256 (RFC 8463),
/// relaxed/relaxed canonicalization.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "outreach/error.hpp"

namespace outreach {

/// @brief DKIM signing settings: `d=domain; s=selector`, key from a PEM file (RSA or Ed25519).
struct DkimSettings {
  std::string domain;              ///< The signing domain (`d=`).
  std::string selector;            ///< The selector (`s=`).
  std::filesystem::path key_file;  ///< The private key (PEM), resolved against the campaign file.
  /// @brief Settings compare equal when every part is equal.
  friend bool operator==(const DkimSettings&, const DkimSettings&) = default;
};

/// @brief The signing algorithm of a DKIM key.
enum class DkimAlgorithm : std::uint8_t {
  rsa_sha256,      ///< `a=rsa-sha256`: RSASSA-PKCS1-v1_5 with SHA-256 (RSA keys of 1024 bits or more).
  ed25519_sha256,  ///< `a=ed25519-sha256` (RFC 8463): Ed25519 over the SHA-256 of the headers.
};

/// @brief The relaxed canonical form of one header field (RFC 6376 section 3.4.2).
///
/// The name is lower-cased, the value unfolded, runs of spaces and tabs become one space, and
/// white space around the colon and at the end is removed. The result ends with CRLF.
/// @param field One whole header field, `Name: value`, with any folding and with or without its
/// final CRLF.
/// @return `name:value\r\n`.
[[nodiscard]] std::string dkim_relaxed_header(std::string_view field);

/// @brief The relaxed canonical form of a message body (RFC 6376 section 3.4.4).
///
/// Runs of spaces and tabs inside a line become one space, white space at the end of each
/// line is removed, and empty lines at the end of the body are removed. A non-empty result
/// ends with CRLF; an empty body (or one of only empty lines) canonicalizes to the empty string,
/// as RFC 6376 prescribes for the relaxed algorithm.
/// @param body The body, with CRLF line ends.
/// @return The canonical body.
[[nodiscard]] std::string dkim_relaxed_body(std::string_view body);

/// @brief Signs composed messages with one DKIM key: an immutable value that is cheap to copy
/// and safe to use from several threads at once.
///
/// A signature covers those of `From`, `To`, `Subject`, `Date`, `Message-ID`, `In-Reply-To`,
/// `References`, `List-Unsubscribe`, `List-Unsubscribe-Post`, `MIME-Version`, `Content-Type`
/// and `Content-Transfer-Encoding` that the message has (each once per occurrence). It has no
/// `t=` tag, so the same message and key always give the same signature (both RSA PKCS#1 v1.5
/// and Ed25519 are deterministic); receivers do not need `t=`.
class DkimSigner {
 public:
  /// @brief Loads the PEM private key named by the settings.
  /// @param settings The signing domain (`d=`), selector (`s=`) and key file (PEM, RSA of at
  /// least 1024 bits or Ed25519; not encrypted).
  /// @return The signer; or `not_found` when the file does not exist, `io_error` when it cannot
  /// be read, `invalid_value` when it is not a usable PEM private key or the domain or selector
  /// is empty. File errors carry the file as their location.
  [[nodiscard]] static expected<DkimSigner> load(const DkimSettings& settings);

  /// @brief Makes a signer from a PEM private key held in memory.
  /// @param pem The key: `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN RSA PRIVATE KEY-----`.
  /// @param domain The signing domain (`d=`), not empty.
  /// @param selector The selector (`s=`), not empty.
  /// @return The signer; or `invalid_value` when the key is not a PEM private key, is an RSA
  /// key under 1024 bits or of another type, or the domain or selector is empty or holds
  /// characters that cannot appear in a DKIM tag.
  [[nodiscard]] static expected<DkimSigner> from_pem(std::string_view pem, std::string domain,
                                                     std::string selector);

  /// @brief Signs a message.
  /// @param message A whole message: header fields, an empty line and the body, CRLF line ends
  /// (such as `compose()` writes).
  /// @return The message with a `DKIM-Signature:` field prepended (folded, CRLF line ends); or
  /// `invalid_value` when the message has no `From` field or a malformed header, `internal`
  /// when the cryptographic library fails.
  [[nodiscard]] expected<std::string> sign(std::string_view message) const;

  /// @brief The signing domain (`d=`).
  /// @return The domain.
  [[nodiscard]] const std::string& domain() const noexcept { return domain_; }
  /// @brief The selector (`s=`).
  /// @return The selector.
  [[nodiscard]] const std::string& selector() const noexcept { return selector_; }
  /// @brief The algorithm, from the type of the key.
  /// @return `rsa_sha256` or `ed25519_sha256`.
  [[nodiscard]] DkimAlgorithm algorithm() const noexcept { return algorithm_; }

 private:
  struct Key;
  DkimSigner(std::shared_ptr<const Key> key, DkimAlgorithm algorithm, std::string domain,
             std::string selector) noexcept;

  std::shared_ptr<const Key> key_;
  DkimAlgorithm algorithm_;
  std::string domain_;
  std::string selector_;
};

}  // namespace outreach
