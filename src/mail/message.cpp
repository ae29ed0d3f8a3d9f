#include "outreach/message.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <string>

#include "mail/address_syntax.hpp"
#include "util/ascii.hpp"
#include "mail/encoding.hpp"
#include "util/hash.hpp"
#include "util/sha256.hpp"
#include "util/utf8_check.hpp"

namespace outreach {

namespace {

using detail::HeaderWriter;

// Tokens that cannot be folded must leave a line within 998 octets with the field name.
constexpr std::size_t max_id_length = 900;
constexpr std::size_t max_url_length = 900;

// Message-ID hex digits: 128 bits, so ids of different sends never collide by chance.
constexpr std::size_t message_id_hex_digits = 32;

constexpr int min_year = 1900;  // RFC 5322 section 3.3: four-digit years, 1900 or later
constexpr int max_year = 9999;

tl::unexpected<Error> invalid(std::string_view header, std::string_view message) {
  std::string text(header);
  text += ": ";
  text += message;
  return fail(Errc::invalid_value, std::move(text));
}

// Prefixes an error from a nested check with the header it belongs to.
tl::unexpected<Error> in_header(std::string_view header, const Error& error) {
  return fail(error.code(), std::string(header) + ": " + error.message(), error.where());
}

// ---- checks ----

using detail::check_utf8;

// What a byte that may not appear in an id or URL is, for the error message (never the byte
// itself, which may be a line break).
std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte == ' ') return "a space";
  if (byte < 0x20 || byte == 0x7F) return "a control character";
  if (byte >= 0x80) return "a non-ASCII character";
  return std::string("'") + c + "'";
}

// Characters of the parts of `<left@right>`: printable ASCII without the specials that would
// change how the field parses (RFC 5322 section 3.6.4, dot-atom-text kept lenient).
constexpr std::array<bool, 256> id_character_table = [] {
  std::array<bool, 256> table{};
  for (int c = '!'; c < 0x7F; ++c) table[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("<>()\",;:\\@[]")) table[static_cast<unsigned char>(c)] = false;
  return table;
}();

[[nodiscard]] constexpr bool is_id_character(char c) noexcept {
  return id_character_table[static_cast<unsigned char>(c)];
}

expected<void> check_message_id(std::string_view id, std::string_view header) {
  constexpr std::string_view expected_form = "must look like <left@right>";
  if (id.size() > max_id_length) return invalid(header, "id is longer than 900 octets");
  if (id.size() < 2 || id.front() != '<' || id.back() != '>') return invalid(header, expected_form);
  const std::string_view inner = id.substr(1, id.size() - 2);
  const std::size_t at = inner.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == inner.size()) return invalid(header, expected_form);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (i == at || is_id_character(inner[i])) continue;
    return invalid(header, "id contains " + describe_byte(inner[i]) + " (" + std::string(expected_form) + ")");
  }
  return {};
}

expected<void> check_unsubscribe_url(std::string_view url) {
  constexpr std::string_view header = "List-Unsubscribe";
  constexpr std::string_view scheme = "https://";
  if (url.size() > max_url_length) return invalid(header, "URL is longer than 900 octets");
  if (url.size() <= scheme.size() || !detail::iequals_ascii(url.substr(0, scheme.size()), scheme)) {
    return invalid(header, "URL must be an https:// URL (RFC 8058 one-click unsubscribe)");
  }
  for (const char c : url) {
    if (c > ' ' && c < 0x7F && c != '<' && c != '>' && c != '"') continue;
    return invalid(header, "URL contains " + describe_byte(c));
  }
  return {};
}

// ---- addresses ----

// An address as written: local part as is, domain in ASCII (A-labels).
struct WrittenAddress {
  std::string_view name;
  std::string_view local;
  std::string domain;
};

expected<WrittenAddress> prepare_address(const Address& address, std::string_view header) {
  auto domain = detail::validate_with_ascii_domain(address);
  if (!domain) return in_header(header, domain.error());
  return WrittenAddress{address.name, address.local_part(), std::move(*domain)};
}

std::string envelope_address(const WrittenAddress& address) {
  std::string envelope;
  envelope.reserve(address.local.size() + 1 + address.domain.size());
  envelope.append(address.local).append("@").append(address.domain);
  return envelope;
}

// True when `text` can be written as it is as space-separated words that `accepts` every
// character of, each word fitting a line: the first after the field name, the others after a
// fold. Leading, trailing or repeated spaces would not survive unfolding, and "=?" would read
// as an encoded-word, so such text is not plain.
template <class Accepts>
bool is_plain_words(std::string_view text, std::size_t first_room, Accepts accepts) {
  if (text.find("=?") != std::string_view::npos) return false;
  std::size_t room = first_room;
  std::size_t word = 0;
  for (const char c : text) {
    if (c == ' ') {
      if (word == 0) return false;
      word = 0;
      room = HeaderWriter::room_after_fold;
      continue;
    }
    if (!accepts(c) || ++word > room) return false;
  }
  return text.empty() || word > 0;
}

void add_words(HeaderWriter& header, std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t space = std::min(text.find(' ', start), text.size());
    header.add(text.substr(start, space - start));
    start = space + 1;
  }
}

// Calls `visit(piece, is_first, is_last)` for each space-separated piece of `text` (empty
// pieces included, so repeated spaces survive).
template <class Visit>
void for_each_space_separated(std::string_view text, Visit visit) {
  std::size_t start = 0;
  while (true) {
    const std::size_t space = text.find(' ', start);
    const bool last = space == std::string_view::npos;
    visit(text.substr(start, last ? std::string_view::npos : space - start), start == 0, last);
    if (last) return;
    start = space + 1;
  }
}

// A quoted-string (RFC 5322 section 3.2.4) written in pieces split at its spaces, so that it
// can fold there (FWS inside a quoted-string keeps its space when unfolded). Returns false,
// writing nothing, when a piece would not fit a line.
bool add_quoted_name(HeaderWriter& header, std::string_view name) {
  const auto escaped_length = [](std::string_view piece, bool first, bool last) {
    return piece.size() + static_cast<std::size_t>(std::count_if(piece.begin(), piece.end(), [](char c) {
             return c == '"' || c == '\\';
           })) + (first ? 1 : 0) + (last ? 1 : 0);
  };
  bool fits = true;
  std::size_t room = header.room_on_line();
  for_each_space_separated(name, [&](std::string_view piece, bool first, bool last) {
    fits = fits && escaped_length(piece, first, last) <= room;
    room = HeaderWriter::room_after_fold;
  });
  if (!fits) return false;
  for_each_space_separated(name, [&](std::string_view piece, bool first, bool last) {
    header.add_written(escaped_length(piece, first, last), [&](std::string& out) {
      if (first) out.push_back('"');
      for (const char c : piece) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      if (last) out.push_back('"');
    });
  });
  return true;
}

// RFC 5322 section 3.2.5 phrase: atoms when possible, else a quoted-string, else (non-ASCII,
// or a piece too long for a line) RFC 2047 encoded-words.
void add_display_name(HeaderWriter& header, std::string_view name) {
  if (name.empty()) return;
  const bool printable_ascii = std::all_of(name.begin(), name.end(), [](char c) { return c >= ' ' && c < 0x7F; });
  // "=?" could be read as the start of an encoded-word, even inside quotes by lenient readers.
  if (printable_ascii && name.find("=?") == std::string_view::npos) {
    if (is_plain_words(name, header.room_on_line(), detail::is_atext)) {
      add_words(header, name);
      return;
    }
    if (add_quoted_name(header, name)) return;
  }
  detail::add_encoded_words(header, name);
}

void write_address_field(std::string& out, std::string_view field, const WrittenAddress& address) {
  HeaderWriter header(out);
  header.begin(field);
  add_display_name(header, address.name);
  if (address.name.empty()) {
    header.add(address.local, "@", address.domain);
  } else {
    header.add("<", address.local, "@", address.domain, ">");
  }
  header.end();
}

void write_subject(std::string& out, std::string_view subject) {
  HeaderWriter header(out);
  header.begin("Subject");
  const auto printable = [](char c) { return c > ' ' && c < 0x7F; };
  if (is_plain_words(subject, header.room_on_line(), printable)) {
    add_words(header, subject);
  } else {
    detail::add_encoded_words(header, subject);
  }
  header.end();
}

// Ids separated by folding white space (RFC 5322 section 3.6.4).
void write_ids(std::string& out, std::string_view field, std::span<const std::string> ids) {
  HeaderWriter header(out);
  header.begin(field);
  for (const std::string& id : ids) header.add(id);
  header.end();
}

// RFC 6068 mailto: URI of an address; local-part characters other than unreserved and a few
// safe sub-delims (and every non-ASCII byte) are percent-encoded.
void write_mailto(std::string& out, const WrittenAddress& address) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out.append("mailto:");
  for (const char c : address.local) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~!$'*+").find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      const char encoded[3] = {'%', digits[byte >> 4], digits[byte & 0x0F]};
      out.append(encoded, 3);
    }
  }
  out.push_back('@');
  out.append(address.domain);
}

// ---- date ----

void append_padded(std::string& out, long long value, int width) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  const auto length = static_cast<int>(result.ptr - digits.data());
  for (int i = length; i < width; ++i) out.push_back('0');
  out.append(digits.data(), result.ptr);
}

std::chrono::sys_seconds clamp_to_supported_years(std::chrono::sys_seconds instant) {
  using namespace std::chrono;
  const sys_seconds first{sys_days{year{1} / January / 1}};
  const sys_seconds last{sys_days{year{max_year} / December / 31} + hours{23} + minutes{59} + seconds{59}};
  return std::clamp(instant, first, last);
}

void append_rfc5322_date(std::string& out, std::chrono::sys_seconds instant) {
  using namespace std::chrono;
  static constexpr std::string_view day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  instant = clamp_to_supported_years(instant);
  const sys_days day = floor<days>(instant);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{instant - day};
  out.append(day_names[weekday{day}.c_encoding()]);
  out.append(", ");
  append_padded(out, static_cast<unsigned>(date.day()), 2);
  out.push_back(' ');
  out.append(month_names[static_cast<unsigned>(date.month()) - 1]);
  out.push_back(' ');
  append_padded(out, static_cast<int>(date.year()), 4);
  out.push_back(' ');
  append_padded(out, time.hours().count(), 2);
  out.push_back(':');
  append_padded(out, time.minutes().count(), 2);
  out.push_back(':');
  append_padded(out, time.seconds().count(), 2);
  out.append(" +0000");
}

expected<void> check_date(std::chrono::sys_seconds instant) {
  using namespace std::chrono;
  const sys_seconds first{sys_days{year{min_year} / January / 1}};
  if (instant < first || instant != clamp_to_supported_years(instant)) {
    return invalid("Date", "must be in the years 1900 to 9999");
  }
  return {};
}

// ---- body ----

constexpr std::string_view text_part_headers =
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
constexpr std::string_view html_part_headers =
    "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";

// The boundary starts with "=_", which quoted-printable output never contains, so it cannot
// occur in a part; it is derived from the Message-ID so the same draft gives the same bytes.
using Boundary = std::array<char, 18>;

Boundary multipart_boundary(std::string_view message_id) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::uint64_t hash = detail::hash_bytes(message_id);
  Boundary boundary{'=', '_'};
  for (std::size_t i = 0; i < 16; ++i) boundary[2 + i] = digits[(hash >> (60 - 4 * i)) & 0xF];
  return boundary;
}

[[nodiscard]] bool ends_with_line_break(std::string_view text) noexcept {
  return !text.empty() && (text.back() == '\n' || text.back() == '\r');
}

std::size_t estimated_size(const MessageDraft& draft) {
  std::size_t size = 640 + 2 * (draft.subject.size() + draft.from.name.size() + draft.to.name.size()) +
                     draft.from.email.size() + draft.to.email.size() + draft.message_id.size() +
                     draft.in_reply_to.size() + draft.list_unsubscribe_url.size() +
                     draft.list_unsubscribe_mailto.size() + draft.text.size() + draft.text.size() / 8;
  for (const std::string& id : draft.references) size += id.size() + 3;
  if (draft.html) size += 320 + draft.html->size() + draft.html->size() / 8;
  return size;
}

}  // namespace

expected<Message> compose(const MessageDraft& draft) {
  // Check everything before writing anything.
  auto from = prepare_address(draft.from, "From");
  if (!from) return fail(from.error());
  auto to = prepare_address(draft.to, "To");
  if (!to) return fail(to.error());
  if (auto valid = check_utf8(draft.subject, "Subject"); !valid) return fail(valid.error());
  if (auto valid = check_utf8(draft.text, "text body"); !valid) return fail(valid.error());
  if (draft.html) {
    if (auto valid = check_utf8(*draft.html, "html body"); !valid) return fail(valid.error());
  }
  if (auto valid = check_date(draft.date); !valid) return fail(valid.error());
  if (draft.message_id.empty()) return invalid("Message-ID", "is missing");
  if (auto valid = check_message_id(draft.message_id, "Message-ID"); !valid) return fail(valid.error());
  if (!draft.in_reply_to.empty()) {
    if (auto valid = check_message_id(draft.in_reply_to, "In-Reply-To"); !valid) return fail(valid.error());
  }
  for (const std::string& id : draft.references) {
    if (auto valid = check_message_id(id, "References"); !valid) return fail(valid.error());
  }
  if (!draft.list_unsubscribe_url.empty()) {
    if (auto valid = check_unsubscribe_url(draft.list_unsubscribe_url); !valid) return fail(valid.error());
  }
  std::optional<WrittenAddress> unsubscribe_mailto;
  const Address unsubscribe_address{"", draft.list_unsubscribe_mailto};  // outlives the views into it
  if (!draft.list_unsubscribe_mailto.empty()) {
    auto prepared = prepare_address(unsubscribe_address, "List-Unsubscribe mailto");
    if (!prepared) return fail(prepared.error());
    unsubscribe_mailto = std::move(*prepared);
  }

  Message message;
  std::string& out = message.data;
  out.reserve(estimated_size(draft));

  out.append("Date: ");
  append_rfc5322_date(out, draft.date);
  out.append("\r\n");
  write_address_field(out, "From", *from);
  write_address_field(out, "To", *to);
  write_subject(out, draft.subject);
  write_ids(out, "Message-ID", {&draft.message_id, 1});
  if (!draft.in_reply_to.empty()) write_ids(out, "In-Reply-To", {&draft.in_reply_to, 1});
  if (!draft.references.empty()) write_ids(out, "References", draft.references);
  const bool has_url = !draft.list_unsubscribe_url.empty();
  if (has_url || unsubscribe_mailto) {
    HeaderWriter header(out);
    header.begin("List-Unsubscribe");
    if (has_url) header.add("<", draft.list_unsubscribe_url, unsubscribe_mailto ? ">," : ">");
    if (unsubscribe_mailto) {
      std::string entry = "<";
      write_mailto(entry, *unsubscribe_mailto);
      entry.push_back('>');
      header.add(entry);
    }
    header.end();
    if (has_url) out.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
  }
  out.append("MIME-Version: 1.0\r\n");

  if (!draft.html) {
    out.append(text_part_headers);
    out.append("\r\n");
    detail::append_quoted_printable(out, draft.text);
    if (!draft.text.empty() && !ends_with_line_break(draft.text)) out.append("\r\n");
  } else {
    // The CRLF before each delimiter belongs to the delimiter (RFC 2046 section 5.1.1), so
    // each part decodes to exactly its text.
    const Boundary boundary_text = multipart_boundary(draft.message_id);
    const std::string_view boundary(boundary_text.data(), boundary_text.size());
    out.append("Content-Type: multipart/alternative; boundary=\"").append(boundary).append("\"\r\n\r\n");
    out.append("--").append(boundary).append("\r\n").append(text_part_headers).append("\r\n");
    detail::append_quoted_printable(out, draft.text);
    out.append("\r\n--").append(boundary).append("\r\n").append(html_part_headers).append("\r\n");
    detail::append_quoted_printable(out, *draft.html);
    out.append("\r\n--").append(boundary).append("--\r\n");
  }

  message.message_id = draft.message_id;
  message.envelope_from = envelope_address(*from);
  message.envelope_to = envelope_address(*to);
  message.requires_smtputf8 = !detail::is_ascii(from->local) || !detail::is_ascii(to->local);
  return message;
}

std::string make_message_id(std::string_view campaign, std::string_view lead_key, int step, std::string_view domain) {
  // Length-prefixed fields (netstring style) under a version tag: no two different argument
  // lists give the same bytes to hash.
  std::string input;
  input.reserve(64 + campaign.size() + lead_key.size());
  input.append("outreach-message-id-v1:");
  const auto append_field = [&](std::string_view field) {
    std::array<char, 24> length{};
    const auto end = std::to_chars(length.data(), length.data() + length.size(), field.size()).ptr;
    input.append(length.data(), end).append(":").append(field).append(",");
  };
  std::array<char, 16> step_text{};
  const auto step_end = std::to_chars(step_text.data(), step_text.data() + step_text.size(), step).ptr;
  append_field(campaign);
  append_field(lead_key);
  append_field(std::string_view(step_text.data(), static_cast<std::size_t>(step_end - step_text.data())));

  const detail::Sha256Digest digest = detail::sha256(input);
  std::string id;
  id.reserve(2 + message_id_hex_digits + 1 + domain.size() + 8);
  id.push_back('<');
  id.append(detail::to_hex(digest.data(), message_id_hex_digits / 2));
  id.push_back('@');
  // An ASCII domain's A-label form is itself lower-cased, and so is its fallback when invalid:
  // no conversion needed (the mailbox's domain, at every send).
  if (detail::is_ascii(domain)) {
    id.append(detail::ascii_lower(domain));
  } else if (auto ascii = domain_to_ascii(domain)) {
    id.append(*ascii);
  } else {
    id.append(detail::ascii_lower(domain));  // compose() rejects it if it is not usable
  }
  id.push_back('>');
  return id;
}

std::string format_rfc5322_date(std::chrono::sys_seconds instant) {
  std::string out;
  out.reserve(31);
  append_rfc5322_date(out, instant);
  return out;
}

}  // namespace outreach
