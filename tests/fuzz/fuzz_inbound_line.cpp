// libFuzzer target for one line of an inbound script (inbound.hpp, `outreach ingest` and the
// simulator read them): {"at", "lead", "type", "kind", "return_date", "campaign"}. Besides
// crashes, leaks and hangs, it checks the reader's promises: an error is parse_error,
// invalid_value or unknown_key; a soft bounce is a bounce, and a return date belongs to an
// auto-reply.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "outreach/inbound.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::Errc;
using outreach::InboundType;

using outreach::fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto event = outreach::parse_inbound_line(input);
  if (!event) {
    const Errc code = event.error().code();
    require(code == Errc::parse_error || code == Errc::invalid_value || code == Errc::unknown_key,
            "a line that does not read is a parse_error, invalid_value or unknown_key");
    return 0;
  }
  require(event->hard || event->type == InboundType::bounce, "only a bounce is soft");
  require(!event->return_date || event->type == InboundType::auto_reply, "only an auto-reply has a return date");
  require(!event->return_date || event->return_date->ok(), "a return date is a date");
  return 0;
}
