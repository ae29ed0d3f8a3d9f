// outreach run: sends for real, on the system clock, keeping everything in a store so that it
// can be stopped and started again at any time; given only the store, it runs the campaigns the
// store has.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/cli.hpp"
#include "cli/run_log.hpp"
#include "cli/store_access.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/mailbox_transport.hpp"
#include "util/connection_string.hpp"
#if OUTREACH_WITH_IMAP
#include "outreach/mail_reading.hpp"
#endif

namespace outreach::cli {

int run(const Arguments& arguments) {
  const auto log_format = log_format_of(arguments);
  if (!log_format) return exit_bad_input;
  RunLog log(*log_format, std::cerr);
  // With no campaign file, every campaign of the store goes on: a service needs only its store.
  const bool from_store = arguments.positional.empty();
  const std::string* store_path = store_location(arguments, from_store);
  if (!store_path) return exit_bad_input;
  std::optional<Instant> until;
  if (!read_instant_option(arguments, "until", until)) return exit_bad_input;
  std::vector<CampaignDefinition> campaigns;
  for (const std::string& path : arguments.positional) {
    auto campaign = CampaignDefinition::load(path);
    if (!campaign) {
      log.errors(campaign.error());
      return exit_code_for(campaign.error());
    }
    for (const Error& problem : campaign->lead_problems) log.warning(problem.to_string());
    campaigns.push_back(std::move(*campaign));
  }
  StoreOptions store_options{.access = StoreAccess::engine};
  std::optional<std::chrono::seconds> lease;
  if (!read_seconds_option(arguments, "claim-lease", 3600, lease)) return exit_bad_input;
  if (lease) store_options.claim_lease = *lease;
  auto store = open_store(*store_path, store_options);
  if (!store) {
    log.errors(store.error());
    return exit_code_for(store.error());
  }
  std::ofstream events_file;
  if (const std::string* events_path = arguments.option("events")) {
    events_file.open(*events_path, std::ios::binary | std::ios::app);
    if (!events_file) {
      log.error(*events_path + ": cannot write the event log");
      return exit_failure;
    }
  }

  MailboxTransport transport;
  SystemClock clock;
  Engine engine(**store, transport, clock);
  engine.on_event([&](const Event& event) {
    if (events_file.is_open()) events_file << to_json_line(event) << '\n' << std::flush;
    log.event(event);
  });
  engine.on_warning([&](const std::string& warning) { log.warning(warning); });
  engine.require_unsubscribe_secrets();  // real mail: a forgeable unsubscribe link is refused
  if (from_store && (*store)->shared()) {
    // Several engines share the store: this one claims what no live engine holds, its fair share
    // at a time, as it runs (and what another leaves should it stop).
    if ((*store)->campaigns().empty()) {
      log.error(detail::without_password(*store_path) + " has no campaign yet: give the campaign files to start");
      return exit_bad_input;
    }
    engine.take_free_campaigns(true);
  } else if (from_store) {
    if (auto restored = restore_campaigns(engine, **store, nullptr); !restored) {
      log.errors(restored.error());
      return exit_code_for(restored.error());
    }
    // Known from what was restored: reading the stored definitions again would cost as much.
    if (engine.summary().campaigns.empty()) {
      log.error(detail::without_password(*store_path) + " has no campaign yet: give the campaign files to start");
      return exit_bad_input;
    }
  }
  for (CampaignDefinition& campaign : campaigns) {
    const std::string name = campaign.name;
    if (auto added = engine.add_campaign(std::move(campaign)); !added) {
      log.errors(added.error());
      return exit_code_for(added.error());
    }
    // A campaign the store has goes on where it was; a new one starts now.
    if (auto started = engine.start(name); !started) {
      log.errors(started.error());
      return exit_code_for(started.error());
    }
  }

  // SIGINT and SIGTERM stop it cleanly: the send in flight ends and is recorded first.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (!error) engine.request_stop();
  });
#if OUTREACH_WITH_IMAP
  // Every mailbox with imap settings is read while the campaigns run, and after their last send
  // for their `read_after_last_send`.
  MailReading reading(engine, **store);
  auto reading_started = reading.start(io, [&](const MailboxCheck& check) {
    if (!check.error.empty()) {
      log.warning("mailbox \"" + check.mailbox + "\": " + check.error + " (retrying)");
    } else {
      log.info("mailbox \"" + check.mailbox + "\": reading its mail");
    }
  });
  if (!reading_started) {
    log.errors(reading_started.error());
    return exit_code_for(reading_started.error());
  }
#endif
  // Messages `outreach ingest` hands in and requests (`outreach pause`, ...) made while this
  // runs are applied by the engine at every wake-up, before its next send.
  engine.run_on(io, until, [&] {
    signals.cancel();
#if OUTREACH_WITH_IMAP
    reading.stop();
#endif
  });
  io.run();
#if OUTREACH_WITH_IMAP
  for (const std::string& warning : reading.warnings()) log.warning(warning);
#endif

  if (const auto& failure = engine.failure()) {
    log.errors(*failure);
    return exit_failure;
  }
  std::cout << to_text(engine.summary());
  return exit_ok;
}

}  // namespace outreach::cli
