// outreach simulate: runs a campaign on a virtual clock and prints what would happen.

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/cli.hpp"
#include "cli/store_access.hpp"
#include "util/ascii.hpp"
#include "util/json_reader.hpp"
#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/outbox_transport.hpp"

namespace outreach::cli {

namespace {

/// Reads an inbound script; bad lines are reported on standard error and left out.
std::vector<InboundEvent> read_inbound(const std::string& path, bool& unreadable) {
  std::vector<InboundEvent> events;
  auto text = detail::read_file(path);
  if (!text) {
    print_errors(text.error());
    unreadable = true;
    return events;
  }
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    const std::string_view line = std::string_view(*text).substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (detail::trim(line).empty()) continue;
    auto event = parse_inbound_line(line);
    if (!event) {
      Error located = event.error();
      Location where = located.where();
      where.file = path;
      where.line = line_number;
      std::cerr << "outreach: " << Error(located.code(), located.message(), where).to_string() << " (line left out)\n";
      continue;
    }
    events.push_back(std::move(*event));
  }
  return events;
}

/// Shows how far a long simulation has come, on a terminal only.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void update(Instant simulated, std::int64_t sends) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::cerr << "\rsimulating " << format_instant(simulated).substr(0, 10) << ", " << sends << " sends" << std::flush;
    shown_ = true;
  }
  ~Progress() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

int simulate(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  if (arguments.option("until") && arguments.option("days")) {
    std::cerr << "outreach: give --until or --days, not both\n";
    return exit_bad_input;
  }
  const std::string& path = arguments.positional[0];
  auto campaign = CampaignDefinition::load(path);
  if (!campaign) {
    print_errors(campaign.error());
    return exit_code_for(campaign.error());
  }
  for (const Error& problem : campaign->lead_problems) std::cerr << "outreach: " << problem.to_string() << "\n";

  std::optional<Instant> from = campaign->schedule.start;
  if (!read_instant_option(arguments, "from", from)) return exit_bad_input;
  if (!from) {
    std::cerr << "outreach: " << path << ": schedule.start: simulate needs a start (or --from)\n";
    return exit_bad_input;
  }
  std::optional<Instant> until;
  if (!read_instant_option(arguments, "until", until)) return exit_bad_input;
  if (const std::string* text = arguments.option("days")) {
    const auto days = parse_integer(*text);
    if (!days || *days < 1 || *days > 36500) {
      std::cerr << "outreach: --days must be a whole number from 1 to 36500\n";
      return exit_bad_input;
    }
    until = *from + std::chrono::hours(24 * *days);
  }

  std::vector<InboundEvent> inbound;
  if (const std::string* inbound_path = arguments.option("inbound")) {
    bool unreadable = false;
    inbound = read_inbound(*inbound_path, unreadable);
    if (unreadable) return exit_bad_input;
  }

  std::unique_ptr<Transport> transport;
  if (const std::string* outbox = arguments.option("outbox")) {
    auto opened = OutboxTransport::open(*outbox);
    if (!opened) {
      print_errors(opened.error());
      return exit_failure;
    }
    transport = std::make_unique<OutboxTransport>(std::move(*opened));
  } else {
    transport = std::make_unique<DryRunTransport>();
  }

  std::ofstream events_file;
  if (const std::string* events_path = arguments.option("events")) {
    events_file.open(*events_path, std::ios::binary | std::ios::trunc);
    if (!events_file) {
      std::cerr << "outreach: " << *events_path << ": cannot write the event log\n";
      return exit_failure;
    }
  }

  // In memory, or in a store file that `status` and `events` can read afterwards.
  std::unique_ptr<Store> store;
  if (const std::string* store_path = arguments.option("store")) {
    // A simulation needs a consistent store at its end, not each send durable: commits grouped.
    auto opened = open_store(*store_path, {.access = StoreAccess::engine, .durability = StoreDurability::none});
    if (!opened) {
      print_errors(opened.error());
      return exit_code_for(opened.error());
    }
    // A campaign the store already has goes on from its last event.
    const std::optional<Instant> last = (*opened)->last_event_at(campaign->name);
    if (last && *last > *from) from = last;
    store = std::move(*opened);
  } else {
    store = std::make_unique<MemoryStore>(/*keep_events=*/false);
  }
  ManualClock clock(*from);
  Engine engine(*store, *transport, clock);
  std::int64_t sends = 0;
  Progress progress(isatty(STDERR_FILENO) != 0 && !arguments.flag("json"));
  engine.on_event([&](const Event& event) {
    if (events_file.is_open()) events_file << to_json_line(event) << '\n';
    if (event.type == EventType::sent) progress.update(event.at, ++sends);
  });
  const std::string name = campaign->name;
  if (auto added = engine.add_campaign(std::move(*campaign)); !added) {
    print_errors(added.error());
    return exit_code_for(added.error());
  }
  if (auto started = engine.start(name); !started) {
    print_errors(started.error());
    return exit_failure;
  }
  for (const InboundEvent& event : inbound) {
    if (auto applied = engine.apply(event); !applied) {
      std::cerr << "outreach: " << arguments.option("inbound") << ": " << applied.error().message() << " (line left out)\n";
    }
  }
  engine.simulate(clock, until);
  if (auto flushed = store->flush(); !flushed) {
    print_errors(flushed.error());
    return exit_failure;
  }
  if (const auto& failure = engine.failure()) {
    print_errors(*failure);
    return exit_failure;
  }
  for (const std::string& warning : engine.warnings()) std::cerr << "outreach: warning: " << warning << "\n";
  if (events_file.is_open()) {
    events_file.flush();
    if (!events_file) {
      std::cerr << "outreach: cannot write the event log\n";
      return exit_failure;
    }
  }
  const Summary summary = engine.summary();
  std::cout << (arguments.flag("json") ? to_json(summary) + "\n" : to_text(summary));
  return exit_ok;
}

}  // namespace outreach::cli
