// The reader of received mail: header scanning, the part tree, and the helpers the inbound
// classifier uses. Everything works on string_views into the input and is linear in it, apart
// from a bounded number of passes per nesting level; nothing recurses.
#include "outreach/mime.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/ascii.hpp"
#include "mail/charset.hpp"
#include "mail/mime_decode.hpp"
#include "mail/mime_html.hpp"
#include "util/utf8.hpp"

namespace outreach {

namespace {

using detail::ascii_lower;
using detail::iequals_ascii;

constexpr std::size_t npos = std::string_view::npos;

// However large `MimeLimits::max_depth` is, parts nest at most this deep: the tree's own
// destructor and the code that walks it recurse.
constexpr std::size_t hard_max_depth = 100;

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals_ascii(text.substr(0, prefix.size()), prefix);
}

// ---- lines ---------------------------------------------------------------------------------

// One line: its text without the line break, and where the next one starts. CRLF, LF and a
// bare CR all end a line.
struct Line {
  std::string_view text;
  std::size_t next;
};

Line line_at(std::string_view input, std::size_t pos) noexcept {
  // Two memchr calls (vectorized) beat a loop testing each byte for both characters.
  const char* const begin = input.data();
  const char* const start = begin + pos;
  const std::size_t rest = input.size() - pos;
  const void* const lf = rest == 0 ? nullptr : std::memchr(start, '\n', rest);
  const std::size_t before_lf = lf == nullptr ? rest : static_cast<std::size_t>(static_cast<const char*>(lf) - start);
  const void* const cr = before_lf == 0 ? nullptr : std::memchr(start, '\r', before_lf);
  if (cr != nullptr) {
    const auto length = static_cast<std::size_t>(static_cast<const char*>(cr) - start);
    const bool crlf = lf != nullptr && length + 1 == before_lf;
    return {input.substr(pos, length), pos + length + (crlf ? 2 : 1)};
  }
  return {input.substr(pos, before_lf), pos + before_lf + (lf == nullptr ? 0 : 1)};
}

// ---- header fields -------------------------------------------------------------------------

struct RawField {
  std::string_view name;
  std::string_view value;  // as written: folded, encoded words not decoded
};

struct RawHeader {
  std::vector<RawField> fields;
  std::size_t body_start = 0;  // the body starts here: past the empty line, or the end
};

// The length of the field name that starts `line` when it is a field (`name:` or the obsolete
// `name :`), else 0.
std::size_t field_name_length(std::string_view line, std::size_t& colon) noexcept {
  std::size_t length = 0;
  while (length < line.size()) {
    const auto c = static_cast<unsigned char>(line[length]);
    if (c <= 32 || c >= 127 || c == ':') break;
    ++length;
  }
  if (length == 0) return 0;
  colon = length;
  while (colon < line.size() && is_wsp(line[colon])) ++colon;
  return colon < line.size() && line[colon] == ':' ? length : 0;
}

enum class JunkFirstLine {
  skipped,      // a header block: lines that are not fields are skipped wherever they are
  starts_body,  // a message or part: a first line that is not a field means there is no header
};

// Reads header fields up to the first empty line. Continuation lines extend the field before
// them; other lines that are not fields are skipped, except as the first line of a message
// (where they start the body, unless it is an mbox `From ` line). Fields past `max_fields` are
// read over and dropped.
RawHeader scan_header(std::string_view text, std::size_t max_fields, JunkFirstLine junk_first_line) {
  RawHeader header;
  bool extending = false;  // the last line was a kept field, so continuation lines extend it
  std::size_t value_start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Line line = line_at(text, pos);
    const std::size_t line_start = pos;
    pos = line.next;
    if (line.text.empty()) {
      header.body_start = pos;
      return header;
    }
    const auto line_end = static_cast<std::size_t>(line.text.data() - text.data()) + line.text.size();
    const bool continuation = is_wsp(line.text.front());
    if (continuation && extending) {
      header.fields.back().value = text.substr(value_start, line_end - value_start);
      continue;
    }
    std::size_t colon = 0;
    const std::size_t name_length = continuation ? 0 : field_name_length(line.text, colon);
    if (name_length == 0) {
      const bool mbox_separator = line.text.substr(0, 5) == "From " || line.text.substr(0, 6) == ">From ";
      if (line_start == 0 && junk_first_line == JunkFirstLine::starts_body && !mbox_separator) {
        header.body_start = 0;
        return header;
      }
      extending = false;
      continue;
    }
    extending = header.fields.size() < max_fields;
    if (extending) {
      value_start = line_start + colon + 1;
      header.fields.push_back({line.text.substr(0, name_length), text.substr(value_start, line_end - value_start)});
    }
  }
  header.body_start = text.size();
  return header;
}

// The fields that hold addresses (RFC 5322, RFC 3464, RFC 5965, RFC 8098 and what mailers
// add), which the address helpers read: their encoded words are decoded in display names only.
constexpr std::string_view address_fields[]{
    "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
    "Resent-Bcc", "Return-Path", "Delivered-To", "X-Original-To", "Envelope-To", "Errors-To", "Mail-Followup-To",
    "Mail-Reply-To", "Disposition-Notification-To", "X-Failed-Recipients", "Original-Recipient",
    "Final-Recipient", "X-Actual-Recipient", "Original-Rcpt-To", "Removal-Recipient", "X-HmXmrOriginalRecipient"};

bool is_address_field(std::string_view name) noexcept {
  return std::any_of(std::begin(address_fields), std::end(address_fields),
                     [&](std::string_view field) { return iequals_ascii(name, field); });
}

std::vector<HeaderField> decode_fields(const std::vector<RawField>& raw_fields) {
  std::vector<HeaderField> fields;
  fields.reserve(raw_fields.size());
  for (const RawField& field : raw_fields) {
    // Without an encoded word both decode alike; the name is looked up only when it matters.
    const bool address_field = field.value.find("=?") != npos && is_address_field(field.name);
    fields.push_back({std::string(field.name), address_field ? detail::decode_address_header_value(field.value)
                                                             : detail::decode_header_value(field.value)});
  }
  return fields;
}

const RawField* find_raw_field(const std::vector<RawField>& fields, std::string_view name) noexcept {
  for (const RawField& field : fields) {
    if (iequals_ascii(field.name, name)) return &field;
  }
  return nullptr;
}

// ---- bodies --------------------------------------------------------------------------------

// RFC 2045 section 5.1: `type/subtype`, each a token.
bool is_media_type(std::string_view type) noexcept {
  const std::size_t slash = type.find('/');
  if (slash == npos || slash == 0 || slash + 1 == type.size()) return false;
  constexpr std::string_view tspecials = "()<>@,;:\\\"[]?=";
  for (std::size_t i = 0; i < type.size(); ++i) {
    const auto c = static_cast<unsigned char>(type[i]);
    if (i == slash) continue;
    if (c <= 32 || c >= 127 || tspecials.find(type[i]) != npos || type[i] == '/') return false;
  }
  return true;
}

enum class TransferEncoding { identity, base64, quoted_printable };

TransferEncoding transfer_encoding_of(const std::vector<RawField>& fields) {
  const RawField* field = find_raw_field(fields, "Content-Transfer-Encoding");
  if (field == nullptr) return TransferEncoding::identity;
  const std::string token = detail::parse_parameterized_value(field->value, 0).token;
  if (token == "base64") return TransferEncoding::base64;
  if (token == "quoted-printable") return TransferEncoding::quoted_printable;
  return TransferEncoding::identity;  // 7bit, 8bit, binary, and what we do not know
}

std::string transfer_decoded(std::string_view content, TransferEncoding encoding) {
  std::string out;
  switch (encoding) {
    case TransferEncoding::identity: out.assign(content); break;
    case TransferEncoding::base64: detail::append_base64_decoded(out, content); break;
    case TransferEncoding::quoted_printable: detail::append_quoted_printable_decoded(out, content); break;
  }
  return out;
}

// CRLF and bare CR become LF, in place.
void normalize_line_ends(std::string& text) {
  if (text.find('\r') == npos) return;
  std::size_t write = 0;
  for (std::size_t read = 0; read < text.size(); ++read) {
    if (text[read] == '\r') {
      text[write++] = '\n';
      if (read + 1 < text.size() && text[read + 1] == '\n') ++read;
    } else {
      text[write++] = text[read];
    }
  }
  text.resize(write);
}

// The parts between `--boundary` lines (RFC 2046 section 5.1.1): the line break before a
// delimiter belongs to it, white space may follow it, the preamble and the epilogue are
// dropped, and without a close delimiter the last part runs to the end. A delimiter must be the
// whole line, so a boundary that is a prefix of another one (a nested part's) does not match
// the other's lines. Empty when there is no delimiter at all.
std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  std::optional<std::size_t> part_start;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const Line line = line_at(body, pos);
    const std::size_t line_start = pos;
    pos = line.next;
    const std::string_view text = line.text;
    if (text.size() < boundary.size() + 2 || text[0] != '-' || text[1] != '-' ||
        text.substr(2, boundary.size()) != boundary) {
      continue;
    }
    std::string_view rest = text.substr(boundary.size() + 2);
    const bool close = rest.substr(0, 2) == "--";
    if (close) rest.remove_prefix(2);
    if (!std::all_of(rest.begin(), rest.end(), is_wsp)) continue;
    if (part_start) {
      std::size_t part_end = line_start;
      if (part_end > *part_start && body[part_end - 1] == '\n') --part_end;
      if (part_end > *part_start && body[part_end - 1] == '\r') --part_end;
      parts.push_back(body.substr(*part_start, part_end - *part_start));
      if (parts.size() == max_parts) return parts;
    }
    if (close) return parts;
    part_start = pos;
  }
  if (part_start && parts.size() < max_parts) parts.push_back(body.substr(std::min(*part_start, body.size())));
  return parts;
}

// ---- the part tree -------------------------------------------------------------------------

// Builds the tree with an explicit stack: nesting costs heap, not call stack.
class PartTreeBuilder {
 public:
  explicit PartTreeBuilder(const MimeLimits& limits)
      : limits_(limits), max_depth_(std::min(limits.max_depth, hard_max_depth)), parts_left_(limits.max_parts) {}

  MimePart build(std::string_view raw) {
    MimePart root;
    pending_.push_back({&root, raw, 0, false});
    while (!pending_.empty()) {
      const Pending next = pending_.back();
      pending_.pop_back();
      read_part(next);
    }
    return root;
  }

 private:
  struct Pending {
    MimePart* part;  // stays put: a parent's `parts` is sized once, before its children are read
    std::string_view content;
    std::size_t depth;
    bool in_digest;  // the default type is message/rfc822 (RFC 2046 section 5.1.5)
  };

  void read_part(const Pending& pending) {
    MimePart& part = *pending.part;
    const RawHeader header = scan_header(pending.content, limits_.max_header_fields, JunkFirstLine::starts_body);
    part.headers = decode_fields(header.fields);
    const std::string_view body = pending.content.substr(header.body_start);

    if (const RawField* content_type = find_raw_field(header.fields, "Content-Type")) {
      detail::ParameterizedValue value = detail::parse_parameterized_value(content_type->value, limits_.max_header_fields);
      if (is_media_type(value.token)) part.media_type = std::move(value.token);
      part.parameters = std::move(value.parameters);
    }
    if (part.media_type.empty()) part.media_type = pending.in_digest ? "message/rfc822" : "text/plain";

    const bool may_nest = pending.depth < max_depth_ && parts_left_ > 0;
    if (may_nest && part.is("multipart/") && read_multipart(pending, body)) return;
    const TransferEncoding encoding = transfer_encoding_of(header.fields);
    if (may_nest && (part.is("message/rfc822") || part.is("message/global"))) {
      std::string_view message = body;
      if (encoding != TransferEncoding::identity) {
        message = decoded_messages_.emplace_back(transfer_decoded(body, encoding));
      }
      part.parts.resize(1);
      --parts_left_;
      pending_.push_back({&part.parts.front(), message, pending.depth + 1, false});
      return;
    }
    // A leaf, or a part kept opaque by the limits.
    if (!part.is("text/") && !part.is("message/")) {
      part.body = transfer_decoded(body, encoding);
      return;
    }
    const std::string_view charset = part.parameter("charset");
    part.body = encoding == TransferEncoding::identity ? detail::to_utf8(charset, body)
                                                       : detail::to_utf8(charset, transfer_decoded(body, encoding));
    normalize_line_ends(part.body);
  }

  bool read_multipart(const Pending& pending, std::string_view body) {
    MimePart& part = *pending.part;
    const std::string_view boundary = part.parameter("boundary");
    if (boundary.empty()) return false;
    const std::vector<std::string_view> contents = split_multipart(body, boundary, parts_left_);
    if (contents.empty()) return false;
    parts_left_ -= contents.size();
    part.parts.resize(contents.size());
    const bool digest = part.is("multipart/digest");
    // Pushed last to first, so they are read in order.
    for (std::size_t i = contents.size(); i-- > 0;) {
      pending_.push_back({&part.parts[i], contents[i], pending.depth + 1, digest});
    }
    return true;
  }

  const MimeLimits& limits_;
  std::size_t max_depth_;
  std::size_t parts_left_;
  std::vector<Pending> pending_;
  // Enclosed messages that had to be transfer-decoded before their parts could be read.
  std::deque<std::string> decoded_messages_;
};

// ---- addresses ------------------------------------------------------------------------------

// `local@domain` with both sides present.
bool is_address(std::string_view text) noexcept {
  const std::size_t at = text.rfind('@');
  return at != npos && at > 0 && at + 1 < text.size();
}

// Reads an address list (RFC 5322 section 3.4) the lenient way: each mailbox's address is in
// its angle brackets when it has them, else the first word with an `@`. Mailboxes end at `,`,
// and at `:` and `;` too, which covers groups (`team: a@x, b@y;`) and the address types of
// delivery status fields (`rfc822; a@x`). Comments are skipped, quoted strings kept whole.
class AddressListReader {
 public:
  explicit AddressListReader(std::string_view value) noexcept : value_(value) {}

  // Calls `found(address)` for each address in order until it returns false.
  template <class Found>
  void read(Found&& found) {
    while (pos_ < value_.size()) {
      const char c = value_[pos_];
      if (c == ',' || c == ';' || c == ':') {
        ++pos_;
        if (!end_mailbox(found)) return;
      } else if (c == '(') {
        end_word();
        skip_comment();
      } else if (c == '<') {
        end_word();
        read_angle_address();
      } else if (c == '"') {
        append_until_closing('"');
      } else if (c == '[') {
        append_until_closing(']');
      } else if (detail::is_space(c)) {
        end_word();
        ++pos_;
      } else {
        word_.push_back(c);
        ++pos_;
      }
    }
    end_mailbox(found);
  }

 private:
  void skip_comment() noexcept {
    std::size_t depth = 0;
    while (pos_ < value_.size()) {
      const char c = value_[pos_++];
      if (c == '\\') {
        if (pos_ < value_.size()) ++pos_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        return;
      }
    }
  }

  // A quoted string or a domain literal, kept in the word as written.
  void append_until_closing(char closing) {
    word_.push_back(value_[pos_++]);
    while (pos_ < value_.size()) {
      const char c = value_[pos_++];
      word_.push_back(c);
      if (c == '\\' && pos_ < value_.size()) {
        word_.push_back(value_[pos_++]);
      } else if (c == closing) {
        return;
      }
    }
  }

  // `<...>`: white space and comments dropped, an obsolete route (`<@relay:a@x>`) too.
  void read_angle_address() {
    ++pos_;
    std::string address;
    while (pos_ < value_.size() && value_[pos_] != '>') {
      const char c = value_[pos_];
      if (c == '(') {
        skip_comment();
      } else if (c == '"') {
        const std::size_t mark = word_.size();
        append_until_closing('"');
        address.append(word_, mark);
        word_.resize(mark);
      } else {
        if (!detail::is_space(c)) address.push_back(c);
        ++pos_;
      }
    }
    if (pos_ < value_.size()) ++pos_;
    if (!address.empty() && address.front() == '@') {
      const std::size_t colon = address.find(':');
      address.erase(0, colon == npos ? address.size() : colon + 1);
    }
    if (!has_angle_address_ && is_address(address)) {
      angle_address_ = std::move(address);
      has_angle_address_ = true;
    }
  }

  void end_word() {
    if (first_word_with_at_.empty() && is_address(word_)) first_word_with_at_ = word_;
    word_.clear();
  }

  template <class Found>
  bool end_mailbox(Found& found) {
    end_word();
    std::string address = has_angle_address_ ? std::move(angle_address_) : std::move(first_word_with_at_);
    angle_address_.clear();
    first_word_with_at_.clear();
    has_angle_address_ = false;
    return address.empty() || found(std::move(address));
  }

  std::string_view value_;
  std::size_t pos_ = 0;
  std::string word_;
  std::string first_word_with_at_;
  std::string angle_address_;
  bool has_angle_address_ = false;
};

bool is_attachment(const MimePart& part) {
  const std::string* disposition = part.header("Content-Disposition");
  return disposition != nullptr && detail::parse_parameterized_value(*disposition, 0).token == "attachment";
}

bool is_blank(std::string_view text) noexcept { return detail::trim(text).empty(); }

}  // namespace

const std::string* find_header(const std::vector<HeaderField>& fields, std::string_view name) noexcept {
  for (const HeaderField& field : fields) {
    if (iequals_ascii(field.name, name)) return &field.value;
  }
  return nullptr;
}

std::vector<HeaderField> parse_header_block(std::string_view text, std::size_t max_fields) {
  std::size_t start = 0;
  while (start < text.size() && (text[start] == '\r' || text[start] == '\n')) ++start;
  return decode_fields(scan_header(text.substr(start), max_fields, JunkFirstLine::skipped).fields);
}

std::vector<std::vector<HeaderField>> parse_header_blocks(std::string_view text, std::size_t max_fields) {
  std::vector<std::vector<HeaderField>> blocks;
  std::size_t pos = 0;
  while (pos < text.size() && max_fields > 0) {
    while (pos < text.size() && (text[pos] == '\r' || text[pos] == '\n')) ++pos;
    if (pos == text.size()) break;
    const std::string_view rest = text.substr(pos);
    const RawHeader header = scan_header(rest, max_fields, JunkFirstLine::skipped);
    if (!header.fields.empty()) {
      max_fields -= header.fields.size();
      blocks.push_back(decode_fields(header.fields));
    }
    pos += std::max<std::size_t>(header.body_start, 1);
  }
  return blocks;
}

std::string_view MimePart::parameter(std::string_view name) const noexcept {
  for (const auto& [key, value] : parameters) {
    if (iequals_ascii(key, name)) return value;
  }
  return {};
}

bool MimePart::is(std::string_view type) const noexcept {
  if (!type.empty() && type.back() == '/') return starts_with_ignoring_case(media_type, type);
  return iequals_ascii(media_type, type);
}

expected<MimePart> parse_message(std::string_view raw, const MimeLimits& limits) {
  if (raw.size() > limits.max_message_bytes) {
    return fail(Errc::invalid_value, "the message has " + std::to_string(raw.size()) + " bytes, more than the " +
                                         std::to_string(limits.max_message_bytes) + " allowed");
  }
  return PartTreeBuilder(limits).build(raw);
}

std::string readable_text(const MimePart& message, std::size_t max_bytes) {
  const MimePart* html = nullptr;
  std::vector<const MimePart*> to_visit{&message};
  while (!to_visit.empty()) {
    const MimePart* part = to_visit.back();
    to_visit.pop_back();
    if (part->is("multipart/")) {
      for (auto child = part->parts.rbegin(); child != part->parts.rend(); ++child) to_visit.push_back(&*child);
      continue;
    }
    if (!part->is("text/plain") && !part->is("text/html")) continue;
    if (is_blank(part->body) || is_attachment(*part)) continue;
    if (part->is("text/plain")) return std::string(detail::utf8_prefix(part->body, max_bytes));
    if (html == nullptr) html = part;
  }
  if (html == nullptr) return {};
  // Markup is most of an HTML part: sixteen bytes of it for each byte of text wanted.
  const std::size_t markup = max_bytes > SIZE_MAX / 16 ? SIZE_MAX : max_bytes * 16;
  std::string text = detail::html_to_text(detail::utf8_prefix(html->body, markup));
  text.resize(detail::utf8_prefix(text, max_bytes).size());
  return text;
}

std::vector<std::string> message_ids_in(std::string_view value) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while (pos < value.size()) {
    const char c = value[pos];
    if (c == '(') {
      // A comment, nested or not: `(message from <a@b> of ...)` names no id of this field.
      std::size_t depth = 0;
      for (; pos < value.size(); ++pos) {
        if (value[pos] == '\\') ++pos;
        else if (value[pos] == '(') ++depth;
        else if (value[pos] == ')' && --depth == 0) break;
      }
      ++pos;
    } else if (c == '"') {
      const std::size_t close = value.find('"', pos + 1);
      pos = close == npos ? value.size() : close + 1;
    } else if (c == '<') {
      const std::size_t close = value.find_first_of("<>", pos + 1);
      if (close == npos) break;
      if (value[close] == '<') {  // `<<a@b>`: the inner one
        pos = close;
        continue;
      }
      std::string id = "<";
      for (const char inner : value.substr(pos + 1, close - pos - 1)) {
        if (!detail::is_space(inner)) id.push_back(inner);
      }
      id.push_back('>');
      if (is_address(std::string_view(id).substr(1, id.size() - 2))) ids.push_back(std::move(id));
      pos = close + 1;
    } else {
      ++pos;
    }
  }
  if (ids.empty()) {
    // Some mailers leave the brackets out: a lone `a@b` is taken as the id.
    AddressListReader(value).read([&](std::string address) {
      ids.push_back("<" + address + ">");
      return true;
    });
  }
  return ids;
}

std::optional<std::string> first_address_in(std::string_view value) {
  std::optional<std::string> first;
  AddressListReader(value).read([&](std::string address) {
    first = std::move(address);
    return false;
  });
  return first;
}

std::vector<std::string> addresses_in(std::string_view value) {
  std::vector<std::string> addresses;
  AddressListReader(value).read([&](std::string address) {
    addresses.push_back(std::move(address));
    return true;
  });
  return addresses;
}

}  // namespace outreach
