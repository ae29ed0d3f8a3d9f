// outreach run: sends for real, on the system clock, keeping everything in a store so that it
// can be stopped and started again at any time.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <functional>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/cli.hpp"
#include "cli/store_access.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/mailbox_transport.hpp"
#if OUTREACH_WITH_IMAP
#include "outreach/mail_reading.hpp"
#endif

namespace outreach::cli {

int run(const Arguments& arguments) {
  const std::string* store_path = arguments.option("store");
  if (arguments.positional.empty() || !store_path) {
    std::cerr << usage;
    return exit_bad_input;
  }
  std::optional<Instant> until;
  if (!read_instant_option(arguments, "until", until)) return exit_bad_input;
  std::vector<CampaignDefinition> campaigns;
  for (const std::string& path : arguments.positional) {
    auto campaign = CampaignDefinition::load(path);
    if (!campaign) {
      print_errors(campaign.error());
      return exit_code_for(campaign.error());
    }
    for (const Error& problem : campaign->lead_problems) std::cerr << "outreach: " << problem.to_string() << "\n";
    campaigns.push_back(std::move(*campaign));
  }
  auto store = open_store(*store_path, {.access = StoreAccess::engine});
  if (!store) {
    print_errors(store.error());
    return exit_code_for(store.error());
  }
  std::ofstream events_file;
  if (const std::string* events_path = arguments.option("events")) {
    events_file.open(*events_path, std::ios::binary | std::ios::app);
    if (!events_file) {
      std::cerr << "outreach: " << *events_path << ": cannot write the event log\n";
      return exit_failure;
    }
  }

  MailboxTransport transport;
  SystemClock clock;
  Engine engine(**store, transport, clock);
  engine.on_event([&](const Event& event) {
    if (events_file.is_open()) events_file << to_json_line(event) << '\n' << std::flush;
  });
  for (CampaignDefinition& campaign : campaigns) {
    const std::string name = campaign.name;
    if (auto added = engine.add_campaign(std::move(campaign)); !added) {
      print_errors(added.error());
      return exit_code_for(added.error());
    }
    // A campaign the store has goes on where it was; a new one starts now.
    if (auto started = engine.start(name); !started) {
      print_errors(started.error());
      return exit_code_for(started.error());
    }
  }

  // SIGINT and SIGTERM stop it cleanly: the send in flight ends and is recorded first.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (!error) engine.request_stop();
  });
  // Messages `outreach ingest` hands in while this runs are taken in as they come.
  boost::asio::steady_timer inbox_timer(io);
  bool finished = false;  // a wait that completed before `cancel` must not start another
  std::function<void()> check_inbox = [&] {
    if (finished || !take_in_queued(engine, **store)) return;
    inbox_timer.expires_after(inbox_interval);
    inbox_timer.async_wait([&](const boost::system::error_code& error) {
      if (!error) check_inbox();
    });
  };
  check_inbox();
#if OUTREACH_WITH_IMAP
  // Every mailbox with imap settings is read while the campaigns run, and after their last send
  // for their `read_after_last_send`.
  MailReading reading(engine, **store);
  auto reading_started = reading.start(io, [](const MailboxCheck& check) {
    if (!check.error.empty()) {
      std::cerr << "outreach: mailbox \"" << check.mailbox << "\": " << check.error << " (retrying)\n";
    } else {
      std::cerr << "outreach: mailbox \"" << check.mailbox << "\": reading its mail\n";
    }
  });
  if (!reading_started) {
    print_errors(reading_started.error());
    return exit_code_for(reading_started.error());
  }
#endif
  engine.run_on(io, until, [&] {
    finished = true;
    signals.cancel();
    inbox_timer.cancel();
#if OUTREACH_WITH_IMAP
    reading.stop();
#endif
  });
  io.run();
#if OUTREACH_WITH_IMAP
  for (const std::string& warning : reading.warnings()) std::cerr << "outreach: warning: " << warning << "\n";
#endif

  for (const std::string& warning : engine.warnings()) std::cerr << "outreach: warning: " << warning << "\n";
  if (const auto& failure = engine.failure()) {
    print_errors(*failure);
    return exit_failure;
  }
  std::cout << to_text(engine.summary());
  return exit_ok;
}

}  // namespace outreach::cli
