#include "outreach/instant.hpp"

#include <date/date.h>

#include <cstdio>

namespace outreach {

namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> read_number(std::string_view text, std::size_t pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<Instant> parse_instant(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.mmm]Z
  if (text.size() != 20 && text.size() != 24) return std::nullopt;
  const auto year = read_number(text, 0, 4);
  const auto month = read_number(text, 5, 2);
  const auto day = read_number(text, 8, 2);
  const auto hour = read_number(text, 11, 2);
  const auto minute = read_number(text, 14, 2);
  const auto second = read_number(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || (text.back() != 'Z' && text.back() != 'z')) {
    return std::nullopt;
  }
  int millis = 0;
  if (text.size() == 24) {
    const auto fraction = read_number(text, 20, 3);
    if (text[19] != '.' || !fraction) return std::nullopt;
    millis = *fraction;
  }
  const date::year_month_day ymd{date::year{*year}, date::month{static_cast<unsigned>(*month)},
                                 date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return Instant{date::sys_days{ymd}} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
         std::chrono::seconds{*second} + std::chrono::milliseconds{millis};
}

std::string format_instant(Instant instant) {
  const auto day = std::chrono::floor<date::days>(instant);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::milliseconds> time{instant - day};
  char buffer[96];  // generous: the compiler cannot see that every field is small
  const long long millis = time.subseconds().count();
  if (millis == 0) {
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(time.hours().count()), static_cast<long long>(time.minutes().count()),
                  static_cast<long long>(time.seconds().count()));
  } else {
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(time.hours().count()), static_cast<long long>(time.minutes().count()),
                  static_cast<long long>(time.seconds().count()), millis);
  }
  return buffer;
}

}  // namespace outreach
