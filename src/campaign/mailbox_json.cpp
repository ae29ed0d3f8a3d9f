#include "campaign/mailbox_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "util/ascii.hpp"
#include "util/host_port.hpp"
#include "outreach/address.hpp"
#include "outreach/timezone.hpp"

namespace outreach::detail {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t max_daily_limit = 1000000;
constexpr std::int64_t max_ramp_value = 1000000;
constexpr std::int64_t max_failures_in_a_row = 1000000;
constexpr std::size_t max_id_length = 64;
constexpr std::size_t max_imap_folders = 100;
constexpr std::int64_t min_poll_seconds = 10;
constexpr std::int64_t max_poll_seconds = 24 * 60 * 60;
constexpr std::int64_t min_resend_after_seconds = 60;
constexpr std::int64_t max_resend_after_seconds = 30 * 24 * 60 * 60;

bool is_id_character(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

std::optional<std::string> environment_variable_member(ObjectReader& reader, std::string_view key) {
  auto name = reader.string(key);
  if (!name) return std::nullopt;
  if (!is_environment_variable_name(*name)) {
    reader.errors().add(problem(
        "not an environment variable name (letters, digits and '_', not starting with a digit)", reader.path(key)));
    return std::nullopt;
  }
  return name;
}

namespace {

// `[A-Za-z0-9-]` labels separated by dots, none empty or starting or ending with '-'
// (RFC 6376 `selector`).
bool is_dkim_selector(std::string_view selector) noexcept {
  if (selector.empty() || selector.size() > 253) return false;
  std::size_t label_start = 0;
  while (true) {
    const std::size_t dot = selector.find('.', label_start);
    const std::string_view label = selector.substr(label_start, dot - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!(is_id_character(c) && c != '.' && c != '_')) return false;
    }
    if (dot == std::string_view::npos) return true;
    label_start = dot + 1;
  }
}

enum class Scheme : std::uint8_t { none, smtp, smtps, outbox };

struct Transport {
  Scheme scheme = Scheme::none;
  std::string stored;  // the form kept in Mailbox::transport
};

// The two schemes of a server's URL, the plain one (STARTTLS or none) and the implicit-TLS one,
// with the member that holds the URL and what it accepts, for messages.
struct UrlSchemes {
  std::string_view plain;
  std::string_view tls;
  std::string_view key;
  std::string_view expected;
};

constexpr UrlSchemes smtp_schemes{"smtp://", "smtps://", "transport",
                                  "expected smtp://host[:port], smtps://host[:port] or outbox:DIR"};
constexpr UrlSchemes imap_schemes{"imap://", "imaps://", "url", "expected imaps://host[:port] or imap://host[:port]"};

struct ServerUrl {
  bool implicit_tls = false;
  std::string stored;  // the scheme in lower case, the host in its ASCII form
};

// `host[:port]` of a server URL: a host name (IDNA allowed, kept in its ASCII form), an IPv4
// address or a bracketed IPv6 address, and a port from 1 to 65535. The checks of
// `util/host_port.hpp`, which the network clients apply to the stored URL again.
expected<std::string> parse_authority(std::string_view authority) {
  const auto invalid = [](std::string message) { return fail(Errc::invalid_value, std::move(message)); };
  if (authority.empty()) return invalid("the URL names no host");
  const HostPort parts = split_host_port(authority);
  if (parts.problem == HostPortProblem::unbalanced_bracket) return invalid("unbalanced '[' in the host");
  std::string out;
  if (parts.bracketed) {
    const std::string_view inside = parts.host;
    const bool ipv6 = !inside.empty() && std::all_of(inside.begin(), inside.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    });
    if (!ipv6 || inside.find(':') == std::string_view::npos) return invalid("not an IPv6 address in brackets");
    if (parts.problem) return invalid("expected ':' and a port after the host");
    out = "[" + std::string(inside) + "]";
  } else {
    if (parts.host.empty()) return invalid("the URL names no host");
    auto ascii = domain_to_ascii(parts.host);
    if (!ascii) return invalid("not a host name: " + ascii.error().message());
    out = std::move(*ascii);
  }
  if (parts.port) {
    if (!is_port_number(*parts.port)) return invalid("the port must be a number from 1 to 65535");
    out += ':';
    out += *parts.port;
  }
  return out;
}

// `scheme://host[:port]` with one of the two schemes (in any case), a '/' at the end allowed.
expected<ServerUrl> parse_server_url(std::string_view text, const UrlSchemes& schemes) {
  const auto invalid = [](std::string message) { return fail(Errc::invalid_value, std::move(message)); };
  if (auto bad = control_character_problem(text)) return invalid(std::move(*bad));
  ServerUrl url;
  url.implicit_tls = starts_with_ascii_nocase(text, schemes.tls);
  const std::string_view scheme = url.implicit_tls ? schemes.tls : schemes.plain;
  if (!url.implicit_tls && !starts_with_ascii_nocase(text, schemes.plain)) {
    return invalid(std::string(schemes.expected));
  }
  std::string_view authority = text.substr(scheme.size());
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find_first_of("/?#@ ") != std::string_view::npos) {
    return invalid("expected only host[:port] after " + std::string(scheme) +
                   " (no user, path or query; the user name goes in \"username\")");
  }
  auto host_and_port = parse_authority(authority);
  if (!host_and_port) return fail(host_and_port.error());
  url.stored = std::string(scheme) + *host_and_port;
  return url;
}

// `smtp://host[:port]`, `smtps://host[:port]` or `outbox:DIR`.
expected<Transport> parse_transport(std::string_view text, const fs::path& base_dir) {
  constexpr std::string_view outbox = "outbox:";
  if (!starts_with_ascii_nocase(text, outbox)) {
    auto url = parse_server_url(text, smtp_schemes);
    if (!url) return fail(url.error());
    return Transport{url->implicit_tls ? Scheme::smtps : Scheme::smtp, std::move(url->stored)};
  }
  if (auto bad = control_character_problem(text)) return fail(Errc::invalid_value, std::move(*bad));
  const std::string_view folder = text.substr(outbox.size());
  if (folder.empty()) return fail(Errc::invalid_value, "outbox: needs a folder, such as outbox:sent");
  return Transport{Scheme::outbox, "outbox:" + resolve_path(base_dir, folder).string()};
}

// A file name member, resolved against the campaign's folder.
std::optional<fs::path> file_name(ObjectReader& reader, std::string_view key, const fs::path& base_dir,
                                  bool required = false) {
  auto name = text_member(reader, key, required);
  if (!name) return std::nullopt;
  return resolve_path(base_dir, *name);
}

std::optional<DkimSettings> dkim_from_json(const json::value& value, const std::string& path, const fs::path& base_dir,
                                           ErrorList& errors) {
  ObjectReader reader(value, path, errors);
  const std::size_t before = errors.size();
  DkimSettings dkim;
  if (auto domain = text_member(reader, "domain", true)) {
    if (auto ascii = domain_to_ascii(*domain); !ascii) {
      errors.add(problem("not a domain: " + ascii.error().message(), reader.path("domain")));
    } else {
      dkim.domain = std::move(*domain);
    }
  }
  if (auto selector = text_member(reader, "selector", true)) {
    if (!is_dkim_selector(*selector)) {
      errors.add(problem("not a DKIM selector (letters, digits and '-', in labels separated by dots)",
                         reader.path("selector")));
    } else {
      dkim.selector = std::move(*selector);
    }
  }
  if (auto key_file = file_name(reader, "key_file", base_dir, true)) dkim.key_file = std::move(*key_file);
  reader.reject_unknown_keys();
  if (!reader.is_object() || errors.size() != before) return std::nullopt;
  return dkim;
}

// `security`: the implicit-TLS scheme is TLS and allows nothing else; the plain scheme (or no
// URL) is STARTTLS unless the member says otherwise.
Security security_from_json(ObjectReader& reader, bool implicit_tls, const UrlSchemes& schemes) {
  Security security = implicit_tls ? Security::tls : Security::starttls;
  auto name = reader.string("security");
  if (!name) return security;
  const std::string path = reader.path("security");
  if (*name == "tls") {
    security = Security::tls;
  } else if (*name != "starttls" && *name != "none") {
    reader.errors().add(problem("expected \"tls\", \"starttls\" or \"none\"", path));
  } else if (implicit_tls) {
    reader.errors().add(problem(std::string(schemes.tls) + " is implicit TLS; \"" + *name + "\" needs an " +
                                    std::string(schemes.plain) + " " + std::string(schemes.key),
                                path));
  } else {
    security = *name == "none" ? Security::none : Security::starttls;
  }
  return security;
}

// `auth` of SMTP (`SmtpAuth`) or IMAP (`ImapAuth`): their mechanisms have the same names.
template <class Auth>
Auth auth_from_json(ObjectReader& reader) {
  auto name = reader.string("auth");
  if (!name) return Auth::best;
  if (*name == "plain") return Auth::plain;
  if (*name == "login") return Auth::login;
  if (*name == "xoauth2") return Auth::xoauth2;
  reader.errors().add(
      problem("expected \"plain\", \"login\" or \"xoauth2\" (or no auth, for the best the server offers)",
              reader.path("auth")));
  return Auth::best;
}

// The login settings SMTP and IMAP share (members of `Mailbox` and of `ImapSettings` of the
// same names): `username`, `auth`, `password_env`, `token_env` and `ca_file`. A key that would
// hold a secret is refused by name, even with a null value: a secret in the file would end up
// in version control and backups.
template <class Settings>
void login_from_json(ObjectReader& reader, const json::value& value, const fs::path& base_dir, Settings& settings) {
  if (auto username = text_member(reader, "username")) settings.username = std::move(*username);
  settings.auth = auth_from_json<decltype(settings.auth)>(reader);
  if (auto name = environment_variable_member(reader, "password_env")) settings.password_env = std::move(*name);
  if (auto name = environment_variable_member(reader, "token_env")) settings.token_env = std::move(*name);
  if (const json::object* object = value.if_object()) {
    for (const std::string_view key : {std::string_view("password"), std::string_view("token")}) {
      if (!object->contains(key)) continue;
      static_cast<void>(reader.find(key));
      reader.errors().add(problem(std::string(secrets_message), reader.path(key)));
    }
  }
  if (auto ca_file = file_name(reader, "ca_file", base_dir)) settings.ca_file = std::move(*ca_file);
}

// `imap.folders`: 1 to 100 names of settings' text, none twice. INBOX is the same folder in any
// case (RFC 3501); other names are compared as they are.
std::vector<std::string> folders_from_json(const json::value& value, const std::string& path, ErrorList& errors) {
  const json::array* array = value.if_array();
  if (!array) {
    errors.add(problem("expected an array of folder names, found " + std::string(describe_type(value)), path));
    return {};
  }
  if (array->empty() || array->size() > max_imap_folders) {
    errors.add(problem("1 to " + std::to_string(max_imap_folders) + " folders, found " + std::to_string(array->size()),
                       path));
    return {};
  }
  std::vector<std::string> folders;
  std::map<std::string, std::size_t, std::less<>> first_at;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string folder_path = path_index(path, i);
    const json::value& element = (*array)[i];
    if (!element.is_string()) {
      errors.add(problem("expected a folder name, found " + std::string(describe_type(element)), folder_path));
      continue;
    }
    std::string name(element.get_string());
    if (auto bad = text_problem(name, folder_path)) {
      errors.add(std::move(*bad));
      continue;
    }
    const auto [earlier, inserted] = first_at.try_emplace(iequals_ascii(name, "INBOX") ? "INBOX" : name, i);
    if (!inserted) {
      errors.add(problem("the folder \"" + name + "\" is already listed at " + path_index(path, earlier->second),
                         folder_path));
      continue;
    }
    folders.push_back(std::move(name));
  }
  return folders;
}

// A mailbox's `imap` object. Login settings left out are the mailbox's SMTP ones, so its
// `token_env` counts for `auth: "xoauth2"`.
std::optional<ImapSettings> imap_from_json(const json::value& value, const std::string& path, const Mailbox& mailbox,
                                           const fs::path& base_dir, ErrorList& errors) {
  ObjectReader reader(value, path, errors);
  ImapSettings imap;
  bool implicit_tls = false;
  if (auto url = reader.string("url", true)) {
    if (auto parsed = parse_server_url(*url, imap_schemes)) {
      implicit_tls = parsed->implicit_tls;
      imap.url = std::move(parsed->stored);
    } else {
      errors.add(problem(parsed.error().message(), reader.path("url")));
    }
  }
  imap.security = security_from_json(reader, implicit_tls, imap_schemes);
  login_from_json(reader, value, base_dir, imap);
  if (imap.auth == ImapAuth::xoauth2 && imap.token_env.empty() && mailbox.token_env.empty()) {
    errors.add(problem("required with auth \"xoauth2\" when the mailbox has no token_env: the environment variable "
                       "with the access token",
                       reader.path("token_env")));
  }
  if (const json::value* folders = reader.find("folders")) {
    imap.folders = folders_from_json(*folders, reader.path("folders"), errors);
  }
  if (auto seconds = reader.integer("poll_seconds", min_poll_seconds, max_poll_seconds)) {
    imap.poll_interval = std::chrono::seconds(*seconds);
  }
  if (auto files = reader.boolean("sent_files_submissions")) imap.sent_files_submissions = *files;
  if (auto seconds = reader.integer("resend_after_seconds", min_resend_after_seconds, max_resend_after_seconds)) {
    imap.resend_after = std::chrono::seconds(*seconds);
  }
  reader.reject_unknown_keys();
  if (!reader.is_object()) return std::nullopt;
  return imap;
}

}  // namespace

fs::path resolve_path(const fs::path& base_dir, std::string_view name) {
  const fs::path relative{std::string(name)};
  const fs::path joined = base_dir.empty() ? relative : base_dir / relative;
  std::error_code ec;
  const fs::path absolute = fs::absolute(joined, ec);
  return (ec ? joined : absolute).lexically_normal();
}

bool is_environment_variable_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 255) return false;
  if (name.front() >= '0' && name.front() <= '9') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_id_character(c) && c != '.' && c != '-'; });
}

std::chrono::milliseconds duration_from_json(const json::value& value, const std::string& path, ErrorList& errors) {
  constexpr std::int64_t max_minutes = max_mailbox_duration_days * 24 * 60;
  ObjectReader reader(value, path, errors);
  const std::int64_t minutes = reader.integer("minutes", 0, max_minutes).value_or(0);
  const std::int64_t hours = reader.integer("hours", 0, max_minutes / 60).value_or(0);
  const std::int64_t days = reader.integer("days", 0, max_mailbox_duration_days).value_or(0);
  reader.reject_unknown_keys();
  const std::int64_t total = minutes + hours * 60 + days * 24 * 60;
  if (total > max_minutes) {
    errors.add(problem("at most " + std::to_string(max_mailbox_duration_days) + " days in all", path));
    return std::chrono::milliseconds{0};
  }
  return std::chrono::minutes{total};
}

json::object duration_to_json(std::chrono::milliseconds duration) {
  constexpr std::int64_t minutes_a_day = 24 * 60;
  const std::int64_t total = std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::minutes>(duration).count());
  json::object out;
  if (const std::int64_t days = total / minutes_a_day; days != 0) out["days"] = days;
  if (const std::int64_t hours = total % minutes_a_day / 60; hours != 0) out["hours"] = hours;
  if (const std::int64_t minutes = total % 60; minutes != 0) out["minutes"] = minutes;
  return out;
}

std::string address_to_text(const Address& address) {
  const std::string& name = address.name;
  if (name.empty()) return address.email;
  // The plain form loses spaces around the name and cannot hold '"', '<' or '>'.
  const bool plain = name.find_first_of("\"<>") == std::string::npos && name.front() != ' ' && name.back() != ' ';
  std::string out;
  if (plain) {
    out = name;
  } else {
    out = "\"";
    for (const char c : name) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += " <";
  out += address.email;
  out += '>';
  return out;
}

namespace {

std::string_view security_name(Security security) noexcept {
  switch (security) {
    case Security::tls: return "tls";
    case Security::none: return "none";
    case Security::starttls: break;
  }
  return "starttls";
}

template <class Auth>
std::string_view auth_name(Auth auth) noexcept {
  switch (auth) {
    case Auth::plain: return "plain";
    case Auth::login: return "login";
    case Auth::xoauth2: return "xoauth2";
    case Auth::best: break;
  }
  return {};
}

// Empty text is how a mailbox says "not set"; the file says it with null.
json::value text_or_null(std::string_view text) {
  return text.empty() ? json::value(nullptr) : json::value(json::string_view(text.data(), text.size()));
}

// In the file a URL of the implicit-TLS scheme is TLS whatever else is said; left out, the
// reader takes that.
json::value security_to_json(std::string_view url, Security security, const UrlSchemes& schemes) {
  const bool implicit_tls = starts_with_ascii_nocase(url, schemes.tls);
  return implicit_tls && security != Security::tls ? json::value(nullptr) : text_or_null(security_name(security));
}

// The settings `login_from_json` reads, in its order.
template <class Settings>
void login_to_json(json::object& out, const Settings& settings) {
  out["username"] = text_or_null(settings.username);
  out["auth"] = text_or_null(auth_name(settings.auth));
  out["password_env"] = text_or_null(settings.password_env);
  out["token_env"] = text_or_null(settings.token_env);
  out["ca_file"] = text_or_null(settings.ca_file.string());
}

json::value imap_to_json(const std::optional<ImapSettings>& imap) {
  if (!imap) return nullptr;
  json::object out;
  out["url"] = text_or_null(imap->url);
  out["security"] = security_to_json(imap->url, imap->security, imap_schemes);
  login_to_json(out, *imap);
  json::array folders;
  for (const std::string& folder : imap->folders) folders.emplace_back(folder);
  out["folders"] = std::move(folders);
  out["poll_seconds"] = imap->poll_interval.count();
  out["sent_files_submissions"] = imap->sent_files_submissions;
  out["resend_after_seconds"] = imap->resend_after.count();
  return out;
}

}  // namespace

json::object mailbox_to_json(const Mailbox& mailbox) {
  json::object out;
  out["id"] = mailbox.id;
  out["from"] = address_to_text(mailbox.from);
  out["daily_limit"] = mailbox.daily_limit;
  out["min_interval"] = duration_to_json(mailbox.min_interval);
  out["jitter"] = duration_to_json(mailbox.jitter);
  if (mailbox.ramp) {
    out["ramp"] = json::object{{"start", mailbox.ramp->start}, {"step", mailbox.ramp->step}};
  } else {
    out["ramp"] = nullptr;
  }
  out["disable_after_failures"] = mailbox.disable_after_failures;
  out["disabled"] = mailbox.disabled;
  out["timezone"] = mailbox.timezone ? text_or_null(mailbox.timezone->name()) : json::value(nullptr);
  out["transport"] = text_or_null(mailbox.transport);
  out["security"] = security_to_json(mailbox.transport, mailbox.security, smtp_schemes);
  login_to_json(out, mailbox);
  if (mailbox.dkim) {
    out["dkim"] = json::object{{"domain", mailbox.dkim->domain},
                               {"selector", mailbox.dkim->selector},
                               {"key_file", mailbox.dkim->key_file.string()}};
  } else {
    out["dkim"] = nullptr;
  }
  out["imap"] = imap_to_json(mailbox.imap);
  return out;
}

Mailbox mailbox_from_json(const json::value& value, const std::string& path, const fs::path& base_dir,
                          ErrorList& errors) {
  Mailbox mailbox;
  ObjectReader reader(value, path, errors);

  if (auto id = reader.string("id", true)) {
    if (id->empty() || id->size() > max_id_length || !std::all_of(id->begin(), id->end(), is_id_character)) {
      errors.add(problem("an id is 1 to 64 of the characters A-Z a-z 0-9 . _ -", reader.path("id")));
    } else {
      mailbox.id = std::move(*id);
    }
  }
  if (auto from = reader.string("from", true)) {
    if (auto address = Address::parse(*from)) {
      mailbox.from = std::move(*address);
    } else {
      errors.add(Error(address.error().code(), "not an address: " + address.error().message(),
                       Location::at(reader.path("from"))));
    }
  }
  if (auto limit = reader.integer("daily_limit", 1, max_daily_limit, true)) mailbox.daily_limit = *limit;
  if (const json::value* interval = reader.find("min_interval")) {
    mailbox.min_interval = duration_from_json(*interval, reader.path("min_interval"), errors);
  }
  if (const json::value* jitter = reader.find("jitter")) {
    mailbox.jitter = duration_from_json(*jitter, reader.path("jitter"), errors);
  }
  if (const json::value* ramp = reader.find("ramp")) {
    ObjectReader ramp_reader(*ramp, reader.path("ramp"), errors);
    const auto start = ramp_reader.integer("start", 1, max_ramp_value, true);
    const auto step = ramp_reader.integer("step", 0, max_ramp_value, true);
    ramp_reader.reject_unknown_keys();
    if (start && step) mailbox.ramp = Ramp{*start, *step};
  }
  if (auto failures = reader.integer("disable_after_failures", 0, max_failures_in_a_row)) {
    mailbox.disable_after_failures = *failures;
  }
  if (auto disabled = reader.boolean("disabled")) mailbox.disabled = *disabled;
  if (auto zone = reader.string("timezone")) {
    if (auto located = TimeZone::locate(*zone)) {
      mailbox.timezone = *located;
    } else {
      errors.add(problem("not a time zone of the tz database (such as \"America/New_York\")",
                         reader.path("timezone")));
    }
  }

  Scheme scheme = Scheme::none;
  if (auto transport = reader.string("transport")) {
    if (auto parsed = parse_transport(*transport, base_dir)) {
      scheme = parsed->scheme;
      mailbox.transport = std::move(parsed->stored);
    } else {
      errors.add(problem(parsed.error().message(), reader.path("transport")));
    }
  }
  mailbox.security = security_from_json(reader, scheme == Scheme::smtps, smtp_schemes);
  login_from_json(reader, value, base_dir, mailbox);
  if (mailbox.auth == SmtpAuth::xoauth2 && mailbox.token_env.empty()) {
    errors.add(problem("required with auth \"xoauth2\": the environment variable with the access token",
                       reader.path("token_env")));
  }
  if (const json::value* dkim = reader.find("dkim")) {
    mailbox.dkim = dkim_from_json(*dkim, reader.path("dkim"), base_dir, errors);
  }
  if (const json::value* imap = reader.find("imap")) {
    mailbox.imap = imap_from_json(*imap, reader.path("imap"), mailbox, base_dir, errors);
  }
  reader.reject_unknown_keys();
  return mailbox;
}

}  // namespace outreach::detail

namespace outreach {

expected<Mailbox> parse_mailbox(std::string_view json, const std::filesystem::path& base_dir) {
  auto parsed = detail::parse_json(json);
  if (!parsed) return tl::unexpected(std::move(parsed.error()));
  if (boost::json::object* object = parsed->if_object(); object && !object->contains("daily_limit")) {
    (*object)["daily_limit"] = 1;
  }
  detail::ErrorList errors;
  Mailbox mailbox = detail::mailbox_from_json(*parsed, "", base_dir, errors);
  if (!errors.empty()) return tl::unexpected(errors.combined());
  return mailbox;
}

}  // namespace outreach
