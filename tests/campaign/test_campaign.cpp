#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "outreach/campaign.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;

using outreach::AbGuardrails;
using outreach::AbTestSettings;
using outreach::AutoReplyRule;
using outreach::CampaignDefinition;
using outreach::Delivery;
using outreach::Errc;
using outreach::Error;
using outreach::ImapAuth;
using outreach::ImapSettings;
using outreach::Security;
using outreach::SmtpAuth;

namespace {

const fs::path campaigns_dir = fs::path(OUTREACH_SOURCE_DIR) / "tests" / "data" / "campaigns";
const fs::path example_dir = campaigns_dir / "example";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

// The format's example campaign as a JSON value, to change one thing at a time.
json::value example_document() { return json::parse(read_text(example_dir / "campaign.json")); }

json::object& first_mailbox(json::value& document) {
  return document.at("mailboxes").as_array().at(0).as_object();
}

outreach::expected<CampaignDefinition> from_document(const json::value& document,
                                                     const fs::path& base_dir = example_dir) {
  return CampaignDefinition::from_json(json::serialize(document), base_dir);
}

std::vector<Error> all_errors(const Error& error) {
  std::vector<Error> all{error};
  all.insert(all.end(), error.others().begin(), error.others().end());
  return all;
}

std::string dump(const Error& error) {
  std::string out;
  for (const Error& each : all_errors(error)) out += each.to_string() + "\n";
  return out;
}

// The error at exactly this JSON path, if any.
const Error* error_at(const Error& error, std::string_view path) {
  if (error.where().json_path == path) return &error;
  for (const Error& other : error.others()) {
    if (other.where().json_path == path) return &other;
  }
  return nullptr;
}

bool has_error(const Error& error, std::string_view path, std::string_view words) {
  const Error* found = error_at(error, path);
  return found && found->message().find(words) != std::string::npos;
}

fs::path absolute_normal(const fs::path& path) { return fs::absolute(path).lexically_normal(); }

// A server URL as given in a file, as kept, and the security it gets when none is given.
struct UrlForm {
  const char* given;
  const char* stored;
  Security security;
};

// A rule broken by changing a good document, and the one error that must say so.
struct Broken {
  const char* rule;
  std::function<void(json::value&)> change;
  const char* path;
  const char* words;
};

// Breaks each rule in a fresh `good()` document: the campaign gets exactly that error, at its path.
void check_each_broken(const std::function<json::value()>& good, const std::vector<Broken>& cases) {
  for (const Broken& broken : cases) {
    CAPTURE(broken.rule);
    json::value document = good();
    broken.change(document);
    auto campaign = from_document(document);
    REQUIRE_FALSE(campaign.has_value());
    CHECK_MESSAGE(has_error(campaign.error(), broken.path, broken.words), dump(campaign.error()));
    CHECK_MESSAGE(all_errors(campaign.error()).size() == 1, dump(campaign.error()));
    CHECK(campaign.error().where().file.empty());
  }
}

}  // namespace

TEST_CASE("the format's example campaign loads with every field right") {
  auto campaign = CampaignDefinition::load(example_dir / "campaign.json");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));

  CHECK(campaign->name == "q4-saas-founders");
  auto sequence = outreach::Sequence::load(example_dir / "sequence.json");
  REQUIRE(sequence.has_value());
  CHECK(campaign->sequence == *sequence);
  CHECK(campaign->sequence.name() == "saas-founders-3-step");
  CHECK(campaign->sequence.steps().size() == 3);

  REQUIRE(campaign->leads.size() == 3);
  CHECK(campaign->lead_problems.empty());
  CHECK(campaign->leads[0].email == "bob@beta.example");
  CHECK(campaign->leads[0].first_name == "Bob");
  CHECK(campaign->leads[0].timezone == "Europe/Berlin");
  CHECK(campaign->leads[0].field("plan") == "pro");
  CHECK(campaign->leads[1].company == "Gamma, LLC");
  CHECK(campaign->leads[2].email == "dave@delta.example");

  CHECK(campaign->seed == 42);

  const outreach::Schedule& schedule = campaign->schedule;
  CHECK(schedule.timezone.name() == "America/New_York");
  CHECK(schedule.lead_timezone);
  CHECK(schedule.days == std::array<bool, 7>{false, true, true, true, true, true, false});
  REQUIRE(schedule.hours.size() == 2);
  CHECK(schedule.hours[0].start == std::chrono::hours(9));
  CHECK(schedule.hours[0].end == std::chrono::hours(12));
  CHECK(schedule.hours[1].start == std::chrono::minutes(13 * 60 + 30));
  CHECK(schedule.hours[1].end == std::chrono::hours(17));
  CHECK(schedule.start == outreach::parse_instant("2026-12-01T05:00:00Z"));
  CHECK_FALSE(schedule.end.has_value());
  CHECK(schedule.skip_dates.size() == 3);

  REQUIRE(campaign->mailboxes.size() == 1);
  const outreach::Mailbox& alice = campaign->mailboxes[0];
  CHECK(alice.id == "alice");
  CHECK(alice.from.name == "Alice Doe");
  CHECK(alice.from.email == "alice@acme.example");
  CHECK(alice.daily_limit == 40);
  CHECK(alice.min_interval == std::chrono::minutes(5));
  CHECK(alice.jitter == std::chrono::minutes(3));
  REQUIRE(alice.ramp.has_value());
  CHECK(alice.ramp->start == 10);
  CHECK(alice.ramp->step == 5);
  CHECK(alice.cap_on_day(1) == 10);
  CHECK(alice.cap_on_day(7) == 40);
  REQUIRE(alice.timezone.has_value());
  CHECK(alice.timezone->name() == "America/New_York");
  CHECK(alice.transport == "smtp://smtp.acme.example:587");
  CHECK(alice.security == Security::starttls);
  CHECK(alice.username == "alice@acme.example");
  CHECK(alice.auth == SmtpAuth::plain);
  CHECK(alice.password_env == "ALICE_SMTP_PASSWORD");
  CHECK(alice.token_env.empty());
  CHECK(alice.ca_file.empty());
  REQUIRE(alice.dkim.has_value());
  CHECK(alice.dkim->domain == "acme.example");
  CHECK(alice.dkim->selector == "s1");
  CHECK(alice.dkim->key_file == absolute_normal(example_dir / "dkim-s1.pem"));

  CHECK(campaign->limits.new_leads_per_day == 100);
  CHECK(campaign->limits.sends_per_day == 300);
  CHECK(campaign->stop_on == outreach::StopRules{true, AutoReplyRule::ignore, true, false});
  CHECK(campaign->bounces.soft_limit == 3);
  CHECK_FALSE(campaign->bounces.pause_rate.has_value());
  CHECK(campaign->bounces.pause_window == 100);
  CHECK(campaign->delivery == Delivery::at_most_once);
  CHECK(campaign->unsubscribe.url == "https://acme.example/u/{{token}}");
  CHECK(campaign->unsubscribe.mailto == "unsubscribe@acme.example");
  CHECK(campaign->unsubscribe.secret_env == "ACME_UNSUBSCRIBE_SECRET");
}

TEST_CASE("the same campaign given as JSON text with base_dir loads equal to the file") {
  auto loaded = CampaignDefinition::load(example_dir / "campaign.json");
  auto parsed = CampaignDefinition::from_json(read_text(example_dir / "campaign.json"), example_dir);
  REQUIRE_MESSAGE(loaded.has_value(), dump(loaded.error()));
  REQUIRE_MESSAGE(parsed.has_value(), dump(parsed.error()));
  CHECK(parsed->sequence == loaded->sequence);
  CHECK(parsed->leads == loaded->leads);
  CHECK(parsed->mailboxes == loaded->mailboxes);
  CHECK(parsed->unsubscribe == loaded->unsubscribe);
}

TEST_CASE("a campaign with its sequence and leads inline loads") {
  json::value document = example_document();
  document.as_object()["sequence"] = json::parse(read_text(example_dir / "sequence.json"));
  document.as_object()["leads"] = json::parse(R"([
    {"email": "hana@iota.example", "first_name": "Hana", "company": "Iota", "plan": "team"},
    {"email": "ivan@kappa.example", "timezone": "Asia/Tokyo"}
  ])");
  auto campaign = from_document(document, fs::path("/nonexistent/folder"));
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  auto sequence = outreach::Sequence::load(example_dir / "sequence.json");
  REQUIRE(sequence.has_value());
  CHECK(campaign->sequence == *sequence);
  REQUIRE(campaign->leads.size() == 2);
  CHECK(campaign->leads[0].email == "hana@iota.example");
  CHECK(campaign->leads[0].field("plan") == "team");
  CHECK(campaign->leads[1].timezone == "Asia/Tokyo");
  CHECK(campaign->lead_problems.empty());
}

TEST_CASE("errors in an inline sequence carry their path inside the campaign") {
  json::value document = example_document();
  document.as_object()["sequence"] = json::parse(R"({"steps": [{"variants": [{"subject": "Hi", "txet": "x"}]}]})");
  auto campaign = from_document(document);
  REQUIRE_FALSE(campaign.has_value());
  CHECK_MESSAGE(has_error(campaign.error(), "sequence.steps[0].variants[0].txet", "did you mean \"text\""),
                dump(campaign.error()));
}

TEST_CASE("relative paths are resolved against the campaign's folder") {
  const fs::path folder = campaigns_dir / "relative";
  auto campaign = CampaignDefinition::load(folder / "campaign.json");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  CHECK(campaign->sequence.steps().size() == 1);
  REQUIRE(campaign->leads.size() == 2);
  CHECK(campaign->leads[0].email == "erin@epsilon.example");
  CHECK(campaign->leads[1].email == "frank@phi.example");
  const outreach::Mailbox& mailbox = campaign->mailboxes.at(0);
  CHECK(mailbox.transport == "outbox:" + absolute_normal(folder / "sent" / "mail").string());
  CHECK(mailbox.ca_file == absolute_normal(folder / "certs" / "ca.pem"));
  REQUIRE(mailbox.dkim.has_value());
  CHECK(mailbox.dkim->key_file == absolute_normal(folder / "keys" / "dkim.pem"));
  CHECK(mailbox.transport.find("..") == std::string::npos);
}

TEST_CASE("from_json resolves relative paths against base_dir, or the working directory without one") {
  json::value document = example_document();
  document.as_object()["sequence"] = json::parse(read_text(example_dir / "sequence.json"));
  document.as_object()["leads"] = json::parse(R"([{"email": "a@b.example"}])");
  first_mailbox(document)["transport"] = "outbox:out";
  first_mailbox(document)["ca_file"] = "/etc/ssl/certs/ca-certificates.crt";

  auto with_base = from_document(document, "/srv/campaigns");
  REQUIRE_MESSAGE(with_base.has_value(), dump(with_base.error()));
  CHECK(with_base->mailboxes[0].transport == "outbox:/srv/campaigns/out");
  CHECK(with_base->mailboxes[0].dkim->key_file == fs::path("/srv/campaigns/dkim-s1.pem"));
  CHECK(with_base->mailboxes[0].ca_file == fs::path("/etc/ssl/certs/ca-certificates.crt"));

  auto without_base = CampaignDefinition::from_json(json::serialize(document));
  REQUIRE_MESSAGE(without_base.has_value(), dump(without_base.error()));
  CHECK(without_base->mailboxes[0].transport == "outbox:" + absolute_normal(fs::current_path() / "out").string());
}

TEST_CASE("optional settings take their defaults when left out") {
  auto campaign = CampaignDefinition::from_json(R"({
    "name": "minimal",
    "sequence": "sequence.json",
    "leads": [ {"email": "a@b.example"} ],
    "schedule": { "timezone": "UTC" },
    "mailboxes": [ { "id": "m1", "from": "m1@acme.example", "daily_limit": 5 } ]
  })", example_dir);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  CHECK(campaign->seed == 0);
  CHECK(campaign->limits == outreach::CampaignLimits{});
  CHECK(campaign->stop_on == outreach::StopRules{});
  CHECK(campaign->stop_on.reply);
  CHECK(campaign->stop_on.bounce);
  CHECK(campaign->stop_on.auto_reply == AutoReplyRule::ignore);
  CHECK_FALSE(campaign->stop_on.domain_reply);
  CHECK(campaign->bounces == outreach::BounceRules{});
  CHECK(campaign->delivery == Delivery::at_most_once);
  CHECK(campaign->unsubscribe == outreach::UnsubscribeSettings{});
  CHECK(campaign->read_after_last_send == std::chrono::days(14));
  const outreach::Mailbox& mailbox = campaign->mailboxes.at(0);
  CHECK(mailbox.from.name.empty());
  CHECK(mailbox.min_interval == std::chrono::milliseconds(0));
  CHECK(mailbox.jitter == std::chrono::milliseconds(0));
  CHECK_FALSE(mailbox.ramp.has_value());
  CHECK_FALSE(mailbox.timezone.has_value());
  CHECK(mailbox.transport.empty());
  CHECK(mailbox.auth == SmtpAuth::best);
  CHECK_FALSE(mailbox.dkim.has_value());
  CHECK_FALSE(mailbox.imap.has_value());
}

TEST_CASE("settings other than the defaults are read") {
  json::value document = example_document();
  json::object& mailbox = first_mailbox(document);
  mailbox["transport"] = "smtps://mail.acme.example";
  mailbox.erase("security");
  mailbox["auth"] = "xoauth2";
  mailbox["token_env"] = "ALICE_OAUTH_TOKEN";
  mailbox["min_interval"] = json::parse(R"({"days": 1, "hours": 2, "minutes": 3})");
  mailbox["jitter"] = json::object();
  mailbox["ca_file"] = "ca.pem";
  json::object& root = document.as_object();
  root["seed"] = json::parse("18446744073709551615");
  root["stop_on"] = json::parse(R"({"reply": false, "auto_reply": "pause_until_return", "bounce": false, "domain_reply": true})");
  root["bounces"] = json::parse(R"({"soft_limit": 1, "pause_rate": 0.05, "pause_window": 20})");
  root["delivery"] = "at_least_once";
  root["unsubscribe"] = json::parse(R"({"url": "https://acme.example/unsubscribe"})");
  root["read_after_last_send"] = json::parse(R"({"days": 30, "hours": 12})");
  root.erase("limits");

  auto campaign = from_document(document);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  const outreach::Mailbox& alice = campaign->mailboxes.at(0);
  CHECK(alice.transport == "smtps://mail.acme.example");
  CHECK(alice.security == Security::tls);
  CHECK(alice.auth == SmtpAuth::xoauth2);
  CHECK(alice.token_env == "ALICE_OAUTH_TOKEN");
  CHECK(alice.min_interval == std::chrono::hours(26) + std::chrono::minutes(3));
  CHECK(alice.jitter == std::chrono::milliseconds(0));
  CHECK(alice.ca_file == absolute_normal(example_dir / "ca.pem"));
  CHECK(campaign->seed == 18446744073709551615ull);
  CHECK(campaign->stop_on == outreach::StopRules{false, AutoReplyRule::pause_until_return, false, true});
  CHECK(campaign->bounces.soft_limit == 1);
  CHECK(campaign->bounces.pause_rate == 0.05);
  CHECK(campaign->bounces.pause_window == 20);
  CHECK(campaign->delivery == Delivery::at_least_once);
  CHECK(campaign->unsubscribe.url == "https://acme.example/unsubscribe");
  CHECK(campaign->unsubscribe.secret_env.empty());
  CHECK(campaign->read_after_last_send == std::chrono::days(30) + std::chrono::hours(12));
  CHECK(campaign->limits == outreach::CampaignLimits{});

  root["stop_on"] = json::parse(R"({"auto_reply": true})");
  root["bounces"] = json::parse(R"({"pause_rate": 1})");
  auto again = from_document(document);
  REQUIRE_MESSAGE(again.has_value(), dump(again.error()));
  CHECK(again->stop_on.auto_reply == AutoReplyRule::stop);
  CHECK(again->bounces.pause_rate == 1.0);
}

TEST_CASE("transports: smtp and smtps URLs with a host and optional port, or an outbox folder") {
  const UrlForm forms[] = {
      {"smtp://smtp.acme.example", "smtp://smtp.acme.example", Security::starttls},
      {"SMTP://Smtp.Acme.Example:25", "smtp://smtp.acme.example:25", Security::starttls},
      {"smtps://127.0.0.1:465/", "smtps://127.0.0.1:465", Security::tls},
      {"smtp://[::1]:2525", "smtp://[::1]:2525", Security::starttls},
      {"smtp://localhost:1025", "smtp://localhost:1025", Security::starttls},
      {"smtp://bücher.example", "smtp://xn--bcher-kva.example", Security::starttls},
      {"outbox:/var/mail/out", "outbox:/var/mail/out", Security::starttls},
  };
  for (const UrlForm& form : forms) {
    CAPTURE(form.given);
    json::value document = example_document();
    first_mailbox(document)["transport"] = form.given;
    first_mailbox(document).erase("security");
    auto campaign = from_document(document);
    REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
    CHECK(campaign->mailboxes[0].transport == form.stored);
    CHECK(campaign->mailboxes[0].security == form.security);
  }
  json::value document = example_document();
  first_mailbox(document)["security"] = "none";
  first_mailbox(document)["transport"] = "smtp://127.0.0.1:2525";
  auto plain = from_document(document);
  REQUIRE_MESSAGE(plain.has_value(), dump(plain.error()));
  CHECK(plain->mailboxes[0].security == Security::none);
  first_mailbox(document)["security"] = "tls";
  auto implicit = from_document(document);
  REQUIRE_MESSAGE(implicit.has_value(), dump(implicit.error()));
  CHECK(implicit->mailboxes[0].security == Security::tls);
}

TEST_CASE("every rule broken once is an error at its exact JSON path") {
  const auto set = [](const char* key, json::value value) {
    return [key, value](json::value& document) { document.as_object()[key] = value; };
  };
  const auto erase = [](const char* key) {
    return [key](json::value& document) { document.as_object().erase(key); };
  };
  const auto set_mailbox = [](const char* key, json::value value) {
    return [key, value](json::value& document) { first_mailbox(document)[key] = value; };
  };
  const auto erase_mailbox = [](const char* key) {
    return [key](json::value& document) { first_mailbox(document).erase(key); };
  };
  const auto set_in = [](const char* object, const char* key, json::value value) {
    return [object, key, value](json::value& document) { document.at(object).as_object()[key] = value; };
  };
  const auto set_in_mailbox = [](const char* object, const char* key, json::value value) {
    return [object, key, value](json::value& document) { first_mailbox(document).at(object).as_object()[key] = value; };
  };
  const std::string long_name(201, 'n');
  const std::string long_id(65, 'i');

  const std::vector<Broken> cases = {
      {"name is required", erase("name"), "name", "required"},
      {"name is not empty", set("name", ""), "name", "1 to 200 characters"},
      {"name has at most 200 characters", set("name", json::string(long_name)), "name", "1 to 200 characters"},
      {"name has no control characters", set("name", "two\nlines"), "name", "control characters"},
      {"name is a string", set("name", 7), "name", "expected a string"},
      {"sequence is required", erase("sequence"), "sequence", "required"},
      {"sequence is a path or an object", set("sequence", 42), "sequence", "a file name or a sequence object"},
      {"sequence path is not empty", set("sequence", ""), "sequence", "empty"},
      {"sequence file exists", set("sequence", "missing.json"), "sequence", "no such file"},
      {"leads are required", erase("leads"), "leads", "required"},
      {"leads are a path, a lead file object or an array", set("leads", 5), "leads",
       "a file name, a lead file object or an array of leads"},
      {"a lead file object names its file", set("leads", json::object()), "leads.file", "required"},
      {"lead file exists", set("leads", "missing.csv"), "leads", "no such file"},
      {"seed is not negative", set("seed", -1), "seed", "non-negative"},
      {"seed is an integer", set("seed", 1.5), "seed", "non-negative integer"},
      {"seed is a number", set("seed", "42"), "seed", "expected a non-negative integer, found a string"},
      {"schedule is required", erase("schedule"), "schedule", "required"},
      {"mailboxes are required", erase("mailboxes"), "mailboxes", "required"},
      {"mailboxes are not empty", set("mailboxes", json::array()), "mailboxes", "at least one"},
      {"mailboxes are an array", set("mailboxes", json::object()), "mailboxes", "expected an array"},
      {"a mailbox is an object", set("mailboxes", json::parse("[1]")), "mailboxes[0]", "expected an object"},
      {"id is required", erase_mailbox("id"), "mailboxes[0].id", "required"},
      {"id is not empty", set_mailbox("id", ""), "mailboxes[0].id", "1 to 64"},
      {"id has no spaces", set_mailbox("id", "al ice"), "mailboxes[0].id", "1 to 64"},
      {"id has at most 64 characters", set_mailbox("id", json::string(long_id)), "mailboxes[0].id", "1 to 64"},
      {"ids are unique",
       [](json::value& document) {
         json::value copy = document.at("mailboxes").at(0);
         copy.as_object()["from"] = "Alice Two <alice2@acme.example>";
         document.at("mailboxes").as_array().push_back(copy);
       },
       "mailboxes[1].id", "already used by mailboxes[0]"},
      {"from is required", erase_mailbox("from"), "mailboxes[0].from", "required"},
      {"from is an address", set_mailbox("from", "Alice <alice>"), "mailboxes[0].from", "not an address"},
      {"from is not empty", set_mailbox("from", ""), "mailboxes[0].from", "not an address"},
      {"daily_limit is required", erase_mailbox("daily_limit"), "mailboxes[0].daily_limit", "required"},
      {"daily_limit is at least 1", set_mailbox("daily_limit", 0), "mailboxes[0].daily_limit", "from 1 to 1000000"},
      {"daily_limit is at most 1000000", set_mailbox("daily_limit", 1000001), "mailboxes[0].daily_limit",
       "from 1 to 1000000"},
      {"daily_limit is an integer", set_mailbox("daily_limit", 2.5), "mailboxes[0].daily_limit", "expected an integer"},
      {"min_interval is an object", set_mailbox("min_interval", 5), "mailboxes[0].min_interval", "expected an object"},
      {"duration parts are not negative", set_in_mailbox("min_interval", "minutes", -1),
       "mailboxes[0].min_interval.minutes", "from 0"},
      {"durations have only minutes, hours and days", set_in_mailbox("min_interval", "seconds", 30),
       "mailboxes[0].min_interval.seconds", "unknown key"},
      {"duration parts are integers", set_in_mailbox("jitter", "hours", "2"), "mailboxes[0].jitter.hours",
       "expected an integer"},
      {"duration parts are bounded", set_in_mailbox("jitter", "days", 400), "mailboxes[0].jitter.days", "from 0 to 365"},
      {"durations are at most 365 days in all", set_mailbox("jitter", json::parse(R"({"days": 365, "hours": 1})")),
       "mailboxes[0].jitter", "at most 365 days"},
      {"ramp start is at least 1", set_in_mailbox("ramp", "start", 0), "mailboxes[0].ramp.start", "from 1"},
      {"ramp step is not negative", set_in_mailbox("ramp", "step", -1), "mailboxes[0].ramp.step", "from 0"},
      {"ramp step is required", set_mailbox("ramp", json::parse(R"({"start": 10})")), "mailboxes[0].ramp.step",
       "required"},
      {"ramp is an object", set_mailbox("ramp", 10), "mailboxes[0].ramp", "expected an object"},
      {"timezone is an IANA zone", set_mailbox("timezone", "Mars/Olympus_Mons"), "mailboxes[0].timezone",
       "tz database"},
      {"transport has a known scheme", set_mailbox("transport", "http://smtp.acme.example"),
       "mailboxes[0].transport", "expected smtp://host[:port], smtps://host[:port] or outbox:DIR"},
      {"transport names a host", set_mailbox("transport", "smtp://"), "mailboxes[0].transport", "no host"},
      {"transport names a host before its port", set_mailbox("transport", "smtp://:25"), "mailboxes[0].transport",
       "no host"},
      {"transport port is at least 1", set_mailbox("transport", "smtp://smtp.acme.example:0"),
       "mailboxes[0].transport", "1 to 65535"},
      {"transport port is at most 65535", set_mailbox("transport", "smtp://smtp.acme.example:65536"),
       "mailboxes[0].transport", "1 to 65535"},
      {"transport port is a number", set_mailbox("transport", "smtp://smtp.acme.example:smtp"),
       "mailboxes[0].transport", "1 to 65535"},
      {"transport has no user", set_mailbox("transport", "smtp://alice@smtp.acme.example"), "mailboxes[0].transport",
       "username"},
      {"transport host is a host name", set_mailbox("transport", "smtp://smtp_acme!.example"),
       "mailboxes[0].transport", "not a host name"},
      {"outbox names a folder", set_mailbox("transport", "outbox:"), "mailboxes[0].transport", "needs a folder"},
      {"security is tls, starttls or none", set_mailbox("security", "ssl"), "mailboxes[0].security",
       "expected \"tls\", \"starttls\" or \"none\""},
      {"security none is refused for smtps",
       [](json::value& document) {
         first_mailbox(document)["transport"] = "smtps://smtp.acme.example";
         first_mailbox(document)["security"] = "none";
       },
       "mailboxes[0].security", "implicit TLS"},
      {"username is not empty", set_mailbox("username", ""), "mailboxes[0].username", "empty"},
      {"auth is plain, login or xoauth2", set_mailbox("auth", "cram-md5"), "mailboxes[0].auth",
       "expected \"plain\", \"login\" or \"xoauth2\""},
      {"xoauth2 needs token_env", set_mailbox("auth", "xoauth2"), "mailboxes[0].token_env", "required with auth"},
      {"password_env is a variable name", set_mailbox("password_env", "1PASSWORD"), "mailboxes[0].password_env",
       "environment variable name"},
      {"token_env is a variable name", set_mailbox("token_env", "MY-TOKEN"), "mailboxes[0].token_env",
       "environment variable name"},
      {"ca_file is not empty", set_mailbox("ca_file", ""), "mailboxes[0].ca_file", "empty"},
      {"dkim is an object", set_mailbox("dkim", "s1"), "mailboxes[0].dkim", "expected an object"},
      {"dkim domain is required", [](json::value& d) { first_mailbox(d).at("dkim").as_object().erase("domain"); },
       "mailboxes[0].dkim.domain", "required"},
      {"dkim selector is required", [](json::value& d) { first_mailbox(d).at("dkim").as_object().erase("selector"); },
       "mailboxes[0].dkim.selector", "required"},
      {"dkim key_file is required", [](json::value& d) { first_mailbox(d).at("dkim").as_object().erase("key_file"); },
       "mailboxes[0].dkim.key_file", "required"},
      {"dkim domain is a domain", set_in_mailbox("dkim", "domain", "acme!.example"), "mailboxes[0].dkim.domain",
       "not a domain"},
      {"dkim selector is a selector", set_in_mailbox("dkim", "selector", "s 1"), "mailboxes[0].dkim.selector",
       "not a DKIM selector"},
      {"limits are positive", set_in("limits", "sends_per_day", 0), "limits.sends_per_day", "from 1"},
      {"limits are integers", set_in("limits", "new_leads_per_day", "100"), "limits.new_leads_per_day",
       "expected an integer"},
      {"limits is an object", set("limits", 100), "limits", "expected an object"},
      {"stop_on.reply is a boolean", set_in("stop_on", "reply", "yes"), "stop_on.reply", "true or false"},
      {"stop_on.auto_reply is false, true or pause_until_return", set_in("stop_on", "auto_reply", "pause"),
       "stop_on.auto_reply", "\"pause_until_return\""},
      {"stop_on.domain_reply is a boolean", set_in("stop_on", "domain_reply", 1), "stop_on.domain_reply",
       "true or false"},
      {"bounces.soft_limit is at least 1", set_in("bounces", "soft_limit", 0), "bounces.soft_limit", "from 1"},
      {"bounces.pause_rate is more than 0", set_in("bounces", "pause_rate", 0), "bounces.pause_rate", "more than 0"},
      {"bounces.pause_rate is at most 1", set_in("bounces", "pause_rate", 1.5), "bounces.pause_rate", "at most 1"},
      {"bounces.pause_rate is a number", set_in("bounces", "pause_rate", "0.1"), "bounces.pause_rate",
       "expected a number or null"},
      {"bounces.pause_window is at least 1", set_in("bounces", "pause_window", 0), "bounces.pause_window", "from 1"},
      {"delivery is at_most_once or at_least_once", set("delivery", "exactly_once"), "delivery",
       "\"at_most_once\" or \"at_least_once\""},
      {"unsubscribe url is https", set_in("unsubscribe", "url", "http://acme.example/u/{{token}}"), "unsubscribe.url",
       "https://"},
      {"unsubscribe url has no line break", set_in("unsubscribe", "url", "https://acme.example/u\r\nBcc: x@y.example"),
       "unsubscribe.url", "control characters"},
      {"unsubscribe url has only the token placeholder", set_in("unsubscribe", "url", "https://acme.example/u/{{email}}"),
       "unsubscribe.url", "only placeholder"},
      {"unsubscribe url names a host", set_in("unsubscribe", "url", "https:///u"), "unsubscribe.url", "no host"},
      {"a token url needs secret_env", [](json::value& d) { d.at("unsubscribe").as_object().erase("secret_env"); },
       "unsubscribe.secret_env", "required when the url has {{token}}"},
      {"secret_env is a variable name", set_in("unsubscribe", "secret_env", "a secret"), "unsubscribe.secret_env",
       "environment variable name"},
      {"mailto is an address", set_in("unsubscribe", "mailto", "unsubscribe"), "unsubscribe.mailto", "not an address"},
      {"mailto is a plain address", set_in("unsubscribe", "mailto", "Unsubscribe <u@acme.example>"),
       "unsubscribe.mailto", "plain address"},
      {"read_after_last_send is a duration", set("read_after_last_send", 14), "read_after_last_send",
       "expected an object"},
      {"read_after_last_send parts are bounded", set("read_after_last_send", json::parse(R"({"days": 366})")),
       "read_after_last_send.days", "from 0 to 365"},
      {"read_after_last_send is at most 365 days in all",
       set("read_after_last_send", json::parse(R"({"days": 365, "minutes": 1})")), "read_after_last_send",
       "at most 365 days"},
      {"read_after_last_send has only minutes, hours and days",
       set("read_after_last_send", json::parse(R"({"weeks": 2})")), "read_after_last_send.weeks", "unknown key"},
      {"unknown keys are refused", set("owner", "sales"), "owner", "unknown key \"owner\""},
      {"unknown mailbox keys are refused", set_mailbox("signature", "--"), "mailboxes[0].signature", "unknown key"},
  };
  check_each_broken(example_document, cases);
}

namespace {

// The example with imap settings on its first mailbox: the mailbox's SMTP login (username,
// password_env) is there to fall back on.
json::value example_with_imap(json::value imap = json::parse(R"({"url": "imaps://imap.acme.example"})")) {
  json::value document = example_document();
  first_mailbox(document)["imap"] = std::move(imap);
  return document;
}

json::object& first_imap(json::value& document) { return first_mailbox(document).at("imap").as_object(); }

// Settings made in code: the defaults but for the URL and the security.
ImapSettings imap_settings(std::string url, Security security = Security::tls) {
  ImapSettings imap;
  imap.url = std::move(url);
  imap.security = security;
  return imap;
}

}  // namespace

TEST_CASE("a mailbox's imap settings take their defaults and leave the login to the SMTP settings") {
  auto campaign = from_document(example_with_imap());
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  const outreach::Mailbox& alice = campaign->mailboxes.at(0);
  REQUIRE(alice.imap.has_value());
  const ImapSettings& imap = *alice.imap;
  CHECK(imap.url == "imaps://imap.acme.example");
  CHECK(imap.security == Security::tls);
  // Left empty: the reader uses the mailbox's username, password_env, token_env and ca_file.
  CHECK(imap.username.empty());
  CHECK(imap.auth == ImapAuth::best);
  CHECK(imap.password_env.empty());
  CHECK(imap.token_env.empty());
  CHECK(imap.ca_file.empty());
  CHECK(imap.folders == std::vector<std::string>{"INBOX"});
  CHECK(imap.poll_interval == std::chrono::seconds(60));
  CHECK_FALSE(imap.sent_files_submissions);
  CHECK(imap.resend_after == std::chrono::minutes(15));
  CHECK(imap == imap_settings("imaps://imap.acme.example"));
  CHECK(alice.username == "alice@acme.example");
  CHECK(alice.password_env == "ALICE_SMTP_PASSWORD");
}

TEST_CASE("a mailbox's imap settings other than the defaults are read") {
  auto campaign = from_document(example_with_imap(json::parse(R"({
    "url": "imap://imap.acme.example:1143", "security": "starttls", "username": "alice.reader@acme.example",
    "auth": "login", "password_env": "ALICE_IMAP_PASSWORD", "token_env": "ALICE_IMAP_TOKEN",
    "ca_file": "certs/imap-ca.pem", "folders": ["INBOX", "Bounces", "Archives/2026 — Ünïcode", "inbox.old"],
    "poll_seconds": 300, "sent_files_submissions": true, "resend_after_seconds": 3600})")));
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  const ImapSettings& imap = campaign->mailboxes.at(0).imap.value();
  CHECK(imap.url == "imap://imap.acme.example:1143");
  CHECK(imap.security == Security::starttls);
  CHECK(imap.username == "alice.reader@acme.example");
  CHECK(imap.auth == ImapAuth::login);
  CHECK(imap.password_env == "ALICE_IMAP_PASSWORD");
  CHECK(imap.token_env == "ALICE_IMAP_TOKEN");
  CHECK(imap.ca_file == absolute_normal(example_dir / "certs" / "imap-ca.pem"));
  CHECK(imap.folders == std::vector<std::string>{"INBOX", "Bounces", "Archives/2026 — Ünïcode", "inbox.old"});
  CHECK(imap.poll_interval == std::chrono::minutes(5));
  CHECK(imap.sent_files_submissions);
  CHECK(imap.resend_after == std::chrono::hours(1));

  // Each mechanism, xoauth2 on the mailbox's own token, and the bounds of each range.
  for (const auto& [name, auth] : {std::pair{"plain", ImapAuth::plain}, std::pair{"login", ImapAuth::login}}) {
    CAPTURE(name);
    auto read = from_document(example_with_imap(json::object{{"url", "imaps://imap.acme.example"}, {"auth", name}}));
    REQUIRE_MESSAGE(read.has_value(), dump(read.error()));
    CHECK(read->mailboxes[0].imap->auth == auth);
  }
  json::value oauth = example_with_imap(json::parse(R"({"url": "imaps://imap.acme.example", "auth": "xoauth2"})"));
  first_mailbox(oauth)["token_env"] = "ALICE_TOKEN";
  auto with_token = from_document(oauth);
  REQUIRE_MESSAGE(with_token.has_value(), dump(with_token.error()));
  CHECK(with_token->mailboxes[0].imap->auth == ImapAuth::xoauth2);
  CHECK(with_token->mailboxes[0].imap->token_env.empty());

  json::array hundred;
  for (int i = 0; i < 100; ++i) hundred.emplace_back("Folder " + std::to_string(i));
  hundred.emplace_back(std::string(1000, 'f'));
  hundred.erase(hundred.begin());
  auto bounds = from_document(example_with_imap(json::object{{"url", "imaps://imap.acme.example"},
                                                             {"folders", hundred},
                                                             {"poll_seconds", 10},
                                                             {"resend_after_seconds", 60}}));
  REQUIRE_MESSAGE(bounds.has_value(), dump(bounds.error()));
  CHECK(bounds->mailboxes[0].imap->folders.size() == 100);
  CHECK(bounds->mailboxes[0].imap->folders.back() == std::string(1000, 'f'));
  CHECK(bounds->mailboxes[0].imap->poll_interval == std::chrono::seconds(10));
  CHECK(bounds->mailboxes[0].imap->resend_after == std::chrono::seconds(60));
  auto upper = from_document(example_with_imap(json::parse(
      R"({"url": "imaps://imap.acme.example", "poll_seconds": 86400, "resend_after_seconds": 2592000})")));
  REQUIRE_MESSAGE(upper.has_value(), dump(upper.error()));
  CHECK(upper->mailboxes[0].imap->poll_interval == std::chrono::days(1));
  CHECK(upper->mailboxes[0].imap->resend_after == std::chrono::days(30));
}

TEST_CASE("imap URLs: imaps is implicit TLS, imap is STARTTLS unless said otherwise, host[:port] as for SMTP") {
  const UrlForm forms[] = {
      {"imaps://imap.acme.example", "imaps://imap.acme.example", Security::tls},
      {"IMAPS://Imap.Acme.Example:993/", "imaps://imap.acme.example:993", Security::tls},
      {"imap://imap.acme.example", "imap://imap.acme.example", Security::starttls},
      {"Imap://127.0.0.1:1143", "imap://127.0.0.1:1143", Security::starttls},
      {"imap://[::1]:143", "imap://[::1]:143", Security::starttls},
      {"imaps://bücher.example", "imaps://xn--bcher-kva.example", Security::tls},
      {"imap://localhost:65535", "imap://localhost:65535", Security::starttls},
  };
  for (const UrlForm& form : forms) {
    CAPTURE(form.given);
    auto campaign = from_document(example_with_imap(json::object{{"url", form.given}}));
    REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
    CHECK(campaign->mailboxes[0].imap->url == form.stored);
    CHECK(campaign->mailboxes[0].imap->security == form.security);
  }
  for (const auto& [name, security] : {std::pair{"none", Security::none}, std::pair{"tls", Security::tls},
                                       std::pair{"starttls", Security::starttls}}) {
    CAPTURE(name);
    auto campaign =
        from_document(example_with_imap(json::object{{"url", "imap://127.0.0.1:1143"}, {"security", name}}));
    REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
    CHECK(campaign->mailboxes[0].imap->security == security);
  }
  auto tls = from_document(example_with_imap(json::object{{"url", "imaps://imap.acme.example"}, {"security", "tls"}}));
  REQUIRE_MESSAGE(tls.has_value(), dump(tls.error()));
  CHECK(tls->mailboxes[0].imap->security == Security::tls);
}

TEST_CASE("every rule of a mailbox's imap settings broken once is an error at its exact JSON path") {
  const auto set_imap = [](json::value value) {
    return [value](json::value& document) { first_mailbox(document)["imap"] = value; };
  };
  const auto set = [](const char* key, json::value value) {
    return [key, value](json::value& document) { first_imap(document)[key] = value; };
  };
  const auto folders = [](const char* list) {
    return [list](json::value& document) { first_imap(document)["folders"] = json::parse(list); };
  };
  json::array hundred_and_one;
  for (int i = 0; i < 101; ++i) hundred_and_one.emplace_back("F" + std::to_string(i));
  const std::string long_name(1001, 'f');

  const std::vector<Broken> cases = {
      {"imap is an object", set_imap("imaps://imap.acme.example"), "mailboxes[0].imap", "expected an object"},
      {"url is required", set_imap(json::object()), "mailboxes[0].imap.url", "required"},
      {"url is a string", set("url", 993), "mailboxes[0].imap.url", "expected a string"},
      {"url is imap or imaps", set("url", "https://imap.acme.example"), "mailboxes[0].imap.url",
       "expected imaps://host[:port] or imap://host[:port]"},
      {"url is not an SMTP URL", set("url", "smtps://imap.acme.example"), "mailboxes[0].imap.url",
       "expected imaps://host[:port] or imap://host[:port]"},
      {"url names a host", set("url", "imaps://"), "mailboxes[0].imap.url", "no host"},
      {"url names a host before its port", set("url", "imap://:143"), "mailboxes[0].imap.url", "no host"},
      {"url port is at least 1", set("url", "imaps://imap.acme.example:0"), "mailboxes[0].imap.url", "1 to 65535"},
      {"url port is at most 65535", set("url", "imaps://imap.acme.example:65536"), "mailboxes[0].imap.url",
       "1 to 65535"},
      {"url port is a number", set("url", "imap://imap.acme.example:imap"), "mailboxes[0].imap.url", "1 to 65535"},
      {"url has no user", set("url", "imaps://alice@imap.acme.example"), "mailboxes[0].imap.url", "username"},
      {"url has no path", set("url", "imaps://imap.acme.example/INBOX"), "mailboxes[0].imap.url",
       "no user, path or query"},
      {"url host is a host name", set("url", "imaps://imap_acme!.example"), "mailboxes[0].imap.url",
       "not a host name"},
      {"url IPv6 brackets are balanced", set("url", "imap://[::1:143"), "mailboxes[0].imap.url", "unbalanced"},
      {"url has no line break", set("url", "imaps://imap.acme.example\r\n"), "mailboxes[0].imap.url",
       "control characters"},
      {"security is tls, starttls or none", set("security", "ssl"), "mailboxes[0].imap.security",
       "expected \"tls\", \"starttls\" or \"none\""},
      {"starttls is refused for imaps", set("security", "starttls"), "mailboxes[0].imap.security",
       "imaps:// is implicit TLS; \"starttls\" needs an imap:// url"},
      {"none is refused for imaps", set("security", "none"), "mailboxes[0].imap.security",
       "imaps:// is implicit TLS; \"none\" needs an imap:// url"},
      {"username is not empty", set("username", ""), "mailboxes[0].imap.username", "empty"},
      {"username has no control characters", set("username", "alice\n"), "mailboxes[0].imap.username",
       "control characters"},
      {"auth is plain, login or xoauth2", set("auth", "cram-md5"), "mailboxes[0].imap.auth",
       "expected \"plain\", \"login\" or \"xoauth2\""},
      {"xoauth2 needs a token_env, here or in the mailbox", set("auth", "xoauth2"), "mailboxes[0].imap.token_env",
       "required with auth \"xoauth2\""},
      {"password_env is a variable name", set("password_env", "1PASSWORD"), "mailboxes[0].imap.password_env",
       "environment variable name"},
      {"token_env is a variable name", set("token_env", "MY-TOKEN"), "mailboxes[0].imap.token_env",
       "environment variable name"},
      {"ca_file is not empty", set("ca_file", ""), "mailboxes[0].imap.ca_file", "empty"},
      {"a password is refused", set("password", "hunter2"), "mailboxes[0].imap.password", "secrets are not stored"},
      {"a token is refused even when null", set("token", nullptr), "mailboxes[0].imap.token",
       "secrets are not stored"},
      {"folders is an array", set("folders", "INBOX"), "mailboxes[0].imap.folders", "expected an array"},
      {"folders is not empty", folders("[]"), "mailboxes[0].imap.folders", "1 to 100 folders, found 0"},
      {"folders has at most 100 names", set("folders", hundred_and_one), "mailboxes[0].imap.folders",
       "1 to 100 folders, found 101"},
      {"a folder is a string", folders(R"(["INBOX", 7])"), "mailboxes[0].imap.folders[1]",
       "expected a folder name, found an integer"},
      {"a folder is not null", folders(R"(["INBOX", null])"), "mailboxes[0].imap.folders[1]",
       "expected a folder name, found null"},
      {"a folder is not empty", folders(R"(["INBOX", "Bounces", ""])"), "mailboxes[0].imap.folders[2]",
       "must not be empty"},
      {"a folder has at most 1000 bytes", set("folders", json::array{"INBOX", json::string(long_name)}),
       "mailboxes[0].imap.folders[1]", "longer than 1000 bytes"},
      {"a folder has no CR", folders(R"(["INBOX", "Bounces\r"])"), "mailboxes[0].imap.folders[1]",
       "control characters"},
      {"a folder has no LF", folders(R"(["INBOX", "A\nB"])"), "mailboxes[0].imap.folders[1]", "control characters"},
      {"a folder has no NUL", folders(R"(["A\u0000B"])"), "mailboxes[0].imap.folders[0]", "control characters"},
      {"a folder has no C1 control", folders(R"(["A\u0085B"])"), "mailboxes[0].imap.folders[0]",
       "control characters"},
      {"a folder is listed once", folders(R"(["INBOX", "Bounces", "Bounces"])"), "mailboxes[0].imap.folders[2]",
       "already listed at mailboxes[0].imap.folders[1]"},
      {"INBOX is one folder in any case", folders(R"(["INBOX", "Bounces", "Inbox"])"), "mailboxes[0].imap.folders[2]",
       "already listed at mailboxes[0].imap.folders[0]"},
      {"poll_seconds is at least 10", set("poll_seconds", 9), "mailboxes[0].imap.poll_seconds", "from 10 to 86400"},
      {"poll_seconds is at most a day", set("poll_seconds", 86401), "mailboxes[0].imap.poll_seconds",
       "from 10 to 86400"},
      {"poll_seconds is an integer", set("poll_seconds", 1.5), "mailboxes[0].imap.poll_seconds",
       "expected an integer"},
      {"poll_seconds is a number", set("poll_seconds", "60"), "mailboxes[0].imap.poll_seconds", "expected an integer"},
      {"sent_files_submissions is a boolean", set("sent_files_submissions", "yes"),
       "mailboxes[0].imap.sent_files_submissions", "true or false"},
      {"resend_after_seconds is at least a minute", set("resend_after_seconds", 59),
       "mailboxes[0].imap.resend_after_seconds", "from 60 to 2592000"},
      {"resend_after_seconds is at most 30 days", set("resend_after_seconds", 2592001),
       "mailboxes[0].imap.resend_after_seconds", "from 60 to 2592000"},
      {"unknown keys are refused with a suggestion", set("folder", "INBOX"), "mailboxes[0].imap.folder",
       "unknown key \"folder\" (did you mean \"folders\"?)"},
      {"durations are in seconds", set("poll_interval", 60), "mailboxes[0].imap.poll_interval", "unknown key"},
  };
  check_each_broken([] { return example_with_imap(); }, cases);

  // Every folder that breaks a rule is reported, each at its place.
  json::value document = example_with_imap();
  first_imap(document)["folders"] = json::parse(R"(["INBOX", "", "Bounces", "inbox", 1, "Bounces"])");
  auto campaign = from_document(document);
  REQUIRE_FALSE(campaign.has_value());
  INFO(dump(campaign.error()));
  CHECK(has_error(campaign.error(), "mailboxes[0].imap.folders[1]", "empty"));
  CHECK(has_error(campaign.error(), "mailboxes[0].imap.folders[3]", "already listed"));
  CHECK(has_error(campaign.error(), "mailboxes[0].imap.folders[4]", "expected a folder name"));
  CHECK(has_error(campaign.error(), "mailboxes[0].imap.folders[5]", "already listed at mailboxes[0].imap.folders[2]"));
  CHECK(all_errors(campaign.error()).size() == 4);
}

TEST_CASE("a mailbox read on its own takes imap settings, with errors at paths from its root") {
  auto mailbox = outreach::parse_mailbox(R"({"id": "alice", "from": "alice@acme.example",
    "transport": "smtps://smtp.acme.example", "username": "alice@acme.example", "auth": "xoauth2",
    "token_env": "ALICE_TOKEN",
    "imap": {"url": "imaps://imap.acme.example", "auth": "xoauth2", "ca_file": "ca.pem",
             "folders": ["INBOX", "Bounces"]}})",
                                         "/srv/mail");
  REQUIRE_MESSAGE(mailbox.has_value(), dump(mailbox.error()));
  REQUIRE(mailbox->imap.has_value());
  CHECK(mailbox->imap->auth == ImapAuth::xoauth2);
  CHECK(mailbox->imap->ca_file == fs::path("/srv/mail/ca.pem"));
  CHECK(mailbox->imap->folders == std::vector<std::string>{"INBOX", "Bounces"});

  auto broken = outreach::parse_mailbox(R"({"id": "alice", "from": "alice@acme.example",
    "imap": {"url": "imaps://imap.acme.example", "auth": "xoauth2", "security": "none",
             "folders": ["INBOX", "Bounces", "INBOX\r\nA1 DELETE INBOX"], "pol_seconds": 5}})");
  REQUIRE_FALSE(broken.has_value());
  INFO(dump(broken.error()));
  CHECK(has_error(broken.error(), "imap.token_env", "when the mailbox has no token_env"));
  CHECK(has_error(broken.error(), "imap.security", "implicit TLS"));
  CHECK(has_error(broken.error(), "imap.folders[2]", "control characters"));
  CHECK(has_error(broken.error(), "imap.pol_seconds", "did you mean \"poll_seconds\""));
  CHECK(all_errors(broken.error()).size() == 4);
}

TEST_CASE("several broken rules in one file are all reported together, each at its path") {
  json::value document = example_document();
  json::object& root = document.as_object();
  // The file is written elsewhere; its sequence and leads are named by absolute paths.
  root["sequence"] = (example_dir / "sequence.json").string();
  root["leads"] = (example_dir / "leads.csv").string();
  root["name"] = "";
  root["seed"] = -5;
  root["delivery"] = "sometimes";
  json::object& mailbox = first_mailbox(document);
  mailbox["daily_limit"] = 0;
  mailbox["security"] = "ssl";
  mailbox["password"] = "hunter2";
  mailbox["min_interval"] = json::parse(R"({"minutes": -1, "weeks": 1})");
  document.at("bounces").as_object()["pause_rate"] = 2;
  document.at("unsubscribe").as_object()["url"] = "http://acme.example/u";

  const fs::path file = fs::temp_directory_path() / "outreach_test_campaign_several.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << json::serialize(document);
  }
  auto campaign = CampaignDefinition::load(file);
  fs::remove(file);
  REQUIRE_FALSE(campaign.has_value());
  const Error& error = campaign.error();
  INFO(dump(error));
  CHECK(has_error(error, "name", "1 to 200"));
  CHECK(has_error(error, "seed", "non-negative"));
  CHECK(has_error(error, "delivery", "at_most_once"));
  CHECK(has_error(error, "mailboxes[0].daily_limit", "from 1"));
  CHECK(has_error(error, "mailboxes[0].security", "starttls"));
  CHECK(has_error(error, "mailboxes[0].password", "secrets are not stored"));
  CHECK(has_error(error, "mailboxes[0].min_interval.minutes", "from 0"));
  CHECK(has_error(error, "mailboxes[0].min_interval.weeks", "unknown key"));
  CHECK(has_error(error, "bounces.pause_rate", "at most 1"));
  CHECK(has_error(error, "unsubscribe.url", "https://"));
  CHECK(all_errors(error).size() == 10);
  for (const Error& each : all_errors(error)) CHECK(each.where().file == file.string());
}

TEST_CASE("a misspelt key gets a did-you-mean suggestion at every level") {
  json::value document = example_document();
  json::object& root = document.as_object();
  root["sequense"] = root["sequence"];
  root.erase("sequence");
  first_mailbox(document)["daily_limt"] = 40;
  first_mailbox(document).erase("daily_limit");
  document.at("stop_on").as_object()["auto_replay"] = true;
  first_mailbox(document).at("dkim").as_object()["keyfile"] = "x.pem";
  auto campaign = from_document(document);
  REQUIRE_FALSE(campaign.has_value());
  const Error& error = campaign.error();
  INFO(dump(error));
  CHECK(has_error(error, "sequense", "did you mean \"sequence\""));
  CHECK(has_error(error, "mailboxes[0].daily_limt", "did you mean \"daily_limit\""));
  CHECK(has_error(error, "stop_on.auto_replay", "did you mean \"auto_reply\""));
  CHECK(has_error(error, "mailboxes[0].dkim.keyfile", "did you mean \"key_file\""));
  CHECK(error_at(error, "sequense")->code() == Errc::unknown_key);
}

TEST_CASE("an error in the sequence file names that file and its JSON path") {
  const fs::path folder = campaigns_dir / "bad_sequence";
  auto campaign = CampaignDefinition::load(folder / "campaign.json");
  REQUIRE_FALSE(campaign.has_value());
  const Error* typo = error_at(campaign.error(), "steps[0].variants[0].txt");
  REQUIRE_MESSAGE(typo != nullptr, dump(campaign.error()));
  CHECK(typo->message().find("did you mean \"text\"") != std::string::npos);
  CHECK(fs::path(typo->where().file) == (folder / "sequence.json").lexically_normal());
  for (const Error& each : all_errors(campaign.error())) {
    CHECK(fs::path(each.where().file).filename() == "sequence.json");
  }
}

TEST_CASE("a sequence file that is not JSON reports its own file and line") {
  json::value document = example_document();
  document.as_object()["sequence"] = "leads.csv";
  auto campaign = from_document(document);
  REQUIRE_FALSE(campaign.has_value());
  INFO(dump(campaign.error()));
  const Error& error = campaign.error();
  CHECK(error.code() == Errc::parse_error);
  CHECK(fs::path(error.where().file) == example_dir / "leads.csv");
  CHECK(error.where().line == 1);
}

TEST_CASE("secrets in the file are refused with a pointer to the environment variable keys") {
  json::value document = example_document();
  first_mailbox(document)["password"] = "hunter2";
  first_mailbox(document)["token"] = nullptr;
  document.at("unsubscribe").as_object()["secret"] = "s3cr3t";
  auto campaign = from_document(document);
  REQUIRE_FALSE(campaign.has_value());
  const Error& error = campaign.error();
  INFO(dump(error));
  const std::string message =
      "secrets are not stored in campaign files; name an environment variable with password_env/token_env";
  REQUIRE(error_at(error, "mailboxes[0].password") != nullptr);
  CHECK(error_at(error, "mailboxes[0].password")->message() == message);
  REQUIRE(error_at(error, "mailboxes[0].token") != nullptr);
  CHECK(error_at(error, "mailboxes[0].token")->message() == message);
  CHECK(has_error(error, "unsubscribe.secret", "secret_env"));
  CHECK(all_errors(error).size() == 3);
  CHECK(dump(error).find("hunter2") == std::string::npos);
  CHECK(dump(error).find("s3cr3t") == std::string::npos);
}

TEST_CASE("lead rows that are not leads are lead problems, not errors") {
  auto campaign = CampaignDefinition::load(campaigns_dir / "relative" / "campaign.json");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  CHECK(campaign->leads.size() == 2);
  REQUIRE(campaign->lead_problems.size() == 2);
  for (const Error& problem : campaign->lead_problems) {
    CHECK(fs::path(problem.where().file).filename() == "leads.csv");
  }
  CHECK(campaign->lead_problems[0].where().line == 3);
  CHECK(campaign->lead_problems[1].where().line == 5);
}

TEST_CASE("inline leads that are not leads are lead problems with their JSON path") {
  json::value document = example_document();
  document.as_object()["leads"] = json::parse(R"([{"email": "ok@a.example"}, {"email": "nope"}])");
  auto campaign = from_document(document);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  CHECK(campaign->leads.size() == 1);
  REQUIRE(campaign->lead_problems.size() == 1);
  CHECK(campaign->lead_problems[0].where().json_path.rfind("leads[1]", 0) == 0);
}

TEST_CASE("a lead list with no valid row is an error") {
  auto from_file = CampaignDefinition::load(campaigns_dir / "no_valid_lead" / "campaign.json");
  REQUIRE_FALSE(from_file.has_value());
  INFO(dump(from_file.error()));
  CHECK(fs::path(from_file.error().where().file).filename() == "leads.csv");

  json::value document = example_document();
  document.as_object()["leads"] = json::parse(R"([{"email": "nope"}])");
  auto inline_leads = from_document(document);
  REQUIRE_FALSE(inline_leads.has_value());
  for (const Error& each : all_errors(inline_leads.error())) {
    CHECK(each.where().json_path.rfind("leads", 0) == 0);
  }

  document.as_object()["leads"] = json::array();
  auto empty = from_document(document);
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().where().json_path.rfind("leads", 0) == 0);
}

TEST_CASE("a lead list in JSON form is read from a .json file") {
  const fs::path folder = fs::temp_directory_path() / "outreach_test_campaign_json_leads";
  fs::create_directories(folder);
  {
    std::ofstream out(folder / "leads.json", std::ios::binary);
    out << R"([{"email": "jo@lambda.example", "first_name": "Jo"}, {"email": "bad"}])";
  }
  json::value document = example_document();
  document.as_object()["sequence"] = json::parse(read_text(example_dir / "sequence.json"));
  document.as_object()["leads"] = "leads.json";
  auto campaign = from_document(document, folder);
  fs::remove_all(folder);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  REQUIRE(campaign->leads.size() == 1);
  CHECK(campaign->leads[0].first_name == "Jo");
  REQUIRE(campaign->lead_problems.size() == 1);
  CHECK(fs::path(campaign->lead_problems[0].where().file).filename() == "leads.json");
}

TEST_CASE("a lead file object names its file, delimiter, encoding and columns") {
  const fs::path folder = fs::temp_directory_path() / "outreach_test_campaign_lead_file_object";
  fs::create_directories(folder);
  {
    std::ofstream out(folder / "export.csv", std::ios::binary);
    out << "Contact;Given;Note\r\nren\xE9@acme.example;Ren\xE9;a, b\r\n";  // Windows-1252
  }
  json::value document = example_document();
  document.as_object()["sequence"] = json::parse(read_text(example_dir / "sequence.json"));
  document.as_object()["leads"] = json::parse(
      R"({"file": "export.csv", "delimiter": ";", "encoding": "windows-1252",
          "columns": {"email": "Contact", "first_name": "Given"}})");
  auto campaign = from_document(document, folder);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  REQUIRE(campaign->leads.size() == 1);
  CHECK(campaign->leads[0].email == "ren\xC3\xA9@acme.example");
  CHECK(campaign->leads[0].first_name == "Ren\xC3\xA9");
  CHECK(campaign->leads[0].field("Note") == std::optional<std::string_view>("a, b"));
  CHECK(campaign->lead_problems.empty());  // the encoding was named: no warning

  document.as_object()["leads"] = json::parse(
      R"({"file": "export.csv", "delimiter": ":", "columns": {"phone": "Contact", "email": 3}, "sheet": 1})");
  auto wrong = from_document(document, folder);
  fs::remove_all(folder);
  REQUIRE_FALSE(wrong.has_value());
  std::vector<std::string> paths;
  for (const Error& error : all_errors(wrong.error())) paths.push_back(error.where().json_path);
  std::sort(paths.begin(), paths.end());
  CHECK(paths == std::vector<std::string>{"leads.columns.email", "leads.columns.phone", "leads.delimiter", "leads.sheet"});
}

TEST_CASE("a campaign file that cannot be read or parsed names the file") {
  auto missing = CampaignDefinition::load(campaigns_dir / "no-such-campaign.json");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == Errc::not_found);
  CHECK(missing.error().where().file == (campaigns_dir / "no-such-campaign.json").string());

  auto not_json = CampaignDefinition::load(example_dir / "leads.csv");
  REQUIRE_FALSE(not_json.has_value());
  CHECK(not_json.error().code() == Errc::parse_error);
  CHECK(not_json.error().where().file == (example_dir / "leads.csv").string());
  CHECK(not_json.error().where().line == 1);
}

TEST_CASE("hostile input gives clear errors and no crash") {
  SUBCASE("malformed JSON names the line") {
    auto campaign = CampaignDefinition::from_json("{\n  \"name\": \"x\",\n  \"seed\": ,\n}");
    REQUIRE_FALSE(campaign.has_value());
    CHECK(campaign.error().code() == Errc::parse_error);
    CHECK(campaign.error().where().line == 3);
  }
  SUBCASE("empty text and documents that are not objects") {
    for (const char* text : {"", "   ", "null", "[]", "42", "\"campaign\"", "{}"}) {
      CAPTURE(text);
      auto campaign = CampaignDefinition::from_json(text);
      REQUIRE_FALSE(campaign.has_value());
      CHECK_FALSE(campaign.error().message().empty());
    }
    auto array = CampaignDefinition::from_json("[]");
    CHECK(array.error().message().find("expected an object") != std::string::npos);
    auto empty_object = CampaignDefinition::from_json("{}");
    INFO(dump(empty_object.error()));
    for (const char* key : {"name", "sequence", "leads", "schedule", "mailboxes"}) {
      CHECK(has_error(empty_object.error(), key, "required"));
    }
  }
  SUBCASE("invalid UTF-8") {
    auto campaign = CampaignDefinition::from_json("{\"name\": \"caf\xC3\x28\"}");
    REQUIRE_FALSE(campaign.has_value());
    CHECK_FALSE(campaign.error().message().empty());
    auto overlong = CampaignDefinition::from_json("{\"name\": \"\xC0\xAF\", \"mailboxes\": []}");
    REQUIRE_FALSE(overlong.has_value());
  }
  SUBCASE("deep nesting") {
    const std::string deep = "{\"name\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    auto campaign = CampaignDefinition::from_json(deep);
    REQUIRE_FALSE(campaign.has_value());
    CHECK_FALSE(campaign.error().message().empty());
    std::string nested_sequence = "{\"steps\": [{\"variants\": [{\"text\": ";
    nested_sequence += std::string(60, '[') + std::string(60, ']') + "}]}]}";
    json::value document = example_document();
    json::parse_options deep_options;
    deep_options.max_depth = 1000;
    document.as_object()["sequence"] = json::parse(nested_sequence, {}, deep_options);
    auto inline_deep = from_document(document);
    REQUIRE_FALSE(inline_deep.has_value());
  }
  SUBCASE("huge numbers") {
    json::value document = example_document();
    const std::string text = json::serialize(document);
    for (const char* number : {"1e300", "-1e300", "99999999999999999999999", "18446744073709551616",
                               "9223372036854775808", "-9223372036854775809", "1e-300", "4.5"}) {
      CAPTURE(number);
      for (const char* key : {"\"daily_limit\": 40", "\"soft_limit\": 3", "\"seed\": 42", "\"pause_rate\": null",
                              "\"minutes\": 5", "\"step\": 5", "\"sends_per_day\": 300"}) {
        CAPTURE(key);
        std::string changed = text;
        const std::string from(key);
        const std::size_t at = changed.find(from.substr(0, from.find(':') + 1));
        REQUIRE(at != std::string::npos);
        const std::size_t end = changed.find_first_of(",}", at);
        changed.replace(at, end - at, from.substr(0, from.find(':') + 1) + number);
        auto campaign = CampaignDefinition::from_json(changed, example_dir);
        if (!campaign) CHECK_FALSE(campaign.error().message().empty());
      }
    }
    first_mailbox(document)["daily_limit"] = 1e300;
    auto huge = from_document(document);
    REQUIRE_FALSE(huge.has_value());
    CHECK(has_error(huge.error(), "mailboxes[0].daily_limit", "from 1 to 1000000"));
  }
  SUBCASE("wrong types everywhere") {
    const json::value original = example_document();
    std::vector<std::string> pointers;
    std::function<void(const json::value&, const std::string&)> collect = [&](const json::value& value,
                                                                               const std::string& pointer) {
      if (!pointer.empty()) pointers.push_back(pointer);
      if (const json::object* object = value.if_object()) {
        for (const auto& member : *object) collect(member.value(), pointer + "/" + std::string(member.key()));
      } else if (const json::array* array = value.if_array()) {
        for (std::size_t i = 0; i < array->size(); ++i) collect((*array)[i], pointer + "/" + std::to_string(i));
      }
    };
    collect(original, "");
    const json::value replacements[] = {nullptr, true, false, 0, -1, 1.5, "", "x", json::array(), json::object(),
                                        json::parse("[[1, {}]]"), json::parse(R"({"a": [null]})")};
    std::size_t refused = 0;
    for (const std::string& pointer : pointers) {
      for (const json::value& replacement : replacements) {
        json::value document = original;
        document.at_pointer(pointer) = replacement;
        auto campaign = from_document(document);
        if (campaign) continue;
        ++refused;
        for (const Error& each : all_errors(campaign.error())) {
          CAPTURE(pointer);
          CHECK_FALSE(each.message().empty());
          CHECK_FALSE(each.where().empty());
        }
      }
    }
    CHECK(refused > pointers.size());
  }
  SUBCASE("control characters and very long values") {
    json::value document = example_document();
    document.as_object()["sequence"] = json::string("sequence.json\0.txt", 18);
    document.as_object()["name"] = json::string(std::string(1000000, 'x'));
    first_mailbox(document)["username"] = "alice\r\nRCPT TO:<x@y.example>";
    first_mailbox(document)["transport"] = "smtp://smtp.acme.example\r\n:25";
    auto campaign = from_document(document);
    REQUIRE_FALSE(campaign.has_value());
    INFO(dump(campaign.error()));
    CHECK(has_error(campaign.error(), "sequence", "control characters"));
    CHECK(has_error(campaign.error(), "name", "1 to 200"));
    CHECK(has_error(campaign.error(), "mailboxes[0].username", "control characters"));
    CHECK(has_error(campaign.error(), "mailboxes[0].transport", "control characters"));
  }
  SUBCASE("many mailboxes with one id") {
    json::value document = example_document();
    json::array& mailboxes = document.at("mailboxes").as_array();
    const json::value one = mailboxes.at(0);
    for (int i = 0; i < 5000; ++i) mailboxes.push_back(one);
    auto campaign = from_document(document);
    REQUIRE_FALSE(campaign.has_value());
    CHECK(all_errors(campaign.error()).size() == 5000);
    CHECK(has_error(campaign.error(), "mailboxes[5000].id", "already used by mailboxes[0]"));
  }
}

TEST_CASE("a name of 200 characters that are not ASCII is accepted") {
  json::value document = example_document();
  std::string name;
  for (int i = 0; i < 200; ++i) name += "é";
  document.as_object()["name"] = json::string(name);
  auto campaign = from_document(document);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  CHECK(campaign->name == name);
}

// ---- Writing a definition back as JSON ---------------------------------------------------------

namespace {

const fs::path saas_example_dir = fs::path(OUTREACH_SOURCE_DIR) / "docs" / "examples" / "saas-founders";

// Reads a definition back from its JSON with no folder, the root and a folder that does not
// exist: each must give an equal definition that writes the same text again.
void check_round_trip(const CampaignDefinition& campaign) {
  const std::string text = campaign.to_json();
  for (const char* base_dir : {"", "/", "/nonexistent/elsewhere"}) {
    CAPTURE(base_dir);
    auto back = CampaignDefinition::from_json(text, base_dir);
    REQUIRE_MESSAGE(back.has_value(), (dump(back.error()) + text));
    CHECK(back->sequence == campaign.sequence);
    CHECK(back->leads == campaign.leads);
    CHECK(back->schedule == campaign.schedule);
    CHECK(back->mailboxes == campaign.mailboxes);
    CHECK(back->bounces == campaign.bounces);
    CHECK(*back == campaign);
    CHECK(back->lead_problems.empty());
    CHECK(back->to_json() == text);
  }
}

// A campaign with every part inline and most settings away from their defaults, to vary one
// setting at a time.
json::value full_document() {
  return json::parse(R"JSON({
    "name": "Ünïcode campaign ✉",
    "sequence": {
      "name": "three steps",
      "steps": [
        {"variants": [
          {"name": "A", "weight": 3,
           "subject": "{Quick|Short} question about {{company | \"your team\"}}",
           "text": "Hi {{first_name | \"there\"}},\n\n{Saw|Noticed} {{company}} \\{not spintax\\} 100\\|200",
           "html": "<style>p {color: red}</style><p>Hi {{first_name | \"there\"}} — {a|b|{c|d}}</p>"},
          {"weight": 1, "subject": "{{company}} + Acme?", "text": "Hey {{plan | \"friend\"}} ✓"}]},
        {"delay": {"days": 3, "hours": 4, "minutes": 5}, "thread": "reply",
         "variants": [{"text": "Bumping this {up|along}, {{sender.name}}"}]},
        {"delay": {"business_days": 4}, "thread": "new",
         "variants": [{"subject": "Closing the loop", "text": "Bye {{unsubscribe_url}}", "html": "<b>Bye</b>"}]}]},
    "leads": [
      {"email": "maria@brightloop.example", "first_name": "María", "last_name": "Núñez", "company": "Brightloop",
       "title": "CEO & founder", "timezone": "Europe/Madrid", "plan": "pro", "notes": "says \"hi\"\nline two\\",
       "empty": ""},
      {"email": "李@例子.example", "first_name": "小明", "timezone": "Asia/Shanghai", "城市": "上海"},
      {"email": "Zoe@Kappa.example", "company": "Kappa 🚀", "timezone": null}],
    "seed": 7,
    "schedule": {
      "timezone": "America/New_York", "lead_timezone": true,
      "days": ["sun", "mon", "sat"], "hours": ["13:30-17:00", "09:00-12:00", "22:00-24:00"],
      "start": "2026-12-01", "end": "2027-03-31", "skip_dates": ["2026-12-25", "2026-12-24", "2026-12-25"]},
    "mailboxes": [
      {"id": "alice", "from": "\"Doe, Alice \\\"Al\\\" \\\\o/\" <alice@acme.example>", "daily_limit": 40,
       "min_interval": {"minutes": 5}, "jitter": {"hours": 1, "minutes": 30}, "ramp": {"start": 10, "step": 0},
       "timezone": "Europe/Berlin", "transport": "smtp://smtp.acme.example:587", "security": "starttls",
       "username": "alice@acme.example", "auth": "plain", "password_env": "ALICE_SMTP_PASSWORD",
       "ca_file": "/etc/ssl/certs/ca-certificates.crt",
       "dkim": {"domain": "acme.example", "selector": "s1", "key_file": "/keys/dkim-s1.pem"}},
      {"id": "bob", "from": "Bob Ström <bob@bücher.example>", "daily_limit": 1, "min_interval": {"days": 2},
       "ramp": {"start": 1, "step": 3}, "transport": "smtps://mail.acme.example", "auth": "xoauth2",
       "token_env": "BOB_TOKEN"},
      {"id": "carol", "from": "carol@acme.example", "daily_limit": 1000000, "transport": "outbox:/var/mail/out"}],
    "limits": {"new_leads_per_day": 60, "sends_per_day": 150},
    "stop_on": {"reply": false, "auto_reply": "pause_until_return", "bounce": false, "domain_reply": true},
    "bounces": {"soft_limit": 5, "pause_rate": 0.05, "pause_window": 20},
    "delivery": "at_least_once",
    "unsubscribe": {"url": "https://acme.example/u/{{token}}", "mailto": "unsubscribe@acme.example",
                    "secret_env": "ACME_SECRET"}
  })JSON");
}

json::object& mailbox_at(json::value& document, std::size_t index) {
  return document.at("mailboxes").as_array().at(index).as_object();
}

// The smallest campaign the format allows, with a one-step sequence.
CampaignDefinition minimal_campaign() {
  auto campaign = CampaignDefinition::from_json(R"({
    "name": "minimal",
    "sequence": {"steps": [{"variants": [{"subject": "Hi", "text": "Hello {{first_name | \"there\"}}"}]}]},
    "leads": [{"email": "a@b.example"}],
    "schedule": {"timezone": "UTC"},
    "mailboxes": [{"id": "m1", "from": "m1@acme.example", "daily_limit": 5}]
  })");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  return *campaign;
}

}  // namespace

TEST_CASE("the saas-founders example written as JSON reads back equal from any folder") {
  auto campaign = CampaignDefinition::load(saas_example_dir / "campaign.json");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  REQUIRE(campaign->leads.size() == 500);
  check_round_trip(*campaign);

  // Everything is inline and resolved: the text alone rebuilds the campaign.
  const json::value written = json::parse(campaign->to_json());
  auto sequence = outreach::Sequence::load(saas_example_dir / "sequence.json");
  REQUIRE(sequence.has_value());
  CHECK(written.at("sequence") == json::parse(sequence->to_json()));
  CHECK(written.at("leads").as_array().size() == 500);
  const json::object& first_lead = written.at("leads").as_array().at(0).as_object();
  CHECK(first_lead.at("email") == "ana@tidaldesk.example.com");
  CHECK(first_lead.at("first_name") == "Ana");
  CHECK(first_lead.at("timezone") == "America/Chicago");
  CHECK(first_lead.at("plan") == "pro");
  const json::object& alice = written.at("mailboxes").as_array().at(0).as_object();
  CHECK(alice.at("from") == "Alice Doe <alice@acme.example>");
  CHECK(alice.at("min_interval") == json::parse(R"({"minutes": 5})"));
  CHECK(alice.at("transport").as_string() == "outbox:" + absolute_normal(saas_example_dir / "outbox").string());
  CHECK(written.at("schedule").at("start") == "2026-12-01T05:00:00Z");
  CHECK(written.at("schedule").at("end").is_null());
  CHECK(written.at("schedule").at("days") == json::parse(R"(["mon", "tue", "wed", "thu", "fri"])"));
  CHECK(written.at("stop_on").at("auto_reply") == "pause_until_return");
  CHECK(campaign->to_json().find("\"pause_rate\": 0.2,") != std::string::npos);
}

TEST_CASE("the format's example written as JSON keeps every mailbox setting and no secret") {
  auto campaign = CampaignDefinition::load(example_dir / "campaign.json");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  check_round_trip(*campaign);

  const json::value written = json::parse(campaign->to_json());
  const json::object& alice = written.at("mailboxes").as_array().at(0).as_object();
  std::vector<std::string> keys;
  for (const auto& member : alice) keys.emplace_back(member.key());
  CHECK(keys == std::vector<std::string>{"id", "from", "daily_limit", "min_interval", "jitter", "ramp",
                                         "disable_after_failures", "disabled", "timezone", "transport", "security", "username", "auth", "password_env", "token_env",
                                         "ca_file", "dkim", "imap"});
  CHECK(alice.at("imap").is_null());
  CHECK(alice.at("security").as_string() == "starttls");
  CHECK(alice.at("auth").as_string() == "plain");
  CHECK(alice.at("password_env").as_string() == "ALICE_SMTP_PASSWORD");
  CHECK(alice.at("token_env").is_null());
  CHECK(alice.at("dkim").at("key_file").as_string() == absolute_normal(example_dir / "dkim-s1.pem").string());
  CHECK(written.at("unsubscribe") == json::parse(R"({"url": "https://acme.example/u/{{token}}",
    "mailto": "unsubscribe@acme.example", "secret_env": "ACME_UNSUBSCRIBE_SECRET"})"));
}

TEST_CASE("paths resolved at load read back the same with another base_dir") {
  auto campaign = CampaignDefinition::load(campaigns_dir / "relative" / "campaign.json");
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  REQUIRE(campaign->lead_problems.size() == 2);
  check_round_trip(*campaign);
  auto elsewhere = CampaignDefinition::from_json(campaign->to_json(), "/tmp");
  REQUIRE_MESSAGE(elsewhere.has_value(), dump(elsewhere.error()));
  const outreach::Mailbox& mailbox = elsewhere->mailboxes.at(0);
  CHECK(mailbox.transport == "outbox:" + absolute_normal(campaigns_dir / "relative" / "sent" / "mail").string());
  CHECK(mailbox.ca_file == absolute_normal(campaigns_dir / "relative" / "certs" / "ca.pem"));
  CHECK(mailbox.dkim->key_file == absolute_normal(campaigns_dir / "relative" / "keys" / "dkim.pem"));
}

TEST_CASE("lead problems are not written, and the leads that were kept read back without any") {
  json::value document = full_document();
  document.as_object()["leads"] = json::parse(R"([{"email": "ok@a.example"}, {"email": "nope"},
    {"email": "OK@a.example"}, {"email": "tz@a.example", "timezone": "Mars/Olympus_Mons"}])");
  auto campaign = from_document(document);
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  REQUIRE(campaign->leads.size() == 2);
  CHECK(campaign->lead_problems.size() == 3);
  CHECK(campaign->to_json().find("Mars") == std::string::npos);
  CHECK(campaign->to_json().find("nope") == std::string::npos);
  check_round_trip(*campaign);
}

TEST_CASE("every optional field and both forms of each choice read back equal") {
  using Change = std::function<void(json::value&)>;
  const std::vector<std::pair<const char*, Change>> forms = {
      {"the full document as it is", [](json::value&) {}},
      {"auto_reply false",
       [](json::value& d) { d.at("stop_on").as_object()["auto_reply"] = false; }},
      {"auto_reply true",
       [](json::value& d) { d.at("stop_on").as_object()["auto_reply"] = true; }},
      {"every stop rule the other way",
       [](json::value& d) {
         d.as_object()["stop_on"] = json::parse(R"({"reply": true, "bounce": true, "domain_reply": false})");
       }},
      {"delivery at_most_once", [](json::value& d) { d.as_object()["delivery"] = "at_most_once"; }},
      {"no optional campaign setting",
       [](json::value& d) {
         for (const char* key : {"seed", "limits", "stop_on", "bounces", "delivery", "unsubscribe"}) {
           d.as_object().erase(key);
         }
         d.as_object()["schedule"] = json::parse(R"({"timezone": "Asia/Kathmandu"})");
       }},
      {"only one limit",
       [](json::value& d) { d.as_object()["limits"] = json::parse(R"({"sends_per_day": 1000000000})"); }},
      {"the largest seed", [](json::value& d) { d.as_object()["seed"] = json::parse("18446744073709551615"); }},
      {"security none on smtp",
       [](json::value& d) {
         mailbox_at(d, 0)["transport"] = "smtp://127.0.0.1:2525";
         mailbox_at(d, 0)["security"] = "none";
       }},
      {"security tls on smtp", [](json::value& d) { mailbox_at(d, 0)["security"] = "tls"; }},
      {"smtps with tls given", [](json::value& d) { mailbox_at(d, 1)["security"] = "tls"; }},
      {"smtp to an IPv6 host and an IDNA host",
       [](json::value& d) {
         mailbox_at(d, 0)["transport"] = "smtp://[::1]:2525";
         mailbox_at(d, 1)["transport"] = "smtps://bücher.example:465";
       }},
      {"a mailbox with no transport and every setting left out",
       [](json::value& d) {
         json::object& mailbox = mailbox_at(d, 0);
         for (const char* key : {"min_interval", "jitter", "ramp", "timezone", "transport", "security", "username",
                                 "auth", "password_env", "ca_file", "dkim"}) {
           mailbox.erase(key);
         }
       }},
      {"auth login and no auth",
       [](json::value& d) {
         mailbox_at(d, 0)["auth"] = "login";
         mailbox_at(d, 1).erase("auth");
       }},
      {"long and mixed durations",
       [](json::value& d) {
         mailbox_at(d, 0)["min_interval"] = json::parse(R"({"days": 365})");
         mailbox_at(d, 0)["jitter"] = json::parse(R"({"minutes": 1501})");
         mailbox_at(d, 1)["jitter"] = json::parse(R"({"days": 1, "hours": 25, "minutes": 61})");
       }},
      {"start and end as instants with milliseconds",
       [](json::value& d) {
         d.at("schedule").as_object()["start"] = "2026-12-01T14:03:12.250Z";
         d.at("schedule").as_object()["end"] = "2027-01-01T00:00:00.001Z";
       }},
      {"a start on a date whose midnight does not exist",
       [](json::value& d) {
         d.at("schedule").as_object()["timezone"] = "America/Havana";
         d.at("schedule").as_object()["start"] = "2027-03-14";
       }},
      {"no start and an open end",
       [](json::value& d) {
         d.at("schedule").as_object().erase("start");
         d.at("schedule").as_object()["end"] = nullptr;
       }},
      {"no skipped dates, every day, lead zones off",
       [](json::value& d) {
         json::object& schedule = d.at("schedule").as_object();
         schedule.erase("skip_dates");
         schedule["lead_timezone"] = false;
         schedule["days"] = json::parse(R"(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])");
         schedule["hours"] = json::parse(R"(["00:00-24:00"])");
       }},
      {"no pause rate", [](json::value& d) { d.at("bounces").as_object()["pause_rate"] = nullptr; }},
      {"pause rate 1", [](json::value& d) { d.at("bounces").as_object()["pause_rate"] = 1; }},
      {"pause rate of sixteen digits",
       [](json::value& d) { d.at("bounces").as_object()["pause_rate"] = json::parse("0.3333333333333333"); }},
      {"pause rate 0.1 + 0.2, of seventeen digits",
       [](json::value& d) { d.at("bounces").as_object()["pause_rate"] = 0.1 + 0.2; }},
      {"pause rate near zero", [](json::value& d) { d.at("bounces").as_object()["pause_rate"] = 1e-9; }},
      {"unsubscribe by mailto only",
       [](json::value& d) { d.as_object()["unsubscribe"] = json::parse(R"({"mailto": "u@acme.example"})"); }},
      {"unsubscribe url without a token",
       [](json::value& d) {
         d.as_object()["unsubscribe"] = json::parse(R"({"url": "https://acme.example/unsubscribe?x=1&y=%20"})");
       }},
      {"imap with every setting",
       [](json::value& d) {
         mailbox_at(d, 0)["imap"] = json::parse(R"({"url": "imap://imap.acme.example:1143", "security": "none",
           "username": "alice.reader@acme.example", "auth": "login", "password_env": "ALICE_IMAP_PASSWORD",
           "token_env": "ALICE_IMAP_TOKEN", "ca_file": "/etc/ssl/imap-ca.pem",
           "folders": ["INBOX", "Bounces", "Ünïcode/Ärchive", "x\\y \"quoted\""], "poll_seconds": 86400,
           "sent_files_submissions": true, "resend_after_seconds": 2592000})");
       }},
      {"imap with only a url, on each mailbox",
       [](json::value& d) {
         mailbox_at(d, 0)["imap"] = json::parse(R"({"url": "imaps://imap.acme.example"})");
         mailbox_at(d, 1)["imap"] = json::parse(R"({"url": "imap://[::1]"})");
         mailbox_at(d, 2)["imap"] = json::parse(R"({"url": "IMAPS://Bücher.example:993/"})");
       }},
      {"imap over xoauth2 with the SMTP token, and tls on imap://",
       [](json::value& d) {
         mailbox_at(d, 1)["imap"] = json::parse(R"({"url": "imap://imap.acme.example", "security": "tls",
           "auth": "xoauth2", "poll_seconds": 10, "resend_after_seconds": 60})");
       }},
      {"imap with tls given on imaps and plain auth",
       [](json::value& d) {
         mailbox_at(d, 0)["imap"] = json::parse(R"({"url": "imaps://imap.acme.example", "security": "tls",
           "auth": "plain", "folders": ["Inbox"]})");
       }},
      {"read_after_last_send of none", [](json::value& d) { d.as_object()["read_after_last_send"] = json::object(); }},
      {"read_after_last_send of a year",
       [](json::value& d) { d.as_object()["read_after_last_send"] = json::parse(R"({"days": 365})"); }},
      {"read_after_last_send mixed",
       [](json::value& d) {
         d.as_object()["read_after_last_send"] = json::parse(R"({"days": 1, "hours": 36, "minutes": 61})");
       }},
      {"one lead with nothing but an address",
       [](json::value& d) { d.as_object()["leads"] = json::parse(R"([{"email": "only@one.example"}])"); }},
      {"a sequence with a single plain step",
       [](json::value& d) {
         d.as_object()["sequence"] = json::parse(R"({"steps": [{"variants": [{"subject": "s", "text": "t"}]}]})");
       }},
  };
  for (const auto& [description, change] : forms) {
    CAPTURE(description);
    json::value document = full_document();
    change(document);
    auto campaign = from_document(document, "/nonexistent/base");
    REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
    check_round_trip(*campaign);
  }
}

TEST_CASE("pause rates of up to 15 significant digits read back exactly") {
  CampaignDefinition campaign = minimal_campaign();
  std::mt19937_64 generator(20261201);
  for (int i = 0; i < 2000; ++i) {
    // A share in (0, 1] written with 1 to 15 significant digits, as a person would.
    const int digits = 1 + i % 15;
    std::uint64_t mantissa = 0;
    for (int d = 0; d < digits; ++d) mantissa = mantissa * 10 + generator() % 10;
    if (mantissa == 0) mantissa = 1;
    const std::string significant = std::to_string(mantissa);
    const std::string zeros(static_cast<std::size_t>(digits) - significant.size(), '0');
    const std::string text = "0." + zeros + significant;
    json::value document = json::parse(campaign.to_json());
    document.at("bounces").as_object()["pause_rate"] = json::parse(text);
    auto read = CampaignDefinition::from_json(json::serialize(document));
    REQUIRE_MESSAGE(read.has_value(), dump(read.error()));
    auto back = CampaignDefinition::from_json(read->to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CAPTURE(text);
    CHECK(back->bounces.pause_rate == read->bounces.pause_rate);
    CHECK(back->to_json() == read->to_json());
  }
}

TEST_CASE("the full document reads back with its unicode, spintax and html intact") {
  auto campaign = from_document(full_document());
  REQUIRE_MESSAGE(campaign.has_value(), dump(campaign.error()));
  auto back = CampaignDefinition::from_json(campaign->to_json());
  REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
  CHECK(back->name == "Ünïcode campaign ✉");
  CHECK(back->leads.at(0).field("notes") == "says \"hi\"\nline two\\");
  CHECK(back->leads.at(0).field("empty") == "");
  CHECK(back->leads.at(1).email == "李@例子.example");
  CHECK(back->leads.at(1).field("城市") == "上海");
  CHECK(back->leads.at(1).timezone == "Asia/Shanghai");
  CHECK(back->leads.at(2).email == "Zoe@Kappa.example");
  CHECK(back->mailboxes.at(0).from.name == "Doe, Alice \"Al\" \\o/");
  CHECK(back->mailboxes.at(1).from.name == "Bob Ström");
  CHECK(back->mailboxes.at(1).security == Security::tls);
  REQUIRE(back->sequence.steps().at(0).variants.at(0).html.has_value());
  CHECK(back->sequence.steps().at(0).variants.at(0).html->source() ==
        "<style>p {color: red}</style><p>Hi {{first_name | \"there\"}} — {a|b|{c|d}}</p>");
  CHECK(back->sequence.steps().at(2).delay.business_days == 4);
  CHECK(back->schedule.skip_dates.size() == 2);
  CHECK(back->schedule.hours.front().start == std::chrono::hours(9));
  CHECK(back->schedule.hours.back().end == std::chrono::hours(24));
}

TEST_CASE("to_json gives byte-identical text for equal definitions") {
  auto first = CampaignDefinition::load(saas_example_dir / "campaign.json");
  auto second = CampaignDefinition::load(saas_example_dir / "campaign.json");
  REQUIRE_MESSAGE(first.has_value(), dump(first.error()));
  REQUIRE_MESSAGE(second.has_value(), dump(second.error()));
  const std::string text = first->to_json();
  CHECK(first->to_json() == text);
  CHECK(second->to_json() == text);
  const CampaignDefinition copy = *first;
  CHECK(copy.to_json() == text);
  CHECK(text.back() == '\n');

  // The form is part of the contract: a store compares definitions by this text.
  CHECK(minimal_campaign().to_json() == R"({
  "name": "minimal",
  "sequence": {
    "name": "",
    "steps": [
      {
        "delay": {},
        "thread": "new",
        "variants": [
          {
            "name": "A",
            "weight": 1,
            "subject": "Hi",
            "text": "Hello {{first_name | \"there\"}}"
          }
        ]
      }
    ]
  },
  "leads": [
    {
      "email": "a@b.example"
    }
  ],
  "seed": 0,
  "schedule": {
    "timezone": "UTC",
    "lead_timezone": false,
    "days": [
      "mon",
      "tue",
      "wed",
      "thu",
      "fri",
      "sat",
      "sun"
    ],
    "hours": [
      "00:00-24:00"
    ],
    "start": null,
    "end": null,
    "skip_dates": []
  },
  "mailboxes": [
    {
      "id": "m1",
      "from": "m1@acme.example",
      "daily_limit": 5,
      "min_interval": {},
      "jitter": {},
      "ramp": null,
      "disable_after_failures": 10,
      "disabled": false,
      "timezone": null,
      "transport": null,
      "security": "starttls",
      "username": null,
      "auth": null,
      "password_env": null,
      "token_env": null,
      "ca_file": null,
      "dkim": null,
      "imap": null
    }
  ],
  "limits": {
    "new_leads_per_day": null,
    "sends_per_day": null
  },
  "stop_on": {
    "reply": true,
    "auto_reply": false,
    "bounce": true,
    "domain_reply": false
  },
  "bounces": {
    "soft_limit": 3,
    "pause_rate": null,
    "pause_window": 100
  },
  "delivery": "at_most_once",
  "unsubscribe": {
    "url": null,
    "mailto": null,
    "secret_env": null
  },
  "read_after_last_send": {
    "days": 14
  },
  "reassign_follow_ups": false
}
)");
}

TEST_CASE("every part of a definition but lead_problems takes part in its equality") {
  const CampaignDefinition base = minimal_campaign();
  CHECK(base == minimal_campaign());
  const auto other_sequence =
      outreach::Sequence::from_json(R"({"steps": [{"variants": [{"subject": "x", "text": "y"}]}]})");
  REQUIRE(other_sequence.has_value());
  using Change = std::function<void(CampaignDefinition&)>;
  const std::vector<std::pair<const char*, Change>> changes = {
      {"name", [](CampaignDefinition& c) { c.name = "other"; }},
      {"sequence", [&](CampaignDefinition& c) { c.sequence = *other_sequence; }},
      {"a lead's custom field", [](CampaignDefinition& c) { c.leads[0].custom.emplace_back("plan", "pro"); }},
      {"seed", [](CampaignDefinition& c) { c.seed = 1; }},
      {"schedule days", [](CampaignDefinition& c) { c.schedule.days[0] = false; }},
      {"schedule zone",
       [](CampaignDefinition& c) { c.schedule.timezone = *outreach::TimeZone::locate("Europe/Paris"); }},
      {"schedule start", [](CampaignDefinition& c) { c.schedule.start = outreach::Instant{}; }},
      {"a mailbox's jitter", [](CampaignDefinition& c) { c.mailboxes[0].jitter = std::chrono::minutes(1); }},
      {"limits", [](CampaignDefinition& c) { c.limits.sends_per_day = 9; }},
      {"stop rules", [](CampaignDefinition& c) { c.stop_on.auto_reply = AutoReplyRule::stop; }},
      {"bounces", [](CampaignDefinition& c) { c.bounces.pause_rate = 0.5; }},
      {"delivery", [](CampaignDefinition& c) { c.delivery = Delivery::at_least_once; }},
      {"unsubscribe", [](CampaignDefinition& c) { c.unsubscribe.mailto = "u@acme.example"; }},
      {"read_after_last_send", [](CampaignDefinition& c) { c.read_after_last_send = std::chrono::days(15); }},
      {"reassign_follow_ups", [](CampaignDefinition& c) { c.reassign_follow_ups = true; }},
      {"a mailbox's disable_after_failures", [](CampaignDefinition& c) { c.mailboxes[0].disable_after_failures = 0; }},
      {"a mailbox's disabled", [](CampaignDefinition& c) { c.mailboxes[0].disabled = true; }},
      {"a mailbox's imap", [](CampaignDefinition& c) { c.mailboxes[0].imap = imap_settings("imaps://i.example"); }},
      {"a mailbox's imap folders",
       [](CampaignDefinition& c) {
         c.mailboxes[0].imap = imap_settings("imaps://i.example");
         c.mailboxes[0].imap->folders.emplace_back("Bounces");
       }},
  };
  for (const auto& [part, change] : changes) {
    CAPTURE(part);
    CampaignDefinition changed = base;
    change(changed);
    CHECK_FALSE(changed == base);
    CHECK(changed != base);
    CHECK(changed.to_json() != base.to_json());
  }
  CampaignDefinition with_problems = base;
  with_problems.lead_problems.emplace_back(Errc::invalid_value, "a row left out");
  CHECK(with_problems == base);
  CHECK(with_problems.to_json() == base.to_json());
}

TEST_CASE("what the file format cannot say is written in its closest form") {
  CampaignDefinition campaign = minimal_campaign();
  outreach::Mailbox& mailbox = campaign.mailboxes.at(0);

  SUBCASE("spacing with part of a minute is rounded up to whole minutes") {
    mailbox.min_interval = std::chrono::seconds(90);
    mailbox.jitter = std::chrono::milliseconds(1);
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("mailboxes").at(0).at("min_interval") == json::parse(R"({"minutes": 2})"));
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(back->mailboxes[0].min_interval == std::chrono::minutes(2));
    CHECK(back->mailboxes[0].jitter == std::chrono::minutes(1));
    mailbox.min_interval = std::chrono::minutes(2);
    mailbox.jitter = std::chrono::minutes(1);
    CHECK(*back == campaign);
  }

  SUBCASE("a relative path is written as it stands and read against the reader's folder") {
    mailbox.ca_file = "certs/ca.pem";
    mailbox.dkim = outreach::DkimSettings{"acme.example", "s1", "keys/dkim.pem"};
    mailbox.transport = "outbox:sent";
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("mailboxes").at(0).at("ca_file") == "certs/ca.pem");
    CHECK(written.at("mailboxes").at(0).at("dkim").at("key_file") == "keys/dkim.pem");
    CHECK(written.at("mailboxes").at(0).at("transport") == "outbox:sent");
    auto back = CampaignDefinition::from_json(campaign.to_json(), "/srv/campaigns");
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(back->mailboxes[0].ca_file == fs::path("/srv/campaigns/certs/ca.pem"));
    CHECK(back->mailboxes[0].dkim->key_file == fs::path("/srv/campaigns/keys/dkim.pem"));
    CHECK(back->mailboxes[0].transport == "outbox:/srv/campaigns/sent");
  }

  SUBCASE("an smtps transport is implicit TLS whatever security was set") {
    mailbox.transport = "smtps://mail.acme.example";
    mailbox.security = Security::starttls;
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("mailboxes").at(0).at("security").is_null());
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(back->mailboxes[0].security == Security::tls);
  }

  SUBCASE("an imaps url is implicit TLS whatever security was set") {
    mailbox.imap = imap_settings("imaps://imap.acme.example", Security::none);
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("mailboxes").at(0).at("imap").at("security").is_null());
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(back->mailboxes[0].imap->security == Security::tls);
  }

  SUBCASE("imap settings are written in full, in the order they are read") {
    mailbox.imap = imap_settings("imap://imap.acme.example", Security::starttls);
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("mailboxes").at(0).at("imap") == json::parse(R"({"url": "imap://imap.acme.example",
      "security": "starttls", "username": null, "auth": null, "password_env": null, "token_env": null,
      "ca_file": null, "folders": ["INBOX"], "poll_seconds": 60, "sent_files_submissions": false,
      "resend_after_seconds": 900})"));
    std::vector<std::string> keys;
    for (const auto& member : written.at("mailboxes").at(0).at("imap").as_object()) keys.emplace_back(member.key());
    CHECK(keys == std::vector<std::string>{"url", "security", "username", "auth", "password_env", "token_env",
                                           "ca_file", "folders", "poll_seconds", "sent_files_submissions",
                                           "resend_after_seconds"});
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(*back == campaign);
  }

  SUBCASE("read_after_last_send with part of a minute is rounded up to whole minutes") {
    campaign.read_after_last_send = std::chrono::seconds(90);
    CHECK(json::parse(campaign.to_json()).at("read_after_last_send") == json::parse(R"({"minutes": 2})"));
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(back->read_after_last_send == std::chrono::minutes(2));
  }

  SUBCASE("imap settings that break a rule are written as they are and refused on reading") {
    mailbox.imap = imap_settings("imaps://imap.acme.example");
    mailbox.imap->folders.clear();
    mailbox.imap->poll_interval = std::chrono::seconds(1);
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("mailboxes").at(0).at("imap").at("folders") == json::array());
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_FALSE(back.has_value());
    CHECK(has_error(back.error(), "mailboxes[0].imap.folders", "1 to 100 folders"));
    CHECK(has_error(back.error(), "mailboxes[0].imap.poll_seconds", "from 10"));
  }

  SUBCASE("custom fields a lead list cannot give are left out, the lead is kept") {
    campaign.leads[0].custom = {{"plan", "pro"}, {"", "no name"}, {"Company", "a known name"}, {"plan", "again"}};
    const json::value written = json::parse(campaign.to_json());
    CHECK(written.at("leads").at(0) == json::parse(R"({"email": "a@b.example", "plan": "pro"})"));
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    REQUIRE(back->leads.size() == 1);
    CHECK(back->leads[0].custom == std::vector<std::pair<std::string, std::string>>{{"plan", "pro"}});
  }

  SUBCASE("a pause rate of 17 digits that the JSON reader cannot produce reads back as a neighbour") {
    // Boost.JSON 1.81 reads no decimal as exactly this double (it lands one unit in the last
    // place on either side). Rates of at most 15 significant digits read back exactly.
    const double rate = 0.36130268965844164;
    campaign.bounces.pause_rate = rate;
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    REQUIRE(back->bounces.pause_rate.has_value());
    CHECK(*back->bounces.pause_rate == doctest::Approx(rate).epsilon(1e-15));
    CHECK(campaign.to_json().find("\"pause_rate\": 0.36130268965844164,") != std::string::npos);
  }

  SUBCASE("a lead time zone the tz database does not know is dropped on reading") {
    campaign.leads[0].timezone = "Mars/Olympus_Mons";
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_MESSAGE(back.has_value(), dump(back.error()));
    CHECK(back->leads[0].timezone.empty());
    CHECK(back->lead_problems.size() == 1);
  }

  SUBCASE("a definition that breaks a rule of the format is refused on reading") {
    campaign.leads.clear();
    CHECK(json::parse(campaign.to_json()).at("leads") == json::array());
    auto back = CampaignDefinition::from_json(campaign.to_json());
    REQUIRE_FALSE(back.has_value());
    CHECK(back.error().where().json_path == "leads");
  }
}

TEST_CASE("ab_test: off when absent, defaults for what it leaves out, every setting read and written back") {
  json::value document = example_document();
  auto off = from_document(document);
  REQUIRE_MESSAGE(off.has_value(), dump(off.error()));
  CHECK_FALSE(off->ab_test.has_value());
  CHECK(json::parse(off->to_json()).as_object().if_contains("ab_test") == nullptr);

  document.as_object()["ab_test"] = json::object();
  auto defaults = from_document(document);
  REQUIRE_MESSAGE(defaults.has_value(), dump(defaults.error()));
  REQUIRE(defaults->ab_test.has_value());
  CHECK(*defaults->ab_test == AbTestSettings{});
  CHECK(defaults->ab_test->min_sends == 100);
  CHECK(defaults->ab_test->confidence == 0.95);
  CHECK(defaults->ab_test->reply_window == std::chrono::days(3));
  CHECK_FALSE(defaults->ab_test->guardrails.bounce_rate.has_value());

  document.as_object()["ab_test"] = json::parse(R"({"metric": "reply_rate", "min_sends": 250, "confidence": 0.99,
      "reply_window": {"days": 5, "hours": 12}, "guardrails": {"bounce_rate": 0.05, "unsubscribe_rate": 0.02,
      "complaint_rate": 0.002}})");
  auto set = from_document(document);
  REQUIRE_MESSAGE(set.has_value(), dump(set.error()));
  CHECK(set->ab_test->min_sends == 250);
  CHECK(set->ab_test->confidence == 0.99);
  CHECK(set->ab_test->reply_window == std::chrono::days(5) + std::chrono::hours(12));
  CHECK(set->ab_test->guardrails == AbGuardrails{0.05, 0.02, 0.002});
  check_round_trip(*set);
  CHECK(json::parse(set->to_json()).at("ab_test") == json::parse(R"({"metric": "reply_rate", "min_sends": 250,
      "confidence": 0.99, "reply_window": {"days": 5, "hours": 12}, "guardrails": {"bounce_rate": 0.05,
      "unsubscribe_rate": 0.02, "complaint_rate": 0.002}})"));
}

TEST_CASE("ab_test: each broken rule is one error at its path") {
  const auto with = [](const char* ab_test) {
    return [ab_test](json::value& document) { document.as_object()["ab_test"] = json::parse(ab_test); };
  };
  check_each_broken(example_document, {
      {"an unknown metric", with(R"({"metric": "open_rate"})"), "ab_test.metric", "reply_rate"},
      {"no sends", with(R"({"min_sends": 0})"), "ab_test.min_sends", ""},
      {"a confidence of 1", with(R"({"confidence": 1})"), "ab_test.confidence", "0.5 to 0.999"},
      {"a confidence as text", with(R"({"confidence": "high"})"), "ab_test.confidence", "0.5 to 0.999"},
      {"an empty reply window", with(R"({"reply_window": {}})"), "ab_test.reply_window", "1 minute to 365 days"},
      {"a rate over 1", with(R"({"guardrails": {"bounce_rate": 1.5}})"), "ab_test.guardrails.bounce_rate",
       "at most 1"},
      {"an unknown guardrail", with(R"({"guardrails": {"spam_rate": 0.1}})"), "ab_test.guardrails.spam_rate", ""},
      {"an unknown key", with(R"({"winner": "A"})"), "ab_test.winner", ""},
  });
}
