// A/B tests that decide: what the engine records when a step's test names its winner or a
// variant goes over a guardrail (the test itself is ab_test.hpp).
#include <boost/json.hpp>

#include <cmath>

#include "engine/engine_state.hpp"

namespace outreach {

namespace {

namespace json = boost::json;

double rounded(double value, double scale) { return std::round(value * scale) / scale; }

// The step's test as the decision's evidence: each variant's counts and rates, and each pair's
// evidence against equal rates with the level it had to reach.
std::string evidence_of(detail::CampaignState& c, const detail::StepAbTest& test, int step) {
  const Sequence* sequence = c.sequence_with_step(step);
  json::array variants;
  for (std::size_t v = 0; v < test.variants(); ++v) {
    const VariantStats* counts = c.analytics.variant_at(step, v);
    const VariantStats none;
    const VariantStats& n = counts ? *counts : none;
    const std::int64_t settled = test.settled(v);
    variants.push_back(json::object{
        {"name", sequence->step(step).variants[v].name},
        {"open", test.open(v)},
        {"sent", n.sent},
        {"settled", settled},
        {"replied", test.replied(v)},
        {"reply_rate", settled == 0 ? 0.0 : rounded(static_cast<double>(test.replied(v)) / static_cast<double>(settled), 1e4)},
        {"bounced", n.bounced},
        {"bounce_rate", rounded(n.rate(n.bounced), 1e4)},
        {"unsubscribed", n.unsubscribed},
        {"unsubscribe_rate", rounded(n.rate(n.unsubscribed), 1e4)},
        {"complained", n.complained},
        {"complaint_rate", rounded(n.rate(n.complained), 1e4)}});
  }
  json::array pairs;
  for (std::size_t better = 0; better < test.variants(); ++better) {
    for (std::size_t than = 0; than < test.variants(); ++than) {
      if (better == than) continue;
      pairs.push_back(json::object{{"better", sequence->step(step).variants[better].name},
                                   {"than", sequence->step(step).variants[than].name},
                                   {"blocks", test.blocks(better, than)},
                                   {"e_value", rounded(std::exp(std::min(test.log_e(better, than), 700.0)), 100)}});
    }
  }
  const AbTestSettings& settings = c.ab_tests.settings();
  return json::serialize(json::object{{"metric", "reply_rate"},
                                      {"confidence", settings.confidence},
                                      {"min_sends", settings.min_sends},
                                      {"e_value_needed", rounded(std::exp(test.log_threshold()), 100)},
                                      {"variants", std::move(variants)},
                                      {"pairs", std::move(pairs)}});
}

Event decision(EventType type, Instant now, detail::CampaignState& c, const detail::StepAbTest& test, int step,
               std::size_t variant, std::string reason) {
  Event event = detail::campaign_event(type, now, c, std::move(reason));
  event.step = step;
  event.variant = c.sequence_with_step(step)->step(step).variants[variant].name;
  event.evidence = evidence_of(c, test, step);
  return event;
}

}  // namespace

void Engine::State::run_ab_tests(detail::CampaignState& c, Instant now) {
  if (!c.ab_tests.on()) return;
  c.ab_tests.settle_until(now);
  for (int step = 1; static_cast<std::size_t>(step) <= c.step_count(); ++step) {
    detail::StepAbTest* test = c.ab_tests.step(step);
    if (!test || test->winner()) continue;
    // A breach the engine stopped before recording (it went down between the two).
    stop_over_guardrails(c, step, now);
    if (const auto winner = test->winner_now()) {
      record_campaign(c, decision(EventType::variant_won, now, c, *test, step, *winner, "reply_rate"));
    }
  }
}

void Engine::State::stop_over_guardrails(detail::CampaignState& c, int step, Instant now) {
  detail::StepAbTest* test = c.ab_tests.step(step);
  if (!test || test->winner()) return;
  for (std::size_t v = 0; v < test->variants(); ++v) {
    const std::size_t open = static_cast<std::size_t>(
        std::count(test->open_variants().begin(), test->open_variants().end(), true));
    if (!test->open(v) || open < 2) continue;
    const VariantStats* counts = c.analytics.variant_at(step, v);
    if (!counts) continue;
    if (const auto breach = detail::breached_guardrail(*counts, c.ab_tests.settings())) {
      record_campaign(c, decision(EventType::variant_stopped, now, c, *test, step, v, std::string(breach->rate)));
    }
  }
}

}  // namespace outreach
