// `outreach ingest`: received messages taken in by the campaigns of a store.

#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/cli.hpp"
#include "cli/store_access.hpp"
#include "outreach/clock.hpp"
#include "outreach/memory_transport.hpp"

namespace outreach::cli {

namespace {

// The file's bytes, or nothing with a message on standard error.
std::optional<std::string> read_message(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "outreach: " << path << ": cannot be read\n";
    return std::nullopt;
  }
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    std::cerr << "outreach: " << path << ": cannot be read\n";
    return std::nullopt;
  }
  return bytes;
}

// Why a message could not be taken in, on standard error.
void report(std::string_view source, const Error& error) {
  std::cerr << "outreach: " << source << ": " << error.to_string() << '\n';
}

// Takes each file in through `engine` and prints its line. With `inbox`, `engine` only
// previews (it runs on a view that records nothing) and each message is handed through the
// store's inbox to the engine that holds it; its line says `"queued": true`.
int take_in_each(const std::vector<std::string>& paths, Engine& engine, const Clock& clock, Store* inbox) {
  int status = exit_ok;
  for (const std::string& path : paths) {
    const auto message = read_message(path);
    if (!message) {
      status = exit_bad_input;
      continue;  // the rest go on
    }
    auto taken = engine.ingest(*message);
    if (!taken) {
      if (engine.failure()) break;
      report(path, taken.error());
      status = exit_bad_input;
      continue;
    }
    std::string line = to_json(*taken, path);
    if (inbox) {
      if (auto queued = inbox->queue_received(*message, clock.now()); !queued) {
        print_errors(queued.error());
        return exit_failure;
      }
      line.back() = ',';
      line += "\"queued\":true}";
    }
    std::cout << line << std::endl;  // a line at a time, for a reader of the pipe
  }
  if (engine.failure()) {  // the store cannot record: nothing more can be taken in
    print_errors(*engine.failure());
    return exit_failure;
  }
  return status;
}

// Takes the files in with the store's engine access: applied at once.
int take_in_files(const std::vector<std::string>& paths, Store& store) {
  DryRunTransport transport;  // taking mail in sends nothing
  SystemClock clock;
  Engine engine(store, transport, clock);
  if (auto restored = restore_campaigns(engine, store); !restored) {
    print_errors(restored.error());
    return exit_code_for(restored.error());
  }
  // What was handed in or asked before comes first.
  auto applied = engine.apply_waiting();
  for (const std::string& warning : engine.warnings()) std::cerr << "outreach: warning: " << warning << "\n";
  if (!applied) {
    print_errors(applied.error());
    return exit_failure;
  }
  return take_in_each(paths, engine, clock, nullptr);
}

// An engine runs on the store: the files wait in its inbox until it takes them in.
int hand_in_files(const std::vector<std::string>& paths, Store& store) {
  ReadOnlyView view(store);
  DryRunTransport transport;
  SystemClock clock;
  Engine preview(view, transport, clock);
  if (auto restored = restore_campaigns(preview, view); !restored) {
    print_errors(restored.error());
    return exit_failure;
  }
  return take_in_each(paths, preview, clock, &store);
}

}  // namespace

int ingest(const Arguments& arguments) {
  const std::string* path = arguments.option("store");
  if (arguments.positional.empty() || !path) {
    std::cerr << usage;
    return exit_bad_input;
  }
  if (!store_exists(*path)) return exit_bad_input;  // an engine would create it: a typo, surely
  auto store = open_store(*path, {.access = StoreAccess::engine});
  if (!store && store.error().code() == Errc::unavailable) {
    // Held by a running engine: hand the messages to it.
    auto inbox = open_store(*path, {.access = StoreAccess::inbox});
    if (!inbox) {
      print_errors(inbox.error());
      return exit_code_for(inbox.error());
    }
    return hand_in_files(arguments.positional, **inbox);
  }
  if (!store) {
    print_errors(store.error());
    return exit_code_for(store.error());
  }
  return take_in_files(arguments.positional, **store);
}

}  // namespace outreach::cli
