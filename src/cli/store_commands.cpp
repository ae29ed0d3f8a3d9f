// The commands that look at or change a store: status, pause, resume, events, suppress, forget.

#include <algorithm>
#include <iostream>

#include "cli/cli.hpp"
#include "cli/store_access.hpp"
#include "detail/ascii.hpp"
#include "detail/json_reader.hpp"
#include "outreach/address.hpp"
#include "outreach/clock.hpp"
#include "outreach/memory_transport.hpp"

namespace outreach::cli {

namespace {

// The store of `--store`, or a message on standard error.
std::unique_ptr<SqliteStore> store_of(const Arguments& arguments, SqliteAccess access, int& status) {
  const std::string* path = arguments.option("store");
  if (!path) {
    std::cerr << "outreach: --store FILE.db is needed\n" << usage;
    status = exit_bad_input;
    return nullptr;
  }
  auto store = open_store(*path, access);
  if (!store) {
    print_errors(store.error());
    status = exit_code_for(store.error());
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace

int status(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv, {"store"}, {"json"});
  if (!arguments) return exit_bad_input;
  int failed = exit_ok;
  auto store = store_of(*arguments, SqliteAccess::read, failed);
  if (!store) return failed;
  // The campaigns rebuilt from their events, on a view that records nothing.
  ReadOnlyView view(*store);
  DryRunTransport transport;
  SystemClock clock;
  Engine engine(view, transport, clock);
  if (auto restored = restore_campaigns(engine, view); !restored) {
    print_errors(restored.error());
    return exit_failure;
  }
  const Summary summary = engine.summary();
  std::cout << (arguments->flag("json") ? to_json(summary) + "\n" : to_text(summary));
  return exit_ok;
}

int pause_or_resume(int argc, char** argv, bool pause) {
  auto arguments = parse_arguments(argc, argv, {"store"});
  if (!arguments) return exit_bad_input;
  if (arguments->positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(*arguments, SqliteAccess::engine, failed);
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

int events(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv, {"store", "campaign", "since"});
  if (!arguments) return exit_bad_input;
  std::optional<Instant> since;
  if (!read_instant_option(*arguments, "since", since)) return exit_bad_input;
  int failed = exit_ok;
  auto store = store_of(*arguments, SqliteAccess::read, failed);
  if (!store) return failed;
  const std::string* only = arguments->option("campaign");
  std::vector<Event> found;
  bool known = false;
  for (const StoredCampaign& campaign : store->campaigns()) {
    if (only && campaign.name != *only) continue;
    known = true;
    store->for_each_event(campaign.name, [&](const Event& event) {
      if (!since || event.at >= *since) found.push_back(event);
    });
  }
  if (only && !known) {
    std::cerr << "outreach: the store has no campaign named \"" << *only << "\"\n";
    return exit_bad_input;
  }
  // One log in time order; each campaign's own order is kept for events of one instant.
  std::stable_sort(found.begin(), found.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  for (const Event& event : found) std::cout << to_json_line(event) << '\n';
  if (auto problem = store->read_error()) {
    print_errors(*problem);
    return exit_failure;
  }
  return exit_ok;
}

int suppress(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv, {"store"});
  if (!arguments) return exit_bad_input;
  const std::vector<std::string>& words = arguments->positional;
  const std::string action = words.empty() ? "" : words[0];
  const bool listing = action == "list";
  if ((listing && words.size() != 1) || (!listing && words.size() != 2) ||
      (action != "add" && action != "remove" && action != "import" && !listing)) {
    std::cerr << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(*arguments, listing ? SqliteAccess::read : SqliteAccess::engine, failed);
  if (!store) return failed;
  if (listing) {
    for (const Suppression& entry : store->suppressions()) std::cout << entry.address << '\t' << entry.reason << '\n';
    return exit_ok;
  }
  const auto checked = [](std::string_view text) -> expected<std::string> {
    Address address;
    address.email = std::string(detail::trim(text));
    if (auto valid = address.validate(); !valid) return fail(valid.error());
    return address.email;
  };
  if (action == "import") {
    // One address a line; blank lines and lines starting with '#' are skipped.
    auto text = detail::read_file(words[1]);
    if (!text) {
      print_errors(text.error());
      return exit_bad_input;
    }
    std::size_t line_number = 0;
    std::size_t added = 0;
    std::size_t bad = 0;
    std::size_t start = 0;
    if (auto began = store->begin(); !began) {
      print_errors(began.error());
      return exit_failure;
    }
    while (start < text->size()) {
      std::size_t end = text->find('\n', start);
      if (end == std::string::npos) end = text->size();
      const std::string_view line = detail::trim(std::string_view(*text).substr(start, end - start));
      start = end + 1;
      ++line_number;
      if (line.empty() || line.front() == '#') continue;
      auto address = checked(line);
      if (!address) {
        std::cerr << "outreach: " << words[1] << ":" << line_number << ": " << address.error().message()
                  << " (line left out)\n";
        ++bad;
        continue;
      }
      if (auto kept = store->suppress(*address, "manual"); !kept) {
        print_errors(kept.error());
        return exit_failure;
      }
      ++added;
    }
    if (auto committed = store->commit(); !committed) {
      print_errors(committed.error());
      return exit_failure;
    }
    std::cout << added << " addresses suppressed\n";
    return bad == 0 ? exit_ok : exit_bad_input;
  }
  auto address = checked(words[1]);
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

int forget(int argc, char** argv) {
  auto arguments = parse_arguments(argc, argv, {"store"});
  if (!arguments) return exit_bad_input;
  if (arguments->positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  int failed = exit_ok;
  auto store = store_of(*arguments, SqliteAccess::engine, failed);
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
