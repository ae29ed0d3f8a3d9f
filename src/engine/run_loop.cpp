// The run loop: the engine's steps driven by a manual clock (simulations) or by Boost.Asio
// timers on the system clock. The only part of the engine that knows Asio.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <unistd.h>

#include <algorithm>

#include "engine/engine_state.hpp"

namespace outreach {

void Engine::simulate(ManualClock& clock, std::optional<Instant> until) {
  while (!state_->stop_requested.load()) {
    const auto next = step();
    if (!next || (until && *next > *until)) break;
    clock.set(*next);
  }
}

void Engine::run(std::optional<Instant> until) {
  boost::asio::io_context io;
  run_on(io, until);
  io.run();
}

namespace {
// How long a step on the system clock goes on deciding sends when much is due at once, before it
// lets the run loop look at what waits in the store.
constexpr std::chrono::milliseconds step_slice{250};
// Nothing due for this long (outside sending hours, between waves of follow-ups): a moment to
// keep snapshots of the campaigns whose logs grew, which takes about what their start takes.
constexpr std::chrono::seconds quiet_enough{30};
}  // namespace

void Engine::run_on(boost::asio::io_context& io, std::optional<Instant> until, std::function<void()> done) {
  // One timer for the whole run; each wake-up does a step and sets the timer for the next.
  struct Loop : std::enable_shared_from_this<Loop> {
    Engine& engine;
    boost::asio::steady_timer timer;
    std::optional<Instant> until;
    std::function<void()> done;
    // A copy of the store's wake descriptor (another process handed something in), ours to
    // close: the store's own may be closed and its number reused when it reconnects.
    boost::asio::posix::stream_descriptor watched;
    bool watching = false;
    bool ended = false;
    Loop(Engine& e, boost::asio::io_context& context, std::optional<Instant> last, std::function<void()> finished)
        : engine(e), timer(context), until(last), done(std::move(finished)), watched(context) {}
    // Wakes the loop at once when the store says something was handed in; the timer stays the
    // loop's clock. Watched anew after each wake-up, from the store's descriptor of the moment.
    void watch() {
      if (watching || ended) return;
      boost::system::error_code ignored;
      watched.close(ignored);
      const int fd = engine.state_->store.wake_descriptor();
      const int copy = fd >= 0 ? ::dup(fd) : -1;
      if (copy < 0) return;
      watched.assign(copy, ignored);
      if (ignored) return;
      watching = true;
      watched.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [self = shared_from_this()](const boost::system::error_code& error) {
                           if (error == boost::asio::error::operation_aborted) return;
                           self->watching = false;
                           // Only a notification wakes the loop now; anything else waits for
                           // its timer, which watches again.
                           if (!error && !self->ended && self->engine.state_->store.take_wake_ups()) self->timer.cancel();
                         });
    }
    void unwatch() {
      boost::system::error_code ignored;
      watched.close(ignored);
      watching = false;
    }
    void wake() {
      // Nothing is done after `until`, not even at the first wake-up.
      const bool over = engine.state_->stop_requested.load() || (until && engine.state_->clock.now() > *until);
      std::optional<Instant> next;
      try {
        // The claims first (on a store several engines share), then what other processes asked
        // for, before the next send (a store error stops the engine, which the step then sees).
        if (!over) engine.state_->tend_claims();
        if (!over) (void)engine.apply_waiting();
        if (!over) {
          engine.state_->yield_after = std::chrono::steady_clock::now() + step_slice;
          next = engine.step();
          engine.state_->yield_after.reset();  // a step driven by the host afterwards decides all that is due
        }
      } catch (const boost::system::system_error& error) {
        // A signal handler interrupted a wait inside the step (EINTR): no reason to stop (a
        // handler that wants a stop requests one), so the step is taken again at once.
        if (error.code() != boost::system::errc::interrupted) throw;
        timer.expires_after(std::chrono::milliseconds(0));
        timer.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->wake(); });
        return;
      }
      // A paused campaign, or one whose mailboxes are disabled, waits for a request (resume,
      // mailbox enable); with nothing here, another engine's campaigns may come to this one
      // should it stop: looked for every second.
      if (!next && !over && (engine.state_->has_held_campaign() || engine.state_->waits_for_others())) {
        (void)engine.keep_snapshots();  // nothing is due at all: as quiet as it gets
        next = engine.state_->clock.now() + std::chrono::seconds(1);
      }
      // Past `until` nothing more is sent, but received mail is still read until then.
      if (next && until && *next > *until) {
        next = engine.state_->reads_mail ? std::optional<Instant>(*until + std::chrono::milliseconds(1)) : std::nullopt;
      }
      if (!next) {
        ended = true;
        unwatch();
        // A run that ends by itself leaves its campaigns' states for what comes next (`status`,
        // another run); a stop asked for ends at once.
        if (!engine.state_->stop_requested.load()) (void)engine.keep_snapshots();
        engine.state_->release_claims();
        if (done) done();
        return;
      }
      if (!over && *next - engine.state_->clock.now() >= quiet_enough) (void)engine.keep_snapshots();
      // Slices of at most 200 ms, so that a stop request is seen soon.
      const auto left = *next - engine.state_->clock.now();
      timer.expires_after(std::clamp<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(0),
                                                                           std::chrono::milliseconds(200)));
      timer.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->wake(); });
      watch();
    }
  };
  auto loop = std::make_shared<Loop>(*this, io, until, std::move(done));
  boost::asio::post(io, [loop] { loop->wake(); });
}

}  // namespace outreach
