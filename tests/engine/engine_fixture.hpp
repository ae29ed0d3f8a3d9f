// A campaign's state and its mailboxes, built as the engine builds them, for the tests of the
// engine's pure parts: leads entered, campaign running, nothing sent. And what the tests of a
// whole engine share: a started campaign on a memory store, a folder of their own.
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "engine/campaign_state.hpp"
#include "engine/mailbox_pool.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/request.hpp"

namespace outreach::test {

inline Instant at(const char* text) { return *parse_instant(text); }

/// The answer to a request of a store, which must have been answered.
inline RequestAnswer answer_of(const Store& store, std::int64_t id) {
  const auto stored = store.request(id);
  REQUIRE(stored.has_value());
  REQUIRE(stored->answered.has_value());
  auto answer = request_answer_from_json(stored->answer);
  REQUIRE(answer.has_value());
  return *answer;
}

inline std::string leads_json(int count, const char* domain = "example.com") {
  std::string out = "[";
  for (int i = 0; i < count; ++i) {
    if (i) out += ",";
    out += R"({"email":"lead)" + std::to_string(i) + "@" + domain + R"(","first_name":"L)" + std::to_string(i) + "\"}";
  }
  return out + "]";
}

inline CampaignDefinition definition(const std::string& leads, const std::string& extra = "",
                                     const std::string& schedule = R"({"timezone":"UTC","start":"2026-12-01"})",
                                     const std::string& mailboxes =
                                         R"([{"id":"m1","from":"m1@acme.example","daily_limit":1000}])") {
  const std::string json = R"({"name":"c","sequence":{"steps":[
      {"variants":[{"subject":"Hi","text":"Hello {{first_name}}"}]},
      {"delay":{"days":2},"variants":[{"text":"Again {{first_name}}"}]}]},"leads":)" +
                           leads + R"(,"schedule":)" + schedule + R"(,"mailboxes":)" + mailboxes + extra + "}";
  auto loaded = CampaignDefinition::from_json(json);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().to_string()));
  return std::move(*loaded);
}

/// A folder of the test's own, empty, removed with everything in it at the end.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("outreach-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// A campaign (named "c") started at 2026-12-01 09:00 UTC on a memory store, sending through a
/// memory transport that answers as `script` says (accepts by default).
struct StartedCampaign {
  MemoryStore store;
  MemoryTransport transport;
  ManualClock clock{at("2026-12-01T09:00:00Z")};
  Engine engine{store, transport, clock};

  explicit StartedCampaign(CampaignDefinition campaign, MemoryTransport::Script script = {})
      : transport(std::move(script)) {
    REQUIRE(engine.add_campaign(std::move(campaign)));
    REQUIRE(engine.start("c"));
  }
  /// Runs the engine on its clock up to `until`.
  void run_until(const char* until) { engine.simulate(clock, at(until)); }
};

struct CampaignFixture {
  detail::CampaignState campaign;
  detail::MailboxPool mailboxes;

  explicit CampaignFixture(CampaignDefinition def, Instant entered = at("2026-12-01T00:00:00Z"))
      : campaign(std::move(def)) {
    REQUIRE(campaign.leads.load(campaign.def.leads).has_value());
    for (const Mailbox& mailbox : campaign.def.mailboxes) {
      bool replaced = false;
      campaign.mailboxes.push_back(mailboxes.add(mailbox, campaign.def.schedule.timezone, nullptr, false, replaced));
    }
    campaign.leads.enter(campaign.def.leads, campaign.def.schedule, campaign.def.sequence.step(1).delay, entered);
    campaign.status = detail::CampaignStatus::running;
  }

  Event event(EventType type, Instant when, std::uint32_t lead, int step = 0) const {
    return detail::lead_event(type, when, campaign, lead, step);
  }
};

}  // namespace outreach::test
