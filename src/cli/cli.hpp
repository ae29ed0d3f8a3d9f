// Shared pieces of the command-line tool: exit codes, argument parsing, error printing.
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

/// The usage text printed for --help and after a wrong command line.
extern const std::string_view usage;

/// A command's arguments: positional ones in order, and `--name value` options.
struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> options;
  std::set<std::string, std::less<>> flags;

  [[nodiscard]] const std::string* option(std::string_view name) const {
    const auto it = options.find(name);
    return it == options.end() ? nullptr : &it->second;
  }
  [[nodiscard]] bool flag(std::string_view name) const { return flags.contains(name); }
};

/// Splits the arguments after the command. `with_value` options take a value, `flags` do not;
/// anything else starting with `--` is refused with a message on standard error.
[[nodiscard]] std::optional<Arguments> parse_arguments(int argc, char** argv, const std::set<std::string_view>& with_value,
                                                       const std::set<std::string_view>& flags = {});

/// Prints an error and every other error found with it, one a line, on standard error.
void print_errors(const Error& error);

/// The exit status for an error: 2 for bad input, 1 for anything else.
[[nodiscard]] int exit_code_for(const Error& error);

/// Reads the instant of option `--name` into `out` when it is given (`out` is left as it is
/// otherwise). False, with a message on standard error, when it is not an RFC 3339 instant.
[[nodiscard]] bool read_instant_option(const Arguments& arguments, std::string_view name, std::optional<Instant>& out);

/// A non-negative decimal integer.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text);

/// The store of `--store`, opened with `access`; null, with a message on standard error and
/// `status` set, when the option is missing or the store cannot be opened.
[[nodiscard]] std::unique_ptr<Store> store_of(const Arguments& arguments, StoreAccess access, int& status);

/// True when the store at `location` exists; false, with `no such store` on standard error,
/// when it does not (a command that needs a store with campaigns would only make an empty one).
[[nodiscard]] bool store_exists(const std::string& location);

int validate(int argc, char** argv);
int render(int argc, char** argv);
int simulate(int argc, char** argv);
int run(int argc, char** argv);
int status(int argc, char** argv);
/// `pause`, `resume` and `stop`: a request of one campaign (src/cli/change_commands.cpp).
int change_campaign(int argc, char** argv, RequestAction action);
int events(int argc, char** argv);
int suppress(int argc, char** argv);
int forget(int argc, char** argv);
int ingest(int argc, char** argv);

}  // namespace outreach::cli
