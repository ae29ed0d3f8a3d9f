// Simulation speed: a campaign of many leads x 3 steps through 100 mailboxes, leads spread over
// 24 time zones, on the manual clock with the memory store (events counted, not kept) and the
// dry-run transport (no message bytes built). Prints simulated sends per second, peak memory
// per lead, and the same count of push/pop pairs on a binary heap measured in the same run (the
// least any heap-driven scheduler does per send), with the ratio.
//
//   bench_simulate [--leads N]   (default 1,000,000)

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"

namespace {

using Clock = std::chrono::steady_clock;

template <class T>
void keep(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

constexpr const char* zones[] = {
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",   "America/Chicago",
    "America/New_York", "America/Sao_Paulo", "Atlantic/Azores",     "Europe/London",    "Europe/Berlin",
    "Europe/Athens",    "Europe/Moscow",     "Asia/Dubai",          "Asia/Karachi",     "Asia/Kolkata",
    "Asia/Kathmandu",   "Asia/Dhaka",        "Asia/Bangkok",        "Asia/Shanghai",    "Asia/Tokyo",
    "Australia/Adelaide", "Australia/Sydney", "Pacific/Noumea",     "Pacific/Auckland"};

}  // namespace

int main(int argc, char** argv) {
  std::size_t lead_count = 1000000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--leads") lead_count = std::stoul(argv[i + 1]);
  }

  std::string json = R"({"name":"bench","seed":1,
    "sequence":{"steps":[
      {"variants":[{"subject":"{Quick|Short} question about {{company}}","text":"Hi {{first_name | \"there\"}}, ... {{sender.name}}"},
                   {"subject":"{{company}} + Acme?","text":"Hey {{first_name | \"there\"}}, ...","weight":2}]},
      {"delay":{"days":2},"variants":[{"text":"Bumping this, {{first_name | \"there\"}}."}]},
      {"delay":{"business_days":3},"thread":"new","variants":[{"subject":"Closing the loop","text":"Last note."}]}]},
    "leads":[{"email":"seed@example.com","company":"Seed"}],
    "schedule":{"timezone":"UTC","lead_timezone":true,"days":["mon","tue","wed","thu","fri"],
                "hours":["08:00-18:00"],"start":"2026-12-01"},
    "mailboxes":[)";
  for (int m = 0; m < 100; ++m) {
    if (m) json += ",";
    json += R"({"id":"m)" + std::to_string(m) + R"(","from":"Sender )" + std::to_string(m) + " <s" + std::to_string(m) +
            R"(@acme.example>","daily_limit":10000,"min_interval":{"minutes":0},"timezone":")" + zones[m % 24] + "\"}";
  }
  json += "]}";
  auto loaded = outreach::CampaignDefinition::from_json(json);
  if (!loaded) {
    std::fprintf(stderr, "bench_simulate: %s\n", loaded.error().to_string().c_str());
    return 1;
  }
  outreach::CampaignDefinition campaign = std::move(*loaded);
  const long rss_before = peak_rss_kib();
  campaign.leads.clear();
  campaign.leads.reserve(lead_count);
  static constexpr const char* companies[] = {"Brightloop", "Kestrel Labs", "Northwind", "Umbra", "Quillpad"};
  for (std::size_t i = 0; i < lead_count; ++i) {
    outreach::Lead lead;
    lead.email = "lead" + std::to_string(i) + "@company" + std::to_string(i % 5000) + ".example";
    if (i % 7 != 0) lead.first_name = "Alex";
    lead.company = companies[i % 5];
    lead.timezone = zones[i % 24];
    campaign.leads.push_back(std::move(lead));
  }

  outreach::MemoryStore store(/*keep_events=*/false);
  outreach::DryRunTransport transport;
  outreach::ManualClock clock(*outreach::parse_instant("2026-12-01T00:00:00Z"));
  outreach::Engine engine(store, transport, clock);
  if (!engine.add_campaign(std::move(campaign)) || !engine.start("bench")) return 1;
  auto start = Clock::now();
  engine.simulate(clock);
  const double simulate_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const long rss_after = peak_rss_kib();

  const auto summary = engine.summary();
  std::int64_t sends = 0;
  for (const auto& step : summary.campaigns.at(0).steps) {
    for (const auto& variant : step.variants) sends += variant.sent;
  }

  // Peer: the same number of push/pop pairs on a binary heap of (time, lead) entries.
  std::priority_queue<std::pair<std::int64_t, std::uint32_t>, std::vector<std::pair<std::int64_t, std::uint32_t>>,
                      std::greater<>>
      heap;
  std::uint64_t state = 88172645463325252ull;
  start = Clock::now();
  for (std::int64_t i = 0; i < sends; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    heap.emplace(static_cast<std::int64_t>(state % 1000000000), static_cast<std::uint32_t>(i));
    if (heap.size() > lead_count / 3 + 1) heap.pop();
  }
  while (!heap.empty()) heap.pop();
  keep(state);
  const double heap_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const double sends_per_second = static_cast<double>(sends) / simulate_seconds;
  const double heap_per_second = static_cast<double>(sends) / heap_seconds;
  std::printf("outreach simulation benchmark: %zu leads x 3 steps, 100 mailboxes, 24 zones, one core\n", lead_count);
  std::printf("simulated sends                 %12lld in %.2f s\n", static_cast<long long>(sends), simulate_seconds);
  std::printf("simulated sends per second      %12.0f\n", sends_per_second);
  std::printf("heap push+pop per second (peer) %12.0f   ratio %.3f\n", heap_per_second, sends_per_second / heap_per_second);
  std::printf("peak memory per lead            %12.0f bytes (peak RSS growth %ld KiB)\n",
              static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(lead_count),
              rss_after - rss_before);
  std::printf("events appended                 %12zu\n", store.event_count());
  return 0;
}
