// Running the peer programs of a benchmark (smtp-source, python3, openssl): finding them, running
// one to completion with its output captured, and its wall-clock and CPU time.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace bench {

inline double cpu_seconds(const rusage& usage) {
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// User + system CPU seconds of this process so far (every thread).
inline double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return cpu_seconds(usage);
}

// Looks on PATH and then in the sbin directories, which are not on every user's PATH (Postfix's
// smtp-sink and smtp-source live in /usr/sbin).
inline std::optional<std::filesystem::path> find_program(std::string_view name) {
  std::vector<std::string> directories;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream stream(path);
    for (std::string entry; std::getline(stream, entry, ':');) {
      if (!entry.empty()) directories.push_back(entry);
    }
  }
  for (const char* extra : {"/usr/sbin", "/usr/local/sbin", "/sbin"}) directories.emplace_back(extra);
  for (const auto& directory : directories) {
    const std::filesystem::path candidate = std::filesystem::path(directory) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

inline std::vector<char*> argv_of(std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  return argv;
}

struct ProcessResult {
  int exit_status = -1;  // -1: it did not start, or a signal ended it
  double seconds = 0;
  double cpu_seconds = 0;  // its user + system time
  std::string output;      // its standard output
  std::string errors;      // its standard error
};

inline std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

// Runs a program to completion, its standard output and error captured through `output_file`
// and `output_file` + ".stderr", timed from the spawn to the exit.
inline ProcessResult run_process(std::vector<std::string> arguments, const std::filesystem::path& output_file) {
  ProcessResult result;
  std::vector<char*> argv = argv_of(arguments);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::filesystem::path errors_file = output_file.string() + ".stderr";
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, errors_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::fflush(nullptr);
  pid_t pid = -1;
  const auto start = std::chrono::steady_clock::now();
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::fprintf(stderr, "benchmark: cannot run %s: %s\n", argv[0], std::strerror(spawned));
    return result;
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.cpu_seconds = cpu_seconds(usage);
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  result.output = read_whole_file(output_file);
  result.errors = read_whole_file(errors_file);
  return result;
}

// A private directory under /tmp for the run's files, removed with everything in it at the end.
class TempDirectory {
 public:
  explicit TempDirectory(const char* prefix) {
    std::string pattern = std::string("/tmp/") + prefix + ".XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    if (!path_.empty() && !keep_) std::filesystem::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  [[nodiscard]] bool ok() const { return !path_.empty(); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Leaves the files for a look after a failure.
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace bench
