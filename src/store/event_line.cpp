#include "store/event_line.hpp"

#include <array>
#include <cstring>
#include <limits>

#include "util/utf8_check.hpp"

namespace outreach::detail {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    out += '\\';
    switch (byte) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '\b': out += 'b'; break;
      case '\t': out += 't'; break;
      case '\n': out += 'n'; break;
      case '\f': out += 'f'; break;
      case '\r': out += 'r'; break;
      default:
        out += "u00";
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

namespace {

// The members a plain line may have, in the order `to_json_line` writes them.
enum class Member : std::uint8_t {
  type, at, campaign, lead, step, variant, mailbox, message_id, subject, in_reply_to, sequence_version, kind,
  return_date, reason, code, status, retry_at, url, suspect, cause, settled, count
};
constexpr std::array<std::string_view, static_cast<std::size_t>(Member::count)> member_names{
    "type", "at", "campaign", "lead", "step", "variant", "mailbox", "message_id", "subject", "in_reply_to",
    "sequence_version", "kind", "return_date", "reason", "code", "status", "retry_at", "url", "suspect", "cause",
    "settled"};

// The member of a key, looked for from the one after the member before: a line in the writer's
// order finds each at once.
std::optional<Member> member_named(std::string_view key, std::size_t& next) {
  for (std::size_t tried = 0; tried < member_names.size(); ++tried) {
    const std::size_t i = (next + tried) % member_names.size();
    if (member_names[i] == key) {
      next = i + 1;
      return static_cast<Member>(i);
    }
  }
  return std::nullopt;
}

// Reads a flat JSON object's members left to right; every method is false on anything a plain
// line does not have.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  [[nodiscard]] bool done() const noexcept { return at_ == text_.size(); }
  bool consume(char c) noexcept {
    if (at_ >= text_.size() || text_[at_] != c) return false;
    ++at_;
    return true;
  }
  // A string with no escape and no control character, valid UTF-8.
  bool string(std::string_view& value) noexcept {
    if (!consume('"')) return false;
    const void* quote = std::memchr(text_.data() + at_, '"', text_.size() - at_);
    if (quote == nullptr) return false;
    const auto end = static_cast<std::size_t>(static_cast<const char*>(quote) - text_.data());
    value = text_.substr(at_, end - at_);
    at_ = end + 1;
    for (const char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '\\') return false;
    }
    const std::size_t ascii = ascii_prefix_length(value);
    return ascii == value.size() || !find_invalid_utf8(value.substr(ascii));
  }
  // A JSON integer (no fraction, exponent or leading zero) within [low, high].
  bool integer(std::int64_t low, std::int64_t high, std::int64_t& value) noexcept {
    const std::size_t start = at_;
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    const std::size_t digits = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    if (at_ == digits || (text_[digits] == '0' && at_ - digits > 1)) return false;
    if (at_ < text_.size() && (text_[at_] == '.' || text_[at_] == 'e' || text_[at_] == 'E')) return false;
    const auto parsed = std::from_chars(text_.data() + start, text_.data() + at_, value);
    return parsed.ec == std::errc() && value >= low && value <= high;
  }
  bool literal_true() noexcept {
    if (text_.substr(at_, 4) != "true") return false;
    at_ += 4;
    return true;
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

template <class Enum, class FromString>
bool read_enum(Scanner& scanner, FromString from_string, Enum& field) {
  std::string_view name;
  if (!scanner.string(name)) return false;
  const auto value = from_string(name);
  if (!value) return false;
  field = *value;
  return true;
}

bool read_instant(Scanner& scanner, Instant& field) {
  std::string_view text;
  if (!scanner.string(text)) return false;
  const auto instant = parse_instant(text);
  if (!instant) return false;
  field = *instant;
  return true;
}

bool read_text(Scanner& scanner, std::string& field) {
  std::string_view text;
  if (!scanner.string(text)) return false;
  field.assign(text);
  return true;
}

bool read_int(Scanner& scanner, std::int64_t low, int& field) {
  std::int64_t value = 0;
  if (!scanner.integer(low, std::numeric_limits<int>::max(), value)) return false;
  field = static_cast<int>(value);
  return true;
}

bool read_member(Scanner& scanner, Member member, Event& event) {
  switch (member) {
    case Member::type: return read_enum(scanner, event_type_from_string, event.type);
    case Member::at: return read_instant(scanner, event.at);
    case Member::campaign: return read_text(scanner, event.campaign);
    case Member::lead: return read_text(scanner, event.lead);
    case Member::step: return read_int(scanner, 1, event.step);
    case Member::variant: return read_text(scanner, event.variant);
    case Member::mailbox: return read_text(scanner, event.mailbox);
    case Member::message_id: return read_text(scanner, event.message_id);
    case Member::subject: return read_text(scanner, event.subject);
    case Member::in_reply_to: return read_text(scanner, event.in_reply_to);
    case Member::sequence_version: return read_int(scanner, 1, event.sequence_version);
    case Member::kind: return read_text(scanner, event.kind);
    case Member::return_date: return read_text(scanner, event.return_date);
    case Member::reason: return read_text(scanner, event.reason);
    case Member::code: return read_int(scanner, std::numeric_limits<int>::min(), event.code);
    case Member::status: return read_text(scanner, event.status);
    case Member::retry_at: {
      Instant retry{};
      if (!read_instant(scanner, retry)) return false;
      event.retry_at = retry;
      return true;
    }
    case Member::url: return read_text(scanner, event.url);
    case Member::suspect: return event.suspect = scanner.literal_true();
    case Member::cause: return read_enum(scanner, cause_from_string, event.cause);
    case Member::settled: return read_enum(scanner, settlement_from_string, event.settled);
    case Member::count: break;
  }
  return false;
}

}  // namespace

std::optional<Event> parse_plain_event_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') return std::nullopt;
  Scanner scanner(line.substr(1, line.size() - 2));
  Event event;
  std::uint32_t seen = 0;
  std::size_t next = 0;
  do {
    std::string_view key;
    if (!scanner.string(key) || !scanner.consume(':')) return std::nullopt;
    const auto member = member_named(key, next);
    if (!member) return std::nullopt;  // unknown, or a value of its own (`setting`, `evidence`)
    const std::uint32_t bit = 1u << static_cast<unsigned>(*member);
    if ((seen & bit) != 0 || !read_member(scanner, *member, event)) return std::nullopt;
    seen |= bit;
  } while (scanner.consume(','));
  constexpr std::uint32_t required = (1u << static_cast<unsigned>(Member::type)) |
                                     (1u << static_cast<unsigned>(Member::at)) |
                                     (1u << static_cast<unsigned>(Member::campaign));
  if (!scanner.done() || (seen & required) != required) return std::nullopt;
  // A settlement belongs to the outcome it settles.
  if (event.settled != Settlement::none &&
      event.type != (event.settled == Settlement::found_in_sent ? EventType::sent : EventType::deferred)) {
    return std::nullopt;
  }
  return event;
}

}  // namespace outreach::detail
