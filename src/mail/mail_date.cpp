#include "mail/mail_date.hpp"

#include <array>
#include <cctype>
#include <chrono>

#include "util/ascii.hpp"

namespace outreach::detail {

namespace {

// Reads what `Date` fields are made of, left to right, skipping white space and commas.
class DateReader {
 public:
  explicit DateReader(std::string_view text) : text_(text) {}

  void skip_separators() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == ',')) ++at_;
  }

  std::string_view word() {
    skip_separators();
    const std::size_t start = at_;
    while (at_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[at_]))) ++at_;
    return text_.substr(start, at_ - start);
  }

  // Digits, at most `most` of them; nothing when there are none.
  std::optional<int> number(std::size_t most) {
    skip_separators();
    int value = 0;
    std::size_t count = 0;
    while (at_ < text_.size() && count < most && std::isdigit(static_cast<unsigned char>(text_[at_]))) {
      value = value * 10 + (text_[at_++] - '0');
      ++count;
    }
    if (count == 0) return std::nullopt;
    return value;
  }

  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  char peek() {
    skip_separators();
    return at_ < text_.size() ? text_[at_] : '\0';
  }

  std::size_t digits_ahead() const {
    std::size_t count = 0;
    while (at_ + count < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_ + count]))) ++count;
    return count;
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

constexpr std::array<std::string_view, 12> months{"jan", "feb", "mar", "apr", "may", "jun",
                                                  "jul", "aug", "sep", "oct", "nov", "dec"};

struct ZoneName {
  std::string_view name;
  int hours;
};
constexpr std::array<ZoneName, 12> zone_names{{{"ut", 0},   {"gmt", 0},  {"z", 0},    {"utc", 0},
                                               {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
                                               {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}}};

}  // namespace

std::optional<Instant> instant_of_date_field(std::string_view value) {
  DateReader reader(value);
  if (std::isalpha(static_cast<unsigned char>(reader.peek()))) (void)reader.word();  // the day's name
  const auto day = reader.number(2);
  const std::string month_name = ascii_lower(reader.word().substr(0, 3));
  auto year = reader.number(4);
  if (!day || !year) return std::nullopt;
  std::optional<unsigned> month;
  for (std::size_t i = 0; i < months.size(); ++i) {
    if (months[i] == month_name) month = static_cast<unsigned>(i + 1);
  }
  if (!month) return std::nullopt;
  if (*year < 50) *year += 2000;          // RFC 5322 section 4.3
  else if (*year < 1000) *year += 1900;
  const auto hour = reader.number(2);
  if (!hour || !reader.take(':')) return std::nullopt;
  const auto minute = reader.number(2);
  if (!minute) return std::nullopt;
  int second = 0;
  if (reader.take(':')) second = reader.number(2).value_or(0);
  if (*hour > 23 || *minute > 59 || second > 60) return std::nullopt;

  int offset_minutes = 0;
  const char sign = reader.peek();
  if (sign == '+' || sign == '-') {
    (void)reader.take(sign);
    if (reader.digits_ahead() == 4) {
      const int zone = *reader.number(4);
      if (zone % 100 > 59 || zone / 100 > 23) return std::nullopt;
      offset_minutes = (zone / 100) * 60 + zone % 100;
      if (sign == '-') offset_minutes = -offset_minutes;
    }
  } else if (std::isalpha(static_cast<unsigned char>(sign))) {
    const std::string name = ascii_lower(reader.word());
    for (const ZoneName& known : zone_names) {
      if (known.name == name) offset_minutes = known.hours * 60;
    }
  }

  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{*month},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  const auto local = std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
                     std::chrono::seconds{second};
  return std::chrono::time_point_cast<Instant::duration>(local - std::chrono::minutes{offset_minutes});
}

}  // namespace outreach::detail
