// Shared pieces of the command-line tool: exit codes, a command's arguments, error printing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/engine.hpp"
#include "outreach/error.hpp"
#include "outreach/instant.hpp"
#include "outreach/request.hpp"
#include "outreach/store.hpp"

namespace outreach::cli {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_bad_input = 2;
/// A request waits in the store for the running engine, which did not answer in time.
constexpr int exit_queued = 3;

/// The line printed after a command line a command refuses: where its usage is.
extern const std::string_view usage;

/// A command's arguments as the command line gave them (command_line.hpp parses them): positional
/// ones in order, `--name value` options and `--name` flags, each by its name without dashes.
struct Arguments {
  /// The positional arguments, in order (for `suppress`, the action first).
  std::vector<std::string> positional;
  /// Each option given, with its value (the last one when it was given twice).
  std::map<std::string, std::string, std::less<>> options;
  /// Each flag given.
  std::set<std::string, std::less<>> flags;

  /// The value of option `--name`, or null when it was not given.
  [[nodiscard]] const std::string* option(std::string_view name) const {
    const auto it = options.find(name);
    return it == options.end() ? nullptr : &it->second;
  }
  /// Whether flag `--name` was given.
  [[nodiscard]] bool flag(std::string_view name) const { return flags.contains(name); }
};

/// Prints an error and every other error found with it, one a line, on standard error.
void print_errors(const Error& error);

/// The exit status for an error: 2 for bad input, 1 for anything else.
[[nodiscard]] int exit_code_for(const Error& error);

/// Reads the instant of option `--name` into `out` when it is given (`out` is left as it is
/// otherwise). False, with a message on standard error, when it is not an RFC 3339 instant.
[[nodiscard]] bool read_instant_option(const Arguments& arguments, std::string_view name, std::optional<Instant>& out);

/// Reads the seconds of option `--name` into `out` when it is given (`out` is left as it is
/// otherwise). False, with a message on standard error, when it is not a whole number of seconds
/// from 1 to `longest`.
[[nodiscard]] bool read_seconds_option(const Arguments& arguments, std::string_view name, std::int64_t longest,
                                       std::optional<std::chrono::seconds>& out);

/// A non-negative decimal integer.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text);

/// The `--store` option; null, with a message on standard error, when it is missing, or when
/// `must_exist` and the store does not exist (`store_exists`).
[[nodiscard]] const std::string* store_location(const Arguments& arguments, bool must_exist);

/// The store of `--store`, opened with `access`; null, with a message on standard error and
/// `status` set, when the option is missing or the store cannot be opened.
[[nodiscard]] std::unique_ptr<Store> store_of(const Arguments& arguments, StoreAccess access, int& status);

/// True when the store at `location` exists, or is a database (which says what it lacks when it
/// is opened); false, with `no such store` on standard error, when a file does not exist (a
/// command that needs a store with campaigns would only make an empty one).
[[nodiscard]] bool store_exists(const std::string& location);

/// The commands (docs/formats.md, "Command line"), each given its arguments and returning the
/// exit status.
/// @{
[[nodiscard]] int validate(const Arguments& arguments);
[[nodiscard]] int render(const Arguments& arguments);
[[nodiscard]] int simulate(const Arguments& arguments);
[[nodiscard]] int run(const Arguments& arguments);
[[nodiscard]] int status(const Arguments& arguments);
[[nodiscard]] int events(const Arguments& arguments);
[[nodiscard]] int explain(const Arguments& arguments);
[[nodiscard]] int forecast(const Arguments& arguments);
[[nodiscard]] int ingest(const Arguments& arguments);
[[nodiscard]] int serve(const Arguments& arguments);
[[nodiscard]] int report(const Arguments& arguments);
/// @}

/// The commands that change a store's campaigns or its suppression list, each a request
/// (src/cli/change_commands.cpp).
/// @{
/// `pause`, `resume` and `stop` of one campaign.
[[nodiscard]] int change_campaign(const Arguments& arguments, RequestAction action);
[[nodiscard]] int suppress(const Arguments& arguments);
[[nodiscard]] int forget(const Arguments& arguments);
[[nodiscard]] int leads(const Arguments& arguments);
[[nodiscard]] int update(const Arguments& arguments);
/// `mailbox disable|enable ID`.
[[nodiscard]] int mailbox(const Arguments& arguments);
/// @}

}  // namespace outreach::cli
