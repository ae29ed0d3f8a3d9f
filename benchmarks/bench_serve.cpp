// One-click unsubscribes per second, each committed to disk before its answer: `WebServer` (the
// server of `outreach serve`) on a SQLite store, against a peer doing the same work per POST in
// Python's standard library (serve_peer.py: http.server, the token opened with AES-GCM, sqlite3
// in WAL with synchronous FULL), both driven by the same client in the same run: C keep-alive
// connections, each posting `List-Unsubscribe=One-Click` to a distinct lead's link and timing
// each answer. Prints posts per second, the latency percentiles and the ratio.
//
//   bench_serve [--posts N] [--connections C] [--python PATH] [--peer-script PATH]
//
// Defaults: 20,000 posts over 16 connections. Exit status 1 when an answer is not 200 or a
// suppression is missing afterwards: the figure would be meaningless.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_process.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/unsubscribe.hpp"
#include "outreach/web_server.hpp"

namespace {

constexpr const char* secret = "the benchmark's unsubscribe secret, 40 bytes";
constexpr const char* secret_env = "OUTREACH_BENCH_UNSUBSCRIBE_SECRET";

struct Options {
  std::size_t posts = 20000;
  std::size_t connections = 16;
  std::string python = "/usr/bin/python3";
  std::string peer_script = std::string(OUTREACH_BENCHMARKS_DIR) + "/serve_peer.py";
};

std::string lead(std::size_t n) { return "lead" + std::to_string(n) + "@leads.example"; }

// A store with one started campaign of `leads` leads whose links go to /u/TOKEN.
bool make_store(const std::filesystem::path& file, std::size_t leads) {
  std::string list = "[";
  for (std::size_t n = 0; n < leads; ++n) list += (n ? ",{\"email\":\"" : "{\"email\":\"") + lead(n) + "\"}";
  list += "]";
  const std::string json = R"({"name":"bench","sequence":{"steps":[{"variants":[{"subject":"Hi","text":"Hello"}]}]},
    "leads":)" + list + R"(,"schedule":{"timezone":"UTC","start":"2030-01-01"},
    "mailboxes":[{"id":"m","from":"m@sender.example","daily_limit":1000}],
    "unsubscribe":{"url":"https://acme.example/u/{{token}}","secret_env":")" + secret_env + R"("}})";
  auto campaign = outreach::CampaignDefinition::from_json(json);
  auto store = outreach::SqliteStore::open(file);
  if (!campaign || !store) return false;
  outreach::DryRunTransport transport;
  outreach::SystemClock clock;
  outreach::Engine engine(**store, transport, clock);
  return engine.add_campaign(std::move(*campaign)).has_value() && engine.start("bench").has_value();
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Reads one response; its status, or 0 when the connection broke.
int read_response(int fd, std::string& buffer) {
  for (;;) {
    const std::size_t end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      for (std::size_t at = buffer.find("\r\n"); at < end; at = buffer.find("\r\n", at + 2)) {
        if (strncasecmp(buffer.c_str() + at + 2, "Content-Length:", 15) == 0) {
          length = std::strtoul(buffer.c_str() + at + 17, nullptr, 10);
        }
      }
      if (buffer.size() >= end + 4 + length) {
        const int status = std::atoi(buffer.c_str() + 9);
        buffer.erase(0, end + 4 + length);
        return status;
      }
    }
    char chunk[8192];
    const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got <= 0) return 0;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

struct Result {
  double seconds = 0;
  std::vector<double> latencies;  // milliseconds
  std::size_t failures = 0;
};

// Posts to every link over `connections` connections, one request at a time on each.
Result post_all(std::uint16_t port, const std::vector<std::string>& paths, std::size_t connections) {
  Result result;
  std::atomic<std::size_t> next{0};
  std::mutex lock;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      std::size_t failed = 0;
      int fd = connect_to(port);
      std::string buffer;
      for (std::size_t i = next++; i < paths.size(); i = next++) {
        const std::string body = "List-Unsubscribe=One-Click";
        const std::string request = "POST " + paths[i] + " HTTP/1.1\r\nHost: acme.example\r\n"
                                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                                    std::to_string(body.size()) + "\r\n\r\n" + body;
        const auto sent = std::chrono::steady_clock::now();
        int status = 0;
        if (fd >= 0 && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
          status = read_response(fd, buffer);
        }
        mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
        if (status != 200) {
          ++failed;
          if (fd >= 0) ::close(fd);
          fd = connect_to(port);
          buffer.clear();
        }
      }
      if (fd >= 0) ::close(fd);
      const std::lock_guard guard(lock);
      result.latencies.insert(result.latencies.end(), mine.begin(), mine.end());
      result.failures += failed;
    });
  }
  for (auto& thread : threads) thread.join();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(result.latencies.begin(), result.latencies.end());
  return result;
}

double percentile(const std::vector<double>& sorted, double share) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(share * static_cast<double>(sorted.size())))];
}

void print(const char* who, const Result& result, std::size_t posts) {
  std::printf("  %-34s %8.0f posts/s   p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms\n", who,
              static_cast<double>(posts) / result.seconds, percentile(result.latencies, 0.5),
              percentile(result.latencies, 0.9), percentile(result.latencies, 0.99),
              result.latencies.empty() ? 0.0 : result.latencies.back());
}

// The peer: spawned with a pipe for its port, killed at the end.
struct Peer {
  pid_t pid = -1;
  std::uint16_t port = 0;
  Peer(const Options& options, const std::filesystem::path& store) {
    int out[2];
    if (::pipe(out) != 0) return;
    std::vector<std::string> arguments{options.python, options.peer_script, store.string(), secret};
    std::vector<char*> argv = bench::argv_of(arguments);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    char line[32] = {};
    std::size_t got = 0;
    while (got < sizeof line - 1) {
      const ssize_t n = ::read(out[0], line + got, 1);
      if (n <= 0 || line[got] == '\n') break;
      ++got;
    }
    ::close(out[0]);
    port = static_cast<std::uint16_t>(std::atoi(line));
  }
  ~Peer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--posts") options.posts = std::strtoul(argv[i + 1], nullptr, 10);
    else if (name == "--connections") options.connections = std::strtoul(argv[i + 1], nullptr, 10);
    else if (name == "--python") options.python = argv[i + 1];
    else if (name == "--peer-script") options.peer_script = argv[i + 1];
    else {
      std::fprintf(stderr, "bench_serve: unknown option %s\n", name.c_str());
      return 2;
    }
  }
  bench::TempDirectory directory("bench_serve");
  if (!directory.ok()) return 1;
  ::setenv(secret_env, secret, 1);
  const auto store = directory.path() / "outreach.db";
  if (!make_store(store, options.posts)) {
    std::fprintf(stderr, "bench_serve: cannot make the store\n");
    return 1;
  }
  std::vector<std::string> paths;
  const outreach::UnsubscribeKey key(secret);
  for (std::size_t n = 0; n < options.posts; ++n) paths.push_back("/u/" + key.token("bench", lead(n)));

  std::printf("bench_serve: %zu one-click unsubscribes over %zu connections, each on disk before its answer\n",
              options.posts, options.connections);
  outreach::WebServerOptions server_options;
  server_options.store = store.string();
  server_options.listen = "127.0.0.1:0";
  auto server = outreach::WebServer::open(server_options);
  if (!server) {
    std::fprintf(stderr, "bench_serve: %s\n", server.error().to_string().c_str());
    return 1;
  }
  std::thread serving([&] { (*server)->run(); });
  const Result ours = post_all((*server)->port(), paths, options.connections);
  (*server)->stop();
  serving.join();
  server->reset();

  Peer peer(options, directory.path() / "peer.db");
  if (peer.port == 0) {
    std::fprintf(stderr, "bench_serve: the peer did not start (%s %s)\n", options.python.c_str(), options.peer_script.c_str());
    return 1;
  }
  const Result theirs = post_all(peer.port, paths, options.connections);

  print("outreach serve (WebServer)", ours, options.posts);
  print("Python http.server + sqlite3", theirs, options.posts);
  std::printf("  ratio: %.2fx the posts per second of the peer\n", theirs.seconds / ours.seconds);

  auto check = outreach::SqliteStore::open(store, {.access = outreach::StoreAccess::read});
  const std::size_t suppressed = check ? (*check)->suppressions().size() : 0;
  if (ours.failures || theirs.failures || suppressed != options.posts) {
    std::fprintf(stderr, "bench_serve: %zu of ours and %zu of the peer's answers were not 200; %zu of %zu suppressed\n",
                 ours.failures, theirs.failures, suppressed, options.posts);
    return 1;
  }
  return 0;
}
