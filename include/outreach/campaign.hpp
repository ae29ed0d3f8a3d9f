/// @file campaign.hpp
/// @brief `CampaignDefinition`: who, when and how — a campaign file (spec: "Campaign").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/lead.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/schedule.hpp"
#include "outreach/sequence.hpp"

namespace outreach {

/// @brief Campaign-wide caps; days counted in the schedule's zone.
struct CampaignLimits {
  std::optional<std::int64_t> new_leads_per_day;  ///< Leads that get their first step in a day.
  std::optional<std::int64_t> sends_per_day;      ///< All sends in a day.
  /// @brief Limits compare equal when both caps are equal.
  friend bool operator==(const CampaignLimits&, const CampaignLimits&) = default;
};

/// @brief What an auto-reply does to a lead.
enum class AutoReplyRule : std::uint8_t {
  ignore,              ///< `false`: recorded, the sequence goes on.
  stop,                ///< `true`: the lead's sequence ends.
  pause_until_return,  ///< The lead waits until the stated return date (or 7 days), then goes on.
};

/// @brief What ends a lead's sequence early (`stop_on`).
struct StopRules {
  bool reply = true;                           ///< A reply stops the lead.
  AutoReplyRule auto_reply = AutoReplyRule::ignore;  ///< What an auto-reply does.
  bool bounce = true;                          ///< A hard bounce stops the lead.
  bool domain_reply = false;                   ///< A reply stops every unfinished lead of its domain.
  /// @brief Rules compare equal when every rule is equal.
  friend bool operator==(const StopRules&, const StopRules&) = default;
};

/// @brief Bounce handling (`bounces`).
struct BounceRules {
  std::int64_t soft_limit = 3;          ///< The n-th soft bounce of an address counts as hard.
  std::optional<double> pause_rate;     ///< Pause the campaign when hard bounces reach this share ...
  std::int64_t pause_window = 100;      ///< ... of its last this many sends.
  /// @brief Rules compare equal when every setting is equal.
  friend bool operator==(const BounceRules&, const BounceRules&) = default;
};

/// @brief What happens to a send whose outcome is unknown after a crash.
enum class Delivery : std::uint8_t {
  at_most_once,   ///< Never sent again (the default).
  at_least_once,  ///< Sent again, with the same Message-ID.
};

/// @brief Unsubscribe settings: the one-click URL and the mailto address for `List-Unsubscribe`.
struct UnsubscribeSettings {
  std::string url;         ///< One-click URL; `{{token}}` in it becomes the signed lead token.
  std::string mailto;      ///< Address for a `mailto:` entry, or empty.
  std::string secret_env;  ///< Environment variable with the HMAC secret for tokens.
  /// @brief Settings compare equal when every setting is equal.
  friend bool operator==(const UnsubscribeSettings&, const UnsubscribeSettings&) = default;
};

/// @brief A campaign as defined in `campaign.json`: the sequence, the leads, the mailboxes, the
/// schedule, the limits and the rules. A value; every rule of the format was checked on load.
struct CampaignDefinition {
  std::string name;                     ///< Unique name of the campaign in a store.
  Sequence sequence;                    ///< What is sent (pinned by its fingerprint).
  std::vector<Lead> leads;              ///< Who, in list order (bad rows already left out).
  std::vector<Error> lead_problems;     ///< Rows left out or fields dropped while loading the leads.
  std::uint64_t seed = 0;               ///< Seed of every deterministic choice.
  Schedule schedule;                    ///< When.
  std::vector<Mailbox> mailboxes;       ///< Through which accounts (at least one).
  CampaignLimits limits;                ///< Campaign-wide caps.
  StopRules stop_on;                    ///< When follow-ups stop.
  BounceRules bounces;                  ///< Bounce handling.
  Delivery delivery = Delivery::at_most_once;  ///< In-doubt sends after a crash.
  UnsubscribeSettings unsubscribe;      ///< Unsubscribe headers and tokens.

  /// @brief Loads `campaign.json`; relative paths in it (sequence, leads, key_file, ca_file,
  /// outbox:DIR) are relative to the file's folder.
  ///
  /// `sequence` and `leads` may name files or hold the value inline; a lead file is CSV, or the
  /// JSON form when its name ends in `.json`. Rows of the lead list that are not leads go to
  /// `lead_problems`; a list that cannot be read or has no valid row is an error. The stored
  /// `ca_file`, `dkim.key_file` and `outbox:DIR` are absolute. Thread-safe.
  /// @param path The campaign file.
  /// @return The campaign, or every error found, each with the file and JSON path (or the
  /// file and line, for the sequence and lead files it names): `not_found`, `io_error`,
  /// `parse_error`, `invalid_value`, `unknown_key` (with a suggestion for a near miss),
  /// `invalid_utf8`, `limit_exceeded`. A sequence or lead file that does not exist is reported
  /// at the campaign's `sequence` or `leads` key.
  [[nodiscard]] static expected<CampaignDefinition> load(const std::filesystem::path& path);

  /// @brief Parses a campaign from JSON text; relative paths are relative to `base_dir`.
  /// Thread-safe.
  /// @param json_text The campaign JSON.
  /// @param base_dir The folder relative paths start from (default: the working directory).
  /// @return The campaign, or every error found, as for `load` (without a file name for the
  /// errors of the campaign itself).
  [[nodiscard]] static expected<CampaignDefinition> from_json(std::string_view json_text,
                                                              const std::filesystem::path& base_dir = {});
};

}  // namespace outreach
