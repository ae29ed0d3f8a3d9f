// libFuzzer target for the campaign JSON (campaign.hpp, docs/formats.md "Campaigns"): the
// schedule, mailboxes, limits, rules, and the sequence and leads inline or named. Besides
// crashes, leaks and hangs, it checks the writer's promise: a campaign that reads writes JSON
// that reads back as an equal campaign, and writing that again gives the same text.
//
// Sandbox: the reader opens the files a campaign names (sequence, leads). Relative names start
// from an empty temporary folder, and an input is skipped when one of its decoded strings names
// something under /dev, /proc, /sys or /run (devices, pipes and files that never end) or holds
// "..". The input is decoded with the reader's own JSON parser and options, so a text this
// parser refuses is refused by the reader too, and skipping it loses nothing.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "outreach/campaign.hpp"
#include "fuzz_promise.hpp"

namespace {

namespace json = boost::json;

using outreach::fuzz::require;

bool names_forbidden_file(std::string_view text) {
  for (const std::string_view part : {"/dev", "/proc", "/sys", "/run", ".."}) {
    if (text.find(part) != std::string_view::npos) return true;
  }
  return false;
}

// Whether `text` parses (as util/json_reader parses) and no string in it is forbidden.
bool is_safe_to_read(std::string_view text) {
  json::parse_options options;
  options.max_depth = 64;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) return false;
  std::vector<json::value> to_visit{parser.release()};
  while (!to_visit.empty()) {
    const json::value value = std::move(to_visit.back());
    to_visit.pop_back();
    if (const auto* string = value.if_string()) {
      if (names_forbidden_file(*string)) return false;
    } else if (const auto* array = value.if_array()) {
      to_visit.insert(to_visit.end(), array->begin(), array->end());
    } else if (const auto* object = value.if_object()) {
      for (const auto& member : *object) {
        if (names_forbidden_file(member.key())) return false;
        to_visit.push_back(member.value());
      }
    }
  }
  return true;
}

const std::filesystem::path& empty_folder() {
  static const std::filesystem::path folder = [] {
    std::string name = (std::filesystem::temp_directory_path() / "outreach-fuzz-campaign-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    return std::filesystem::path(name);
  }();
  return folder;
}

// Whether to_json's documented exception for bounces.pause_rate applies: its shortest decimal
// has more than 15 significant digits or 22 decimal places, so it may read back a unit in the
// last place off.
bool pause_rate_may_round(double rate) {
  // The shortest decimal in scientific form: d.ddd...e±XX, every mantissa digit significant.
  char text[64];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, rate, std::chars_format::scientific);
  if (ec != std::errc{}) return true;
  const std::string_view written(text, static_cast<std::size_t>(end - text));
  const std::size_t e = written.find('e');
  const std::string_view mantissa = written.substr(0, e);
  int exponent = 0;
  std::string_view exponent_text = written.substr(e + 1);
  if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  long significant = 0;
  for (const char c : mantissa) significant += (c >= '0' && c <= '9') ? 1 : 0;
  const long decimals = significant - 1 - exponent;
  return significant > 15 || decimals > 22;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!is_safe_to_read(input)) return 0;
  const auto campaign = outreach::CampaignDefinition::from_json(input, empty_folder());
  if (!campaign) return 0;

  const std::string written = campaign->to_json();
  auto read_back = outreach::CampaignDefinition::from_json(written, empty_folder());
  require(read_back.has_value(), "what to_json writes reads back");
  const std::optional<double> rate = campaign->bounces.pause_rate;
  const std::optional<double> rate_back = read_back->bounces.pause_rate;
  if (rate && rate_back && *rate_back != *rate) {
    // The one documented exception (CampaignDefinition::to_json): a rate whose shortest decimal
    // has more than 15 significant digits or 22 decimal places may read back a unit in the last
    // place off. Anything else is a broken promise; past it, the rest must be equal.
    require(pause_rate_may_round(*rate) && std::nextafter(*rate, *rate_back) == *rate_back,
            "bounces.pause_rate reads back exactly when it has at most 15 significant digits");
    read_back->bounces.pause_rate = rate;
  } else {
    require(read_back->to_json() == written, "to_json is stable");
  }
  require(*read_back == *campaign, "the campaign read back is equal");
  return 0;
}
