#include "outreach/address.hpp"

#include <string>

#include "mail/address_syntax.hpp"
#include "util/ascii.hpp"
#include "mail/encoding.hpp"
#include "util/utf8.hpp"
#include "util/utf8_check.hpp"
#include "util/utf8_decode.hpp"

namespace outreach {

namespace {

// RFC 5321 section 4.5.3.1 and RFC 1035 section 2.3.4, counted in octets of the ASCII form.
constexpr std::size_t max_local_part_length = 64;
constexpr std::size_t max_address_length = 254;
constexpr std::size_t max_label_length = 63;
constexpr std::size_t max_domain_length = 253;

constexpr std::string_view ace_prefix = "xn--";

[[nodiscard]] constexpr bool is_ascii_letter_or_digit(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// C0, DEL and C1 controls.
[[nodiscard]] constexpr bool is_control(char32_t point) noexcept {
  return point < 0x20 || (point >= 0x7F && point <= 0x9F);
}

// Space separators and the invisible characters that would make two addresses look alike.
[[nodiscard]] constexpr bool is_space_like(char32_t point) noexcept {
  return point == 0x20 || point == 0xA0 || point == 0x1680 || (point >= 0x2000 && point <= 0x200B) ||
         point == 0x2028 || point == 0x2029 || point == 0x202F || point == 0x205F || point == 0x3000 ||
         point == 0xFEFF;
}

std::string code_point_name(char32_t point) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string name = "U+";
  const int width = point > 0xFFFF ? 6 : 4;
  for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) name.push_back(digits[(point >> shift) & 0xFu]);
  return name;
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

tl::unexpected<Error> invalid(std::string message) { return fail(Errc::invalid_value, std::move(message)); }

using detail::check_utf8;

// Control characters anywhere, and (unless `spaces_allowed`) spaces. `text` is valid UTF-8.
expected<void> check_visible(std::string_view text, std::string_view what, bool spaces_allowed) {
  for (std::size_t pos = 0; pos < text.size();) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte > ' ' && byte < 0x7F) {  // the common case, without decoding
      ++pos;
      continue;
    }
    const auto [point, length] = detail::decode_utf8_at(text, pos);
    if (is_control(point)) {
      return invalid(std::string(what) + " contains the control character " + code_point_name(point));
    }
    if (!spaces_allowed && is_space_like(point)) {
      return invalid(std::string(what) + " contains a space (" + code_point_name(point) + ")");
    }
    pos += length;
  }
  return {};
}

// The local part is a dot-atom (RFC 5322 section 3.4.1, with RFC 6532's UTF-8): quoted local
// parts are rare, often refused by receivers, and a source of header confusion, so they are not
// accepted. Characters are known to be visible and free of spaces here.
expected<void> check_local_part(std::string_view local) {
  if (local.size() > max_local_part_length) {
    return invalid("local part " + quoted(local) + " is longer than 64 octets");
  }
  if (local.front() == '"') return invalid("quoted local parts such as " + quoted(local) + " are not supported");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return invalid("local part " + quoted(local) + " has a dot at its start or end or two dots in a row");
  }
  for (const char c : local) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '.' || detail::is_atext(c)) continue;
    return invalid("local part " + quoted(local) + " contains " + quoted(std::string_view(&c, 1)) +
                   ", which is not allowed unquoted");
  }
  return {};
}

// Appends the ASCII form of one label (of a domain already checked for UTF-8, controls and spaces).
expected<void> append_ascii_label(std::string& out, std::string_view label, std::string_view domain) {
  if (label.empty()) return invalid("domain " + quoted(domain) + " has an empty label");
  if (label.front() == '-' || label.back() == '-') {
    return invalid("domain label " + quoted(label) + " starts or ends with '-'");
  }
  bool ascii = true;
  for (const char c : label) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
    } else if (!is_ascii_letter_or_digit(c) && c != '-') {
      return invalid("domain label " + quoted(label) + " contains " + quoted(std::string_view(&c, 1)) +
                     " (letters, digits and '-' only)");
    }
  }
  const std::size_t start = out.size();
  if (ascii) {
    for (const char c : label) out.push_back(detail::ascii_lower(c));
  } else {
    out.append(ace_prefix);
    // Each character takes at least one output character, so this bounds the work too.
    if (detail::code_point_offset(label, label.size()) > max_label_length ||
        !detail::append_punycode(out, detail::ascii_lower(label))) {
      return invalid("domain label " + quoted(label) + " is longer than 63 octets in ASCII form");
    }
  }
  if (out.size() - start > max_label_length) {
    return invalid("domain label " + quoted(label) + " is longer than 63 octets" + (ascii ? "" : " in ASCII form"));
  }
  return {};
}

// Appends the ASCII (A-label) form of `domain`, checking every rule of `domain_to_ascii`
// (those of UTF-8 and visible characters only when `characters_checked` is false).
expected<void> append_ascii_domain(std::string& out, std::string_view domain, bool characters_checked) {
  if (!characters_checked) {
    if (auto valid = check_utf8(domain, "domain"); !valid) return valid;
    if (auto visible = check_visible(domain, "domain", false); !visible) return visible;
  }
  if (domain.empty()) return invalid("domain is empty");
  if (domain.front() == '[') return invalid("address literals such as " + quoted(domain) + " are not supported");
  const std::size_t start = out.size();
  std::size_t label_start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', label_start);
    const std::string_view label = domain.substr(label_start, dot - label_start);
    if (auto appended = append_ascii_label(out, label, domain); !appended) return appended;
    if (dot == std::string_view::npos) break;
    out.push_back('.');
    label_start = dot + 1;
  }
  if (out.size() - start > max_domain_length) {
    return invalid("domain " + quoted(domain) + " is longer than 253 octets" +
                   (detail::is_ascii(domain) ? "" : " in ASCII form"));
  }
  return {};
}

// The rules for `local@domain`; appends the domain's ASCII form to `ascii_domain`.
expected<void> check_addr_spec(std::string_view email, std::string& ascii_domain) {
  if (auto valid = check_utf8(email, "address"); !valid) return valid;
  if (email.empty()) return invalid("address is empty");
  if (auto visible = check_visible(email, "address", false); !visible) return visible;
  const std::size_t at = email.rfind('@');
  if (at == std::string_view::npos) return invalid("address " + quoted(email) + " has no '@'");
  if (email.find('@') != at) return invalid("address " + quoted(email) + " has more than one '@'");
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  if (local.empty()) return invalid("address " + quoted(email) + " has an empty local part");
  if (domain.empty()) return invalid("address " + quoted(email) + " has an empty domain");
  if (auto checked = check_local_part(local); !checked) return checked;
  if (auto converted = append_ascii_domain(ascii_domain, domain, true); !converted) return converted;
  if (local.size() + 1 + ascii_domain.size() > max_address_length) {
    return invalid("address " + quoted(email) + " is longer than 254 octets");
  }
  return {};
}

expected<void> check_display_name(std::string_view name) {
  if (auto valid = check_utf8(name, "display name"); !valid) return valid;
  return check_visible(name, "display name", true);
}

// Reads a quoted-string display name (RFC 5322 section 3.2.4) from the front of `text`,
// leaving `text` after the closing quote.
expected<std::string> read_quoted_name(std::string_view& text) {
  std::string name;
  std::size_t pos = 1;
  while (pos < text.size() && text[pos] != '"') {
    if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
    name.push_back(text[pos]);
    ++pos;
  }
  if (pos >= text.size()) return invalid("display name has no closing '\"'");
  text.remove_prefix(pos + 1);
  return name;
}

[[nodiscard]] constexpr std::string_view trim_spaces(std::string_view text) noexcept {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

expected<Address> Address::parse(std::string_view text) {
  if (auto valid = check_utf8(text, "address"); !valid) return fail(valid.error());
  std::string_view rest = trim_spaces(text);
  if (rest.empty()) return invalid("address is empty");

  Address address;
  if (rest.front() == '"') {
    auto name = read_quoted_name(rest);
    if (!name) return fail(name.error());
    if (!rest.empty() && rest.front() == '@') {
      return invalid("quoted local parts (\"...\"@domain) are not supported");
    }
    rest = trim_spaces(rest);
    if (rest.empty() || rest.front() != '<') {
      return invalid("a quoted display name must be followed by an address in angle brackets");
    }
    address.name = std::move(*name);
  } else if (const std::size_t open = rest.find('<'); open != std::string_view::npos) {
    const std::string_view name = trim_spaces(rest.substr(0, open));
    if (name.find('>') != std::string_view::npos) return invalid("unbalanced angle brackets: '>' before '<'");
    if (name.find('"') != std::string_view::npos) {
      return invalid("a display name with '\"' must be one quoted string, such as \"Doe, Jane\" <jane@example.com>");
    }
    address.name = std::string(name);
    rest.remove_prefix(open);
  } else {
    if (rest.find('>') != std::string_view::npos) return invalid("unbalanced angle brackets: '>' without '<'");
    std::string ascii_domain;
    if (auto checked = check_addr_spec(rest, ascii_domain); !checked) return fail(checked.error());
    address.email = std::string(rest);
    return address;
  }

  // `rest` starts with '<'.
  const std::size_t close = rest.find('>');
  if (close == std::string_view::npos) return invalid("unbalanced angle brackets: '<' without '>'");
  if (close + 1 != rest.size()) return invalid("unexpected text after '>'");
  const std::string_view email = trim_spaces(rest.substr(1, close - 1));
  if (email.find('<') != std::string_view::npos) return invalid("unbalanced angle brackets: '<' inside '<...>'");
  if (auto checked = check_display_name(address.name); !checked) return fail(checked.error());
  std::string ascii_domain;
  if (auto checked = check_addr_spec(email, ascii_domain); !checked) return fail(checked.error());
  address.email = std::string(email);
  return address;
}

expected<void> Address::validate() const {
  if (auto checked = detail::validate_with_ascii_domain(*this); !checked) return fail(checked.error());
  return {};
}

std::string_view Address::domain() const noexcept {
  const std::size_t at = email.rfind('@');
  return at == std::string::npos ? std::string_view() : std::string_view(email).substr(at + 1);
}

std::string_view Address::local_part() const noexcept {
  const std::size_t at = email.rfind('@');
  return at == std::string::npos ? std::string_view(email) : std::string_view(email).substr(0, at);
}

bool Address::needs_smtputf8() const noexcept { return !detail::is_ascii(local_part()); }

expected<std::string> domain_to_ascii(std::string_view domain) {
  std::string ascii;
  ascii.reserve(domain.size() + ace_prefix.size());
  if (auto converted = append_ascii_domain(ascii, domain, false); !converted) return fail(converted.error());
  return ascii;
}

namespace detail {

expected<std::string> validate_with_ascii_domain(const Address& address) {
  std::string ascii_domain;
  if (auto checked = check_addr_spec(address.email, ascii_domain); !checked) return fail(checked.error());
  if (auto checked = check_display_name(address.name); !checked) return fail(checked.error());
  return ascii_domain;
}

}  // namespace detail

}  // namespace outreach
