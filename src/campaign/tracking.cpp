#include "outreach/tracking.hpp"

#include <algorithm>
#include <charconv>

#include "campaign/html_escape.hpp"
#include "campaign/sealed_token.hpp"
#include "util/ascii.hpp"

namespace outreach {

namespace {

// A link may be long; a token of ours is never longer than this.
constexpr std::size_t max_token_size = 8192;

std::string plaintext_of(char kind, std::string_view campaign, std::string_view lead_key, int step, Instant sent,
                         std::string_view url) {
  std::string text(1, kind);
  text += '\n';
  text += campaign;
  text += '\n';
  text += lead_key;
  text += '\n';
  text += std::to_string(step);
  text += '\n';
  text += std::to_string(sent.time_since_epoch().count());
  if (kind == 'c') {
    text += '\n';
    text += url;
  }
  return text;
}

// The next line of `text` (up to a line feed), taken off it; nothing when there is no line feed.
std::optional<std::string_view> take_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view line = text.substr(0, end);
  text.remove_prefix(end + 1);
  return line;
}

template <class Number>
std::optional<Number> number_of(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An absolute http(s) link with nothing that could break a Location header out of its line.
bool is_web_link(std::string_view url) {
  const bool control = std::any_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
  });
  return !control && (detail::starts_with_ascii_nocase(url, "http://") || detail::starts_with_ascii_nocase(url, "https://"));
}

// A link's token grows with the link: one longer than this stays untracked, so that its request
// stays well within what a server reads.
constexpr std::size_t max_tracked_link = 2048;

// An attribute value as the browser reads it: the named entities a link carries, and numeric
// character references (`&#38;`, `&#x26;`) of ASCII, decoded.
std::string unescaped(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '&') {
      bool decoded = false;
      for (const auto& [entity, character] : {std::pair{"&amp;", '&'}, std::pair{"&quot;", '"'}, std::pair{"&apos;", '\''},
                                             std::pair{"&lt;", '<'}, std::pair{"&gt;", '>'}}) {
        const std::string_view name(entity);
        if (value.substr(i, name.size()) == name) {
          out += character;
          i += name.size() - 1;
          decoded = true;
          break;
        }
      }
      if (!decoded && value.substr(i, 2) == "&#") {
        const bool hex = i + 2 < value.size() && (value[i + 2] == 'x' || value[i + 2] == 'X');
        const std::size_t digits = i + (hex ? 3 : 2);
        const std::size_t end = value.find(';', digits);
        unsigned code = 0;
        if (end != std::string_view::npos && end > digits && end - digits <= 6) {
          const auto [stop, error] = std::from_chars(value.data() + digits, value.data() + end, code, hex ? 16 : 10);
          if (error == std::errc() && stop == value.data() + end && code > 0 && code < 0x80) {
            out += static_cast<char>(code);
            i = end;
            decoded = true;
          }
        }
      }
      if (decoded) continue;
    }
    out += value[i];
  }
  return out;
}

// Whether the attribute at `at` in `lower` (the html in lower case) belongs to an `<a>` or an
// `<area>` tag: the links a person follows, not a stylesheet's `<link href>` or a `<base href>`.
bool in_link_tag(std::string_view lower, std::size_t at) {
  if (at == 0 || !detail::is_space(lower[at - 1])) return false;  // `data-href` is another attribute
  const std::size_t open = lower.rfind('<', at);
  if (open == std::string_view::npos || lower.find('>', open) < at) return false;
  const std::string_view tag = lower.substr(open + 1, at - open - 1);
  const std::size_t name_end = tag.find_first_of(" \t\r\n/");
  const std::string_view name = tag.substr(0, name_end);
  return name == "a" || name == "area";
}

}  // namespace

TrackingKey::TrackingKey(std::string_view secret)
    : seal_key_(detail::derive_token_key(secret, "outreach tracking token: seal")),
      nonce_key_(detail::derive_token_key(secret, "outreach tracking token: nonce")) {}

std::string TrackingKey::open_token(std::string_view campaign, std::string_view lead_key, int step, Instant sent) const {
  return detail::seal_token(seal_key_, nonce_key_, plaintext_of('o', campaign, lead_key, step, sent, {}));
}

std::string TrackingKey::click_token(std::string_view campaign, std::string_view lead_key, int step, Instant sent,
                                     std::string_view url) const {
  return detail::seal_token(seal_key_, nonce_key_, plaintext_of('c', campaign, lead_key, step, sent, url));
}

std::optional<TrackedHit> TrackingKey::verify(std::string_view token) const {
  const auto plaintext = detail::open_token(seal_key_, token, max_token_size);
  if (!plaintext) return std::nullopt;
  std::string_view rest = *plaintext;
  const auto kind = take_line(rest);
  const auto campaign = take_line(rest);
  const auto lead = take_line(rest);
  const auto step_text = take_line(rest);
  if (!kind || !campaign || !lead || !step_text || (*kind != "o" && *kind != "c")) return std::nullopt;
  std::optional<std::string_view> sent_text;
  if (*kind == "c") {
    sent_text = take_line(rest);
  } else {
    sent_text = rest;
    rest = {};
  }
  const auto step = sent_text ? number_of<int>(*step_text) : std::nullopt;
  const auto sent = sent_text ? number_of<std::int64_t>(*sent_text) : std::nullopt;
  if (!step || !sent || (*kind == "c" && !is_web_link(rest))) return std::nullopt;
  return TrackedHit{std::string(*campaign), std::string(*lead), *step, Instant{std::chrono::milliseconds(*sent)},
                    std::string(rest)};
}

std::optional<TrackedHit> verify_tracking_token(std::span<const TrackingKey> ring, std::string_view token) {
  for (const TrackingKey& key : ring) {
    if (auto hit = key.verify(token)) return hit;
  }
  return std::nullopt;
}

std::string add_tracking(std::string_view html, const MessageTracking& tracking, std::string_view keep) {
  std::string out;
  out.reserve(html.size() + 256);
  std::size_t copied = 0;
  if (tracking.link_url) {
    // Each `href` attribute (any case) with a quoted value: a web link other than `keep` is replaced.
    const std::string lower = detail::ascii_lower(html);
    for (std::size_t at = lower.find("href"); at != std::string::npos; at = lower.find("href", at + 4)) {
      std::size_t i = at + 4;
      while (i < html.size() && detail::is_space(html[i])) ++i;
      if (i >= html.size() || html[i] != '=') continue;
      ++i;
      while (i < html.size() && detail::is_space(html[i])) ++i;
      if (i >= html.size() || (html[i] != '"' && html[i] != '\'')) continue;
      const char quote = html[i];
      const std::size_t start = i + 1;
      const std::size_t end = html.find(quote, start);
      if (end == std::string_view::npos) break;
      const std::string url = unescaped(html.substr(start, end - start));
      if (!in_link_tag(lower, at) || !is_web_link(url) || (!keep.empty() && url == keep)) continue;
      const std::string tracked = tracking.link_url(url);
      if (tracked.size() > max_tracked_link) continue;
      out.append(html.substr(copied, start - copied));
      detail::append_html_escaped(out, tracked);
      copied = end;
      at = end;
    }
  }
  out.append(html.substr(copied));
  if (!tracking.pixel_url.empty()) {
    std::string pixel = "<img src=\"";
    detail::append_html_escaped(pixel, tracking.pixel_url);
    pixel += "\" width=\"1\" height=\"1\" alt=\"\">";
    const std::size_t body_end = detail::ascii_lower(out).rfind("</body>");
    if (body_end == std::string::npos) {
      out += pixel;
    } else {
      out.insert(body_end, pixel);
    }
  }
  return out;
}

}  // namespace outreach
