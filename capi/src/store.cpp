// Administering a store from the C interface: the suppression list and forgetting an address on
// an engine's store (outreach_engine_suppress, ...), and reading a store file that another
// process may be running an engine on (outreach_store_reader_*), as `outreach status`, `events`,
// `suppress` and `forget` do.

#include <boost/json.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi.hpp"
#include "engine.hpp"
#include "outreach/event.hpp"
#include "outreach/explain.hpp"
#include "outreach/forecast.hpp"
#include "outreach/instant.hpp"
#include "outreach/open_store.hpp"
#include "outreach/store_view.hpp"
#include "outreach/summary.hpp"
#include "outreach/suppression_list.hpp"

using namespace outreach::capi;

/// A store opened for reading, without the engine lock.
struct outreach_store_reader {
  std::unique_ptr<outreach::Store> store;
  // One thread at a time: a connection is not shared between threads.
  mutable std::mutex mutex;
};

namespace {

/// The reason kept with an entry: `manual` when the host gives none.
int read_reason(const char* reason, std::string_view& out) {
  out = "manual";
  if (!reason) return OUTREACH_OK;
  if (const int status = check_text(reason, "reason")) return status;
  if (*reason == '\0') return fail_with(OUTREACH_EINVAL, "reason is empty (pass NULL for \"manual\")");
  out = reason;
  return OUTREACH_OK;
}

/// A checked address argument (trimmed), or the failure naming it.
int read_address(const char* text, std::string& out) {
  if (const int status = check_text(text, "address")) return status;
  auto address = outreach::suppression_address(text);
  if (!address) return fail_with(address.error());
  out = std::move(*address);
  return OUTREACH_OK;
}

/// The suppression list as a JSON array of `{"address", "reason", "added"}` objects (`added`
/// when the store keeps it), ordered by address.
std::string suppressions_json(const outreach::Store& store) {
  boost::json::array entries;
  for (const outreach::Suppression& entry : store.suppressions()) {
    boost::json::object item{{"address", entry.address}, {"reason", entry.reason}};
    if (entry.added) item["added"] = outreach::format_instant(*entry.added);
    entries.emplace_back(std::move(item));
  }
  return boost::json::serialize(entries);
}

/// Events as a JSON array of event objects, each exactly a line of the event log.
std::string events_json(const std::vector<outreach::Event>& events) {
  std::string json = "[";
  for (const outreach::Event& event : events) {
    if (json.size() > 1) json += ',';
    json += outreach::to_json_line(event);
  }
  json += ']';
  return json;
}

/// Holds a reader for one call, refusing a second thread.
class ReaderUse {
 public:
  explicit ReaderUse(const outreach_store_reader* reader) : lock_(reader->mutex, std::try_to_lock) {
    if (!lock_.owns_lock()) {
      status_ = fail_with(OUTREACH_EBUSY, "the store reader is in use by another thread (a reader is used by one "
                                          "thread at a time; open one per thread)");
    }
  }

  /// OK, or why the reader cannot be used now.
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  std::unique_lock<std::mutex> lock_;
  int status_ = OUTREACH_OK;
};

/// What a reader call gives: `json`, unless a read of the store failed on the way (the store then
/// gave what it could read; the caller gets its error instead).
int reader_result(const outreach_store_reader& reader, const std::string& json, char** out_json) {
  if (auto problem = reader.store->read_error()) return fail_with(*problem);
  return copy_out(json, out_json);
}

}  // namespace

extern "C" {

/* ---- on an engine's store ------------------------------------------------------------- */

OUTREACH_API int outreach_engine_suppress(outreach_engine* engine, const char* address, const char* reason) {
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    std::string checked;
    std::string_view why;
    if (const int status = read_address(address, checked)) return status;
    if (const int status = read_reason(reason, why)) return status;
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    auto kept = engine->store->suppress(checked, why);
    return kept ? OUTREACH_OK : fail_with(kept.error());
  });
}

OUTREACH_API int outreach_engine_unsuppress(outreach_engine* engine, const char* address) {
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    std::string checked;
    if (const int status = read_address(address, checked)) return status;
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    auto removed = engine->store->unsuppress(checked);
    return removed ? OUTREACH_OK : fail_with(removed.error());
  });
}

OUTREACH_API int outreach_engine_suppressions(const outreach_engine* engine, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::read);
    if (use.status()) return use.status();
    std::string json = suppressions_json(*engine->store);
    if (engine->file_store) {
      if (auto problem = engine->file_store->read_error()) return fail_with(*problem);
    }
    return copy_out(json, out_json);
  });
}

OUTREACH_API int outreach_engine_import_suppressions(outreach_engine* engine, const char* path, const char* reason,
                                                     char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  if (const int status = check_text(path, "path")) return status;
  return guarded([&] {
    std::string_view why;
    if (const int status = read_reason(reason, why)) return status;
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    auto imported = outreach::import_suppressions(*engine->store, path, why);
    if (!imported) return fail_with(imported.error());
    return copy_out("{\"suppressed\":" + std::to_string(imported->suppressed) +
                        ",\"problems\":" + errors_json(imported->problems) + "}",
                    out_json);
  });
}

OUTREACH_API int outreach_engine_forget(outreach_engine* engine, const char* address, size_t* out_count) {
  if (const int status = check_not_null(out_count, "out_count")) return status;
  *out_count = 0;
  if (const int status = check_not_null(engine, "engine")) return status;
  return guarded([&] {
    std::string checked;
    if (const int status = read_address(address, checked)) return status;
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    auto erased = engine->store->forget(checked);
    if (!erased) return fail_with(erased.error());
    *out_count = *erased;
    return OUTREACH_OK;
  });
}

/* ---- reading a store file ------------------------------------------------------------- */

OUTREACH_API int outreach_store_reader_open(outreach_store_reader** out, const char* store_path) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_text(store_path, "store_path")) return status;
  return guarded([&] {
    auto opened = outreach::open_store(store_path, {.access = outreach::StoreAccess::read});
    if (!opened) return fail_with(opened.error());
    auto reader = std::make_unique<outreach_store_reader>();
    reader->store = std::move(*opened);
    *out = reader.release();
    return OUTREACH_OK;
  });
}

OUTREACH_API void outreach_store_reader_free(outreach_store_reader* reader) { delete reader; }

OUTREACH_API int outreach_store_reader_status(const outreach_store_reader* reader, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(reader, "reader")) return status;
  return guarded([&] {
    ReaderUse use(reader);
    if (use.status()) return use.status();
    auto summary = outreach::summarize_store(*reader->store);
    if (!summary) return fail_with(summary.error());
    return reader_result(*reader, outreach::to_json(*summary), out_json);
  });
}

OUTREACH_API int outreach_store_reader_explain(const outreach_store_reader* reader, const char* campaign,
                                               const char* lead, const char* at, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(reader, "reader")) return status;
  if (const int status = check_text(campaign, "campaign")) return status;
  if (const int status = check_text(lead, "lead")) return status;
  return guarded([&] {
    std::optional<outreach::Instant> when;
    if (const int status = parse_instant_argument(at, "at", when)) return status;
    ReaderUse use(reader);
    if (use.status()) return use.status();
    auto explained = outreach::explain_lead(*reader->store, campaign, lead, when);
    if (!explained) return fail_with(explained.error());
    return reader_result(*reader, outreach::to_json(*explained), out_json);
  });
}

OUTREACH_API int outreach_store_reader_forecast(const outreach_store_reader* reader, const char* campaign,
                                                const char* from, double reply_rate, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(reader, "reader")) return status;
  if (const int status = check_text(campaign, "campaign")) return status;
  return guarded([&] {
    outreach::ForecastOptions options;
    options.reply_rate = reply_rate;
    if (const int status = parse_instant_argument(from, "from", options.from)) return status;
    ReaderUse use(reader);
    if (use.status()) return use.status();
    auto forecast = outreach::forecast_campaign(*reader->store, campaign, options);
    if (!forecast) return fail_with(forecast.error());
    return reader_result(*reader, outreach::to_json(*forecast), out_json);
  });
}

OUTREACH_API int outreach_store_reader_events(const outreach_store_reader* reader, const char* campaign,
                                              const char* since, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(reader, "reader")) return status;
  if (const int status = check_optional_text(campaign, "campaign")) return status;
  return guarded([&] {
    std::optional<outreach::Instant> from;
    if (const int status = parse_instant_argument(since, "since", from)) return status;
    ReaderUse use(reader);
    if (use.status()) return use.status();
    auto events = outreach::store_events(*reader->store,
                                         campaign ? std::optional<std::string_view>(campaign) : std::nullopt, from);
    if (!events) return fail_with(events.error());
    return reader_result(*reader, events_json(*events), out_json);
  });
}

OUTREACH_API int outreach_store_reader_suppressions(const outreach_store_reader* reader, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(reader, "reader")) return status;
  return guarded([&] {
    ReaderUse use(reader);
    if (use.status()) return use.status();
    return reader_result(*reader, suppressions_json(*reader->store), out_json);
  });
}

}  // extern "C"
