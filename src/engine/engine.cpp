#include "outreach/engine.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <queue>
#include <unordered_map>
#include <utility>

#include "util/ascii.hpp"
#include "util/calendar_date.hpp"
#include "engine/consumer_domains.hpp"
#include "util/hash.hpp"
#include "inbound/received.hpp"
#include "outreach/dkim.hpp"
#include "outreach/render.hpp"
#include "outreach/unsubscribe.hpp"

namespace outreach {

namespace {

using std::chrono::milliseconds;

constexpr int max_attempts = 8;                      // temporary failures before a send is given up
constexpr milliseconds first_backoff = std::chrono::minutes(10);
constexpr milliseconds longest_backoff = std::chrono::hours(12);
constexpr auto default_pause = std::chrono::days(7);  // auto-reply without a return date

/// A lead's status (docs/engine.md, "Lead and campaign statuses"), plus `stopped` for leads
/// ended by the campaign's end or by another lead's reply.
enum class LeadStatus : std::uint8_t {
  pending, active, completed, replied, auto_replied, bounced, unsubscribed, failed, skipped, paused, stopped
};
constexpr std::array<std::string_view, 11> status_names{"pending", "active", "completed", "replied",
                                                        "auto_replied", "bounced", "unsubscribed", "failed",
                                                        "skipped", "paused", "stopped"};

bool unfinished(LeadStatus status) {
  return status == LeadStatus::pending || status == LeadStatus::active || status == LeadStatus::paused;
}

constexpr std::uint32_t no_mailbox = UINT32_MAX;

/// What the engine keeps per lead: small, because a campaign may have millions.
struct LeadState {
  Instant due{};                      // active: when the next step may go; paused: when it resumes
  std::uint32_t zone = 0;             // index of the lead's sending zone
  std::uint32_t mailbox = no_mailbox; // engine mailbox index, once assigned (follow-ups are sticky)
  std::uint8_t next_step = 1;         // 1-based step to send next
  std::uint8_t attempts = 0;          // temporary failures of the current step
  std::uint8_t soft_bounces = 0;
  LeadStatus status = LeadStatus::pending;
};

struct DueEntry {
  Instant due;
  std::uint32_t lead;
  friend bool operator>(const DueEntry& a, const DueEntry& b) {
    return a.due != b.due ? a.due > b.due : a.lead > b.lead;  // ties: list order
  }
};

/// A mailbox shared by every campaign of the engine.
struct MailboxState {
  Mailbox settings;
  TimeZone zone;
  std::chrono::sys_days day{};       // the local day `sent_today` counts
  std::int64_t sent_today = 0;
  std::int64_t days_before = 0;      // days with a send before `day`
  Instant next_allowed{};            // spacing: no send before this
  std::uint64_t sends = 0;           // every counted send, for the jitter sequence
  std::uint64_t jitter_seed = 0;
  std::shared_ptr<const DkimSigner> signer;  // when the mailbox signs, and messages are built
  // Once a campaign was resumed from a store: every send (instant, still counted), so that the
  // counters can be rebuilt in time order when another campaign sharing the mailbox resumes.
  std::vector<std::pair<Instant, bool>> history;
  bool keeps_history = false;

  std::int64_t sent_on(std::chrono::sys_days today) const { return today == day ? sent_today : 0; }
  // The cap of the n-th day with sends, today being that day if a send goes out now. A day
  // whose only attempts were deferred is not a sending day: its cap stays the next one's.
  std::int64_t cap_on(std::chrono::sys_days today) const {
    const std::int64_t sending_day = today == day ? days_before + 1 : days_before + (sent_today > 0 ? 1 : 0) + 1;
    return settings.cap_on_day(sending_day);
  }
  std::int64_t room(Instant now) const {
    const auto today = Schedule::local_day(now, zone);
    return cap_on(today) - sent_on(today);
  }
  bool available(Instant now) const { return now >= next_allowed && room(now) > 0; }
  Instant available_at(Instant now) const {
    const Instant free = room(now) > 0 ? now : Schedule::next_local_midnight(now, zone);
    return std::max(free, next_allowed);
  }
  void count_send(Instant now) {
    if (keeps_history) history.emplace_back(now, true);
    tally(now);
  }
  void uncount_send(Instant at) {
    if (keeps_history && !history.empty()) history.back().second = false;
    untally(at);
  }
  // Counts again from the history, in time order.
  void rebuild() {
    std::stable_sort(history.begin(), history.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    day = {};
    sent_today = 0;
    days_before = 0;
    next_allowed = {};
    sends = 0;
    for (const auto& [at, counted] : history) {
      tally(at);
      if (!counted) untally(at);
    }
  }

 private:
  void tally(Instant now) {
    const auto today = Schedule::local_day(now, zone);
    if (today != day) {
      days_before += sent_today > 0 ? 1 : 0;
      day = today;
      sent_today = 0;
    }
    ++sent_today;
    ++sends;
    // Jitter in whole seconds, drawn from the mailbox's own deterministic sequence.
    const auto jitter_seconds = static_cast<std::uint64_t>(settings.jitter.count() / 1000);
    const auto jitter = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(
        jitter_seconds == 0 ? 0 : detail::pick_below(detail::hash_combine(jitter_seed, sends), jitter_seconds + 1)));
    next_allowed = now + settings.min_interval + jitter;
  }
  void untally(Instant at) {
    if (Schedule::local_day(at, zone) == day && sent_today > 0) --sent_today;
  }
};

/// Leads not yet started, in list order, that share a sending zone.
struct PendingQueue {
  std::uint32_t zone = 0;
  std::vector<std::uint32_t> leads;
  std::size_t next = 0;
  Instant ready_at{};  // entry time plus the first step's delay, in this zone
};

enum class CampaignStatus : std::uint8_t { draft, running, paused, finished };
constexpr std::array<std::string_view, 4> campaign_status_names{"draft", "running", "paused", "finished"};

struct CampaignState {
  explicit CampaignState(CampaignDefinition definition) : def(std::move(definition)) {}
  CampaignDefinition def;
  CampaignStatus status = CampaignStatus::draft;
  std::vector<LeadState> leads;
  std::unordered_map<std::string, std::uint32_t> by_key;
  std::vector<TimeZone> zones;
  std::vector<PendingQueue> pending;
  std::priority_queue<DueEntry, std::vector<DueEntry>, std::greater<>> due;
  std::vector<std::size_t> mailboxes;  // engine mailbox indices, in the campaign's order
  std::size_t unfinished = 0;
  std::string unsubscribe_secret;
  // Campaign caps, counted per day in the schedule's zone.
  std::chrono::sys_days cap_day{};
  std::int64_t new_today = 0;
  std::int64_t sends_today = 0;
  // The last `pause_window` sends: lead, hard-bounced.
  std::deque<std::pair<std::uint32_t, bool>> recent;
  std::int64_t recent_bounced = 0;
  // Analytics.
  std::vector<std::vector<VariantStats>> stats;
  std::map<std::pair<std::chrono::sys_days, std::size_t>, std::int64_t> days;
  std::int64_t in_doubt = 0;

  std::vector<const std::string*> keys;  // each lead's key, stored once in `by_key`
  const std::string& key_of(std::uint32_t lead) const { return *keys[lead]; }
  const TimeZone& zone_of(const LeadState& state) const { return zones[state.zone]; }
  void push_due(std::uint32_t lead) { due.push({leads[lead].due, lead}); }
};

// A send decided and counted, waiting to be handed to the transport with the others of its group.
struct Outgoing {
  CampaignState* campaign = nullptr;
  std::uint32_t lead = 0;
  int step = 0;
  std::size_t mailbox = 0;  // engine mailbox index
  RenderedStep rendered;
  std::string in_reply_to;  // threaded steps: the message it answers
};

// What a received message of a class does to a lead; nothing for `unknown`.
std::optional<InboundType> inbound_type(InboundClass type) {
  switch (type) {
    case InboundClass::reply: return InboundType::reply;
    case InboundClass::auto_reply: return InboundType::auto_reply;
    case InboundClass::bounce: return InboundType::bounce;
    case InboundClass::unsubscribe: return InboundType::unsubscribe;
    case InboundClass::complaint: return InboundType::complaint;
    case InboundClass::unknown: break;
  }
  return std::nullopt;
}


}  // namespace

struct Engine::State {
  Store& store;
  Transport& transport;
  const Clock& clock;
  std::vector<std::unique_ptr<CampaignState>> campaigns;
  std::vector<MailboxState> mailboxes;
  std::unordered_map<std::string, std::size_t> mailbox_by_id;
  std::multimap<Instant, InboundEvent> inbound;
  std::vector<EventListener> listeners;
  std::vector<std::string> warnings;
  std::vector<Event> completions;  // `completed` events wait until the sends of their instant are out
  // Sends decided but not handed to the transport yet.
  std::vector<Outgoing> outgoing;
  std::atomic<bool> stop_requested{false};
  std::optional<Error> failure;  // the store write that stopped the engine
  bool replaying = false;

  State(Store& s, Transport& t, const Clock& c) : store(s), transport(t), clock(c) {}

  CampaignState* find(std::string_view name) {
    for (auto& campaign : campaigns) {
      if (campaign->def.name == name) return campaign.get();
    }
    return nullptr;
  }

  void emit(const Event& event) {
    if (replaying) return;  // rebuilding from the store's events: they are there already
    (void)kept(store.append(event));
    for (const auto& listener : listeners) listener(event);
  }

  // A write the store could not make stops the engine: it cannot go on without its memory.
  bool kept(const expected<void>& written) {
    if (written) return true;
    if (!failure) failure = written.error();
    stop_requested.store(true);
    return false;
  }

  // Makes the writes of one decision (a send's outcome and what follows) one atomic unit.
  class Batch {
   public:
    explicit Batch(State& state) : state_(state) { (void)state_.kept(state_.store.begin()); }
    ~Batch() { (void)state_.kept(state_.store.commit()); }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    State& state_;
  };

  Event lead_event(EventType type, Instant at, const CampaignState& c, std::uint32_t lead, int step = 0) const {
    Event event;
    event.type = type;
    event.at = at;
    event.campaign = c.def.name;
    event.lead = c.def.leads[lead].email;
    event.step = step;
    return event;
  }

  Event campaign_event(EventType type, Instant at, const CampaignState& c, std::string reason) const {
    Event event;
    event.type = type;
    event.at = at;
    event.campaign = c.def.name;
    event.reason = std::move(reason);
    return event;
  }

  VariantStats* stats_for(CampaignState& c, std::uint32_t lead, int step) {
    if (step < 1 || static_cast<std::size_t>(step) > c.stats.size()) return nullptr;
    const std::size_t variant = c.def.sequence.step(step).choose_variant(c.def.seed, c.key_of(lead), step);
    return &c.stats[static_cast<std::size_t>(step - 1)][variant];
  }

  void finish(CampaignState& c, std::uint32_t lead, LeadStatus status) {
    LeadState& state = c.leads[lead];
    if (unfinished(state.status) && c.unfinished > 0) --c.unfinished;
    state.status = status;
  }

  void stop(CampaignState& c, std::uint32_t lead, Instant at, std::string reason, LeadStatus status) {
    if (!unfinished(c.leads[lead].status)) return;
    Event event = lead_event(EventType::stopped, at, c, lead);
    event.reason = std::move(reason);
    emit(event);
    finish(c, lead, status);
  }

  // ---- campaign set-up ------------------------------------------------------------------

  std::size_t mailbox_index(const Mailbox& settings, const TimeZone& default_zone,
                            std::shared_ptr<const DkimSigner> signer) {
    const auto found = mailbox_by_id.find(settings.id);
    if (found != mailbox_by_id.end()) {
      MailboxState& existing = mailboxes[found->second];
      if (!(existing.settings == settings)) {
        warnings.push_back("mailbox \"" + settings.id + "\" is defined again; the later settings are used");
        existing.settings = settings;
        existing.zone = settings.timezone.value_or(default_zone);
        existing.signer = std::move(signer);
      }
      return found->second;
    }
    MailboxState state;
    state.settings = settings;
    state.zone = settings.timezone.value_or(default_zone);
    state.signer = std::move(signer);
    // A durable store may resume a campaign sharing this mailbox later: keep every send, so the
    // counters can then be rebuilt with this engine's own sends in them too.
    state.keeps_history = store.keeps_definitions();
    state.jitter_seed = detail::hash_bytes(settings.id);
    mailboxes.push_back(std::move(state));
    mailbox_by_id.emplace(settings.id, mailboxes.size() - 1);
    return mailboxes.size() - 1;
  }

  void enter_leads(CampaignState& c, Instant entered) {
    const Schedule& schedule = c.def.schedule;
    std::unordered_map<std::string, std::uint32_t> zone_by_name;
    c.zones.push_back(schedule.timezone);
    zone_by_name.emplace(std::string(schedule.timezone.name()), 0);
    std::vector<std::uint32_t> queue_of_zone{0};
    c.pending.push_back(PendingQueue{});
    for (std::uint32_t i = 0; i < c.leads.size(); ++i) {
      const Lead& lead = c.def.leads[i];
      std::uint32_t zone = 0;
      if (schedule.lead_timezone && !lead.timezone.empty()) {
        const auto known = zone_by_name.find(lead.timezone);
        if (known != zone_by_name.end()) {
          zone = known->second;
        } else if (auto located = TimeZone::locate(lead.timezone)) {
          zone = static_cast<std::uint32_t>(c.zones.size());
          c.zones.push_back(*located);
          zone_by_name.emplace(lead.timezone, zone);
          c.pending.push_back(PendingQueue{zone, {}, 0, {}});
        }
      }
      c.leads[i].zone = zone;
      c.pending[zone].leads.push_back(i);
    }
    const Delay& first_delay = c.def.sequence.step(1).delay;
    for (PendingQueue& queue : c.pending) {
      queue.ready_at = first_delay.in_business_days()
                           ? schedule.add_business_days(entered, static_cast<int>(first_delay.business_days), c.zones[queue.zone])
                           : entered + first_delay.duration();
    }
  }

  // ---- deciding and sending -------------------------------------------------------------

  /// What an attempt to send a lead's next step came to.
  struct Attempt {
    bool done = true;                  // the lead moved on (sent, deferred, skipped, failed)
    std::optional<Instant> wait_until; // not done: when it could go (nothing: not in sight)
  };

  static Attempt blocked(std::optional<Instant> until) { return {false, until}; }

  std::optional<std::size_t> choose_mailbox(const CampaignState& c, Instant now) const {
    std::optional<std::size_t> best;
    std::int64_t best_room = 0;
    for (std::size_t index : c.mailboxes) {
      const MailboxState& mailbox = mailboxes[index];
      if (now < mailbox.next_allowed) continue;
      const std::int64_t room = mailbox.room(now);
      if (room > best_room) {
        best_room = room;
        best = index;
      }
    }
    return best;
  }

  Instant mailboxes_free_at(const CampaignState& c, Instant now) const {
    std::optional<Instant> earliest;
    for (std::size_t index : c.mailboxes) {
      const Instant at = mailboxes[index].available_at(now);
      if (!earliest || at < *earliest) earliest = at;
    }
    return earliest.value_or(now);
  }

  void roll_cap_day(CampaignState& c, Instant now) {
    const auto today = Schedule::local_day(now, c.def.schedule.timezone);
    if (today != c.cap_day) {
      c.cap_day = today;
      c.new_today = 0;
      c.sends_today = 0;
    }
  }

  std::optional<Instant> cap_reached_until(CampaignState& c, Instant now, int step) {
    roll_cap_day(c, now);
    const CampaignLimits& limits = c.def.limits;
    const bool sends_full = limits.sends_per_day && c.sends_today >= *limits.sends_per_day;
    const bool new_full = step == 1 && limits.new_leads_per_day && c.new_today >= *limits.new_leads_per_day;
    if (!sends_full && !new_full) return std::nullopt;
    return Schedule::next_local_midnight(now, c.def.schedule.timezone);
  }

  std::string unsubscribe_url(const CampaignState& c, const std::string& key) const {
    std::string url = c.def.unsubscribe.url;
    const std::size_t token = url.find("{{token}}");
    if (token != std::string::npos) {
      url.replace(token, 9, make_unsubscribe_token(c.unsubscribe_secret, c.def.name, key));
    }
    return url;
  }

  void record_send_for_bounce_rate(CampaignState& c, std::uint32_t lead) {
    c.recent.emplace_back(lead, false);
    while (static_cast<std::int64_t>(c.recent.size()) > c.def.bounces.pause_window) {
      if (c.recent.front().second) --c.recent_bounced;
      c.recent.pop_front();
    }
  }

  void record_hard_bounce(CampaignState& c, std::uint32_t lead, Instant at) {
    for (auto it = c.recent.rbegin(); it != c.recent.rend(); ++it) {
      if (it->first == lead && !it->second) {
        it->second = true;
        ++c.recent_bounced;
        break;
      }
    }
    const auto& rate = c.def.bounces.pause_rate;
    if (rate && c.status == CampaignStatus::running && !c.recent.empty() &&
        static_cast<double>(c.recent_bounced) / static_cast<double>(c.recent.size()) >= *rate) {
      c.status = CampaignStatus::paused;
      emit(campaign_event(EventType::campaign_paused, at, c, "bounce_rate"));
    }
  }

  Instant next_due_after_send(const CampaignState& c, const LeadState& state, Instant sent_at) const {
    const Step& step = c.def.sequence.step(state.next_step);
    const TimeZone& zone = c.zone_of(state);
    const Instant after = step.delay.in_business_days()
                              ? c.def.schedule.add_business_days(sent_at, static_cast<int>(step.delay.business_days), zone)
                              : sent_at + step.delay.duration();
    return after;
  }

  Attempt attempt_send(CampaignState& c, std::uint32_t lead, Instant now) {
    LeadState& state = c.leads[lead];
    const int step_number = state.next_step;
    const TimeZone& zone = c.zone_of(state);
    if (!c.def.schedule.is_open(now, zone)) return blocked(c.def.schedule.next_open(now, zone));
    if (auto until = cap_reached_until(c, now, step_number)) return blocked(until);

    const Lead& person = c.def.leads[lead];
    if (store.is_suppressed(person.email)) {
      Event event = lead_event(EventType::skipped, now, c, lead, step_number);
      event.reason = "suppressed";
      emit(event);
      if (auto* stats = stats_for(c, lead, step_number)) ++stats->skipped;
      finish(c, lead, LeadStatus::skipped);
      return {};
    }

    std::size_t mailbox_index = state.mailbox;
    if (state.mailbox == no_mailbox) {
      const auto chosen = choose_mailbox(c, now);
      if (!chosen) return blocked(mailboxes_free_at(c, now));
      mailbox_index = *chosen;
    } else if (!mailboxes[mailbox_index].available(now)) {
      return blocked(mailboxes[mailbox_index].available_at(now));
    }
    MailboxState& mailbox = mailboxes[mailbox_index];

    const std::string& key = c.key_of(lead);
    StepContext context;
    context.campaign = c.def.name;
    context.seed = c.def.seed;
    context.sender = mailbox.settings.from;
    context.date = std::chrono::floor<std::chrono::seconds>(now);
    context.build_message = transport.needs_message_data();
    if (!c.def.unsubscribe.url.empty()) context.unsubscribe_url = unsubscribe_url(c, key);
    context.unsubscribe_mailto = c.def.unsubscribe.mailto;
    auto thread = rebuild_thread(c.def.sequence, step_number, person, context);
    auto rendered = thread ? (context.thread = std::move(*thread), render_step(c.def.sequence, step_number, person, context))
                           : expected<RenderedStep>(tl::unexpected<Error>(thread.error()));
    if (!rendered) {
      const bool missing = rendered.error().code() == Errc::missing_field;
      Event event = lead_event(missing ? EventType::skipped : EventType::failed, now, c, lead, step_number);
      event.reason = missing ? rendered.error().message() : "cannot build the message: " + rendered.error().message();
      if (!missing) event.mailbox = mailbox.settings.id;
      emit(event);
      if (auto* stats = stats_for(c, lead, step_number)) ++(missing ? stats->skipped : stats->failed);
      finish(c, lead, missing ? LeadStatus::skipped : LeadStatus::failed);
      return {};
    }

    if (mailbox.signer && context.build_message) {
      // Signed last, when nothing will change the message any more.
      auto signed_data = mailbox.signer->sign(rendered->message.data);
      if (!signed_data) {
        Event event = lead_event(EventType::failed, now, c, lead, step_number);
        event.mailbox = mailbox.settings.id;
        event.reason = "cannot sign the message: " + signed_data.error().message();
        emit(event);
        if (auto* stats = stats_for(c, lead, step_number)) ++stats->failed;
        finish(c, lead, LeadStatus::failed);
        return {};
      }
      rendered->message.data = std::move(*signed_data);
    }

    // Counted before sending: an outcome in doubt counts for every limit.
    mailbox.count_send(now);
    ++c.sends_today;
    if (step_number == 1) ++c.new_today;
    state.mailbox = static_cast<std::uint32_t>(mailbox_index);
    state.status = LeadStatus::active;

    std::string in_reply_to;
    if (c.def.sequence.step(step_number).threading == Threading::reply) in_reply_to = context.thread.message_ids.back();
    outgoing.push_back(Outgoing{.campaign = &c,
                                .lead = lead,
                                .step = step_number,
                                .mailbox = mailbox_index,
                                .rendered = std::move(*rendered),
                                .in_reply_to = std::move(in_reply_to)});
    if (outgoing.size() >= group_size()) send_outgoing(now);
    return {};
  }

  // How many sends go to the transport at once: what it can have in flight, when the store
  // makes a group's intents one atomic unit (a store without units gets one send at a time, so
  // that a failed intent never leaves part of a group recorded and unsent).
  std::size_t group_size() const {
    return store.atomic_units() ? std::max<std::size_t>(1, transport.group_size()) : 1;
  }

  // Undoes the counting of a send that did not go: it counts against no limit (the spacing
  // still applies).
  void uncount(const Outgoing& send, Instant now) {
    mailboxes[send.mailbox].uncount_send(now);
    --send.campaign->sends_today;
    if (send.step == 1) --send.campaign->new_today;
  }

  // Sends the messages decided so far: their intents are durable before any of them goes (one
  // commit for the group), then the transport has them all at once (pipelined over its
  // connections), then their outcomes and what follows are recorded as one unit. A crash in
  // between leaves at most the group in doubt, which is why a transport keeps it small.
  void send_outgoing(Instant now) {
    // Taken out first: whatever happens below (even an exception from the transport), no send
    // of this group is handed over twice.
    std::vector<Outgoing> group = std::exchange(outgoing, {});
    // A lead stopped since its send was decided (a listener may take mail in), or an engine that
    // has failed, sends nothing more.
    std::erase_if(group, [&](const Outgoing& send) {
      const bool gone = failure.has_value() || send.campaign->leads[send.lead].status != LeadStatus::active;
      if (gone) uncount(send, now);
      return gone;
    });
    if (group.empty()) return;
    bool recorded = kept(store.begin());
    for (const Outgoing& send : group) {
      if (!recorded) break;
      const CampaignState& c = *send.campaign;
      recorded = kept(store.record_intent(SendIntent{c.def.name, c.def.leads[send.lead].email, send.step,
                                                     mailboxes[send.mailbox].settings.id,
                                                     send.rendered.message.message_id, now}));
    }
    recorded = kept(store.commit()) && recorded;
    if (!recorded) {  // nothing went: the engine stops, and the leads send again next time
      for (const Outgoing& send : group) uncount(send, now);
      return;
    }
    std::vector<Transport::Handover> handovers;
    handovers.reserve(group.size());
    for (const Outgoing& send : group) handovers.push_back({&mailboxes[send.mailbox].settings, &send.rendered.message});
    std::vector<SendOutcome> outcomes(group.size());
    transport.send_all(handovers, outcomes);
    // The outcome events close the intents; they and what follows from them are kept together.
    const Batch batch(*this);
    for (std::size_t i = 0; i < group.size(); ++i) record_outcome(group[i], outcomes[i], now);
  }

  void record_outcome(Outgoing& send, const SendOutcome& outcome, Instant now) {
    CampaignState& c = *send.campaign;
    const std::uint32_t lead = send.lead;
    const int step_number = send.step;
    LeadState& state = c.leads[lead];
    MailboxState& mailbox = mailboxes[send.mailbox];
    const RenderedStep& rendered = send.rendered;
    // A message that went out whole over a connection lost before the reply may have been
    // delivered: at most once, it is not sent again.
    const bool in_doubt = outcome.kind == SendOutcome::Kind::temporary && outcome.maybe_delivered &&
                          c.def.delivery == Delivery::at_most_once;
    VariantStats& stats = c.stats[static_cast<std::size_t>(step_number - 1)][rendered.variant];

    if (outcome.kind == SendOutcome::Kind::accepted || in_doubt) {
      Event event = lead_event(in_doubt ? EventType::in_doubt : EventType::sent, now, c, lead, step_number);
      event.mailbox = mailbox.settings.id;
      event.message_id = rendered.message.message_id;
      if (in_doubt) {
        ++c.in_doubt;
      } else {
        event.variant = rendered.variant_name;
        event.subject = rendered.subject;
        event.in_reply_to = std::move(send.in_reply_to);
        ++stats.sent;
      }
      emit(event);
      ++c.days[{Schedule::local_day(now, mailbox.zone), send.mailbox}];
      record_send_for_bounce_rate(c, lead);
      state.attempts = 0;
      ++state.next_step;
      if (static_cast<std::size_t>(state.next_step) > c.def.sequence.steps().size()) {
        completions.push_back(lead_event(EventType::completed, now, c, lead));
        finish(c, lead, LeadStatus::completed);
      } else {
        state.due = next_due_after_send(c, state, now);
        c.push_due(lead);
      }
      return;
    }

    uncount(send, now);
    Event event = lead_event(EventType::failed, now, c, lead, step_number);
    event.mailbox = mailbox.settings.id;
    event.reason = outcome.reason;
    event.code = outcome.code;
    event.status = outcome.status;
    if (outcome.kind == SendOutcome::Kind::temporary && state.attempts + 1 < max_attempts) {
      ++state.attempts;
      const milliseconds backoff = std::min(longest_backoff, first_backoff * (1 << (state.attempts - 1)));
      event.type = EventType::deferred;
      event.retry_at = now + backoff;
      emit(event);
      ++stats.deferred;
      state.due = now + backoff;
      c.push_due(lead);
      return;
    }
    if (outcome.kind == SendOutcome::Kind::temporary) {
      event.reason = "gave up after " + std::to_string(max_attempts) + " temporary failures; the last: " + outcome.reason;
    }
    emit(event);
    ++stats.failed;
    finish(c, lead, LeadStatus::failed);
    if (outcome.address_does_not_exist()) {
      Event bounce = lead_event(EventType::bounced, now, c, lead, step_number);
      bounce.kind = "hard";
      emit(bounce);
      ++stats.bounced;
      (void)kept(store.suppress(c.def.leads[lead].email, "hard_bounce"));
      record_send_for_bounce_rate(c, lead);  // refused at once: still a send that bounced
      record_hard_bounce(c, lead, now);
    }
  }

  // ---- one instant ----------------------------------------------------------------------

  void run_follow_ups(CampaignState& c, Instant now) {
    while (!c.due.empty() && c.due.top().due <= now && c.status == CampaignStatus::running && !stop_requested.load()) {
      const DueEntry entry = c.due.top();
      c.due.pop();
      LeadState& state = c.leads[entry.lead];
      if (state.due != entry.due) continue;  // superseded
      if (state.status == LeadStatus::paused) {
        Event event = lead_event(EventType::resumed, now, c, entry.lead);
        event.reason = "auto_reply";
        emit(event);
        state.status = LeadStatus::active;
      }
      if (state.status != LeadStatus::active) continue;
      const Attempt attempt = attempt_send(c, entry.lead, now);
      if (!attempt.done && attempt.wait_until) {
        state.due = std::max(*attempt.wait_until, now + milliseconds(1));
        c.push_due(entry.lead);
      }
    }
  }

  void run_new_leads(CampaignState& c, Instant now) {
    while (c.status == CampaignStatus::running && !stop_requested.load()) {
      PendingQueue* best = nullptr;
      for (PendingQueue& queue : c.pending) {
        while (queue.next < queue.leads.size() && c.leads[queue.leads[queue.next]].status != LeadStatus::pending) {
          ++queue.next;
        }
        if (queue.next >= queue.leads.size() || queue.ready_at > now) continue;
        if (!c.def.schedule.is_open(now, c.zones[queue.zone])) continue;
        if (!best || queue.leads[queue.next] < best->leads[best->next]) best = &queue;
      }
      if (!best) return;
      const std::uint32_t lead = best->leads[best->next];
      const Attempt attempt = attempt_send(c, lead, now);
      if (!attempt.done) return;  // a mailbox or campaign cap: no other new lead can go now either
      ++best->next;
    }
  }

  std::optional<Instant> next_wake(CampaignState& c, Instant now) {
    if (c.status != CampaignStatus::running) return std::nullopt;
    std::optional<Instant> wake;
    const auto consider = [&](Instant at) {
      if (!wake || at < *wake) wake = at;
    };
    if (c.def.schedule.end && c.unfinished > 0) consider(*c.def.schedule.end);
    if (!c.due.empty()) consider(c.due.top().due);
    std::optional<Instant> zone_open;
    for (PendingQueue& queue : c.pending) {
      if (queue.next >= queue.leads.size()) continue;
      const Instant from = std::max(now, queue.ready_at);
      if (auto open = c.def.schedule.next_open(from, c.zones[queue.zone])) {
        if (!zone_open || *open < *zone_open) zone_open = *open;
      }
    }
    if (zone_open) {
      Instant at = std::max(*zone_open, mailboxes_free_at(c, now));
      roll_cap_day(c, now);
      const CampaignLimits& limits = c.def.limits;
      if ((limits.sends_per_day && c.sends_today >= *limits.sends_per_day) ||
          (limits.new_leads_per_day && c.new_today >= *limits.new_leads_per_day)) {
        at = std::max(at, Schedule::next_local_midnight(now, c.def.schedule.timezone));
      }
      consider(std::max(at, now + milliseconds(1)));
    }
    return wake;
  }

  void end_campaign(CampaignState& c, Instant now) {
    for (std::uint32_t lead = 0; lead < c.leads.size(); ++lead) stop(c, lead, now, "campaign_end", LeadStatus::stopped);
  }

  void apply_inbound(const InboundEvent& arrived, Instant now);

  // The lead an address names. Several campaigns may have it: the one that sent it something
  // and has not ended it comes first, then any that sent it something, then any.
  std::optional<detail::LeadMatch> lead_by_address(std::string_view address) const {
    const std::string key = detail::ascii_lower(address);
    std::optional<detail::LeadMatch> best;
    int best_rank = -1;
    for (const auto& campaign : campaigns) {
      const auto found = campaign->by_key.find(key);
      if (found == campaign->by_key.end()) continue;
      const LeadState& state = campaign->leads[found->second];
      const bool contacted = state.next_step > 1;
      const int rank = contacted ? (unfinished(state.status) ? 2 : 1) : 0;
      if (rank <= best_rank) continue;
      best_rank = rank;
      best = detail::LeadMatch{.campaign = campaign->def.name,
                               .lead = campaign->def.leads[found->second].email,
                               .step = contacted ? std::optional<int>(state.next_step - 1) : std::nullopt};
    }
    return best;
  }

  // ---- resuming from the store ------------------------------------------------------------

  // Brings a campaign whose leads have entered back to where its events say it was, as if the
  // engine had made them: the same counters, spacing, jitter sequence, analytics and due times.
  void restore(CampaignState& c);
  void replay(CampaignState& c, const Event& event, std::unordered_map<std::uint32_t, Instant>& returns);
  void replay_send(CampaignState& c, std::uint32_t lead, const Event& event, bool counted);
  void settle_in_doubt(CampaignState& c, Instant now);
};

void Engine::State::replay_send(CampaignState& c, std::uint32_t lead, const Event& event, bool counted) {
  LeadState& state = c.leads[lead];
  const auto mailbox = mailbox_by_id.find(event.mailbox);
  roll_cap_day(c, event.at);
  if (mailbox != mailbox_by_id.end()) {
    MailboxState& used = mailboxes[mailbox->second];
    used.keeps_history = true;
    used.history.emplace_back(event.at, counted);
    state.mailbox = static_cast<std::uint32_t>(mailbox->second);
    if (counted) ++c.days[{Schedule::local_day(event.at, used.zone), mailbox->second}];
  }
  if (counted) {
    ++c.sends_today;
    if (event.step == 1) ++c.new_today;
  }
  if (state.status == LeadStatus::pending) state.status = LeadStatus::active;
}

void Engine::State::replay(CampaignState& c, const Event& event, std::unordered_map<std::uint32_t, Instant>& returns) {
  if (event.lead.empty()) {
    if (event.type == EventType::campaign_paused) c.status = CampaignStatus::paused;
    if (event.type == EventType::campaign_resumed) c.status = CampaignStatus::running;
    return;
  }
  const auto found = c.by_key.find(detail::ascii_lower(event.lead));
  if (found == c.by_key.end()) return;  // no longer in the list
  const std::uint32_t lead = found->second;
  LeadState& state = c.leads[lead];
  VariantStats* stats = stats_for(c, lead, event.step);
  switch (event.type) {
    case EventType::sent:
    case EventType::in_doubt: {
      replay_send(c, lead, event, true);
      if (event.type == EventType::in_doubt) {
        ++c.in_doubt;
      } else if (stats) {
        ++stats->sent;
      }
      record_send_for_bounce_rate(c, lead);
      state.attempts = 0;
      state.next_step = static_cast<std::uint8_t>(event.step + 1);
      if (static_cast<std::size_t>(state.next_step) <= c.def.sequence.steps().size()) {
        state.due = next_due_after_send(c, state, event.at);
      }
      break;
    }
    case EventType::deferred:
      replay_send(c, lead, event, false);
      ++state.attempts;
      state.due = event.retry_at.value_or(event.at);
      if (stats) ++stats->deferred;
      break;
    case EventType::failed:
      // Counted and uncounted live when it went to the transport (not when the message could
      // not be built or signed).
      if (!event.mailbox.empty() && !event.reason.starts_with("cannot build the message") &&
          !event.reason.starts_with("cannot sign the message")) {
        replay_send(c, lead, event, false);
      }
      if (stats) ++stats->failed;
      finish(c, lead, LeadStatus::failed);
      // Refused at once as not existing (5.1.x): a send that bounced, for the bounce rate.
      if (event.status.starts_with("5.1.") && !event.reason.starts_with("gave up after")) {
        record_send_for_bounce_rate(c, lead);
      }
      break;
    case EventType::skipped:
      if (stats) ++stats->skipped;
      finish(c, lead, LeadStatus::skipped);
      break;
    case EventType::completed:
      finish(c, lead, LeadStatus::completed);
      break;
    case EventType::stopped: {
      static const std::map<std::string, LeadStatus, std::less<>> by_reason{
          {"reply", LeadStatus::replied},         {"auto_reply", LeadStatus::auto_replied},
          {"bounce", LeadStatus::bounced},        {"unsubscribe", LeadStatus::unsubscribed},
          {"complaint", LeadStatus::unsubscribed}};
      const auto reason = by_reason.find(event.reason);
      finish(c, lead, reason == by_reason.end() ? LeadStatus::stopped : reason->second);
      break;
    }
    case EventType::replied:
      if (stats) ++stats->replied;
      break;
    case EventType::auto_replied:
      if (stats) ++stats->auto_replied;
      returns.erase(lead);
      if (!event.return_date.empty()) {
        if (auto day = parse_instant(event.return_date + "T00:00:00Z")) {
          const auto date = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<milliseconds>(*day));
          const LocalTime midnight{std::chrono::local_days{date.time_since_epoch()}.time_since_epoch()};
          returns[lead] = c.zone_of(state).to_instant(midnight);
        }
      }
      break;
    case EventType::paused: {
      const auto returning = returns.find(lead);
      const Instant until = returning != returns.end() ? returning->second : event.at + default_pause;
      state.status = LeadStatus::paused;
      state.due = std::max({state.due, until, event.at + milliseconds(1)});
      break;
    }
    case EventType::resumed:
      state.status = LeadStatus::active;
      break;
    case EventType::bounced:
      if (stats) ++stats->bounced;
      if (event.kind == "hard") {
        record_hard_bounce(c, lead, event.at);
      } else {
        ++state.soft_bounces;
      }
      break;
    case EventType::unsubscribed:
      if (stats) ++stats->unsubscribed;
      break;
    case EventType::complained:
    case EventType::campaign_paused:
    case EventType::campaign_resumed:
      break;
  }
}

void Engine::State::restore(CampaignState& c) {
  replaying = true;
  std::unordered_map<std::uint32_t, Instant> returns;  // auto-reply return dates, by lead
  store.for_each_event(c.def.name, [&](const Event& event) { replay(c, event, returns); });
  replaying = false;
  // Mailboxes may be shared with campaigns resumed before: count their sends in time order.
  for (const std::size_t index : c.mailboxes) {
    if (mailboxes[index].keeps_history) mailboxes[index].rebuild();
  }
  const auto step_count = c.def.sequence.steps().size();
  for (std::uint32_t lead = 0; lead < c.leads.size(); ++lead) {
    LeadState& state = c.leads[lead];
    if (state.status == LeadStatus::active && static_cast<std::size_t>(state.next_step) > step_count) {
      // Its last step went out but the engine stopped before the `completed` that follows the
      // sends of an instant: record it now.
      emit(lead_event(EventType::completed, clock.now(), c, lead));
      finish(c, lead, LeadStatus::completed);
      continue;
    }
    if (state.status == LeadStatus::active || state.status == LeadStatus::paused) c.push_due(lead);
  }
}

// An intent without an outcome: the engine stopped between handing the message over and
// recording how it went. At most once it is not sent again; at least once its lead simply
// sends the same step again (same Message-ID), as it is still due.
void Engine::State::settle_in_doubt(CampaignState& c, Instant now) {
  // A group of sends can be in doubt at once: every `in_doubt` first, then the `completed` they
  // bring, as for sends of one instant.
  std::vector<std::uint32_t> completed;
  for (const SendIntent& intent : store.open_intents()) {
    if (intent.campaign != c.def.name) continue;
    const auto found = c.by_key.find(detail::ascii_lower(intent.lead));
    if (found == c.by_key.end()) continue;
    const std::uint32_t lead = found->second;
    // An intent whose step the lead has gone past was settled before (its event names the lead
    // as the list spelled it then): nothing to do.
    if (c.leads[lead].next_step != intent.step) continue;
    if (c.def.delivery == Delivery::at_least_once) {
      if (c.leads[lead].status == LeadStatus::pending) c.leads[lead].status = LeadStatus::active;
      c.leads[lead].due = std::min(c.leads[lead].due, now);
      c.push_due(lead);
      continue;
    }
    // Reported (and counted) when found, which keeps the log in time order.
    Event event = lead_event(EventType::in_doubt, now, c, lead, intent.step);
    event.mailbox = intent.mailbox;
    event.message_id = intent.message_id;
    std::unordered_map<std::uint32_t, Instant> no_returns;
    replay(c, event, no_returns);
    for (const std::size_t index : c.mailboxes) {
      if (mailboxes[index].keeps_history) mailboxes[index].rebuild();  // counts the send now
    }
    emit(event);
    if (static_cast<std::size_t>(intent.step) >= c.def.sequence.steps().size()) {
      completed.push_back(lead);
    } else {
      c.push_due(lead);
    }
  }
  for (const std::uint32_t lead : completed) {
    emit(lead_event(EventType::completed, now, c, lead));
    finish(c, lead, LeadStatus::completed);
  }
}

Engine::Engine(Store& store, Transport& transport, const Clock& clock)
    : state_(std::make_unique<State>(store, transport, clock)) {}

Engine::~Engine() = default;

expected<void> Engine::add_campaign(CampaignDefinition campaign) {
  if (state_->find(campaign.name)) {
    return fail(Errc::invalid_argument, "a campaign named \"" + campaign.name + "\" was already added");
  }
  if (campaign.mailboxes.empty()) return fail(Errc::invalid_argument, "the campaign has no mailbox");
  if (campaign.leads.size() >= UINT32_MAX) return fail(Errc::limit_exceeded, "too many leads in one campaign");
  auto c = std::make_unique<CampaignState>(std::move(campaign));
  c->leads.resize(c->def.leads.size());
  c->by_key.reserve(c->def.leads.size());
  // Keys live in the map's nodes, which never move; leads refer to them by pointer. The lead
  // loader already left out repeated addresses.
  c->keys.reserve(c->def.leads.size());
  for (std::uint32_t i = 0; i < c->def.leads.size(); ++i) {
    const auto [entry, inserted] = c->by_key.emplace(detail::ascii_lower(c->def.leads[i].email), i);
    if (!inserted) return fail(Errc::invalid_argument, "the lead \"" + c->def.leads[i].email + "\" is in the list twice");
    c->keys.push_back(&entry->first);
  }
  // Every mailbox is checked (and its DKIM key read) before anything of the campaign is kept.
  std::vector<std::shared_ptr<const DkimSigner>> signers;
  for (const Mailbox& mailbox : c->def.mailboxes) {
    if (auto usable = state_->transport.check(mailbox); !usable) {
      return fail(usable.error().code(), "campaign \"" + c->def.name + "\": " + usable.error().message(),
                  usable.error().where());
    }
    std::shared_ptr<const DkimSigner> signer;
    if (mailbox.dkim && state_->transport.needs_message_data()) {
      auto loaded = DkimSigner::load(*mailbox.dkim);
      if (!loaded) {
        return fail(loaded.error().code(), "mailbox \"" + mailbox.id + "\": " + loaded.error().message(),
                    loaded.error().where());
      }
      signer = std::make_shared<const DkimSigner>(std::move(*loaded));
    }
    signers.push_back(std::move(signer));
  }
  for (std::size_t i = 0; i < c->def.mailboxes.size(); ++i) {
    c->mailboxes.push_back(state_->mailbox_index(c->def.mailboxes[i], c->def.schedule.timezone, std::move(signers[i])));
  }
  for (const Step& step : c->def.sequence.steps()) {
    std::vector<VariantStats> variants;
    for (const Variant& variant : step.variants) variants.push_back(VariantStats{variant.name});
    c->stats.push_back(std::move(variants));
  }
  if (!c->def.unsubscribe.secret_env.empty()) {
    const char* secret = std::getenv(c->def.unsubscribe.secret_env.c_str());
    if (secret && *secret) {
      c->unsubscribe_secret = secret;
    } else {
      state_->warnings.push_back("campaign \"" + c->def.name + "\": " + c->def.unsubscribe.secret_env +
                                 " is not set; unsubscribe tokens are signed with an empty secret");
    }
  }
  c->unfinished = c->leads.size();
  state_->campaigns.push_back(std::move(c));
  return {};
}

expected<void> Engine::start(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status != CampaignStatus::draft) return {};
  const Instant now = state_->clock.now();
  c->status = CampaignStatus::running;
  if (auto stored = state_->store.campaign(c->def.name)) {
    // Started before: it goes on where its events left it, with the sequence it started with.
    if (stored->fingerprint != c->def.sequence.fingerprint()) {
      c->status = CampaignStatus::draft;
      return fail(Errc::invalid_value, "campaign \"" + c->def.name + "\" was started with another sequence (" +
                                           stored->fingerprint.substr(0, 12) + "...); a campaign keeps the sequence it "
                                           "started with: give a changed sequence a new campaign");
    }
    // Settings other than the sequence may change: the store keeps the latest.
    if (std::string definition = state_->store.keeps_definitions() ? c->def.to_json() : std::string();
        definition != stored->definition) {
      stored->definition = std::move(definition);
      if (auto saved = state_->store.save_campaign(*stored); !saved) {
        c->status = CampaignStatus::draft;
        return fail(saved.error());
      }
    }
    state_->enter_leads(*c, stored->started);
    state_->restore(*c);
    state_->settle_in_doubt(*c, now);
  } else {
    const Instant entered = std::max(now, c->def.schedule.start.value_or(now));
    const StoredCampaign kept{c->def.name, state_->store.keeps_definitions() ? c->def.to_json() : std::string(),
                              c->def.sequence.fingerprint(), entered};
    if (auto saved = state_->store.save_campaign(kept); !saved) {
      c->status = CampaignStatus::draft;
      return fail(saved.error());
    }
    state_->enter_leads(*c, entered);
  }
  c->unfinished = static_cast<std::size_t>(std::count_if(c->leads.begin(), c->leads.end(),
                                                         [](const LeadState& lead) { return unfinished(lead.status); }));
  if (c->unfinished == 0) c->status = CampaignStatus::finished;
  if (state_->failure) return fail(*state_->failure);
  return {};
}

expected<void> Engine::pause(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status == CampaignStatus::running) {
    c->status = CampaignStatus::paused;
    state_->emit(state_->campaign_event(EventType::campaign_paused, state_->clock.now(), *c, "request"));
  }
  return {};
}

expected<void> Engine::resume(std::string_view name) {
  CampaignState* c = state_->find(name);
  if (!c) return fail(Errc::not_found, "no campaign named \"" + std::string(name) + "\"");
  if (c->status == CampaignStatus::paused) {
    c->status = CampaignStatus::running;
    state_->emit(state_->campaign_event(EventType::campaign_resumed, state_->clock.now(), *c, "request"));
  }
  return {};
}

expected<void> Engine::apply(const InboundEvent& event) {
  const std::string key = detail::ascii_lower(event.lead);
  bool known = false;
  for (const auto& c : state_->campaigns) {
    if (!event.campaign.empty() && c->def.name != event.campaign) continue;
    known = known || c->by_key.contains(key);
  }
  if (!known) {
    return fail(Errc::not_found, "no campaign has the lead \"" + event.lead + "\"" +
                                     (event.campaign.empty() ? "" : " (campaign \"" + event.campaign + "\")"));
  }
  state_->inbound.emplace(event.at, event);
  return {};
}

void Engine::State::apply_inbound(const InboundEvent& arrived, Instant now) {
  const std::string key = detail::ascii_lower(arrived.lead);
  bool suppressed = false;
  for (auto& campaign : campaigns) {
    CampaignState& c = *campaign;
    if (!arrived.campaign.empty() && c.def.name != arrived.campaign) continue;
    const auto found = c.by_key.find(key);
    if (found == c.by_key.end()) continue;
    const std::uint32_t lead = found->second;
    LeadState& state = c.leads[lead];
    const int last_sent = state.next_step - 1;
    // A step named by the message (a reply to step 2) counts for that step's variant; it must be
    // one that went out.
    const int step = arrived.step && *arrived.step >= 1 && *arrived.step <= last_sent ? *arrived.step : last_sent;
    VariantStats* stats = stats_for(c, lead, step);
    const StopRules& rules = c.def.stop_on;
    switch (arrived.type) {
      case InboundType::reply: {
        emit(lead_event(EventType::replied, now, c, lead, step));
        if (stats) ++stats->replied;
        if (rules.reply) stop(c, lead, now, "reply", LeadStatus::replied);
        const std::string_view domain = std::string_view(key).substr(key.rfind('@') + 1);
        if (rules.domain_reply && !detail::is_consumer_mail_domain(domain)) {
          for (std::uint32_t other = 0; other < c.leads.size(); ++other) {
            if (other == lead || !unfinished(c.leads[other].status)) continue;
            const std::string& other_key = c.key_of(other);
            if (std::string_view(other_key).substr(other_key.rfind('@') + 1) == domain) {
              stop(c, other, now, "domain_reply", LeadStatus::stopped);
            }
          }
        }
        break;
      }
      case InboundType::auto_reply: {
        Event event = lead_event(EventType::auto_replied, now, c, lead, step);
        if (arrived.return_date) event.return_date = detail::format_date(*arrived.return_date);
        emit(event);
        if (stats) ++stats->auto_replied;
        if (rules.auto_reply == AutoReplyRule::stop) {
          stop(c, lead, now, "auto_reply", LeadStatus::auto_replied);
        } else if (rules.auto_reply == AutoReplyRule::pause_until_return && state.status == LeadStatus::active) {
          Instant until = now + default_pause;
          if (arrived.return_date) {
            const LocalTime midnight{std::chrono::local_days{*arrived.return_date}.time_since_epoch()};
            until = c.zone_of(state).to_instant(midnight);
          }
          Event paused = lead_event(EventType::paused, now, c, lead);
          paused.reason = "auto_reply";
          emit(paused);
          state.status = LeadStatus::paused;
          state.due = std::max({state.due, until, now + milliseconds(1)});
          c.push_due(lead);
        }
        break;
      }
      case InboundType::bounce: {
        bool hard = arrived.hard;
        if (!hard && ++state.soft_bounces >= c.def.bounces.soft_limit) hard = true;  // escalated
        Event event = lead_event(EventType::bounced, now, c, lead, step);
        event.kind = hard ? "hard" : "soft";
        emit(event);
        if (stats) ++stats->bounced;
        if (hard) {
          if (!suppressed) (void)kept(store.suppress(arrived.lead, "hard_bounce"));
          suppressed = true;
          if (rules.bounce) stop(c, lead, now, "bounce", LeadStatus::bounced);
          record_hard_bounce(c, lead, now);
        }
        break;
      }
      case InboundType::unsubscribe:
      case InboundType::complaint: {
        const bool complaint = arrived.type == InboundType::complaint;
        emit(lead_event(complaint ? EventType::complained : EventType::unsubscribed, now, c, lead, step));
        if (stats && !complaint) ++stats->unsubscribed;
        if (!suppressed) (void)kept(store.suppress(arrived.lead, complaint ? "complaint" : "unsubscribe"));
        suppressed = true;
        stop(c, lead, now, complaint ? "complaint" : "unsubscribe", LeadStatus::unsubscribed);
        break;
      }
    }
  }
}

expected<IngestResult> Engine::ingest(std::string_view raw_message, const MimeLimits& limits) {
  State& s = *state_;
  if (s.failure) return fail(*s.failure);  // the store cannot record what the message would change
  ClassifyContext context;
  for (const auto& campaign : s.campaigns) {
    const std::string& mailto = campaign->def.unsubscribe.mailto;
    if (!mailto.empty()) context.unsubscribe_addresses.push_back(mailto);
  }
  const Instant now = s.clock.now();
  context.received = std::chrono::floor<std::chrono::days>(now);
  const detail::MatchSources sources{
      .send_by_message_id = [&](std::string_view id) -> std::optional<detail::LeadMatch> {
        auto sent = s.store.find_sent(id);
        if (!sent) return std::nullopt;
        return detail::LeadMatch{std::move(sent->campaign), std::move(sent->lead), sent->step};
      },
      .last_step_before = [&](std::string_view campaign, std::string_view lead,
                              Instant at) { return s.store.last_step_sent(campaign, lead, at); },
      .lead_by_address = [&](std::string_view address) { return s.lead_by_address(address); },
      .runs_campaign = [&](std::string_view name) { return s.find(name) != nullptr; }};
  auto received = detail::read_received(raw_message, limits, context, sources);
  if (!received) return fail(received.error());
  IngestResult& result = received->result;
  const std::optional<InboundType> type = inbound_type(result.classification.type);
  if (result.matched_by == MatchMethod::none || !type) return std::move(result);

  // The record that the message was taken in and what it does to the lead are one unit: after a
  // crash it is either applied and known, or neither. A write that fails stops the engine, as
  // every failed write does: what it holds in memory may then be ahead of its store.
  bool fresh = false;
  {
    const State::Batch unit(s);
    if (!s.failure) {
      auto recorded = s.store.record_received(received->fingerprint, now);
      if (!recorded) {
        (void)s.kept(fail(recorded.error()));
      } else if ((fresh = *recorded)) {
        InboundEvent event{.at = now,
                           .lead = result.lead,
                           .type = *type,
                           .hard = result.classification.hard,
                           .return_date = result.classification.return_date,
                           .campaign = result.campaign,
                           .step = result.step};
        s.apply_inbound(event, now);
      }
    }
  }
  if (s.failure) return fail(*s.failure);
  result.duplicate = !fresh;
  return std::move(result);
}

std::optional<Instant> Engine::step() {
  State& s = *state_;
  const Instant now = s.clock.now();
  while (!s.inbound.empty() && s.inbound.begin()->first <= now) {
    const InboundEvent event = s.inbound.begin()->second;
    s.inbound.erase(s.inbound.begin());
    s.apply_inbound(event, now);
  }
  for (auto& campaign : s.campaigns) {
    CampaignState& c = *campaign;
    if (c.status == CampaignStatus::running && c.def.schedule.end && now >= *c.def.schedule.end) s.end_campaign(c, now);
    // A step with no delay is due at once: go round until nothing is due now, so that every
    // send of this instant comes before its `completed` events.
    while (c.status == CampaignStatus::running && !s.stop_requested.load()) {
      s.run_follow_ups(c, now);
      s.run_new_leads(c, now);
      s.send_outgoing(now);
      if (c.due.empty() || c.due.top().due > now) break;
    }
  }
  for (const Event& event : s.completions) s.emit(event);
  s.completions.clear();

  std::optional<Instant> wake;
  if (!s.inbound.empty()) wake = s.inbound.begin()->first;
  for (auto& campaign : s.campaigns) {
    CampaignState& c = *campaign;
    if (c.status == CampaignStatus::running && c.unfinished == 0) c.status = CampaignStatus::finished;
    if (auto at = s.next_wake(c, now); at && (!wake || *at < *wake)) wake = *at;
  }
  return wake;
}

void Engine::simulate(ManualClock& clock, std::optional<Instant> until) {
  while (!state_->stop_requested.load()) {
    const auto next = step();
    if (!next || (until && *next > *until)) break;
    clock.set(*next);
  }
}

void Engine::run(std::optional<Instant> until) {
  boost::asio::io_context io;
  run_on(io, until);
  io.run();
}

void Engine::run_on(boost::asio::io_context& io, std::optional<Instant> until, std::function<void()> done) {
  // One timer for the whole run; each wake-up does a step and sets the timer for the next.
  struct Loop : std::enable_shared_from_this<Loop> {
    Engine& engine;
    boost::asio::steady_timer timer;
    std::optional<Instant> until;
    std::function<void()> done;
    Loop(Engine& e, boost::asio::io_context& context, std::optional<Instant> last, std::function<void()> finished)
        : engine(e), timer(context), until(last), done(std::move(finished)) {}
    void wake() {
      // Nothing is done after `until`, not even at the first wake-up.
      const bool over = engine.state_->stop_requested.load() || (until && engine.state_->clock.now() > *until);
      const auto next = over ? std::nullopt : engine.step();
      if (!next || (until && *next > *until)) {
        if (done) done();
        return;
      }
      // Slices of at most 200 ms, so that a stop request is seen soon.
      const auto left = *next - engine.state_->clock.now();
      timer.expires_after(std::clamp<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(0),
                                                                           std::chrono::milliseconds(200)));
      timer.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->wake(); });
    }
  };
  auto loop = std::make_shared<Loop>(*this, io, until, std::move(done));
  boost::asio::post(io, [loop] { loop->wake(); });
}

void Engine::request_stop() noexcept { state_->stop_requested.store(true); }

const std::optional<Error>& Engine::failure() const noexcept { return state_->failure; }

void Engine::on_event(EventListener listener) { state_->listeners.push_back(std::move(listener)); }

const std::vector<std::string>& Engine::warnings() const noexcept { return state_->warnings; }

Summary Engine::summary() const {
  Summary summary;
  for (const auto& campaign : state_->campaigns) {
    const CampaignState& c = *campaign;
    CampaignSummary out;
    out.name = c.def.name;
    out.status = campaign_status_names[static_cast<std::size_t>(c.status)];
    for (std::string_view name : status_names) out.leads[std::string(name)] = 0;
    for (const LeadState& lead : c.leads) ++out.leads[std::string(status_names[static_cast<std::size_t>(lead.status)])];
    for (std::size_t i = 0; i < c.stats.size(); ++i) out.steps.push_back(StepStats{static_cast<int>(i + 1), c.stats[i]});
    for (const auto& [key, sent] : c.days) {
      out.days.push_back(DaySends{detail::format_date(std::chrono::year_month_day{key.first}), state_->mailboxes[key.second].settings.id, sent});
    }
    out.in_doubt = c.in_doubt;
    summary.campaigns.push_back(std::move(out));
  }
  return summary;
}

}  // namespace outreach
