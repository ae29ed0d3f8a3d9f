// libFuzzer target for lead lists (lead_list.hpp, docs/formats.md "Leads"): every input is read
// both as a CSV list and as the JSON form. Besides crashes, leaks and hangs, it checks the
// promises: the leads kept have valid addresses, none repeated, with UTF-8 values; and leads
// written by leads_to_json read back with parse_lead_json as the same leads, in the same order
// and with the same fields, without a problem.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/address.hpp"
#include "outreach/lead_list.hpp"
#include "util/utf8.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::fuzz::require;

void check_leads(const outreach::expected<outreach::LeadList>& list) {
  if (!list) return;
  require(!list->leads.empty(), "a list that reads has a lead");
  std::set<std::string> keys;
  for (const outreach::Lead& lead : list->leads) {
    require(outreach::Address::parse(lead.email).has_value(), "every lead kept has a valid address");
    require(keys.insert(lead.key()).second, "no address is kept twice");
    for (const auto& [name, value] : lead.custom) {
      require(outreach::detail::is_valid_utf8(name) && outreach::detail::is_valid_utf8(value),
              "custom fields are UTF-8");
    }
  }

  const std::string written = outreach::leads_to_json(list->leads);
  const auto read_back = outreach::parse_lead_json(written);
  require(read_back.has_value(), "what leads_to_json writes reads back");
  require(read_back->problems.empty(), "what leads_to_json writes reads back without a problem");
  require(read_back->leads == list->leads, "the leads read back are the leads written");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_leads(outreach::parse_lead_csv(input, "leads.csv"));
  check_leads(outreach::parse_lead_json(input, "leads.json"));
  return 0;
}
