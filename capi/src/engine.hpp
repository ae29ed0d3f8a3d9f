// The engine handle of the C interface, shared by the files that implement its functions: the
// engine with its store, transport and clock, its event log kept for the host, and the rule for
// which thread may call it when (EngineUse).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "abi.hpp"
#include "handle_use.hpp"
#include "outreach.h"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/event.hpp"
#include "outreach/imap_reader.hpp"
#include "outreach/instant.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/store.hpp"
#include "outreach/transport.hpp"

namespace outreach::capi {

/// The engine's clock: none until the first simulate (a manual clock) or run (the system clock)
/// chooses one, and that one from then on.
class HostClock final : public outreach::Clock {
 public:
  enum class Mode : unsigned char { none, manual, system };

  [[nodiscard]] Instant now() const override { return mode == Mode::system ? system.now() : manual.now(); }

  Mode mode = Mode::none;
  outreach::ManualClock manual;
  outreach::SystemClock system;
};

/// Campaign operations made before the engine has a clock wait for it, in order: the CLI starts
/// a campaign on a clock already at the simulation's start, and so must we to decide the same.
enum class CampaignOperation : unsigned char { start, pause, resume };

/// Where log messages go.
struct LogSink {
  outreach_log_fn function = nullptr;
  void* user_data = nullptr;

  void operator()(int level, const std::string& message) const {
    if (function) function(level, message.c_str(), user_data);
  }
};

}  // namespace outreach::capi

/// The engine handle. Members are declared so that the engine, which refers to the store, the
/// transport and the clock, is destroyed first.
struct outreach_engine {
  static outreach::MemoryStore indexed_memory_store() {
    outreach::MemoryStore store(/*keep_events=*/false);
    store.index_sends();
    return store;
  }

  using HostClock = outreach::capi::HostClock;
  using LogSink = outreach::capi::LogSink;
  using CampaignOperation = outreach::capi::CampaignOperation;
  using Instant = outreach::Instant;

  // In memory, or the SQLite file of `store_path` (held, with its engine lock, until the handle
  // is freed); `store` is whichever of them the engine uses.
  // Events go to `events` below; the store indexes the sends, so received mail is matched.
  outreach::MemoryStore memory_store = indexed_memory_store();
  std::unique_ptr<outreach::Store> file_store;
  outreach::Store* store = &memory_store;
  LogSink log;
  std::unique_ptr<outreach::Transport> transport;
  HostClock clock;
  // `outreach_engine_run` reads the mailboxes with imap settings, with these options.
  bool reads_mail = true;
  outreach::ImapOptions imap;

  outreach::capi::HandleLock lock;  // one thread at a time

  // The event log, as JSON lines.
  bool keep_events = true;
  std::vector<std::string> events;
  std::size_t event_count = 0;
  outreach_event_fn event_callback = nullptr;
  void* event_user_data = nullptr;
  bool event_callback_failed = false;
  bool event_callback_failure_reported = false;
  int event_callback_status = 0;

  std::size_t warnings_logged = 0;

  struct KnownCampaign {
    std::string name;
    std::optional<Instant> start;
  };
  std::vector<KnownCampaign> campaigns;
  std::vector<std::pair<CampaignOperation, std::string>> waiting;

  std::unique_ptr<outreach::Engine> engine;

  void on_event(const outreach::Event& event) {
    // Kept first, so that a callback that pulls events sees this one.
    std::string line = outreach::to_json_line(event);
    const char* text = line.c_str();
    if (keep_events) {
      events.push_back(std::move(line));
      text = events.back().c_str();
    }
    ++event_count;
    if (event_callback && !event_callback_failed) {
      const int status = event_callback(text, event_user_data);
      if (status != 0) {
        event_callback_failed = true;
        event_callback_status = status;
        engine->request_stop();
        log(OUTREACH_LOG_ERROR, "the event callback returned " + std::to_string(status) + "; the engine stops");
      }
    }
    log_new_warnings();
  }

  void log_new_warnings() {
    const auto& warnings = engine->warnings();
    while (warnings_logged < warnings.size()) log(OUTREACH_LOG_WARNING, warnings[warnings_logged++]);
  }

  [[nodiscard]] const KnownCampaign* find(std::string_view name) const {
    for (const KnownCampaign& campaign : campaigns) {
      if (campaign.name == name) return &campaign;
    }
    return nullptr;
  }

  /// What every call that changes the engine does last: log new warnings, and report a store
  /// that could not write (on every call: the engine stays stopped) or an event callback that
  /// failed during the call.
  int finish(int status) {
    log_new_warnings();
    if (const auto& failure = engine->failure(); failure && status == OUTREACH_OK) {
      return outreach::capi::fail_with(*failure);
    }
    if (event_callback_failed && !event_callback_failure_reported) {
      event_callback_failure_reported = true;
      return outreach::capi::fail_with(OUTREACH_ECALLBACK, "the event callback returned " +
                                                               std::to_string(event_callback_status) +
                                                               "; the engine stopped");
    }
    return status;
  }

  int apply(CampaignOperation operation, const std::string& name) {
    outreach::expected<void> done;
    switch (operation) {
      case CampaignOperation::start: done = engine->start(name); break;
      case CampaignOperation::pause: done = engine->pause(name); break;
      case CampaignOperation::resume: done = engine->resume(name); break;
    }
    return done ? OUTREACH_OK : outreach::capi::fail_with(done.error());
  }

  /// The latest event the store holds for the campaigns added, if any (none in memory: a new
  /// engine's memory store is empty).
  [[nodiscard]] std::optional<Instant> last_stored_event() const {
    std::optional<Instant> last;
    if (!file_store) return last;
    for (const KnownCampaign& campaign : campaigns) {
      file_store->for_each_event(campaign.name, [&](const outreach::Event& event) {
        if (!last || event.at > *last) last = event.at;
      });
    }
    return last;
  }

  /// The clock is chosen: do the campaign operations that waited for it.
  int apply_waiting() {
    auto waiting_now = std::move(waiting);
    waiting.clear();
    for (const auto& [operation, name] : waiting_now) {
      if (const int status = apply(operation, name)) return status;
    }
    return OUTREACH_OK;
  }

  /// Gives an engine without a clock the system clock (an engine keeps the clock it has), and
  /// does the campaign operations that waited for one.
  int choose_system_clock() {
    if (clock.mode != HostClock::Mode::none) return OUTREACH_OK;
    clock.mode = HostClock::Mode::system;
    return apply_waiting();
  }
};

namespace outreach::capi {

/// Holds an engine for one call: refuses a second thread, and, from the engine's own callbacks,
/// everything but reading.
class EngineUse : public HandleUse {
 public:
  EngineUse(const outreach_engine* engine, Kind kind)
      : HandleUse(engine->lock, kind,
                  "the engine is running a call of this thread: from its callbacks, only the functions that read and "
                  "outreach_engine_request_stop may be used",
                  "the engine is in use by another thread (an engine is used by one thread at a time; only "
                  "outreach_engine_request_stop may be called meanwhile)") {}
};

}  // namespace outreach::capi
