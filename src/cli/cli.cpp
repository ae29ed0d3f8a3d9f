#include "cli/cli.hpp"

#include <iostream>

namespace outreach::cli {

const std::string_view usage = R"(usage:
  outreach validate CAMPAIGN.json|SEQUENCE.json
  outreach render SEQUENCE.json --lead LEAD.json [--step N] [--seed S]
                  [--from "Name <address>"] [--at INSTANT] [--campaign NAME]
  outreach simulate CAMPAIGN.json [--from INSTANT] [--until INSTANT | --days N]
                  [--inbound FILE.jsonl] [--events FILE.jsonl] [--outbox DIR] [--store FILE.db] [--json]
  outreach run [CAMPAIGN.json...] --store FILE.db [--events FILE.jsonl] [--until INSTANT]
               [--log-format text|json]
  outreach status --store FILE.db [--json]
  outreach pause|resume|stop --store FILE.db CAMPAIGN [--wait SECONDS | --no-wait]
  outreach events --store FILE.db [--campaign NAME] [--since INSTANT]
  outreach ingest --store FILE.db MESSAGE.eml...
  outreach suppress add|remove|import --store FILE.db ADDRESS|FILE [--wait SECONDS | --no-wait]
  outreach suppress list --store FILE.db
  outreach forget --store FILE.db ADDRESS [--wait SECONDS | --no-wait]
  outreach --version | --help
)";

std::optional<Arguments> parse_arguments(int argc, char** argv, const std::set<std::string_view>& with_value,
                                         const std::set<std::string_view>& flags) {
  Arguments arguments;
  for (int i = 2; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (!argument.starts_with("--")) {
      arguments.positional.emplace_back(argument);
      continue;
    }
    const std::string_view name = argument.substr(2);
    if (flags.contains(name)) {
      arguments.flags.emplace(name);
    } else if (with_value.contains(name)) {
      if (i + 1 >= argc) {
        std::cerr << "outreach: option " << argument << " needs a value\n";
        return std::nullopt;
      }
      arguments.options[std::string(name)] = argv[++i];
    } else {
      std::cerr << "outreach: unknown option " << argument << "\n" << usage;
      return std::nullopt;
    }
  }
  return arguments;
}

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
