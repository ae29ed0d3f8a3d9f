// What `outreach serve` answers, without the network: a request in, a response out. The HTTP
// server (http_server.cpp) reads requests with Beast and hands them here; tests and the fuzz
// target call it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/store.hpp"
#include "outreach/tracking.hpp"
#include "outreach/unsubscribe.hpp"
#include "util/http_form.hpp"

namespace outreach::detail {

/// A request as the server read it.
struct WebRequest {
  std::string method;        // GET, HEAD, POST, ...
  std::string target;        // the request target, in origin form
  std::string content_type;  // of the body
  std::string authorization;
  std::string body;
  std::string client;        // the peer's address
  std::string user_agent;
  bool forwarded = false;    // it came through a proxy (Forwarded, X-Forwarded-For)
};

/// The answer.
struct WebResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond those every response has
};

/// How the routes are served.
struct WebAppOptions {
  /// Private routes need `Authorization: Bearer TOKEN`; empty: they are served only when the
  /// server listens on loopback alone (`loopback_only`) and the request came from no proxy.
  std::string token;
  bool loopback_only = true;
  /// Failed tokens a client address may present per minute before it gets 429.
  int failed_tokens_per_minute = 30;
  /// How long an unsubscribe waits for a send to its address already under way to finish.
  std::chrono::milliseconds in_flight_wait{30000};
  std::function<void(std::string_view)> log;  // one line per notable thing; may be empty
};

/// Why an open or a click is probably a machine's, for its event's `reason`; empty when nothing
/// says so. `since_send` is the time from the message's making to the hit; `burst` says another
/// link of the same message was followed within the second.
[[nodiscard]] std::string tracking_suspicion(bool head, std::string_view user_agent, std::chrono::milliseconds since_send,
                                             bool burst);

/// The security headers every response carries, and the Content-Security-Policy of the pages.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> common_headers();

/// The routes of `outreach serve` over one store. Thread-safe: one request at a time reaches
/// the store.
class WebApp {
 public:
  /// Serves `store` (opened with `StoreAccess::inbox`). Refuses a store with a campaign whose
  /// unsubscribe links cannot be checked: a `{{token}}` link without a secret of at least
  /// `Engine::min_unsubscribe_secret` bytes in its variable.
  static expected<std::unique_ptr<WebApp>> open(std::unique_ptr<Store> store, WebAppOptions options);

  /// Answers one request.
  WebResponse handle(const WebRequest& request);

  /// Counts of what was answered, for /metrics.
  struct Counters {
    std::int64_t requests = 0;
    std::int64_t unsubscribes = 0;       // one-click posts that suppressed an address
    std::int64_t repeated_unsubscribes = 0;  // ... of an address suppressed already
    std::int64_t bad_tokens = 0;
    std::int64_t throttled = 0;
    std::int64_t unauthorized = 0;
    std::int64_t opens = 0;   // pixels fetched (suspect ones included)
    std::int64_t clicks = 0;  // links followed (suspect ones included)
    std::int64_t suspect = 0;  // of those, probably machines
  };

 private:
  // One campaign's links: the unsubscribe link's path around `{{token}}`, the tracking host's
  // path, and the keys that open them (the current secret's first).
  struct LinkRoute {
    std::string campaign;
    std::string prefix;  // the path before the token, such as `/u/`; empty: no unsubscribe link
    std::string suffix;  // after it (usually empty)
    std::vector<UnsubscribeKey> ring;
    bool opens = false;  // tracked: `tracking_prefix` + `/o/TOKEN`
    bool clicks = false;  // tracked: `tracking_prefix` + `/c/TOKEN`
    std::string tracking_prefix;  // the tracking host's path, such as `/t`, or empty
    std::vector<TrackingKey> tracking_ring;
    [[nodiscard]] bool has_link(std::string_view path) const {
      return !prefix.empty() && path.size() > prefix.size() + suffix.size() && path.starts_with(prefix) &&
             path.ends_with(suffix);
    }
    // The token of a tracking path of this route (`kind` 'o' or 'c'), or nothing.
    [[nodiscard]] std::optional<std::string_view> tracking_token(std::string_view path, char kind) const {
      if (!(kind == 'o' ? opens : clicks) || !path.starts_with(tracking_prefix)) return std::nullopt;
      const std::string_view rest = path.substr(tracking_prefix.size());
      if (rest.size() <= 3 || rest[0] != '/' || rest[1] != kind || rest[2] != '/') return std::nullopt;
      return rest.substr(3);
    }
  };
  // Clicks of one message in the last second, to tell a scanner that follows every link.
  struct RecentClicks {
    std::chrono::steady_clock::time_point first{};
    std::vector<std::string> urls;
  };
  struct Throttle {
    std::chrono::steady_clock::time_point window{};
    int failures = 0;
  };

  WebApp(std::unique_ptr<Store> store, WebAppOptions options) : store_(std::move(store)), options_(std::move(options)) {}

  expected<void> load_routes(bool strict);
  bool reload_routes_if_due();  // true when it read them again
  static bool is_private_path(std::string_view path);
  WebResponse answer(const WebRequest& request);
  // The link a path names, opened by the first route whose keys can: 'u' an unsubscribe link,
  // 'o' and 'c' a tracked open or click, 0 none. `matched`: some route's pattern fits the path.
  struct FoundLink {
    char kind = 0;
    UnsubscribeTarget unsubscribe;
    TrackedHit hit;
    std::string token;
  };
  FoundLink find_link(std::string_view path, bool& matched) const;
  // Under the lock, which they may release.
  WebResponse unsubscribe(const WebRequest& request, const UnsubscribeTarget& found, std::unique_lock<std::mutex>& lock);
  WebResponse track(const WebRequest& request, const TrackedHit& found, char kind, std::string_view token,
                    std::unique_lock<std::mutex>& lock);
  static WebResponse method_not_allowed(std::string_view allowed);
  bool every_link_at_once(const TrackedHit& hit);
  bool recently_recorded(std::string_view token);
  WebResponse private_route(const WebRequest& request, std::string_view path, const RequestTarget& target);
  bool allowed_private(const WebRequest& request) const;
  WebResponse bad_link(const std::string& client);  // 404, or 429 past the limit; under the lock
  bool throttled(const std::string& client);
  void note_failure(const std::string& client);
  void wait_for_sends_to(std::string_view address, std::unique_lock<std::mutex>& lock);
  std::string metrics();
  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  std::mutex mutex_;
  std::unique_ptr<Store> store_;
  WebAppOptions options_;
  std::vector<LinkRoute> routes_;
  std::chrono::steady_clock::time_point routes_loaded_{};
  std::map<std::string, Throttle, std::less<>> throttles_;
  std::map<std::string, RecentClicks, std::less<>> recent_clicks_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> recent_hits_;  // by token
  Counters counters_;
};

}  // namespace outreach::detail
