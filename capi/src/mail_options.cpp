#include "mail_options.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

#include "abi.hpp"
#include "util/json_reader.hpp"
#include "util/utf8.hpp"
#include "outreach/address.hpp"

namespace outreach::capi {

namespace {

namespace json = boost::json;
using detail::ErrorList;
using detail::ObjectReader;

/// Longest timeout accepted: a step that takes longer than a day is a connection that hangs.
constexpr std::int64_t max_timeout_ms = std::int64_t{24} * 60 * 60 * 1000;
constexpr std::int64_t max_connections_per_mailbox = 100;

/// A timeout written as a duration of the file formats, with `seconds` and `milliseconds` added
/// because protocol deadlines are that short: any of the keys, added up, in (0, 1 day].
std::chrono::milliseconds timeout_from_json(const json::value& value, const std::string& path, ErrorList& errors) {
  ObjectReader reader(value, path, errors);
  const std::size_t errors_before = errors.size();
  struct Unit {
    std::string_view key;
    std::int64_t milliseconds;
  };
  static constexpr Unit units[] = {{"milliseconds", 1},
                                   {"seconds", 1000},
                                   {"minutes", 60 * 1000},
                                   {"hours", 60 * 60 * 1000},
                                   {"days", 24 * 60 * 60 * 1000}};
  std::int64_t total = 0;
  for (const Unit& unit : units) {
    // Each part alone within the limit, so the sum cannot overflow.
    total += reader.integer(unit.key, 0, max_timeout_ms / unit.milliseconds).value_or(0) * unit.milliseconds;
  }
  reader.reject_unknown_keys();
  if (!reader.is_object() || errors.size() != errors_before) return std::chrono::milliseconds{0};
  if (total == 0) {
    errors.add(detail::problem("a timeout must be longer than 0, such as {\"seconds\": 30}", path));
  } else if (total > max_timeout_ms) {
    errors.add(detail::problem("at most a day in all", path));
  }
  return std::chrono::milliseconds{total};
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 address literals), loosely: the server checks.
bool is_address_literal(std::string_view text) {
  if (text.size() < 3 || text.front() != '[' || text.back() != ']') return false;
  std::string_view inside = text.substr(1, text.size() - 2);
  if (inside.starts_with("IPv6:")) inside.remove_prefix(5);
  return !inside.empty() && std::all_of(inside.begin(), inside.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
}

std::optional<std::string> helo_name_from(ObjectReader& reader) {
  auto name = detail::text_member(reader, "helo_name");
  if (!name) return std::nullopt;
  if (is_address_literal(*name)) return name;
  auto ascii = domain_to_ascii(*name);
  if (!ascii) {
    reader.errors().add(detail::problem(
        "not a host name or an address literal such as [192.0.2.1]: " + ascii.error().message(),
        reader.path("helo_name")));
    return std::nullopt;
  }
  return std::move(*ascii);
}

const char* mechanism_name(SmtpAuth mechanism) noexcept {
  switch (mechanism) {
    case SmtpAuth::login: return "login";
    case SmtpAuth::xoauth2: return "xoauth2";
    case SmtpAuth::plain:
    case SmtpAuth::best: break;  // the transport names the mechanism it chose; PLAIN and LOGIN share a password
  }
  return "plain";
}

const char* mechanism_name(ImapAuth mechanism) noexcept {
  switch (mechanism) {
    case ImapAuth::login: return "login";
    case ImapAuth::xoauth2: return "xoauth2";
    case ImapAuth::plain:
    case ImapAuth::best: break;  // the connection names the mechanism it chose
  }
  return "plain";
}

/// The login name when the callback gives none: the mailbox's, for SMTP; for IMAP its `imap`
/// settings' own, if they have one.
const std::string& default_username(const Mailbox& mailbox, SmtpAuth) noexcept { return mailbox.username; }
const std::string& default_username(const Mailbox& mailbox, ImapAuth) noexcept {
  return mailbox.imap && !mailbox.imap->username.empty() ? mailbox.imap->username : mailbox.username;
}

/// The host's credentials callback as a credentials provider, for SMTP (`SmtpAuth`) or IMAP
/// (`ImapAuth`). Its messages name the mailbox, never the secret.
template <class Mechanism>
auto credentials_provider(outreach_smtp_credentials_fn function, void* user_data) {
  return [function, user_data](const Mailbox& mailbox, Mechanism mechanism, bool refresh) -> expected<SmtpCredentials> {
    const std::string who = "the credentials callback for mailbox \"" + mailbox.id + "\"";
    outreach_smtp_credentials filled{};
    const int status = function(mailbox.id.c_str(), mechanism_name(mechanism), refresh ? 1 : 0, &filled, user_data);
    if (status != 0) return fail(Errc::temporary_failure, who + " failed (it returned " + std::to_string(status) + ")");
    if (!filled.secret) return fail(Errc::temporary_failure, who + " gave no secret");
    SmtpCredentials credentials;
    credentials.username = filled.username ? std::string(filled.username) : default_username(mailbox, mechanism);
    credentials.secret = filled.secret;
    if (!detail::is_valid_utf8(credentials.username)) {
      return fail(Errc::temporary_failure, who + " gave a username that is not valid UTF-8");
    }
    if (!detail::is_valid_utf8(credentials.secret)) {
      return fail(Errc::temporary_failure, who + " gave a secret that is not valid UTF-8");
    }
    return credentials;
  };
}

/// The host's trace callback, with every line made valid UTF-8.
std::function<void(std::string_view)> trace_function(outreach_smtp_trace_fn function, void* user_data) {
  return [function, user_data](std::string_view line) {
    const std::string text = valid_utf8(line);
    function(text.c_str(), user_data);
  };
}

/// Fails for a callbacks struct of a version this library does not know.
int check_callbacks_version(int version, int known, std::string_view what) {
  if (version == known) return OUTREACH_OK;
  return fail_with(OUTREACH_EINVAL, std::string(what) + ": version " + std::to_string(version) +
                                        " is not one this library knows (" + std::to_string(known) + ")");
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  if (detail::is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t length = detail::utf8_sequence_length(text, pos);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++pos;
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

int read_smtp_settings(const char* json_text, std::string_view what, SmtpOptions& options) {
  if (!json_text) return OUTREACH_OK;
  if (const int status = check_text(json_text, what)) return status;
  auto parsed = detail::parse_json(json_text);
  if (!parsed) return fail_with(parsed.error());
  ErrorList errors;
  ObjectReader reader(*parsed, "", errors);
  if (auto helo_name = helo_name_from(reader)) options.helo_name = std::move(*helo_name);
  if (auto connections = reader.integer("connections_per_mailbox", 1, max_connections_per_mailbox)) {
    options.connections_per_mailbox = static_cast<std::size_t>(*connections);
  }
  if (auto pipelining = reader.boolean("pipelining")) options.pipelining = *pipelining;
  if (const json::value* timeouts = reader.find("timeouts")) {
    ObjectReader timeout_reader(*timeouts, reader.path("timeouts"), errors);
    const std::pair<std::string_view, std::chrono::milliseconds*> fields[] = {
        {"connect", &options.timeouts.connect}, {"tls", &options.timeouts.tls},
        {"command", &options.timeouts.command}, {"data", &options.timeouts.data},
        {"idle", &options.timeouts.idle}, {"retry_setup", &options.timeouts.retry_setup}};
    for (const auto& [key, target] : fields) {
      if (const json::value* value = timeout_reader.find(key)) {
        *target = timeout_from_json(*value, timeout_reader.path(key), errors);
      }
    }
    timeout_reader.reject_unknown_keys();
  }
  reader.reject_unknown_keys();
  if (!errors.empty()) return fail_with(errors.combined());
  return OUTREACH_OK;
}

namespace {

/// Checks a callbacks struct (NULL: none) of `version` and installs its callables in `options`.
template <class Mechanism, class Callbacks, class Options>
int install_callbacks(const Callbacks* callbacks, int version, std::string_view what, Options& options) {
  if (!callbacks) return OUTREACH_OK;
  if (const int status = check_callbacks_version(callbacks->version, version, what)) return status;
  if (callbacks->credentials) {
    options.credentials = credentials_provider<Mechanism>(callbacks->credentials, callbacks->user_data);
  }
  if (callbacks->trace) options.trace = trace_function(callbacks->trace, callbacks->user_data);
  return OUTREACH_OK;
}

}  // namespace

int install_smtp_callbacks(const outreach_smtp_callbacks* callbacks, std::string_view what, SmtpOptions& options) {
  return install_callbacks<SmtpAuth>(callbacks, OUTREACH_SMTP_CALLBACKS_VERSION, what, options);
}

int install_imap_callbacks(const outreach_imap_callbacks* callbacks, std::string_view what, ImapOptions& options) {
  return install_callbacks<ImapAuth>(callbacks, OUTREACH_IMAP_CALLBACKS_VERSION, what, options);
}

std::string outcome_json(const SendOutcome& outcome) {
  json::object object;
  switch (outcome.kind) {
    case SendOutcome::Kind::accepted: object["kind"] = "accepted"; break;
    case SendOutcome::Kind::temporary: object["kind"] = "temporary"; break;
    case SendOutcome::Kind::permanent: object["kind"] = "permanent"; break;
  }
  object["code"] = outcome.code;
  object["status"] = valid_utf8(outcome.status);
  object["reason"] = valid_utf8(outcome.reason);
  object["queue_id"] = valid_utf8(outcome.queue_id);
  object["maybe_delivered"] = outcome.maybe_delivered;
  return json::serialize(object);
}

}  // namespace outreach::capi
