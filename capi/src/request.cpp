// Changing a store's campaigns from the C interface, whether or not an engine runs them
// (outreach_store_request), as `outreach pause`, `suppress`, `forget`, ... do.

#include <boost/json.hpp>

#include <chrono>
#include <string>

#include "abi.hpp"
#include "outreach/request.hpp"
#include "outreach/steering.hpp"

using namespace outreach::capi;

extern "C" {

OUTREACH_API int outreach_store_request(const char* store_path, const char* request_json, uint32_t wait_ms,
                                        char** out_json) {
  if (const int status = check_not_null(out_json, "out_json")) return status;
  *out_json = nullptr;
  if (const int status = check_text(store_path, "store_path")) return status;
  if (const int status = check_text(request_json, "request_json")) return status;
  return guarded([&] {
    auto request = outreach::request_from_json(request_json);
    if (!request) return fail_with(request.error());
    auto steered = outreach::steer(store_path, *request, std::chrono::milliseconds(wait_ms));
    if (!steered) return fail_with(steered.error());
    // A campaign the store does not have is an error of the call, as elsewhere in this
    // interface; the request is answered all the same, so nothing applies it later.
    if (steered->answer && steered->answer->error == outreach::Errc::not_found) {
      return fail_with(outreach::Error(outreach::Errc::not_found, steered->answer->message));
    }
    boost::json::object out{{"id", steered->id}, {"applied_here", steered->applied_here}};
    out["answer"] = steered->answer ? boost::json::parse(outreach::to_json(*steered->answer)) : boost::json::value();
    boost::json::array warnings;
    for (const std::string& warning : steered->warnings) warnings.emplace_back(warning);
    out["warnings"] = std::move(warnings);
    return copy_out(boost::json::serialize(out), out_json);
  });
}

}  // extern "C"
