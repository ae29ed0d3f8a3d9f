// What the engine keeps per campaign: its definition, status, leads, limits and analytics. The
// reducer (reducer.hpp) is what changes it when an event happens.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/ab_test.hpp"
#include "engine/analytics.hpp"
#include "engine/campaign_limits.hpp"
#include "engine/lead_book.hpp"
#include "outreach/campaign.hpp"
#include "outreach/event.hpp"
#include "outreach/tracking.hpp"
#include "outreach/unsubscribe.hpp"

namespace outreach::detail {

// `stopped`: ended for good by a person (`campaign_stopped`); nothing reopens it.
enum class CampaignStatus : std::uint8_t { draft, running, paused, finished, stopped };
inline constexpr std::array<std::string_view, 5> campaign_status_names{"draft", "running", "paused", "finished",
                                                                       "stopped"};

struct ReplayRecord;

/// A send left in doubt by a crash (its `in_doubt` event) that nothing has settled yet.
struct DoubtfulSend {
  std::uint32_t lead = 0;
  int step = 0;
  std::string mailbox;     // the mailbox id
  std::string message_id;  // with angle brackets
  Instant since{};         // when it was found in doubt
  bool answered = false;   // mail from the lead came back since: it went out, never send it again
};

struct CampaignState {
  explicit CampaignState(CampaignDefinition definition)
      : def(std::move(definition)),
        versions{def.sequence},
        bounces(def.bounces.pause_window),
        analytics(versions),
        ab_tests(def.sequence, def.ab_test) {}

  CampaignDefinition def;
  // Every version of the sequence, oldest first; the last is `def.sequence`, the one sends use.
  // Version n is `versions[n - 1]`; the steps of a version before are kept for the messages
  // already sent from them (a thread's subject, the counts of a step removed since).
  std::vector<Sequence> versions;
  // The leads of the definition as it was added; the ones after them were added since
  // (`Engine::add_leads`) and are kept in the store apart from the definition.
  std::size_t listed_leads = def.leads.size();
  CampaignStatus status = CampaignStatus::draft;
  LeadBook leads;
  std::vector<std::size_t> mailboxes;  // engine mailbox indices, in the campaign's order
  // Leads whose opens (and clicks) of a step were counted: each counts once (the lead, the step
  // and a bit for clicks in one key). Only as large as the leads that were tracked.
  std::unordered_set<std::uint64_t> engaged;
  static std::uint64_t engagement_key(std::uint32_t lead, int step, bool click) {
    return (static_cast<std::uint64_t>(lead) << 9) | (static_cast<std::uint64_t>(step & 0xFF) << 1) | (click ? 1u : 0u);
  }
  bool first_engagement(std::uint32_t lead, int step, bool click) {
    return engaged.insert(engagement_key(lead, step, click)).second;
  }
  bool forget_engagement(std::uint32_t lead, int step, bool click) {
    return engaged.erase(engagement_key(lead, step, click)) > 0;
  }
  std::string unsubscribe_secret;
  UnsubscribeKey unsubscribe_key{""};  // derived from the secret once, not at every send
  TrackingKey tracking_key{""};        // from the same secret, keys of its own
  void set_unsubscribe_secret(std::string secret) {
    unsubscribe_key = UnsubscribeKey(secret);
    tracking_key = TrackingKey(secret);
    unsubscribe_secret = std::move(secret);
  }
  DailyCaps caps;          // days in the schedule's zone
  BounceWindow bounces;
  CampaignAnalytics analytics;
  CampaignAbTests ab_tests;  // the steps' A/B tests, when the campaign's `ab_test` is on
  // Return dates stated by auto-replies, by lead: a `paused` event waits until then.
  std::unordered_map<std::uint32_t, Instant> returns;
  // The latest send that went out (or may have): received mail is read until
  // `read_after_last_send` after it.
  std::optional<Instant> last_sent;
  // Sends in doubt not settled yet, oldest first (a crash leaves few).
  std::vector<DoubtfulSend> in_doubt;
  // Leads that came due and wait, with no instant in sight, for a mailbox to send with (theirs
  // disabled or removed, or every one disabled): out of the due queue until one comes back.
  std::vector<std::uint32_t> parked;
  // Set while the campaign's log is replayed: what the replay gathers for a snapshot.
  ReplayRecord* replaying = nullptr;
  // The events of its log after its snapshot (or all of them, without one), as far as this
  // engine wrote or replayed them: a snapshot is kept again once they are many.
  std::int64_t unsnapshotted = 0;
  // Set while a campaign read from its store starts (`add_stored_campaign`): the hash of the
  // text its definition was read from, which spares writing it out to compare.
  std::optional<std::uint64_t> read_from;

  [[nodiscard]] VariantStats* stats_for(std::uint32_t lead, int step) {
    if (const auto chosen = ab_tests.chosen(lead, step)) return analytics.variant_at(step, *chosen);
    const Sequence* sequence = sequence_with_step(step);
    return sequence ? analytics.variant_of(*sequence, def.seed, leads.key_of(lead), step) : nullptr;
  }
  /// The variant the seed gives a lead at a step (of the latest version that has it).
  [[nodiscard]] std::size_t seeded_variant(std::uint32_t lead, int step) const {
    const Sequence* sequence = sequence_with_step(step);
    return sequence ? sequence->step(step).choose_variant(def.seed, leads.key_of(lead), step) : 0;
  }
  /// The index of a step's variant by name, or nothing for a name it does not have.
  [[nodiscard]] std::optional<std::size_t> variant_named(int step, std::string_view name) const {
    const Sequence* sequence = sequence_with_step(step);
    if (!sequence) return std::nullopt;
    const auto& variants = sequence->step(step).variants;
    for (std::size_t i = 0; i < variants.size(); ++i) {
      if (variants[i].name == name) return i;
    }
    return std::nullopt;
  }
  /// The wait before `step` of a lead whose step before went from `version` (0: a line written
  /// before versions, which is 1): that version's delay when it has the step, since a wait keeps
  /// the length it began with; else the latest version's that has it.
  [[nodiscard]] const Delay& wait_before(int version, int step) const {
    const auto index = static_cast<std::size_t>(std::clamp(version, 1, this->version()) - 1);
    if (static_cast<std::size_t>(step) <= versions[index].steps().size()) return versions[index].step(step).delay;
    return sequence_with_step(step)->step(step).delay;
  }
  /// The version of the sequence sends use (1, 2, ...).
  [[nodiscard]] int version() const noexcept { return static_cast<int>(versions.size()); }
  /// The latest version that has the step: a step removed since is read from the version
  /// before, whose variants and threading it had when it was sent.
  [[nodiscard]] const Sequence* sequence_with_step(int step) const {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      if (step >= 1 && static_cast<std::size_t>(step) <= it->steps().size()) return &*it;
    }
    return nullptr;
  }
  [[nodiscard]] std::size_t step_count() const { return def.sequence.steps().size(); }
  /// The unsettled send in doubt of a lead's step, if any.
  [[nodiscard]] std::vector<DoubtfulSend>::iterator doubt_of(std::uint32_t lead, int step) {
    return std::find_if(in_doubt.begin(), in_doubt.end(),
                        [&](const DoubtfulSend& send) { return send.lead == lead && send.step == step; });
  }
};

/// An event of one lead of the campaign.
[[nodiscard]] inline Event lead_event(EventType type, Instant at, const CampaignState& c, std::uint32_t lead,
                                      int step = 0) {
  Event event;
  event.type = type;
  event.at = at;
  event.campaign = c.def.name;
  event.lead = c.def.leads[lead].email;
  event.step = step;
  return event;
}

/// An event of the whole campaign.
[[nodiscard]] inline Event campaign_event(EventType type, Instant at, const CampaignState& c, std::string reason) {
  Event event;
  event.type = type;
  event.at = at;
  event.campaign = c.def.name;
  event.reason = std::move(reason);
  return event;
}

}  // namespace outreach::detail
