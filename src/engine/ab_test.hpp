// The A/B test of one step's variants (the campaign's `ab_test`): a sequential test on settled
// sends that may be looked at after every reply without naming false winners, and the guardrails
// that stop a variant at once. Pure: the engine feeds it what it records.
//
// The test (docs/engine.md, "A/B tests that decide"): for each ordered pair of variants (a
// better than b), an e-process, the running product over blocks (the i-th settled send of each,
// paired in the order they settled) of how much likelier the block is under the rates the pair
// has shown so far, when they favour a, than under one common rate. While a replies no more often
// than b, its expectation stays at most 1, so by Ville's inequality it ever reaches 1/alpha with
// a chance of at most alpha: the test can be read after every settled send, for as long as the
// campaign runs, and a winner it names is better, not only different.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/event.hpp"
#include "outreach/instant.hpp"
#include "outreach/sequence.hpp"
#include "outreach/summary.hpp"

namespace outreach::detail {

class SnapshotCodec;

/// Evidence that one of two variants replies more often than the other, each way, from blocks
/// of one settled send of each.
class PairEvidence {
 public:
  /// One more block: whether each side's send was answered within the reply window.
  void add(bool a_replied, bool b_replied) noexcept;
  /// The logarithm of the e-process for "a replies more often than b" (`a_better`) or for "b
  /// more often than a": at least log(1/alpha) is evidence at level alpha.
  [[nodiscard]] double log_e(bool a_better) const noexcept { return a_better ? log_e_a_ : log_e_b_; }
  [[nodiscard]] std::int64_t blocks() const noexcept { return blocks_; }

 private:
  friend class SnapshotCodec;  // writes and reads the state back (snapshot.cpp)
  std::int64_t blocks_ = 0;
  std::int64_t replied_a_ = 0;
  std::int64_t replied_b_ = 0;
  double log_e_a_ = 0;
  double log_e_b_ = 0;
};

/// A guardrail a variant went over: which rate, and its value.
struct GuardrailBreach {
  std::string_view rate;  ///< `bounce_rate`, `unsubscribe_rate` or `complaint_rate`.
  double value = 0;
  double limit = 0;
};

/// Whether an event of this type may take a variant over a guardrail: a bounce, an unsubscribe, a
/// complaint, or a send that brings it to the sends a guardrail needs.
[[nodiscard]] constexpr bool counts_against_guardrails(EventType type) noexcept {
  return type == EventType::bounced || type == EventType::unsubscribed || type == EventType::complained ||
         type == EventType::sent;
}

/// The first guardrail `counts` goes over once the variant has `min_sends` sends, if any.
[[nodiscard]] std::optional<GuardrailBreach> breached_guardrail(const VariantStats& counts, const AbTestSettings& settings);

/// The test of one step with two or more variants.
class StepAbTest {
 public:
  /// A test of `variants` variants, at the settings' confidence.
  StepAbTest(std::size_t variants, const AbTestSettings& settings);

  /// A send of `variant` settled: answered within the reply window or not. Pairs it with the
  /// other open variants' settled sends.
  void settle(std::size_t variant, bool replied);
  /// The variant is stopped (a guardrail): it gets no more sends and leaves the test.
  void stop(std::size_t variant);
  /// The variant won: every later send of the step goes to it.
  void win(std::size_t variant);

  /// The winner the evidence names now, not yet recorded: an open variant with at least
  /// `min_sends` settled sends whose evidence of replying more often than every other open
  /// variant (each with `min_sends` too) reaches the threshold.
  [[nodiscard]] std::optional<std::size_t> winner_now() const;
  /// The recorded winner, if any.
  [[nodiscard]] std::optional<std::size_t> winner() const noexcept { return winner_; }
  /// Whether sends may still go to the variant.
  [[nodiscard]] bool open(std::size_t variant) const noexcept { return open_[variant] && (!winner_ || *winner_ == variant); }
  /// Which variants sends may go to.
  [[nodiscard]] const std::vector<bool>& open_variants() const noexcept { return open_; }
  /// True while nothing was decided: every variant open.
  [[nodiscard]] bool undecided() const noexcept;

  /// Settled sends and, among them, those answered within the window.
  [[nodiscard]] std::int64_t settled(std::size_t variant) const noexcept {
    return static_cast<std::int64_t>(outcomes_[variant].size());
  }
  [[nodiscard]] std::int64_t replied(std::size_t variant) const noexcept { return replied_[variant]; }
  /// The logarithm of the evidence that `better` replies more often than `than`.
  [[nodiscard]] double log_e(std::size_t better, std::size_t than) const noexcept;
  /// The blocks the two variants' evidence is made of.
  [[nodiscard]] std::int64_t blocks(std::size_t a, std::size_t b) const noexcept;
  /// log(1/alpha) over the number of ordered pairs: the level each one's evidence must reach.
  [[nodiscard]] double log_threshold() const noexcept { return log_threshold_; }
  [[nodiscard]] std::size_t variants() const noexcept { return open_.size(); }

 private:
  friend class SnapshotCodec;  // writes and reads the state back (snapshot.cpp)
  [[nodiscard]] std::size_t pair_index(std::size_t a, std::size_t b) const noexcept;
  void advance(std::size_t a, std::size_t b);

  std::int64_t min_sends_;
  double log_threshold_;
  std::vector<std::vector<bool>> outcomes_;  // per variant, its settled sends in order: answered
  std::vector<std::int64_t> replied_;
  std::vector<PairEvidence> pairs_;          // a < b, row by row
  std::vector<bool> open_;
  std::optional<std::size_t> winner_;
};

/// A campaign's A/B tests: one per step with two or more variants (none when the campaign's
/// `ab_test` is off), the sends waiting for their reply window to close, and the variants leads
/// got that their seed did not choose (a winner's, or another than a stopped one).
class CampaignAbTests {
 public:
  CampaignAbTests() = default;
  /// Tests for the sequence's steps with variants, with the campaign's settings (none when off).
  CampaignAbTests(const Sequence& sequence, const std::optional<AbTestSettings>& settings);

  /// Whether the campaign tests at all.
  [[nodiscard]] bool on() const noexcept { return settings_.has_value(); }
  [[nodiscard]] const AbTestSettings& settings() const noexcept { return *settings_; }
  /// The test of a step, or nothing for a step without one.
  [[nodiscard]] StepAbTest* step(int step) noexcept;
  [[nodiscard]] const StepAbTest* step(int step) const noexcept;
  /// A new version of the sequence: a step whose number of variants changed starts a new test
  /// (the engine allows that only before the step's first send).
  void take_version(const Sequence& sequence);
  /// New guardrails (the only setting of a test that may change once it runs).
  void set_guardrails(const AbGuardrails& guardrails) {
    if (settings_) settings_->guardrails = guardrails;
  }

  /// A send of `variant` at `step` went out at `at`; `seeded` is the variant the seed chose.
  void sent(std::uint32_t lead, int step, std::size_t variant, std::size_t seeded, Instant at);
  /// The lead replied about `step` at `at`: within its send's window, the send counts as
  /// answered.
  void replied(std::uint32_t lead, int step, Instant at);
  /// Settles every send whose window closed by `now`, in the order they close.
  void settle_until(Instant now);
  /// When the next send settles, while a test it belongs to is undecided.
  [[nodiscard]] std::optional<Instant> next_settlement() const;

  /// The variant a lead gets at `step` now (`seeded`: the seed's choice): the winner once there
  /// is one, else its seeded variant while open, else another open one.
  [[nodiscard]] std::size_t variant_for(const Sequence& sequence, std::uint64_t seed, std::string_view lead_key, int step,
                                        std::size_t seeded) const;
  /// The variant the lead got at `step` when its seed did not choose it.
  [[nodiscard]] std::optional<std::size_t> chosen(std::uint32_t lead, int step) const;

 private:
  friend class SnapshotCodec;  // writes and reads the state back (snapshot.cpp)
  static std::uint64_t key(std::uint32_t lead, int step) noexcept {
    return (static_cast<std::uint64_t>(lead) << 8) | static_cast<std::uint64_t>(step & 0xFF);
  }
  struct Waiting {
    Instant settles;
    std::uint32_t lead;
    int step;
    std::size_t variant;
  };
  struct Window {
    Instant settles;
    bool answered = false;
  };
  std::optional<AbTestSettings> settings_;
  std::vector<std::optional<StepAbTest>> steps_;  // by step - 1
  std::deque<Waiting> waiting_;                   // in the order their windows close
  std::unordered_map<std::uint64_t, Window> windows_;
  std::unordered_map<std::uint64_t, std::uint8_t> chosen_;
};

}  // namespace outreach::detail
