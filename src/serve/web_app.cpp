#include "serve/web_app.hpp"

#include <boost/json.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "outreach/campaign.hpp"
#include "outreach/engine.hpp"
#include "outreach/event.hpp"
#include "outreach/report_page.hpp"
#include "outreach/request.hpp"
#include "outreach/store_view.hpp"
#include "outreach/summary.hpp"
#include "report/html_page.hpp"
#include "util/ascii.hpp"
#include "mail/encoding.hpp"
#include "util/sha256.hpp"

namespace outreach::detail {

namespace {

namespace json = boost::json;

constexpr std::string_view token_placeholder = "{{token}}";
// The campaigns' links are read again (every definition: costly for a large campaign) only when a
// path or a token matches none of them, and at most this often, whoever sends such requests.
constexpr std::chrono::seconds routes_refresh{5};
constexpr std::size_t max_throttled_clients = 10000;
constexpr std::size_t max_events_page = 1000;

WebResponse page(int status, std::string_view title, std::string_view body_html) {
  WebResponse response;
  response.status = status;
  begin_html_page(response.body, title);
  response.body += body_html;
  response.body += '\n';
  end_html_page(response.body);
  return response;
}

WebResponse json_response(int status, std::string body) {
  WebResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  response.body += '\n';
  return response;
}

WebResponse text_response(int status, std::string body, std::string_view type = "text/plain; charset=utf-8") {
  WebResponse response;
  response.status = status;
  response.content_type = type;
  response.body = std::move(body);
  return response;
}

// Every unknown link, bad token and unknown route gets the same answer: nothing tells a prober
// which of them it was.
WebResponse not_found() {
  return page(404, "Not found", "<h1>Not found</h1><p>This link is not valid.</p>");
}

// The path of a link, from `https://host/path?query` (the url was checked when the campaign was read).
std::string_view url_path(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::size_t slash = url.find('/', scheme + 3);
  if (slash == std::string_view::npos) return "/";
  return url.substr(slash, url.find_first_of("?#", slash) - slash);
}

bool bearer_matches(std::string_view header, std::string_view token) {
  constexpr std::string_view scheme = "Bearer ";
  if (!starts_with_ascii_nocase(header, scheme)) return false;
  const std::string_view given = trim(header.substr(scheme.size()));
  return given.size() == token.size() && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

std::string label_value(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Whether `map` may take an entry for `key`: bounded whatever the clients, it drops the entries
// `expired` says are done with when full, and when all are live a new key is not kept (rather
// than forgetting the ones that are).
template <class Map, class Expired>
bool has_room(Map& map, std::string_view key, Expired&& expired) {
  if (map.size() < max_throttled_clients || map.find(key) != map.end()) return true;
  std::erase_if(map, [&](const auto& entry) { return expired(entry.second); });
  return map.size() < max_throttled_clients;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> common_headers() {
  // The pages' one stylesheet is allowed by its hash: no other style, no script, no frame.
  static const std::string style_hash = [] {
    const Sha256Digest digest = sha256(report_stylesheet());
    std::string base64;
    append_base64(base64, std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    return base64;
  }();
  return {
      {"Cache-Control", "no-store"},
      {"X-Robots-Tag", "noindex, nofollow"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Content-Security-Policy", "default-src 'none'; style-src 'sha256-" + style_hash +
                                      "'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                                      "base-uri 'none'"},
  };
}

expected<std::unique_ptr<WebApp>> WebApp::open(std::unique_ptr<Store> store, WebAppOptions options) {
  std::unique_ptr<WebApp> app(new WebApp(std::move(store), std::move(options)));
  if (auto loaded = app->load_routes(true); !loaded) return fail(loaded.error());
  return app;
}

// The campaigns' links and keys, read from the store. `strict`: a campaign whose links cannot
// be checked is an error (at start); afterwards it is logged and its links answer 404.
expected<void> WebApp::load_routes(bool strict) {
  std::vector<LinkRoute> routes;
  const std::vector<StoredCampaign> campaigns = store_->campaigns();
  std::vector<std::string> problems;
  for (const StoredCampaign& stored : campaigns) {
    auto definition = CampaignDefinition::from_json(stored.definition);
    if (!definition) {
      problems.push_back("campaign \"" + stored.name + "\" cannot be read: " + definition.error().message());
      continue;
    }
    const UnsubscribeSettings& settings = definition->unsubscribe;
    const TrackingSettings& tracking = definition->tracking;
    LinkRoute route;
    route.campaign = stored.name;
    // The unsubscribe link, when its token is in the path (in a query it is not a route of ours).
    // Paths are compared decoded, as requests arrive.
    const std::string_view path = url_path(settings.url);
    if (const std::size_t in_path = path.find(token_placeholder); in_path != std::string_view::npos) {
      route.prefix = percent_decode(path.substr(0, in_path), false).value_or(std::string(path.substr(0, in_path)));
      route.suffix = percent_decode(path.substr(in_path + token_placeholder.size()), false).value_or("");
    }
    route.opens = tracking.opens && !tracking.host.empty();
    route.clicks = tracking.clicks && !tracking.host.empty();
    if (route.opens || route.clicks) {
      const std::string_view host_path = url_path(tracking.host);
      route.tracking_prefix = host_path == "/" ? std::string() : percent_decode(host_path, false).value_or(std::string(host_path));
    }
    if (route.prefix.empty() && !route.opens && !route.clicks) continue;
    std::vector<std::string> variables{settings.secret_env};
    variables.insert(variables.end(), settings.previous_secret_envs.begin(), settings.previous_secret_envs.end());
    for (const std::string& variable : variables) {
      const char* secret = std::getenv(variable.c_str());
      const std::size_t size = secret ? std::string_view(secret).size() : 0;
      if (size < Engine::min_unsubscribe_secret) {
        if (variable == settings.secret_env) {
          problems.push_back("campaign \"" + stored.name + "\": its " +
                             (route.prefix.empty() ? "tracking" : "unsubscribe") + " links cannot be checked: " + variable +
                             (size == 0 ? " is not set" : " holds fewer than " +
                                                               std::to_string(Engine::min_unsubscribe_secret) + " bytes"));
        } else {
          log("campaign \"" + stored.name + "\": " + variable + " holds no usable secret; links it made are refused");
        }
        continue;
      }
      route.ring.emplace_back(secret);
      route.tracking_ring.emplace_back(secret);
    }
    if (!route.ring.empty()) routes.push_back(std::move(route));
  }
  if (!problems.empty()) {
    std::string message;
    for (std::size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    if (strict) return fail(Errc::invalid_value, message);
    log(message);
  }
  routes_ = std::move(routes);
  routes_loaded_ = std::chrono::steady_clock::now();
  return {};
}

bool WebApp::reload_routes_if_due() {
  if (std::chrono::steady_clock::now() - routes_loaded_ < routes_refresh) return false;
  (void)load_routes(false);
  return true;
}

bool WebApp::is_private_path(std::string_view path) {
  return path == "/" || path == "/healthz" || path == "/metrics" || path.starts_with("/campaigns/") ||
         path == "/api/campaigns" || path.starts_with("/api/campaigns/");
}

// A valid link is always answered; only bad ones count against their client, which past its
// limit gets 429 instead of 404 for the rest of the minute.
WebResponse WebApp::method_not_allowed(std::string_view allowed) {
  WebResponse refused = text_response(405, "method not allowed\n");
  refused.headers.emplace_back("Allow", std::string(allowed));
  return refused;
}

WebResponse WebApp::bad_link(const std::string& client) {
  if (throttled(client)) {
    ++counters_.throttled;
    WebResponse response = text_response(429, "too many invalid links; try again in a minute\n");
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  note_failure(client);
  return not_found();
}

bool WebApp::throttled(const std::string& client) {
  const auto found = throttles_.find(client);
  if (found == throttles_.end()) return false;
  if (std::chrono::steady_clock::now() - found->second.window > std::chrono::minutes(1)) {
    throttles_.erase(found);
    return false;
  }
  return found->second.failures >= options_.failed_tokens_per_minute;
}

void WebApp::note_failure(const std::string& client) {
  ++counters_.bad_tokens;
  const auto now = std::chrono::steady_clock::now();
  if (!has_room(throttles_, client, [&](const Throttle& old) { return now - old.window > std::chrono::minutes(1); })) return;
  Throttle& throttle = throttles_[client];
  if (now - throttle.window > std::chrono::minutes(1)) throttle = Throttle{now, 0};
  ++throttle.failures;
}

WebResponse WebApp::handle(const WebRequest& request) {
  WebResponse response = answer(request);
  for (auto& header : common_headers()) response.headers.push_back(std::move(header));
  return response;
}

WebResponse WebApp::answer(const WebRequest& request) {
  {
    const std::lock_guard lock(mutex_);
    ++counters_.requests;
  }
  const auto target = parse_target(request.target);
  if (!target) return text_response(400, "bad request target\n");
  const std::string& path = target->path;
  const bool reading = request.method == "GET" || request.method == "HEAD";

  // Public: the campaigns' links, whichever route's keys open the token (the private routes' own
  // paths first, so that a link prefix of `/` hides none of them).
  if (!is_private_path(path)) {
    std::unique_lock lock(mutex_);
    bool matched = false;
    FoundLink found = find_link(path, matched);
    // A token none opens may be a link of a campaign added or changed since the routes were read.
    if (!found.kind && reload_routes_if_due()) found = find_link(path, matched);
    if (found.kind == 'u') {
      if (!reading && request.method != "POST") return method_not_allowed("GET, HEAD, POST");
      return unsubscribe(request, found.unsubscribe, lock);
    }
    if (found.kind) {
      if (!reading) return method_not_allowed("GET, HEAD");
      return track(request, found.hit, found.kind, found.token, lock);
    }
    if (matched) return bad_link(request.client);
  }

  // Private: everything else.
  if (!allowed_private(request)) {
    const std::lock_guard lock(mutex_);
    ++counters_.unauthorized;
    WebResponse refused = text_response(401, options_.token.empty() ? "private routes need a token when served beyond loopback or through a proxy (OUTREACH_SERVE_TOKEN)\n"
                                                                     : "a bearer token is needed\n");
    refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"outreach\"");
    return refused;
  }
  if (!reading) return method_not_allowed("GET, HEAD");
  return private_route(request, path, *target);
}

bool WebApp::allowed_private(const WebRequest& request) const {
  if (!options_.token.empty()) return bearer_matches(request.authorization, options_.token);
  // No token: only a server that listens on loopback alone, and never what a proxy forwards
  // (a proxy on the same machine would hand the world loopback connections).
  return options_.loopback_only && !request.forwarded;
}

WebApp::FoundLink WebApp::find_link(std::string_view path, bool& matched) const {
  FoundLink found;
  for (const LinkRoute& route : routes_) {
    if (route.has_link(path)) {
      matched = true;
      const std::string_view token =
          path.substr(route.prefix.size(), path.size() - route.prefix.size() - route.suffix.size());
      auto opened = verify_unsubscribe_token(route.ring, token);
      if (opened && opened->campaign == route.campaign) {
        found.kind = 'u';
        found.unsubscribe = std::move(*opened);
        return found;
      }
    }
    for (const char kind : {'o', 'c'}) {
      const auto token = route.tracking_token(path, kind);
      if (!token) continue;
      matched = true;
      auto hit = verify_tracking_token(route.tracking_ring, *token);
      if (hit && hit->campaign == route.campaign && hit->url.empty() == (kind == 'o')) {
        found.kind = kind;
        found.hit = std::move(*hit);
        found.token = std::string(*token);
        return found;
      }
    }
  }
  return found;
}

WebResponse WebApp::unsubscribe(const WebRequest& request, const UnsubscribeTarget& found,
                                std::unique_lock<std::mutex>& lock) {
  const std::string& address = found.lead;
  if (request.method != "POST") {
    // Mail scanners open every link: a GET changes nothing and offers the one button (pressing
    // it again is harmless).
    return page(200, "Unsubscribe",
                "<h1>Unsubscribe</h1><p>Stop all mail to this address from this sender?</p>"
                "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
                "<button type=\"submit\" id=\"unsubscribe\">Unsubscribe</button></form>");
  }
  if (!is_one_click_post(request.content_type, request.body)) {
    return page(400, "Unsubscribe", "<h1>Unsubscribe</h1><p>This is not a one-click unsubscribe "
                                     "(List-Unsubscribe=One-Click).</p>");
  }
  Request asked;
  asked.action = RequestAction::unsubscribe;
  asked.campaign = found.campaign;
  asked.addresses = {address};
  const Instant now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  // Written whatever a read of the list says (a read that fails says "suppressed"): the store
  // queues the request only when the address was not on the list.
  auto queued = store_->suppress_and_queue(address, "unsubscribe", to_json(asked), now);
  if (!queued) {
    log("cannot record an unsubscribe of campaign \"" + found.campaign + "\": " + queued.error().message());
    return text_response(503, "the unsubscribe cannot be recorded right now; try again\n");
  }
  ++(*queued == 0 ? counters_.repeated_unsubscribes : counters_.unsubscribes);
  // A send to the address whose intent was recorded before the suppression may still be under
  // way: the answer waits for it, so that nothing reaches the address after this answer.
  wait_for_sends_to(address, lock);
  return page(200, "Unsubscribed", "<h1>Unsubscribed</h1><p id=\"done\">This address gets no more mail from us.</p>");
}

// A 1x1 transparent GIF: what a tracking pixel answers.
constexpr unsigned char pixel_gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00,
                                       0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02,
                                       0x44, 0x01, 0x00, 0x3B};

std::string tracking_suspicion(bool head, std::string_view user_agent, std::chrono::milliseconds since_send, bool burst) {
  // Scanners and link checkers look before anyone could have read (or at once on delivery),
  // follow every link together, ask for headers only, or say what they are.
  if (head) return "head_request";
  if (burst) return "every_link_at_once";
  if (since_send < std::chrono::seconds(10)) return "seconds_after_send";
  if (trim(user_agent).empty()) return "no_user_agent";
  // Apple Mail Privacy Protection fetches every pixel on delivery, read or not, saying only this.
  // (Gmail's and Yahoo's image proxies fetch when the person opens the mail: not suspect.)
  if (trim(user_agent) == "Mozilla/5.0") return "privacy_proxy";
  const std::string agent = ascii_lower(user_agent);
  for (const std::string_view machine :
       {"bot", "crawl", "spider", "preview", "scan", "python", "curl", "wget", "go-http-client", "java/", "okhttp",
        "libwww", "httpclient", "headless", "barracuda", "mimecast", "proofpoint", "urldefense", "safelinks",
        "symantec", "trend micro", "zscaler", "forcepoint", "sophos", "messagelabs", "existence discovery"}) {
    if (agent.find(machine) != std::string::npos) return "scanner";
  }
  return {};
}

bool WebApp::recently_recorded(std::string_view token) {
  const auto now = std::chrono::steady_clock::now();
  const auto found = recent_hits_.find(token);
  if (found != recent_hits_.end() && now - found->second < std::chrono::hours(1)) return true;
  const auto expired = [&](std::chrono::steady_clock::time_point at) { return now - at >= std::chrono::hours(1); };
  if (!has_room(recent_hits_, token, expired)) return false;  // full of live entries: written
  recent_hits_.insert_or_assign(std::string(token), now);
  return false;
}

bool WebApp::every_link_at_once(const TrackedHit& hit) {
  const auto now = std::chrono::steady_clock::now();
  const std::string key = hit.campaign + '\n' + hit.lead + '\n' + std::to_string(hit.step);
  if (!has_room(recent_clicks_, key, [&](const RecentClicks& old) { return now - old.first > std::chrono::seconds(1); })) {
    return false;
  }
  RecentClicks& recent = recent_clicks_[key];
  if (now - recent.first > std::chrono::seconds(1)) recent = RecentClicks{now, {}};
  const bool another = std::any_of(recent.urls.begin(), recent.urls.end(), [&](const std::string& url) { return url != hit.url; });
  if (std::find(recent.urls.begin(), recent.urls.end(), hit.url) == recent.urls.end()) recent.urls.push_back(hit.url);
  return another;
}

WebResponse WebApp::track(const WebRequest& request, const TrackedHit& found, char kind,
                          std::string_view token, std::unique_lock<std::mutex>& lock) {
  const Instant now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const bool burst = kind == 'c' && every_link_at_once(found);
  const std::string suspicion = tracking_suspicion(request.method == "HEAD", request.user_agent,
                                                   std::chrono::duration_cast<std::chrono::milliseconds>(now - found.sent), burst);
  Request seen;
  seen.action = kind == 'o' ? RequestAction::open : RequestAction::click;
  seen.campaign = found.campaign;
  seen.addresses = {found.lead};
  seen.step = found.step;
  seen.url = found.url;
  seen.suspect = !suspicion.empty();
  if (seen.suspect) seen.reason = suspicion;
  // Tracking is a measure, not a promise: a hit that cannot be recorded still gets its pixel or
  // its link. The same link again within the hour (a reader opening the mail again, a loop
  // on the pixel) is answered and not written: it would count for nothing.
  if (!recently_recorded(token)) {
    if (auto queued = store_->queue_request(to_json(seen), now); !queued) {
      log("cannot record a tracked " + std::string(kind == 'o' ? "open" : "click") + " of campaign \"" + found.campaign +
          "\": " + queued.error().message());
    }
  }
  ++(kind == 'o' ? counters_.opens : counters_.clicks);
  if (seen.suspect) ++counters_.suspect;
  lock.unlock();

  WebResponse response;
  if (kind == 'o') {
    response.content_type = "image/gif";
    response.body.assign(reinterpret_cast<const char*>(pixel_gif), sizeof pixel_gif);
  } else {
    // Only where the campaign's own message pointed: the link is inside the sealed token.
    response.status = 302;
    response.content_type = "text/plain; charset=utf-8";
    response.headers.emplace_back("Location", found.url);
  }
  return response;
}

void WebApp::wait_for_sends_to(std::string_view address, std::unique_lock<std::mutex>& lock) {
  const auto deadline = std::chrono::steady_clock::now() + options_.in_flight_wait;
  for (;;) {
    // A send begun longer ago than the wait is not under way: its engine stopped (a crash leaves
    // its intent open until the next start settles it), and waiting would only hold the answer.
    const Instant oldest = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) -
                           std::chrono::duration_cast<std::chrono::milliseconds>(options_.in_flight_wait);
    const std::vector<SendIntent> open = store_->open_intents();
    const bool under_way = std::any_of(open.begin(), open.end(), [&](const SendIntent& intent) {
      return intent.at >= oldest && iequals_ascii(intent.lead, address);
    });
    if (!under_way) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      log("a send to an unsubscribed address was still under way after " +
          std::to_string(options_.in_flight_wait.count()) + " ms");
      return;
    }
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.lock();
  }
}

WebResponse WebApp::private_route(const WebRequest& request, std::string_view path, const RequestTarget& target) {
  (void)request;
  const std::lock_guard lock(mutex_);
  if (path == "/healthz") return text_response(200, "ok\n");
  if (path == "/metrics") return text_response(200, metrics(), "text/plain; version=0.0.4; charset=utf-8");
  if (path == "/") {
    auto summary = summarize_store(*store_);
    if (!summary) return text_response(500, summary.error().message() + "\n");
    WebResponse response;
    response.body = campaigns_html(*summary);
    return response;
  }
  constexpr std::string_view pages = "/campaigns/";
  if (path.starts_with(pages) && path.size() > pages.size()) {
    const std::string name(path.substr(pages.size()));
    if (!store_->campaign(name)) return not_found();
    auto report = report_store(*store_, name);
    if (!report) return text_response(500, report.error().message() + "\n");
    ReportPageOptions options;
    options.served = true;
    if (const std::string* search = form_value(target.query, "q")) options.search = *search;
    if (const std::string* number = form_value(target.query, "page")) {
      options.page = static_cast<std::size_t>(std::max(1L, std::strtol(number->c_str(), nullptr, 10)));
    }
    WebResponse response;
    response.body = report_html(*report, options);
    return response;
  }
  constexpr std::string_view api = "/api/campaigns";
  if (path == api) {
    json::array list;
    for (const StoredCampaign& stored : store_->campaigns()) {
      list.push_back(json::object{{"name", stored.name}, {"started", format_instant(stored.started)}});
    }
    return json_response(200, json::serialize(json::object{{"campaigns", std::move(list)}}));
  }
  if (path.starts_with(std::string(api) + "/")) {
    const std::string_view rest = path.substr(api.size() + 1);
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return not_found();
    const std::string name(rest.substr(0, slash));
    const std::string_view what = rest.substr(slash + 1);
    if (!store_->campaign(name)) return json_response(404, R"({"error":"no such campaign"})");
    if (what == "summary") {
      auto report = report_store(*store_, name);
      if (!report) return json_response(500, json::serialize(json::object{{"error", report.error().message()}}));
      Summary summary;
      summary.campaigns.push_back(std::move(report->summary));
      return json_response(200, to_json(summary));
    }
    if (what == "events") {
      std::int64_t after = 0;
      std::size_t limit = max_events_page;
      if (const std::string* cursor = form_value(target.query, "after")) {
        char* end = nullptr;
        after = std::strtoll(cursor->c_str(), &end, 10);
        if (cursor->empty() || *end != '\0' || after < 0) {
          return json_response(400, R"({"error":"after: expected a cursor (a whole number) from an earlier page"})");
        }
      }
      if (const std::string* wanted = form_value(target.query, "limit")) {
        const long value = std::strtol(wanted->c_str(), nullptr, 10);
        limit = static_cast<std::size_t>(std::clamp<long>(value, 1, static_cast<long>(max_events_page)));
      }
      json::array events;
      EventPage page = store_->events_after(name, after, limit);
      for (auto& [place, event] : page.events) {
        events.push_back(json::object{{"cursor", place}, {"event", json::parse(to_json_line(event))}});
      }
      return json_response(200, json::serialize(json::object{{"events", std::move(events)}, {"next", page.next}}));
    }
  }
  return not_found();
}

std::string WebApp::metrics() {
  std::string out;
  const auto metric = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " + std::string(name) + " " +
           std::string(type) + "\n";
  };
  const auto sample = [&](std::string_view name, const std::string& labels, std::int64_t value) {
    out += std::string(name);
    if (!labels.empty()) out += "{" + labels + "}";
    out += " " + std::to_string(value) + "\n";
  };
  auto summary = summarize_store(*store_);
  if (summary) {
    metric("outreach_sends_total", "counter", "Sends accepted, by campaign and mailbox.");
    for (const CampaignSummary& campaign : summary->campaigns) {
      std::map<std::string, std::int64_t> by_mailbox;
      for (const DaySends& day : campaign.days) by_mailbox[day.mailbox] += day.sent;
      for (const auto& [mailbox, sent] : by_mailbox) {
        sample("outreach_sends_total", "campaign=\"" + label_value(campaign.name) + "\",mailbox=\"" + label_value(mailbox) + "\"",
               sent);
      }
    }
    const auto per_campaign = [&](std::string_view name, std::string_view help, auto count) {
      metric(name, "counter", help);
      for (const CampaignSummary& campaign : summary->campaigns) {
        std::int64_t total = 0;
        for (const StepStats& step : campaign.steps) {
          for (const VariantStats& v : step.variants) total += count(v);
        }
        sample(name, "campaign=\"" + label_value(campaign.name) + "\"", total);
      }
    };
    per_campaign("outreach_deferrals_total", "Temporary failures of sends.", [](const VariantStats& v) { return v.deferred; });
    per_campaign("outreach_failures_total", "Permanent failures of sends.", [](const VariantStats& v) { return v.failed; });
    per_campaign("outreach_replies_total", "Replies.", [](const VariantStats& v) { return v.replied; });
    per_campaign("outreach_bounces_total", "Bounces.", [](const VariantStats& v) { return v.bounced; });
    per_campaign("outreach_unsubscribes_total", "Unsubscribes.", [](const VariantStats& v) { return v.unsubscribed; });
    per_campaign("outreach_opens_total", "Leads that opened a step (tracked, machines left out): unreliable.",
                 [](const VariantStats& v) { return v.opened; });
    per_campaign("outreach_clicks_total", "Leads that clicked a link of a step (tracked, machines left out).",
                 [](const VariantStats& v) { return v.clicked; });
    metric("outreach_in_doubt", "gauge", "Sends whose outcome is unknown after a crash.");
    for (const CampaignSummary& campaign : summary->campaigns) {
      sample("outreach_in_doubt", "campaign=\"" + label_value(campaign.name) + "\"", campaign.in_doubt);
    }
    metric("outreach_leads", "gauge", "Leads by status.");
    for (const CampaignSummary& campaign : summary->campaigns) {
      for (const auto& [status, count] : campaign.leads) {
        sample("outreach_leads", "campaign=\"" + label_value(campaign.name) + "\",status=\"" + status + "\"", count);
      }
    }
  } else {
    log("metrics: " + summary.error().message());
  }
  metric("outreach_http_requests_total", "counter", "Requests answered by this server.");
  sample("outreach_http_requests_total", "", counters_.requests);
  metric("outreach_one_click_unsubscribes_total", "counter", "One-click unsubscribes recorded by this server.");
  sample("outreach_one_click_unsubscribes_total", "", counters_.unsubscribes);
  metric("outreach_http_bad_tokens_total", "counter", "Unsubscribe links that did not verify.");
  sample("outreach_http_bad_tokens_total", "", counters_.bad_tokens);
  metric("outreach_http_throttled_total", "counter", "Requests refused for too many bad links from one address.");
  sample("outreach_http_throttled_total", "", counters_.throttled);
  metric("outreach_tracking_hits_total", "counter", "Tracking pixels fetched and links followed, by kind and suspicion.");
  sample("outreach_tracking_hits_total", "kind=\"open\"", counters_.opens);
  sample("outreach_tracking_hits_total", "kind=\"click\"", counters_.clicks);
  metric("outreach_tracking_suspect_total", "counter", "Of those, the ones that were probably machines.");
  sample("outreach_tracking_suspect_total", "", counters_.suspect);
  return out;
}

}  // namespace outreach::detail
