#include "cli/cli.hpp"

#include <iostream>

namespace outreach::cli {

const std::string_view usage = "run \"outreach --help\" for the usage of every command\n";

void print_errors(const Error& error) {
  std::cerr << "outreach: " << error.to_string() << "\n";
  for (const Error& other : error.others()) std::cerr << "outreach: " << other.to_string() << "\n";
  const std::size_t count = 1 + error.others().size();
  if (count > 1) std::cerr << count << " errors\n";
}

int exit_code_for(const Error& error) {
  switch (error.code()) {
    case Errc::io_error:
    case Errc::unavailable:
    case Errc::temporary_failure:
    case Errc::permanent_failure:
    case Errc::internal: return exit_failure;
    default: return exit_bad_input;
  }
}

bool read_instant_option(const Arguments& arguments, std::string_view name, std::optional<Instant>& out) {
  const std::string* text = arguments.option(name);
  if (!text) return true;
  out = parse_instant(*text);
  if (out) return true;
  std::cerr << "outreach: --" << name << ": not an RFC 3339 instant such as 2026-12-01T14:03:12Z\n";
  return false;
}

bool read_seconds_option(const Arguments& arguments, std::string_view name, std::int64_t longest,
                         std::optional<std::chrono::seconds>& out) {
  const std::string* text = arguments.option(name);
  if (!text) return true;
  const auto seconds = parse_integer(*text);
  if (seconds && *seconds >= 1 && *seconds <= longest) {
    out = std::chrono::seconds(*seconds);
    return true;
  }
  std::cerr << "outreach: --" << name << ": not a number of seconds from 1 to " << longest << "\n";
  return false;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace outreach::cli
