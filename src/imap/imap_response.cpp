#include "imap/imap_response.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/ascii.hpp"

namespace outreach::detail::imap {

// Reading is two passes over each response. Framing finds where a response ends: a line that is
// not followed by a literal, where a literal is `{n}` or `{n+}` at the end of a line; it keeps its
// place between calls and skips a literal's bytes by counting them, so each byte is searched once.
// Parsing then reads the complete response into tokens with an explicit stack (no recursion, so
// nesting costs no stack), counting every value against the limits.

namespace {

constexpr std::size_t no_line_end = std::string_view::npos;

[[nodiscard]] tl::unexpected<Error> malformed(std::string message) {
  return fail(Errc::parse_error, "IMAP response: " + std::move(message));
}

[[nodiscard]] tl::unexpected<Error> too_large(std::string message) {
  return fail(Errc::limit_exceeded, "IMAP response: " + std::move(message));
}

// Up to 40 bytes of server input for a message, with anything unprintable escaped.
std::string shown(std::string_view bytes) {
  constexpr std::size_t most = 40;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < most; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (bytes.size() > most) out += "...";
  return out;
}

[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
[[nodiscard]] constexpr bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 3501 ATOM-CHAR, leniently: 8-bit bytes, '%', '*' and '\' (flags such as \Seen) are allowed.
[[nodiscard]] constexpr bool is_atom_char(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  if (byte <= 0x20 || byte == 0x7f) return false;
  return c != '(' && c != ')' && c != '{' && c != '"' && c != ']';
}

// RFC 3501 tag: ASTRING-CHAR except '+'.
[[nodiscard]] constexpr bool is_tag_char(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  if (byte <= 0x20 || byte >= 0x7f) return false;
  return std::string_view("(){%*\"\\+").find(c) == std::string_view::npos;
}

// Digits as a 64-bit number; nothing when empty, not all digits, or too large.
[[nodiscard]] std::optional<std::uint64_t> to_number(std::string_view digits) noexcept {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

struct StatusWord {
  Condition condition = Condition::none;
  std::size_t length = 0;
};

// The condition that starts `text` (OK, NO, BAD, PREAUTH, BYE in any case), when it is a whole
// word. Framing and parsing both decide with this, so they agree on what is a status response.
[[nodiscard]] StatusWord status_word(std::string_view text) noexcept {
  std::size_t length = 0;
  while (length < text.size() && is_letter(text[length])) ++length;
  if (length < text.size() && !is_blank(text[length]) && text[length] != '[' && text[length] != '\r' &&
      text[length] != '\n') {
    return {};
  }
  const std::string_view word = text.substr(0, length);
  for (const auto& [name, condition] : {std::pair{"OK", Condition::ok}, std::pair{"NO", Condition::no},
                                        std::pair{"BAD", Condition::bad}, std::pair{"PREAUTH", Condition::preauth},
                                        std::pair{"BYE", Condition::bye}}) {
    if (iequals_ascii(word, name)) return {condition, length};
  }
  return {};
}

// Whether a response that starts with `line` is that line alone: continuation requests, tagged
// responses and untagged status responses. Their text cannot hold a literal (RFC 3501 `text`).
[[nodiscard]] bool is_one_line_response(std::string_view line) noexcept {
  if (!line.empty() && line.front() == '+') return true;
  std::size_t at = 0;
  while (at < line.size() && !is_blank(line[at])) ++at;
  if (line.substr(0, at) != "*") return true;
  while (at < line.size() && is_blank(line[at])) ++at;
  return status_word(line.substr(at)).condition != Condition::none;
}

struct LiteralAnnouncement {
  bool found = false;
  std::uint64_t length = 0;
};

// `{n}` or `{n+}` at the end of a line (without its line end), or an error for digits that
// overflow. Anything else is not an announcement; the parser says what is wrong with it.
[[nodiscard]] expected<LiteralAnnouncement> literal_at_end(std::string_view line) {
  if (line.empty() || line.back() != '}') return LiteralAnnouncement{};
  std::size_t end = line.size() - 1;
  if (end > 0 && line[end - 1] == '+') --end;
  std::size_t begin = end;
  while (begin > 0 && is_digit(line[begin - 1])) --begin;
  if (begin == end || begin == 0 || line[begin - 1] != '{') return LiteralAnnouncement{};
  const auto length = to_number(line.substr(begin, end - begin));
  if (!length) return malformed("a literal length that overflows: {" + shown(line.substr(begin, end - begin)) + "}");
  return LiteralAnnouncement{true, *length};
}

// ---- Parsing one complete response ------------------------------------------------------------

class Parser {
 public:
  Parser(std::string_view input, const ReaderLimits& limits) : in_(input), limits_(limits) {}

  expected<Response> parse() {
    Response response;
    if (in_.front() == '+') {
      response.kind = Response::Kind::continuation;
      pos_ = 1;
      if (auto text = parse_resp_text(response); !text) return fail(text.error());
      return response;
    }
    std::size_t end = 0;
    while (end < in_.size() && !is_blank(in_[end]) && in_[end] != '\r' && in_[end] != '\n') ++end;
    const std::string_view tag = in_.substr(0, end);
    if (tag == "*") {
      response.kind = Response::Kind::untagged;
    } else {
      if (tag.empty() || !std::all_of(tag.begin(), tag.end(), is_tag_char)) {
        return malformed("not a response: \"" + shown(in_.substr(0, 40)) + "\" does not start with a tag, * or +");
      }
      response.kind = Response::Kind::tagged;
      response.tag = std::string(tag);
    }
    pos_ = end;
    if (pos_ >= in_.size() || !is_blank(in_[pos_])) {
      return malformed("a response with nothing after its tag: \"" + shown(in_) + "\"");
    }
    skip_blanks();
    const StatusWord word = status_word(in_.substr(pos_));
    if (word.condition != Condition::none) {
      response.condition = word.condition;
      pos_ += word.length;
      if (auto text = parse_resp_text(response); !text) return fail(text.error());
      return response;
    }
    if (response.kind == Response::Kind::tagged) {
      return malformed("a tagged response that is not OK, NO or BAD: \"" + shown(in_) + "\"");
    }
    auto values = parse_values(Context::data, 0);
    if (!values) return fail(values.error());
    if (values->empty()) return malformed("an untagged response without content");
    response.values = std::move(*values);
    return response;
  }

 private:
  enum class Context : std::uint8_t { data, code };

  void skip_blanks() noexcept {
    while (pos_ < in_.size() && is_blank(in_[pos_])) ++pos_;
  }

  // Length of the line end (CRLF or LF) at `at`, or 0.
  [[nodiscard]] std::size_t line_end_at(std::size_t at) const noexcept {
    if (at < in_.size() && in_[at] == '\n') return 1;
    if (at + 1 < in_.size() && in_[at] == '\r' && in_[at + 1] == '\n') return 2;
    return 0;
  }

  expected<void> count_value() {
    if (++items_ > limits_.max_items) {
      return too_large("more than " + std::to_string(limits_.max_items) + " values in one response");
    }
    return {};
  }

  // resp-text: an optional [code], then text to the end of the line, trailing blanks dropped.
  expected<void> parse_resp_text(Response& response) {
    skip_blanks();
    if (pos_ < in_.size() && in_[pos_] == '[') {
      if (auto code = parse_code(response); !code) return code;
      skip_blanks();
    }
    std::size_t end = in_.find('\n', pos_);
    if (end == no_line_end) end = in_.size();
    if (end > pos_ && in_[end - 1] == '\r') --end;
    while (end > pos_ && is_blank(in_[end - 1])) --end;
    response.text = std::string(in_.substr(pos_, end - pos_));
    pos_ = in_.size();
    return {};
  }

  expected<void> parse_code(Response& response) {
    if (limits_.max_depth < 1) return too_large("a response code is deeper than the depth limit of 0");
    ++pos_;
    const std::size_t name_start = pos_;
    while (pos_ < in_.size() && is_atom_char(in_[pos_])) ++pos_;
    if (pos_ == name_start) return malformed("a response code without a name: \"" + shown(in_.substr(name_start - 1)) + "\"");
    response.code = std::string(in_.substr(name_start, pos_ - name_start));
    for (char& c : response.code) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (auto counted = count_value(); !counted) return counted;
    if (pos_ < in_.size() && in_[pos_] == ']') {
      ++pos_;
      return {};
    }
    const std::size_t arguments = pos_;
    const std::size_t items_before = items_;
    auto values = parse_values(Context::code, 1);
    if (values) {
      response.code_values = std::move(*values);
      return {};
    }
    if (values.error().code() == Errc::limit_exceeded) return fail(values.error());
    // Codes of other extensions may carry free text (RFC 3501: any TEXT-CHAR except "]"): keep
    // it as one atom rather than drop the connection.
    std::size_t line_end = in_.find('\n', arguments);
    if (line_end == no_line_end) line_end = in_.size();
    const std::size_t close = in_.substr(0, line_end).find(']', arguments);
    if (close == no_line_end) {
      return malformed("a response code [" + shown(response.code) + " without its closing ]");
    }
    items_ = items_before;
    const std::string_view raw = trim(in_.substr(arguments, close - arguments));
    if (!raw.empty()) {
      if (auto counted = count_value(); !counted) return counted;
      Value text;
      text.text = std::string(raw);
      response.code_values.push_back(std::move(text));
    }
    pos_ = close + 1;
    return {};
  }

  // Values to the end of the response (data) or to the "]" that closes a code, which it takes.
  // `depth` is the nesting the values start at: 1 inside a code's brackets.
  expected<std::vector<Value>> parse_values(Context context, std::size_t depth) {
    std::vector<std::vector<Value>> levels(1);
    while (true) {
      skip_blanks();
      if (pos_ >= in_.size()) return malformed("a response that ends without a line end");
      if (const std::size_t line_end = line_end_at(pos_)) {
        if (context == Context::code) return malformed("a response code without its closing ]");
        if (pos_ + line_end != in_.size()) return malformed("a line end inside a response");
        if (levels.size() > 1) return malformed("unbalanced parentheses: a ( without its )");
        pos_ = in_.size();
        return std::move(levels.front());
      }
      const char c = in_[pos_];
      if (c == '(') {
        if (depth + levels.size() > limits_.max_depth) {
          return too_large("lists nested deeper than " + std::to_string(limits_.max_depth));
        }
        if (auto counted = count_value(); !counted) return fail(counted.error());
        levels.emplace_back();
        ++pos_;
        continue;
      }
      if (c == ')') {
        if (levels.size() == 1) return malformed("unbalanced parentheses: a ) without its (");
        Value list;
        list.kind = Value::Kind::list;
        list.items = std::move(levels.back());
        levels.pop_back();
        levels.back().push_back(std::move(list));
        ++pos_;
        continue;
      }
      if (c == ']' && context == Context::code) {
        if (levels.size() > 1) return malformed("unbalanced parentheses: a ( without its ) in a response code");
        ++pos_;
        return std::move(levels.front());
      }
      expected<Value> value = c == '"' ? parse_quoted()
                              : c == '{' || (c == '~' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '{')
                                  ? parse_literal()
                                  : parse_atom(context);
      if (!value) return fail(value.error());
      if (auto counted = count_value(); !counted) return fail(counted.error());
      levels.back().push_back(std::move(*value));
    }
  }

  expected<Value> parse_quoted() {
    ++pos_;
    Value value;
    value.kind = Value::Kind::string;
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return value;
      }
      if (c == '\0') return malformed("a NUL byte in a quoted string");
      if (c == '\r' || c == '\n') break;
      if (c == '\\' && pos_ + 1 < in_.size() && (in_[pos_ + 1] == '\\' || in_[pos_ + 1] == '"')) {
        value.text += in_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      // Any other backslash is kept as sent: a sloppy server's "\" in a name is still readable.
      value.text += c;
      ++pos_;
    }
    return malformed("a quoted string without its closing quote");
  }

  expected<Value> parse_literal() {
    const std::size_t start = pos_;
    if (in_[pos_] == '~') ++pos_;
    ++pos_;
    const std::size_t digits = pos_;
    while (pos_ < in_.size() && is_digit(in_[pos_])) ++pos_;
    const std::string_view length_text = in_.substr(digits, pos_ - digits);
    if (pos_ < in_.size() && in_[pos_] == '+') ++pos_;
    if (length_text.empty() || pos_ >= in_.size() || in_[pos_] != '}') {
      return malformed("bad literal syntax: \"" + shown(in_.substr(start, 20)) + "\"");
    }
    ++pos_;
    const std::size_t line_end = line_end_at(pos_);
    if (line_end == 0) return malformed("a literal that is not at the end of its line: \"" + shown(in_.substr(start, 20)) + "\"");
    pos_ += line_end;
    const auto length = to_number(length_text);
    if (!length) return malformed("a literal length that overflows: {" + shown(length_text) + "}");
    if (*length > limits_.max_literal) {
      return too_large("a literal of " + std::to_string(*length) + " bytes, over the limit of " +
                       std::to_string(limits_.max_literal));
    }
    if (*length >= in_.size() - pos_) return malformed("a literal longer than its response");
    Value value;
    value.kind = Value::Kind::string;
    value.text = std::string(in_.substr(pos_, static_cast<std::size_t>(*length)));
    pos_ += static_cast<std::size_t>(*length);
    return value;
  }

  expected<Value> parse_atom(Context context) {
    const std::size_t start = pos_;
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '[' && context == Context::data) {
        // A section, as in BODY[HEADER.FIELDS (MESSAGE-ID)]<0>: one token up to its "]".
        std::size_t close = pos_ + 1;
        while (close < in_.size() && in_[close] != ']' && in_[close] != '\r' && in_[close] != '\n' &&
               in_[close] != '\0') {
          ++close;
        }
        if (close >= in_.size() || in_[close] != ']') {
          return malformed("a section [ without its ]: \"" + shown(in_.substr(start, 40)) + "\"");
        }
        pos_ = close + 1;
        continue;
      }
      if (!is_atom_char(c)) break;
      ++pos_;
    }
    if (pos_ == start) {
      return malformed("unexpected byte \"" + shown(in_.substr(pos_, 1)) + "\" in \"" +
                       shown(in_.substr(start > 20 ? start - 20 : 0, 40)) + "\"");
    }
    Value value;
    value.text = std::string(in_.substr(start, pos_ - start));
    if (const auto number = to_number(value.text)) {
      value.kind = Value::Kind::number;
      value.number = *number;
    } else if (iequals_ascii(value.text, "NIL")) {
      value.kind = Value::Kind::nil;
      value.text.clear();
    }
    return value;
  }

  std::string_view in_;
  const ReaderLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

}  // namespace

// ---- Value and Response -----------------------------------------------------------------------

bool Value::is_atom(std::string_view name) const noexcept {
  return kind == Kind::atom && iequals_ascii(text, name);
}

bool Value::is_number32() const noexcept {
  return kind == Kind::number && number <= std::numeric_limits<std::uint32_t>::max();
}

std::optional<std::string_view> Value::astring() const noexcept {
  if (kind == Kind::atom || kind == Kind::number || kind == Kind::string) return std::string_view(text);
  return std::nullopt;
}

bool Response::is_data(std::string_view keyword) const noexcept {
  return kind == Kind::untagged && condition == Condition::none && !values.empty() && values.front().is_atom(keyword);
}

// ---- ResponseReader ---------------------------------------------------------------------------

ResponseReader::ResponseReader(ReaderLimits limits) : limits_(limits) {}

void ResponseReader::feed(std::string_view bytes) {
  if (failed_) return;
  // Drop what earlier responses took once it is at least half the buffer, so that moving the
  // rest down costs no more than the bytes dropped.
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ >= 4096 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::size_t ResponseReader::buffered() const noexcept { return buffer_.size() - start_; }

void ResponseReader::reset_frame() noexcept {
  segment_ = 0;
  scanned_ = 0;
  literal_left_ = 0;
  in_literal_ = false;
}

expected<std::optional<std::size_t>> ResponseReader::frame() {
  while (true) {
    const std::string_view rest = std::string_view(buffer_).substr(start_);
    if (in_literal_) {
      if (rest.size() - segment_ < literal_left_) return std::optional<std::size_t>{};
      segment_ += static_cast<std::size_t>(literal_left_);
      literal_left_ = 0;
      in_literal_ = false;
      scanned_ = 0;
    }
    const std::size_t line_feed = rest.find('\n', segment_ + scanned_);
    if (line_feed == no_line_end) {
      scanned_ = rest.size() - segment_;
      const std::size_t line = scanned_ - (scanned_ > 0 && rest.back() == '\r' ? 1 : 0);
      if (line > limits_.max_line) {
        return too_large("a line longer than " + std::to_string(limits_.max_line) + " bytes");
      }
      if (rest.size() > limits_.max_response) {
        return too_large("a response longer than " + std::to_string(limits_.max_response) + " bytes");
      }
      return std::optional<std::size_t>{};
    }
    std::string_view line = rest.substr(segment_, line_feed - segment_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits_.max_line) {
      return too_large("a line longer than " + std::to_string(limits_.max_line) + " bytes");
    }
    const std::size_t through_line = line_feed + 1;
    if (through_line > limits_.max_response) {
      return too_large("a response longer than " + std::to_string(limits_.max_response) + " bytes");
    }
    if (segment_ == 0) {
      if (line.empty()) {
        // An empty line between responses says nothing; some servers send one.
        start_ += through_line;
        reset_frame();
        continue;
      }
      if (is_one_line_response(line)) return std::optional<std::size_t>{through_line};
    }
    auto literal = literal_at_end(line);
    if (!literal) return fail(literal.error());
    if (!literal->found) return std::optional<std::size_t>{through_line};
    if (literal->length > limits_.max_literal) {
      return too_large("a literal of " + std::to_string(literal->length) + " bytes, over the limit of " +
                       std::to_string(limits_.max_literal));
    }
    if (literal->length > limits_.max_response - through_line) {
      return too_large("a response longer than " + std::to_string(limits_.max_response) + " bytes");
    }
    in_literal_ = true;
    literal_left_ = literal->length;
    segment_ = through_line;
    scanned_ = 0;
  }
}

expected<std::optional<Response>> ResponseReader::next() {
  if (failed_) return fail(*failed_);
  auto size = frame();
  if (!size) {
    failed_ = size.error();
    return fail(size.error());
  }
  if (!*size) return std::optional<Response>{};
  const std::string_view bytes = std::string_view(buffer_).substr(start_, **size);
  auto response = Parser(bytes, limits_).parse();
  start_ += **size;
  reset_frame();
  if (!response) {
    failed_ = response.error();
    return fail(response.error());
  }
  return std::optional<Response>{std::move(*response)};
}

// ---- Typed views ------------------------------------------------------------------------------

namespace {

[[nodiscard]] std::optional<std::uint32_t> number32(const Value& value) noexcept {
  if (!value.is_number32()) return std::nullopt;
  return static_cast<std::uint32_t>(value.number);
}

[[nodiscard]] std::optional<std::uint32_t> nonzero32(const Value& value) noexcept {
  const auto number = number32(value);
  if (!number || *number == 0) return std::nullopt;
  return number;
}

// Appends the numbers of an RFC 3501 sequence-set ("1:3,5") to `out`; false when it is malformed
// (a "*", a 0, a number over 32 bits) or when `out` would grow past max_search_results.
bool expand_sequence_set(std::string_view set, std::vector<std::uint32_t>& out) {
  // Count first, so that a set such as 1:4294967295 is refused before anything is allocated.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
  std::uint64_t total = out.size();
  while (true) {
    const std::size_t comma = std::min(set.find(','), set.size());
    const std::string_view part = set.substr(0, comma);
    const std::size_t colon = part.find(':');
    const auto first = to_number(part.substr(0, colon));
    const auto last = colon == std::string_view::npos ? first : to_number(part.substr(colon + 1));
    if (!first || !last || *first == 0 || *last == 0 || *first > 0xffffffffu || *last > 0xffffffffu) return false;
    const auto low = static_cast<std::uint32_t>(std::min(*first, *last));
    const auto high = static_cast<std::uint32_t>(std::max(*first, *last));
    total += static_cast<std::uint64_t>(high - low) + 1;
    if (total > max_search_results) return false;
    // RFC 3501: n:m is the same set as m:n; the set's order is kept, each range ascending.
    ranges.emplace_back(low, high);
    if (comma == set.size()) break;
    set.remove_prefix(comma + 1);
  }
  out.reserve(static_cast<std::size_t>(total));
  for (const auto& [low, high] : ranges) {
    for (std::uint64_t n = low; n <= high; ++n) out.push_back(static_cast<std::uint32_t>(n));
  }
  return true;
}

void add_capability(Capabilities& caps, std::string_view name) {
  const std::string lower = ascii_lower(name);
  const std::pair<std::string_view, bool Capabilities::*> known[] = {
      {"imap4rev1", &Capabilities::imap4rev1},       {"starttls", &Capabilities::starttls},
      {"logindisabled", &Capabilities::logindisabled}, {"idle", &Capabilities::idle},
      {"sasl-ir", &Capabilities::sasl_ir},           {"auth=plain", &Capabilities::auth_plain},
      {"auth=login", &Capabilities::auth_login},     {"auth=xoauth2", &Capabilities::auth_xoauth2},
      {"special-use", &Capabilities::special_use},   {"id", &Capabilities::id},
      {"enable", &Capabilities::enable},             {"uidplus", &Capabilities::uidplus},
      {"esearch", &Capabilities::esearch},           {"literal+", &Capabilities::literal_plus},
      {"literal-", &Capabilities::literal_minus},    {"condstore", &Capabilities::condstore},
      {"utf8=accept", &Capabilities::utf8_accept},   {"utf8=only", &Capabilities::utf8_accept},
  };
  for (const auto& [capability, member] : known) {
    if (lower == capability) caps.*member = true;
  }
}

// The name of a FETCH item that carries message text.
[[nodiscard]] bool is_body_item(std::string_view name) noexcept {
  const std::string lower = ascii_lower(name);
  const std::string_view item(lower);
  return item.starts_with("body[") || item.starts_with("binary[") || item == "rfc822" || item == "rfc822.header" ||
         item == "rfc822.text";
}

}  // namespace

bool carries_capabilities(const Response& response) noexcept {
  return response.is_data("CAPABILITY") || (response.is_status() && response.code == "CAPABILITY");
}

Capabilities parse_capabilities(const Response& response) {
  Capabilities caps;
  const std::vector<Value>* names = nullptr;
  std::size_t first = 0;
  if (response.is_data("CAPABILITY")) {
    names = &response.values;
    first = 1;
  } else if (response.is_status() && response.code == "CAPABILITY") {
    names = &response.code_values;
  } else {
    return caps;
  }
  for (std::size_t i = first; i < names->size(); ++i) {
    if ((*names)[i].kind == Value::Kind::atom) add_capability(caps, (*names)[i].text);
  }
  return caps;
}

std::optional<std::uint32_t> numbered_data(const Response& response, std::string_view keyword) {
  if (response.kind != Response::Kind::untagged || response.is_status() || response.values.size() != 2) {
    return std::nullopt;
  }
  if (!response.values[1].is_atom(keyword)) return std::nullopt;
  const auto number = number32(response.values[0]);
  const bool counts = iequals_ascii(keyword, "EXISTS") || iequals_ascii(keyword, "RECENT");
  if (!number || (*number == 0 && !counts)) return std::nullopt;
  return number;
}

std::optional<std::uint32_t> exists_count(const Response& response) { return numbered_data(response, "EXISTS"); }

std::optional<FetchItem> parse_fetch(const Response& response) {
  if (response.kind != Response::Kind::untagged || response.is_status() || response.values.size() != 3 ||
      !response.values[1].is_atom("FETCH") || !response.values[2].is_list()) {
    return std::nullopt;
  }
  FetchItem item;
  const auto sequence = nonzero32(response.values[0]);
  if (!sequence) return std::nullopt;
  item.sequence = *sequence;
  const std::vector<Value>& pairs = response.values[2].items;
  if (pairs.size() % 2 != 0) return std::nullopt;
  bool body_seen = false;
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    const Value& name = pairs[i];
    const Value& value = pairs[i + 1];
    if (name.kind != Value::Kind::atom) return std::nullopt;
    if (name.is_atom("UID")) {
      const auto uid = nonzero32(value);
      if (!uid) return std::nullopt;
      item.uid = uid;
    } else if (name.is_atom("RFC822.SIZE")) {
      if (value.kind != Value::Kind::number) return std::nullopt;
      item.size = value.number;
    } else if (name.is_atom("FLAGS")) {
      if (!value.is_list()) return std::nullopt;
      item.flags.clear();
      for (const Value& flag : value.items) {
        if (flag.kind != Value::Kind::atom) return std::nullopt;
        item.flags.push_back(flag.text);
      }
    } else if (name.is_atom("INTERNALDATE")) {
      if (value.kind != Value::Kind::string) return std::nullopt;
      item.internal_date = value.text;
    } else if (is_body_item(name.text)) {
      if (value.kind != Value::Kind::string && !value.is_nil()) return std::nullopt;
      if (body_seen) continue;
      body_seen = true;
      item.body_section = name.text;
      if (value.kind == Value::Kind::string) item.body = value.text;
    }
  }
  return item;
}

std::optional<EsearchResult> parse_esearch(const Response& response) {
  if (!response.is_data("ESEARCH")) return std::nullopt;
  const std::vector<Value>& values = response.values;
  EsearchResult result;
  std::size_t i = 1;
  if (i < values.size() && values[i].is_list()) {
    const std::vector<Value>& correlator = values[i].items;
    if (correlator.size() != 2 || !correlator[0].is_atom("TAG") || correlator[1].kind != Value::Kind::string) {
      return std::nullopt;
    }
    result.tag = correlator[1].text;
    ++i;
  }
  if (i < values.size() && values[i].is_atom("UID")) {
    result.uid = true;
    ++i;
  }
  for (; i < values.size(); i += 2) {
    if (values[i].kind != Value::Kind::atom || i + 1 >= values.size()) return std::nullopt;
    const Value& name = values[i];
    const Value& value = values[i + 1];
    if (name.is_atom("MIN") || name.is_atom("MAX") || name.is_atom("COUNT")) {
      const auto number = name.is_atom("COUNT") ? number32(value) : nonzero32(value);
      if (!number) return std::nullopt;
      (name.is_atom("MIN") ? result.min : name.is_atom("MAX") ? result.max : result.count) = number;
    } else if (name.is_atom("ALL")) {
      if (value.kind != Value::Kind::atom && value.kind != Value::Kind::number) return std::nullopt;
      result.all.clear();
      if (!expand_sequence_set(value.text, result.all)) return std::nullopt;
    }
  }
  return result;
}

std::optional<std::vector<std::uint32_t>> parse_search(const Response& response) {
  if (response.is_data("ESEARCH")) {
    auto result = parse_esearch(response);
    if (!result) return std::nullopt;
    return std::move(result->all);
  }
  if (!response.is_data("SEARCH")) return std::nullopt;
  std::vector<std::uint32_t> numbers;
  numbers.reserve(response.values.size() - 1);
  for (std::size_t i = 1; i < response.values.size(); ++i) {
    const Value& value = response.values[i];
    // RFC 7162: a CONDSTORE search ends with (MODSEQ n).
    if (value.is_list() && i + 1 == response.values.size()) break;
    const auto number = nonzero32(value);
    if (!number) return std::nullopt;
    numbers.push_back(*number);
  }
  return numbers;
}

std::optional<ListItem> parse_list(const Response& response) {
  if (!response.is_data("LIST") && !response.is_data("LSUB")) return std::nullopt;
  const std::vector<Value>& values = response.values;
  if (values.size() < 4 || !values[1].is_list()) return std::nullopt;
  ListItem item;
  for (const Value& attribute : values[1].items) {
    if (attribute.kind != Value::Kind::atom) return std::nullopt;
    item.attributes.push_back(attribute.text);
  }
  const Value& delimiter = values[2];
  if (!delimiter.is_nil()) {
    if ((delimiter.kind != Value::Kind::string && delimiter.kind != Value::Kind::atom) || delimiter.text.size() != 1) {
      return std::nullopt;
    }
    item.delimiter = delimiter.text.front();
  }
  const auto name = values[3].astring();
  if (!name) return std::nullopt;
  item.name = std::string(*name);
  return item;
}

std::optional<StatusItem> parse_status(const Response& response) {
  if (!response.is_data("STATUS") || response.values.size() != 3 || !response.values[2].is_list()) {
    return std::nullopt;
  }
  const auto mailbox = response.values[1].astring();
  if (!mailbox) return std::nullopt;
  StatusItem item;
  item.mailbox = std::string(*mailbox);
  const std::vector<Value>& pairs = response.values[2].items;
  if (pairs.size() % 2 != 0) return std::nullopt;
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    const Value& name = pairs[i];
    if (name.kind != Value::Kind::atom) return std::nullopt;
    std::optional<std::uint32_t> StatusItem::*field = name.is_atom("MESSAGES")      ? &StatusItem::messages
                                                      : name.is_atom("UIDNEXT")     ? &StatusItem::uid_next
                                                      : name.is_atom("UIDVALIDITY") ? &StatusItem::uid_validity
                                                      : name.is_atom("UNSEEN")      ? &StatusItem::unseen
                                                                                    : nullptr;
    if (field == nullptr) continue;
    const auto number = number32(pairs[i + 1]);
    if (!number) return std::nullopt;
    item.*field = number;
  }
  return item;
}

std::optional<std::uint32_t> code_number(const Response& response, std::string_view code) {
  if (!response.is_status() || !iequals_ascii(response.code, code) || response.code_values.empty()) {
    return std::nullopt;
  }
  return number32(response.code_values.front());
}

}  // namespace outreach::detail::imap
