// libFuzzer target for the sequence JSON (sequence.hpp, docs/formats.md "Sequences"): the steps,
// delays, variants and templates a campaign sends. Besides crashes, leaks and hangs, it checks
// the writer's promise: a sequence that reads writes JSON that reads back as an equal sequence
// (same name and steps, same fingerprint), and writing that again gives the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "outreach/sequence.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto sequence = outreach::Sequence::from_json(input);
  if (!sequence) return 0;

  const std::string written = sequence->to_json();
  const auto read_back = outreach::Sequence::from_json(written);
  require(read_back.has_value(), "what to_json writes reads back");
  require(*read_back == *sequence, "the sequence read back has the same fingerprint");
  require(read_back->name() == sequence->name() && read_back->steps() == sequence->steps(),
          "the sequence read back has the same name and steps");
  require(read_back->to_json() == written, "to_json is stable");
  return 0;
}
