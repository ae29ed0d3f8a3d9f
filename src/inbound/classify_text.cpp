#include "inbound/classify_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "util/ascii.hpp"
#include "util/utf8.hpp"

namespace outreach::detail {

namespace {

constexpr bool is_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

constexpr bool is_ascii_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The lower case of a two-byte code point (U+0080..U+07FF), or the code point itself. Only the
// alphabets of the classifier's phrase tables need it: Latin-1, Latin Extended-A (Polish, Czech,
// Swedish, ...), basic Cyrillic. Every mapping stays two bytes long.
constexpr std::uint32_t lower_two_byte(std::uint32_t cp) noexcept {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
  if (cp == 0x178) return 0xFF;
  const bool even = cp % 2 == 0;
  if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) {
    return even ? cp + 1 : cp;
  }
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return even ? cp : cp + 1;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  return cp;
}

// What a three-byte code point folds to: apostrophes and spaces that look alike become their
// ASCII forms, invisible ones disappear; anything else stays as it is (null).
struct ThreeByteFold {
  std::string_view from;
  std::string_view to;
};
constexpr ThreeByteFold three_byte_folds[]{
    {"\u2018", "'"},  // left single quotation mark
    {"\u2019", "'"},  // right single quotation mark: "I\u2019m out of the office"
    {"\u2032", "'"},  // prime
    {"\u202F", " "},  // narrow no-break space (French before ':')
    {"\u2009", " "},  // thin space
    {"\u200B", ""},   // zero-width space
    {"\uFEFF", ""},   // byte order mark
};

// The header lines in which an `x@y` is a message id, not an address.
constexpr std::string_view message_id_fields[]{"message-id:", "in-reply-to:", "references:",
                                                           "x-original-message-id:"};

constexpr bool is_local_part_byte(char c) noexcept {
  return is_ascii_alnum(c) || std::string_view{".!#$%&'*+/=?^_`{|}~-"}.find(c) != std::string_view::npos;
}

constexpr bool is_domain_byte(char c) noexcept {
  return is_ascii_alnum(c) || c == '.' || c == '-' || static_cast<unsigned char>(c) >= 0x80;
}

// What each ASCII byte but CR folds to: its lower case, and TAB a space. Every received text is
// folded, so a byte costs one load instead of several comparisons.
constexpr std::array<char, 128> ascii_folds = [] {
  std::array<char, 128> folds{};
  for (std::size_t i = 0; i < folds.size(); ++i) folds[i] = ascii_lower(static_cast<char>(i));
  folds['\t'] = ' ';
  return folds;
}();

// Folds `text` into `out`; with `origin`, records where each byte of `out` came from.
void fold_into(std::string_view text, std::size_t max_bytes, std::string& out, std::vector<std::uint32_t>* origin) {
  text = utf8_prefix(text, max_bytes);
  // Folding never makes a text longer: the bytes are written in place, then the rest cut off.
  out.resize(text.size());
  if (origin) origin->resize(text.size() + 1);
  std::size_t length = 0;
  const auto put = [&](char c, std::size_t from) {
    out[length] = c;
    if (origin) (*origin)[length] = static_cast<std::uint32_t>(from);
    ++length;
  };
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      if (c == '\r') {
        put('\n', i);
        i += (i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
        continue;
      }
      put(ascii_folds[byte], i);
      ++i;
      continue;
    }
    if ((byte & 0xE0) == 0xC0 && i + 1 < text.size() && is_continuation(text[i + 1])) {
      const std::uint32_t cp = ((byte & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      if (cp == 0xA0) {
        put(' ', i);  // no-break space
      } else if (cp == 0x2BC || cp == 0xB4) {
        put('\'', i);  // modifier letter apostrophe, acute accent used as one
      } else if (cp != 0xAD) {  // a soft hyphen disappears
        const std::uint32_t lower = lower_two_byte(cp);
        put(static_cast<char>(0xC0 | (lower >> 6)), i);
        put(static_cast<char>(0x80 | (lower & 0x3F)), i + 1);
      }
      i += 2;
      continue;
    }
    if ((byte & 0xF0) == 0xE0 && i + 2 < text.size()) {
      const std::string_view sequence = text.substr(i, 3);
      const auto fold = std::find_if(std::begin(three_byte_folds), std::end(three_byte_folds),
                                     [&](const ThreeByteFold& f) { return f.from == sequence; });
      if (fold != std::end(three_byte_folds)) {
        for (char replacement : fold->to) put(replacement, i);
        i += 3;
        continue;
      }
    }
    put(c, i);
    ++i;
  }
  out.resize(length);
  if (origin) {
    (*origin)[length] = static_cast<std::uint32_t>(text.size());
    origin->resize(length + 1);
  }
}

}  // namespace

std::string fold_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  fold_into(text, max_bytes, out, nullptr);
  return out;
}

FoldedText fold_text_mapped(std::string_view text, std::size_t max_bytes) {
  FoldedText folded;
  fold_into(text, max_bytes, folded.text, &folded.origin);
  return folded;
}

std::string_view FoldedText::original(std::string_view source, std::size_t begin, std::size_t end) const noexcept {
  if (origin.empty()) return {};
  begin = std::min(begin, origin.size() - 1);
  end = std::min(std::max(end, begin), origin.size() - 1);
  const std::size_t from = std::min<std::size_t>(origin[begin], source.size());
  const std::size_t to = std::min<std::size_t>(std::max(origin[end], origin[begin]), source.size());
  return source.substr(from, to - from);
}

std::size_t find_words(std::string_view text, std::string_view phrase, std::size_t from) noexcept {
  if (phrase.empty()) return std::string_view::npos;
  const bool bounded_start = is_ascii_alnum(phrase.front());
  const bool bounded_end = is_ascii_alnum(phrase.back());
  for (std::size_t at = text.find(phrase, from); at != std::string_view::npos; at = text.find(phrase, at + 1)) {
    const std::size_t end = at + phrase.size();
    if (bounded_start && at > 0 && is_word_byte(text[at - 1])) continue;
    if (bounded_end && end < text.size() && is_word_byte(text[end])) continue;
    return at;
  }
  return std::string_view::npos;
}

std::optional<std::string_view> LineReader::next() noexcept {
  if (next_ >= text_.size()) return std::nullopt;
  const std::size_t end = std::min(text_.find('\n', next_), text_.size());
  const std::string_view line = text_.substr(next_, end - next_);
  next_ = end + 1;
  return line;
}

std::string_view line_around(std::string_view text, std::size_t at) noexcept {
  if (at > text.size()) return {};
  const std::size_t before = at == 0 ? std::string_view::npos : text.rfind('\n', at - 1);
  const std::size_t start = before == std::string_view::npos ? 0 : before + 1;
  const std::size_t end = std::min(text.find('\n', at), text.size());
  return text.substr(start, end - start);
}

std::string_view trim_chars(std::string_view text, std::string_view punctuation) noexcept {
  const auto strip = [&](char c) { return is_space(c) || punctuation.find(c) != std::string_view::npos; };
  while (!text.empty() && strip(text.front())) text.remove_prefix(1);
  while (!text.empty() && strip(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::string> address_in_text(std::string_view text, std::size_t from, std::size_t window) {
  if (from >= text.size()) return std::nullopt;
  const std::size_t stop = window >= text.size() - from ? text.size() : from + window;
  constexpr std::size_t max_local = 64;
  constexpr std::size_t max_domain = 255;
  std::size_t at = text.find('@', from);
  while (at != std::string_view::npos && at < stop) {
    std::size_t start = at;
    while (start > 0 && at - start < max_local && is_local_part_byte(text[start - 1])) --start;
    while (start < at && text[start] == '.') ++start;
    std::size_t end = at + 1;
    while (end < text.size() && end - at <= max_domain && is_domain_byte(text[end])) ++end;
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
    const std::string_view domain = text.substr(at + 1, end - at - 1);
    const bool shaped = start < at && domain.find('.') != std::string_view::npos && domain.front() != '.' &&
                        domain.front() != '-' && domain.find("..") == std::string_view::npos;
    if (shaped) {
      const std::string_view line = trim_chars(line_around(text, at), ">");  // also when quoted
      const bool message_id = std::any_of(std::begin(message_id_fields), std::end(message_id_fields), [&](std::string_view field) {
        return iequals_ascii(line.substr(0, field.size()), field);
      });
      if (!message_id) return std::string(text.substr(start, end - start));
    }
    at = text.find('@', std::max(at + 1, end));
  }
  return std::nullopt;
}

std::string quote(std::string_view text, std::size_t max_bytes) {
  text = trim(text);
  text = trim(text.substr(0, std::min(text.find('\n'), text.size())));
  if (text.size() <= max_bytes) return printable(text);
  return printable(trim(utf8_prefix(text, max_bytes))) + "...";
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7F) {
      out.push_back(' ');
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out.append("\uFFFD");
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

bool same_address(std::string_view a, std::string_view b) noexcept { return iequals_ascii(trim(a), trim(b)); }

}  // namespace outreach::detail
