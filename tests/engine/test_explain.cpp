// Explaining a lead: the constraints asked of the checks that decide sends, and the earliest
// instant its next step goes, compared with the instant the engine then really sends it. And
// forecasting a campaign, compared with what the engine then really sends.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/engine_fixture.hpp"
#include "outreach/explain.hpp"
#include "outreach/forecast.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr int explained_campaigns = 8;
#else
constexpr int explained_campaigns = 40;
#endif

bool holds(const LeadExplanation& explained, const std::string& reason) {
  return std::any_of(explained.held_by.begin(), explained.held_by.end(),
                     [&](const Hold& hold) { return hold.reason == reason; });
}

const Hold& hold_of(const LeadExplanation& explained, const std::string& reason) {
  const auto found = std::find_if(explained.held_by.begin(), explained.held_by.end(),
                                  [&](const Hold& hold) { return hold.reason == reason; });
  REQUIRE(found != explained.held_by.end());
  return *found;
}

TEST_CASE("explain names what holds a lead: the hours, the delay, the mailbox's limit and spacing, the queue") {
  const TempDir dir("explain-holds");
  const auto path = dir.path / "s.db";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    // Two sends a day, ten minutes apart, from 09:00 to 17:00 UTC.
    REQUIRE(engine.add_campaign(definition(leads_json(4), "",
                                           R"({"timezone":"UTC","start":"2026-12-01","hours":["09:00-17:00"]})",
                                           R"([{"id":"m1","from":"m1@acme.example","daily_limit":2,
                                                "min_interval":{"minutes":10}}])")));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T12:00:00Z"));
  }
  auto store = SqliteStore::open(path, {.access = StoreAccess::read});
  REQUIRE(store);
  // The last event is lead1's step 1 at 09:10: then lead0 waits for its delay, lead2 for the
  // mailbox's day, lead3 behind lead2 in the list.
  const auto waiting = explain_lead(**store, "c", "lead0@example.com");
  REQUIRE(waiting.has_value());
  CHECK(waiting->at == at("2026-12-01T09:10:00Z"));
  CHECK(waiting->status == "active");
  CHECK(waiting->next_step == 2);
  CHECK(hold_of(*waiting, "delay").until == at("2026-12-03T09:00:00Z"));
  CHECK(waiting->history.size() == 1);
  const auto full = explain_lead(**store, "c", "LEAD2@example.com");
  REQUIRE(full.has_value());
  CHECK(full->status == "pending");
  CHECK(full->next_step == 1);
  CHECK(hold_of(*full, "mailbox_daily_limit").until == at("2026-12-02T00:00:00Z"));
  CHECK(hold_of(*full, "min_interval").until == at("2026-12-01T09:20:00Z"));
  CHECK_FALSE(holds(*full, "queued"));
  CHECK(full->earliest == at("2026-12-02T09:00:00Z"));  // the next day's opening
  const auto behind = explain_lead(**store, "c", "lead3@example.com");
  REQUIRE(behind.has_value());
  CHECK(holds(*behind, "queued"));
  CHECK(behind->earliest == at("2026-12-02T09:10:00Z"));
  // Asked about the evening: outside the hours too, until the next morning.
  const auto evening = explain_lead(**store, "c", "lead2@example.com", at("2026-12-01T20:00:00Z"));
  REQUIRE(evening.has_value());
  CHECK(hold_of(*evening, "schedule").until == at("2026-12-02T09:00:00Z"));
  CHECK(holds(*evening, "mailbox_daily_limit"));  // the mailbox's day ends at midnight
  // The JSON has the keys the command line's --json promises.
  const std::string json = to_json(*full);
  for (const char* key : {"\"status\":", "\"next_step\":", "\"earliest\":", "\"held_by\":", "\"history\":"}) {
    CHECK(json.find(key) != std::string::npos);
  }
  // Bad questions: an unknown lead, an instant before the last event.
  CHECK(explain_lead(**store, "c", "nobody@example.com").error().code() == Errc::not_found);
  CHECK(explain_lead(**store, "nope", "lead0@example.com").error().code() == Errc::not_found);
  CHECK(explain_lead(**store, "c", "lead0@example.com", at("2026-12-01T09:00:00Z")).error().code() ==
        Errc::invalid_argument);
}

TEST_CASE("explain names a send a lost connection left in doubt, and a paused campaign") {
  const TempDir dir("explain-doubt");
  const auto path = dir.path / "s.db";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    // The first send's connection is lost after its data: it may have gone.
    MemoryTransport transport([](const Mailbox&, const Message&) {
      SendOutcome outcome;
      outcome.kind = SendOutcome::Kind::temporary;
      outcome.reason = "the connection was lost after the end of the message";
      outcome.maybe_delivered = true;
      return outcome;
    });
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(definition(leads_json(1))));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T09:00:00Z"));
    REQUIRE(engine.pause("c"));
  }
  auto store = SqliteStore::open(path, {.access = StoreAccess::read});
  REQUIRE(store);
  const auto explained = explain_lead(**store, "c", "lead0@example.com");
  REQUIRE_MESSAGE(explained.has_value(), (explained ? "" : explained.error().to_string()));
  CHECK(holds(*explained, "in_doubt"));
  CHECK(holds(*explained, "campaign_paused"));
  CHECK_FALSE(explained->earliest.has_value());  // paused: nothing goes until it is resumed
}

// A campaign drawn from `seed`: leads in several zones, one to three mailboxes with limits,
// spacing and sometimes a ramp, sending hours and days, campaign caps, two or three steps.
std::string random_campaign(std::uint64_t seed) {
  std::mt19937_64 random(seed);
  const auto between = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
  const char* zones[] = {"UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"};
  std::string leads = "[";
  const int lead_count = between(20, 90);
  for (int i = 0; i < lead_count; ++i) {
    leads += std::string(i ? "," : "") + R"({"email":"lead)" + std::to_string(i) + R"(@example.com","first_name":"L",)" +
             R"("timezone":")" + zones[between(0, 4)] + "\"}";
  }
  leads += "]";
  std::string mailboxes = "[";
  const int mailbox_count = between(1, 3);
  for (int m = 0; m < mailbox_count; ++m) {
    mailboxes += std::string(m ? "," : "") + R"({"id":"m)" + std::to_string(m) + R"(","from":"m)" + std::to_string(m) +
                 R"(@acme.example","daily_limit":)" + std::to_string(between(3, 30)) + R"(,"min_interval":{"minutes":)" +
                 std::to_string(between(0, 40)) + "}" +
                 (between(0, 2) == 0 ? R"(,"ramp":{"start":2,"step":2})" : "") + "}";
  }
  mailboxes += "]";
  const int open = between(6, 10);
  std::string schedule = R"({"timezone":")" + std::string(zones[between(0, 4)]) + R"(","start":"2026-12-01",)" +
                         R"("lead_timezone":)" + (between(0, 1) ? "true" : "false") + R"(,"hours":[")" +
                         (open < 10 ? "0" : "") + std::to_string(open) + R"(:00-17:30"])" +
                         (between(0, 1) ? R"(,"days":["mon","tue","wed","thu","fri"])" : "") +
                         (between(0, 2) == 0 ? R"(,"skip_dates":["2026-12-03"])" : "") + "}";
  std::string steps = R"({"steps":[{"variants":[{"subject":"Hi","text":"Hello"},{"subject":"Hey","text":"Yo"}]})";
  const int step_count = between(2, 3);
  for (int k = 1; k < step_count; ++k) {
    steps += R"(,{"delay":{"days":)" + std::to_string(between(0, 3)) + R"(,"hours":)" + std::to_string(between(0, 20)) +
             R"(},"variants":[{"text":"Again"}]})";
  }
  steps += "]}";
  std::string limits = between(0, 1) ? R"(,"limits":{"sends_per_day":)" + std::to_string(between(5, 40)) +
                                           R"(,"new_leads_per_day":)" + std::to_string(between(3, 30)) + "}"
                                     : "";
  return R"({"name":"c","seed":)" + std::to_string(seed) + R"(,"sequence":)" + steps + R"(,"leads":)" + leads +
         R"(,"schedule":)" + schedule + R"(,"mailboxes":)" + mailboxes + limits + "}";
}

// Simulates the campaign from 2026-12-01 into a new store at `path` until `stop`: its summary then.
Summary simulate_into(const std::filesystem::path& path, const CampaignDefinition& campaign, Instant stop) {
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{**store, transport, clock};
  REQUIRE(engine.add_campaign(campaign));
  REQUIRE(engine.start("c"));
  engine.simulate(clock, stop);
  return engine.summary();
}

// Resumes the store's campaigns at `from` and runs them to their end: the events of the run and
// the summary at the end.
std::pair<std::vector<Event>, Summary> go_on(const std::filesystem::path& path, Instant from) {
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  DryRunTransport transport;
  ManualClock clock{from};
  Engine engine{**store, transport, clock};
  std::vector<Event> events;
  engine.on_event([&](const Event& event) { events.push_back(event); });
  REQUIRE(restore_campaigns(engine, **store));
  engine.simulate(clock, from + std::chrono::days(400));
  return {std::move(events), engine.summary()};
}

TEST_CASE("the explained earliest instant is the instant the engine then sends, over random campaigns") {
  const TempDir dir("explain-earliest");
  int compared = 0;
  int held = 0;
  for (int i = 0; i < explained_campaigns; ++i) {
    const std::uint64_t seed = 4200 + static_cast<std::uint64_t>(i);
    CAPTURE(seed);
    auto definition_of = CampaignDefinition::from_json(random_campaign(seed));
    REQUIRE_MESSAGE(definition_of.has_value(), (definition_of ? "" : definition_of.error().to_string()));
    const auto path = dir.path / ("c" + std::to_string(i) + ".db");
    std::mt19937_64 random(seed);
    const Instant stop = at("2026-12-01T00:00:00Z") + std::chrono::minutes(std::uniform_int_distribution<int>(600, 8000)(random));
    (void)simulate_into(path, *definition_of, stop);
    // Some leads, explained from the stored state.
    std::vector<LeadExplanation> explained;
    {
      auto store = SqliteStore::open(path, {.access = StoreAccess::read});
      REQUIRE(store);
      for (int pick = 0; pick < 6; ++pick) {
        const std::size_t lead = std::uniform_int_distribution<std::size_t>(0, definition_of->leads.size() - 1)(random);
        auto explanation = explain_lead(**store, "c", definition_of->leads[lead].email);
        REQUIRE_MESSAGE(explanation.has_value(), (explanation ? "" : explanation.error().to_string()));
        if (!explanation->held_by.empty()) ++held;
        explained.push_back(std::move(*explanation));
      }
    }
    // The engine goes on from the store, as `outreach run` or `simulate` would.
    const std::vector<Event> later = go_on(path, explained.front().at).first;
    for (const LeadExplanation& explanation : explained) {
      if (!explanation.next_step) continue;
      std::optional<Instant> sent;
      for (const Event& event : later) {
        if (event.type == EventType::sent && event.lead == explanation.lead && event.step == *explanation.next_step) {
          sent = event.at;
          break;
        }
      }
      CHECK_MESSAGE(sent == explanation.earliest, explanation.lead << " step " << *explanation.next_step << ": "
                                                                   << to_text(explanation));
      ++compared;
    }
  }
  MESSAGE(compared << " leads of " << explained_campaigns << " random campaigns explained and then sent; " << held
                   << " explanations held by something");
  CHECK(compared > explained_campaigns);
}

TEST_CASE("a forecast's days are the sends the engine then makes, over random campaigns") {
  const TempDir dir("forecast");
  int forecasts = 0;
  std::int64_t sends = 0;
  for (int i = 0; i < explained_campaigns / 2; ++i) {
    const std::uint64_t seed = 7700 + static_cast<std::uint64_t>(i);
    CAPTURE(seed);
    auto definition_of = CampaignDefinition::from_json(random_campaign(seed));
    REQUIRE(definition_of.has_value());
    const auto path = dir.path / ("f" + std::to_string(i) + ".db");
    std::mt19937_64 random(seed);
    const Instant stop = at("2026-12-01T00:00:00Z") + std::chrono::minutes(std::uniform_int_distribution<int>(0, 8000)(random));
    const Summary partway = simulate_into(path, *definition_of, stop);
    std::map<std::pair<std::string, std::string>, std::int64_t> before;
    for (const DaySends& day : partway.campaigns.at(0).days) before[{day.date, day.mailbox}] = day.sent;
    CampaignForecast forecast;
    {
      auto store = SqliteStore::open(path, {.access = StoreAccess::read});
      REQUIRE(store);
      auto made = forecast_campaign(**store, "c");
      REQUIRE_MESSAGE(made.has_value(), (made ? "" : made.error().to_string()));
      forecast = std::move(*made);
      // Replies take sends away, never add any; the same rate gives the same forecast.
      const auto answered = forecast_campaign(**store, "c", {.from = std::nullopt, .reply_rate = 0.3});
      REQUIRE(answered.has_value());
      CHECK(answered->sends <= forecast.sends);
      CHECK(to_json(*answered) == to_json(*forecast_campaign(**store, "c", {.from = std::nullopt, .reply_rate = 0.3})));
    }
    // The engine goes on from the store: what it sends per day and mailbox is the forecast.
    const auto [events, summary] = go_on(path, forecast.from);
    std::map<std::pair<std::string, std::string>, std::int64_t> after;
    for (const DaySends& day : summary.campaigns.at(0).days) after[{day.date, day.mailbox}] = day.sent;
    std::optional<Instant> last_send;
    for (const Event& event : events) {
      if (event.type == EventType::sent) last_send = event.at;
    }
    std::vector<DaySends> sent;
    for (const auto& [key, count] : after) {
      const std::int64_t more = count - (before.count(key) ? before.at(key) : 0);
      if (more > 0) sent.push_back(DaySends{key.first, key.second, more});
    }
    REQUIRE(sent.size() == forecast.days.size());
    for (std::size_t d = 0; d < sent.size(); ++d) {
      CHECK(sent[d].date == forecast.days[d].date);
      CHECK(sent[d].mailbox == forecast.days[d].mailbox);
      CHECK(sent[d].sent == forecast.days[d].sent);
    }
    CHECK(forecast.ends == (forecast.sends > 0 ? last_send : std::nullopt));
    sends += forecast.sends;
    ++forecasts;
  }
  MESSAGE(forecasts << " random campaigns forecast, " << sends << " sends to come, each day as the engine then sent it");
}

}  // namespace
}  // namespace outreach::test
