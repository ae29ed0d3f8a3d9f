// The commands that look at a store: status and events (the ones that change it are
// src/cli/change_commands.cpp).

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/cli.hpp"
#include "outreach/explain.hpp"
#include "outreach/forecast.hpp"
#include "outreach/open_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach::cli {

const std::string* store_location(const Arguments& arguments, bool must_exist) {
  const std::string* location = arguments.option("store");
  if (!location) {
    std::cerr << "outreach: --store STORE is needed (a file, or a postgresql:// URI)\n" << usage;
    return nullptr;
  }
  return must_exist && !store_exists(*location) ? nullptr : location;
}

std::unique_ptr<Store> store_of(const Arguments& arguments, StoreAccess access, int& status) {
  const std::string* path = store_location(arguments, false);
  if (!path) {
    status = exit_bad_input;
    return nullptr;
  }
  auto store = open_store(*path, {.access = access});
  if (!store) {
    print_errors(store.error());
    status = exit_code_for(store.error());
    return nullptr;
  }
  return std::move(*store);
}

bool store_exists(const std::string& location) {
  // A database says what it lacks when it is opened.
  if (names_postgresql(location)) return true;
  std::error_code ignored;
  if (std::filesystem::exists(location, ignored)) return true;
  std::cerr << "outreach: " << location << ": no such store\n";
  return false;
}

int status(const Arguments& arguments) {
  int failed = exit_ok;
  auto store = store_of(arguments, StoreAccess::read, failed);
  if (!store) return failed;
  auto summary = summarize_store(*store);
  if (!summary) {
    print_errors(summary.error());
    return exit_failure;
  }
  std::cout << (arguments.flag("json") ? to_json(*summary) + "\n" : to_text(*summary));
  return exit_ok;
}

int events(const Arguments& arguments) {
  std::optional<Instant> since;
  if (!read_instant_option(arguments, "since", since)) return exit_bad_input;
  int failed = exit_ok;
  auto store = store_of(arguments, StoreAccess::read, failed);
  if (!store) return failed;
  const std::string* only = arguments.option("campaign");
  auto found = store_events(*store, only ? std::optional<std::string_view>(*only) : std::nullopt, since);
  if (!found) {
    std::cerr << "outreach: " << found.error().message() << "\n";
    return exit_bad_input;
  }
  for (const Event& event : *found) std::cout << to_json_line(event) << '\n';
  if (auto problem = store->read_error()) {
    print_errors(*problem);
    return exit_failure;
  }
  return exit_ok;
}

namespace {

// An instant option that may also say `now` (the system clock).
bool read_instant_or_now(const Arguments& arguments, std::string_view name, std::optional<Instant>& out) {
  if (const std::string* text = arguments.option(name); text && *text == "now") {
    out = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    return true;
  }
  return read_instant_option(arguments, name, out);
}

}  // namespace

int explain(const Arguments& arguments) {
  if (arguments.positional.size() != 2) {
    std::cerr << "outreach: explain needs a campaign and a lead\n";
    return exit_bad_input;
  }
  std::optional<Instant> at;
  if (!read_instant_or_now(arguments, "at", at)) return exit_bad_input;
  int failed = exit_ok;
  auto store = store_of(arguments, StoreAccess::read, failed);
  if (!store) return failed;
  auto explained = explain_lead(*store, arguments.positional[0], arguments.positional[1], at);
  if (!explained) {
    print_errors(explained.error());
    return exit_code_for(explained.error());
  }
  std::cout << (arguments.flag("json") ? to_json(*explained) + "\n" : to_text(*explained));
  return exit_ok;
}

int forecast(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << "outreach: forecast needs a campaign\n";
    return exit_bad_input;
  }
  ForecastOptions options;
  if (!read_instant_or_now(arguments, "from", options.from)) return exit_bad_input;
  if (const std::string* text = arguments.option("reply-rate")) {
    char* end = nullptr;
    const double rate = std::strtod(text->c_str(), &end);
    if (text->empty() || end != text->c_str() + text->size() || !(rate >= 0.0 && rate <= 1.0)) {
      std::cerr << "outreach: --reply-rate must be a number from 0 to 1\n";
      return exit_bad_input;
    }
    options.reply_rate = rate;
  }
  int failed = exit_ok;
  auto store = store_of(arguments, StoreAccess::read, failed);
  if (!store) return failed;
  auto forecast = forecast_campaign(*store, arguments.positional[0], options);
  if (!forecast) {
    print_errors(forecast.error());
    return exit_code_for(forecast.error());
  }
  std::cout << (arguments.flag("json") ? to_json(*forecast) + "\n" : to_text(*forecast));
  return exit_ok;
}

}  // namespace outreach::cli
