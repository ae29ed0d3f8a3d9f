#include "imap/imap_command.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/utf8_check.hpp"
#include "util/utf8_decode.hpp"

namespace outreach::detail::imap {

namespace {

// Modified base64 (RFC 3501 section 5.1.3): RFC 4648's alphabet with ',' for '/'.
constexpr std::string_view modified_base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

[[nodiscard]] constexpr bool is_printable_ascii(char32_t c) noexcept { return c >= 0x20 && c <= 0x7e; }

// Appends the UTF-16BE units as `&` modified-base64 `-`, and empties them.
void flush_base64_run(std::string& out, std::vector<std::uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  std::uint32_t bits = 0;
  int held = 0;
  for (const std::uint16_t unit : units) {
    bits = (bits << 16) | unit;
    held += 16;
    while (held >= 6) {
      held -= 6;
      out += modified_base64[(bits >> held) & 0x3f];
    }
    bits &= (1u << held) - 1;
  }
  if (held > 0) out += modified_base64[(bits << (6 - held)) & 0x3f];
  out += '-';
  units.clear();
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

[[nodiscard]] tl::unexpected<Error> bad_name(std::string_view mutf7, std::string why) {
  return fail(Errc::invalid_value, "the mailbox name \"" + std::string(mutf7.substr(0, 80)) +
                                       "\" is not modified UTF-7: " + std::move(why));
}

// Decodes the base64 between `&` and `-` into UTF-8.
[[nodiscard]] expected<void> decode_base64_run(std::string_view mutf7, std::string_view run, std::string& out) {
  std::uint32_t bits = 0;
  int held = 0;
  std::vector<std::uint16_t> units;
  for (const char c : run) {
    const std::size_t sextet = modified_base64.find(c);
    if (sextet == std::string_view::npos) {
      return bad_name(mutf7, std::string("'") + c + "' is not a modified base64 character");
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(sextet);
    held += 6;
    if (held >= 16) {
      held -= 16;
      units.push_back(static_cast<std::uint16_t>(bits >> held));
      bits &= (1u << held) - 1;
    }
  }
  // The encoder pads the last character with zero bits, fewer than six of them.
  if (held >= 6 || bits != 0) return bad_name(mutf7, "a base64 run with leftover bits");
  for (std::size_t i = 0; i < units.size(); ++i) {
    char32_t c = units[i];
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) {
        return bad_name(mutf7, "a UTF-16 high surrogate without its low surrogate");
      }
      c = 0x10000 + ((c - 0xd800) << 10) + (units[i + 1] - 0xdc00u);
      ++i;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return bad_name(mutf7, "a UTF-16 low surrogate without its high surrogate");
    }
    if (is_printable_ascii(c)) return bad_name(mutf7, "printable ASCII encoded in base64");
    append_utf8(out, c);
  }
  return {};
}

// RFC 3501 ATOM-CHAR.
[[nodiscard]] constexpr bool is_atom_char(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  if (byte <= 0x20 || byte >= 0x7f) return false;
  return std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
}

}  // namespace

expected<std::string> quoted(std::string_view text) {
  if (text.size() > max_quoted_length) {
    return fail(Errc::invalid_value, "a string of " + std::to_string(text.size()) +
                                         " bytes is too long for an IMAP quoted string (at most " +
                                         std::to_string(max_quoted_length) + "); send it as a literal");
  }
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\0' || byte >= 0x80) {
      return fail(Errc::invalid_value, std::string("an IMAP quoted string cannot hold ") +
                                           (c == '\r' ? "CR" : c == '\n' ? "LF" : c == '\0' ? "NUL" : "a non-ASCII byte") +
                                           "; send it as a literal");
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string literal(std::string_view bytes, bool non_synchronizing) {
  std::string out = "{" + std::to_string(bytes.size()) + (non_synchronizing ? "+}\r\n" : "}\r\n");
  out.append(bytes);
  return out;
}

expected<std::string> encode_mailbox_name(std::string_view utf8) {
  if (auto valid = check_utf8(utf8, "the mailbox name"); !valid) return fail(valid.error());
  std::string out;
  std::vector<std::uint16_t> units;
  for (std::size_t pos = 0; pos < utf8.size();) {
    const DecodedCharacter decoded = decode_utf8_at(utf8, pos);
    pos += decoded.length;
    const char32_t c = decoded.code_point;
    if (is_printable_ascii(c)) {
      flush_base64_run(out, units);
      out += c == '&' ? std::string_view("&-") : std::string_view(&utf8[pos - 1], 1);
    } else if (c < 0x10000) {
      units.push_back(static_cast<std::uint16_t>(c));
    } else {
      units.push_back(static_cast<std::uint16_t>(0xd800 + ((c - 0x10000) >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xdc00 + ((c - 0x10000) & 0x3ff)));
    }
  }
  flush_base64_run(out, units);
  return out;
}

expected<std::string> decode_mailbox_name(std::string_view mutf7) {
  std::string out;
  for (std::size_t pos = 0; pos < mutf7.size();) {
    const char c = mutf7[pos];
    if (!is_printable_ascii(static_cast<unsigned char>(c))) {
      return bad_name(mutf7, "it holds a byte outside printable ASCII");
    }
    if (c != '&') {
      out += c;
      ++pos;
      continue;
    }
    const std::size_t end = mutf7.find('-', pos + 1);
    if (end == std::string_view::npos) return bad_name(mutf7, "a '&' without its '-'");
    if (end == pos + 1) {
      out += '&';
    } else if (auto run = decode_base64_run(mutf7, mutf7.substr(pos + 1, end - pos - 1), out); !run) {
      return fail(run.error());
    }
    pos = end + 1;
  }
  return out;
}

expected<std::string> mailbox_argument(std::string_view utf8) {
  auto encoded = encode_mailbox_name(utf8);
  if (!encoded) return encoded;
  return quoted(*encoded);
}

std::string uid_range(std::uint32_t first, std::optional<std::uint32_t> last) {
  return std::to_string(first) + ":" + (last ? std::to_string(*last) : std::string("*"));
}

expected<std::string> command_line(std::string_view tag, std::string_view verb_and_args) {
  if (tag.empty()) return fail(Errc::invalid_argument, "an IMAP command without a tag");
  for (const char c : tag) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || std::string_view("(){%*\"\\+").find(c) != std::string_view::npos) {
      return fail(Errc::invalid_argument, "the IMAP tag \"" + std::string(tag.substr(0, 40)) +
                                              "\" holds a character a tag cannot have");
    }
  }
  if (verb_and_args.empty()) return fail(Errc::invalid_argument, "an IMAP command without a verb");
  if (verb_and_args.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return fail(Errc::invalid_value, "an IMAP command line cannot hold CR, LF or NUL");
  }
  std::string out;
  out.reserve(tag.size() + verb_and_args.size() + 3);
  out.append(tag);
  out += ' ';
  out.append(verb_and_args);
  out += "\r\n";
  return out;
}

expected<std::string> search_header(std::string_view field, std::string_view value) {
  if (field.empty()) return fail(Errc::invalid_value, "a header search without a field name");
  for (const char c : field) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == ':') {
      return fail(Errc::invalid_value, "\"" + std::string(field.substr(0, 80)) + "\" is not a header field name");
    }
  }
  // An empty string matches every message that has the field (RFC 3501 section 6.4.4).
  if (value.empty()) return fail(Errc::invalid_value, "a header search for an empty value would match every message");
  auto quoted_value = quoted(value);
  if (!quoted_value) return quoted_value;
  std::string out = "HEADER ";
  bool atom = true;
  for (const char c : field) atom = atom && is_atom_char(c);
  if (atom) {
    out.append(field);
  } else {
    auto quoted_field = quoted(field);
    if (!quoted_field) return quoted_field;
    out += *quoted_field;
  }
  out += ' ';
  out += *quoted_value;
  return out;
}

std::string since_criterion(int year, unsigned month, unsigned day) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return "SINCE " + std::to_string(day) + "-" + std::string(months[(month - 1) % 12]) + "-" + std::to_string(year);
}

}  // namespace outreach::detail::imap
