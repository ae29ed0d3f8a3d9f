// One thread at a time in a handle: the thread inside a call holds the handle's lock and is its
// owner, so a second thread is refused at once (not blocked), and a call from the handle's own
// callbacks (on the owning thread) may only read.
#pragma once

#include <atomic>
#include <mutex>
#include <string_view>
#include <thread>

#include "abi.hpp"

namespace outreach::capi {

/// The lock of a handle used by one thread at a time.
struct HandleLock {
  mutable std::mutex mutex;
  mutable std::atomic<std::thread::id> owner{};
};

/// Holds a handle for one call.
class HandleUse {
 public:
  enum class Kind : unsigned char { read, change };

  /// `from_callbacks`: why a change from the handle's own callbacks is refused; `elsewhere`: why
  /// a call while another thread is in one is.
  HandleUse(const HandleLock& lock, Kind kind, std::string_view from_callbacks, std::string_view elsewhere)
      : lock_(lock) {
    if (lock_.owner.load() == std::this_thread::get_id()) {
      if (kind == Kind::change) status_ = fail_with(OUTREACH_EBUSY, from_callbacks);
      return;
    }
    if (!lock_.mutex.try_lock()) {
      status_ = fail_with(OUTREACH_EBUSY, elsewhere);
      return;
    }
    lock_.owner.store(std::this_thread::get_id());
    locked_ = true;
  }
  ~HandleUse() {
    if (!locked_) return;
    lock_.owner.store(std::thread::id());
    lock_.mutex.unlock();
  }
  HandleUse(const HandleUse&) = delete;
  HandleUse& operator=(const HandleUse&) = delete;

  /// OK, or why the handle cannot be used now.
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  const HandleLock& lock_;
  bool locked_ = false;
  int status_ = OUTREACH_OK;
};

}  // namespace outreach::capi
