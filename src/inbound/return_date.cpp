#include "inbound/return_date.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "inbound/classify_text.hpp"
#include "inbound/phrase_matcher.hpp"

namespace outreach::detail {

namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// An out-of-office text states its dates early; the bounds keep hostile text cheap.
constexpr std::size_t max_date_text = 8 * 1024;
constexpr std::size_t max_tokens = 4096;
constexpr std::size_t max_candidates = 64;
// A date without a year this many days before the message is a stale notice's, not next year's.
constexpr days stale_days{60};
// How far before a date a word such as "back" or "until" may stand.
constexpr std::size_t keyword_window = 48;

struct NamedMonth {
  std::string_view name;
  unsigned month;
};

// Month names as folded text has them: full names, usual abbreviations and, for Polish, the
// genitive that follows a day ("5 grudnia").
constexpr NamedMonth months[]{
    // English
    {"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6}, {"july", 7},
    {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11}, {"december", 12}, {"jan", 1}, {"feb", 2},
    {"mar", 3}, {"apr", 4}, {"jun", 6}, {"jul", 7}, {"aug", 8}, {"sep", 9}, {"sept", 9}, {"oct", 10}, {"nov", 11},
    {"dec", 12},
    // German
    {"januar", 1}, {"jänner", 1}, {"februar", 2}, {"märz", 3}, {"maerz", 3}, {"mai", 5}, {"juni", 6}, {"juli", 7},
    {"oktober", 10}, {"dezember", 12}, {"mär", 3}, {"okt", 10}, {"dez", 12},
    // French
    {"janvier", 1}, {"février", 2}, {"fevrier", 2}, {"mars", 3}, {"avril", 4}, {"juin", 6}, {"juillet", 7},
    {"août", 8}, {"aout", 8}, {"septembre", 9}, {"octobre", 10}, {"novembre", 11}, {"décembre", 12},
    {"decembre", 12},
    // Spanish
    {"enero", 1}, {"febrero", 2}, {"marzo", 3}, {"abril", 4}, {"mayo", 5}, {"junio", 6}, {"julio", 7}, {"agosto", 8},
    {"septiembre", 9}, {"setiembre", 9}, {"octubre", 10}, {"noviembre", 11}, {"diciembre", 12},
    // Italian
    {"gennaio", 1}, {"febbraio", 2}, {"aprile", 4}, {"maggio", 5}, {"giugno", 6}, {"luglio", 7}, {"settembre", 9},
    {"ottobre", 10}, {"dicembre", 12},
    // Dutch
    {"januari", 1}, {"februari", 2}, {"maart", 3}, {"mei", 5}, {"augustus", 8},
    // Portuguese
    {"janeiro", 1}, {"fevereiro", 2}, {"março", 3}, {"maio", 5}, {"junho", 6}, {"julho", 7}, {"setembro", 9},
    {"outubro", 10}, {"novembro", 11}, {"dezembro", 12},
    // Swedish, Danish, Norwegian
    {"augusti", 8}, {"maj", 5}, {"marts", 3}, {"desember", 12},
    // Polish: genitive, then nominative
    {"stycznia", 1}, {"lutego", 2}, {"marca", 3}, {"kwietnia", 4}, {"maja", 5}, {"czerwca", 6}, {"lipca", 7},
    {"sierpnia", 8}, {"września", 9}, {"października", 10}, {"listopada", 11}, {"grudnia", 12}, {"styczeń", 1},
    {"luty", 2}, {"marzec", 3}, {"kwiecień", 4}, {"czerwiec", 6}, {"lipiec", 7}, {"sierpień", 8},
    {"wrzesień", 9}, {"październik", 10}, {"listopad", 11}, {"grudzień", 12}};

struct NamedWeekday {
  std::string_view name;
  unsigned weekday;  // 0 = Sunday
};

constexpr NamedWeekday weekdays[]{
    {"sunday", 0}, {"monday", 1}, {"tuesday", 2}, {"wednesday", 3}, {"thursday", 4}, {"friday", 5},
    {"saturday", 6},
    {"sonntag", 0}, {"montag", 1}, {"dienstag", 2}, {"mittwoch", 3}, {"donnerstag", 4}, {"freitag", 5},
    {"samstag", 6}, {"sonnabend", 6},
    {"dimanche", 0}, {"lundi", 1}, {"mardi", 2}, {"mercredi", 3}, {"jeudi", 4}, {"vendredi", 5}, {"samedi", 6},
    {"domingo", 0}, {"lunes", 1}, {"martes", 2}, {"miércoles", 3}, {"jueves", 4}, {"viernes", 5}, {"sábado", 6},
    {"domenica", 0}, {"lunedì", 1}, {"martedì", 2}, {"mercoledì", 3}, {"giovedì", 4}, {"venerdì", 5},
    {"sabato", 6},
    {"zondag", 0}, {"maandag", 1}, {"dinsdag", 2}, {"woensdag", 3}, {"donderdag", 4}, {"vrijdag", 5},
    {"zaterdag", 6},
    {"segunda", 1}, {"terça", 2}, {"quarta", 3}, {"quinta", 4}, {"sexta", 5},
    {"söndag", 0}, {"måndag", 1}, {"tisdag", 2}, {"onsdag", 3}, {"torsdag", 4}, {"fredag", 5}, {"lördag", 6},
    {"søndag", 0}, {"mandag", 1}, {"tirsdag", 2}, {"lørdag", 6},
    {"niedziela", 0}, {"niedzielę", 0}, {"poniedziałek", 1}, {"wtorek", 2}, {"środa", 3}, {"środę", 3},
    {"czwartek", 4}, {"piątek", 5}, {"sobota", 6}, {"sobotę", 6}};

// Words after a day's number: "5th", "1er", "1º", "5e".
constexpr std::string_view ordinal_suffixes[]{"st", "nd", "rd", "th", "er", "re", "e", "ème", "º", "ª"};
// Words between a day and its month: "5th of December", "5 de diciembre".
constexpr std::string_view day_month_links[]{"of", "de", "di"};

// What joins the first and last day of a range: "December 1-5", "Dec 1 to 5", "1. bis 5.".
constexpr std::string_view range_words[]{"\u2013", "\u2014", "to", "through", "thru", "until",
                                                       "till", "bis", "au", "al", "tot"};

// How strongly a word near a date says it is the return date.
enum Rank : int { plain = 0, until = 1, back = 2 };

struct Keyword {
  std::string_view phrase;
  Rank rank;
};

// Words that stand before a date.
constexpr Keyword keywords_before[]{
    {"back", back}, {"return", back}, {"returning", back}, {"returns", back}, {"in the office", back},
    {"in office", back}, {"zurück", back}, {"wieder", back}, {"ab", back}, {"retour", back}, {"rentre", back},
    {"reviens", back}, {"à partir du", back}, {"a partir du", back}, {"de vuelta", back}, {"regreso", back},
    {"regresaré", back}, {"volveré", back}, {"vuelvo", back}, {"a partir del", back}, {"rientro", back},
    {"rientrerò", back}, {"tornerò", back}, {"di ritorno", back}, {"dal", back}, {"terug", back}, {"weer", back},
    {"vanaf", back}, {"volto", back}, {"voltarei", back}, {"retorno", back}, {"de volta", back},
    {"a partir de", back}, {"tillbaka", back}, {"åter", back}, {"från och med", back}, {"tilbage", back},
    {"powrót", back}, {"wracam", back}, {"wrócę", back}, {"od", back},
    {"until", until}, {"till", until}, {"til", until}, {"through", until}, {"thru", until}, {"bis", until},
    {"jusqu'au", until}, {"jusqu'à", until}, {"au", until}, {"hasta", until}, {"fino al", until}, {"al", until},
    {"tot", until}, {"t/m", until}, {"até", until}, {"ao", until}, {"do", until}, {"to", until}};

// Words that stand after a date (Japanese puts them there: 12月5日まで, 12月8日に戻ります). None
// begins or ends with an ASCII letter or digit, so they are found wherever they stand.
constexpr Keyword keywords_after[]{{"まで", until}, Keyword{"に戻", back}, Keyword{"より出社", back},
                                    Keyword{"から出社", back}, Keyword{"に出社", back}};

constexpr std::string_view tomorrow_words[]{"tomorrow", "morgen"};

struct Token {
  enum class Kind : std::uint8_t { number, word, mark };
  Kind kind = Kind::mark;
  std::string_view text;
  std::size_t position = 0;
  bool spaced = false;  // white space before it
  int value = -1;       // a number of at most four digits; -1 otherwise
};

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  bool spaced = true;
  for (std::size_t i = 0; i < text.size() && tokens.size() < max_tokens;) {
    const char c = text[i];
    if (c == ' ' || c == '\n') {
      spaced = true;
      ++i;
      continue;
    }
    Token token;
    token.position = i;
    token.spaced = spaced;
    if (is_digit(c)) {
      while (i < text.size() && is_digit(text[i])) ++i;
      token.kind = Token::Kind::number;
      if (i - token.position <= 4) {
        token.value = 0;
        for (std::size_t k = token.position; k < i; ++k) token.value = token.value * 10 + (text[k] - '0');
      }
    } else if (is_word_byte(c)) {
      while (i < text.size() && is_word_byte(text[i]) && !is_digit(text[i])) ++i;
      token.kind = Token::Kind::word;
    } else {
      ++i;
    }
    token.text = text.substr(token.position, i - token.position);
    tokens.push_back(token);
    spaced = false;
  }
  return tokens;
}

// The entries of a table of names in the order of their names, for a binary search: every word
// of a text is looked up, and a scan of the 115 month names for each costs more than the rest of
// the date reading. A name listed twice is found as the scan in table order would find it.
template <class Entry>
class NameIndex {
 public:
  explicit NameIndex(std::span<const Entry> table) {
    by_name_.reserve(table.size());
    for (const Entry& entry : table) {
      by_name_.push_back(&entry);
      longest_ = std::max(longest_, entry.name.size());
    }
    const auto name_less = [](const Entry* a, const Entry* b) { return a->name < b->name; };
    std::stable_sort(by_name_.begin(), by_name_.end(), name_less);
    const auto same_name = [](const Entry* a, const Entry* b) { return a->name == b->name; };
    by_name_.erase(std::unique(by_name_.begin(), by_name_.end(), same_name), by_name_.end());
  }

  const Entry* find(std::string_view word) const noexcept {
    if (word.empty() || word.size() > longest_) return nullptr;
    const auto found = std::lower_bound(by_name_.begin(), by_name_.end(), word,
                                        [](const Entry* entry, std::string_view w) { return entry->name < w; });
    return found != by_name_.end() && (*found)->name == word ? *found : nullptr;
  }

 private:
  std::vector<const Entry*> by_name_;
  std::size_t longest_ = 0;
};

// The entry of `table` named `word`; the index is built once (thread-safe, as a local static).
template <const auto& table>
const auto* named(std::string_view word) noexcept {
  using Entry = std::remove_cvref_t<decltype(table[0])>;
  static const NameIndex<Entry> index{std::span<const Entry>(table)};
  return index.find(word);
}

bool listed(std::span<const std::string_view> words, std::string_view word) noexcept {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// A date found in the text, with how much its surroundings say it is the return date.
struct Candidate {
  std::size_t position = 0;
  std::size_t end = 0;
  sys_days day;
  Rank rank = plain;
  bool needs_keyword = false;  // a weekday, "tomorrow", "5.12" without its final dot
};

// Reads the dates of one text against the day it was written.
class DateReader {
 public:
  DateReader(std::string_view text, std::optional<sys_days> sent, DayOrder order)
      : text_(text), tokens_(tokenize(text)), sent_(sent), order_(order) {}

  std::vector<Candidate> candidates() {
    std::vector<Candidate> found;
    for (std::size_t i = 0; i < tokens_.size() && found.size() < max_candidates;) {
      std::size_t next = i + 1;
      if (auto candidate = date_at(i, next)) {
        candidate->position = tokens_[i].position;
        candidate->end = tokens_[next - 1].position + tokens_[next - 1].text.size();
        candidate->rank = rank_of(*candidate);
        if (!candidate->needs_keyword || candidate->rank != plain) found.push_back(*candidate);
      }
      i = next;
    }
    return found;
  }

 private:
  const Token* at(std::size_t i) const noexcept { return i < tokens_.size() ? &tokens_[i] : nullptr; }

  bool is_number(std::size_t i, std::size_t max_digits, bool joined = false) const noexcept {
    const Token* t = at(i);
    return t && t->kind == Token::Kind::number && t->value >= 0 && t->text.size() <= max_digits && (!joined || !t->spaced);
  }
  bool is_mark(std::size_t i, char mark, bool joined = true) const noexcept {
    const Token* t = at(i);
    return t && t->kind == Token::Kind::mark && t->text.front() == mark && (!joined || !t->spaced);
  }
  bool is_word(std::size_t i) const noexcept { return at(i) && at(i)->kind == Token::Kind::word; }

  bool in_range(sys_days day) const noexcept {
    return !sent_ || (day > *sent_ && day <= *sent_ + days{366});
  }

  // The day `month`/`day` of `year`, or when `year` is 0 the next such day on or after `sent`;
  // nothing when it does not exist or is out of range.
  std::optional<sys_days> resolve(int year, int month, int day) const {
    if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    const auto m = std::chrono::month{static_cast<unsigned>(month)};
    const auto d = std::chrono::day{static_cast<unsigned>(day)};
    year_month_day date;
    if (year == 0) {
      if (!sent_) return std::nullopt;
      const std::chrono::year this_year = year_month_day{*sent_}.year();
      date = this_year / m / d;
      if (date.ok() && sys_days{date} < *sent_ && sys_days{date} >= *sent_ - stale_days) {
        return std::nullopt;  // a notice left on after its writer came back, not one for next year
      }
      if (!date.ok() || sys_days{date} < *sent_) date = (this_year + std::chrono::years{1}) / m / d;
    } else {
      date = std::chrono::year{year < 100 ? year + 2000 : year} / m / d;
    }
    if (!date.ok() || !in_range(sys_days{date})) return std::nullopt;
    return sys_days{date};
  }

  // Two numbers either of which may be the month: the reading `order` prefers, else the other.
  std::optional<sys_days> resolve_either(int year, int first, int second) const {
    const bool month_first = order_ == DayOrder::month_first;
    if (auto day = month_first ? resolve(year, first, second) : resolve(year, second, first)) return day;
    return month_first ? resolve(year, second, first) : resolve(year, first, second);
  }

  std::optional<Candidate> dated(std::optional<sys_days> day, bool needs_keyword = false) const {
    if (!day) return std::nullopt;
    Candidate candidate;
    candidate.day = *day;
    candidate.needs_keyword = needs_keyword;
    return candidate;
  }

  // A year after a date: "2026", ", 2026", "de 2026", "of 2026"; advances `j` past it.
  int year_after(std::size_t& j) const noexcept {
    std::size_t k = j;
    if (is_mark(k, ',', false)) ++k;
    if (is_word(k) && listed(day_month_links, at(k)->text)) ++k;
    if (is_number(k, 4) && at(k)->text.size() == 4) {
      j = k + 1;
      return at(k)->value;
    }
    return 0;
  }

  // "December 1-5", "Dec 1 to 5": the range's last day replaces `day`, and `j` moves past it.
  void range_end(std::size_t& j, int& day) const noexcept {
    const bool dash = is_mark(j, '-', false) || (is_word(j) && listed(range_words, at(j)->text));
    if (!dash || !is_number(j + 1, 2) || at(j + 1)->value < 1 || at(j + 1)->value > 31) return;
    day = at(j + 1)->value;
    j += 2;
    if (is_word(j) && !at(j)->spaced && listed(ordinal_suffixes, at(j)->text)) ++j;
  }

  // The date that starts at token `i`; `next` is set past it.
  std::optional<Candidate> date_at(std::size_t i, std::size_t& next) const {
    const Token& t = tokens_[i];
    if (t.kind == Token::Kind::word) return named_date_at(i, next);
    if (t.kind != Token::Kind::number || t.value < 0) return std::nullopt;
    if (t.text.size() == 4) return iso_date_at(i, next);
    if (t.text.size() > 2) return std::nullopt;
    if (auto japanese = japanese_date_at(i, next)) return japanese;
    // Not the middle of a run of numbers (an IP address, a version, a time, a phone number).
    const bool in_run = i >= 2 && !t.spaced && tokens_[i - 1].kind == Token::Kind::mark && !tokens_[i - 1].spaced &&
                        tokens_[i - 2].kind == Token::Kind::number;
    for (char mark : {'.', '/', '-'}) {
      if (!in_run && is_mark(i + 1, mark) && is_number(i + 2, 2, true)) {
        if (auto date = numeric_date_at(i, mark, next)) return date;
      }
    }
    return day_month_at(i, next);
  }

  // 2026-12-05, 2026/12/05, 2026.12.05, 2026年12月5日.
  std::optional<Candidate> iso_date_at(std::size_t i, std::size_t& next) const {
    const int year = tokens_[i].value;
    if (is_word(i + 1) && at(i + 1)->text.starts_with("年") && is_number(i + 2, 2)) {
      std::size_t j = i + 2;
      if (auto date = japanese_month_day(j, year)) {
        next = j;
        return date;
      }
      return std::nullopt;
    }
    for (char mark : {'-', '/', '.'}) {
      if (is_mark(i + 1, mark) && is_number(i + 2, 2, true) && is_mark(i + 3, mark) && is_number(i + 4, 2, true)) {
        next = i + 5;
        return dated(resolve(year, tokens_[i + 2].value, tokens_[i + 4].value));
      }
    }
    return std::nullopt;
  }

  // 12月5日 from token `j`, advancing it.
  std::optional<Candidate> japanese_month_day(std::size_t& j, int year) const {
    if (!(is_number(j, 2) && is_word(j + 1) && at(j + 1)->text.starts_with("月") && is_number(j + 2, 2) &&
          is_word(j + 3) && at(j + 3)->text.starts_with("日"))) {
      return std::nullopt;
    }
    const int month = tokens_[j].value;
    const int day = tokens_[j + 2].value;
    j += 4;
    return dated(resolve(year, month, day));
  }

  std::optional<Candidate> japanese_date_at(std::size_t i, std::size_t& next) const {
    std::size_t j = i;
    auto date = japanese_month_day(j, 0);
    if (date) next = j;
    return date;
  }

  // 5.12. / 5.12.2026 (day first), 12/5 / 12/5/2026 / 12-5-2026 (either order).
  std::optional<Candidate> numeric_date_at(std::size_t i, char mark, std::size_t& next) const {
    const int first = tokens_[i].value;
    const int second = tokens_[i + 2].value;
    std::size_t j = i + 3;
    int year = 0;
    bool closed = false;  // "5.12." ends with its dot
    if (is_mark(j, mark)) {
      if (is_number(j + 1, 4, true) && (at(j + 1)->text.size() == 4 || at(j + 1)->text.size() == 2)) {
        year = at(j + 1)->value;
        j += 2;
        if (is_mark(j, mark) && is_number(j + 1, 4, true)) return std::nullopt;  // 1.2.3.4
      } else if (is_number(j + 1, 4, true)) {
        return std::nullopt;  // 1.2.3
      } else {
        closed = true;
        ++j;
      }
    }
    if (mark == '-' && year == 0) return std::nullopt;  // "9-5" is office hours, not a date
    next = j;
    if (mark == '.') return dated(resolve(year, second, first), !closed && year == 0);
    return dated(resolve_either(year, first, second));
  }

  // 5 December, 5th of December, 5. Dezember, 5 de diciembre de 2026, 1er décembre.
  std::optional<Candidate> day_month_at(std::size_t i, std::size_t& next) const {
    std::size_t j = i + 1;
    if (is_word(j) && !at(j)->spaced && listed(ordinal_suffixes, at(j)->text)) ++j;
    if (is_mark(j, '.')) ++j;
    if (is_word(j) && listed(day_month_links, at(j)->text)) ++j;
    const NamedMonth* month = is_word(j) ? named<months>(at(j)->text) : nullptr;
    if (!month) return std::nullopt;
    ++j;
    if (is_mark(j, '.')) ++j;
    const int year = year_after(j);
    next = j;
    return dated(resolve(year, static_cast<int>(month->month), tokens_[i].value));
  }

  // December 5th, Dec. 5, 2026; a weekday or "tomorrow" after a return word.
  std::optional<Candidate> named_date_at(std::size_t i, std::size_t& next) const {
    const std::string_view word = tokens_[i].text;
    if (const NamedMonth* month = named<months>(word)) {
      std::size_t j = i + 1;
      if (is_mark(j, '.')) ++j;
      if (!is_number(j, 2) || at(j)->value < 1 || at(j)->value > 31) return std::nullopt;
      int day = at(j)->value;
      ++j;
      if (is_word(j) && !at(j)->spaced && listed(ordinal_suffixes, at(j)->text)) ++j;
      range_end(j, day);
      const int year = year_after(j);
      next = j;
      return dated(resolve(year, static_cast<int>(month->month), day));
    }
    if (const NamedWeekday* weekday = named<weekdays>(word)) {
      // "Monday, December 8": the date that follows says more than the weekday.
      for (std::size_t k = i + 1; k <= i + 3 && k < tokens_.size(); ++k) {
        if (tokens_[k].kind == Token::Kind::number) return std::nullopt;
      }
      if (!sent_) return std::nullopt;
      sys_days day = *sent_ + days{1};
      while (std::chrono::weekday{day}.c_encoding() != weekday->weekday) day += days{1};
      return dated(day, true);
    }
    if (listed(tomorrow_words, word) && sent_) return dated(*sent_ + days{1}, true);
    return std::nullopt;
  }

  Rank rank_of(const Candidate& candidate) const noexcept {
    Rank rank = plain;
    // The words before the date, within its paragraph (a mail program may wrap the sentence).
    const std::size_t from = candidate.position > keyword_window ? candidate.position - keyword_window : 0;
    std::string_view before = text_.substr(from, candidate.position - from);
    if (const std::size_t paragraph = before.rfind("\n\n"); paragraph != std::string_view::npos) {
      before.remove_prefix(paragraph + 2);
    }
    const auto strongest = [&](const Keyword& keyword, std::size_t, std::size_t) {
      rank = std::max(rank, keyword.rank);
    };
    matcher_of<keywords_before>().find(before).for_each(keywords_before, strongest);
    const std::string_view after = text_.substr(candidate.end, keyword_window / 2);
    matcher_of<keywords_after>().find(after).for_each(keywords_after, strongest);
    return rank;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  std::optional<sys_days> sent_;
  DayOrder order_;
};

}  // namespace

std::optional<sys_days> day_of_date_field(std::string_view value) {
  const std::string folded = fold_text(value, 256);
  const std::vector<Token> tokens = tokenize(folded);
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
    const Token& day = tokens[i];
    const Token& month_word = tokens[i + 1];
    const Token& year = tokens[i + 2];
    if (day.kind != Token::Kind::number || day.value < 1 || day.value > 31 || month_word.kind != Token::Kind::word ||
        year.kind != Token::Kind::number || year.value < 0) {
      continue;
    }
    const NamedMonth* month = named<months>(month_word.text);
    if (!month) continue;
    // RFC 5322 section 4.3: a two-digit year below 50 is 20xx, else 19xx; three digits add 1900.
    int full_year = year.value;
    if (year.text.size() == 2) full_year += full_year < 50 ? 2000 : 1900;
    if (year.text.size() == 3) full_year += 1900;
    const year_month_day date{std::chrono::year{full_year}, std::chrono::month{month->month},
                              std::chrono::day{static_cast<unsigned>(day.value)}};
    if (date.ok()) return sys_days{date};
  }
  return std::nullopt;
}

std::optional<year_month_day> find_return_date(std::string_view text, std::optional<sys_days> sent, DayOrder order) {
  DateReader reader(text.substr(0, max_date_text), sent, order);
  const std::vector<Candidate> found = reader.candidates();
  if (found.empty()) return std::nullopt;
  const auto best_rank = std::max_element(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
                           return a.rank < b.rank;
                         })->rank;
  if (best_rank != plain) {
    // max_element returns the first of the equal largest, which is the first in the text.
    const auto first = std::find_if(found.begin(), found.end(), [&](const Candidate& c) { return c.rank == best_rank; });
    return year_month_day{first->day};
  }
  const auto latest = std::max_element(found.begin(), found.end(),
                                       [](const Candidate& a, const Candidate& b) { return a.day < b.day; });
  return year_month_day{latest->day};
}

}  // namespace outreach::detail
