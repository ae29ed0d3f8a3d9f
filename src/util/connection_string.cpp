#include "util/connection_string.hpp"

#include <algorithm>

namespace outreach::detail {

std::string without_password(std::string_view location) {
  std::string shown(location);
  // postgresql://user:password@host/...: the password goes, the user stays.
  if (const auto scheme = shown.find("://"); scheme != std::string::npos) {
    const auto authority = scheme + 3;
    // libpq reads the authority up to its first '/': a '?' before the '@' is the password's.
    const auto end = shown.find('/', authority);
    const auto at = shown.rfind('@', end == std::string::npos ? shown.size() : end);
    if (at != std::string::npos && at >= authority) {
      const auto colon = shown.find(':', authority);
      if (colon != std::string::npos && colon < at) shown.erase(colon, at - colon);
    }
  }
  // ...?password=...&...: the value goes.
  for (std::size_t from = 0;;) {
    const auto key = shown.find("password=", from);
    if (key == std::string::npos) break;
    const auto value = key + 9;
    if (key > 0 && shown[key - 1] != '?' && shown[key - 1] != '&' && shown[key - 1] != ' ') {
      from = value;
      continue;
    }
    // A quoted value ('a b', with \' inside) ends at its closing quote.
    auto end = shown.find_first_of("& ", value);
    if (value < shown.size() && shown[value] == '\'') {
      end = value + 1;
      while (end < shown.size() && shown[end] != '\'') end += shown[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, shown.size());
    }
    shown.replace(value, (end == std::string::npos ? shown.size() : end) - value, "***");
    from = value + 3;
  }
  return shown;
}

}  // namespace outreach::detail
