#include "engine/ab_test.hpp"

#include <algorithm>
#include <cmath>

namespace outreach::detail {

namespace {

// The log-likelihood of one outcome at rate `p`.
double log_likelihood(bool replied, double p) noexcept { return std::log(replied ? p : 1.0 - p); }

}  // namespace

// Each side's rate as its blocks so far predict it (Krichevsky–Trofimov: half a reply and half
// a silence before the first block, so that no rate is 0 or 1), against the common rate halfway
// between; a block counts for "a better" only while the predictions favour a (else its factor is
// 1), and the same for b. With r the midpoint, d >= 0 half the gap, k = d / (r (1 - r)) and true
// rates p_a <= p_b, the block's expected factor is (1 + k (p_a - r)) (1 - k (p_b - r)) <= 1.
void PairEvidence::add(bool a_replied, bool b_replied) noexcept {
  const double seen = static_cast<double>(blocks_) + 1.0;
  const double rate_a = (static_cast<double>(replied_a_) + 0.5) / seen;
  const double rate_b = (static_cast<double>(replied_b_) + 0.5) / seen;
  const double common = (rate_a + rate_b) / 2.0;
  const double ratio = log_likelihood(a_replied, rate_a) + log_likelihood(b_replied, rate_b) -
                       log_likelihood(a_replied, common) - log_likelihood(b_replied, common);
  if (rate_a > rate_b) log_e_a_ += ratio;
  if (rate_b > rate_a) log_e_b_ += ratio;
  ++blocks_;
  replied_a_ += a_replied ? 1 : 0;
  replied_b_ += b_replied ? 1 : 0;
}

std::optional<GuardrailBreach> breached_guardrail(const VariantStats& counts, const AbTestSettings& settings) {
  if (counts.sent < std::max<std::int64_t>(settings.min_sends, 1)) return std::nullopt;
  const struct {
    std::string_view rate;
    std::optional<double> limit;
    std::int64_t count;
  } rails[] = {{"bounce_rate", settings.guardrails.bounce_rate, counts.bounced},
               {"unsubscribe_rate", settings.guardrails.unsubscribe_rate, counts.unsubscribed},
               {"complaint_rate", settings.guardrails.complaint_rate, counts.complained}};
  for (const auto& rail : rails) {
    if (!rail.limit) continue;
    const double value = counts.rate(rail.count);
    if (value > *rail.limit) return GuardrailBreach{rail.rate, value, *rail.limit};
  }
  return std::nullopt;
}

StepAbTest::StepAbTest(std::size_t variants, const AbTestSettings& settings)
    : min_sends_(std::max<std::int64_t>(settings.min_sends, 1)),
      outcomes_(variants),
      replied_(variants, 0),
      pairs_(variants * (variants - 1) / 2),
      open_(variants, true) {
  // Every ordered pair is tested at alpha over their number, so that naming a winner that does
  // not reply more often than another has a chance of at most alpha in all.
  const double alpha = std::clamp(1.0 - settings.confidence, 1e-12, 1.0);
  log_threshold_ = std::log(static_cast<double>(std::max<std::size_t>(2 * pairs_.size(), 1)) / alpha);
}

std::size_t StepAbTest::pair_index(std::size_t a, std::size_t b) const noexcept {
  if (a > b) std::swap(a, b);
  const std::size_t n = open_.size();
  return a * (2 * n - a - 1) / 2 + (b - a - 1);
}

double StepAbTest::log_e(std::size_t better, std::size_t than) const noexcept {
  return pairs_[pair_index(better, than)].log_e(better < than);
}

std::int64_t StepAbTest::blocks(std::size_t a, std::size_t b) const noexcept { return pairs_[pair_index(a, b)].blocks(); }

// Blocks as far as both sides have settled sends: the i-th of each.
void StepAbTest::advance(std::size_t a, std::size_t b) {
  if (a > b) std::swap(a, b);
  PairEvidence& pair = pairs_[pair_index(a, b)];
  const auto paired = std::min(outcomes_[a].size(), outcomes_[b].size());
  for (auto i = static_cast<std::size_t>(pair.blocks()); i < paired; ++i) pair.add(outcomes_[a][i], outcomes_[b][i]);
}

void StepAbTest::settle(std::size_t variant, bool replied) {
  if (variant >= open_.size() || !open(variant)) return;
  outcomes_[variant].push_back(replied);
  replied_[variant] += replied ? 1 : 0;
  for (std::size_t other = 0; other < open_.size(); ++other) {
    if (other != variant && open(other)) advance(variant, other);
  }
}

void StepAbTest::stop(std::size_t variant) {
  if (variant < open_.size()) open_[variant] = false;
}

void StepAbTest::win(std::size_t variant) {
  if (variant < open_.size()) winner_ = variant;
}

bool StepAbTest::undecided() const noexcept {
  return !winner_ && std::all_of(open_.begin(), open_.end(), [](bool open) { return open; });
}

std::optional<std::size_t> StepAbTest::winner_now() const {
  if (winner_) return std::nullopt;
  const auto ready = [&](std::size_t v) { return open_[v] && settled(v) >= min_sends_; };
  std::size_t open_count = 0;
  for (std::size_t v = 0; v < open_.size(); ++v) open_count += open_[v] ? 1 : 0;
  if (open_count < 2) return std::nullopt;
  for (std::size_t v = 0; v < open_.size(); ++v) {
    if (!ready(v)) continue;
    bool beats_all = true;
    for (std::size_t other = 0; other < open_.size() && beats_all; ++other) {
      if (other == v || !open_[other]) continue;
      beats_all = ready(other) && log_e(v, other) >= log_threshold_;
    }
    if (beats_all) return v;
  }
  return std::nullopt;
}

CampaignAbTests::CampaignAbTests(const Sequence& sequence, const std::optional<AbTestSettings>& settings)
    : settings_(settings) {
  take_version(sequence);
}

void CampaignAbTests::take_version(const Sequence& sequence) {
  if (!settings_) return;
  const auto& steps = sequence.steps();
  steps_.resize(std::max(steps_.size(), steps.size()));
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::size_t variants = steps[i].variants.size();
    if (variants < 2) {
      steps_[i].reset();
    } else if (!steps_[i] || steps_[i]->variants() != variants) {
      steps_[i].emplace(variants, *settings_);
    }
  }
}

StepAbTest* CampaignAbTests::step(int step) noexcept {
  if (step < 1 || static_cast<std::size_t>(step) > steps_.size() || !steps_[static_cast<std::size_t>(step - 1)]) return nullptr;
  return &*steps_[static_cast<std::size_t>(step - 1)];
}

const StepAbTest* CampaignAbTests::step(int step) const noexcept {
  return const_cast<CampaignAbTests*>(this)->step(step);
}

void CampaignAbTests::sent(std::uint32_t lead, int step_number, std::size_t variant, std::size_t seeded, Instant at) {
  const StepAbTest* test = step(step_number);
  if (!test) return;
  if (variant != seeded) chosen_[key(lead, step_number)] = static_cast<std::uint8_t>(variant);
  // A send that cannot count any more (its variant out of the test) does not wait.
  if (test->winner() || !test->open(variant)) return;
  const Instant settles = at + settings_->reply_window;
  if (!windows_.emplace(key(lead, step_number), Window{settles, false}).second) return;  // sent again (in doubt)
  waiting_.push_back(Waiting{settles, lead, step_number, variant});
}

void CampaignAbTests::replied(std::uint32_t lead, int step_number, Instant at) {
  const auto window = windows_.find(key(lead, step_number));
  // Before the window closes: a reply at the closing instant itself may come after the send
  // settled (a later step at the same instant), so it never counts.
  if (window != windows_.end() && at < window->second.settles) window->second.answered = true;
}

void CampaignAbTests::settle_until(Instant now) {
  while (!waiting_.empty() && waiting_.front().settles <= now) {
    const Waiting send = waiting_.front();
    waiting_.pop_front();
    const auto window = windows_.find(key(send.lead, send.step));
    const bool answered = window != windows_.end() && window->second.answered;
    if (window != windows_.end()) windows_.erase(window);
    if (StepAbTest* test = step(send.step)) test->settle(send.variant, answered);
  }
}

std::optional<Instant> CampaignAbTests::next_settlement() const {
  const bool deciding = std::any_of(steps_.begin(), steps_.end(), [](const auto& test) { return test && !test->winner(); });
  if (!deciding || waiting_.empty()) return std::nullopt;
  return waiting_.front().settles;
}

std::size_t CampaignAbTests::variant_for(const Sequence& sequence, std::uint64_t seed, std::string_view lead_key,
                                         int step_number, std::size_t seeded) const {
  const StepAbTest* test = step(step_number);
  if (!test || step_number < 1 || static_cast<std::size_t>(step_number) > sequence.steps().size()) return seeded;
  if (test->winner()) return *test->winner();
  if (test->undecided()) return seeded;
  return sequence.step(step_number).choose_variant(seed, lead_key, step_number, test->open_variants());
}

std::optional<std::size_t> CampaignAbTests::chosen(std::uint32_t lead, int step) const {
  const auto found = chosen_.find(key(lead, step));
  if (found == chosen_.end()) return std::nullopt;
  return found->second;
}

}  // namespace outreach::detail
