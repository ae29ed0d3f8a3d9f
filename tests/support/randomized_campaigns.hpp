// Randomized campaigns for the property tests of tests/engine/test_guarantees.cpp (its only user):
// what a scenario is, how it is generated from a seed, how it is run on a manual clock, and a
// brute-force reading of the schedule on the wall clock (TimeZone::to_local and to_instant),
// independent of Schedule's own functions.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/timezone.hpp"

namespace outreach {
namespace {

namespace chr = std::chrono;
using LocalDays = chr::local_days;

constexpr std::uint64_t default_master_seed = 0x0D15'EA5E'2026'1201ULL;
// Under AddressSanitizer (a Debug build in CI) a case costs some 20 times more: fewer by default.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t default_case_count = 80;
#else
constexpr std::uint64_t default_case_count = 500;
#endif

// ---- seeds and randomness -------------------------------------------------------------------

std::uint64_t mix64(std::uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

std::uint64_t hash_text(std::string_view text) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

/// splitmix64: small, fast, and the same on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mix64(state_);
  }
  /// A number in [low, high].
  int between(int low, int high) {
    return low + static_cast<int>(next() % static_cast<std::uint64_t>(high - low + 1));
  }
  bool chance(int percent) { return between(0, 99) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(between(0, static_cast<int>(items.size()) - 1))];
  }

 private:
  std::uint64_t state_;
};

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  return std::strtoull(value, nullptr, 0);
}

std::string hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

/// The case seeds of a property test: `count` seeds derived from the master seed (each test
/// has its own stream), or the one seed to replay.
std::vector<std::uint64_t> case_seeds(std::uint64_t stream, std::uint64_t divisor = 1) {
  if (const char* replay = std::getenv("OUTREACH_PROPERTY_REPLAY"); replay && *replay) {
    return {std::strtoull(replay, nullptr, 0)};
  }
  const std::uint64_t master = env_number("OUTREACH_PROPERTY_SEED", default_master_seed);
  const std::uint64_t count = std::max<std::uint64_t>(1, env_number("OUTREACH_PROPERTY_CASES", default_case_count) / divisor);
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t i = 0; i < count; ++i) seeds.push_back(mix64(master ^ mix64(stream * 1000003ULL + i)));
  return seeds;
}

// ---- dates and the wall clock -----------------------------------------------------------------

std::string format_date(LocalDays day) {
  const chr::year_month_day ymd{day};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buffer;
}

std::optional<LocalDays> parse_date(std::string_view text) {
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (std::sscanf(std::string(text).c_str(), "%d-%u-%u", &y, &m, &d) != 3) return std::nullopt;
  const chr::year_month_day ymd{chr::year{y}, chr::month{m}, chr::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return LocalDays{ymd};
}

std::string format_minutes(int minutes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", minutes / 60, minutes % 60);
  return buffer;
}

std::string describe(const Event& event) { return to_json_line(event); }

LocalDays local_date(LocalTime local) { return chr::floor<chr::days>(local); }

TimeZone zone_named(std::string_view name) {
  auto zone = TimeZone::locate(name);
  REQUIRE_MESSAGE(zone.has_value(), "the tz database lacks " << name);
  return *zone;
}

/// Every instant at which the zone's wall clock shows `local`: none in a gap, two in a repeated hour.
std::vector<Instant> occurrences(const TimeZone& zone, LocalTime local) {
  const Instant naive{local.time_since_epoch()};
  std::vector<Instant> out;
  OffsetPeriod period = zone.period_at(naive - chr::hours(30));
  for (int guard = 0; guard < 32; ++guard) {
    const Instant candidate = naive - period.offset;
    if (candidate >= period.begin && candidate < period.end) out.push_back(candidate);
    if (period.end > naive + chr::hours(30)) break;
    period = zone.period_at(period.end);
  }
  return out;
}

// ---- the model of a campaign, as generated --------------------------------------------------

struct ScheduleModel {
  std::string zone_name;
  TimeZone zone;
  bool lead_timezone = false;
  std::array<bool, 7> days{};                 // index 0 = Sunday
  std::vector<std::pair<int, int>> windows;   // minutes after local midnight, [start, end)
  std::vector<LocalDays> skip;                // sorted
  Instant start{};
  std::optional<Instant> end;
};

bool is_sending_date(const ScheduleModel& schedule, LocalDays day) {
  return schedule.days[chr::weekday{day}.c_encoding()] &&
         !std::binary_search(schedule.skip.begin(), schedule.skip.end(), day);
}

/// The schedule read off the wall clock: start <= t < end, a sending day that is not skipped,
/// inside a window.
bool open_at(const ScheduleModel& schedule, const TimeZone& zone, Instant instant) {
  if (instant < schedule.start) return false;
  if (schedule.end && instant >= *schedule.end) return false;
  const LocalTime local = zone.to_local(instant);
  const LocalDays day = local_date(local);
  if (!is_sending_date(schedule, day)) return false;
  const auto into_day = (local - day).count();  // milliseconds
  for (const auto& [start, end] : schedule.windows) {
    if (into_day >= std::int64_t{start} * 60000 && into_day < std::int64_t{end} * 60000) return true;
  }
  return false;
}

std::string local_text(const TimeZone& zone, Instant instant) {
  const LocalTime local = zone.to_local(instant);
  const LocalDays day = local_date(local);
  const auto minutes = chr::duration_cast<chr::minutes>(local - day).count();
  const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  return format_date(day) + " " + names[chr::weekday{day}.c_encoding()] + " " +
         format_minutes(static_cast<int>(minutes)) + " " + std::string(zone.name());
}

/// Instants at which the schedule may open, in [from, to]: each occurrence of a window's start,
/// each offset transition, and the schedule's start. Every instant at which the schedule goes
/// from closed to open is one of them.
std::vector<Instant> open_candidates(const ScheduleModel& schedule, const TimeZone& zone, Instant from, Instant to) {
  std::vector<Instant> out{schedule.start};
  const LocalDays first = local_date(zone.to_local(from)) - chr::days(1);
  const LocalDays last = local_date(zone.to_local(to)) + chr::days(1);
  for (LocalDays day = first; day <= last; day += chr::days(1)) {
    for (const auto& window : schedule.windows) {
      for (const Instant at : occurrences(zone, LocalTime{day} + chr::minutes(window.first))) out.push_back(at);
    }
  }
  OffsetPeriod period = zone.period_at(from);
  for (int guard = 0; guard < 64 && period.end <= to; ++guard) {
    out.push_back(period.end);
    period = zone.period_at(period.end);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  out.erase(std::remove_if(out.begin(), out.end(), [&](Instant at) { return at < from || at > to; }), out.end());
  return out;
}

/// The first open instant at or after `from`, by brute force over the candidates.
std::optional<Instant> first_open(const ScheduleModel& schedule, const TimeZone& zone,
                                  const std::vector<Instant>& candidates, Instant from) {
  if (open_at(schedule, zone, from)) return from;
  for (auto it = std::upper_bound(candidates.begin(), candidates.end(), from); it != candidates.end(); ++it) {
    if (open_at(schedule, zone, *it)) return *it;
  }
  return std::nullopt;
}

struct VariantModel {
  std::string name;
  bool own_subject = false;
  std::vector<std::string> required;  // lead fields used without a fallback
};

struct StepModel {
  std::int64_t delay_minutes = 0;
  std::int64_t business_days = 0;
  bool reply = false;
  std::vector<VariantModel> variants;
};

/// The same local time on the n-th following sending day that is not skipped.
Instant business_due(const ScheduleModel& schedule, const TimeZone& zone, Instant from, std::int64_t count) {
  const LocalTime local = zone.to_local(from);
  LocalDays day = local_date(local);
  const auto time_of_day = local - day;
  for (std::int64_t counted = 0; counted < count;) {
    day += chr::days(1);
    if (is_sending_date(schedule, day)) ++counted;
  }
  return zone.to_instant(LocalTime{day} + time_of_day);
}

Instant due_after(const ScheduleModel& schedule, const TimeZone& zone, Instant from, const StepModel& step) {
  return step.business_days > 0 ? business_due(schedule, zone, from, step.business_days)
                                : from + chr::minutes(step.delay_minutes);
}

struct MailboxModel {
  std::string id;
  std::string address;
  std::int64_t daily_limit = 50;
  std::optional<std::pair<std::int64_t, std::int64_t>> ramp;  // start, step
  std::int64_t min_interval_minutes = 0;
  std::int64_t jitter_minutes = 0;
  std::string zone;  // empty: the schedule's
  std::string json;

  std::int64_t cap_on_day(std::int64_t n) const {
    if (!ramp) return daily_limit;
    return std::min(daily_limit, ramp->first + (n - 1) * ramp->second);
  }
};

struct LeadModel {
  std::string email;
  std::map<std::string, std::string> fields;  // first_name, company, title, city (custom)
  std::string zone;                           // as written; may be unknown
  bool duplicate = false;                     // a repeated address: the loader leaves it out
};

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string domain_of(const std::string& key) { return key.substr(key.rfind('@') + 1); }

enum class AutoReply : std::uint8_t { ignore, stop, pause };

struct CampaignModel {
  std::string name;
  std::uint64_t seed = 0;
  ScheduleModel schedule;
  std::string schedule_json;
  std::vector<StepModel> steps;
  std::string sequence_json;
  std::vector<MailboxModel> mailboxes;
  std::vector<LeadModel> leads;
  std::optional<std::int64_t> new_leads_per_day;
  std::optional<std::int64_t> sends_per_day;
  bool stop_reply = true;
  bool stop_bounce = true;
  bool domain_reply = false;
  AutoReply auto_reply = AutoReply::ignore;
  std::int64_t soft_limit = 3;
  std::optional<double> pause_rate;
  std::int64_t pause_window = 100;
  std::string extra_json;  // limits, stop_on, bounces

  bool has_lead(const std::string& key) const {
    return std::any_of(leads.begin(), leads.end(), [&](const LeadModel& lead) { return !lead.duplicate && lower(lead.email) == key; });
  }
};

/// What a generated scenario may contain.
struct Options {
  bool failures = true;          // scripted transport failures
  bool inbound = true;           // replies, bounces, ... at random instants
  bool missing_fields = true;    // templates that need fields some leads lack
  bool second_campaign = true;   // a second campaign sharing leads and mailboxes
  bool spacing = true;           // min_interval and jitter
  bool limited = true;           // daily limits, ramps, campaign caps
  int always_open_percent = 0;   // schedules open all day every day
  bool end = true;               // an end to the schedule sometimes
  bool pause_requests = true;    // a campaign paused and resumed by request, sometimes
};

struct Scenario {
  std::uint64_t seed = 0;
  std::vector<CampaignModel> campaigns;
  std::vector<InboundEvent> inbound;
  int temporary_per_mille = 0;
  int permanent_per_mille = 0;
  Instant clock_start{};
  Instant until{};
  // A campaign paused by request at the first instant and resumed at the second.
  std::optional<std::tuple<std::string, Instant, Instant>> pause_request;
};

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// ---- generating scenarios -------------------------------------------------------------------

const std::vector<std::string> zone_names{"America/New_York", "Europe/Berlin",  "Australia/Lord_Howe",
                                          "Asia/Kathmandu",   "Asia/Kolkata",   "Pacific/Apia",
                                          "America/Sao_Paulo", "UTC",           "Asia/Tokyo",
                                          "America/St_Johns", "Europe/London"};
const std::vector<std::string> unknown_zones{"Mars/Olympus_Mons", "Europe/Atlantis"};
// Near daylight-saving changes: US (03-08, 11-01), EU (03-29, 10-25), Lord Howe (04-05, 10-04).
const std::vector<std::string> start_dates{"2026-03-06", "2026-03-27", "2026-10-23", "2026-11-01",
                                           "2026-04-03", "2026-10-02", "2026-12-01"};

struct Piece {
  std::string text;
  std::vector<std::string> required;
};

const std::vector<Piece> subject_pieces{
    {"Quick question", {}},
    {"{Quick|Short} question about {{company | \"your team\"}}", {}},
    {"About {{company}}", {"company"}},
    {"{{title}} at {{company | \"your company\"}}", {"title"}},
    {"Hello from {Berlin|Tokyo|{Lima|Quito}}", {}},
    {"A note for {{city}}", {"city"}},
    {"Hi {{first_name}}", {"first_name"}},
    {"{{first_name | \"Hi\"}}, one idea", {}},
};
const std::vector<Piece> text_pieces{
    {"Hi {{first_name | \"there\"}},\n\nA short note.\n\n{{sender.email}}", {}},
    {"Hello {{first_name}}, how is {{company}}?", {"first_name", "company"}},
    {"{Hey|Hi|Hello} there, we help teams like yours.", {}},
    {"How is the weather in {{city}}?", {"city"}},
    {"As {{title | \"a leader\"}} you know \\{braces\\} and pipes \\| matter.", {}},
    {"Dear {{title}}, {a|b|{c|d}} for {{company | \"you\"}}.", {"title"}},
};
const std::vector<Piece> html_pieces{
    {"<style>p {color: red}</style><p>Hi {{first_name | \"there\"}}</p>", {}},
    {"<p>{{company}} &amp; us</p>", {"company"}},
    {"<p>{Cheers|Thanks}</p>", {}},
};

const Piece& pick_piece(Random& random, const std::vector<Piece>& pieces, bool missing_fields) {
  // A piece that needs a field a third of the time, when allowed.
  const bool needing = missing_fields && random.chance(35);
  for (;;) {
    const Piece& piece = random.pick(pieces);
    if (piece.required.empty() != needing) return piece;
  }
}

void add_required(VariantModel& variant, const Piece& piece) {
  for (const auto& field : piece.required) {
    if (std::find(variant.required.begin(), variant.required.end(), field) == variant.required.end()) {
      variant.required.push_back(field);
    }
  }
}

std::string delay_json(Random& random, StepModel& step, bool first) {
  const int kind = first ? (random.chance(70) ? 0 : random.between(1, 9)) : random.between(0, 9);
  switch (kind) {
    case 0: return random.chance(50) ? "{}" : "";
    case 1:
    case 2: step.delay_minutes = random.between(1, 720); return "{\"minutes\":" + std::to_string(step.delay_minutes) + "}";
    case 3:
    case 4: {
      const int hours = random.between(1, 72);
      step.delay_minutes = hours * 60;
      return "{\"hours\":" + std::to_string(hours) + "}";
    }
    case 5:
    case 6: {
      const int days = random.between(1, 5);
      step.delay_minutes = days * 1440;
      return "{\"days\":" + std::to_string(days) + "}";
    }
    case 7: {
      const int days = random.between(0, 3);
      const int hours = random.between(1, 23);
      const int minutes = random.between(0, 59);
      step.delay_minutes = days * 1440 + hours * 60 + minutes;
      return "{\"days\":" + std::to_string(days) + ",\"hours\":" + std::to_string(hours) +
             ",\"minutes\":" + std::to_string(minutes) + "}";
    }
    default: step.business_days = random.between(1, first ? 2 : 4);
      return "{\"business_days\":" + std::to_string(step.business_days) + "}";
  }
}

void generate_sequence(Random& random, CampaignModel& c, const Options& options) {
  const int count = random.between(1, 4);
  std::string json = "{\"name\":\"seq-" + c.name + "\",\"steps\":[";
  for (int k = 0; k < count; ++k) {
    StepModel step;
    std::string step_json = "{";
    const std::string delay = delay_json(random, step, k == 0);
    if (!delay.empty()) step_json += "\"delay\":" + delay + ",";
    if (k > 0) {
      step.reply = random.chance(60);
      if (!step.reply || random.chance(80)) step_json += step.reply ? "\"thread\":\"reply\"," : "\"thread\":\"new\",";
    }
    step_json += "\"variants\":[";
    const int variants = random.between(1, 3);
    for (int v = 0; v < variants; ++v) {
      VariantModel variant;
      std::string variant_json = "{";
      if (random.chance(30)) {
        variant.name = std::string(v == 0 ? "alpha" : v == 1 ? "beta" : "gamma");
        variant_json += "\"name\":" + json_string(variant.name) + ",";
      } else {
        variant.name = std::string(1, static_cast<char>('A' + v));
      }
      if (random.chance(60)) variant_json += "\"weight\":" + std::to_string(random.between(1, 5)) + ",";
      variant.own_subject = k == 0 || !step.reply || random.chance(40);
      if (variant.own_subject) {
        const Piece& subject = pick_piece(random, subject_pieces, options.missing_fields);
        add_required(variant, subject);
        variant_json += "\"subject\":" + json_string(subject.text) + ",";
      }
      const Piece& text = pick_piece(random, text_pieces, options.missing_fields);
      add_required(variant, text);
      variant_json += "\"text\":" + json_string(text.text);
      if (random.chance(30)) {
        const Piece& html = pick_piece(random, html_pieces, options.missing_fields);
        add_required(variant, html);
        variant_json += ",\"html\":" + json_string(html.text);
      }
      step.variants.push_back(variant);
      step_json += (v ? "," : "") + variant_json + "}";
    }
    step_json += "]}";
    c.steps.push_back(step);
    json += (k ? "," : "") + step_json;
  }
  c.sequence_json = json + "]}";
}

void generate_schedule(Random& random, CampaignModel& c, const Options& options, std::optional<LocalDays> base_day) {
  ScheduleModel& s = c.schedule;
  s.zone_name = random.pick(zone_names);
  s.zone = zone_named(s.zone_name);
  s.lead_timezone = random.chance(50);
  const bool always_open = random.chance(options.always_open_percent);
  std::string json = "{\"timezone\":" + json_string(s.zone_name);
  if (s.lead_timezone || random.chance(30)) json += std::string(",\"lead_timezone\":") + (s.lead_timezone ? "true" : "false");

  // Days.
  if (always_open || random.chance(30)) {
    s.days.fill(true);
  } else {
    const int mask = random.between(1, 127);
    for (std::size_t d = 0; d < 7; ++d) s.days[d] = ((mask >> d) & 1) != 0;
  }
  if (!always_open || random.chance(50)) {
    const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    json += ",\"days\":[";
    bool first = true;
    for (std::size_t d = 0; d < 7; ++d) {
      // Listed from Monday: the order must not matter.
      const std::size_t day = (d + 1) % 7;
      if (!s.days[day]) continue;
      json += (first ? "\"" : ",\"") + std::string(names[day]) + "\"";
      first = false;
    }
    json += "]";
  }

  // Hours.
  if (always_open || random.chance(12)) {
    s.windows = {{0, 1440}};
    if (random.chance(50)) json += ",\"hours\":[\"00:00-24:00\"]";
  } else {
    std::set<int> bounds;
    const int windows = random.between(1, 3);
    if (random.chance(25)) {
      // Around the hours clocks change.
      bounds.insert(random.between(0, 8) * 15);
      bounds.insert(120 + random.between(0, 8) * 15 + (bounds.count(120) ? 1 : 0));
    }
    const int grid = random.chance(70) ? 15 : 1;
    while (static_cast<int>(bounds.size()) < 2 * windows) bounds.insert(random.between(0, 1440 / grid) * grid);
    if (static_cast<int>(bounds.size()) % 2 != 0) bounds.erase(std::prev(bounds.end()));
    std::vector<int> sorted(bounds.begin(), bounds.end());
    json += ",\"hours\":[";
    for (std::size_t i = 0; i + 1 < sorted.size(); i += 2) {
      s.windows.emplace_back(sorted[i], sorted[i + 1]);
      json += (i ? ",\"" : "\"") + format_minutes(sorted[i]) + "-" + format_minutes(sorted[i + 1]) + "\"";
    }
    json += "]";
  }

  // Start: a date (midnight in the zone) or an instant.
  const LocalDays day = base_day ? *base_day
                        : random.chance(60)
                            ? *parse_date(random.pick(start_dates))
                            : LocalDays{chr::year{2026} / 1 / 1} + chr::days(random.between(0, 364));
  if (random.chance(25)) {
    const Instant at = Instant{chr::sys_days{day.time_since_epoch()}} + chr::minutes(random.between(0, 1439));
    s.start = at;
    json += ",\"start\":" + json_string(format_instant(at));
  } else {
    s.start = s.zone.to_instant(LocalTime{day});
    json += ",\"start\":" + json_string(format_date(day));
  }

  // Skipped dates.
  if (!always_open && random.chance(60)) {
    std::set<LocalDays> skip;
    const int count = random.between(1, 5);
    for (int i = 0; i < count; ++i) skip.insert(day + chr::days(random.between(-2, 40)));
    s.skip.assign(skip.begin(), skip.end());
    json += ",\"skip_dates\":[";
    for (std::size_t i = 0; i < s.skip.size(); ++i) json += (i ? "," : "") + json_string(format_date(s.skip[i]));
    json += "]";
  }

  // End: a date (the end of that day), an instant, null or nothing.
  const int end_kind = options.end ? random.between(0, 9) : 0;
  if (end_kind == 1 || end_kind == 2) {
    const LocalDays end_day = day + chr::days(random.between(2, 60));
    s.end = s.zone.to_instant(LocalTime{end_day + chr::days(1)});
    json += ",\"end\":" + json_string(format_date(end_day));
  } else if (end_kind == 3 || end_kind == 4) {
    const Instant at = s.start + chr::hours(random.between(48, 60 * 24)) + chr::minutes(random.between(0, 59));
    s.end = at;
    json += ",\"end\":" + json_string(format_instant(at));
  } else if (end_kind == 5) {
    json += ",\"end\":null";
  }
  c.schedule_json = json + "}";
}

MailboxModel generate_mailbox(Random& random, const std::string& id, int index, const Options& options) {
  MailboxModel m;
  m.id = id;
  m.address = "s" + std::to_string(index) + "@mail" + std::to_string(index % 3) + ".example";
  std::string json = "{\"id\":" + json_string(id) + ",\"from\":" +
                     json_string(random.chance(70) ? "Sender " + std::to_string(index) + " <" + m.address + ">" : m.address);
  if (options.limited) {
    m.daily_limit = random.between(1, 20);
    if (random.chance(40)) m.ramp = std::make_pair(std::int64_t{random.between(1, 5)}, std::int64_t{random.between(0, 4)});
  } else {
    m.daily_limit = 1000000;
  }
  json += ",\"daily_limit\":" + std::to_string(m.daily_limit);
  if (m.ramp) json += ",\"ramp\":{\"start\":" + std::to_string(m.ramp->first) + ",\"step\":" + std::to_string(m.ramp->second) + "}";
  if (options.spacing && random.chance(50)) {
    m.min_interval_minutes = random.between(1, 120);
    json += ",\"min_interval\":{\"minutes\":" + std::to_string(m.min_interval_minutes) + "}";
  }
  if (options.spacing && random.chance(30)) {
    m.jitter_minutes = random.between(1, 20);
    json += ",\"jitter\":{\"minutes\":" + std::to_string(m.jitter_minutes) + "}";
  }
  if (random.chance(30)) {
    m.zone = random.pick(zone_names);
    json += ",\"timezone\":" + json_string(m.zone);
  }
  m.json = json + "}";
  return m;
}

LeadModel generate_lead(Random& random, int uid, const Options& options) {
  LeadModel lead;
  const std::vector<std::string> domains{"alpha.example", "beta.example", "gamma.example", "delta.example", "epsilon.example"};
  const std::string domain = random.chance(10) ? "gmail.com" : random.pick(domains);
  lead.email = (random.chance(15) ? "Person." : "p.") + std::to_string(uid) + "@" + domain;
  const auto field = [&](const char* name, int percent, const std::string& value) {
    if (!options.missing_fields) {
      lead.fields[name] = value;
    } else if (random.chance(percent)) {
      lead.fields[name] = random.chance(8) ? "" : value;
    }
  };
  field("first_name", 85, "Ann" + std::to_string(uid));
  field("company", 75, "Co " + std::to_string(uid));
  field("title", 60, "CTO");
  field("city", 50, "Lyon");
  const int zone = random.between(0, 99);
  if (zone < 55) {
    lead.zone = random.pick(zone_names);
  } else if (zone < 65) {
    lead.zone = random.pick(unknown_zones);
  }
  return lead;
}

std::string lead_json(const LeadModel& lead) {
  std::string json = "{\"email\":" + json_string(lead.email);
  for (const auto& [name, value] : lead.fields) json += "," + json_string(name) + ":" + json_string(value);
  if (!lead.zone.empty()) json += ",\"timezone\":" + json_string(lead.zone);
  return json + "}";
}

void generate_rules(Random& random, CampaignModel& c, const Options& options) {
  std::string json;
  if (options.limited && random.chance(35)) {
    std::string limits;
    if (random.chance(70)) {
      c.new_leads_per_day = random.between(1, 15);
      limits += "\"new_leads_per_day\":" + std::to_string(*c.new_leads_per_day);
    }
    if (random.chance(70)) {
      c.sends_per_day = random.between(1, 40);
      limits += (limits.empty() ? "" : ",") + std::string("\"sends_per_day\":") + std::to_string(*c.sends_per_day);
    }
    json += ",\"limits\":{" + limits + "}";
  }
  if (random.chance(60)) {
    c.stop_reply = random.chance(85);
    c.stop_bounce = random.chance(85);
    c.domain_reply = random.chance(35);
    const int auto_reply = random.between(0, 2);
    c.auto_reply = static_cast<AutoReply>(auto_reply);
    json += std::string(",\"stop_on\":{\"reply\":") + (c.stop_reply ? "true" : "false") +
            ",\"bounce\":" + (c.stop_bounce ? "true" : "false") + ",\"domain_reply\":" + (c.domain_reply ? "true" : "false") +
            ",\"auto_reply\":" + (auto_reply == 0 ? "false" : auto_reply == 1 ? "true" : "\"pause_until_return\"") + "}";
  }
  if (random.chance(40)) {
    c.soft_limit = random.between(1, 4);
    json += ",\"bounces\":{\"soft_limit\":" + std::to_string(c.soft_limit);
    if (options.failures && random.chance(50)) {
      const int tenths = random.between(1, 6);
      c.pause_rate = tenths / 10.0;
      c.pause_window = random.between(5, 20);
      json += ",\"pause_rate\":0." + std::to_string(tenths) + ",\"pause_window\":" + std::to_string(c.pause_window);
    }
    json += "}";
  }
  c.extra_json = json;
}

/// The campaign's JSON, with its leads in the order given.
std::string campaign_json(const CampaignModel& c, const std::vector<std::size_t>& order) {
  std::string leads = "[";
  for (std::size_t i = 0; i < order.size(); ++i) leads += (i ? "," : "") + lead_json(c.leads[order[i]]);
  leads += "]";
  std::string mailboxes = "[";
  for (std::size_t i = 0; i < c.mailboxes.size(); ++i) mailboxes += (i ? "," : "") + c.mailboxes[i].json;
  mailboxes += "]";
  return "{\"name\":" + json_string(c.name) + ",\"seed\":" + std::to_string(c.seed) + ",\"sequence\":" + c.sequence_json +
         ",\"leads\":" + leads + ",\"schedule\":" + c.schedule_json + ",\"mailboxes\":" + mailboxes + c.extra_json + "}";
}

std::vector<std::size_t> identity_order(std::size_t size) {
  std::vector<std::size_t> order(size);
  for (std::size_t i = 0; i < size; ++i) order[i] = i;
  return order;
}

Scenario generate(std::uint64_t seed, const Options& options) {
  Random random(seed);
  Scenario sc;
  sc.seed = seed;
  int uid = 0;
  const int campaigns = options.second_campaign && random.chance(30) ? 2 : 1;
  std::optional<LocalDays> first_day;
  for (int ci = 0; ci < campaigns; ++ci) {
    CampaignModel c;
    c.name = "camp" + std::to_string(ci + 1);
    c.seed = static_cast<std::uint64_t>(random.between(0, 1000000));
    generate_sequence(random, c, options);
    std::optional<LocalDays> base;
    if (first_day) base = *first_day + chr::days(random.between(0, 10));
    generate_schedule(random, c, options, base);
    if (!first_day) first_day = local_date(c.schedule.zone.to_local(c.schedule.start));

    const int mailboxes = random.between(1, 4);
    for (int m = 0; m < mailboxes; ++m) {
      if (ci > 0 && m == 0 && random.chance(60)) {
        // The same account: defined the same way, or defined again with other settings (which
        // then apply to both campaigns).
        const MailboxModel& shared = sc.campaigns[0].mailboxes[0];
        c.mailboxes.push_back(random.chance(65) ? shared : generate_mailbox(random, shared.id, 20 + m, options));
        continue;
      }
      c.mailboxes.push_back(generate_mailbox(random, c.name + "-mb" + std::to_string(m), ci * 10 + m, options));
    }

    const int leads = random.between(5, 40);
    if (ci > 0) {
      // Some leads of the first campaign again, sometimes spelled in another case.
      for (const LeadModel& other : sc.campaigns[0].leads) {
        if (other.duplicate || !random.chance(40)) continue;
        LeadModel again = other;
        if (random.chance(30)) {
          for (char& ch : again.email) {
            if (ch >= 'a' && ch <= 'z' && random.chance(30)) ch = static_cast<char>(ch - 'a' + 'A');
          }
        }
        c.leads.push_back(again);
      }
    }
    for (int i = 0; i < leads; ++i) {
      LeadModel lead = generate_lead(random, uid++, options);
      if (i < 2 && ci == 0) lead.email = "p." + std::to_string(uid - 1) + "@gmail.com";
      c.leads.push_back(lead);
    }
    if (random.chance(10)) {
      LeadModel again = c.leads[static_cast<std::size_t>(random.between(0, static_cast<int>(c.leads.size()) - 1))];
      again.email = "P" + again.email.substr(1);
      again.duplicate = true;
      again.zone.clear();
      c.leads.push_back(again);
    }
    generate_rules(random, c, options);
    sc.campaigns.push_back(std::move(c));
  }

  sc.clock_start = sc.campaigns[0].schedule.start;
  for (const auto& c : sc.campaigns) sc.clock_start = std::min(sc.clock_start, c.schedule.start);
  // Sometimes the simulation starts after the schedule's start: leads enter then.
  if (random.chance(15)) sc.clock_start += chr::minutes(random.between(1, 3 * 24 * 60));
  sc.until = sc.clock_start + chr::days(120);
  if (options.pause_requests && random.chance(15)) {
    const Instant pause = sc.clock_start + chr::minutes(random.between(0, 10 * 24 * 60));
    sc.pause_request = std::make_tuple(random.pick(sc.campaigns).name, pause,
                                       pause + chr::minutes(random.between(60, 5 * 24 * 60)));
  }

  if (options.failures && random.chance(65)) {
    sc.temporary_per_mille = random.between(0, 250);
    sc.permanent_per_mille = random.between(0, 80);
  }
  if (options.inbound && random.chance(75)) {
    std::vector<std::string> addresses;
    for (const auto& c : sc.campaigns) {
      for (const auto& lead : c.leads) {
        if (!lead.duplicate) addresses.push_back(lead.email);
      }
    }
    // Some scenarios are bounce-heavy, to trip the campaign's bounce-rate pause.
    const bool bouncy = random.chance(20);
    const int count = random.between(1, bouncy ? 20 : 12);
    for (int i = 0; i < count; ++i) {
      InboundEvent event;
      event.lead = random.pick(addresses);
      std::vector<std::string> having;
      for (const auto& c : sc.campaigns) {
        if (c.has_lead(lower(event.lead))) having.push_back(c.name);
      }
      if (having.size() > 1 && random.chance(40)) event.campaign = random.pick(having);
      if (random.chance(20)) {
        for (char& ch : event.lead) {  // addresses compare case-insensitively
          if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        }
      }
      // Mostly while leads are between steps, sometimes long after.
      std::int64_t minutes = random.between(0, (random.chance(65) ? 8 : 60) * 24 * 60);
      if (random.chance(50)) minutes -= minutes % 15;
      event.at = sc.clock_start + chr::minutes(minutes);
      const int type = bouncy && random.chance(70) ? 7 : random.between(0, 9);
      if (type < 3) {
        event.type = InboundType::reply;
      } else if (type < 5) {
        event.type = InboundType::auto_reply;
        if (random.chance(60)) {
          const LocalDays day = local_date(LocalTime{event.at.time_since_epoch()}) + chr::days(random.between(-1, 20));
          event.return_date = chr::year_month_day{day};
        }
      } else if (type < 8) {
        event.type = InboundType::bounce;
        event.hard = random.chance(bouncy ? 80 : 40);
      } else if (type < 9) {
        event.type = InboundType::unsubscribe;
      } else {
        event.type = InboundType::complaint;
      }
      sc.inbound.push_back(event);
    }
  }
  return sc;
}

// ---- running a scenario ---------------------------------------------------------------------

/// A transport whose answers follow from the message id and the attempt number, so that two
/// runs get the same answers.
SendOutcome scripted_outcome(const Scenario& sc, std::unordered_map<std::string, int>& attempts, const Message& message) {
  const std::uint64_t id_hash = hash_text(message.message_id) ^ sc.seed;
  const int attempt = attempts[message.message_id]++;
  SendOutcome outcome;
  if (static_cast<int>(mix64(id_hash) % 1000) < sc.permanent_per_mille) {
    outcome.kind = SendOutcome::Kind::permanent;
    outcome.code = 550;
    const bool no_such_user = (mix64(id_hash + 1) & 1) != 0;
    outcome.status = no_such_user ? "5.1.1" : "5.7.1";
    outcome.reason = no_such_user ? "no such user" : "rejected by policy";
    return outcome;
  }
  if (static_cast<int>(mix64(id_hash + 2 + static_cast<std::uint64_t>(attempt)) % 1000) < sc.temporary_per_mille) {
    outcome.kind = SendOutcome::Kind::temporary;
    switch (mix64(id_hash + 100 + static_cast<std::uint64_t>(attempt)) % 3) {
      case 0: outcome.code = 421; outcome.status = "4.4.2"; outcome.reason = "connection dropped"; break;
      case 1: outcome.code = 451; outcome.status = "4.3.0"; outcome.reason = "try again later"; break;
      default: outcome.code = 552; outcome.status = "5.2.2"; outcome.reason = "mailbox full"; break;
    }
  }
  return outcome;
}

struct RunResult {
  std::vector<std::string> setup;          // problems setting the run up
  std::vector<CampaignDefinition> definitions;
  std::vector<Event> events;
  std::string log;
  Summary summary;
  std::vector<MemoryTransport::Sent> messages;
  std::vector<std::string> liveness;       // the simulation stopped early
  std::vector<std::string> warnings;       // the engine's
  bool ran_to_end = false;                 // every campaign finished
};

// Runs a scenario without a pause request on `store`, stopping the engine after each instant of
// `restarts` (in order) and going on with a new engine on the same store, as a process that
// stops and starts again would; `configure` sets each engine up before its campaigns are added.
// The log is each campaign's events in turn, as the store gives them.
// The scenario's campaigns as definitions; what does not load is noted in `result.setup`.
std::vector<CampaignDefinition> scenario_definitions(const Scenario& sc, RunResult& result) {
  std::vector<CampaignDefinition> definitions;
  for (const CampaignModel& c : sc.campaigns) {
    auto definition = CampaignDefinition::from_json(campaign_json(c, identity_order(c.leads.size())));
    if (!definition) {
      result.setup.push_back("campaign " + c.name + " does not load: " + definition.error().to_string());
      return {};
    }
    definitions.push_back(std::move(*definition));
  }
  return definitions;
}

// Adds and starts the scenario's campaigns, and applies its inbound events after `resumed_after`
// (those before were applied by the engine before a restart).
void set_up_scenario(Engine& engine, const Scenario& sc, const std::vector<CampaignDefinition>& definitions,
                     std::optional<Instant> resumed_after, RunResult& result) {
  for (const CampaignDefinition& definition : definitions) {
    if (auto added = engine.add_campaign(definition); !added) result.setup.push_back("add: " + added.error().to_string());
  }
  for (const CampaignModel& c : sc.campaigns) {
    if (auto started = engine.start(c.name); !started) result.setup.push_back("start: " + started.error().to_string());
  }
  for (const InboundEvent& event : sc.inbound) {
    if (resumed_after && event.at <= *resumed_after) continue;
    if (auto applied = engine.apply(event); !applied) result.setup.push_back("apply: " + applied.error().to_string());
  }
}

// The store's events of the scenario's campaigns, campaign by campaign, and their lines.
void collect_log(const Scenario& sc, const Store& store, RunResult& result) {
  for (const CampaignModel& c : sc.campaigns) {
    store.for_each_event(c.name, [&](const Event& event) { result.events.push_back(event); });
  }
  for (const Event& event : result.events) result.log += to_json_line(event) + "\n";
}

// What a scenario's engines run with: its scripted transport, a clock at its start, its
// campaigns (what does not load is noted in `result.setup`).
struct ScenarioRig {
  std::unordered_map<std::string, int> attempts;
  MemoryTransport transport;
  ManualClock clock;
  std::vector<CampaignDefinition> definitions;
  ScenarioRig(const Scenario& sc, RunResult& result)
      : transport([this, &sc](const Mailbox&, const Message& message) { return scripted_outcome(sc, attempts, message); }),
        clock{sc.clock_start},
        definitions(scenario_definitions(sc, result)) {}
};

RunResult run_scenario_with_restarts(const Scenario& sc, const std::vector<Instant>& restarts, Store& store,
                                     const std::function<void(Engine&)>& configure = {}) {
  RunResult result;
  ScenarioRig rig(sc, result);
  if (!result.setup.empty()) return result;
  const auto run_engine = [&](std::optional<Instant> resumed_after, Instant until) {
    Engine engine{store, rig.transport, rig.clock};
    if (configure) configure(engine);
    set_up_scenario(engine, sc, rig.definitions, resumed_after, result);
    engine.simulate(rig.clock, until);
    return engine.summary();
  };
  std::optional<Instant> resumed_after;
  for (const Instant restart_at : restarts) {
    (void)run_engine(resumed_after, restart_at);
    resumed_after = restart_at;
  }
  result.summary = run_engine(resumed_after, sc.until);
  collect_log(sc, store, result);
  return result;
}

// Runs a scenario in one engine, as `engine.simulate` would, and between its steps calls
// `at_pause` once for each of `pauses` (sorted) with the engine and the instant, before the step
// after it.
RunResult run_scenario_with_pauses(const Scenario& sc, const std::vector<Instant>& pauses, Store& store,
                                   const std::function<void(Engine&)>& configure,
                                   const std::function<void(Engine&, Instant)>& at_pause) {
  RunResult result;
  ScenarioRig rig(sc, result);
  if (!result.setup.empty()) return result;
  Engine engine{store, rig.transport, rig.clock};
  configure(engine);
  set_up_scenario(engine, sc, rig.definitions, std::nullopt, result);
  std::size_t pause = 0;
  for (;;) {
    const auto next = engine.step();
    if (!next || *next > sc.until) break;
    for (; pause < pauses.size() && pauses[pause] < *next; ++pause) at_pause(engine, pauses[pause]);
    rig.clock.set(*next);
  }
  result.summary = engine.summary();
  collect_log(sc, store, result);
  return result;
}

// Runs a scenario without a pause request, stopping the engine after `restart_at` and going on
// with a new engine on the same (memory) store; the log in the order the store was given it.
RunResult run_scenario_with_restart(const Scenario& sc, Instant restart_at) {
  MemoryStore store;
  RunResult result = run_scenario_with_restarts(sc, {restart_at}, store);
  result.events = store.events();
  result.log.clear();
  for (const Event& event : result.events) result.log += to_json_line(event) + "\n";
  return result;
}

RunResult run_scenario(const Scenario& sc, bool shuffled = false) {
  RunResult result;
  std::unordered_map<std::string, int> attempts;
  MemoryTransport transport(
      [&](const Mailbox&, const Message& message) { return scripted_outcome(sc, attempts, message); });
  MemoryStore store;
  ManualClock clock{sc.clock_start};
  Engine engine{store, transport, clock};
  Random shuffle(sc.seed ^ 0x5AFEULL);
  for (const CampaignModel& c : sc.campaigns) {
    std::vector<std::size_t> order = identity_order(c.leads.size());
    if (shuffled) {
      for (std::size_t i = order.size(); i > 1; --i) {
        std::swap(order[i - 1], order[static_cast<std::size_t>(shuffle.between(0, static_cast<int>(i) - 1))]);
      }
      // The loader keeps the first of repeated addresses: keep each original before its duplicate.
      std::stable_partition(order.begin(), order.end(), [&](std::size_t i) { return !c.leads[i].duplicate; });
    }
    const std::string json = campaign_json(c, order);
    auto definition = CampaignDefinition::from_json(json);
    if (!definition) {
      result.setup.push_back("campaign " + c.name + " does not load: " + definition.error().to_string() + "\n" + json);
      return result;
    }
    result.definitions.push_back(*definition);
    if (auto added = engine.add_campaign(std::move(*definition)); !added) {
      result.setup.push_back("add_campaign " + c.name + ": " + added.error().to_string());
      return result;
    }
  }
  for (const CampaignModel& c : sc.campaigns) {
    if (auto started = engine.start(c.name); !started) result.setup.push_back("start " + c.name + ": " + started.error().to_string());
  }
  for (const InboundEvent& event : sc.inbound) {
    if (auto applied = engine.apply(event); !applied) result.setup.push_back("apply " + event.lead + ": " + applied.error().to_string());
  }
  if (sc.pause_request) {
    const auto& [name, pause, resume] = *sc.pause_request;
    engine.simulate(clock, pause);
    clock.set(pause);  // nothing was due before it that has not been done
    if (auto paused = engine.pause(name); !paused) result.setup.push_back("pause: " + paused.error().to_string());
    engine.simulate(clock, resume);
    clock.set(resume);
    if (auto resumed = engine.resume(name); !resumed) result.setup.push_back("resume: " + resumed.error().to_string());
  }
  engine.simulate(clock, sc.until);

  result.warnings = engine.warnings();
  result.events = store.events();
  for (const Event& event : result.events) result.log += to_json_line(event) + "\n";
  result.summary = engine.summary();
  result.messages = transport.sent();
  result.ran_to_end = true;
  bool running = false;
  for (const auto& campaign : result.summary.campaigns) {
    if (campaign.status != "finished") result.ran_to_end = false;
    if (campaign.status == "running") running = true;
  }
  if (running) {
    // The simulation may only have stopped at `until`: the engine must still have work after it.
    const Instant now = clock.now();
    const auto next = engine.step();
    if (!next) {
      result.liveness.push_back("G8 a campaign is still running at " + format_instant(now) +
                                " but the engine has nothing left to do (its unfinished leads would wait forever)");
    } else if (*next <= sc.until) {
      result.liveness.push_back("G8 the simulation stopped at " + format_instant(now) + " although the engine has work at " +
                                format_instant(*next) + ", before `until`");
    }
    if (store.events().size() != result.events.size()) {
      result.liveness.push_back("G8 asked again at " + format_instant(now) + ", the engine did more: " +
                                describe(store.events()[result.events.size()]));
    }
  }
  return result;
}

}  // namespace
}  // namespace outreach
