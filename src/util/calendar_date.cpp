#include "util/calendar_date.hpp"

namespace outreach::detail {

std::optional<std::chrono::year_month_day> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int fields[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (std::size_t f = 0; f < 3; ++f) {
    for (std::size_t i = starts[f]; i < starts[f] + lengths[f]; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      fields[f] = fields[f] * 10 + (text[i] - '0');
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{fields[0]},
                                         std::chrono::month{static_cast<unsigned>(fields[1])},
                                         std::chrono::day{static_cast<unsigned>(fields[2])}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string format_date(std::chrono::year_month_day date) {
  const auto digits = [](std::string& out, unsigned value, std::size_t width) {
    std::string text = std::to_string(value);
    if (text.size() < width) out.append(width - text.size(), '0');
    out += text;
  };
  std::string out;
  digits(out, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  out += '-';
  digits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  digits(out, static_cast<unsigned>(date.day()), 2);
  return out;
}

}  // namespace outreach::detail
