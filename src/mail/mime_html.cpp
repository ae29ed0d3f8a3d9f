#include "mail/mime_html.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "util/ascii.hpp"
#include "mail/charset.hpp"

namespace outreach::detail {

namespace {

constexpr std::size_t npos = std::string_view::npos;

constexpr bool is_html_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }

// Builds the text: white space collapsed, line breaks bounded to one empty line.
class TextWriter {
 public:
  void text(std::string_view part) {
    if (part.empty()) return;
    if (pending_space_ && !out_.empty() && out_.back() != '\n') out_.push_back(' ');
    pending_space_ = false;
    out_.append(part);
  }
  void space() noexcept { pending_space_ = true; }
  // Text inside `pre`: kept as written, line ends as LF.
  void preformatted(char c) {
    if (c == '\r') return;
    if (c == '\n') return line_feed();
    text(std::string_view(&c, 1));
  }
  void line_break() {
    if (!out_.empty() && out_.back() != '\n') out_.push_back('\n');
    pending_space_ = false;
  }
  void paragraph_break() {
    line_break();
    if (!out_.empty() && !ends_with_empty_line()) out_.push_back('\n');
  }
  // `<br>`: a line break even on an empty line, but never more than one empty line.
  void line_feed() {
    if (!out_.empty() && !ends_with_empty_line()) out_.push_back('\n');
    pending_space_ = false;
  }
  std::string finish() {
    while (!out_.empty() && is_html_space(out_.back())) out_.pop_back();
    return std::move(out_);
  }

 private:
  [[nodiscard]] bool ends_with_empty_line() const noexcept {
    return out_.size() >= 2 && out_[out_.size() - 1] == '\n' && out_[out_.size() - 2] == '\n';
  }
  std::string out_;
  bool pending_space_ = false;
};

struct NamedEntity {
  std::string_view name;
  char32_t code_point;
};

constexpr std::array named_entities{
    NamedEntity{"amp", U'&'},       NamedEntity{"lt", U'<'},        NamedEntity{"gt", U'>'},
    NamedEntity{"quot", U'"'},      NamedEntity{"apos", U'\''},     NamedEntity{"nbsp", U' '},
    NamedEntity{"copy", U'\u00A9'}, NamedEntity{"reg", U'\u00AE'},  NamedEntity{"trade", U'\u2122'},
    NamedEntity{"hellip", U'\u2026'}, NamedEntity{"mdash", U'\u2014'}, NamedEntity{"ndash", U'\u2013'},
    NamedEntity{"lsquo", U'\u2018'}, NamedEntity{"rsquo", U'\u2019'}, NamedEntity{"ldquo", U'\u201C'},
    NamedEntity{"rdquo", U'\u201D'}, NamedEntity{"sbquo", U'\u201A'}, NamedEntity{"bdquo", U'\u201E'},
    NamedEntity{"laquo", U'\u00AB'}, NamedEntity{"raquo", U'\u00BB'}, NamedEntity{"bull", U'\u2022'},
    NamedEntity{"middot", U'\u00B7'}, NamedEntity{"euro", U'\u20AC'}, NamedEntity{"pound", U'\u00A3'},
    NamedEntity{"yen", U'\u00A5'},  NamedEntity{"cent", U'\u00A2'}, NamedEntity{"sect", U'\u00A7'},
    NamedEntity{"deg", U'\u00B0'},  NamedEntity{"times", U'\u00D7'}, NamedEntity{"divide", U'\u00F7'},
    NamedEntity{"shy", U'\u00AD'},  NamedEntity{"zwnj", U'\u200C'}, NamedEntity{"zwj", U'\u200D'},
    NamedEntity{"ensp", U'\u2002'}, NamedEntity{"emsp", U'\u2003'}, NamedEntity{"thinsp", U'\u2009'},
    NamedEntity{"iexcl", U'\u00A1'}, NamedEntity{"iquest", U'\u00BF'}, NamedEntity{"auml", U'\u00E4'},
    NamedEntity{"ouml", U'\u00F6'}, NamedEntity{"uuml", U'\u00FC'}, NamedEntity{"Auml", U'\u00C4'},
    NamedEntity{"Ouml", U'\u00D6'}, NamedEntity{"Uuml", U'\u00DC'}, NamedEntity{"szlig", U'\u00DF'},
    NamedEntity{"eacute", U'\u00E9'}, NamedEntity{"egrave", U'\u00E8'}, NamedEntity{"ecirc", U'\u00EA'},
    NamedEntity{"aacute", U'\u00E1'}, NamedEntity{"agrave", U'\u00E0'}, NamedEntity{"acirc", U'\u00E2'},
    NamedEntity{"ccedil", U'\u00E7'}, NamedEntity{"iacute", U'\u00ED'}, NamedEntity{"oacute", U'\u00F3'},
    NamedEntity{"uacute", U'\u00FA'}, NamedEntity{"ntilde", U'\u00F1'}, NamedEntity{"Eacute", U'\u00C9'},
};

// Entities browsers still read without the `;`.
constexpr std::array<std::string_view, 5> legacy_entities{"amp", "lt", "gt", "quot", "nbsp"};

// Decodes the character reference at html[pos] (an '&') into `out`; returns the length read,
// or 0 when it is not one (the '&' is then text).
std::size_t decode_entity(std::string_view html, std::size_t pos, std::string& out) {
  std::size_t i = pos + 1;
  if (i < html.size() && html[i] == '#') {
    ++i;
    const bool hex = i < html.size() && (html[i] == 'x' || html[i] == 'X');
    if (hex) ++i;
    const std::size_t digits_start = i;
    char32_t value = 0;
    for (; i < html.size(); ++i) {
      const char c = html[i];
      int digit = -1;
      if (is_digit(c)) digit = c - '0';
      else if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (digit < 0) break;
      if (value <= 0x10FFFF) value = value * (hex ? 16u : 10u) + static_cast<char32_t>(digit);
    }
    if (i == digits_start) return 0;
    if (i < html.size() && html[i] == ';') ++i;
    if (value >= 0x80 && value <= 0x9F) {
      // HTML reads these as windows-1252, as the pages that write them mean.
      const char byte = static_cast<char>(value);
      append_windows_1252(out, std::string_view(&byte, 1));
    } else {
      append_code_point(out, value == 0 ? char32_t{0xFFFD} : value);
    }
    return i - pos;
  }
  while (i < html.size() && i - pos <= 8 && is_alnum(html[i])) ++i;
  const std::string_view name = html.substr(pos + 1, i - pos - 1);
  const bool terminated = i < html.size() && html[i] == ';';
  for (const NamedEntity& entity : named_entities) {
    if (entity.name != name) continue;
    bool legacy = false;
    for (const std::string_view legacy_name : legacy_entities) legacy = legacy || legacy_name == name;
    if (!terminated && !legacy) return 0;
    append_code_point(out, entity.code_point);
    return i - pos + (terminated ? 1 : 0);
  }
  return 0;
}

enum class TagEffect { none, line_break, paragraph, line_feed, cell, skip_contents, preformatted };

TagEffect effect_of(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 6> skipped{"script", "style", "title", "template", "noframes", "xml"};
  static constexpr std::array<std::string_view, 9> paragraphs{"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"};
  static constexpr std::array<std::string_view, 24> blocks{
      "div", "li", "tr", "ul", "ol", "dl", "dt", "dd", "hr", "section", "article", "header",
      "footer", "aside", "nav", "main", "address", "figure", "figcaption", "form", "fieldset", "center", "body", "html"};
  if (name == "br") return TagEffect::line_feed;
  if (name == "pre") return TagEffect::preformatted;
  if (name == "td" || name == "th") return TagEffect::cell;
  for (const std::string_view skip : skipped) if (skip == name) return TagEffect::skip_contents;
  for (const std::string_view paragraph : paragraphs) if (paragraph == name) return TagEffect::paragraph;
  for (const std::string_view block : blocks) if (block == name) return TagEffect::line_break;
  return TagEffect::none;
}

// Finds `</name` (any case) from `from`, or npos.
std::size_t find_closing_tag(std::string_view html, std::string_view name, std::size_t from) {
  for (std::size_t at = html.find("</", from); at != npos; at = html.find("</", at + 2)) {
    if (iequals_ascii(html.substr(at + 2, name.size()), name)) return at;
  }
  return npos;
}

// Reads tags: where each ends, honouring quoted attribute values. Searches for a closing quote
// that failed once fail for every later tag too, so they are not repeated (which would make a
// page of unclosed quotes quadratic).
class TagScanner {
 public:
  explicit TagScanner(std::string_view html) noexcept : html_(html) {}

  // The position just past the tag that starts at html[start] ('<'), or the end of the input.
  std::size_t end_of_tag(std::size_t start) {
    std::size_t i = start + 1;
    while (i < html_.size()) {
      const char c = html_[i];
      if (c == '>') return i + 1;
      if ((c == '"' || c == '\'') && follows_equals(start, i)) {
        const std::size_t close = find_quote(c, i + 1);
        if (close == npos) break;
        i = close + 1;
        continue;
      }
      ++i;
    }
    // An unclosed quote: the first '>' ends the tag, as if the quote were text.
    const std::size_t close = html_.find('>', start + 1);
    return close == npos ? html_.size() : close + 1;
  }

 private:
  [[nodiscard]] bool follows_equals(std::size_t start, std::size_t quote) const noexcept {
    std::size_t i = quote;
    while (i > start + 1 && is_html_space(html_[i - 1])) --i;
    return i > start + 1 && html_[i - 1] == '=';
  }
  std::size_t find_quote(char quote, std::size_t from) {
    std::size_t& unfound_from = quote == '"' ? no_double_quote_from_ : no_single_quote_from_;
    if (from >= unfound_from) return npos;
    const std::size_t at = html_.find(quote, from);
    if (at == npos) unfound_from = from;
    return at;
  }

  std::string_view html_;
  std::size_t no_double_quote_from_ = npos;
  std::size_t no_single_quote_from_ = npos;
};

}  // namespace

std::string html_to_text(std::string_view html) {
  TextWriter writer;
  TagScanner tags(html);
  std::string scratch;
  std::size_t preformatted_depth = 0;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      scratch.clear();
      if (const std::size_t length = decode_entity(html, i, scratch); length > 0) {
        writer.text(scratch);
        i += length;
        continue;
      }
    }
    if (c != '<' || i + 1 >= html.size()) {
      if (preformatted_depth > 0) {
        writer.preformatted(c);
      } else if (is_html_space(c)) {
        writer.space();
      } else {
        // A run of ordinary text at once.
        std::size_t end = i + 1;
        while (end < html.size() && html[end] != '<' && html[end] != '&' && !is_html_space(html[end])) ++end;
        writer.text(html.substr(i, end - i));
        i = end;
        continue;
      }
      ++i;
      continue;
    }
    const char next = html[i + 1];
    if (html.substr(i, 4) == "<!--") {
      const std::size_t end = html.find("-->", i + 4);
      i = end == npos ? html.size() : end + 3;
      continue;
    }
    const bool closing = next == '/';
    if (!is_alpha(next) && !closing && next != '!' && next != '?') {
      writer.text("<");  // a '<' that starts no tag is text
      ++i;
      continue;
    }
    std::size_t name_end = i + (closing ? 2 : 1);
    while (name_end < html.size() && is_alnum(html[name_end])) ++name_end;
    const std::string name = ascii_lower(html.substr(i + (closing ? 2 : 1), name_end - i - (closing ? 2 : 1)));
    i = tags.end_of_tag(i);
    switch (effect_of(name)) {
      case TagEffect::none: break;
      case TagEffect::line_break: writer.line_break(); break;
      case TagEffect::paragraph: writer.paragraph_break(); break;
      case TagEffect::line_feed: writer.line_feed(); break;
      case TagEffect::cell: writer.space(); break;
      case TagEffect::preformatted:
        writer.line_break();
        if (closing) {
          if (preformatted_depth > 0) --preformatted_depth;
        } else {
          ++preformatted_depth;
        }
        break;
      case TagEffect::skip_contents:
        if (!closing) {
          const std::size_t end = find_closing_tag(html, name, i);
          i = end == npos ? html.size() : tags.end_of_tag(end);
        }
        break;
    }
  }
  return writer.finish();
}

}  // namespace outreach::detail
