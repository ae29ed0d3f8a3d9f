#include "engine/snapshot.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/instant_columns.hpp"
#include "util/binary.hpp"
#include "util/hash.hpp"

namespace outreach::detail {

namespace {

constexpr std::string_view magic = "outreach snapshot";
// Changes whenever what is written changes: an older snapshot is then replayed over.
constexpr std::uint8_t format_version = 1;

// Every field of VariantStats that counts, in one order for writing and reading.
constexpr std::int64_t VariantStats::* variant_counts[] = {
    &VariantStats::sent,    &VariantStats::deferred,     &VariantStats::failed,
    &VariantStats::skipped, &VariantStats::replied,      &VariantStats::auto_replied,
    &VariantStats::bounced, &VariantStats::unsubscribed, &VariantStats::complained,
    &VariantStats::opened,  &VariantStats::clicked};

// Sorted copies of a hashed container's entries, so that the same state writes the same bytes.
template <class Map>
std::vector<std::pair<typename Map::key_type, typename Map::mapped_type>> sorted(const Map& map) {
  std::vector<std::pair<typename Map::key_type, typename Map::mapped_type>> out(map.begin(), map.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace

// Mailboxes are written as places in a table of their ids (engine indices differ from one run
// to the next), in the order of the engine's indices, which is the order a replay creates the
// mailboxes it knows only from events.
class SnapshotCodec {
 public:
  struct TableEntry {
    std::string id;
    bool placeholder = false;
    std::string domain;  // of a placeholder: the domain its Message-IDs had
    std::string zone;    // the mailbox's time zone, which its sends' days were counted in
  };

  static std::string write(const CampaignState& c, const MailboxPool& mailboxes, const ReplayRecord& record,
                           std::uint64_t fingerprint) {
    // The table: every mailbox the state or the record refers to, by engine index.
    std::vector<bool> referred(mailboxes.size(), false);
    for (const LeadState& state : c.leads.states()) {
      if (state.mailbox != no_mailbox) referred[state.mailbox] = true;
      if (state.thread_mailbox != no_mailbox) referred[state.thread_mailbox] = true;
    }
    for (const auto& [key, count] : c.analytics.days_) referred[key.second] = true;
    for (std::size_t i = 0; i < record.sends.size(); ++i) {
      if (!record.sends[i].empty()) referred[i] = true;
    }
    for (const auto& [index, change] : record.switches) referred[index] = true;
    std::vector<std::size_t> used;
    for (std::size_t i = 0; i < referred.size(); ++i) {
      if (referred[i]) used.push_back(i);
    }
    const auto place = [&](std::size_t index) {
      return static_cast<std::uint64_t>(std::lower_bound(used.begin(), used.end(), index) - used.begin());
    };

    BinaryWriter out;
    out.bytes(magic);
    out.u8(format_version);
    out.u64(fingerprint);
    out.varint(c.leads.size());
    out.varint(used.size());
    for (const std::size_t index : used) {
      out.bytes(mailboxes[index].settings().id);
      out.u8(mailboxes.is_placeholder(index) ? 1 : 0);
      out.bytes(mailboxes.is_placeholder(index) ? mailboxes[index].settings().from.domain() : std::string_view());
      out.bytes(mailboxes[index].zone().name());
    }
    out.u8(static_cast<std::uint8_t>(c.status));

    const auto mailbox_place = [&](std::uint32_t index) { return index == no_mailbox ? 0 : place(index) + 1; };
    for (const LeadState& state : c.leads.states()) {
      out.svarint(milliseconds_of(state.due));
      out.varint(mailbox_place(state.mailbox));
      out.varint(mailbox_place(state.thread_mailbox));
      out.u8(state.next_step);
      out.u8(state.attempts);
      out.u8(state.soft_bounces);
      out.u8(static_cast<std::uint8_t>(state.status));
      out.varint(state.thread_version);
    }
    std::vector<std::uint32_t> missing;
    for (std::uint32_t lead = 0; lead < record.completion_missing.size(); ++lead) {
      if (record.completion_missing[lead]) missing.push_back(lead);
    }
    write_ascending(out, missing);
    std::vector<std::uint64_t> engaged(c.engaged.begin(), c.engaged.end());
    std::sort(engaged.begin(), engaged.end());
    write_ascending(out, engaged);

    out.svarint(c.caps.day_.time_since_epoch().count());
    out.svarint(c.caps.new_today_);
    out.svarint(c.caps.sends_today_);
    out.svarint(c.bounces.size_);
    out.varint(c.bounces.recent_.size());
    for (const auto& [lead, bounced] : c.bounces.recent_) {
      out.varint(lead);
      out.u8(bounced ? 1 : 0);
    }
    out.svarint(c.bounces.bounced_);

    write_analytics(out, c.analytics, place);
    write_ab_tests(out, c.ab_tests);

    const auto returns = sorted(c.returns);
    out.varint(returns.size());
    for (const auto& [lead, at] : returns) {
      out.varint(lead);
      out.svarint(milliseconds_of(at));
    }
    out.u8(c.last_sent ? 1 : 0);
    if (c.last_sent) out.svarint(milliseconds_of(*c.last_sent));
    out.varint(c.in_doubt.size());
    for (const DoubtfulSend& send : c.in_doubt) {
      out.varint(send.lead);
      out.svarint(send.step);
      out.bytes(send.mailbox);
      out.bytes(send.message_id);
      out.svarint(milliseconds_of(send.since));
      out.u8(send.answered ? 1 : 0);
    }

    std::vector<std::size_t> sending;
    for (std::size_t i = 0; i < record.sends.size(); ++i) {
      if (!record.sends[i].empty()) sending.push_back(i);
    }
    out.varint(sending.size());
    for (const std::size_t index : sending) {
      out.varint(place(index));
      out.varint(record.sends[index].size());
      std::int64_t previous = 0;
      for (const std::int64_t packed : record.sends[index]) {
        const std::int64_t at = packed >> 1;
        const std::uint64_t delta = zigzag(at - previous);
        out.varint((delta << 1) | static_cast<std::uint64_t>(packed & 1));
        previous = at;
      }
    }
    out.varint(record.switches.size());
    for (const auto& [index, change] : record.switches) {
      out.varint(place(index));
      out.u8(change.disabled ? 1 : 0);
      out.bytes(change.reason);
      out.svarint(milliseconds_of(change.at));
    }
    // A checksum last: a damaged snapshot is never taken for the campaign's state.
    std::string bytes = std::move(out).take();
    BinaryWriter sum;
    sum.u64(hash_text(bytes));
    return bytes + std::move(sum).take();
  }

  static bool read(std::string_view bytes, std::uint64_t fingerprint, CampaignState& c, MailboxPool& mailboxes,
                   ReplayRecord& record) {
    if (bytes.size() < 8) return false;
    BinaryReader sum(bytes.substr(bytes.size() - 8));
    bytes.remove_suffix(8);
    if (sum.u64() != hash_text(bytes)) return false;
    BinaryReader in(bytes);
    if (in.bytes() != magic || in.u8() != format_version || in.u64() != fingerprint) return false;
    if (in.varint() != c.leads.size() || !in.ok()) return false;
    std::vector<TableEntry> table(in.count(4));
    for (TableEntry& entry : table) {
      entry.id = std::string(in.bytes());
      entry.placeholder = in.u8() != 0;
      entry.domain = std::string(in.bytes());
      entry.zone = std::string(in.bytes());
      // A mailbox the engine had then but does not know now: a replay would make a placeholder
      // of it from the events, which the snapshot cannot tell. One in another zone now (another
      // campaign's settings of it): a replay would count its sends' days in that zone.
      const auto known = mailboxes.find(entry.id);
      if (!known && !entry.placeholder) return false;
      if ((known ? mailboxes[*known].zone() : c.def.schedule.timezone).name() != entry.zone) return false;
    }
    const auto status = in.u8();
    if (status >= campaign_status_names.size()) in.fail();

    // Everything is read into copies first: a snapshot found damaged half-way changes nothing.
    std::vector<LeadState> states = c.leads.states();
    for (LeadState& state : states) {
      state.due = instant_of(in.svarint());
      state.mailbox = read_place(in, table.size());
      state.thread_mailbox = read_place(in, table.size());
      state.next_step = in.u8();
      state.attempts = in.u8();
      state.soft_bounces = in.u8();
      const std::uint8_t lead_status = in.u8();
      if (lead_status >= lead_status_names.size()) in.fail();
      state.status = static_cast<LeadStatus>(lead_status);
      state.thread_version = static_cast<std::uint16_t>(in.varint());
      if (!in.ok()) return false;
    }
    std::vector<bool> completion_missing(states.size(), false);
    for (const std::uint64_t lead : read_ascending(in)) {
      if (lead >= states.size()) return false;
      completion_missing[lead] = true;
    }
    const std::vector<std::uint64_t> engaged = read_ascending(in);

    DailyCaps caps;
    caps.day_ = std::chrono::sys_days{std::chrono::days(in.svarint())};
    caps.new_today_ = in.svarint();
    caps.sends_today_ = in.svarint();
    BounceWindow bounces(in.svarint());
    for (std::uint64_t i = 0, n = in.count(2); i < n; ++i) {
      const std::uint64_t lead = in.varint();
      const bool bounced = in.u8() != 0;
      if (lead >= states.size()) return false;
      bounces.recent_.emplace_back(static_cast<std::uint32_t>(lead), bounced);
    }
    bounces.bounced_ = in.svarint();

    CampaignAnalytics analytics = c.analytics;
    std::vector<std::pair<std::pair<std::chrono::sys_days, std::size_t>, std::int64_t>> days;
    if (!read_analytics(in, analytics, days, table.size())) return false;
    CampaignAbTests ab_tests = c.ab_tests;
    if (!read_ab_tests(in, ab_tests, states.size())) return false;

    std::unordered_map<std::uint32_t, Instant> returns;
    for (std::uint64_t i = 0, n = in.count(2); i < n; ++i) {
      const std::uint64_t lead = in.varint();
      if (lead >= states.size()) return false;
      returns[static_cast<std::uint32_t>(lead)] = instant_of(in.svarint());
    }
    std::optional<Instant> last_sent;
    if (in.u8() != 0) last_sent = instant_of(in.svarint());
    std::vector<DoubtfulSend> in_doubt(in.count(6));
    for (DoubtfulSend& send : in_doubt) {
      const std::uint64_t lead = in.varint();
      if (lead >= states.size()) return false;
      send.lead = static_cast<std::uint32_t>(lead);
      send.step = static_cast<int>(in.svarint());
      send.mailbox = std::string(in.bytes());
      send.message_id = std::string(in.bytes());
      send.since = instant_of(in.svarint());
      send.answered = in.u8() != 0;
    }

    std::vector<std::pair<std::size_t, std::vector<std::int64_t>>> sends(in.count(2));
    for (auto& [place, packed] : sends) {
      place = in.varint();
      if (place >= table.size()) return false;
      packed.resize(in.count(1));
      std::int64_t previous = 0;
      for (std::int64_t& entry : packed) {
        const std::uint64_t raw = in.varint();
        previous += unzigzag(raw >> 1);
        entry = (previous << 1) | static_cast<std::int64_t>(raw & 1);
      }
    }
    std::vector<std::pair<std::size_t, ReplayRecord::Switch>> switches(in.count(3));
    for (auto& [place, change] : switches) {
      place = in.varint();
      if (place >= table.size()) return false;
      change.disabled = in.u8() != 0;
      change.reason = std::string(in.bytes());
      change.at = instant_of(in.svarint());
    }
    if (!in.ok() || !in.at_end()) return false;

    // Read whole: the engine's own indices for the table, mailboxes known only from events
    // made as the replay would have made them, and the state taken in.
    std::vector<std::size_t> index(table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
      const TableEntry& entry = table[i];
      const auto known = mailboxes.find(entry.id);
      index[i] = known ? *known : mailboxes.placeholder(entry.id, entry.domain, c.def.schedule.timezone);
    }
    const auto engine_index = [&](std::uint32_t place) {
      return place == no_mailbox ? no_mailbox : static_cast<std::uint32_t>(index[place]);
    };
    for (std::uint32_t lead = 0; lead < states.size(); ++lead) {
      LeadState& state = c.leads[lead];
      const std::uint16_t zone = state.zone;
      state = states[lead];
      state.zone = zone;
      state.mailbox = engine_index(states[lead].mailbox);
      state.thread_mailbox = engine_index(states[lead].thread_mailbox);
    }
    c.status = static_cast<CampaignStatus>(status);
    c.engaged = std::unordered_set<std::uint64_t>(engaged.begin(), engaged.end());
    c.caps = caps;
    c.bounces = std::move(bounces);
    for (const auto& [key, count] : days) analytics.days_[{key.first, index[key.second]}] = count;
    c.analytics = std::move(analytics);
    c.ab_tests = std::move(ab_tests);
    c.returns = std::move(returns);
    c.last_sent = last_sent;
    c.in_doubt = std::move(in_doubt);
    record.completion_missing = std::move(completion_missing);
    for (const auto& [place, packed] : sends) {
      MailboxLimiter& limiter = mailboxes[index[place]];
      for (const std::int64_t entry : packed) {
        const Instant at = instant_of(entry >> 1);
        const bool counted = (entry & 1) != 0;
        limiter.remember(at, counted);
        record.sent(index[place], at, counted);
      }
    }
    for (const auto& [place, change] : switches) {
      mailboxes[index[place]].set_disabled(change.disabled, change.reason, change.at);
      record.switched(index[place], change.disabled, change.reason, change.at);
    }
    return true;
  }

 private:
  // A mailbox's place in the table, plus one (0: none), read back as a place or `no_mailbox`.
  static std::uint32_t read_place(BinaryReader& in, std::size_t table_size) {
    const std::uint64_t place = in.varint();
    if (place == 0) return no_mailbox;
    if (place > table_size) in.fail();
    return static_cast<std::uint32_t>(place - 1);
  }

  template <class Number>
  static void write_ascending(BinaryWriter& out, const std::vector<Number>& values) {
    out.varint(values.size());
    std::uint64_t previous = 0;
    for (const Number value : values) {
      out.varint(static_cast<std::uint64_t>(value) - previous);
      previous = static_cast<std::uint64_t>(value);
    }
  }
  static std::vector<std::uint64_t> read_ascending(BinaryReader& in) {
    std::vector<std::uint64_t> values(in.count(1));
    std::uint64_t previous = 0;
    for (std::uint64_t& value : values) {
      value = previous + in.varint();
      previous = value;
    }
    return values;
  }

  template <class Place>
  static void write_analytics(BinaryWriter& out, const CampaignAnalytics& analytics, const Place& place) {
    out.varint(analytics.stats_.size());
    for (const auto& variants : analytics.stats_) {
      out.varint(variants.size());
      for (const VariantStats& stats : variants) {
        for (const auto field : variant_counts) out.svarint(stats.*field);
      }
    }
    out.varint(analytics.days_.size());
    for (const auto& [key, count] : analytics.days_) {
      out.svarint(key.first.time_since_epoch().count());
      out.varint(place(key.second));
      out.svarint(count);
    }
    out.svarint(analytics.in_doubt_);
  }
  // The steps and variants are the versions' (the fingerprint says they are the same).
  static bool read_analytics(BinaryReader& in, CampaignAnalytics& analytics,
                             std::vector<std::pair<std::pair<std::chrono::sys_days, std::size_t>, std::int64_t>>& days,
                             std::size_t table_size) {
    if (in.varint() != analytics.stats_.size()) return false;
    for (auto& variants : analytics.stats_) {
      if (in.varint() != variants.size()) return false;
      for (VariantStats& stats : variants) {
        for (const auto field : variant_counts) stats.*field = in.svarint();
      }
    }
    analytics.days_.clear();
    days.resize(in.count(3));
    for (auto& [key, count] : days) {
      key.first = std::chrono::sys_days{std::chrono::days(in.svarint())};
      key.second = in.varint();
      count = in.svarint();
      if (key.second >= table_size) return false;
    }
    analytics.in_doubt_ = in.svarint();
    return in.ok();
  }

  static void write_ab_tests(BinaryWriter& out, const CampaignAbTests& tests) {
    out.varint(tests.steps_.size());
    for (const auto& step : tests.steps_) {
      out.u8(step ? 1 : 0);
      if (!step) continue;
      out.varint(step->variants());
      for (std::size_t v = 0; v < step->variants(); ++v) {
        out.varint(step->outcomes_[v].size());
        for (const bool replied : step->outcomes_[v]) out.u8(replied ? 1 : 0);
        out.svarint(step->replied_[v]);
        out.u8(step->open_[v] ? 1 : 0);
      }
      for (const PairEvidence& pair : step->pairs_) {
        out.svarint(pair.blocks_);
        out.svarint(pair.replied_a_);
        out.svarint(pair.replied_b_);
        out.f64(pair.log_e_a_);
        out.f64(pair.log_e_b_);
      }
      out.varint(step->winner_ ? *step->winner_ + 1 : 0);
    }
    out.varint(tests.waiting_.size());
    for (const auto& waiting : tests.waiting_) {
      out.svarint(milliseconds_of(waiting.settles));
      out.varint(waiting.lead);
      out.svarint(waiting.step);
      out.varint(waiting.variant);
    }
    const auto windows = sorted(tests.windows_);
    out.varint(windows.size());
    for (const auto& [key, window] : windows) {
      out.varint(key);
      out.svarint(milliseconds_of(window.settles));
      out.u8(window.answered ? 1 : 0);
    }
    const auto chosen = sorted(tests.chosen_);
    out.varint(chosen.size());
    for (const auto& [key, variant] : chosen) {
      out.varint(key);
      out.u8(variant);
    }
  }
  // The tests are the versions' (the fingerprint says they are the same); what they saw is read.
  static bool read_ab_tests(BinaryReader& in, CampaignAbTests& tests, std::size_t leads) {
    if (in.varint() != tests.steps_.size()) return false;
    for (auto& step : tests.steps_) {
      if ((in.u8() != 0) != step.has_value()) return false;
      if (!step) continue;
      if (in.varint() != step->variants()) return false;
      for (std::size_t v = 0; v < step->variants(); ++v) {
        std::vector<bool> outcomes(in.count(1));
        for (std::size_t i = 0; i < outcomes.size(); ++i) outcomes[i] = in.u8() != 0;
        step->outcomes_[v] = std::move(outcomes);
        step->replied_[v] = in.svarint();
        step->open_[v] = in.u8() != 0;
      }
      for (PairEvidence& pair : step->pairs_) {
        pair.blocks_ = in.svarint();
        pair.replied_a_ = in.svarint();
        pair.replied_b_ = in.svarint();
        pair.log_e_a_ = in.f64();
        pair.log_e_b_ = in.f64();
      }
      const std::uint64_t winner = in.varint();
      if (winner > step->variants()) return false;
      step->winner_ = winner == 0 ? std::nullopt : std::optional<std::size_t>(winner - 1);
    }
    tests.waiting_.clear();
    for (std::uint64_t i = 0, n = in.count(4); i < n; ++i) {
      CampaignAbTests::Waiting waiting{};
      waiting.settles = instant_of(in.svarint());
      const std::uint64_t lead = in.varint();
      waiting.step = static_cast<int>(in.svarint());
      waiting.variant = in.varint();
      const StepAbTest* test = tests.step(waiting.step);
      if (lead >= leads || !test || waiting.variant >= test->variants()) return false;
      waiting.lead = static_cast<std::uint32_t>(lead);
      tests.waiting_.push_back(waiting);
    }
    tests.windows_.clear();
    for (std::uint64_t i = 0, n = in.count(3); i < n; ++i) {
      const std::uint64_t key = in.varint();
      CampaignAbTests::Window window;
      window.settles = instant_of(in.svarint());
      window.answered = in.u8() != 0;
      tests.windows_[key] = window;
    }
    tests.chosen_.clear();
    for (std::uint64_t i = 0, n = in.count(2); i < n; ++i) {
      const std::uint64_t key = in.varint();
      tests.chosen_[key] = in.u8();
    }
    return in.ok();
  }
};

std::uint64_t snapshot_fingerprint(const CampaignState& c, std::uint64_t definition_hash) {
  std::uint64_t h = hash_combine(format_version, definition_hash);
  for (const Sequence& version : c.versions) h = hash_combine(h, hash_bytes(version.fingerprint()));
  h = hash_combine(h, c.leads.size());
  for (std::uint32_t lead = 0; lead < c.leads.size(); ++lead) h = hash_combine(h, hash_text(c.leads.key_of(lead)));
  return h;
}

std::string write_snapshot(const CampaignState& c, const MailboxPool& mailboxes, const ReplayRecord& record,
                           std::uint64_t fingerprint) {
  return SnapshotCodec::write(c, mailboxes, record, fingerprint);
}

bool read_snapshot(std::string_view bytes, std::uint64_t fingerprint, CampaignState& c, MailboxPool& mailboxes,
                   ReplayRecord& record) {
  return SnapshotCodec::read(bytes, fingerprint, c, mailboxes, record);
}

}  // namespace outreach::detail
