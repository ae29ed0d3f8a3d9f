// A SQLite VFS for tests that makes the disk fail: it wraps the default VFS, counts the writes
// made to files under one folder, and fails the n-th of them (and, if asked, every one after
// it, as a full disk stays full) with the code given.
//
// Counted as writes, and failed: xWrite and xTruncate, the calls that change a file's bytes.
// xSync is counted apart and never fails: it is a no-op for the watched files, since what is
// tested is a write the disk refuses, not the flush, and a flush per checkpoint would make a
// sweep of thousands of runs wait on the disk. The shared-memory index (-shm) is mapped, not
// written, so it is neither counted nor failed.
//
// While a `FailingVfs` lives it is the process's default VFS, so a store opened without naming
// one (SqliteStore::open) goes through it; the default before it is restored when it ends.
// Connections opened through it must be closed before it ends. One at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace outreach::testing {

class FailingVfs {
 public:
  // The file a write went to: the database itself, its write-ahead log, anything else (a
  // rollback journal, a temporary file).
  enum class FileKind { database, wal, other };

  // The `at`-th write from now (1-based) fails with `code` (SQLITE_IOERR_WRITE, SQLITE_FULL);
  // with `sticky`, every write after it fails too.
  struct Fault {
    std::uint64_t at = 1;
    int code = SQLITE_IOERR_WRITE;
    bool sticky = false;
  };

  // Counts (and fails) the writes to files under `folder`; other files pass through untouched.
  explicit FailingVfs(const std::filesystem::path& folder);
  ~FailingVfs();
  FailingVfs(const FailingVfs&) = delete;
  FailingVfs& operator=(const FailingVfs&) = delete;

  // From now on, counting from zero again: every write goes to the disk.
  void healthy();
  // From now on, counting from zero again: the fault's write fails.
  void arm(const Fault& fault);

  // Writes (xWrite, xTruncate) and flushes (xSync) to the watched files since `healthy` or `arm`,
  // failed ones included.
  [[nodiscard]] std::uint64_t writes() const noexcept;
  [[nodiscard]] std::uint64_t syncs() const noexcept;
  // Writes refused since `arm`; and the kind of file the first of them was for.
  [[nodiscard]] std::uint64_t failed() const noexcept;
  [[nodiscard]] std::optional<FileKind> first_failure_on() const noexcept;

  // The name of the VFS it wraps, for a connection that must see the disk as it is.
  [[nodiscard]] const char* healthy_vfs_name() const noexcept;

  struct State;  // shared with the file methods (failing_vfs.cpp)

 private:
  State* state_;
};

// "SQLITE_FULL", "SQLITE_IOERR_WRITE": for the messages of the tests.
std::string sqlite_code_name(int code);

}  // namespace outreach::testing
