// outreach: the command-line tool (spec/formats.md, "Command line").
//
// Exit status: 0 done; 2 bad input (the message names the file and line or JSON path);
// 1 any other failure.

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/instant.hpp"
#include "detail/json_reader.hpp"
#include "detail/lead_json.hpp"
#include "outreach/render.hpp"
#include "outreach/sequence.hpp"

namespace {

using namespace outreach;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_bad_input = 2;

constexpr std::string_view usage = R"(usage:
  outreach validate SEQUENCE.json
  outreach render SEQUENCE.json --lead LEAD.json [--step N] [--seed S]
                  [--from "Name <address>"] [--at INSTANT] [--campaign NAME]
  outreach --version | --help
)";

/// A command's arguments: positional ones in order, and `--name value` options.
struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> options;
};

/// Splits arguments; every option takes a value. Unknown options are refused by the caller.
std::optional<Arguments> parse_arguments(int argc, char** argv, int first, const std::set<std::string_view>& known) {
  Arguments arguments;
  for (int i = first; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument.starts_with("--")) {
      const std::string_view name = argument.substr(2);
      if (!known.contains(name)) {
        std::cerr << "outreach: unknown option " << argument << "\n" << usage;
        return std::nullopt;
      }
      if (i + 1 >= argc) {
        std::cerr << "outreach: option " << argument << " needs a value\n";
        return std::nullopt;
      }
      arguments.options[std::string(name)] = argv[++i];
    } else {
      arguments.positional.emplace_back(argument);
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

std::string describe_delay(const Delay& delay) {
  if (delay.in_business_days()) {
    return std::to_string(delay.business_days) + (delay.business_days == 1 ? " business day" : " business days") +
           " later";
  }
  if (delay.none()) return "right away";
  std::string out;
  const auto add = [&](std::int64_t count, std::string_view unit) {
    if (count == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(count) + " " + std::string(unit) + (count == 1 ? "" : "s");
  };
  add(delay.days, "day");
  add(delay.hours, "hour");
  add(delay.minutes, "minute");
  return out + " later";
}

int validate_sequence(const std::string& path) {
  auto sequence = Sequence::load(path);
  if (!sequence) {
    print_errors(sequence.error());
    return exit_code_for(sequence.error());
  }
  std::cout << path << ": a valid sequence";
  if (!sequence->name().empty()) std::cout << " \"" << sequence->name() << "\"";
  std::cout << "\n  fingerprint " << sequence->fingerprint() << "\n";
  int number = 0;
  for (const Step& step : sequence->steps()) {
    ++number;
    std::cout << "  step " << number << ": "
              << (step.threading == Threading::reply ? "reply in the thread" : "new thread") << ", "
              << describe_delay(step.delay) << "; variants";
    std::vector<std::string> fields;
    for (const Variant& variant : step.variants) {
      std::cout << (&variant == &step.variants.front() ? " " : ", ") << variant.name << " (weight "
                << variant.weight << ")";
      for (const Template* part : {variant.subject ? &*variant.subject : nullptr, &variant.text,
                                   variant.html ? &*variant.html : nullptr}) {
        if (!part) continue;
        for (std::string& field : part->fields()) {
          if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(std::move(field));
        }
      }
    }
    std::cout << "; fields:";
    for (std::size_t i = 0; i < fields.size(); ++i) std::cout << (i == 0 ? " " : ", ") << fields[i];
    std::cout << "\n";
  }
  return exit_ok;
}

int validate(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv, 2, {});
  if (!arguments) return exit_bad_input;
  if (arguments->positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  const std::string& path = arguments->positional[0];
  auto text = detail::read_file(path);
  if (!text) {
    print_errors(text.error());
    return exit_code_for(text.error());
  }
  auto document = detail::parse_json(*text, path);
  if (!document) {
    print_errors(document.error());
    return exit_bad_input;
  }
  if (document->is_object() && document->as_object().contains("steps")) return validate_sequence(path);
  std::cerr << "outreach: " << path
            << ": not a sequence (a sequence has \"steps\"); campaign files are not supported by this version\n";
  return exit_bad_input;
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

int render(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv, 2, {"lead", "step", "seed", "from", "at", "campaign"});
  if (!arguments) return exit_bad_input;
  const auto& options = arguments->options;
  if (arguments->positional.size() != 1 || !options.contains("lead")) {
    std::cerr << usage;
    return exit_bad_input;
  }
  auto sequence = Sequence::load(arguments->positional[0]);
  if (!sequence) {
    print_errors(sequence.error());
    return exit_code_for(sequence.error());
  }

  const std::string& lead_path = options.find("lead")->second;
  auto lead_text = detail::read_file(lead_path);
  if (!lead_text) {
    print_errors(lead_text.error());
    return exit_code_for(lead_text.error());
  }
  auto lead_json = detail::parse_json(*lead_text, lead_path);
  if (!lead_json) {
    print_errors(lead_json.error());
    return exit_bad_input;
  }
  auto lead = detail::lead_from_json(*lead_json, "");
  if (!lead) {
    print_errors(lead.error().in_file(lead_path));
    return exit_bad_input;
  }

  int step_number = 1;
  if (auto it = options.find("step"); it != options.end()) {
    const auto number = parse_integer(it->second);
    if (!number || *number < 1 || static_cast<std::size_t>(*number) > sequence->steps().size()) {
      std::cerr << "outreach: --step must be from 1 to " << sequence->steps().size() << "\n";
      return exit_bad_input;
    }
    step_number = static_cast<int>(*number);
  }
  StepContext context;
  context.campaign = "render";
  if (auto it = options.find("campaign"); it != options.end()) context.campaign = it->second;
  if (auto it = options.find("seed"); it != options.end()) {
    const auto seed = parse_integer(it->second);
    if (!seed) {
      std::cerr << "outreach: --seed must be a non-negative integer\n";
      return exit_bad_input;
    }
    context.seed = static_cast<std::uint64_t>(*seed);
  }
  const std::string from = options.contains("from") ? options.find("from")->second : "Sender <sender@example.com>";
  auto sender = Address::parse(from);
  if (!sender) {
    std::cerr << "outreach: --from: " << sender.error().to_string() << "\n";
    return exit_bad_input;
  }
  context.sender = *sender;
  context.date = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (auto it = options.find("at"); it != options.end()) {
    const auto at = parse_instant(it->second);
    if (!at) {
      std::cerr << "outreach: --at: not an RFC 3339 instant such as 2026-12-01T14:03:12Z\n";
      return exit_bad_input;
    }
    context.date = std::chrono::floor<std::chrono::seconds>(*at);
  }

  // Earlier steps are rendered too: a reply step needs the thread they started.
  for (int number = 1; number <= step_number; ++number) {
    auto rendered = render_step(*sequence, number, *lead, context);
    if (!rendered) {
      std::cerr << "outreach: step " << number << ": " << rendered.error().to_string() << "\n";
      if (rendered.error().code() == Errc::missing_field) {
        std::cerr << "outreach: a campaign would skip this lead with reason " << rendered.error().message() << "\n";
      }
      return exit_code_for(rendered.error());
    }
    if (number == step_number) {
      std::cout << rendered->message.data;
      return exit_ok;
    }
    context.thread = rendered->thread;
  }
  return exit_ok;
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << usage;
    return exit_bad_input;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "help") {
    std::cout << usage;
    return exit_ok;
  }
  if (command == "--version") {
    std::cout << "outreach " OUTREACH_VERSION "\n";
    return exit_ok;
  }
  if (command == "validate") return validate(argc, argv);
  if (command == "render") return render(argc, argv);
  std::cerr << "outreach: unknown command \"" << command << "\"\n" << usage;
  return exit_bad_input;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "outreach: internal error: " << error.what() << "\n";
  } catch (...) {
    std::cerr << "outreach: internal error\n";
  }
  return exit_failure;
}
