// The corpus of received messages (tests/data/inbound): every sample taken in by the campaign
// it answers, its class, kind, match and details checked, and the accuracy printed per class.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/calendar_date.hpp"
#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"

using namespace outreach;

namespace {

const std::filesystem::path corpus_dir = std::filesystem::path(OUTREACH_SOURCE_DIR) / "tests" / "data" / "inbound";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<boost::json::object> read_lines(const std::filesystem::path& path) {
  std::vector<boost::json::object> out;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    boost::system::error_code error;
    auto value = boost::json::parse(line, error);
    REQUIRE_MESSAGE((!error && value.is_object()), path.filename().string() << " line " << number << " is not a JSON object");
    out.push_back(value.as_object());
  }
  return out;
}

// A member as text; "" for null or absent.
std::string text(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<int> number(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || !value->is_int64()) return std::nullopt;
  return static_cast<int>(value->as_int64());
}

std::string day_text(const std::optional<std::chrono::year_month_day>& day) {
  return day ? detail::format_date(*day) : std::string();
}

struct Tally {
  int right = 0;
  int total = 0;
};

}  // namespace

TEST_CASE("inbound corpus: every sample is classified and matched as expected") {
  auto definition = CampaignDefinition::load(corpus_dir / "campaign.json");
  REQUIRE_MESSAGE(definition.has_value(), (definition ? "" : definition.error().to_string()));
  REQUIRE(definition->schedule.start);
  const std::string name = definition->name;
  MemoryStore store;
  DryRunTransport transport;
  ManualClock clock{*definition->schedule.start};
  Engine engine(store, transport, clock);
  REQUIRE(engine.add_campaign(std::move(*definition)));
  REQUIRE(engine.start(name));
  engine.simulate(clock);

  // The samples quote these Message-IDs: the simulation must still give them.
  std::vector<std::string> sent;
  for (const Event& event : store.events()) {
    if (event.type == EventType::sent) sent.push_back(event.message_id + " " + event.lead + " " + std::to_string(event.step));
  }
  std::vector<std::string> recorded;
  for (const auto& line : read_lines(corpus_dir / "sends.jsonl")) {
    recorded.push_back(text(line, "message_id") + " " + text(line, "lead") + " " + std::to_string(number(line, "step").value_or(0)));
  }
  REQUIRE(sent == recorded);

  std::map<std::string, Tally> by_class;  // by expected class
  int wrong = 0;
  for (const auto& expected : read_lines(corpus_dir / "expected.jsonl")) {
    const std::string file = text(expected, "file");
    auto result = engine.ingest(read_file(corpus_dir / file));
    REQUIRE_MESSAGE(result.has_value(), file << ": " << (result ? "" : result.error().to_string()));
    const Classification& found = result->classification;
    const bool matched = result->matched_by != MatchMethod::none;
    const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> checks{
        {"class", {text(expected, "class"), std::string(to_string(found.type))}},
        {"kind", {text(expected, "kind"), found.type == InboundClass::bounce ? (found.hard ? "hard" : "soft") : ""}},
        {"campaign", {text(expected, "campaign"), matched ? result->campaign : ""}},
        {"lead", {text(expected, "lead"), matched ? result->lead : ""}},
        {"step", {number(expected, "step") ? std::to_string(*number(expected, "step")) : "",
                  matched && result->step ? std::to_string(*result->step) : ""}},
        {"matched_by", {text(expected, "matched_by"), std::string(to_string(result->matched_by))}},
        {"return_date", {text(expected, "return_date"), day_text(found.return_date)}},
    };
    bool right = true;
    for (const auto& [field, values] : checks) {
      const auto& [want, got] = values;
      if (field == "matched_by" && want.empty()) continue;
      if (want != got) {
        right = false;
        std::string evidence;
        for (const std::string& clue : found.evidence) evidence += "\n    " + clue;
        FAIL_CHECK(file << ": " << field << " is \"" << got << "\", expected \"" << want << "\"" << evidence);
      }
    }
    if (const std::string recipient = text(expected, "recipient"); !recipient.empty()) {
      CHECK_MESSAGE(found.recipient == recipient, file << ": recipient");
    }
    Tally& tally = by_class[text(expected, "class")];
    ++tally.total;
    tally.right += right;
    wrong += !right;
  }
  std::printf("inbound corpus, per expected class: right / samples\n");
  for (const auto& [type, tally] : by_class) {
    std::printf("  %-12s %3d / %3d  (%.1f%%)\n", type.c_str(), tally.right, tally.total, 100.0 * tally.right / tally.total);
  }
  CHECK(by_class.size() == 6);
  CHECK(wrong == 0);
}
