/// @file tracking.hpp
/// @brief Open and click tracking (off unless a campaign's `tracking` turns it on): opaque
/// tokens for the pixel and the links of a message, sealed like unsubscribe tokens so that a
/// click can lead only where the campaign's own message pointed (never an open redirect), and
/// the rewriting of a message's html body.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "outreach/instant.hpp"

namespace outreach {

/// @brief What a tracking token names: the message of a step to a lead, and for a click its link.
struct TrackedHit {
  std::string campaign;  ///< The campaign's name.
  std::string lead;      ///< The lead's address key (lower-case).
  int step = 0;          ///< The step whose message carried it.
  Instant sent{};        ///< When that message was made (to the millisecond).
  std::string url;       ///< A click's link; empty for the pixel (an open).
  /// @brief Hits compare equal when every part is equal.
  friend bool operator==(const TrackedHit&, const TrackedHit&) = default;
};

/// @brief The keys of a campaign's tracking tokens, derived once from its secret (the one of
/// `unsubscribe.secret_env`, under keys of their own).
class TrackingKey {
 public:
  /// @brief Derives the keys from a campaign's secret.
  explicit TrackingKey(std::string_view secret);

  /// @brief The token of the pixel of a step's message to a lead.
  [[nodiscard]] std::string open_token(std::string_view campaign, std::string_view lead_key, int step, Instant sent) const;

  /// @brief The token of a link of a step's message to a lead; it carries the link itself.
  [[nodiscard]] std::string click_token(std::string_view campaign, std::string_view lead_key, int step, Instant sent,
                                        std::string_view url) const;

  /// @brief Opens a token made with this key.
  /// @return What it names; nothing when it is malformed, altered or made with another key.
  [[nodiscard]] std::optional<TrackedHit> verify(std::string_view token) const;

 private:
  std::array<unsigned char, 32> seal_key_{};
  std::array<unsigned char, 32> nonce_key_{};
};

/// @brief Opens a token with the first key of a ring that can (rotated secrets included).
[[nodiscard]] std::optional<TrackedHit> verify_tracking_token(std::span<const TrackingKey> ring, std::string_view token);

/// @brief The tracking of one message (`StepContext::tracking`).
struct MessageTracking {
  std::string pixel_url;  ///< Not empty: a 1x1 image with this URL ends the html body.
  /// Set: each `http:` or `https:` link (`href`) of the html body is replaced by what it gives.
  std::function<std::string(std::string_view url)> link_url;
  /// @brief Whether it changes anything.
  [[nodiscard]] bool active() const noexcept { return !pixel_url.empty() || static_cast<bool>(link_url); }
};

/// @brief An html body with the pixel added (before `</body>`, or at the end) and its web links
/// rewritten. The link equal to `keep` (the unsubscribe link) and links that are not `http:`
/// or `https:` (`mailto:`, anchors) stay as they are. Entities in a link (`&amp;`) are read as
/// the browser would before the link is sealed.
/// @param html The html body as rendered.
/// @param tracking The message's pixel and links.
/// @param keep A link never rewritten; empty: none.
[[nodiscard]] std::string add_tracking(std::string_view html, const MessageTracking& tracking, std::string_view keep);

}  // namespace outreach
