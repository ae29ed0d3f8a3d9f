// The command line's grammar (docs/formats.md, "Command line"), on CLI11: every command with its
// options, positional arguments, a one-line description and an example; `--help`, `help COMMAND`,
// `--version` and `completion bash`; the messages for a command line that breaks it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <map>

#include "cli/cli.hpp"

namespace outreach::cli {

/// The `outreach` program's command line: one CLI11 app with a subcommand per command, each bound
/// to the function in cli.hpp that does it. The commands never see CLI11: they are given the
/// `Arguments` it found.
class CommandLine {
 public:
  /// Defines every command.
  CommandLine();
  /// Not copied: the commands' bodies are found by the address of their CLI11 subcommand.
  CommandLine(const CommandLine&) = delete;
  /// Not copied, as above.
  CommandLine& operator=(const CommandLine&) = delete;

  /// Parses `argv` and does what it asks: a command, a command's help, the version or a
  /// completion script. A command line that breaks the grammar is refused on standard error with
  /// CLI11's message and where the usage is, status 2. Returns the exit status.
  [[nodiscard]] int run(int argc, const char* const* argv);

  /// Every command and option, as defined: what `--help` and the completion script are made from.
  [[nodiscard]] const CLI::App& app() const { return app_; }

 private:
  /// What a command does with its arguments.
  using Body = std::function<int(const Arguments&)>;

  /// Adds command `name` under `parent`, with its description, an example for its help and what it
  /// does (none for a command whose subcommands do it, or that takes its action as an argument).
  CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                        const std::string& example, Body body);
  /// Parses and dispatches; lets CLI11's exceptions through to `run`.
  int parse_and_do(int argc, const char* const* argv);
  /// `outreach help [COMMAND [ACTION]]`: the help of the command named, or the list of commands.
  int print_help(const std::vector<std::string>& names) const;

  CLI::App app_;
  std::map<const CLI::App*, Body> bodies_;
};

}  // namespace outreach::cli
