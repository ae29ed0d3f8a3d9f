// Received mail read over IMAP and applied: a real Dovecot (tests/support/dovecot_server.py, in a
// folder of its own) holds --messages messages (the inbound corpus, tests/data/inbound/**/*.eml,
// in turn, each with a fresh Message-ID), and
//
//   - outreach: an engine on a SQLite store reads the inbox with MailReading, as `outreach run`
//     does (STARTTLS, EXAMINE, UID SEARCH, sizes, BODY.PEEK[] a hundred at a time) and takes
//     every message in through Engine::ingest with the folder's position (parse, classify,
//     match, record, one transaction each), timed from the start of the reading to its first
//     complete pass;
//   - the peer (imap_peer.py, Debian's /usr/bin/python3): imaplib with the same commands and
//     batches, each message parsed by Python's email package with every text part decoded, timed
//     by itself from its connection to the last message parsed.
//
// Rounds take turns (ours, then the peer), each of ours on a fresh store, after one reading by the
// peer that warms Dovecot's caches; the medians are compared. Rates are per wall-clock second;
// the CPU beside them is the reader's own (Dovecot's is not counted for either).
//
//   bench_imap [--messages N] [--rounds R] [--python PATH]
//
// Defaults: 10,000 messages, 3 rounds. Exits with 77 (skipped) when Dovecot is not installed.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "bench_process.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/mail_reading.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/memory_transport.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* user = "bench@acme.example";
constexpr const char* password = "bench-secret";

struct Server {
  std::string host;
  std::string port;
  std::string ca_file;
  std::string dir;
};

struct Reading {
  double seconds = 0;
  double cpu_seconds = 0;
  std::size_t messages = 0;
  bool ok = false;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::map<std::string, std::string> fields_of(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::size_t at = 0;
  while (at < line.size()) {
    const std::size_t end = std::min(line.find_first_of(" \n", at), line.size());
    const std::string field = line.substr(at, end - at);
    if (const auto equals = field.find('='); equals != std::string::npos) {
      fields[field.substr(0, equals)] = field.substr(equals + 1);
    }
    at = end + 1;
  }
  return fields;
}

// The engine reads the inbox once through, on a fresh store: the time to its first full pass.
Reading read_with_outreach(const Server& server, const fs::path& store_file, std::size_t expected) {
  Reading result;
  auto store = outreach::SqliteStore::open(store_file);
  if (!store) {
    std::fprintf(stderr, "bench_imap: %s\n", store.error().to_string().c_str());
    return result;
  }
  const std::string campaign_json =
      R"({"name":"bench","sequence":{"steps":[{"variants":[{"subject":"Hi","text":"Hello"}]}]},)"
      R"("leads":[{"email":"lead@leads.example"}],"schedule":{"timezone":"UTC","start":"2020-01-01"},)"
      R"("mailboxes":[{"id":"m1","from":"bench@acme.example","daily_limit":10,"imap":{"url":"imap://)" +
      server.host + ":" + server.port + R"(","security":"starttls","username":")" + user +
      R"(","password_env":"BENCH_IMAP_PASSWORD","ca_file":")" + server.ca_file + R"("}}]})";
  auto campaign = outreach::CampaignDefinition::from_json(campaign_json);
  if (!campaign) {
    std::fprintf(stderr, "bench_imap: %s\n", campaign.error().to_string().c_str());
    return result;
  }
  outreach::DryRunTransport transport;
  outreach::SystemClock clock;
  outreach::Engine engine(**store, transport, clock);
  if (!engine.add_campaign(std::move(*campaign)) || !engine.start("bench")) return result;
  boost::asio::io_context io;
  // The messages fetched whole, counted from the protocol trace (which leaves bodies out): the
  // FETCH responses to the commands that ask for BODY.PEEK[].
  std::size_t bodies = 0;
  bool fetching_bodies = false;
  outreach::ImapOptions options;
  options.trace = [&](std::string_view line) {
    if (line.starts_with("C: ")) fetching_bodies = line.find("BODY.PEEK[]") != std::string_view::npos;
    if (fetching_bodies && line.starts_with("S: * ") && line.find(" FETCH") != std::string_view::npos) ++bodies;
  };
  outreach::MailReading reading(engine, **store, options);
  const double cpu_before = bench::own_cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  auto count = reading.start(io, [&](const outreach::MailboxCheck& check) {
    if (check.error.empty()) {
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      result.cpu_seconds = bench::own_cpu_seconds() - cpu_before;
      result.ok = true;
    } else {
      std::fprintf(stderr, "bench_imap: %s\n", check.error.c_str());
    }
    reading.stop();
    engine.request_stop();
  });
  if (!count || *count != 1) return result;
  engine.run_on(io, std::nullopt, [&] { reading.stop(); });
  io.run();
  const auto position = (*store)->folder_position("m1", "INBOX");
  result.messages = bodies;
  result.ok = result.ok && bodies == expected && position && position->last_uid == expected;
  return result;
}

Reading read_with_peer(const fs::path& python, const fs::path& script, const Server& server, const fs::path& output) {
  Reading result;
  const auto run = bench::run_process({python.string(), script.string(), "read", server.host, server.port,
                                       server.ca_file, user, password},
                                      output);
  if (run.exit_status != 0) {
    std::fprintf(stderr, "bench_imap: the peer failed: %s\n", run.errors.c_str());
    return result;
  }
  const auto fields = fields_of(run.output);
  result.messages = std::stoul(fields.at("messages"));
  result.seconds = std::stod(fields.at("seconds"));
  result.cpu_seconds = std::stod(fields.at("cpu"));
  result.ok = true;
  return result;
}

void usage() { std::fprintf(stderr, "usage: bench_imap [--messages N] [--rounds R] [--python PATH]\n"); }

// Fills the mailbox, then takes turns reading it (ours, then the peer) and prints the medians.
int measure(const fs::path& python, const fs::path& peer, const fs::path& corpus, const Server& server,
            std::size_t messages, std::size_t rounds, const fs::path& temporary) {

  const auto filled = bench::run_process({python.string(), peer.string(), "fill", server.host, server.port,
                                          server.ca_file, user, password, corpus.string(), std::to_string(messages)},
                                         temporary / "fill.txt");
  if (filled.exit_status != 0) {
    std::fprintf(stderr, "bench_imap: filling the mailbox failed: %s\n", filled.errors.c_str());
    return 1;
  }
  std::printf("outreach IMAP benchmark: %zu messages in a Dovecot inbox (the inbound corpus with fresh Message-IDs), "
              "filled in %.1f s\n",
              messages, filled.seconds);

  (void)read_with_peer(python, peer, server, temporary / "warm.txt");  // Dovecot's caches
  std::vector<double> ours_rate, ours_cpu, peer_rate, peer_cpu;
  for (std::size_t round = 0; round < rounds; ++round) {
    const Reading ours = read_with_outreach(server, temporary / ("store-" + std::to_string(round) + ".db"), messages);
    const Reading theirs = read_with_peer(python, peer, server, temporary / "peer.txt");
    if (!ours.ok || !theirs.ok || theirs.messages != messages) {
      std::fprintf(stderr, "bench_imap: round %zu failed (outreach read %zu, the peer %zu of %zu)\n", round + 1,
                   ours.messages, theirs.messages, messages);
      return 1;
    }
    ours_rate.push_back(static_cast<double>(messages) / ours.seconds);
    ours_cpu.push_back(ours.cpu_seconds / static_cast<double>(messages) * 1e6);
    peer_rate.push_back(static_cast<double>(messages) / theirs.seconds);
    peer_cpu.push_back(theirs.cpu_seconds / static_cast<double>(messages) * 1e6);
  }

  std::printf("  outreach (MailReading + ingest, SQLite)  %9.0f messages/s  %7.1f us CPU each\n", median(ours_rate),
              median(ours_cpu));
  std::printf("  imaplib + email (peer)                   %9.0f messages/s  %7.1f us CPU each\n", median(peer_rate),
              median(peer_cpu));
  std::printf("  ratio  %.2f (rounds:", median(ours_rate) / median(peer_rate));
  for (std::size_t i = 0; i < rounds; ++i) std::printf(" %.2f", ours_rate[i] / peer_rate[i]);
  std::printf(")  goal >= 5: %s\n", median(ours_rate) / median(peer_rate) >= 5 ? "reached" : "not reached");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 10'000;
  std::size_t rounds = 3;
  fs::path python = "/usr/bin/python3";
  for (int i = 1; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char* value = argv[++i];
    if (option == "--messages") {
      messages = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--rounds") {
      rounds = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--python") {
      python = value;
    } else {
      usage();
      return 2;
    }
  }
  if (access("/usr/sbin/dovecot", X_OK) != 0) {
    std::fprintf(stderr, "bench_imap: Dovecot is not installed (dovecot-imapd); skipped\n");
    return 77;
  }
  const fs::path harness = fs::path(OUTREACH_SOURCE_DIR) / "tests" / "support" / "dovecot_server.py";
  const fs::path peer = fs::path(OUTREACH_SOURCE_DIR) / "benchmarks" / "imap_peer.py";
  const fs::path corpus = fs::path(OUTREACH_SOURCE_DIR) / "tests" / "data" / "inbound";
  bench::TempDirectory temporary("outreach-bench-imap");
  if (!temporary.ok()) {
    std::perror("bench_imap: mkdtemp");
    return 1;
  }
  ::setenv("BENCH_IMAP_PASSWORD", password, 1);

  const auto started = bench::run_process(
      {python.string(), harness.string(), "start", "--user", std::string(user) + ":" + password},
      temporary.path() / "dovecot.json");
  if (started.exit_status != 0) {
    std::fprintf(stderr, "bench_imap: Dovecot did not start: %s\n", started.errors.c_str());
    return 1;
  }
  const auto described = boost::json::parse(started.output).as_object();
  const Server server{std::string(described.at("host").as_string()),
                      std::to_string(described.at("imap_port").as_int64()),
                      std::string(described.at("ca_file").as_string()), std::string(described.at("dir").as_string())};
  // Dovecot is stopped (by the pid its harness kept) however this ends.
  struct StopAtEnd {
    std::function<void()> stop;
    ~StopAtEnd() { stop(); }
  } const stopping{[&] {
    (void)bench::run_process({python.string(), harness.string(), "stop", "--dir", server.dir},
                             temporary.path() / "stop.txt");
  }};
  try {
    return measure(python, peer, corpus, server, messages, rounds, temporary.path());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_imap: %s\n", error.what());
    return 1;
  }
}

