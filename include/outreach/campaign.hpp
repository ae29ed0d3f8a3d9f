/// @file campaign.hpp
/// @brief `CampaignDefinition`: who, when and how — a campaign file (docs/formats.md, "Campaigns").
#pragma once

#include <chrono>
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
  std::string secret_env;  ///< Environment variable with the secret that seals new tokens.
  /// Environment variables with secrets rotated out: tokens they sealed (in mail already sent)
  /// still verify in `outreach serve`; new tokens use `secret_env`.
  std::vector<std::string> previous_secret_envs;
  /// @brief Settings compare equal when every setting is equal.
  friend bool operator==(const UnsubscribeSettings&, const UnsubscribeSettings&) = default;
};

/// @brief Open and click tracking, off unless asked for: the pixel and rewritten links point at
/// `host`, which `outreach serve` answers (docs/web.md). Opens never drive the sequence.
struct TrackingSettings {
  std::string host;     ///< `https://HOST[/PATH]`, without a trailing slash; empty: no tracking.
  bool opens = false;   ///< A 1x1 pixel at the end of the html body.
  bool clicks = false;  ///< The html body's web links lead through `host` (never the unsubscribe link).
  /// @brief Settings compare equal when every setting is equal.
  friend bool operator==(const TrackingSettings&, const TrackingSettings&) = default;
};

/// @brief What an A/B test compares its variants by (`ab_test.metric`).
enum class AbMetric : std::uint8_t {
  reply_rate,  ///< Replies within the reply window, per settled send.
};

/// @brief Rates past which a variant of a test is stopped at once, whatever its replies
/// (`ab_test.guardrails`); each absent when not set. A share of the variant's sends.
struct AbGuardrails {
  std::optional<double> bounce_rate;       ///< Bounces per send.
  std::optional<double> unsubscribe_rate;  ///< Unsubscribes per send.
  std::optional<double> complaint_rate;    ///< Spam complaints per send.
  /// @brief Guardrails compare equal when every limit is equal.
  friend bool operator==(const AbGuardrails&, const AbGuardrails&) = default;
};

/// @brief A/B tests that decide (`ab_test`), for every step with two or more variants: while a
/// step's test runs, its variants get their weights' shares; once one has a higher reply rate
/// with the set confidence, the step's later sends all go to it (`variant_won`); a variant over
/// a guardrail is stopped at once (`variant_stopped`). The method is a sequential test that
/// may be read after every settled send (docs/engine.md, "A/B tests that decide").
struct AbTestSettings {
  AbMetric metric = AbMetric::reply_rate;  ///< What decides.
  /// Settled sends each variant needs before a winner is named, and sends before a guardrail
  /// applies to it.
  std::int64_t min_sends = 100;
  /// One minus the chance of naming a winner among variants that are in truth equal, however
  /// often the test is read: 0.5 to 0.999.
  double confidence = 0.95;
  /// How long a send has to be answered before it counts (settled): a reply later than that
  /// still counts in the campaign's analytics, not in the test.
  std::chrono::seconds reply_window{std::chrono::days(3)};
  AbGuardrails guardrails;  ///< Rates that stop a variant.
  /// @brief Settings compare equal when every setting is equal.
  friend bool operator==(const AbTestSettings&, const AbTestSettings&) = default;
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
  /// How long its mailboxes' received mail is still read after its last send, so that replies
  /// to the last step count (mailboxes with `imap` settings): `read_after_last_send`, 0 to 365
  /// days (whole minutes in the file).
  std::chrono::seconds read_after_last_send{std::chrono::days(14)};
  /// When a lead's mailbox is disabled or removed from the campaign, its follow-ups go from
  /// another of the campaign's mailboxes, still answering its thread, instead of waiting for
  /// it: `reassign_follow_ups`, default false.
  bool reassign_follow_ups = false;
  /// Open and click tracking (`tracking`); off by default.
  TrackingSettings tracking{};
  /// A/B tests that decide (`ab_test`); off (absent) by default: each variant keeps its
  /// weight's share to the end.
  std::optional<AbTestSettings> ab_test{};

  /// @brief Loads `campaign.json`; relative paths in it (sequence, leads, key_file, ca_file,
  /// imap.ca_file, outbox:DIR) are relative to the file's folder.
  ///
  /// `sequence` and `leads` may name files or hold the value inline; a lead file is CSV, or the
  /// JSON form when its name ends in `.json`. Rows of the lead list that are not leads go to
  /// `lead_problems`; a list that cannot be read or has no valid row is an error. The stored
  /// `ca_file`, `dkim.key_file`, `outbox:DIR` and `imap.ca_file` are absolute. Thread-safe.
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

  /// @brief The campaign as JSON in the campaign file format, with everything inline and
  /// resolved, so that the JSON alone can rebuild it: `from_json(to_json())` gives a definition
  /// equal to this one, with any `base_dir`. Thread-safe.
  ///
  /// The sequence is an object (as `Sequence::to_json` writes it), the leads the JSON lead list
  /// (each lead's known fields that are not empty, then its custom fields in order), and every
  /// setting is written out, defaults included, with null where a setting is absent.
  /// Durations are `{"days", "hours", "minutes"}` objects, `start` and `end` RFC 3339 instants,
  /// skipped dates `YYYY-MM-DD`. Paths are written as they are held: the absolute ones `load`
  /// and `from_json` make read back unchanged. No secret is written, since a definition holds
  /// only the names of the environment variables with them. `lead_problems` is not written:
  /// the leads written are the ones that were kept.
  ///
  /// The same definition gives the same bytes every time (keys in a fixed order, indented by
  /// two spaces for people to read), so definitions can be compared by their text.
  ///
  /// A definition changed in code can hold what the file format cannot say; that is written in
  /// its closest form: `min_interval`, `jitter` and `read_after_last_send` rounded up to whole
  /// minutes; a relative path as it stands (the reader resolves it against its `base_dir`); an
  /// `smtps://` transport or an `imaps://` url without `security` when another was set (in the
  /// file they are always implicit TLS); no custom lead field with an empty name, the name of a
  /// known field, or a name used before. Values that break a rule of the format are written as
  /// they are, and reading them back reports them as it would in a file: no lead is an error, a
  /// lead time zone the tz database does not know is a lead problem (the lead is kept without
  /// it).
  ///
  /// `bounces.pause_rate` is written as the shortest decimal that names it exactly. It reads
  /// back exactly when that has at most 15 significant digits and 22 decimal places (as every
  /// rate a person writes), and may otherwise come back a unit in the last place off: the JSON
  /// reader of Boost before 1.83 is not exact beyond that.
  /// @return The JSON text, ending with a newline.
  [[nodiscard]] std::string to_json() const;

  /// @brief Definitions compare equal when everything they define is equal. `lead_problems`, a
  /// report of how the leads were loaded rather than part of the campaign, is not compared.
  friend bool operator==(const CampaignDefinition& a, const CampaignDefinition& b);
};

}  // namespace outreach
