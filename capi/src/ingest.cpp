// outreach_engine_ingest: a received message (a reply, an auto-reply, a bounce, a complaint, an
// unsubscribe request) taken in by an engine, as `outreach ingest` does.

#include <string>
#include <string_view>

#include "abi.hpp"
#include "engine.hpp"
#include "outreach/ingest.hpp"

using namespace outreach::capi;

extern "C" {

OUTREACH_API int outreach_engine_ingest(outreach_engine* engine, const char* raw, size_t length, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(engine, "engine")) return status;
  if (!raw && length != 0) return check_not_null(raw, "raw");
  return guarded([&] {
    EngineUse use(engine, EngineUse::Kind::change);
    if (use.status()) return use.status();
    // A message arrives now: an engine without a clock yet takes the system clock, as a run would.
    if (const int status = engine->choose_system_clock()) return engine->finish(status);
    auto result = engine->engine->ingest(std::string_view(raw ? raw : "", length));
    if (!result) return engine->finish(fail_with(result.error()));
    if (const int status = engine->finish(OUTREACH_OK)) return status;
    return copy_out(outreach::to_json(*result), out_json);
  });
}

}  // extern "C"
