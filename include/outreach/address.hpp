/// @file address.hpp
/// @brief `Address`: a mailbox address with an optional display name (RFC 5322 `name-addr`).
#pragma once

#include <string>
#include <string_view>

#include "outreach/error.hpp"

namespace outreach {

/// @brief An email address with an optional display name, such as `Alice Doe <alice@acme.example>`.
///
/// Local parts and domains may be UTF-8 (RFC 6531/6532); such an address needs SMTPUTF8 when
/// its local part is not ASCII. Domains are written as IDNA A-labels in headers.
struct Address {
  std::string name;   ///< Display name (UTF-8, unencoded); may be empty.
  std::string email;  ///< `local@domain`.

  /// @brief Parses `addr@domain`, `<addr@domain>` or `Name <addr@domain>` (the name may be a
  /// quoted string).
  /// @return The address, or `invalid_value` naming what is wrong (no `@`, empty part, control
  /// characters such as CR/LF, spaces in the address, an invalid domain), or `invalid_utf8`.
  [[nodiscard]] static expected<Address> parse(std::string_view text);

  /// @brief Checks that `email` is a usable address (the rules of `parse`) and `name` has no
  /// control characters.
  [[nodiscard]] expected<void> validate() const;

  /// @brief The part after the last `@`, as given (not IDNA-encoded).
  [[nodiscard]] std::string_view domain() const noexcept;
  /// @brief The part before the last `@`.
  [[nodiscard]] std::string_view local_part() const noexcept;
  /// @brief True when the local part is not ASCII, so sending needs SMTPUTF8.
  [[nodiscard]] bool needs_smtputf8() const noexcept;

  /// @brief Addresses compare equal when name and email are equal byte for byte.
  friend bool operator==(const Address&, const Address&) = default;
};

/// @brief Converts a domain to its IDNA ASCII form (RFC 3492 Punycode, `xn--` labels). ASCII
/// labels are lower-cased.
/// @return The ASCII domain, or `invalid_value` for an empty label, a label longer than 63
/// octets, or a domain longer than 253 octets; `invalid_utf8` for invalid text.
[[nodiscard]] expected<std::string> domain_to_ascii(std::string_view domain);

}  // namespace outreach
