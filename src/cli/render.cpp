// outreach render: prints the exact message a step gives for a lead.

#include <chrono>
#include <iostream>

#include "cli/cli.hpp"
#include "outreach/lead_list.hpp"
#include "outreach/instant.hpp"
#include "outreach/render.hpp"
#include "outreach/sequence.hpp"

namespace outreach::cli {

int render(const Arguments& arguments) {
  const auto& options = arguments.options;
  if (arguments.positional.size() != 1 || !options.contains("lead")) {
    std::cerr << usage;
    return exit_bad_input;
  }
  auto sequence = Sequence::load(arguments.positional[0]);
  if (!sequence) {
    print_errors(sequence.error());
    return exit_code_for(sequence.error());
  }

  const std::string& lead_path = options.find("lead")->second;
  auto lead = load_lead(lead_path);
  if (!lead) {
    print_errors(lead.error());
    return exit_code_for(lead.error());
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

}  // namespace outreach::cli
