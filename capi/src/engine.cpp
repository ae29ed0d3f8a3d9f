// outreach_engine_*: an Engine with its store, transport and clock, its event log kept for the
// host, and the rules for which thread may call it when.

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "abi.hpp"
#include "util/utf8.hpp"
#include "engine.hpp"
#include "handles.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/event.hpp"
#include "outreach/inbound.hpp"
#include "outreach/instant.hpp"
#include "outreach/mail_reading.hpp"
#include "outreach/mailbox_transport.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/open_store.hpp"
#include "outreach/outbox_transport.hpp"
#include "mail_options.hpp"

using namespace outreach::capi;

namespace {

using outreach::Instant;

/// A transport whose `send` is the host's callback.
class CallbackTransport final : public outreach::Transport {
 public:
  CallbackTransport(const outreach_transport& callbacks, const LogSink& log) : callbacks_(callbacks), log_(log) {}

  outreach::SendOutcome send(const outreach::Mailbox& mailbox, const outreach::Message& message) override {
    outreach_send_outcome filled{};
    filled.kind = OUTREACH_SEND_ACCEPTED;
    const int status = callbacks_.send(mailbox.id.c_str(), message.envelope_from.c_str(), message.envelope_to.c_str(),
                                       message.message_id.c_str(), message.data.c_str(), message.data.size(),
                                       message.requires_smtputf8 ? 1 : 0, &filled, callbacks_.user_data);
    if (status != 0) {
      return failed("transport callback for " + message.message_id + " returned " + std::to_string(status));
    }
    outreach::SendOutcome outcome;
    switch (filled.kind) {
      case OUTREACH_SEND_ACCEPTED: outcome.kind = outreach::SendOutcome::Kind::accepted; break;
      case OUTREACH_SEND_TEMPORARY: outcome.kind = outreach::SendOutcome::Kind::temporary; break;
      case OUTREACH_SEND_PERMANENT: outcome.kind = outreach::SendOutcome::Kind::permanent; break;
      default:
        return failed("transport callback for " + message.message_id + " gave the unknown outcome kind " +
                      std::to_string(filled.kind));
    }
    outcome.code = filled.code;
    const struct {
      const char* text;
      std::string* copy;
      const char* name;
    } strings[] = {{filled.status, &outcome.status, "status"},
                   {filled.reason, &outcome.reason, "reason"},
                   {filled.queue_id, &outcome.queue_id, "queue_id"}};
    for (const auto& string : strings) {
      if (!string.text) continue;
      const std::string_view text(string.text);
      if (!outreach::detail::is_valid_utf8(text)) {
        return failed("transport callback for " + message.message_id + " gave a " + string.name +
                      " that is not valid UTF-8");
      }
      string.copy->assign(text);
    }
    return outcome;
  }

  [[nodiscard]] bool needs_message_data() const override { return callbacks_.needs_message_data != 0; }

 private:
  /// A callback that failed: a temporary failure, so the send is tried again.
  outreach::SendOutcome failed(const std::string& why) const {
    log_(OUTREACH_LOG_WARNING, why + "; the send counts as a temporary failure");
    outreach::SendOutcome outcome;
    outcome.kind = outreach::SendOutcome::Kind::temporary;
    outcome.reason = "transport callback failed";
    return outcome;
  }

  outreach_transport callbacks_;
  const LogSink& log_;
};

/// Runs an io_context through signals: a Boost.Asio wait throws when a signal handler
/// interrupts it (EINTR). A signal is no reason to stop (a handler that wants a stop requests
/// one), so the run goes on.
void run_through_signals(boost::asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const boost::system::system_error& error) {
      if (error.code() != boost::system::errc::interrupted) throw;
    }
  }
}

/// Runs the engine on the system clock until it is done, reading its mailboxes meanwhile when it
/// has any with imap settings (and was not told not to), as `outreach run` does.
int run_engine(outreach_engine& engine, std::optional<Instant> until) {
  boost::asio::io_context io;
#if OUTREACH_WITH_IMAP
  std::optional<outreach::MailReading> reading;
  if (engine.reads_mail) {
    reading.emplace(*engine.engine, *engine.store, engine.imap);
    const LogSink& log = engine.log;
    auto started = reading->start(io, [&log](const outreach::MailboxCheck& check) {
      if (!check.error.empty()) {
        log(OUTREACH_LOG_WARNING, "mailbox \"" + check.mailbox + "\": " + check.error + " (retrying)");
      } else {
        log(OUTREACH_LOG_INFO, "mailbox \"" + check.mailbox + "\": reading its mail");
      }
    });
    if (!started) return fail_with(started.error());
  }
#endif
  engine.engine->run_on(io, until, [&] {
#if OUTREACH_WITH_IMAP
    if (reading) reading->stop();
#endif
  });
  run_through_signals(io);
#if OUTREACH_WITH_IMAP
  if (reading) {
    for (const std::string& warning : reading->warnings()) engine.log(OUTREACH_LOG_WARNING, warning);
  }
#endif
  return OUTREACH_OK;
}

/// Start, pause or resume a campaign by name.
int campaign_operation(outreach_engine* engine, const char* name, CampaignOperation operation) {
  if (const int status = check_not_null(engine, "engine")) return status;
  if (const int status = check_text(name, "name")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    if (!engine->find(name)) {
      return fail_with(OUTREACH_ENOTFOUND, "no campaign named \"" + std::string(name) + "\"");
    }
    if (engine->clock.mode == HostClock::Mode::none) {
      engine->waiting.emplace_back(operation, name);
      return OUTREACH_OK;
    }
    return engine->finish(engine->apply(operation, name));
  });
}

/// Fails when a transport other than the mailbox transport is given SMTP settings or callbacks.
int check_no_smtp_options(const outreach_engine_options& options, std::string_view transport) {
  if (!options.smtp_settings && !options.smtp_callbacks) return OUTREACH_OK;
  return fail_with(OUTREACH_EINVAL, "options: smtp_settings and smtp_callbacks must be NULL for " +
                                        std::string(transport) + " (they are for OUTREACH_TRANSPORT_MAILBOX)");
}

int open_transport(outreach_engine& engine, const outreach_engine_options& options) {
  switch (options.transport) {
    case OUTREACH_TRANSPORT_DRY_RUN:
      if (options.outbox_dir || options.custom_transport) {
        return fail_with(OUTREACH_EINVAL, "options: outbox_dir and custom_transport must be NULL for a dry run");
      }
      if (const int status = check_no_smtp_options(options, "a dry run")) return status;
      engine.transport = std::make_unique<outreach::DryRunTransport>();
      return OUTREACH_OK;
    case OUTREACH_TRANSPORT_OUTBOX: {
      if (options.custom_transport) {
        return fail_with(OUTREACH_EINVAL, "options: custom_transport must be NULL for an outbox");
      }
      if (const int status = check_no_smtp_options(options, "an outbox")) return status;
      if (const int status = check_text(options.outbox_dir, "options.outbox_dir")) return status;
      auto outbox = outreach::OutboxTransport::open(options.outbox_dir);
      if (!outbox) return fail_with(outbox.error());
      engine.transport = std::make_unique<outreach::OutboxTransport>(std::move(*outbox));
      return OUTREACH_OK;
    }
    case OUTREACH_TRANSPORT_CUSTOM: {
      if (options.outbox_dir) return fail_with(OUTREACH_EINVAL, "options: outbox_dir must be NULL for a custom transport");
      if (const int status = check_no_smtp_options(options, "a custom transport")) return status;
      if (const int status = check_not_null(options.custom_transport, "options.custom_transport")) return status;
      const outreach_transport& callbacks = *options.custom_transport;
      if (callbacks.version != OUTREACH_TRANSPORT_VERSION) {
        return fail_with(OUTREACH_EINVAL, "options.custom_transport: version " + std::to_string(callbacks.version) +
                                              " is not one this library knows (" +
                                              std::to_string(OUTREACH_TRANSPORT_VERSION) + ")");
      }
      if (!callbacks.send) return fail_with(OUTREACH_EINVAL, "options.custom_transport: send is NULL");
      engine.transport = std::make_unique<CallbackTransport>(callbacks, engine.log);
      return OUTREACH_OK;
    }
    case OUTREACH_TRANSPORT_MAILBOX: {
      if (options.outbox_dir || options.custom_transport) {
        return fail_with(OUTREACH_EINVAL,
                         "options: outbox_dir and custom_transport must be NULL for the mailbox transport (each "
                         "mailbox's own transport says where its messages go)");
      }
      outreach::SmtpOptions smtp;
      if (const int status = read_smtp_settings(options.smtp_settings, "options.smtp_settings", smtp)) return status;
      if (const int status = install_smtp_callbacks(options.smtp_callbacks, "options.smtp_callbacks", smtp)) {
        return status;
      }
      engine.transport = std::make_unique<outreach::MailboxTransport>(std::move(smtp));
      return OUTREACH_OK;
    }
    default:
      return fail_with(OUTREACH_EINVAL, "options: transport " + std::to_string(options.transport) +
                                            " is not one of OUTREACH_TRANSPORT_DRY_RUN, _OUTBOX, _CUSTOM, _MAILBOX");
  }
}

/// The host's options as this library's struct. An older struct ends before the fields added
/// since: only its own fields are read, and the rest stay zero.
int read_engine_options(const outreach_engine_options* options, outreach_engine_options& chosen) {
  chosen = outreach_engine_options{};
  chosen.version = OUTREACH_ENGINE_OPTIONS_VERSION;
  if (!options) return OUTREACH_OK;
  switch (options->version) {
    case 1: std::memcpy(&chosen, options, offsetof(outreach_engine_options, smtp_settings)); return OUTREACH_OK;
    case 2: std::memcpy(&chosen, options, offsetof(outreach_engine_options, imap_callbacks)); return OUTREACH_OK;
    case OUTREACH_ENGINE_OPTIONS_VERSION: chosen = *options; return OUTREACH_OK;
    default:
      return fail_with(OUTREACH_EINVAL, "options: version " + std::to_string(options->version) +
                                            " is not one this library knows (1 to " +
                                            std::to_string(OUTREACH_ENGINE_OPTIONS_VERSION) + ")");
  }
}

/// An engine's events from `since` on, as a JSON array.
std::string events_array(const std::vector<std::string>& events, std::size_t since) {
  std::size_t size = 2;
  for (std::size_t i = since; i < events.size(); ++i) size += events[i].size() + 1;
  std::string json;
  json.reserve(size);
  json += '[';
  for (std::size_t i = since; i < events.size(); ++i) {
    if (i > since) json += ',';
    json += events[i];
  }
  json += ']';
  return json;
}

/// Fails for an engine that does not keep its events.
int check_events_kept(const outreach_engine& engine) {
  if (engine.keep_events) return OUTREACH_OK;
  return fail_with(OUTREACH_EINVAL, "the engine does not keep its events (it was opened with "
                                    "OUTREACH_ENGINE_DISCARD_EVENTS); use the event callback");
}

}  // namespace

extern "C" {

OUTREACH_API int outreach_engine_open(outreach_engine** out, const char* store_path,
                                      const outreach_engine_options* options) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_optional_text(store_path, "store_path")) return status;
  return guarded([&] {
    outreach_engine_options chosen;
    if (const int status = read_engine_options(options, chosen)) return status;
    constexpr unsigned int known_flags =
        OUTREACH_ENGINE_DISCARD_EVENTS | OUTREACH_ENGINE_DURABLE_POWER | OUTREACH_ENGINE_NO_MAIL_READING;
    if ((chosen.flags & ~known_flags) != 0) {
      return fail_with(OUTREACH_EINVAL, "options: unknown flags " + std::to_string(chosen.flags & ~known_flags));
    }
    const bool power = (chosen.flags & OUTREACH_ENGINE_DURABLE_POWER) != 0;
    if (power && !store_path) {
      return fail_with(OUTREACH_EINVAL, "options: OUTREACH_ENGINE_DURABLE_POWER needs a store_path (an engine in "
                                        "memory keeps nothing)");
    }
    auto engine = std::make_unique<outreach_engine>();
    engine->log = LogSink{chosen.log, chosen.log_user_data};
    engine->keep_events = (chosen.flags & OUTREACH_ENGINE_DISCARD_EVENTS) == 0;
    // A host built before engines read mail (older options, or none) keeps the run it knew.
    engine->reads_mail = options && options->version >= 3 && (chosen.flags & OUTREACH_ENGINE_NO_MAIL_READING) == 0;
    if (const int status = install_imap_callbacks(chosen.imap_callbacks, "options.imap_callbacks", engine->imap)) {
      return status;
    }
    if (const int status = open_transport(*engine, chosen)) return status;
    // The store last, so that options refused above never create or lock its file.
    if (store_path) {
      auto opened = outreach::open_store(
          store_path, {.access = outreach::StoreAccess::engine,
                       .durability = power ? outreach::StoreDurability::power : outreach::StoreDurability::process});
      if (!opened) return fail_with(opened.error());
      engine->file_store = std::move(*opened);
      engine->store = engine->file_store.get();
    }
    engine->engine = std::make_unique<outreach::Engine>(*engine->store, *engine->transport, engine->clock);
    outreach_engine* handle = engine.get();
    engine->engine->on_event([handle](const outreach::Event& event) { handle->on_event(event); });
    *out = engine.release();
    return OUTREACH_OK;
  });
}

OUTREACH_API void outreach_engine_free(outreach_engine* engine) { delete engine; }

OUTREACH_API int outreach_engine_set_event_callback(outreach_engine* engine, outreach_event_fn callback,
                                                    void* user_data) {
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    engine->event_callback = callback;
    engine->event_user_data = callback ? user_data : nullptr;
    return OUTREACH_OK;
  });
}

OUTREACH_API int outreach_engine_add_campaign(outreach_engine* engine, const outreach_campaign* campaign) {
  if (const int status = check_not_null(engine, "engine")) return status;
  if (const int status = check_not_null(campaign, "campaign")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    outreach_engine::KnownCampaign known{campaign->definition.name, campaign->definition.schedule.start};
    auto added = engine->engine->add_campaign(campaign->definition);
    if (!added) return engine->finish(fail_with(added.error()));
    engine->campaigns.push_back(std::move(known));
    return engine->finish(OUTREACH_OK);
  });
}

OUTREACH_API int outreach_engine_start(outreach_engine* engine, const char* name) {
  return campaign_operation(engine, name, CampaignOperation::start);
}

OUTREACH_API int outreach_engine_pause(outreach_engine* engine, const char* name) {
  return campaign_operation(engine, name, CampaignOperation::pause);
}

OUTREACH_API int outreach_engine_resume(outreach_engine* engine, const char* name) {
  return campaign_operation(engine, name, CampaignOperation::resume);
}

OUTREACH_API int outreach_engine_queue_inbound(outreach_engine* engine, const char* json_line) {
  if (const int status = check_not_null(engine, "engine")) return status;
  if (const int status = check_text(json_line, "json_line")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    auto event = outreach::parse_inbound_line(json_line);
    if (!event) return fail_with(event.error());
    auto applied = engine->engine->apply(*event);
    if (!applied) return engine->finish(fail_with(applied.error()));
    return engine->finish(OUTREACH_OK);
  });
}

OUTREACH_API int outreach_engine_simulate(outreach_engine* engine, const char* from, const char* until) {
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    std::optional<Instant> start;
    std::optional<Instant> last;
    if (const int status = parse_instant_argument(from, "from", start)) return status;
    if (const int status = parse_instant_argument(until, "until", last)) return status;
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    HostClock& clock = engine->clock;
    switch (clock.mode) {
      case HostClock::Mode::system:
        return fail_with(OUTREACH_EINVAL, "the engine runs on the system clock (outreach_engine_run); it cannot also "
                                          "simulate");
      case HostClock::Mode::manual:
        if (start) {
          if (*start < clock.manual.now()) {
            return fail_with(OUTREACH_EINVAL, "from: " + outreach::format_instant(*start) +
                                                  " is before the engine's clock (" +
                                                  outreach::format_instant(clock.manual.now()) +
                                                  "); a simulation never goes back");
          }
          clock.manual.set(*start);
        }
        break;
      case HostClock::Mode::none: {
        if (!start) {
          for (const auto& campaign : engine->campaigns) {
            if (campaign.start && (!start || *campaign.start < *start)) start = campaign.start;
          }
        }
        if (!start) {
          return fail_with(OUTREACH_EINVAL, "from: a simulation needs a start: pass `from`, or add a campaign whose "
                                            "schedule has a start");
        }
        // A campaign the store has already goes on from its last event: time never goes back.
        if (const auto stored = engine->last_stored_event(); stored && *stored > *start) start = stored;
        clock.manual = outreach::ManualClock(*start);
        clock.mode = HostClock::Mode::manual;
        if (const int status = engine->apply_waiting()) return engine->finish(status);
        break;
      }
    }
    engine->engine->simulate(clock.manual, last);
    return engine->finish(OUTREACH_OK);
  });
}

OUTREACH_API int outreach_engine_run(outreach_engine* engine, const char* until) {
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    std::optional<Instant> last;
    if (const int status = parse_instant_argument(until, "until", last)) return status;
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    HostClock& clock = engine->clock;
    if (clock.mode == HostClock::Mode::manual) {
      return fail_with(OUTREACH_EINVAL, "the engine simulated on a manual clock (outreach_engine_simulate); it cannot "
                                        "also run on the system clock");
    }
    if (const int status = engine->choose_system_clock()) return engine->finish(status);
    return engine->finish(run_engine(*engine, last));
  });
}

OUTREACH_API int outreach_engine_request_stop(outreach_engine* engine) {
  // Async-signal-safe: no allocation, no lock, no thread-local error message.
  if (!engine) return OUTREACH_EINVAL;
  engine->engine->request_stop();
  return OUTREACH_OK;
}

OUTREACH_API int outreach_engine_event_count(const outreach_engine* engine, size_t* out_count) {
  if (const int status = check_not_null(out_count, "out_count")) return status;
  *out_count = 0;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::read);
    if (use.status()) return use.status();
    *out_count = engine->event_count;
    return OUTREACH_OK;
  });
}

OUTREACH_API int outreach_engine_events(const outreach_engine* engine, size_t since, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::read);
    if (use.status()) return use.status();
    if (const int status = check_events_kept(*engine)) return status;
    if (since > engine->events.size()) {
      return fail_with(OUTREACH_EINVAL, "since: " + std::to_string(since) + " is more than the " +
                                            std::to_string(engine->events.size()) + " events there are");
    }
    return copy_out(events_array(engine->events, since), out_json);
  });
}

OUTREACH_API int outreach_engine_event(const outreach_engine* engine, size_t index, char** out_json_line) {
  if (const int status = check_not_null(out_json_line, "out_json_line")) return status;
  *out_json_line = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::read);
    if (use.status()) return use.status();
    if (const int status = check_events_kept(*engine)) return status;
    if (index >= engine->events.size()) {
      return fail_with(OUTREACH_ENOTFOUND, "no event at index " + std::to_string(index) + " (there are " +
                                               std::to_string(engine->events.size()) + ")");
    }
    return copy_out(engine->events[index], out_json_line);
  });
}

OUTREACH_API int outreach_engine_summary(const outreach_engine* engine, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::read);
    if (use.status()) return use.status();
    outreach::Summary summary = engine->engine->summary();
    summary.mail_checks = engine->store->mailbox_checks();
    return copy_out(outreach::to_json(summary), out_json);
  });
}

OUTREACH_API int outreach_engine_warnings(const outreach_engine* engine, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::read);
    if (use.status()) return use.status();
    boost::json::array warnings;
    for (const std::string& warning : engine->engine->warnings()) warnings.emplace_back(warning);
    return copy_out(boost::json::serialize(warnings), out_json);
  });
}

}  // extern "C"
