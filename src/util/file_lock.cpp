#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace outreach::detail {

namespace {

std::string system_message(int error_number) { return std::strerror(error_number); }

// The holder's process id as the file says it, or empty when it says nothing readable (the
// holder may be between taking the lock and writing it).
std::string holder_of(int descriptor) {
  char buffer[32] = {};
  const ssize_t length = pread(descriptor, buffer, sizeof buffer - 1, 0);
  if (length <= 0) return {};
  std::string text(buffer, static_cast<std::size_t>(length));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return {};
  return text;
}

}  // namespace

expected<ExclusiveFileLock> ExclusiveFileLock::acquire(const std::filesystem::path& path) {
  // CLOEXEC: a program the holder starts must not inherit (and so prolong) the lock.
  int descriptor = -1;
  do {
    descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (descriptor < 0 && errno == EINTR);
  if (descriptor < 0) {
    return fail(Errc::io_error, "cannot open the lock file: " + system_message(errno), Location::in(path.string()));
  }
  int locked = -1;
  do {
    locked = ::flock(descriptor, LOCK_EX | LOCK_NB);
  } while (locked != 0 && errno == EINTR);
  if (locked != 0) {
    const int error_number = errno;
    const std::string holder = error_number == EWOULDBLOCK ? holder_of(descriptor) : std::string();
    ::close(descriptor);
    if (error_number != EWOULDBLOCK) {
      return fail(Errc::io_error, "cannot lock: " + system_message(error_number), Location::in(path.string()));
    }
    return fail(Errc::unavailable, holder.empty() ? "held by another process" : "held by process " + holder,
                Location::in(path.string()));
  }
  ExclusiveFileLock lock(descriptor);
  // The id is only for messages: failing to write it does not weaken the lock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(descriptor, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(descriptor, pid.data(), pid.size(), 0);
  }
  return lock;
}

ExclusiveFileLock& ExclusiveFileLock::operator=(ExclusiveFileLock&& other) noexcept {
  if (this != &other) {
    release();
    descriptor_ = std::exchange(other.descriptor_, -1);
  }
  return *this;
}

ExclusiveFileLock::~ExclusiveFileLock() { release(); }

void ExclusiveFileLock::release() noexcept {
  if (descriptor_ < 0) return;
  [[maybe_unused]] const int emptied = ::ftruncate(descriptor_, 0);
  // Unlocked explicitly: a child forked since (and not yet exec'd) shares the descriptor and
  // would otherwise keep the lock after the store is closed.
  ::flock(descriptor_, LOCK_UN);
  ::close(descriptor_);
  descriptor_ = -1;
}

}  // namespace outreach::detail
