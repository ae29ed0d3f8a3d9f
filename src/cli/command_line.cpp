#include "cli/command_line.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string_view>

#include "cli/completion.hpp"
#include "cli/manual.hpp"

namespace outreach::cli {

namespace {

/// An option that takes a value. Given twice, the last one counts, as it always did.
CLI::Option* value_option(CLI::App& command, const std::string& name, const std::string& value,
                          const std::string& description) {
  return command.add_option(name, description)->type_name(value)->take_last();
}

/// An option without a value.
CLI::Option* flag_option(CLI::App& command, const std::string& name, const std::string& description) {
  return command.add_flag(name, description);
}

/// One positional argument.
CLI::Option* positional(CLI::App& command, const std::string& name, const std::string& description) {
  return command.add_option(name, description)->required();
}

/// One or more positional arguments.
CLI::Option* positionals(CLI::App& command, const std::string& name, const std::string& description) {
  return command.add_option(name, description)->required()->expected(1, -1)->allow_extra_args();
}

/// `--wait SECONDS` and `--no-wait`, which every command that makes a request of a store takes.
void wait_options(CLI::App& command) {
  value_option(command, "--wait", "SECONDS",
               "wait up to this long for the running engine's answer, 1 to 86400 (default 10)");
  flag_option(command, "--no-wait", "do not wait for a running engine's answer");
}

/// `--store STORE` (a SQLite file, or a postgresql:// URI), which every command that reads or
/// changes a store takes.
CLI::Option* store_option(CLI::App& command, const std::string& description) {
  return value_option(command, "--store", "STORE", description);
}

/// The command named `name` directly under `parent`, or null.
const CLI::App* find_command(const CLI::App& parent, std::string_view name) {
  for (const CLI::App* command : parent.get_subcommands([](const CLI::App*) { return true; })) {
    if (command->get_name() == name) return command;
  }
  return nullptr;
}

/// The commands chosen so far, from the program down (`outreach`, `suppress`, `add`): after a
/// parse, or as far as a refused one went.
std::vector<const CLI::App*> chosen_commands(const CLI::App& app) {
  std::vector<const CLI::App*> chain{&app};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().front());
  return chain;
}

/// `outreach suppress add` for the chain of commands.
std::string command_path(const std::vector<const CLI::App*>& chain) {
  std::string path;
  for (const CLI::App* command : chain) path += (path.empty() ? "" : " ") + command->get_name();
  return path;
}

/// Refuses a command line: the message, then where the usage of the command it reached is.
int refuse(std::string_view message, const std::string& path) {
  std::cerr << "outreach: " << message << "\n"
            << "run \"" << path << " --help\" for its usage\n";
  return exit_bad_input;
}

/// What the command line gave `chain`'s commands, from `first` on: their options and flags by
/// name, their positional arguments in order, and the names of the commands below `first` (the
/// action of `suppress`) as the first positional arguments.
Arguments arguments_of(const std::vector<const CLI::App*>& chain, std::size_t first) {
  Arguments arguments;
  for (std::size_t i = first + 1; i < chain.size(); ++i) arguments.positional.push_back(chain[i]->get_name());
  for (std::size_t i = first; i < chain.size(); ++i) {
    for (const CLI::Option* option : chain[i]->get_options()) {
      if (option->count() == 0 || option == chain[i]->get_help_ptr()) continue;
      const std::string name = option->get_single_name();
      if (!option->nonpositional()) {
        arguments.positional.insert(arguments.positional.end(), option->results().begin(), option->results().end());
      } else if (option->get_expected_max() == 0) {
        arguments.flags.insert(name);
      } else {
        arguments.options[name] = option->results().back();
      }
    }
  }
  return arguments;
}

/// `outreach manual DIR`: every page of `app` into `dir` as `NAME.1`, each path printed.
int write_manual(const CLI::App& app, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::cerr << "outreach: cannot make the folder " << dir << ": " << error.message() << "\n";
    return exit_failure;
  }
  for (const ManualPage& page : manual_pages(app, OUTREACH_VERSION)) {
    const std::filesystem::path path = std::filesystem::path(dir) / (page.name + ".1");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << page.text;
    out.close();
    if (!out) {
      std::cerr << "outreach: cannot write " << path.string() << "\n";
      return exit_failure;
    }
    std::cout << path.string() << "\n";
  }
  return exit_ok;
}

constexpr std::string_view example_campaign = "docs/examples/saas-founders/campaign.json";

}  // namespace

CommandLine::CommandLine()
    : app_("outreach: cold email campaigns, planned as data, run from a store that survives any stop.", "outreach") {
  app_.set_version_flag("--version", "outreach " OUTREACH_VERSION, "Print the version and exit");
  app_.set_help_flag("-h,--help", "Print this help and exit");
  app_.require_subcommand(1);
  app_.get_formatter()->label("SUBCOMMAND", "COMMAND");
  app_.footer("Run \"outreach COMMAND --help\" or \"outreach help COMMAND\" for a command's options and an example.\n"
              "Exit status: 0 done, 2 bad input or a wrong command line, 3 a change queued for the running\n"
              "engine that did not answer in time, 1 any other failure.\n");
  const std::string campaign(example_campaign);

  CLI::App* command = add_command(app_, "validate", "Check a campaign or sequence file and print a summary",
                                  "outreach validate " + campaign, validate);
  positional(*command, "FILE", "CAMPAIGN.json or SEQUENCE.json (a JSON object with \"steps\" is a sequence)");

  command = add_command(app_, "render", "Print the exact message a step of a sequence gives for one lead",
                        "outreach render docs/examples/saas-founders/sequence.json "
                        "--lead docs/examples/saas-founders/lead.json --step 2",
                        render);
  positional(*command, "SEQUENCE.json", "the sequence");
  value_option(*command, "--lead", "LEAD.json", "one lead object")->required();
  value_option(*command, "--step", "N", "the step, from 1 (default 1)");
  value_option(*command, "--seed", "S", "the seed of variants and spintax, a non-negative integer (default 0)");
  value_option(*command, "--from", "\"Name <address>\"", "the sender (default Sender <sender@example.com>)");
  value_option(*command, "--at", "INSTANT", "the Date: (default now)");
  value_option(*command, "--campaign", "NAME", "the campaign name Message-IDs derive from (default render)");

  command = add_command(app_, "simulate", "Play a campaign through on a simulated clock and print its summary",
                        "outreach simulate " + campaign + " --inbound docs/examples/saas-founders/inbound.jsonl",
                        simulate);
  positional(*command, "CAMPAIGN.json", "the campaign");
  value_option(*command, "--from", "INSTANT", "when the simulation starts (default schedule.start)");
  value_option(*command, "--until", "INSTANT", "stop after this instant");
  value_option(*command, "--days", "N", "stop N days after the start, 1 to 36500 (not with --until)");
  value_option(*command, "--inbound", "FILE.jsonl", "an inbound script: replies, bounces, opens");
  value_option(*command, "--events", "FILE.jsonl", "write the event log there (the file is replaced)");
  value_option(*command, "--outbox", "DIR", "build every message into this Maildir");
  store_option(*command, "keep the simulation in this store (default in memory)");
  flag_option(*command, "--json", "print the summary as JSON");

  command = add_command(app_, "run", "Send for real on the system clock, keeping every step in a store",
                        "outreach run " + campaign + " --store state.db --events events.jsonl", cli::run);
  command->add_option("CAMPAIGN.json", "the campaigns (none: every campaign the store has)")
      ->expected(0, -1)
      ->allow_extra_args();
  store_option(*command, "the store; created when missing")->required();
  value_option(*command, "--events", "FILE.jsonl", "append every new event to this file");
  value_option(*command, "--until", "INSTANT", "stop after this instant");
  value_option(*command, "--log-format", "text|json", "how events and problems are logged on standard error");
  value_option(*command, "--claim-lease", "SECONDS",
               "with engines sharing a PostgreSQL store: how soon another engine takes over this one's campaigns "
               "should it stop, 1 to 3600 (default 30)");

  command = add_command(app_, "status", "Print every campaign of a store: status, lead counts and analytics",
                        "outreach status --store state.db --json", status);
  store_option(*command, "the store")->required();
  flag_option(*command, "--json", "print the summary as JSON");

  // Commands with actions (`suppress add`) name them ACTION; `--store` may come before the action
  // too, so it is required of the whole command line rather than of the action.
  auto actions = std::make_shared<CLI::Formatter>();
  actions->label("SUBCOMMAND", "ACTION");
  const std::string store_needed = "the store (here or before the action; required)";

  struct CampaignChange {
    const char* name;
    RequestAction action;
    const char* description;
  };
  for (const CampaignChange& change : {
           CampaignChange{"pause", RequestAction::pause, "Hold a campaign of a store: it sends nothing until resumed"},
           CampaignChange{"resume", RequestAction::resume, "Let a paused campaign of a store go on"},
           CampaignChange{"stop", RequestAction::stop, "End a campaign of a store for good"},
       }) {
    const RequestAction action = change.action;
    command = add_command(app_, change.name, change.description,
                          std::string("outreach ") + change.name + " --store state.db q4-saas-founders",
                          [action](const Arguments& arguments) { return change_campaign(arguments, action); });
    store_option(*command, "the store")->required();
    positional(*command, "CAMPAIGN", "the campaign's name");
    wait_options(*command);
  }

  command = add_command(app_, "leads", "Add leads to a campaign of a store, running or not", "",
                        [](const Arguments& arguments) {
                          if (!arguments.option("store")) throw CLI::RequiredError("--store");
                          return leads(arguments);
                        });
  command->require_subcommand(1);
  command->formatter(actions);
  store_option(*command, "the store (here or after the action; required)");
  CLI::App* action = add_command(*command, "add", "Add the leads of a CSV or JSON lead list to a campaign",
                                 "outreach leads add --store state.db q4-saas-founders more-leads.csv", nullptr);
  store_option(*action, store_needed);
  positional(*action, "CAMPAIGN", "the campaign's name");
  positional(*action, "FILE", "the leads: CSV, or the JSON form when the name ends in .json");
  wait_options(*action);
  command->footer("Example:\n  outreach leads add --store state.db q4-saas-founders more-leads.csv\n");

  command = add_command(app_, "mailbox", "Disable a mailbox of a store's campaigns, or enable it again", "",
                        [](const Arguments& arguments) {
                          if (!arguments.option("store")) throw CLI::RequiredError("--store");
                          return mailbox(arguments);
                        });
  command->require_subcommand(1);
  command->formatter(actions);
  store_option(*command, "the store (here or after the action; required)");
  for (const auto& [name, description] :
       {std::pair{"disable", "Send nothing more with a mailbox: its follow-ups wait for it"},
        std::pair{"enable", "Send with a disabled mailbox again"}}) {
    action = add_command(*command, name, description, std::string("outreach mailbox ") + name + " --store state.db alice",
                         nullptr);
    store_option(*action, store_needed);
    positional(*action, "MAILBOX", "the mailbox's id");
    wait_options(*action);
  }
  command->footer("Example:\n  outreach mailbox disable --store state.db alice\n");

  command = add_command(app_, "update", "Apply a changed campaign file to a campaign of a store, running or not",
                        "outreach update --store state.db " + campaign, update);
  store_option(*command, "the store")->required();
  positional(*command, "CAMPAIGN.json", "the campaign file, changed (its name says which campaign)");
  flag_option(*command, "--edit-steps",
              "apply changed steps too, as the sequence's next version (without it, they are shown and refused)");
  wait_options(*command);

  command = add_command(app_, "explain",
                        "Say why a lead has not been emailed yet: its history, its next step, the earliest instant "
                        "it can go and what holds it",
                        "outreach explain --store state.db q4-saas-founders ana@tidaldesk.example.com --json", explain);
  store_option(*command, "the store")->required();
  positional(*command, "CAMPAIGN", "the campaign's name");
  positional(*command, "LEAD", "the lead's address");
  value_option(*command, "--at", "INSTANT",
               "the instant asked about, not before the campaign's last event (default: that last event, where a "
               "simulation stopped; \"now\": the system clock)");
  flag_option(*command, "--json", "print the explanation as JSON");

  command = add_command(app_, "forecast",
                        "Forecast a stored campaign: its sends per day and mailbox until it ends, and when it ends",
                        "outreach forecast --store state.db q4-saas-founders --reply-rate 0.05 --json", forecast);
  store_option(*command, "the store")->required();
  positional(*command, "CAMPAIGN", "the campaign's name");
  value_option(*command, "--from", "INSTANT",
               "the instant it starts from, not before the campaign's last event (default: that last event; "
               "\"now\": the system clock)");
  value_option(*command, "--reply-rate", "RATE", "the share of sends answered, a day after each, 0 to 1 (default 0)");
  flag_option(*command, "--json", "print the forecast as JSON");

  command = add_command(app_, "events", "Print the event log of a store, one JSON event a line",
                        "outreach events --store state.db --campaign q4-saas-founders --since 2026-12-01T00:00:00Z",
                        events);
  store_option(*command, "the store")->required();
  value_option(*command, "--campaign", "NAME", "only this campaign");
  value_option(*command, "--since", "INSTANT", "only events at or after this instant");

  command = add_command(app_, "serve",
                        "Answer the campaigns' unsubscribe links and show their reports on the web, beside outreach run",
                        "OUTREACH_SERVE_TOKEN=... outreach serve --store state.db --listen 127.0.0.1:8080", serve);
  store_option(*command, "the store (it must exist)")->required();
  value_option(*command, "--listen", "HOST:PORT", "the address to listen on (default 127.0.0.1:8080)");
  value_option(*command, "--tls-cert", "FILE.pem", "serve HTTPS with this certificate chain");
  value_option(*command, "--tls-key", "FILE.pem", "the certificate's private key");
  value_option(*command, "--max-connections", "N", "connections open at once; more are answered 503 (default 256)");

  command = add_command(app_, "report", "Write a campaign's report as one HTML page, to open or share",
                        "outreach report --store state.db q4-saas-founders --html report.html", report);
  command->add_option("CAMPAIGN", "the campaign's name")->required();
  store_option(*command, "the store")->required();
  value_option(*command, "--html", "FILE", "where to write the page")->required();

  command = add_command(app_, "ingest", "Take in received mail (replies, bounces) and apply it to the campaigns",
                        "outreach ingest --store state.db reply.eml bounce.eml", ingest);
  store_option(*command, "the store; it must exist")->required();
  positionals(*command, "MESSAGE.eml", "raw RFC 5322 messages, one a file");

  // The action is the body's first positional argument; `--store` may come before it too, so it
  // is required of the whole command line rather than of the action.
  command = add_command(app_, "suppress", "Look after a store's suppression list", "",
                        [](const Arguments& arguments) {
                          if (!arguments.option("store")) throw CLI::RequiredError("--store");
                          return suppress(arguments);
                        });
  command->require_subcommand(1);
  command->formatter(actions);
  store_option(*command, "the store (here or after the action; required)");
  action = add_command(*command, "add", "Put an address on the suppression list",
                                 "outreach suppress add --store state.db ann@example.com", nullptr);
  store_option(*action, store_needed);
  positional(*action, "ADDRESS", "a bare address");
  wait_options(*action);
  action = add_command(*command, "remove", "Take an address off the suppression list",
                       "outreach suppress remove --store state.db ann@example.com", nullptr);
  store_option(*action, store_needed);
  positional(*action, "ADDRESS", "a bare address");
  wait_options(*action);
  action = add_command(*command, "list", "Print the suppression list: address, tab, reason",
                       "outreach suppress list --store state.db", nullptr);
  store_option(*action, store_needed);
  action = add_command(*command, "import", "Add every address of a suppression list file",
                       "outreach suppress import --store state.db unsubscribed.txt", nullptr);
  store_option(*action, store_needed);
  positional(*action, "FILE", "a suppression list: one address a line");
  wait_options(*action);
  command->footer(
      "Example:\n  outreach suppress add --store state.db ann@example.com\n"
      "Run \"outreach suppress ACTION --help\" for an action's options.\n");

  command = add_command(app_, "forget", "Delete an address's data from a store, in every campaign",
                        "outreach forget --store state.db ann@example.com", forget);
  store_option(*command, "the store")->required();
  positional(*command, "ADDRESS", "the address, in any case");
  wait_options(*command);

  command = add_command(app_, "help", "Print the commands, or a command's usage, options and an example",
                        "outreach help suppress add",
                        [this](const Arguments& arguments) { return print_help(arguments.positional); });
  command->add_option("COMMAND", "a command");
  command->add_option("ACTION", "an action of the command (suppress add)");

  command = add_command(app_, "completion", "Print a shell completion script",
                        "outreach completion bash > /etc/bash_completion.d/outreach",
                        [this](const Arguments&) {
                          std::cout << bash_completion(app_);
                          return exit_ok;
                        });
  positional(*command, "SHELL", "the shell: bash")->check(CLI::IsMember({"bash"}));

  command = add_command(app_, "manual", "Write the manual pages of the program and of every command into a folder",
                        "outreach manual /usr/local/share/man/man1",
                        [this](const Arguments& arguments) { return write_manual(app_, arguments.positional.at(0)); });
  positional(*command, "DIR", "the folder, created when missing; pages of the same names are replaced");
}

CLI::App* CommandLine::add_command(CLI::App& parent, const std::string& name, const std::string& description,
                                   const std::string& example, Body body) {
  CLI::App* command = parent.add_subcommand(name, description);
  command->group(&parent == &app_ ? "Commands" : "Actions");
  if (!example.empty()) command->footer("Example:\n  " + example + "\n");
  if (body) bodies_.emplace(command, std::move(body));
  return command;
}

int CommandLine::run(int argc, const char* const* argv) {
  try {
    return parse_and_do(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app_.help();
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app_.help("", CLI::AppFormatMode::All);
  } catch (const CLI::CallForVersion& version) {
    std::cout << version.what() << "\n";
  } catch (const CLI::ParseError& error) {
    return refuse(error.what(), command_path(chosen_commands(app_)));
  }
  return exit_ok;
}

int CommandLine::parse_and_do(int argc, const char* const* argv) {
  // CLI11 would call a word that names no command an argument nobody expected.
  if (argc > 1 && !std::string_view(argv[1]).starts_with("-") && !find_command(app_, argv[1])) {
    return refuse("unknown command \"" + std::string(argv[1]) + "\"", app_.get_name());
  }
  app_.parse(argc, argv);
  const std::vector<const CLI::App*> chain = chosen_commands(app_);
  // The command that does it is the first chosen with a body; commands below it are its action.
  for (std::size_t i = 1; i < chain.size(); ++i) {
    const auto body = bodies_.find(chain[i]);
    if (body != bodies_.end()) return body->second(arguments_of(chain, i));
  }
  return refuse("no command given", app_.get_name());
}

int CommandLine::print_help(const std::vector<std::string>& names) const {
  const CLI::App* command = &app_;
  std::string path = app_.get_name();
  for (const std::string& name : names) {
    const CLI::App* below = find_command(*command, name);
    if (!below) return refuse("unknown command \"" + name + "\"", path);
    command = below;
    path += " " + name;
  }
  // Not `help()`, which would describe the command chosen now: `help` itself.
  std::cout << command->get_formatter()->make_help(command, path, CLI::AppFormatMode::Normal);
  return exit_ok;
}

}  // namespace outreach::cli
