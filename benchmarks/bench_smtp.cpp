// SMTP sending speed: composed messages of about 2 KB through SmtpTransport (plain text, one
// mailbox) to Postfix's smtp-sink on loopback, against Postfix's own load generator smtp-source
// and Python's smtplib, all measured in the same run against the same sink:
//
//   - ours, 1 connection: every message submit()ed, then flush() (the pipelined path), and the
//     send() loop (one message at a time);
//   - smtp-source -d -s 1 (one connection, no pipelining) and smtplib (sendmail in a loop);
//   - ours with connections_per_mailbox C against smtp-source -d -s C.
//
// Every outcome is counted, and the sink's own message counter is read after each run: a run in
// which any message was not accepted makes the exit status 1, since its figure would be
// meaningless. The CPU time of the client and of the sink per message shows who is the limit.
//
//   bench_smtp [--messages N] [--connections C] [--rounds R] [--python PATH] [--smtplib-script PATH]
//              [--only RUN,...]
//
// Defaults: 20,000 messages, 4 connections, 3 rounds of every run (the medians are compared),
// /usr/bin/python3, smtplib_peer.py beside this file. --only picks runs, e.g. to profile one.
// Exit status 77 (a skipped test) when smtp-sink or smtp-source (Debian's postfix) is missing.

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
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_messages.hpp"
#include "bench_process.hpp"
#include "outreach/smtp_transport.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int exit_skipped = 77;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A port nobody listens on now; smtp-sink binds it a moment later (start() retries on a clash).
int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// True once something on the port answers with an SMTP greeting (then says QUIT).
bool smtp_greets(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  // Whatever else might have taken the port in the meantime must not hang us.
  const timeval limit{.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  bool greeted = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    char reply[512];
    const ssize_t got = read(fd, reply, sizeof reply);
    greeted = got >= 4 && std::string_view(reply, 3) == "220";
    constexpr std::string_view quit = "QUIT\r\n";
    if (greeted && write(fd, quit.data(), quit.size()) > 0) (void)read(fd, reply, sizeof reply);
  }
  close(fd);
  return greeted;
}

// Postfix's smtp-sink on 127.0.0.1, with its running counters (-c) written to a file so that
// each run's messages can be counted at the server.
//
// A benchmark that dies (a crash, a ctest timeout, SIGKILL) must not leave the sink behind, and
// the sink drops root for `nobody`, which clears any parent-death signal. So a watchdog process
// holds the read end of a pipe whose only write end is ours: when we are gone it reads EOF and
// kills the sink. A normal stop kills the watchdog first, then the sink.
class SmtpSink {
 public:
  SmtpSink() = default;
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;
  ~SmtpSink() { stop(); }

  bool start(const fs::path& program, const fs::path& directory) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_loopback_port();
      if (port_ > 0 && launch(program, directory)) return true;
      stop();
    }
    return false;
  }

  void stop() {
    if (watchdog_ > 0) {
      kill(watchdog_, SIGKILL);
      waitpid(watchdog_, nullptr, 0);
      watchdog_ = -1;
    }
    if (lifeline_ >= 0) {
      close(lifeline_);
      lifeline_ = -1;
    }
    if (sink_ > 0) {
      kill(sink_, SIGTERM);
      const auto deadline = Clock::now() + 3s;
      while (waitpid(sink_, nullptr, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          kill(sink_, SIGKILL);
          waitpid(sink_, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(10ms);
      }
      sink_ = -1;
    }
  }

  [[nodiscard]] int port() const { return port_; }

  // The sink's count of messages received (its "mesg=" counter, updated when "." arrives).
  [[nodiscard]] long messages_received() const {
    const std::string text = bench::read_whole_file(counters_);
    const auto at = text.rfind("mesg=");
    return at == std::string::npos ? 0 : std::strtol(text.c_str() + at + 5, nullptr, 10);
  }

  // Waits (briefly) for the counter to reach `expected`: it is written just before the reply.
  [[nodiscard]] long messages_received_after(long expected) const {
    long received = messages_received();
    for (int i = 0; i < 100 && received < expected; ++i) {
      std::this_thread::sleep_for(10ms);
      received = messages_received();
    }
    return received;
  }

  // User + system CPU seconds the sink has used so far, from /proc.
  [[nodiscard]] double cpu_seconds_used() const {
    const std::string stat = bench::read_whole_file("/proc/" + std::to_string(sink_) + "/stat");
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field && index <= 15; ++index) {
      if (index == 14 || index == 15) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  bool launch(const fs::path& program, const fs::path& directory) {
    counters_ = directory / "sink-counters.txt";
    const fs::path log = directory / "sink-log.txt";
    std::vector<std::string> arguments = {program.string(), "-a", "-c"};  // -a: no AUTH to negotiate
    if (geteuid() == 0) arguments.insert(arguments.end(), {"-u", "nobody"});
    arguments.push_back("127.0.0.1:" + std::to_string(port_));
    arguments.push_back("1000");
    std::vector<char*> argv = bench::argv_of(arguments);

    const int counters_fd = open(counters_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int lifeline[2];
    if (counters_fd < 0 || log_fd < 0 || null_fd < 0 || pipe2(lifeline, O_CLOEXEC) != 0) {
      std::perror("bench_smtp: smtp-sink setup");
      return false;
    }
    std::fflush(nullptr);
    sink_ = fork();
    if (sink_ == 0) {
      dup2(null_fd, 0);
      dup2(counters_fd, 1);
      dup2(log_fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(counters_fd);
    close(log_fd);
    close(null_fd);
    if (sink_ < 0) {  // and never let the watchdog below signal pid -1 (every process)
      close(lifeline[0]);
      close(lifeline[1]);
      return false;
    }
    const pid_t sink = sink_;
    watchdog_ = fork();
    if (watchdog_ == 0) {
      close(lifeline[1]);
      char byte;
      while (read(lifeline[0], &byte, 1) < 0 && errno == EINTR) {
      }
      kill(sink, SIGTERM);
      for (int i = 0; i < 30 && kill(sink, 0) == 0; ++i) usleep(100000);
      kill(sink, SIGKILL);
      _exit(0);
    }
    close(lifeline[0]);
    lifeline_ = lifeline[1];
    if (watchdog_ < 0) return false;

    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      if (waitpid(sink_, nullptr, WNOHANG) == sink_) {  // exited: most likely the port was taken
        sink_ = -1;
        return false;
      }
      if (smtp_greets(port_)) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  int port_ = -1;
  pid_t sink_ = -1;
  pid_t watchdog_ = -1;
  int lifeline_ = -1;
  fs::path counters_;
};

// One measured run: what was sent, what came back, and what it cost on each side.
struct Run {
  std::string what;
  std::size_t messages = 0;
  std::size_t accepted = 0;
  long at_sink = 0;
  std::size_t connections = 0;
  double seconds = 0;
  double client_cpu_seconds = 0;
  double sink_cpu_seconds = 0;
  std::string failure;  // the first failure, for the report

  [[nodiscard]] bool ok() const {
    return failure.empty() && accepted == messages && at_sink == static_cast<long>(messages);
  }
  [[nodiscard]] double per_second() const { return static_cast<double>(messages) / seconds; }
};

// Measures one run against the sink: `body` sends the messages and fills in the client side.
template <class Body>
Run measure(SmtpSink& sink, std::string what, std::size_t messages, Body&& body) {
  Run run;
  run.what = std::move(what);
  run.messages = messages;
  const long sink_before = sink.messages_received();
  const double sink_cpu_before = sink.cpu_seconds_used();
  body(run);
  run.at_sink = sink.messages_received_after(sink_before + static_cast<long>(messages)) - sink_before;
  run.sink_cpu_seconds = sink.cpu_seconds_used() - sink_cpu_before;
  if (run.failure.empty() && run.at_sink != static_cast<long>(messages)) {
    run.failure = "the sink counted " + std::to_string(run.at_sink) + " messages";
  }
  return run;
}

std::string describe(const outreach::SendOutcome& outcome) {
  const char* kind = outcome.kind == outreach::SendOutcome::Kind::temporary ? "temporary" : "permanent";
  return std::string(kind) + " " + std::to_string(outcome.code) + " " + outcome.status + " " + outcome.reason;
}

struct Tally {
  std::size_t accepted = 0;
  std::string first_failure;
  void add(const outreach::SendOutcome& outcome) {
    if (outcome.kind == outreach::SendOutcome::Kind::accepted) {
      ++accepted;
    } else if (first_failure.empty()) {
      first_failure = describe(outcome);
    }
  }
};

outreach::SmtpOptions transport_options(std::size_t connections) {
  outreach::SmtpOptions options;
  options.helo_name = "bench.example";
  options.connections_per_mailbox = connections;
  options.pipelining = true;
  // Far beyond what loopback needs, yet short enough that a stuck session fails the run quickly.
  options.timeouts.command = 10s;
  options.timeouts.data = 30s;
  return options;
}

// Ours, the pipelined path: every message submitted, then one flush, then QUIT.
Run run_ours_submitted(SmtpSink& sink, const outreach::Mailbox& mailbox, const std::vector<outreach::Message>& messages,
                       std::size_t connections) {
  const std::string what = "ours, " + std::to_string(connections) + " connection" + (connections > 1 ? "s" : "") +
                           ", submit + flush";
  return measure(sink, what, messages.size(), [&](Run& run) {
    std::vector<outreach::Message> queue = messages;  // moved into submit(); copied before the clock starts
    Tally tally;
    std::size_t completions = 0;
    const double cpu_before = bench::own_cpu_seconds();
    const auto start = Clock::now();
    {
      outreach::SmtpTransport transport(transport_options(connections));
      for (auto& message : queue) {
        transport.submit(mailbox, std::move(message), [&](const outreach::SendOutcome& outcome) {
          ++completions;
          tally.add(outcome);
        });
      }
      transport.flush();
      run.connections = transport.connections_opened();
      transport.close();
    }
    run.seconds = seconds_since(start);
    run.client_cpu_seconds = bench::own_cpu_seconds() - cpu_before;
    run.accepted = tally.accepted;
    run.failure = tally.first_failure;
    if (completions != messages.size() && run.failure.empty()) {
      run.failure = std::to_string(completions) + " completions for " + std::to_string(messages.size()) + " messages";
    }
  });
}

// Ours, one message at a time: send() waits for each message's outcome before the next.
Run run_ours_sent(SmtpSink& sink, const outreach::Mailbox& mailbox, const std::vector<outreach::Message>& messages) {
  return measure(sink, "ours, 1 connection, send() loop", messages.size(), [&](Run& run) {
    Tally tally;
    const double cpu_before = bench::own_cpu_seconds();
    const auto start = Clock::now();
    {
      outreach::SmtpTransport transport(transport_options(1));
      for (const auto& message : messages) tally.add(transport.send(mailbox, message));
      run.connections = transport.connections_opened();
      transport.close();
    }
    run.seconds = seconds_since(start);
    run.client_cpu_seconds = bench::own_cpu_seconds() - cpu_before;
    run.accepted = tally.accepted;
    run.failure = tally.first_failure;
  });
}

// smtp-source's message is its own few headers (about 120 bytes) and `payload` bytes of text.
Run run_smtp_source(SmtpSink& sink, const fs::path& program, std::size_t messages, std::size_t sessions,
                    std::size_t payload, const fs::path& directory) {
  const std::string what = "smtp-source -d -s " + std::to_string(sessions);
  return measure(sink, what, messages, [&](Run& run) {
    const bench::ProcessResult result = bench::run_process(
        {program.string(), "-d", "-s", std::to_string(sessions), "-m", std::to_string(messages), "-l",
         std::to_string(payload), "-M", "bench.example", "-f", "alice@acme.example", "-t", "lead@company.example",
         "127.0.0.1:" + std::to_string(sink.port())},
        directory / "smtp-source.out");
    run.seconds = result.seconds;
    run.client_cpu_seconds = result.cpu_seconds;
    run.connections = sessions;
    // smtp-source stops at the first reply that is not the expected one, and then exits 1.
    run.accepted = result.exit_status == 0 ? messages : 0;
    if (result.exit_status != 0) {
      run.failure = "smtp-source exit status " + std::to_string(result.exit_status) + ": " + result.errors;
    }
  });
}

Run run_smtplib(SmtpSink& sink, const fs::path& python, const fs::path& script, const fs::path& messages_file,
                std::size_t messages, const fs::path& directory) {
  return measure(sink, "python3 smtplib, sendmail() loop", messages, [&](Run& run) {
    const bench::ProcessResult result = bench::run_process(
        {python.string(), script.string(), "127.0.0.1", std::to_string(sink.port()), messages_file.string()},
        directory / "smtplib.out");
    run.connections = 1;
    // The script times its own session (connect to QUIT), leaving out the interpreter's start.
    unsigned long accepted = 0;
    double seconds = 0;
    double cpu = 0;
    const int parsed =
        std::sscanf(result.output.c_str(), "accepted=%lu messages=%*u seconds=%lf cpu=%lf", &accepted, &seconds, &cpu);
    if (parsed != 3) {
      run.failure = "smtplib_peer.py exit status " + std::to_string(result.exit_status) + ": " + result.errors;
      return;
    }
    run.accepted = accepted;
    run.seconds = seconds;
    run.client_cpu_seconds = cpu;
    if (result.exit_status != 0) {
      run.failure = "smtplib_peer.py exit status " + std::to_string(result.exit_status) + ": " + result.errors;
    }
  });
}

// The smtplib peer sends exactly our messages: each as "SENDER RECIPIENT LENGTH\n" + bytes.
bool write_messages_file(const fs::path& path, const std::vector<outreach::Message>& messages) {
  std::ofstream stream(path, std::ios::binary);
  for (const auto& message : messages) {
    stream << message.envelope_from << ' ' << message.envelope_to << ' ' << message.data.size() << '\n'
           << message.data;
  }
  return static_cast<bool>(stream.flush());
}

void print_run(const Run& run) {
  const double messages = static_cast<double>(run.messages);
  std::printf("%-40s %9.0f %8.2f %9zu %9ld %6zu %9.1f %9.1f\n", run.what.c_str(), run.ok() ? run.per_second() : 0.0,
              run.seconds, run.accepted, run.at_sink, run.connections, run.client_cpu_seconds * 1e6 / messages,
              run.sink_cpu_seconds * 1e6 / messages);
}

// The round with the median rate; a failed round if there is one, so that it is not hidden.
const Run& median_run(const std::vector<Run>& repeated) {
  for (const Run& run : repeated) {
    if (!run.ok()) return run;
  }
  std::vector<const Run*> sorted;
  for (const Run& run : repeated) sorted.push_back(&run);
  std::sort(sorted.begin(), sorted.end(), [](const Run* a, const Run* b) { return a->per_second() < b->per_second(); });
  return *sorted[(sorted.size() - 1) / 2];
}

// `goal` <= 0: a figure to look at, without a goal. A null run was left out with --only.
void print_ratio(const std::string& what, const Run* ours, const Run* peer, double goal) {
  if (ours == nullptr || peer == nullptr) return;
  if (!ours->ok() || !peer->ok()) {
    std::printf("%-46s    n/a (a run did not deliver every message)\n", what.c_str());
    return;
  }
  const double ratio = ours->per_second() / peer->per_second();
  if (goal <= 0) {
    std::printf("%-46s %6.2f\n", what.c_str(), ratio);
  } else {
    std::printf("%-46s %6.2f   goal >= %.1f: %s\n", what.c_str(), ratio, goal,
                ratio >= goal ? "reached" : "not reached");
  }
}

// The runs, in the order they are made; --only picks some (to profile one on its own).
constexpr const char* all_runs = "pipelined,send,source,smtplib,parallel,source-parallel";

void usage() {
  std::fprintf(stderr,
               "usage: bench_smtp [--messages N] [--connections C] [--rounds R] [--python PATH]\n"
               "                  [--smtplib-script PATH] [--only RUN,...]   runs: %s\n",
               all_runs);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t message_count = 20000;
  std::size_t connections = 4;
  std::size_t rounds = 3;
  fs::path python = "/usr/bin/python3";
  fs::path smtplib_script = fs::path(OUTREACH_BENCHMARKS_DIR) / "smtplib_peer.py";
  std::string only = "," + std::string(all_runs) + ",";
  for (int i = 1; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char* value = argv[++i];
    if (option == "--messages") {
      message_count = std::stoul(value);
    } else if (option == "--connections") {
      connections = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--python") {
      python = value;
    } else if (option == "--smtplib-script") {
      smtplib_script = value;
    } else if (option == "--rounds") {
      rounds = std::max<std::size_t>(1, std::stoul(value));
    } else if (option == "--only") {
      only = "," + std::string(value) + ",";
    } else {
      usage();
      return 2;
    }
  }

  const std::string known_runs = "," + std::string(all_runs) + ",";
  std::stringstream chosen_runs(only.substr(1));
  for (std::string name; std::getline(chosen_runs, name, ',');) {
    if (!name.empty() && known_runs.find("," + name + ",") == std::string::npos) {
      usage();
      return 2;
    }
  }

  const auto sink_program = bench::find_program("smtp-sink");
  const auto source_program = bench::find_program("smtp-source");
  if (!sink_program || !source_program) {
    std::printf("bench_smtp: skipped: smtp-sink or smtp-source not found (Debian package postfix)\n");
    return exit_skipped;
  }
  if (access(python.c_str(), X_OK) != 0 || access(smtplib_script.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "bench_smtp: %s or %s is missing\n", python.c_str(), smtplib_script.c_str());
    return 1;
  }

  const std::vector<outreach::Message> messages = bench::campaign_messages(message_count);
  if (messages.size() != message_count) return 1;
  const double average_bytes = bench::average_size(messages);
  // smtp-source writes about 120 bytes of headers before its payload: the same size on the wire.
  const std::size_t source_payload = average_bytes > 120 ? static_cast<std::size_t>(average_bytes) - 120 : 0;

  bench::TempDirectory temporary("outreach-bench-smtp");
  if (!temporary.ok()) {
    std::perror("bench_smtp: mkdtemp");
    return 1;
  }
  const fs::path& directory = temporary.path();
  const fs::path messages_file = directory / "messages.txt";
  if (!write_messages_file(messages_file, messages)) {
    std::fprintf(stderr, "bench_smtp: cannot write %s\n", messages_file.c_str());
    return 1;
  }

  std::map<std::string, std::vector<Run>> runs;
  {
    SmtpSink sink;
    if (!sink.start(*sink_program, directory)) {
      std::fprintf(stderr, "bench_smtp: smtp-sink did not start (see %s/sink-log.txt)\n", directory.c_str());
      temporary.keep();
      return 1;
    }
    outreach::Mailbox mailbox;
    mailbox.id = "alice";
    mailbox.from = {.name = "Alice Doe", .email = "alice@acme.example"};
    mailbox.transport = "smtp://127.0.0.1:" + std::to_string(sink.port());
    mailbox.security = outreach::Security::none;
    if (auto checked = outreach::SmtpTransport().check(mailbox); !checked) {
      std::fprintf(stderr, "bench_smtp: the mailbox is refused: %s\n", checked.error().to_string().c_str());
      return 1;
    }

    std::printf("outreach SMTP benchmark: %zu messages of %.0f bytes on average, one mailbox, plain SMTP to "
                "smtp-sink on 127.0.0.1:%d\n",
                message_count, average_bytes, sink.port());
    std::printf("(smtp-source sends -l %zu: the same size; CPU columns are microseconds per message)\n\n",
                source_payload);
    std::printf("%-40s %9s %8s %9s %9s %6s %9s %9s\n", "what", "msg/s", "seconds", "accepted", "at sink", "conns",
                "client", "sink");
    std::fflush(stdout);
    // Rounds of every run in turn, so that a burst of load elsewhere on the machine hits one round
    // of each rather than all rounds of one; the medians are compared.
    for (std::size_t round = 1; round <= rounds; ++round) {
      const auto make = [&](const char* name, auto&& measure_run) {
        if (only.find("," + std::string(name) + ",") == std::string::npos) return;
        Run run = measure_run();
        print_run(run);
        std::fflush(stdout);
        runs[name].push_back(std::move(run));
      };
      if (rounds > 1) std::printf("round %zu\n", round);
      make("pipelined", [&] { return run_ours_submitted(sink, mailbox, messages, 1); });
      make("send", [&] { return run_ours_sent(sink, mailbox, messages); });
      make("source",
           [&] { return run_smtp_source(sink, *source_program, message_count, 1, source_payload, directory); });
      make("smtplib",
           [&] { return run_smtplib(sink, python, smtplib_script, messages_file, message_count, directory); });
      make("parallel", [&] { return run_ours_submitted(sink, mailbox, messages, connections); });
      make("source-parallel", [&] {
        return run_smtp_source(sink, *source_program, message_count, connections, source_payload, directory);
      });
    }
    sink.stop();
  }

  std::map<std::string, Run> medians;
  if (rounds > 1) std::printf("\nmedian of %zu rounds\n", rounds);
  for (const char* name : {"pipelined", "send", "source", "smtplib", "parallel", "source-parallel"}) {
    if (!runs.contains(name)) continue;
    const Run& median = median_run(runs[name]);
    if (rounds > 1) print_run(median);
    medians.emplace(name, median);
  }
  const auto find = [&medians](const char* name) -> const Run* {
    const auto found = medians.find(name);
    return found == medians.end() ? nullptr : &found->second;
  };
  std::printf("\n");
  print_ratio("ours submit+flush / smtp-source -d", find("pipelined"), find("source"), 1.5);
  print_ratio("ours submit+flush / smtplib", find("pipelined"), find("smtplib"), 2.0);
  print_ratio("ours send() loop / smtp-source -d", find("send"), find("source"), 0.0);
  print_ratio("ours send() loop / smtplib", find("send"), find("smtplib"), 0.0);
  const std::string parallel = "ours " + std::to_string(connections) + " connections / smtp-source -d -s " +
                               std::to_string(connections);
  print_ratio(parallel, find("parallel"), find("source-parallel"), 0.8);

  bool all_ok = true;
  for (const auto& [name, repeated] : runs) {
    for (const Run& run : repeated) {
      if (!run.ok()) {
        all_ok = false;
        std::fprintf(stderr, "bench_smtp: %s: %zu of %zu accepted, %ld at the sink: %s\n", run.what.c_str(),
                     run.accepted, run.messages, run.at_sink, run.failure.c_str());
      }
    }
  }
  return all_ok ? 0 : 1;
}
