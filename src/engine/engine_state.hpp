// The engine's state, shared by the sources that act on it: set-up (setup.cpp), the
// dispatcher (dispatcher.cpp), received mail (inbound.cpp), recovery (recovery.cpp), one
// instant (engine.cpp) and the run loop (run_loop.cpp). What is decided is decided in the pure
// parts; these sources do the I/O around them.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/campaign_state.hpp"
#include "engine/composer.hpp"
#include "engine/event_log.hpp"
#include "engine/inbound_rules.hpp"
#include "engine/mailbox_pool.hpp"
#include "engine/reducer.hpp"
#include "inbound/received.hpp"
#include "outreach/engine.hpp"
#include "outreach/request.hpp"

namespace outreach {

// A send decided and counted, waiting to be handed to the transport with the others of its group.
struct Outgoing {
  detail::CampaignState* campaign = nullptr;
  std::uint32_t lead = 0;
  int step = 0;
  std::size_t mailbox = 0;  // engine mailbox index
  detail::ComposedStep composed;
};

struct Engine::State {
  Store& store;
  Transport& transport;
  const Clock& clock;
  std::vector<std::unique_ptr<detail::CampaignState>> campaigns;
  detail::MailboxPool mailboxes;
  std::multimap<Instant, InboundEvent> inbound;
  std::vector<std::string> warnings;
  std::vector<WarningListener> warning_listeners;
  void warn(std::string warning);  // kept in `warnings` and told to the listeners
  std::vector<Event> completions;  // `completed` events wait until the sends of their instant are out
  std::vector<Outgoing> outgoing;  // sends decided but not handed to the transport yet
  std::atomic<bool> stop_requested{false};
  bool reads_mail = false;  // `expect_mail`: keep running while received mail is still read
  bool secrets_required = false;  // `require_unsubscribe_secrets`
  bool serves_requests = false;  // `apply_waiting` was called: sends are noted for its answers
  std::int64_t snapshot_after = Engine::default_snapshot_after;  // events a start replays before it keeps a snapshot
  // Where a start keeps its snapshot when not in `store`: the running engine's store, for an
  // engine that rebuilds one of its campaigns aside on a view of it (`keep_snapshot_aside`).
  Store* keeps_snapshots_in = nullptr;
  std::size_t snapshots_kept = 0;  // by the starts of this engine
  // On the system clock, a step with much due ends after the group under way once this time
  // has passed, so that the run loop applies what waits in the store (a pause, a suppression)
  // before the next group rather than after the whole backlog. Unset in simulations.
  std::optional<std::chrono::steady_clock::time_point> yield_after;
  bool yielding = false;  // `yield_after` passed: no new send is decided in this step
  [[nodiscard]] bool deciding() const noexcept { return !stop_requested.load() && !yielding; }
  struct Handover {
    Instant at;  // the system clock's time of the handover
    const detail::CampaignState* campaign;
    std::uint32_t lead;
  };
  std::vector<Handover> recent_handovers;  // since the last `apply_waiting`
  detail::EventLog log;

  State(Store& s, Transport& t, const Clock& c) : store(s), transport(t), clock(c), log(s, stop_requested) {}

  // Takes a received message in; with a folder position, records it in the same unit.
  expected<IngestResult> take_in(std::string_view raw_message, const MimeLimits& limits, const FolderPosition* position);

  detail::CampaignState* find(std::string_view name) {
    for (auto& campaign : campaigns) {
      if (campaign->def.name == name) return campaign.get();
    }
    return nullptr;
  }

  // Records an event of a lead and applies it: what the engine does, it does through events.
  detail::Reduction record(detail::CampaignState& c, std::uint32_t lead, const Event& event,
                           std::optional<std::size_t> variant = std::nullopt) {
    log.append(event);
    ++c.unsnapshotted;
    const detail::Reduction reduction = detail::apply_lead_event(c, mailboxes, lead, event, detail::Origin::live, variant);
    if (c.ab_tests.on() && detail::counts_against_guardrails(event.type)) stop_over_guardrails(c, event.step, event.at);
    return reduction;
  }
  void record_campaign(detail::CampaignState& c, const Event& event) {
    log.append(event);
    ++c.unsnapshotted;
    detail::apply_campaign_event(c, event);
  }

  // ---- mailboxes disabled and enabled (mailbox_state.cpp) -----------------------------------
  // Counts a send's outcome against its mailbox; disables it after its failures in a row.
  void note_mailbox_outcome(std::size_t mailbox, const SendOutcome& outcome, Instant now);
  // Disables or enables a mailbox, with an event in each started campaign that has it.
  void set_mailbox_enabled(std::size_t mailbox, bool enabled, const std::string& reason, Instant now);
  // Whether a campaign's settings of the mailbox say `disabled`.
  bool disabled_by_settings(std::size_t mailbox) const;
  // Disables the mailboxes some campaign's settings say are `disabled`, and enables those
  // that settings had disabled and none says so any more.
  void apply_mailbox_settings(Instant now);
  // Takes the states the store keeps for the mailboxes the engine knows: they are the latest
  // (its campaigns' events say the same, but one campaign at a time).
  void apply_stored_mailbox_states();
  // Queues the campaign's parked leads again: a mailbox may have come back for them.
  static void requeue_parked(detail::CampaignState& c);
  // The mailboxes a campaign cannot send with now (disabled, or no longer its own but still the
  // mailbox of some of its leads), each with its leads whose follow-ups wait for it.
  std::vector<MailboxTrouble> mailbox_trouble(const detail::CampaignState& c) const;

  // ---- several engines on one store (claims.cpp) ------------------------------------------
  // A campaign this engine was given that another engine holds: it runs here once claimed.
  struct Deferred {
    CampaignDefinition definition;
    CampaignSecrets secrets;
  };
  std::vector<Deferred> elsewhere;
  bool takes_free_campaigns = false;  // `take_free_campaigns`: the store's unheld campaigns too
  std::unordered_set<std::int64_t> left_for_others;  // inbox messages about no campaign of this engine
  std::chrono::steady_clock::time_point next_claims_look{};
  // Claims a campaign before it starts, on a shared store: false when another engine holds it,
  // and then it is set aside (`elsewhere`) and out of `campaigns`.
  expected<bool> claim_or_defer(detail::CampaignState& c);
  // Renews the claims when due: false, with the engine stopped, when one was lost (another engine
  // took it over after this one stalled past its lease) or the store failed.
  bool claims_hold();
  // Renews the claims (a lost one stops the engine), and claims the campaigns set aside and, when
  // it takes them, the store's free ones, which then run here.
  void tend_claims();
  // Adds and starts a campaign this engine has just claimed.
  void run_claimed(CampaignDefinition definition, CampaignSecrets secrets);
  // Nothing is due here, but another engine's campaigns may come to this one (it dies).
  bool waits_for_others();
  // Gives every claim up at the end of a run, finished campaigns as finished.
  void release_claims();
  // A send whose slot the shared store refused (another engine used the mailbox): it waits for
  // the mailbox as the store counts it.
  void requeue(const Outgoing& send, const SlotAnswer& shared, Instant now);

  // ---- set-up (setup.cpp) -----------------------------------------------------------------
  expected<void> add_campaign(CampaignDefinition campaign, CampaignSecrets secrets);
  // `known`: the campaign as the store has it, when the caller just read it (spares reading a
  // definition of a million leads twice).
  expected<void> start(detail::CampaignState& c, Instant now, const StoredCampaign* known = nullptr);
  // The versions of a started campaign's sequence in the store, oldest first (its own when its
  // steps were never edited); an error when the definition's sequence is not the latest.
  expected<std::vector<Sequence>> sequence_versions(const detail::CampaignState& c, const StoredCampaign& stored);
  expected<std::vector<std::shared_ptr<const DkimSigner>>> check_mailboxes(const CampaignDefinition& campaign);
  expected<LeadsAdded> add_leads(detail::CampaignState& c, std::vector<Lead> leads, Instant now);
  // Applies a changed definition's settings (update.cpp); the changes, or why none was made.
  expected<std::vector<std::string>> update(detail::CampaignState& c, CampaignDefinition changed, Instant now,
                                            UpdateOptions options);
  // The highest step some lead of the campaign has been sent or tried (0: none yet).
  static int steps_reached(const detail::CampaignState& c);
  // Keeps the next version of a campaign's sequence (and its first, at its first edit) in the
  // store, and makes it the one sends use.
  void keep_sequence_version(detail::CampaignState& c, Sequence next, Instant now);
  // What the new version does to leads in flight: leads not started timed again after a
  // changed first delay, leads waiting for a removed step ended. How many ended.
  std::int64_t apply_steps(detail::CampaignState& c, const Sequence& before, Instant now);
  // The definition's JSON with only its first `leads_kept` leads (the others are not copied).
  static std::string definition_json(CampaignDefinition& definition, std::size_t leads_kept);
  // Brings back the leads added to a campaign after it started, each batch entering when it did.
  void restore_added_leads(detail::CampaignState& c);

  // ---- sending (dispatcher.cpp) -----------------------------------------------------------
  // What an attempt to send a lead's next step came to.
  struct Attempt {
    bool done = true;                   // the lead moved on (sent, deferred, skipped, failed)
    std::optional<Instant> wait_until;  // not done: when it could go (nothing: not in sight)
  };
  Attempt attempt_send(detail::CampaignState& c, std::uint32_t lead, Instant now);
  std::size_t group_size() const;
  void release(const Outgoing& send, Instant now);
  void send_outgoing(Instant now);
  bool reserve_slots(std::vector<Outgoing>& group, Instant now);
  // The order slots are taken and given back in, the same in every engine (by mailbox id), so
  // that two engines' units never wait for each other's slots.
  [[nodiscard]] bool mailbox_id_before(std::size_t a, std::size_t b) const {
    return mailboxes[a].settings().id < mailboxes[b].settings().id;
  }
  // Records a send's outcome; true when the send did not go out and gave its mailbox's room back.
  bool record_outcome(Outgoing& send, const SendOutcome& outcome, Instant now);

  // ---- what waits in the store (waiting.cpp) ----------------------------------------------
  void note_handover(const Outgoing& send, Instant at);
  std::int64_t handovers_since(Instant asked, const detail::CampaignState* campaign,
                               const std::vector<std::string>& addresses) const;
  RequestAnswer apply_campaign_request(const Request& request, Instant asked, Engine& engine);
  RequestAnswer apply_address_request(const Request& request, Instant asked);
  RequestAnswer apply_mailbox_request(const Request& request, Engine& engine);
  RequestAnswer apply_unsubscribe_request(detail::CampaignState& c, const Request& request, Instant asked);
  RequestAnswer apply_tracking_request(detail::CampaignState& c, const Request& request, Instant asked);
  RequestAnswer apply_update_request(const detail::CampaignState& c, const Request& request, Instant asked,
                                     Engine& engine);
  RequestAnswer apply_leads_request(const detail::CampaignState& c, const Request& request, Instant asked,
                                    Engine& engine);

  // ---- received mail (inbound.cpp) --------------------------------------------------------
  void apply_inbound(const InboundEvent& arrived, Instant now);
  std::optional<detail::LeadMatch> lead_by_address(std::string_view address) const;

  // ---- one instant (engine.cpp) -----------------------------------------------------------
  // A campaign with leads left that waits for a person: paused, or holding leads for a
  // mailbox it cannot send with (mailbox_state.cpp). The run waits for a request then.
  bool has_held_campaign() const;
  void run_follow_ups(detail::CampaignState& c, Instant now);
  void run_new_leads(detail::CampaignState& c, Instant now);
  void end_campaign(detail::CampaignState& c, Instant now);
  // A running campaign with no unfinished lead is finished (and, on a shared store, said so).
  void finish_if_done(detail::CampaignState& c);

  // ---- explaining a lead (explain.cpp) ----------------------------------------------------
  // Every constraint that holds the lead's next step at `now`, each asked of the check that
  // decides sends.
  std::vector<Hold> holds(detail::CampaignState& c, std::uint32_t lead, Instant now);
  void mailbox_holds(const detail::MailboxLimiter& mailbox, Instant now, std::vector<Hold>& held) const;

  // ---- A/B tests that decide (ab_decisions.cpp) -------------------------------------------
  // Settles the sends whose reply window has closed, and records each step's winner and each
  // variant over a guardrail.
  void run_ab_tests(detail::CampaignState& c, Instant now);
  // Stops every open variant of a step under test that is over a guardrail (never the last).
  void stop_over_guardrails(detail::CampaignState& c, int step, Instant now);

  // ---- resuming from the store (recovery.cpp) ---------------------------------------------
  // Brings a campaign whose leads have entered back to where its events say it was, as if the
  // engine had made them: the same counters, spacing, jitter sequence, analytics and due times.
  // From its snapshot when it has a usable one, then the events after; a long replay leaves a
  // snapshot. `definition_hash`: the `hash_text` of the definition's text in the store (part
  // of the snapshot's fingerprint).
  void restore(detail::CampaignState& c, std::uint64_t definition_hash);
  void settle_in_doubt(detail::CampaignState& c, Instant now);
  // Whether a send in doubt absent from its mailbox's Sent folder may go again now.
  bool may_send_again(const detail::CampaignState& c, std::uint32_t lead, const detail::DoubtfulSend& doubt,
                      Instant now) const;
  void rebuild_mailboxes(const detail::CampaignState& c);
  // Keeps a snapshot of a running campaign: built aside, by an engine on a view of the store
  // that starts the campaign as the next start would, so that nothing here changes. (The
  // running state is not the replayed one: a lead held by a limit has its due moved, A/B sends
  // settle as their windows close.) False, with a warning, when none could be kept.
  bool keep_snapshot_aside(const detail::CampaignState& c);
};

}  // namespace outreach
