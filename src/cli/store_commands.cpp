// The commands that look at or change a store: status, pause, resume, events, suppress, forget.

#include <iostream>

#include "cli/cli.hpp"
#include "cli/store_access.hpp"
#include "outreach/clock.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/store_view.hpp"
#include "outreach/suppression_list.hpp"

namespace outreach::cli {

std::unique_ptr<Store> store_of(const Arguments& arguments, StoreAccess access, int& status) {
  const std::string* path = arguments.option("store");
  if (!path) {
    std::cerr << "outreach: --store FILE.db is needed\n" << usage;
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

int status(const Arguments& given) {
  const Arguments* arguments = &given;
  int failed = exit_ok;
  auto store = store_of(*arguments, StoreAccess::read, failed);
  if (!store) return failed;
  auto summary = summarize_store(*store);
  if (!summary) {
    print_errors(summary.error());
    return exit_failure;
  }
  std::cout << (arguments->flag("json") ? to_json(*summary) + "\n" : to_text(*summary));
  return exit_ok;
}

int pause_or_resume(const Arguments& given, bool pause) {
  const Arguments* arguments = &given;
  if (arguments->positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(*arguments, StoreAccess::engine, failed);
  if (!store) return failed;
  const std::string& name = arguments->positional[0];
  DryRunTransport transport;
  SystemClock clock;
  Engine engine(*store, transport, clock);
  if (auto restored = restore_campaigns(engine, *store, &name); !restored) {
    print_errors(restored.error());
    return exit_code_for(restored.error());
  }
  auto changed = pause ? engine.pause(name) : engine.resume(name);
  if (changed && engine.failure()) changed = fail(*engine.failure());
  if (!changed) {
    print_errors(changed.error());
    return exit_failure;
  }
  return exit_ok;
}

int events(const Arguments& given) {
  const Arguments* arguments = &given;
  std::optional<Instant> since;
  if (!read_instant_option(*arguments, "since", since)) return exit_bad_input;
  int failed = exit_ok;
  auto store = store_of(*arguments, StoreAccess::read, failed);
  if (!store) return failed;
  const std::string* only = arguments->option("campaign");
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

int suppress(const Arguments& given) {
  const Arguments* arguments = &given;
  const std::vector<std::string>& words = arguments->positional;
  const std::string action = words.empty() ? "" : words[0];
  const bool listing = action == "list";
  if ((listing && words.size() != 1) || (!listing && words.size() != 2) ||
      (action != "add" && action != "remove" && action != "import" && !listing)) {
    std::cerr << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(*arguments, listing ? StoreAccess::read : StoreAccess::engine, failed);
  if (!store) return failed;
  if (listing) {
    for (const Suppression& entry : store->suppressions()) std::cout << entry.address << '\t' << entry.reason << '\n';
    return exit_ok;
  }
  if (action == "import") {
    auto imported = import_suppressions(*store, words[1]);
    if (!imported) {
      print_errors(imported.error());
      return exit_code_for(imported.error());
    }
    for (const Error& problem : imported->problems) {
      std::cerr << "outreach: " << problem.to_string() << " (line left out)\n";
    }
    std::cout << imported->suppressed << " addresses suppressed\n";
    return imported->problems.empty() ? exit_ok : exit_bad_input;
  }
  auto address = suppression_address(words[1]);
  if (!address) {
    print_errors(address.error());
    return exit_bad_input;
  }
  auto written = action == "add" ? store->suppress(*address, "manual") : store->unsuppress(*address);
  if (!written) {
    print_errors(written.error());
    return exit_failure;
  }
  return exit_ok;
}

int forget(const Arguments& given) {
  const Arguments* arguments = &given;
  if (arguments->positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(*arguments, StoreAccess::engine, failed);
  if (!store) return failed;
  auto erased = store->forget(arguments->positional[0]);
  if (!erased) {
    print_errors(erased.error());
    return exit_failure;
  }
  std::cout << *erased << " records erased\n";
  return exit_ok;
}

}  // namespace outreach::cli
