#include "mail/mime_decode.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/ascii.hpp"
#include "mail/charset.hpp"
#include "util/utf8.hpp"
#include "util/utf8_check.hpp"

namespace outreach::detail {

namespace {

constexpr std::size_t npos = std::string_view::npos;

int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The byte that `%XX` or `=XX` at text[pos] stands for, or -1.
int escaped_byte_at(std::string_view text, std::size_t pos) noexcept {
  if (pos + 2 >= text.size()) return -1;
  const int high = hex_digit_value(text[pos + 1]);
  const int low = hex_digit_value(text[pos + 2]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::uint8_t base64_skip = 0xFF;
constexpr std::uint8_t base64_pad = 0xFE;

constexpr std::array<std::uint8_t, 256> make_base64_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = base64_skip;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  table[static_cast<unsigned char>('=')] = base64_pad;
  return table;
}
constexpr std::array<std::uint8_t, 256> base64_table = make_base64_table();

// The Q encoding of RFC 2047 section 4.2: quoted-printable where `_` is a space.
void append_q_decoded(std::string& out, std::string_view encoded) {
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (const int byte = c == '=' ? escaped_byte_at(encoded, i) : -1; byte >= 0) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
}

// ---- encoded words ---------------------------------------------------------------------

struct EncodedWord {
  std::string_view charset;
  char encoding = 'q';
  std::string_view text;
  std::size_t end = 0;  // just past the closing `?=`
};

constexpr std::size_t max_encoded_word_charset = 75;

// Reads `=?charset?B|Q?text?=` at text[start]. Q text may hold anything up to the first `?=`
// (some mailers leave spaces in it); B text must be base64 up to `?=`, which also keeps the scan
// from crossing the next word's `=?`. Sets `no_closing` when no `?=` follows at all, so that
// later candidates need not search again (which would be quadratic).
bool read_encoded_word(std::string_view text, std::size_t start, EncodedWord& word, bool& no_closing) {
  const std::size_t charset_start = start + 2;
  const std::size_t charset_end = text.substr(charset_start, max_encoded_word_charset + 1).find('?');
  if (charset_end == npos || charset_end == 0) return false;
  word.charset = text.substr(charset_start, charset_end);
  if (word.charset.find_first_of(" \t=") != npos) return false;
  const std::size_t encoding_at = charset_start + charset_end + 1;
  if (encoding_at + 1 >= text.size() || text[encoding_at + 1] != '?') return false;
  word.encoding = ascii_lower(text[encoding_at]);
  if (word.encoding != 'b' && word.encoding != 'q') return false;
  const std::size_t text_start = encoding_at + 2;
  std::size_t close = npos;
  if (word.encoding == 'b') {
    std::size_t end = text_start;
    while (end < text.size() && base64_table[static_cast<unsigned char>(text[end])] != base64_skip) ++end;
    // `=` is in the alphabet (padding), so the closing `?=` starts at the first '?'.
    if (end + 1 < text.size() && text[end] == '?' && text[end + 1] == '=') close = end;
    if (close == npos) return false;
  } else {
    close = text.find("?=", text_start);
    if (close == npos) {
      no_closing = true;
      return false;
    }
  }
  word.text = text.substr(text_start, close - text_start);
  word.end = close + 2;
  return true;
}

// Adjacent encoded words in one charset are decoded together: mailers split multi-byte
// characters across words.
class EncodedWordRun {
 public:
  explicit EncodedWordRun(std::string& out) : out_(out) {}

  void add(const EncodedWord& word) {
    if (!bytes_.empty() && !iequals_ascii(charset_, word.charset)) flush();
    charset_ = word.charset;
    if (word.encoding == 'b') {
      append_base64_decoded(bytes_, word.text);
    } else {
      append_q_decoded(bytes_, word.text);
    }
  }

  void flush() {
    if (!bytes_.empty()) append_utf8(out_, charset_, bytes_);
    bytes_.clear();
  }

 private:
  std::string& out_;
  std::string_view charset_;
  std::string bytes_;
};

bool is_all_wsp(std::string_view text) noexcept { return std::all_of(text.begin(), text.end(), is_wsp); }

// ---- structured values -----------------------------------------------------------------

// A cursor over a structured field value (RFC 5322 section 3.2): folding line breaks count as
// white space, comments nest.
class StructuredReader {
 public:
  explicit StructuredReader(std::string_view text) noexcept : text_(text) {}

  [[nodiscard]] bool done() const noexcept { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const noexcept { return done() ? '\0' : text_[pos_]; }
  void advance() noexcept { ++pos_; }

  void skip_cfws() noexcept {
    while (!done()) {
      const char c = text_[pos_];
      if (is_space(c)) {
        ++pos_;
      } else if (c == '(') {
        skip_comment();
      } else {
        return;
      }
    }
  }

  // Characters up to one in `stops` (or the end), without CR and LF.
  std::string read_until(std::string_view stops) {
    std::string out;
    while (!done() && stops.find(text_[pos_]) == npos) {
      if (text_[pos_] != '\r' && text_[pos_] != '\n') out.push_back(text_[pos_]);
      ++pos_;
    }
    return out;
  }

  // A quoted string at the cursor, unescaped; an unterminated one runs to the end.
  std::string read_quoted() {
    std::string out;
    ++pos_;  // the opening quote
    while (!done()) {
      const char c = text_[pos_++];
      if (c == '"') break;
      if (c == '\\') {
        if (!done()) out.push_back(text_[pos_++]);
      } else if (c != '\r' && c != '\n') {
        out.push_back(c);
      }
    }
    return out;
  }

  // Past the next `;` outside quotes and comments, or to the end.
  void skip_past_semicolon() {
    while (!done()) {
      const char c = text_[pos_];
      if (c == ';') {
        ++pos_;
        return;
      }
      if (c == '"') {
        static_cast<void>(read_quoted());
      } else if (c == '(') {
        skip_comment();
      } else {
        ++pos_;
      }
    }
  }

 private:
  void skip_comment() noexcept {
    std::size_t depth = 0;
    while (!done()) {
      const char c = text_[pos_++];
      if (c == '\\') {
        if (!done()) ++pos_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        return;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

constexpr std::string_view token_stops = " \t\r\n;(\"";

// The leading token; `text / plain` (obsolete syntax) is read as one token, and a parameter
// that follows without `;` is left for the parameter loop.
std::string read_leading_token(StructuredReader& reader) {
  std::string token;
  reader.skip_cfws();
  while (!reader.done()) {
    token += ascii_lower(reader.read_until(token_stops));
    reader.skip_cfws();
    const bool continues = reader.peek() == '/' || (!token.empty() && token.back() == '/');
    if (!continues || reader.peek() == ';' || reader.peek() == '"') break;
  }
  return token;
}

// One parameter as written; RFC 2231 names (`title*`, `title*0`, `title*1*`) split up.
struct RawParameter {
  std::string name;      // the name without its RFC 2231 suffix
  std::string value;     // unquoted
  std::size_t order = 0;  // position in the field
  bool rfc2231 = false;
  bool extended = false;  // percent-encoded, with `charset'language'` in its first section
  std::size_t section = 0;
};

constexpr std::size_t max_section_digits = 6;

RawParameter split_rfc2231_name(std::string name) {
  RawParameter parameter;
  const std::size_t star = name.find('*');
  if (star == npos) {
    parameter.name = std::move(name);
    return parameter;
  }
  const std::string_view rest = std::string_view(name).substr(star + 1);
  std::size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  const std::string_view after_digits = rest.substr(digits);
  if (digits > max_section_digits || (after_digits != "" && after_digits != "*")) {
    parameter.name = std::move(name);  // not RFC 2231: an odd name, kept as it is
    return parameter;
  }
  parameter.rfc2231 = true;
  parameter.extended = digits == 0 || after_digits == "*";  // `name*` is extended, `name*0` is not
  for (std::size_t i = 0; i < digits; ++i) parameter.section = parameter.section * 10 + static_cast<std::size_t>(rest[i] - '0');
  name.resize(star);
  parameter.name = std::move(name);
  return parameter;
}

void append_percent_decoded(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (const int byte = text[i] == '%' ? escaped_byte_at(text, i) : -1; byte >= 0) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
}

// The value of an RFC 2231 parameter from its sections, already sorted by section number.
std::string join_rfc2231_sections(const std::vector<const RawParameter*>& sections) {
  std::string_view charset;
  std::string bytes;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    std::string_view value = sections[i]->value;
    if (!sections[i]->extended) {
      bytes += value;
      continue;
    }
    if (i == 0) {
      // charset'language'text; a first section without the quotes is taken as text.
      const std::size_t first_quote = value.find('\'');
      const std::size_t second_quote = first_quote == npos ? npos : value.find('\'', first_quote + 1);
      if (second_quote != npos) {
        charset = value.substr(0, first_quote);
        value.remove_prefix(second_quote + 1);
      }
    }
    append_percent_decoded(bytes, value);
  }
  std::string text = to_utf8(charset, bytes);
  make_single_line(text);
  return text;
}

std::vector<RawParameter> read_raw_parameters(StructuredReader& reader, std::size_t max_parameters) {
  std::vector<RawParameter> parameters;
  while (parameters.size() < max_parameters) {
    reader.skip_cfws();
    while (reader.peek() == ';') {
      reader.advance();
      reader.skip_cfws();
    }
    if (reader.done()) break;
    std::string name = ascii_lower(reader.read_until(" \t\r\n;(\"="));
    reader.skip_cfws();
    if (name.empty() || reader.peek() != '=') {
      if (name.empty() && reader.peek() != ';') reader.advance();  // a stray character
      reader.skip_past_semicolon();
      continue;
    }
    reader.advance();  // '='
    reader.skip_cfws();
    RawParameter parameter = split_rfc2231_name(std::move(name));
    parameter.order = parameters.size();
    if (reader.peek() == '"') {
      parameter.value = reader.read_quoted();
      reader.skip_cfws();
      if (reader.peek() == ';' || reader.peek() == '(') reader.skip_past_semicolon();
    } else {
      parameter.value = reader.read_until(";(");
      while (!parameter.value.empty() && is_space(parameter.value.back())) parameter.value.pop_back();
      if (reader.peek() == '(') reader.skip_past_semicolon();
    }
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

}  // namespace

void append_base64_decoded(std::string& out, std::string_view encoded) {
  // Written through a pointer into room made beforehand: push_back per byte is several times
  // slower on megabyte attachments.
  const std::size_t start = out.size();
  out.resize(start + encoded.size() / 4 * 3 + 3);
  char* const first = out.data() + start;
  char* write = first;
  std::uint32_t bits = 0;
  int bit_count = 0;
  const auto value_at = [&](std::size_t i) { return base64_table[static_cast<unsigned char>(encoded[i])]; };
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    // Whole quanta of four alphabet characters at once (skip and pad values have the top bits).
    while (bit_count == 0 && i + 4 <= encoded.size()) {
      const std::uint32_t quantum = (std::uint32_t{value_at(i)} << 18) | (std::uint32_t{value_at(i + 1)} << 12) |
                                    (std::uint32_t{value_at(i + 2)} << 6) | value_at(i + 3);
      if ((value_at(i) | value_at(i + 1) | value_at(i + 2) | value_at(i + 3)) & 0xC0u) break;
      *write++ = static_cast<char>(quantum >> 16);
      *write++ = static_cast<char>((quantum >> 8) & 0xFFu);
      *write++ = static_cast<char>(quantum & 0xFFu);
      i += 4;
    }
    if (i == encoded.size()) break;
    const std::uint8_t value = value_at(i);
    if (value == base64_skip) continue;
    if (value == base64_pad) {
      bits = 0;
      bit_count = 0;
      continue;
    }
    bits = (bits << 6) | value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      *write++ = static_cast<char>((bits >> bit_count) & 0xFFu);
      bits &= (1u << bit_count) - 1u;
    }
  }
  out.resize(start + static_cast<std::size_t>(write - first));
}

void append_quoted_printable_decoded(std::string& out, std::string_view encoded) {
  out.reserve(out.size() + encoded.size());
  std::size_t kept_end = out.size();  // output before this may not lose trailing white space
  std::size_t i = 0;
  while (i < encoded.size()) {
    const char c = encoded[i];
    if (c == '\r' || c == '\n') {
      // A hard line break: white space a transport added before it goes (rule 3).
      while (out.size() > kept_end && is_wsp(out.back())) out.pop_back();
      out.push_back(c);
      kept_end = out.size();
      ++i;
      continue;
    }
    if (c != '=') {
      // A run of ordinary characters at once.
      std::size_t end = i + 1;
      while (end < encoded.size() && encoded[end] != '=' && encoded[end] != '\r' && encoded[end] != '\n') ++end;
      out.append(encoded.substr(i, end - i));
      i = end;
      continue;
    }
    if (const int byte = escaped_byte_at(encoded, i); byte >= 0) {
      out.push_back(static_cast<char>(byte));
      kept_end = out.size();
      i += 3;
      continue;
    }
    std::size_t after = i + 1;
    while (after < encoded.size() && is_wsp(encoded[after])) ++after;
    if (after == encoded.size()) break;  // a soft break at the very end
    if (encoded[after] == '\r' || encoded[after] == '\n') {
      // A soft line break: `=`, transport padding and the line break all go.
      i = after + ((encoded[after] == '\r' && after + 1 < encoded.size() && encoded[after + 1] == '\n') ? 2 : 1);
      kept_end = out.size();
      continue;
    }
    out.push_back('=');  // not an escape: kept as written
    kept_end = out.size();
    ++i;
  }
}

void make_single_line(std::string& value) {
  for (char& c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7F) c = ' ';
  }
  const std::string_view trimmed = trim(value);
  if (trimmed.size() != value.size()) {
    const auto offset = static_cast<std::size_t>(trimmed.data() - value.data());
    value.erase(0, offset);
    value.resize(trimmed.size());
  }
}

namespace {

// A header value unfolded (line breaks dropped) and trimmed; `storage` keeps it when it had to
// be rewritten. Every field of every message comes here: the line breaks are found with memchr
// (find of one character) and the text between them appended a run at a time, not byte by byte.
std::string_view unfolded_value(std::string_view raw, std::string& storage) {
  std::size_t cr = raw.find('\r');
  std::size_t lf = raw.find('\n');
  if (cr == npos && lf == npos) return trim(raw);
  storage.reserve(raw.size());
  std::size_t start = 0;
  for (;;) {
    const std::size_t line_break = std::min(cr, lf);
    storage.append(raw.substr(start, line_break - start));
    if (line_break == npos) break;
    start = line_break + 1;
    if (line_break == cr) cr = raw.find('\r', start);
    if (line_break == lf) lf = raw.find('\n', start);
  }
  return trim(storage);
}

// Appends `text` with its encoded words decoded and the white space between adjacent ones
// dropped; the text around them is kept, as UTF-8 when `raw_is_utf8`, else read as windows-1252.
void append_header_text(std::string& out, std::string_view text, bool raw_is_utf8) {
  const auto append_raw = [&](std::string_view part) {
    if (raw_is_utf8) {
      out.append(part);
    } else {
      append_windows_1252(out, part);
    }
  };
  EncodedWordRun run(out);
  std::size_t written = 0;  // text before this is in `out`
  bool after_word = false;
  bool no_closing = false;
  std::size_t candidate = text.find("=?");
  while (candidate != npos && !no_closing) {
    EncodedWord word;
    if (!read_encoded_word(text, candidate, word, no_closing)) {
      candidate = text.find("=?", candidate + 1);
      continue;
    }
    const std::string_view between = text.substr(written, candidate - written);
    // White space between two encoded words is not part of the text (RFC 2047 section 6.2).
    if (!after_word || !is_all_wsp(between)) {
      run.flush();
      append_raw(between);
    }
    run.add(word);
    written = word.end;
    after_word = true;
    candidate = text.find("=?", written);
  }
  run.flush();
  append_raw(text.substr(written));
}

bool is_raw_utf8(std::string_view text) noexcept {
  const std::size_t ascii = ascii_prefix_length(text);
  return ascii == text.size() || !find_invalid_utf8(text.substr(ascii));
}

// ---- address fields --------------------------------------------------------------------------

// The characters that give an address list its structure (RFC 5322 section 3.2.3's specials but
// the dot, which phrases may hold): a display name that holds one once decoded is quoted.
constexpr std::string_view address_syntax = "\"(),:;<>@[\\]";

// Where the quoted string, comment or domain literal at text[start] ends (past its closing
// character, or the end of the text), read as the address reader reads it: a backslash escapes
// the next character, and comments nest.
std::size_t delimited_end(std::string_view text, std::size_t start) noexcept {
  const char opening = text[start];
  const char closing = opening == '"' ? '"' : opening == '(' ? ')' : ']';
  std::size_t depth = 0;
  for (std::size_t pos = start; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '\\') {
      ++pos;
    } else if (opening == '(' && c == '(') {
      ++depth;
    } else if (pos > start && c == closing && (opening != '(' || --depth == 0)) {
      return pos + 1;
    }
  }
  return text.size();
}

// The inside of a quoted string or comment without its backslash escapes.
std::string unescaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
    out.push_back(text[pos]);
  }
  return out;
}

void append_escaped(std::string& out, std::string_view text, std::string_view to_escape) {
  for (const char c : text) {
    if (to_escape.find(c) != npos) out.push_back('\\');
    out.push_back(c);
  }
}

// Decodes an address field's value: the structure is read on the raw text, and only display
// names and comments are decoded (RFC 2047 section 5: in a phrase an encoded word is an atom),
// so that what a name decodes to can never read as addresses.
class AddressValueDecoder {
 public:
  AddressValueDecoder(std::string_view text, std::string& out)
      : text_(text), out_(out), raw_is_utf8_(is_raw_utf8(text)) {}

  void decode() {
    std::size_t pos = 0;
    while (pos < text_.size()) {
      const char c = text_[pos];
      if (c == '=' && text_.substr(pos, 2) == "=?") {
        if (const std::size_t end = encoded_atom_end(pos); end != npos) {
          pos = end;
          continue;
        }
      }
      if (address_syntax.find(c) == npos || c == ')' || c == ']' || c == '\\') {
        ++pos;
        continue;
      }
      end_phrase(pos, c == '@');
      if (c == '"' || c == '(' || c == '[') {
        const std::size_t end = delimited_end(text_, pos);
        append_delimited(text_.substr(pos, end - pos));
        pos = end;
      } else if (c == '<') {
        pos = append_angle_address(pos);
      } else {
        append_raw(text_.substr(pos, 1));
        ++pos;
      }
      phrase_start_ = pos;
      after_at_ = c == '@';
    }
    end_phrase(text_.size(), false);
  }

 private:
  // Where the encoded word at text_[start] ends when it is one atom of a phrase, else npos. Its
  // text may hold what would be address syntax outside it (mailers write
  // `=?utf-8?q?Smith,_John?=`), which is then part of the name; but an atom has no white space
  // (RFC 2047 section 5), so the search stops at the next, which also keeps it linear.
  std::size_t encoded_atom_end(std::size_t start) {
    if (start >= token_end_) token_end_ = std::min(text_.find_first_of(" \t", start), text_.size());
    if (start < unclosed_until_) return npos;
    EncodedWord word;
    bool no_closing = false;
    if (read_encoded_word(text_.substr(0, token_end_), start, word, no_closing)) return word.end;
    if (no_closing) unclosed_until_ = token_end_;  // no `?=` before the white space
    return npos;
  }

  void append_raw(std::string_view part) {
    if (raw_is_utf8_) {
      out_.append(part);
    } else {
      append_windows_1252(out_, part);
    }
  }

  // The words and white space from phrase_start_ to `end`. Next to an `@`, the word that touches
  // it is part of an address and kept as it is; the rest is a display name.
  void end_phrase(std::size_t end, bool before_at) {
    std::string_view phrase = text_.substr(phrase_start_, end - phrase_start_);
    phrase_start_ = end;
    std::string_view domain;
    std::string_view local_part;
    if (after_at_) {
      domain = phrase.substr(0, std::min(phrase.find_first_of(" \t"), phrase.size()));
      phrase.remove_prefix(domain.size());
    }
    if (before_at) {
      const std::size_t space = phrase.find_last_of(" \t");
      local_part = phrase.substr(space == npos ? 0 : space + 1);
      phrase.remove_suffix(local_part.size());
    }
    append_raw(domain);
    append_display_name(phrase);
    append_raw(local_part);
  }

  // Decoded, and quoted when it holds address syntax once decoded, or white space at an end that
  // a reader would trim; the white space around it kept.
  void append_display_name(std::string_view phrase) {
    if (phrase.find("=?") == npos) return append_raw(phrase);
    const std::string_view words = trim(phrase);
    const auto leading = static_cast<std::size_t>(words.data() - phrase.data());
    append_raw(phrase.substr(0, leading));
    std::string name;
    append_header_text(name, words, raw_is_utf8_);
    const bool needs_quotes = name.find_first_of(address_syntax) != npos ||
                              (!name.empty() && (is_wsp(name.front()) || is_wsp(name.back())));
    if (!needs_quotes) {
      out_ += name;
    } else {
      out_.push_back('"');
      append_escaped(out_, name, "\"\\");
      out_.push_back('"');
    }
    append_raw(phrase.substr(leading + words.size()));
  }

  // A quoted string or a comment has its encoded words decoded (mailers write them there too),
  // and is written back with what must be escaped escaped; a domain literal is kept.
  void append_delimited(std::string_view delimited) {
    const char opening = delimited.front();
    const bool closed = delimited.size() >= 2 && delimited.back() == (opening == '"' ? '"' : ')');
    if (opening == '[' || delimited.find("=?") == npos || !closed) return append_raw(delimited);
    std::string decoded;
    append_header_text(decoded, unescaped(delimited.substr(1, delimited.size() - 2)), raw_is_utf8_);
    out_.push_back(opening);
    append_escaped(out_, decoded, opening == '"' ? "\"\\" : "()\\");
    out_.push_back(delimited.back());
  }

  // `<...>` up to its `>` (quoted strings and comments in it skipped whole), kept as it is: an
  // address has no encoded words. Returns the position after it.
  std::size_t append_angle_address(std::size_t start) {
    std::size_t pos = start + 1;
    while (pos < text_.size() && text_[pos] != '>') {
      pos = (text_[pos] == '"' || text_[pos] == '(') ? delimited_end(text_, pos) : pos + 1;
    }
    if (pos < text_.size()) ++pos;
    append_raw(text_.substr(start, pos - start));
    return pos;
  }

  std::string_view text_;
  std::string& out_;
  bool raw_is_utf8_;
  std::size_t phrase_start_ = 0;
  bool after_at_ = false;
  std::size_t token_end_ = 0;       // where the white space after the last encoded word looked at is
  std::size_t unclosed_until_ = 0;  // no encoded word before this closes within its token
};

}  // namespace

std::string decode_header_value(std::string_view raw) {
  std::string unfolded;
  const std::string_view text = unfolded_value(raw, unfolded);
  std::string out;
  out.reserve(text.size());
  append_header_text(out, text, is_raw_utf8(text));
  make_single_line(out);
  return out;
}

std::string decode_address_header_value(std::string_view raw) {
  std::string unfolded;
  const std::string_view text = unfolded_value(raw, unfolded);
  std::string out;
  out.reserve(text.size());
  if (text.find("=?") == npos) {
    append_header_text(out, text, is_raw_utf8(text));  // nothing to decode: as any other field
  } else {
    AddressValueDecoder(text, out).decode();
  }
  make_single_line(out);
  return out;
}

ParameterizedValue parse_parameterized_value(std::string_view raw, std::size_t max_parameters) {
  ParameterizedValue result;
  StructuredReader reader(raw);
  result.token = read_leading_token(reader);
  std::vector<RawParameter> raw_parameters = read_raw_parameters(reader, max_parameters);
  if (raw_parameters.empty()) return result;

  // Group by name, RFC 2231 forms first in section order, so each group's first entry decides.
  std::vector<const RawParameter*> sorted;
  sorted.reserve(raw_parameters.size());
  for (const RawParameter& parameter : raw_parameters) sorted.push_back(&parameter);
  std::stable_sort(sorted.begin(), sorted.end(), [](const RawParameter* a, const RawParameter* b) {
    if (a->name != b->name) return a->name < b->name;
    if (a->rfc2231 != b->rfc2231) return a->rfc2231;
    return a->section < b->section;
  });
  struct Decoded {
    std::size_t order;
    std::pair<std::string, std::string> parameter;
  };
  std::vector<Decoded> decoded;
  std::vector<const RawParameter*> sections;
  for (std::size_t begin = 0; begin < sorted.size();) {
    std::size_t end = begin;
    std::size_t first_order = sorted[begin]->order;
    while (end < sorted.size() && sorted[end]->name == sorted[begin]->name) {
      first_order = std::min(first_order, sorted[end]->order);
      ++end;
    }
    std::string value;
    if (sorted[begin]->rfc2231) {
      sections.clear();
      for (std::size_t i = begin; i < end && sorted[i]->rfc2231; ++i) sections.push_back(sorted[i]);
      value = join_rfc2231_sections(sections);
    } else {
      value = decode_header_value(sorted[begin]->value);
    }
    decoded.push_back({first_order, {sorted[begin]->name, std::move(value)}});
    begin = end;
  }
  std::sort(decoded.begin(), decoded.end(), [](const Decoded& a, const Decoded& b) { return a.order < b.order; });
  result.parameters.reserve(decoded.size());
  for (Decoded& entry : decoded) result.parameters.push_back(std::move(entry.parameter));
  return result;
}

}  // namespace outreach::detail
