/// @file mailbox.hpp
/// @brief `Mailbox`: one sending account — its address, limits, warm-up and transport settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/address.hpp"
#include "outreach/error.hpp"
#include "outreach/dkim.hpp"
#include "outreach/timezone.hpp"

namespace outreach {

/// @brief Warm-up: on the n-th day on which the mailbox sends anything (n = 1, 2, ...) it sends
/// at most `min(daily_limit, start + (n-1) * step)`.
struct Ramp {
  std::int64_t start = 1;  ///< Sends allowed on the first sending day (at least 1).
  std::int64_t step = 0;   ///< Added each further sending day (0 or more).
  /// @brief Ramps compare equal when start and step are equal.
  friend bool operator==(const Ramp&, const Ramp&) = default;
};

/// @brief How the connection to the mail server is secured.
enum class Security : std::uint8_t {
  tls,       ///< Implicit TLS (`smtps://`, port 465).
  starttls,  ///< STARTTLS required (`smtp://`, port 587); never a silent fall back to plain text.
  none,      ///< Plain text: loopback and tests only.
};

/// @brief The SMTP authentication mechanism.
enum class SmtpAuth : std::uint8_t {
  best,     ///< The best the server offers of PLAIN and LOGIN.
  plain,    ///< AUTH PLAIN.
  login,    ///< AUTH LOGIN.
  xoauth2,  ///< AUTH XOAUTH2 with an OAuth2 access token.
};

/// @brief How the reader logs in to the IMAP server.
enum class ImapAuth : std::uint8_t {
  best,     ///< The best the server offers: AUTHENTICATE PLAIN, else the LOGIN command.
  plain,    ///< AUTHENTICATE PLAIN.
  login,    ///< The LOGIN command.
  xoauth2,  ///< AUTHENTICATE XOAUTH2 with an OAuth2 access token.
};

/// @brief Where and how the engine reads a mailbox's received mail (replies, bounces,
/// auto-replies) and its Sent folder: a mailbox's `imap` object (docs/formats.md), in the shape
/// of the SMTP settings of `Mailbox`, whose login settings it falls back to.
///
/// The reader never changes the mailbox: folders are opened read-only (EXAMINE) and messages
/// fetched with `BODY.PEEK`, so no flag is set and nothing is moved or deleted. The Sent folder
/// is the one the server marks `\Sent` (SPECIAL-USE), never one found by its name.
struct ImapSettings {
  /// `imaps://host[:port]` (993) or `imap://host[:port]` (143); read from a file, the scheme is
  /// in lower case and the host in its ASCII form.
  std::string url;
  Security security = Security::tls;        ///< `tls` for `imaps://`; `starttls` by default for `imap://`.
  std::string username;                     ///< Login name; empty: the mailbox's SMTP `username`.
  ImapAuth auth = ImapAuth::best;           ///< Login mechanism.
  std::string password_env;                 ///< Environment variable with the password; empty: the SMTP one.
  std::string token_env;                    ///< Environment variable with an OAuth2 token; empty: the SMTP one.
  std::filesystem::path ca_file;            ///< PEM bundle to verify the server with; empty: the SMTP one, else system CAs.
  std::vector<std::string> folders{"INBOX"};  ///< Folders read for received mail, by name (1 to 100, none twice).
  /// How often to look when the server has no IDLE (`poll_seconds`: 10 seconds to a day).
  std::chrono::seconds poll_interval{60};
  /// True when the provider files every SMTP submission in the Sent folder by itself (Gmail,
  /// Microsoft 365): a send in doubt that is not there after `resend_after` can go again.
  bool sent_files_submissions = false;
  /// See `sent_files_submissions` (`resend_after_seconds`: a minute to 30 days).
  std::chrono::seconds resend_after{15 * 60};
  /// @brief Settings compare equal when every setting is equal.
  friend bool operator==(const ImapSettings&, const ImapSettings&) = default;
};

/// @brief A sending account. Its `id` names it across every campaign of a store: the limits
/// count the sends of all of them.
struct Mailbox {
  std::string id;                               ///< Unique name, such as `alice`.
  Address from;                                 ///< `From:` of every message it sends.
  std::int64_t daily_limit = 50;                ///< Sends per day (days in `timezone`).
  std::chrono::milliseconds min_interval{0};    ///< Least time between two of its sends ...
  std::chrono::milliseconds jitter{0};          ///< ... plus a seeded random part in [0, jitter].
  std::optional<Ramp> ramp;                     ///< Warm-up, if any.
  /// Sends in a row that fail on the sending side (its server out of reach, its login or its
  /// sender refused) after which the engine disables it (`mailbox_disabled`); 0: never.
  std::int64_t disable_after_failures = 10;
  /// Disabled by its settings: no campaign sends with it (as after `Engine::disable_mailbox`),
  /// and it is enabled again only by settings that no longer say so.
  bool disabled = false;
  std::optional<TimeZone> timezone;             ///< Zone of its days; default: the schedule's.
  std::string transport;                        ///< `smtp://host:port`, `smtps://host:port` or `outbox:DIR`; empty: none.
  Security security = Security::starttls;       ///< Connection security.
  std::string username;                         ///< Login name for AUTH.
  SmtpAuth auth = SmtpAuth::best;               ///< AUTH mechanism.
  std::string password_env;                     ///< Name of the environment variable with the password.
  std::string token_env;                        ///< Name of the environment variable with an OAuth2 token.
  std::filesystem::path ca_file;                ///< PEM bundle to verify the server with; empty: system CAs.
  std::optional<DkimSettings> dkim;             ///< DKIM signing, if any.
  std::optional<ImapSettings> imap;             ///< Reading its received mail, if any.

  /// @brief The most sends allowed on the n-th day on which the mailbox sends (n >= 1):
  /// `daily_limit`, or less while the warm-up ramp is below it.
  /// @param sending_day 1 for the first day with a send, 2 for the second, ...
  [[nodiscard]] std::int64_t cap_on_day(std::int64_t sending_day) const noexcept {
    if (!ramp || ramp->start >= daily_limit) return daily_limit;
    // Past the day the ramp reaches the limit, the limit holds (and nothing can overflow).
    if (ramp->step == 0) return ramp->start;
    if (sending_day - 1 >= (daily_limit - ramp->start) / ramp->step + 1) return daily_limit;
    const std::int64_t ramped = ramp->start + (sending_day - 1) * ramp->step;
    return ramped < daily_limit ? ramped : daily_limit;
  }

  /// @brief Mailboxes compare equal when every setting is equal.
  friend bool operator==(const Mailbox&, const Mailbox&) = default;
};

/// @brief Reads one mailbox on its own from JSON, in the form of an element of a campaign's
/// `mailboxes` (transport, security, authentication, DKIM, limits, IMAP reading), every rule of
/// the format checked. On its own (SMTP settings for a client, with no campaign), `daily_limit`
/// may be left out: it is then 1.
/// @param json The JSON text of one mailbox object.
/// @param base_dir Where relative file names (`ca_file`, `dkim.key_file`, `outbox:DIR`,
/// `imap.ca_file`) start; the working directory when empty.
/// @return The mailbox, or every error found (the first, with the others attached), with JSON
/// paths from the object's root; `parse_error` when the text is not JSON.
[[nodiscard]] expected<Mailbox> parse_mailbox(std::string_view json, const std::filesystem::path& base_dir = {});

}  // namespace outreach
