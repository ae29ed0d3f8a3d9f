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
///
/// What is accepted, on purpose narrower than all of RFC 5322:
/// - the local part is a dot-atom: RFC 5322 `atext` characters and any non-ASCII character,
///   in dot-separated runs (no dot at either end, no two dots in a row), at most 64 octets;
///   quoted local parts (`"john doe"@example.com`) are rejected;
/// - the domain is dot-separated labels of letters, digits, '-' and non-ASCII characters, none
///   empty or starting or ending with '-', at most 63 octets each and 253 in all once converted
///   to ASCII (see `domain_to_ascii`); address literals (`[192.0.2.1]`) are rejected;
/// - the whole address has at most 254 octets (with the domain in ASCII form);
/// - no control characters (C0, DEL, C1) anywhere, and no spaces (ASCII or Unicode) in the
///   address; the display name may contain spaces but no control characters.
///
/// A plain value; every function is thread-safe.
struct Address {
  std::string name;   ///< Display name (UTF-8, unencoded); may be empty.
  std::string email;  ///< `local@domain`.

  /// @brief Parses `addr@domain`, `<addr@domain>` or `Name <addr@domain>`.
  ///
  /// The name may be a quoted string (`"Doe, Jane" <jane@example.com>`, with `\"` and `\\`
  /// escapes), or plain text without `"`, `<` or `>`; spaces around the name and the address
  /// are ignored. The address is kept as given (no case change, no IDNA conversion).
  /// @param text The address, UTF-8.
  /// @return The address, or `invalid_value` naming what is wrong (no `@`, empty part, control
  /// characters such as CR/LF, spaces in the address, unbalanced angle brackets, an invalid
  /// domain), or `invalid_utf8` with the character offset of the first invalid byte.
  [[nodiscard]] static expected<Address> parse(std::string_view text);

  /// @brief Checks that `email` is a usable address (the rules of `parse`) and `name` is valid
  /// UTF-8 without control characters.
  /// @return Nothing, or the `invalid_value` / `invalid_utf8` error `parse` would give.
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

/// @brief Converts a domain to its IDNA ASCII form: each label with a non-ASCII character
/// becomes `xn--` followed by its RFC 3492 Punycode; ASCII letters are lower-cased.
///
/// Only ASCII letters are case-mapped: IDNA's Unicode mapping (UTS #46) is not applied, so
/// pass non-ASCII letters in lower case (`münchen.de`, not `MÜNCHEN.de`). No IDNA2008
/// code point table is checked either; the receiving DNS decides what exists.
/// `domain_to_ascii("bücher.example")` is `"xn--bcher-kva.example"`.
/// @param domain The domain, UTF-8, without a trailing dot.
/// @return The ASCII domain, or `invalid_value` for an empty label, a label starting or ending
/// with '-' or containing an ASCII character other than a letter, digit or '-', control
/// characters or spaces, a label longer than 63 octets or a domain longer than 253 octets (in
/// ASCII form); `invalid_utf8` for invalid text. Thread-safe.
[[nodiscard]] expected<std::string> domain_to_ascii(std::string_view domain);

}  // namespace outreach
