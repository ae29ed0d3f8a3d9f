// A/B tests that decide: the sequential test alone, then whole campaigns simulated on the
// virtual clock, with replies drawn from known rates as the messages go out.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/ab_test.hpp"
#include "engine/engine_fixture.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach::test {
namespace {

// Under AddressSanitizer a campaign costs many times more: fewer of them (the seeds are fixed,
// so the counts below are the same at every run of a build).
#if defined(__SANITIZE_ADDRESS__)
constexpr int property_campaigns = 100;
#else
constexpr int property_campaigns = 1000;
#endif

TEST_CASE("an A/B test's evidence grows with a real difference and not without one") {
  detail::PairEvidence same;
  detail::PairEvidence apart;
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  for (int i = 0; i < 2000; ++i) {
    same.add(draw(random) < 0.1, draw(random) < 0.1);
    apart.add(draw(random) < 0.1, draw(random) < 0.3);
  }
  CHECK(same.blocks() == 2000);
  CHECK(same.log_e(true) < std::log(40.0));
  CHECK(same.log_e(false) < std::log(40.0));
  CHECK(apart.log_e(false) > std::log(1e6));  // b replies more often
  CHECK(apart.log_e(true) <= 0.0);            // and nothing says a does
  // Identical outcomes on both sides are evidence of nothing.
  detail::PairEvidence twins;
  for (int i = 0; i < 500; ++i) twins.add(i % 7 == 0, i % 7 == 0);
  CHECK(twins.log_e(true) <= 0.0);
  CHECK(twins.log_e(false) <= 0.0);
}

TEST_CASE("a step's A/B test names a winner only among variants with enough settled sends") {
  AbTestSettings settings;
  settings.min_sends = 50;
  detail::StepAbTest test(2, settings);
  for (int i = 0; i < 49; ++i) {
    test.settle(0, false);
    test.settle(1, true);
  }
  CHECK_FALSE(test.winner_now().has_value());  // overwhelming, but 49 each
  test.settle(0, false);
  test.settle(1, true);
  REQUIRE(test.winner_now().has_value());
  CHECK(*test.winner_now() == 1);
  test.win(1);
  CHECK(test.open(1));
  CHECK_FALSE(test.open(0));
  CHECK_FALSE(test.winner_now().has_value());  // decided once
  // A stopped variant leaves the test; the last one standing is not a winner.
  detail::StepAbTest three(3, settings);
  three.stop(2);
  CHECK_FALSE(three.open(2));
  CHECK_FALSE(three.undecided());
  CHECK(three.open(0));
}

TEST_CASE("guardrails stop a variant only past their rate and once it has its sends") {
  AbTestSettings settings;
  settings.min_sends = 100;
  settings.guardrails.bounce_rate = 0.05;
  VariantStats counts;
  counts.sent = 99;
  counts.bounced = 20;
  CHECK_FALSE(detail::breached_guardrail(counts, settings).has_value());  // too few sends yet
  counts.sent = 100;
  counts.bounced = 5;
  CHECK_FALSE(detail::breached_guardrail(counts, settings).has_value());  // at the limit, not over
  counts.bounced = 6;
  const auto breach = detail::breached_guardrail(counts, settings);
  REQUIRE(breach.has_value());
  CHECK(breach->rate == "bounce_rate");
  CHECK(breach->value == doctest::Approx(0.06));
  counts.bounced = 0;
  counts.complained = 1;
  settings.guardrails.complaint_rate = 0.002;
  CHECK(detail::breached_guardrail(counts, settings)->rate == "complaint_rate");
}

// ---- whole campaigns -------------------------------------------------------------------------

struct AbOutcome {
  std::string winner;                 // empty: none named
  std::vector<Event> decisions;       // variant_won and variant_stopped, in order
  std::int64_t sent_after_stop = 0;   // sends of a stopped variant after its stop
  std::int64_t sent_step1 = 0;
};

// 1,200 leads, two steps, variants A and B at step 1 (the test's sample size: about 600 sends
// a variant), two mailboxes of 60 sends a day: step 1 goes out over ten days, step 2 four days
// after each lead's step 1, so the campaign runs until the last step-1 send has settled. Each
// step-1 send is answered with its variant's rate, from an hour to two days later; B's sends
// bounce (hard) with `bounce_b`.
AbOutcome run_ab_campaign(std::uint64_t seed, double rate_a, double rate_b, double bounce_b = 0.0,
                          const std::string& guardrails = "null") {
  const std::string json = R"({"name":"c","seed":)" + std::to_string(seed) + R"(,"sequence":{"steps":[
      {"variants":[{"name":"A","subject":"Hi","text":"Hello {{first_name}}"},
                   {"name":"B","subject":"Quick question","text":"Hey {{first_name}}"}]},
      {"delay":{"days":4},"variants":[{"text":"Again {{first_name}}"}]}]},
      "leads":)" + leads_json(1200) + R"(,"schedule":{"timezone":"UTC","start":"2026-12-01"},
      "mailboxes":[{"id":"m1","from":"m1@acme.example","daily_limit":60},
                   {"id":"m2","from":"m2@acme.example","daily_limit":60}],
      "ab_test":{"metric":"reply_rate","min_sends":100,"confidence":0.95,"reply_window":{"days":3},
                 "guardrails":)" + guardrails + "}}";
  auto definition = CampaignDefinition::from_json(json);
  REQUIRE_MESSAGE(definition.has_value(), (definition ? "" : definition.error().to_string()));
  MemoryStore store;
  DryRunTransport transport;
  ManualClock clock{at("2026-12-01T00:00:00Z")};
  Engine engine{store, transport, clock};
  std::mt19937_64 random(seed ^ 0x5eed);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  std::uniform_int_distribution<int> minutes(60, 48 * 60);
  AbOutcome outcome;
  std::vector<std::string> stopped;
  engine.on_event([&](const Event& event) {
    if (event.type == EventType::variant_won) outcome.winner = event.variant;
    if (event.type == EventType::variant_won || event.type == EventType::variant_stopped) outcome.decisions.push_back(event);
    if (event.type == EventType::variant_stopped) stopped.push_back(event.variant);
    if (event.type != EventType::sent || event.step != 1) return;
    ++outcome.sent_step1;
    if (std::find(stopped.begin(), stopped.end(), event.variant) != stopped.end()) ++outcome.sent_after_stop;
    const bool b = event.variant == "B";
    if (b && draw(random) < bounce_b) {
      InboundEvent bounce;
      bounce.at = event.at + std::chrono::minutes(10);
      bounce.lead = event.lead;
      bounce.type = InboundType::bounce;
      REQUIRE(engine.apply(bounce));
      return;
    }
    if (draw(random) < (b ? rate_b : rate_a)) {
      InboundEvent reply;
      reply.at = event.at + std::chrono::minutes(minutes(random));
      reply.lead = event.lead;
      reply.step = 1;
      REQUIRE(engine.apply(reply));
    }
  });
  REQUIRE(engine.add_campaign(std::move(*definition)));
  REQUIRE(engine.start("c"));
  engine.simulate(clock, at("2027-01-15T00:00:00Z"));
  return outcome;
}

TEST_CASE("A/A: variants with equal reply rates name a false winner in at most 5% of campaigns") {
  int false_winners = 0;
  for (int i = 0; i < property_campaigns; ++i) {
    if (!run_ab_campaign(1000 + static_cast<std::uint64_t>(i), 0.10, 0.10).winner.empty()) ++false_winners;
  }
  const double rate = static_cast<double>(false_winners) / property_campaigns;
  MESSAGE("A/A at 10%: a winner named in " << false_winners << " of " << property_campaigns << " campaigns ("
                                           << rate * 100 << "%)");
  CHECK(rate <= 0.05);
}

TEST_CASE("a 2x lift in reply rate names the right winner in at least 90% of campaigns") {
  int right = 0;
  int wrong = 0;
  for (int i = 0; i < property_campaigns; ++i) {
    const AbOutcome outcome = run_ab_campaign(5000 + static_cast<std::uint64_t>(i), 0.10, 0.20);
    if (outcome.winner == "B") ++right;
    if (outcome.winner == "A") ++wrong;
  }
  const double rate = static_cast<double>(right) / property_campaigns;
  MESSAGE("10% against 20% over about 600 sends a variant: B named in " << right << " of " << property_campaigns
                                                                       << " campaigns (" << rate * 100 << "%), A in "
                                                                       << wrong);
  CHECK(rate >= 0.90);
  CHECK(wrong <= property_campaigns / 100);
}

TEST_CASE("a variant over its bounce guardrail is stopped at once, whatever its replies") {
  const int campaigns = property_campaigns / 10;
  int stopped = 0;
  for (int i = 0; i < campaigns; ++i) {
    // B answers twice as often, but one send in ten bounces: over the 5% guardrail.
    const AbOutcome outcome = run_ab_campaign(9000 + static_cast<std::uint64_t>(i), 0.10, 0.20, 0.10,
                                              R"({"bounce_rate":0.05})");
    REQUIRE_FALSE(outcome.decisions.empty());
    const Event& first = outcome.decisions.front();
    if (first.type == EventType::variant_stopped && first.variant == "B" && first.reason == "bounce_rate") ++stopped;
    CHECK(outcome.winner.empty());  // A alone is left: not a winner of a test
    CHECK(outcome.sent_after_stop == 0);
  }
  MESSAGE("B (10% bounces, 5% guardrail) stopped in " << stopped << " of " << campaigns << " campaigns");
  CHECK(stopped == campaigns);
}

// The reply a send gets, as a function of the send alone (its lead and its variant), so that a
// run resumed from its store is answered as the run that never stopped: A's at 10%, B's at 40%.
std::optional<InboundEvent> reply_to(const Event& sent) {
  if (sent.type != EventType::sent || sent.step != 1) return std::nullopt;
  const std::uint64_t hash = std::hash<std::string>{}(sent.lead + "/" + sent.variant);
  if (static_cast<double>(hash % 1000) >= (sent.variant == "B" ? 400.0 : 100.0)) return std::nullopt;
  InboundEvent reply;
  reply.at = sent.at + std::chrono::minutes(60 + static_cast<int>((hash / 1000) % (47 * 60)));
  reply.lead = sent.lead;
  reply.step = 1;
  return reply;
}

TEST_CASE("an A/B campaign resumed from its SQLite store decides at the same instant as one that never stopped") {
  const TempDir dir("ab-resume");
  const std::string json = R"({"name":"c","seed":77,"sequence":{"steps":[
      {"variants":[{"name":"A","subject":"Hi","text":"Hello {{first_name}}"},
                   {"name":"B","subject":"Quick question","text":"Hey {{first_name}}"}]},
      {"delay":{"days":4},"variants":[{"text":"Again {{first_name}}"}]}]},
      "leads":)" + leads_json(400) + R"(,"schedule":{"timezone":"UTC","start":"2026-12-01"},
      "mailboxes":[{"id":"m1","from":"m1@acme.example","daily_limit":40}],
      "ab_test":{"min_sends":30,"reply_window":{"days":2}}})";
  const auto definition = CampaignDefinition::from_json(json);
  REQUIRE(definition.has_value());
  const Instant end = at("2027-01-10T00:00:00Z");
  // Runs to `end`, stopping at each of `stops` and resuming from the store with a new engine.
  const auto run = [&](const std::filesystem::path& path, const std::vector<Instant>& stops) {
    ManualClock clock{at("2026-12-01T00:00:00Z")};
    std::optional<Instant> resumed_after;
    for (std::size_t leg = 0; leg <= stops.size(); ++leg) {
      auto store = SqliteStore::open(path);
      REQUIRE(store);
      DryRunTransport transport;
      Engine engine{**store, transport, clock};
      engine.on_event([&](const Event& event) {
        if (auto reply = reply_to(event)) REQUIRE(engine.apply(*reply));
      });
      if (leg == 0) {
        REQUIRE(engine.add_campaign(*definition));
        REQUIRE(engine.start("c"));
      } else {
        REQUIRE(restore_campaigns(engine, **store));
        // The replies the stopped engine had queued and not yet seen arrive.
        (*store)->for_each_event("c", [&](const Event& event) {
          if (auto reply = reply_to(event); reply && reply->at > *resumed_after) REQUIRE(engine.apply(*reply));
        });
      }
      const Instant until = leg < stops.size() ? stops[leg] : end;
      engine.simulate(clock, until);
      resumed_after = until;
    }
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    std::string log;
    (*store)->for_each_event("c", [&](const Event& event) { log += to_json_line(event) + "\n"; });
    return log;
  };
  const std::string whole = run(dir.path / "whole.db", {});
  REQUIRE(whole.find("\"variant_won\"") != std::string::npos);
  const auto won_at = whole.find("\"variant_won\"");
  MESSAGE("decided: " << whole.substr(won_at, whole.find('\n', won_at) - won_at).substr(0, 120));
  // Stopped before the decision (2026-12-05T00:00:00Z with this seed), at its instant, and after.
  const std::string resumed = run(dir.path / "resumed.db", {at("2026-12-04T10:00:00Z"), at("2026-12-05T00:00:00Z"),
                                                            at("2026-12-06T00:00:00Z"), at("2026-12-09T13:30:00Z")});
  CHECK(resumed == whole);
}

}  // namespace
}  // namespace outreach::test

namespace outreach::test {
namespace {

TEST_CASE("a restart with other A/B settings than the stored campaign's is refused, but for its guardrails") {
  const TempDir dir("ab-settings");
  const auto campaign = [](const std::string& ab_test) {
    return definition(leads_json(20), R"(,"ab_test":)" + ab_test);
  };
  {
    auto store = SqliteStore::open(dir.path / "s.db");
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-01T09:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(campaign(R"({"confidence":0.95})")));
    REQUIRE(engine.start("c"));
    engine.simulate(clock, at("2026-12-01T10:00:00Z"));
  }
  const auto restart = [&](const std::string& ab_test) {
    auto store = SqliteStore::open(dir.path / "s.db");
    REQUIRE(store);
    DryRunTransport transport;
    ManualClock clock{at("2026-12-01T10:00:00Z")};
    Engine engine{**store, transport, clock};
    REQUIRE(engine.add_campaign(campaign(ab_test)));
    return engine.start("c");
  };
  const auto refused = restart(R"({"confidence":0.9})");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("ab_test cannot change once the campaign started") != std::string::npos);
  CHECK(restart(R"({"confidence":0.95,"guardrails":{"bounce_rate":0.1}})").has_value());
}

}  // namespace
}  // namespace outreach::test
