// The commands that change a store's campaigns: pause, resume, stop, leads add, update,
// suppress add|remove|import and forget. Each is a request (outreach/steering.hpp): applied at
// once when no engine runs the store, else by the running engine, whose answer the command
// waits for and prints.

#include <iostream>

#include "cli/cli.hpp"
#include "util/connection_string.hpp"
#include "outreach/campaign.hpp"
#include "outreach/lead_list.hpp"
#include "outreach/steering.hpp"
#include "outreach/suppression_list.hpp"

namespace outreach::cli {

namespace {

// How long to wait for a running engine's answer when --wait is not given.
constexpr std::chrono::seconds default_wait{10};
// More than a day of waiting is surely a mistake in the option.
constexpr std::int64_t longest_wait_seconds = 86'400;

// The wait of `--wait SECONDS` or `--no-wait`; nothing, with a message, when it is not one.
std::optional<std::chrono::milliseconds> wait_of(const Arguments& arguments) {
  const std::string* text = arguments.option("wait");
  if (arguments.flag("no-wait")) {
    if (text) {
      std::cerr << "outreach: --wait and --no-wait cannot be given together\n";
      return std::nullopt;
    }
    return std::chrono::milliseconds(0);
  }
  std::optional<std::chrono::seconds> wait = default_wait;
  if (!read_seconds_option(arguments, "wait", longest_wait_seconds, wait)) return std::nullopt;
  return *wait;
}

// Makes the request and says how it ended: the answer's message on standard output, or why it
// was refused on standard error; `exit_queued` when the running engine did not answer in time.
int make_request(const Arguments& arguments, const Request& request) {
  const auto wait = wait_of(arguments);
  if (!wait) return exit_bad_input;
  const bool into_new_store = request.action == RequestAction::suppress || request.action == RequestAction::unsuppress;
  const std::string* location = store_location(arguments, !into_new_store);
  if (!location) return exit_bad_input;
  auto steered = steer(*location, request, *wait);
  if (!steered) {
    print_errors(steered.error());
    return exit_code_for(steered.error());
  }
  for (const std::string& warning : steered->warnings) std::cerr << "outreach: warning: " << warning << "\n";
  if (!steered->answer) {
    if (wait->count() == 0) {
      std::cout << "request " << steered->id << " queued for the running engine\n";
      return exit_ok;
    }
    std::cerr << "outreach: request " << steered->id << " is queued, not lost: the engine that runs " << detail::without_password(*location)
              << " did not answer within " << std::chrono::duration_cast<std::chrono::seconds>(*wait).count()
              << " s; it applies the request when it comes to it\n";
    return exit_queued;
  }
  const RequestAnswer& answer = *steered->answer;
  if (!answer.applied) {
    std::cerr << "outreach: " << answer.message << "\n";
    return answer.error == Errc::not_found ? exit_bad_input : exit_failure;
  }
  std::cout << answer.message << "\n";
  for (const std::string& change : answer.changes) std::cout << "  " << change << "\n";
  if (answer.sends_before > 0) {
    std::cout << answer.sends_before << (answer.sends_before == 1 ? " send was" : " sends were")
              << " already handed to the transport when the request came\n";
  }
  return exit_ok;
}

// The address of a command line, checked and normalized; nothing with a message.
std::optional<std::string> address_argument(const std::string& text) {
  auto address = suppression_address(text);
  if (!address) {
    print_errors(address.error());
    return std::nullopt;
  }
  return std::move(*address);
}

// `outreach suppress list`: read only, no request.
int list_suppressions(const Arguments& arguments) {
  int failed = exit_ok;
  auto store = store_of(arguments, StoreAccess::read, failed);
  if (!store) return failed;
  for (const Suppression& entry : store->suppressions()) std::cout << entry.address << '\t' << entry.reason << '\n';
  return exit_ok;
}

// `outreach suppress import FILE`: the file's addresses in one request; lines that are not
// addresses are reported and left out.
int import_file(const Arguments& arguments, const std::string& file) {
  auto read = read_suppression_file(file);
  if (!read) {
    print_errors(read.error());
    return exit_code_for(read.error());
  }
  for (const Error& problem : read->problems) std::cerr << "outreach: " << problem.to_string() << " (line left out)\n";
  int status = read->problems.empty() ? exit_ok : exit_bad_input;
  if (read->addresses.empty()) {
    std::cout << "0 addresses suppressed\n";
    return status;
  }
  const int made = make_request(arguments, {.action = RequestAction::suppress,
                                            .campaign = {},
                                            .addresses = std::move(read->addresses),
                                            .reason = "manual",
                                            .leads = {},
                                            .definition = {},
                                            .edit_steps = false,
                                            .mailbox = {}});
  return made != exit_ok ? made : status;
}

}  // namespace

int change_campaign(const Arguments& arguments, RequestAction action) {
  if (arguments.positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  Request request;
  request.action = action;
  request.campaign = arguments.positional[0];
  return make_request(arguments, request);
}

int mailbox(const Arguments& arguments) {
  const std::vector<std::string>& words = arguments.positional;
  if (words.size() != 2 || (words[0] != "disable" && words[0] != "enable")) {
    std::cerr << usage;
    return exit_bad_input;
  }
  Request request;
  request.action = words[0] == "enable" ? RequestAction::enable_mailbox : RequestAction::disable_mailbox;
  request.mailbox = words[1];
  return make_request(arguments, request);
}

int leads(const Arguments& arguments) {
  const std::vector<std::string>& words = arguments.positional;
  if (words.size() != 3 || words[0] != "add") {
    std::cerr << usage;
    return exit_bad_input;
  }
  auto list = load_lead_list(words[2]);
  if (!list) {
    print_errors(list.error());
    return exit_code_for(list.error());
  }
  for (const Error& problem : list->problems) std::cerr << "outreach: " << problem.to_string() << "\n";
  const int made = make_request(arguments, {.action = RequestAction::add_leads,
                                            .campaign = words[1],
                                            .addresses = {},
                                            .reason = "manual",
                                            .leads = std::move(list->leads),
                                            .definition = {},
                                            .edit_steps = false,
                                            .mailbox = {}});
  return made != exit_ok || list->problems.empty() ? made : exit_bad_input;
}

int update(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  auto campaign = CampaignDefinition::load(arguments.positional[0]);
  if (!campaign) {
    print_errors(campaign.error());
    return exit_code_for(campaign.error());
  }
  // The leads stay as they are (`leads add` adds more), and the request keeps none: one is
  // enough to write the definition, which must have a lead.
  campaign->leads.resize(1);
  std::string name = campaign->name;
  return make_request(arguments, {.action = RequestAction::update,
                                  .campaign = std::move(name),
                                  .addresses = {},
                                  .reason = "manual",
                                  .leads = {},
                                  .definition = campaign->to_json(),
                                  .edit_steps = arguments.flag("edit-steps"),
                                  .mailbox = {}});
}

int suppress(const Arguments& arguments) {
  const std::vector<std::string>& words = arguments.positional;
  const std::string action = words.empty() ? "" : words[0];
  if (action == "list" && words.size() == 1) return list_suppressions(arguments);
  if (words.size() != 2 || (action != "add" && action != "remove" && action != "import")) {
    std::cerr << usage;
    return exit_bad_input;
  }
  if (action == "import") return import_file(arguments, words[1]);
  auto address = address_argument(words[1]);
  if (!address) return exit_bad_input;
  Request request;
  request.action = action == "add" ? RequestAction::suppress : RequestAction::unsuppress;
  request.addresses = {std::move(*address)};
  return make_request(arguments, request);
}

int forget(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  auto address = address_argument(arguments.positional[0]);
  if (!address) return exit_bad_input;
  Request request;
  request.action = RequestAction::forget;
  request.addresses = {std::move(*address)};
  return make_request(arguments, request);
}

}  // namespace outreach::cli
