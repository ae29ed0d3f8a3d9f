// outreach_sequence_*: loading, checking and writing sequences.

#include <memory>
#include <new>

#include "abi.hpp"
#include "handles.hpp"

using namespace outreach::capi;

namespace {

/// Hands a loaded sequence (or its errors) to the host.
int give(outreach::expected<outreach::Sequence> loaded, outreach_sequence** out) {
  if (!loaded) return fail_with(loaded.error());
  *out = new outreach_sequence{std::move(*loaded)};
  return OUTREACH_OK;
}

}  // namespace

extern "C" {

OUTREACH_API int outreach_sequence_from_json(outreach_sequence** out, const char* json) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_text(json, "json")) return status;
  return guarded([&] { return give(outreach::Sequence::from_json(json), out); });
}

OUTREACH_API int outreach_sequence_load(outreach_sequence** out, const char* path) {
  if (const int status = check_not_null(out, "out")) return status;
  *out = nullptr;
  if (const int status = check_text(path, "path")) return status;
  return guarded([&] { return give(outreach::Sequence::load(path), out); });
}

OUTREACH_API int outreach_sequence_fingerprint(const outreach_sequence* sequence, const char** out_fingerprint) {
  if (const int status = check_not_null(out_fingerprint, "out_fingerprint")) return status;
  *out_fingerprint = nullptr;
  if (const int status = check_not_null(sequence, "sequence")) return status;
  *out_fingerprint = sequence->sequence.fingerprint().c_str();
  return OUTREACH_OK;
}

OUTREACH_API int outreach_sequence_to_json(const outreach_sequence* sequence, char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_not_null(sequence, "sequence")) return status;
  return guarded([&] { return copy_out(sequence->sequence.to_json(), out_json); });
}

OUTREACH_API void outreach_sequence_free(outreach_sequence* sequence) { delete sequence; }

}  // extern "C"
