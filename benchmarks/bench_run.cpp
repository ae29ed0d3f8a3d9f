// End-to-end sending speed: a campaign of N leads x 3 steps (no delays, a schedule open all day
// that started in the past, daily limits above the campaign's size, no spacing) run by the engine
// on the system clock with Engine::run, the SQLite store and the transport of `outreach run`,
// sending plain SMTP to Postfix's smtp-sink on loopback. Peers against the same sink in the same
// run, for the same number of messages of about the same size:
//
//   - a plain Python loop (run_loop_peer.py: smtplib over one connection, sqlite3 in WAL mode
//     with the same writes per send: the intent committed before the send, then the event and
//     the intent's deletion committed after it);
//   - smtp-source -d -s 4, which keeps no state at all.
//
// Every send must be accepted, counted three ways (the engine's `sent` events, the transport's
// outcomes, the sink's own counter): otherwise the exit status is 1, since the figure would be
// meaningless. To show what sending one message at a time costs, a sample of the engine's own
// messages is sent again through SmtpTransport alone, with send() one at a time and pipelined
// with submit() + flush().
//
//   bench_run [--leads N] [--power-leads P] [--mailboxes M] [--sample S] [--cli PATH]
//             [--python PATH] [--peer-script PATH]
//
// Defaults: 100,000 leads (300,000 messages) with durability `process`, 1,000 leads with `power`
// (each commit waits for the disk: far slower), 1 mailbox, a sample of 30,000 messages.
// --cli PATH also runs `outreach run` as a process on the same campaign. Exit status 77 (a
// skipped test) when smtp-sink or smtp-source (Debian's postfix) is missing.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_process.hpp"
#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/engine.hpp"
#include "outreach/mailbox_transport.hpp"
#include "outreach/smtp_transport.hpp"
#include "outreach/sqlite_store.hpp"

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int exit_skipped = 77;
constexpr int steps = 3;
const char* const campaign_name = "bench-run";

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

// smtp-sink on 127.0.0.1 with its counters (-c) in a file, so that messages are counted at the
// server. It drops root for `nobody`, which clears a parent-death signal, so a guard process
// blocked on a pipe only we can write kills it if we die without stopping it.
class Sink {
 public:
  ~Sink() { stop(); }

  bool start(const fs::path& program, const fs::path& directory) {
    counters_ = directory / "sink-counters.txt";
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (launch(program, directory)) return true;
      stop();
    }
    return false;
  }

  void stop() {
    if (guard_ > 0) {
      kill(guard_, SIGKILL);
      waitpid(guard_, nullptr, 0);
      guard_ = -1;
    }
    if (lifeline_ >= 0) close(lifeline_);
    lifeline_ = -1;
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 300 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
      if (kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  [[nodiscard]] int port() const { return port_; }

  // The sink's "mesg=" counter: messages whose final "." it has answered.
  [[nodiscard]] long received() const {
    const std::string text = bench::read_whole_file(counters_);
    const auto at = text.rfind("mesg=");
    return at == std::string::npos ? 0 : std::strtol(text.c_str() + at + 5, nullptr, 10);
  }

  // The counter is written around the reply: give it a moment to reach `expected`.
  [[nodiscard]] long received_at_least(long expected) const {
    long count = received();
    for (int i = 0; i < 100 && count < expected; ++i) {
      std::this_thread::sleep_for(10ms);
      count = received();
    }
    return count;
  }

  [[nodiscard]] double cpu_seconds() const {
    const std::string text = bench::read_whole_file("/proc/" + std::to_string(pid_) + "/stat");
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field && index <= 15; ++index) {
      if (index >= 14) ticks += std::strtod(field.c_str(), nullptr);  // utime + stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  static int unused_port() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port = ntohs(address.sin_port);
    }
    if (fd >= 0) close(fd);
    return port;
  }

  // True when the port answers with a 220 greeting.
  bool greets() const {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    const timeval limit{.tv_sec = 2, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    char reply[256];
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    read(fd, reply, sizeof reply) >= 3 && std::memcmp(reply, "220", 3) == 0;
    if (ok && write(fd, "QUIT\r\n", 6) == 6) (void)read(fd, reply, sizeof reply);
    close(fd);
    return ok;
  }

  bool launch(const fs::path& program, const fs::path& directory) {
    port_ = unused_port();
    if (port_ <= 0) return false;
    std::vector<std::string> arguments = {program.string(), "-a", "-c"};
    if (geteuid() == 0) arguments.insert(arguments.end(), {"-u", "nobody"});
    arguments.push_back("127.0.0.1:" + std::to_string(port_));
    arguments.emplace_back("1000");
    std::vector<char*> argv = bench::argv_of(arguments);
    const int out = open(counters_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = open((directory / "sink-log.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int pipe_fds[2] = {-1, -1};
    if (out < 0 || err < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out, 1);
      dup2(err, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out);
    close(err);
    if (pid_ < 0) {
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      return false;
    }
    const pid_t sink = pid_;
    guard_ = fork();
    if (guard_ == 0) {
      close(pipe_fds[1]);
      char byte;
      while (read(pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
      }
      kill(sink, SIGKILL);
      _exit(0);
    }
    close(pipe_fds[0]);
    lifeline_ = pipe_fds[1];
    if (guard_ < 0) return false;
    for (const auto deadline = Steady::now() + 10s; Steady::now() < deadline;) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // gone: most likely the port was taken meanwhile
        pid_ = -1;
        return false;
      }
      if (greets()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  int port_ = -1;
  pid_t pid_ = -1;
  pid_t guard_ = -1;
  int lifeline_ = -1;
  fs::path counters_;
};

// One measured run. `sent` is the client's own count (events, outcomes or exit status).
struct Run {
  std::string what;
  std::size_t messages = 0;
  std::size_t sent = 0;
  long at_sink = 0;
  double seconds = 0;
  double client_cpu = 0;
  double sink_cpu = 0;
  std::string failure;

  [[nodiscard]] bool ok() const {
    return failure.empty() && sent == messages && at_sink == static_cast<long>(messages);
  }
  [[nodiscard]] double rate() const { return static_cast<double>(messages) / seconds; }
};

template <class Body>
Run measure(const Sink& sink, std::string what, std::size_t messages, Body&& body) {
  Run run;
  run.what = std::move(what);
  run.messages = messages;
  const long before = sink.received();
  const double sink_cpu_before = sink.cpu_seconds();
  body(run);
  run.at_sink = sink.received_at_least(before + static_cast<long>(messages)) - before;
  run.sink_cpu = sink.cpu_seconds() - sink_cpu_before;
  if (run.failure.empty() && run.at_sink != static_cast<long>(messages)) {
    run.failure = "the sink counted " + std::to_string(run.at_sink);
  }
  return run;
}

// The transport of `outreach run`, counting outcomes and bytes on the way, and keeping copies of
// the first messages for the transport-only runs (copied after the send, so not on the clock of
// any send; the copy itself is charged to the engine's run, about 1 µs a message).
class CountingTransport final : public outreach::Transport {
 public:
  CountingTransport(outreach::Transport& inner, std::size_t keep) : inner_(inner), keep_(keep) {}

  outreach::SendOutcome send(const outreach::Mailbox& mailbox, const outreach::Message& message) override {
    outreach::SendOutcome outcome = inner_.send(mailbox, message);
    count(mailbox, message, outcome);
    return outcome;
  }
  // Groups go through as groups, as they would without the counting.
  void send_all(std::span<const Handover> group, std::span<outreach::SendOutcome> outcomes) override {
    inner_.send_all(group, outcomes);
    for (std::size_t i = 0; i < group.size(); ++i) count(*group[i].mailbox, *group[i].message, outcomes[i]);
  }
  [[nodiscard]] std::size_t group_size() const override { return inner_.group_size(); }
  [[nodiscard]] outreach::expected<void> check(const outreach::Mailbox& mailbox) const override {
    return inner_.check(mailbox);
  }

  void count(const outreach::Mailbox& mailbox, const outreach::Message& message, const outreach::SendOutcome& outcome) {
    if (outcome.kind == outreach::SendOutcome::Kind::accepted) {
      ++accepted;
    } else if (first_failure.empty()) {
      first_failure = std::to_string(outcome.code) + " " + outcome.status + " " + outcome.reason;
    }
    bytes += message.data.size();
    ++messages;
    if (kept.size() < keep_) kept.emplace_back(mailbox, message);
  }

  std::size_t accepted = 0;
  std::size_t messages = 0;
  std::size_t bytes = 0;
  std::string first_failure;
  std::vector<std::pair<outreach::Mailbox, outreach::Message>> kept;

 private:
  outreach::Transport& inner_;
  std::size_t keep_;
};

outreach::SmtpOptions smtp_options() {
  outreach::SmtpOptions options;
  options.helo_name = "bench.example";
  options.timeouts.command = 10s;
  options.timeouts.data = 30s;
  return options;
}

// About 1.6 KB of text per step, personalized, so that messages are of a realistic size.
std::string paragraph(std::string_view opener) {
  return std::string(opener) +
         " Most founders we talk to lose hours every week stitching outreach together by hand: spreadsheets "
         "of leads, a mail merge, reminders for follow-ups, and a shared inbox nobody owns.\\n\\nAcme runs your "
         "cold email from inside your own product. Sequences, schedules and follow-ups live next to your CRM "
         "data, replies and bounces are handled for you, and there is no extra seat to pay for. Teams like "
         "{{company}} usually start with one mailbox and a three-step sequence, and see their first replies "
         "within a week.\\n\\nA few things customers tell us they did not expect:\\n\\n- follow-ups stop by "
         "themselves the moment someone replies;\\n- every mailbox warms up on its own schedule;\\n- "
         "unsubscribes are one click, honoured across every campaign;\\n- bounces and out-of-office replies "
         "are told apart.\\n\\nWould a 15-minute call next {Tuesday|Wednesday|Thursday} be useful? If you are "
         "not the right person at {{company}}, a pointer to whoever owns outbound would be much appreciated."
         "\\n\\nBest,\\n{{sender.name}}\\nHead of Growth, Acme";
}

// The campaign file and its lead list, as `outreach run` reads them.
fs::path write_campaign(const fs::path& directory, std::size_t leads, std::size_t mailboxes) {
  {
    std::ofstream csv(directory / "leads.csv", std::ios::binary);
    static constexpr const char* names[] = {"Maria", "Kenji", "Amelia", "Noah", "Priya", "Lucas", "Ingrid"};
    static constexpr const char* companies[] = {"Brightloop", "Kestrel Labs", "Northwind Analytics", "Umbra Health",
                                                "Quillpad"};
    csv << "email,first_name,company\n";
    for (std::size_t i = 0; i < leads; ++i) {
      csv << "lead" << i << "@company" << i % 997 << ".example," << names[i % 7] << ',' << companies[(i / 7) % 5]
          << '\n';
    }
  }
  std::string json = R"({"name":")" + std::string(campaign_name) + R"(","seed":7,"leads":"leads.csv",
  "sequence":{"steps":[
    {"variants":[{"subject":"{Quick|Short} question about {{company}}",
                  "text":"Hi {{first_name | \"there\"}},\n\n)" + paragraph("Saw that {{company}} is hiring.") + R"("}]},
    {"delay":{"minutes":0},"thread":"reply",
     "variants":[{"text":"Hi {{first_name | \"there\"}}, bumping this up.\n\n)" + paragraph("In short:") + R"("}]},
    {"delay":{"minutes":0},"thread":"new",
     "variants":[{"subject":"Closing the loop, {{first_name | \"there\"}}",
                  "text":"Hi {{first_name | \"there\"}},\n\n)" + paragraph("Last note from me.") + R"("}]}]},
  "schedule":{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"hours":["00:00-23:59"],
              "start":"2026-01-01"},
  "mailboxes":[)";
  const std::string limit = std::to_string(leads * steps * 2 + 100);
  for (std::size_t m = 0; m < mailboxes; ++m) {
    if (m != 0) json += ",";
    json += R"({"id":"m)" + std::to_string(m) + R"(","from":"Alice Doe <alice)" + std::to_string(m) +
            R"(@acme.example>","daily_limit":)" + limit + R"(,"transport":"smtp://127.0.0.1:PORT","security":"none"})";
  }
  json += "]}";
  const fs::path path = directory / "campaign.json";
  std::ofstream(path, std::ios::binary) << json;
  return path;
}

// The campaign file with the sink's port filled in.
bool point_at(const fs::path& campaign, int port) {
  std::string text = bench::read_whole_file(campaign);
  for (auto at = text.find("PORT"); at != std::string::npos; at = text.find("PORT", at)) {
    text.replace(at, 4, std::to_string(port));
  }
  std::ofstream stream(campaign, std::ios::binary);
  stream << text;
  return static_cast<bool>(stream.flush());
}

struct EngineResult {
  Run run;
  double average_bytes = 0;
  double setup_seconds = 0;  // add_campaign + start, before the clock
  std::vector<std::pair<outreach::Mailbox, outreach::Message>> kept;
};

// The engine in this process: Engine::run on the system clock, as `outreach run` does.
EngineResult run_engine(const Sink& sink, const outreach::CampaignDefinition& campaign, const fs::path& store_file,
                        outreach::StoreDurability durability, std::size_t keep) {
  EngineResult result;
  const std::size_t messages = campaign.leads.size() * steps;
  const std::string what = std::string("engine, SQLite ") +
                           (durability == outreach::StoreDurability::power ? "power" : "process");
  result.run = measure(sink, what, messages, [&](Run& run) {
    outreach::SqliteStoreOptions options;
    options.durability = durability;
    auto store = outreach::SqliteStore::open(store_file, options);
    if (!store) {
      run.failure = store.error().to_string();
      return;
    }
    outreach::MailboxTransport smtp(smtp_options());
    CountingTransport transport(smtp, keep);
    outreach::SystemClock clock;
    outreach::Engine engine(**store, transport, clock);
    std::size_t other_outcomes = 0;
    engine.on_event([&](const outreach::Event& event) {
      if (event.type == outreach::EventType::sent) {
        ++run.sent;
      } else if (event.type == outreach::EventType::deferred || event.type == outreach::EventType::failed ||
                 event.type == outreach::EventType::skipped || event.type == outreach::EventType::in_doubt) {
        ++other_outcomes;
      }
    });
    const auto setup = Steady::now();
    if (auto added = engine.add_campaign(campaign); !added) {
      run.failure = added.error().to_string();
      return;
    }
    if (auto started = engine.start(campaign_name); !started) {
      run.failure = started.error().to_string();
      return;
    }
    result.setup_seconds = seconds_since(setup);
    const double cpu_before = bench::own_cpu_seconds();
    const auto start = Steady::now();
    engine.run();
    run.seconds = seconds_since(start);
    run.client_cpu = bench::own_cpu_seconds() - cpu_before;
    if (engine.failure()) {
      run.failure = engine.failure()->to_string();
    } else if (!transport.first_failure.empty()) {
      run.failure = "transport: " + transport.first_failure;
    } else if (other_outcomes != 0) {
      run.failure = std::to_string(other_outcomes) + " sends deferred, failed, skipped or in doubt";
    } else if (transport.accepted != messages) {
      run.failure = std::to_string(transport.accepted) + " accepted by the transport";
    }
    result.average_bytes =
        transport.messages == 0 ? 0 : static_cast<double>(transport.bytes) / static_cast<double>(transport.messages);
    result.kept = std::move(transport.kept);
  });
  return result;
}

// `outreach run` as a process on the same campaign; its `sent` events are read from the store.
Run run_cli(const Sink& sink, const fs::path& cli, const fs::path& campaign, const fs::path& store_file,
            std::size_t messages, const fs::path& directory) {
  return measure(sink, "outreach run (process), SQLite process", messages, [&](Run& run) {
    const bench::ProcessResult result =
        bench::run_process({cli.string(), "run", campaign.string(), "--store", store_file.string()},
                           directory / "cli.out");
    run.seconds = result.seconds;
    run.client_cpu = result.cpu_seconds;
    if (result.exit_status != 0) {
      run.failure = "outreach run exit status " + std::to_string(result.exit_status) + ": " + result.errors;
      return;
    }
    outreach::SqliteStoreOptions options;
    options.access = outreach::StoreAccess::read;
    options.check_integrity = false;
    auto store = outreach::SqliteStore::open(store_file, options);
    if (!store) {
      run.failure = store.error().to_string();
      return;
    }
    (*store)->for_each_event(campaign_name, [&](const outreach::Event& event) {
      if (event.type == outreach::EventType::sent) ++run.sent;
    });
  });
}

// The same messages through SmtpTransport alone: one at a time, or all submitted and flushed.
Run run_transport(const Sink& sink, const std::vector<std::pair<outreach::Mailbox, outreach::Message>>& kept,
                  bool pipelined) {
  const char* what = pipelined ? "SmtpTransport alone, submit + flush" : "SmtpTransport alone, send() loop";
  return measure(sink, what, kept.size(), [&](Run& run) {
    std::vector<std::pair<outreach::Mailbox, outreach::Message>> queue;
    if (pipelined) queue = kept;  // moved into submit(): copied before the clock starts
    outreach::SmtpOptions options = smtp_options();
    options.connections_per_mailbox = 1;
    const double cpu_before = bench::own_cpu_seconds();
    const auto start = Steady::now();
    {
      outreach::SmtpTransport transport(options);
      const auto count = [&run](const outreach::SendOutcome& outcome) {
        if (outcome.kind == outreach::SendOutcome::Kind::accepted) {
          ++run.sent;
        } else if (run.failure.empty()) {
          run.failure = std::to_string(outcome.code) + " " + outcome.reason;
        }
      };
      if (pipelined) {
        for (auto& [mailbox, message] : queue) transport.submit(mailbox, std::move(message), count);
        transport.flush();
      } else {
        for (const auto& [mailbox, message] : kept) count(transport.send(mailbox, message));
      }
      transport.close();
    }
    run.seconds = seconds_since(start);
    run.client_cpu = bench::own_cpu_seconds() - cpu_before;
  });
}

Run run_python(const Sink& sink, const fs::path& python, const fs::path& script, const fs::path& db, std::size_t leads,
               std::size_t size, const char* durability, const fs::path& directory) {
  const std::string what = std::string("python3 smtplib + sqlite3, ") + durability;
  return measure(sink, what, leads * steps, [&](Run& run) {
    const bench::ProcessResult result =
        bench::run_process({python.string(), script.string(), "127.0.0.1", std::to_string(sink.port()), db.string(),
                            std::to_string(leads), std::to_string(steps), std::to_string(size), durability},
                           directory / "python.out");
    unsigned long accepted = 0;
    // The script times its own loop, leaving out the interpreter's start and the schema.
    if (std::sscanf(result.output.c_str(), "accepted=%lu messages=%*u seconds=%lf cpu=%lf", &accepted, &run.seconds,
                    &run.client_cpu) != 3 ||
        result.exit_status != 0) {
      run.failure = "run_loop_peer.py exit status " + std::to_string(result.exit_status) + ": " + result.errors;
    }
    run.sent = accepted;
  });
}

Run run_smtp_source(const Sink& sink, const fs::path& program, std::size_t messages, std::size_t payload,
                    const fs::path& directory) {
  return measure(sink, "smtp-source -d -s 4 (no state)", messages, [&](Run& run) {
    const bench::ProcessResult result = bench::run_process(
        {program.string(), "-d", "-s", "4", "-m", std::to_string(messages), "-l", std::to_string(payload), "-M",
         "bench.example", "-f", "alice0@acme.example", "-t", "lead@company.example",
         "127.0.0.1:" + std::to_string(sink.port())},
        directory / "smtp-source.out");
    run.seconds = result.seconds;
    run.client_cpu = result.cpu_seconds;
    // smtp-source stops at the first reply it did not expect, and exits 1.
    if (result.exit_status == 0) {
      run.sent = messages;
    } else {
      run.failure = "smtp-source exit status " + std::to_string(result.exit_status) + ": " + result.errors;
    }
  });
}

void print_run(const Run& run) {
  const double n = static_cast<double>(run.messages);
  std::printf("%-42s %8zu %9.0f %8.2f %8zu %8ld %8.1f %8.1f\n", run.what.c_str(), run.messages,
              run.ok() ? run.rate() : 0.0, run.seconds, run.sent, run.at_sink, run.client_cpu * 1e6 / n,
              run.sink_cpu * 1e6 / n);
  std::fflush(stdout);
}

void print_ratio(const std::string& what, const Run* ours, const Run* peer, double goal) {
  if (ours == nullptr || peer == nullptr) return;
  if (!ours->ok() || !peer->ok()) {
    std::printf("%-52s    n/a (a run did not deliver every message)\n", what.c_str());
    return;
  }
  const double ratio = ours->rate() / peer->rate();
  if (goal <= 0) {
    std::printf("%-52s %6.2f\n", what.c_str(), ratio);
  } else {
    std::printf("%-52s %6.2f   goal >= %.1f: %s\n", what.c_str(), ratio, goal,
                ratio >= goal ? "reached" : "not reached");
  }
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_run [--leads N] [--power-leads P] [--mailboxes M] [--sample S] [--cli PATH]\n"
               "                 [--python PATH] [--peer-script PATH]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t leads = 100000;
  std::size_t power_leads = 1000;
  std::size_t mailboxes = 1;
  std::size_t sample = 30000;
  std::optional<fs::path> cli;
  fs::path python = "/usr/bin/python3";
  fs::path script = fs::path(OUTREACH_BENCHMARKS_DIR) / "run_loop_peer.py";
  for (int i = 1; i < argc; i += 2) {
    const std::string_view option = argv[i];
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char* value = argv[i + 1];
    if (option == "--leads") {
      leads = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--power-leads") {
      power_leads = std::stoul(value);
    } else if (option == "--mailboxes") {
      mailboxes = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--sample") {
      sample = std::stoul(value);
    } else if (option == "--cli") {
      cli = value;
    } else if (option == "--python") {
      python = value;
    } else if (option == "--peer-script") {
      script = value;
    } else {
      usage();
      return 2;
    }
  }

  const auto sink_program = bench::find_program("smtp-sink");
  const auto source_program = bench::find_program("smtp-source");
  if (!sink_program || !source_program) {
    std::printf("bench_run: skipped: smtp-sink or smtp-source not found (Debian package postfix)\n");
    return exit_skipped;
  }
  if (access(python.c_str(), X_OK) != 0 || access(script.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "bench_run: %s or %s is missing\n", python.c_str(), script.c_str());
    return 1;
  }
  bench::TempDirectory temporary("outreach-bench-run");
  if (!temporary.ok()) {
    std::perror("bench_run: mkdtemp");
    return 1;
  }
  const fs::path& directory = temporary.path();
  Sink sink;
  if (!sink.start(*sink_program, directory)) {
    std::fprintf(stderr, "bench_run: smtp-sink did not start (see %s/sink-log.txt)\n", directory.c_str());
    temporary.keep();
    return 1;
  }

  // The power run gets a campaign of its own size, in its own folder.
  const auto load = [&](std::size_t count, const fs::path& folder) -> std::optional<fs::path> {
    fs::create_directories(folder);
    const fs::path file = write_campaign(folder, count, mailboxes);
    if (!point_at(file, sink.port())) return std::nullopt;
    return file;
  };
  const auto campaign_file = load(leads, directory / "process");
  auto campaign = campaign_file ? outreach::CampaignDefinition::load(*campaign_file)
                                : outreach::CampaignDefinition::from_json("");
  if (!campaign || campaign->leads.size() != leads) {
    std::fprintf(stderr, "bench_run: the campaign did not load: %s\n",
                 campaign ? "leads missing" : campaign.error().to_string().c_str());
    temporary.keep();
    return 1;
  }
  const std::size_t messages = leads * steps;

  std::printf("outreach end-to-end benchmark: %zu leads x %d steps = %zu messages, %zu mailbox%s, plain SMTP to "
              "smtp-sink on 127.0.0.1:%d\n",
              leads, steps, messages, mailboxes, mailboxes > 1 ? "es" : "", sink.port());
  std::printf("(client and sink columns: CPU microseconds per message)\n\n");
  std::printf("%-42s %8s %9s %8s %8s %8s %8s %8s\n", "what", "messages", "msg/s", "seconds", "sent", "at sink",
              "client", "sink");

  std::vector<Run> runs;
  EngineResult engine = run_engine(sink, *campaign, directory / "engine.db", outreach::StoreDurability::process,
                                   std::min(sample, messages));
  print_run(engine.run);
  runs.push_back(engine.run);
  const std::size_t size = static_cast<std::size_t>(engine.average_bytes);
  const Run python_run =
      run_python(sink, python, script, directory / "python.db", leads, size, "process", directory);
  print_run(python_run);
  runs.push_back(python_run);
  // smtp-source adds about 120 bytes of its own headers to its payload.
  const Run source_run = run_smtp_source(sink, *source_program, messages, size > 120 ? size - 120 : size, directory);
  print_run(source_run);
  runs.push_back(source_run);

  std::optional<Run> cli_run;
  if (cli) {
    cli_run = run_cli(sink, *cli, *campaign_file, directory / "cli.db", messages, directory);
    print_run(*cli_run);
    runs.push_back(*cli_run);
  }

  std::optional<Run> send_loop;
  std::optional<Run> pipelined;
  if (!engine.kept.empty()) {
    send_loop = run_transport(sink, engine.kept, false);
    print_run(*send_loop);
    runs.push_back(*send_loop);
    pipelined = run_transport(sink, engine.kept, true);
    print_run(*pipelined);
    runs.push_back(*pipelined);
  }

  std::optional<EngineResult> engine_power;
  std::optional<Run> python_power;
  if (power_leads > 0) {
    const auto power_file = load(power_leads, directory / "power");
    auto power_campaign = power_file ? outreach::CampaignDefinition::load(*power_file)
                                     : outreach::CampaignDefinition::from_json("");
    if (!power_campaign) {
      std::fprintf(stderr, "bench_run: %s\n", power_campaign.error().to_string().c_str());
      return 1;
    }
    engine_power =
        run_engine(sink, *power_campaign, directory / "engine-power.db", outreach::StoreDurability::power, 0);
    print_run(engine_power->run);
    runs.push_back(engine_power->run);
    python_power = run_python(sink, python, script, directory / "python-power.db", power_leads,
                              static_cast<std::size_t>(engine_power->average_bytes), "power", directory);
    print_run(*python_power);
    runs.push_back(*python_power);
  }
  sink.stop();

  std::printf("\naverage message %.0f bytes; engine set-up (add_campaign + start, not timed above) %.2f s\n",
              engine.average_bytes, engine.setup_seconds);
  print_ratio("engine (process) / python loop (process)", &engine.run, &python_run, 4.0);
  print_ratio("engine (process) / smtp-source -d -s 4", &engine.run, &source_run, 0.5);
  if (cli_run) print_ratio("outreach run (process) / python loop", &*cli_run, &python_run, 0.0);
  if (send_loop) {
    print_ratio("engine / SmtpTransport send() loop, same messages", &engine.run, &*send_loop, 0.0);
    print_ratio("SmtpTransport submit+flush / send() loop", &*pipelined, &*send_loop, 0.0);
  }
  if (engine_power) print_ratio("engine (power) / python loop (power)", &engine_power->run, &*python_power, 0.0);

  bool all_ok = true;
  for (const Run& run : runs) {
    if (!run.ok()) {
      all_ok = false;
      std::fprintf(stderr, "bench_run: %s: %zu sent of %zu, %ld at the sink: %s\n", run.what.c_str(), run.sent,
                   run.messages, run.at_sink, run.failure.c_str());
    }
  }
  return all_ok ? 0 : 1;
}
