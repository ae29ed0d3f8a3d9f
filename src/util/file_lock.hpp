// An exclusive lock held on a side file through flock(): the kernel drops it when the holding
// process ends in any way, SIGKILL included, so a crash never leaves it taken. The file says
// the holder's process id, for the message of whoever finds it taken.
#pragma once

#include <filesystem>
#include <utility>

#include "outreach/error.hpp"

namespace outreach::detail {

/// Holds the lock until destroyed. flock() locks belong to an open file description, not to a
/// process: a second acquire in the same process is refused like one from another process, and
/// SQLite's own fcntl() locks on the database never interfere with it.
class ExclusiveFileLock {
 public:
  /// Takes the lock on `path` (created when missing) without waiting and writes this process's
  /// id into it. `unavailable` when it is held, with the holder's id in the message when known;
  /// `io_error` when the file cannot be opened or locked.
  [[nodiscard]] static expected<ExclusiveFileLock> acquire(const std::filesystem::path& path);

  ExclusiveFileLock(ExclusiveFileLock&& other) noexcept : descriptor_(std::exchange(other.descriptor_, -1)) {}
  ExclusiveFileLock& operator=(ExclusiveFileLock&& other) noexcept;
  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;
  /// Empties the file and releases the lock. The file stays: removing it would let a process
  /// that opened it just before lock a file no longer in the folder while a third locks a new one.
  ~ExclusiveFileLock();

 private:
  explicit ExclusiveFileLock(int descriptor) noexcept : descriptor_(descriptor) {}
  void release() noexcept;
  int descriptor_ = -1;
};

}  // namespace outreach::detail
