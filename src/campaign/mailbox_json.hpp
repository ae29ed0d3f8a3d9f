// The parts of a campaign file that describe sending accounts (docs/formats.md, the campaign's
// `mailboxes[]`), read and written, and the small readers the campaign loader shares with them.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/json_reader.hpp"
#include "outreach/mailbox.hpp"

namespace outreach::detail {

/// Longest `min_interval` or `jitter` a mailbox accepts, and `read_after_last_send`.
inline constexpr std::int64_t max_mailbox_duration_days = 365;

/// A file name from a campaign made absolute: relative names start at `base_dir` (or at the
/// working directory when `base_dir` is empty).
[[nodiscard]] std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view name);

/// True for a name an environment variable can have: `[A-Za-z_][A-Za-z0-9_]*`, at most 255 bytes.
[[nodiscard]] bool is_environment_variable_name(std::string_view name) noexcept;

/// A string member naming an environment variable (`password_env`, `token_env`, `secret_env`).
[[nodiscard]] std::optional<std::string> environment_variable_member(ObjectReader& reader, std::string_view key);

/// The error message for a key that would hold a secret in the file.
inline constexpr std::string_view secrets_message =
    "secrets are not stored in campaign files; name an environment variable with password_env/token_env";

/// Reads a duration (`{"minutes": m, "hours": h, "days": d}`, any of them, added up; a day is
/// 24 hours) at `path`, at most `max_mailbox_duration_days` in all. Errors go to `errors`.
[[nodiscard]] std::chrono::milliseconds duration_from_json(const boost::json::value& value, const std::string& path,
                                                           ErrorList& errors);

/// Writes a duration as `duration_from_json` reads it: `{"days": d, "hours": h, "minutes": m}`
/// with the parts that are not zero (`{}` for none). The format counts whole minutes, so a part
/// of a minute is rounded up: a mailbox's spacing is never written shorter than it is.
[[nodiscard]] boost::json::object duration_to_json(std::chrono::milliseconds duration);

/// An address as `Address::parse` reads it back: `email`, `Name <email>`, or the name quoted
/// (`"Doe, Jane" <jane@example.com>`) when it has a character the plain form cannot hold.
[[nodiscard]] std::string address_to_text(const Address& address);

/// Reads one mailbox object at `path` (such as `mailboxes[0]`): every rule of the format, with
/// `ca_file`, `dkim.key_file`, `outbox:DIR` and `imap.ca_file` resolved against `base_dir`. Errors go to
/// `errors`; the mailbox returned is only meaningful when none were added. Unique ids across
/// mailboxes are the caller's to check.
[[nodiscard]] Mailbox mailbox_from_json(const boost::json::value& value, const std::string& path,
                                        const std::filesystem::path& base_dir, ErrorList& errors);

/// Writes a mailbox in the form `mailbox_from_json` reads, every setting explicit (null where
/// a setting is absent). Paths are written as they are held: the absolute paths the reader
/// makes read back the same from any folder. Where the file cannot say what the mailbox holds
/// (only possible for one made in code), the closest form is written: durations rounded up to
/// whole minutes, and no `security` for an `smtps://` transport or an `imaps://` url (which are
/// always implicit TLS in the file) when the mailbox asks for another.
[[nodiscard]] boost::json::object mailbox_to_json(const Mailbox& mailbox);

}  // namespace outreach::detail
