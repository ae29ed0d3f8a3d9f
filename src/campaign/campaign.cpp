#include "outreach/campaign.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <tuple>
#include <utility>

#include "util/ascii.hpp"
#include "util/json_reader.hpp"
#include "campaign/lead_json.hpp"
#include "campaign/mailbox_json.hpp"
#include "campaign/schedule_json.hpp"
#include "campaign/sequence_json.hpp"
#include "util/utf8.hpp"
#include "outreach/address.hpp"
#include "outreach/lead_list.hpp"

namespace outreach {

namespace json = boost::json;
namespace fs = std::filesystem;

using detail::ErrorList;
using detail::ObjectReader;
using detail::problem;

namespace {

constexpr std::size_t max_name_length = 200;  // characters (code points)
constexpr std::int64_t max_campaign_cap = 1000000000;
constexpr std::int64_t max_soft_limit = 1000;
constexpr std::int64_t max_pause_window = 1000000;
constexpr std::int64_t max_ab_min_sends = 1000000000;
constexpr std::size_t max_url_length = 2000;
constexpr std::string_view token_placeholder = "{{token}}";

// Adds an error and each of the errors travelling with it, one by one, so that every one of
// them gets its own place in the list.
void add_each(ErrorList& list, const Error& error) {
  list.add(Error(error.code(), error.message(), error.where()));
  for (const Error& other : error.others()) list.add(Error(other.code(), other.message(), other.where()));
}

void append_each(std::vector<Error>& list, const Error& error) {
  list.emplace_back(error.code(), error.message(), error.where());
  for (const Error& other : error.others()) list.emplace_back(other.code(), other.message(), other.where());
}

// A campaign being read: a `CampaignDefinition` has no default sequence, so it is made once
// every part is known.
struct Draft {
  std::string name;
  std::optional<Sequence> sequence;
  std::vector<Lead> leads;
  std::vector<Error> lead_problems;
  std::uint64_t seed = 0;
  Schedule schedule;
  std::vector<Mailbox> mailboxes;
  CampaignLimits limits;
  StopRules stop_on;
  BounceRules bounces;
  Delivery delivery = Delivery::at_most_once;
  UnsubscribeSettings unsubscribe;
  std::optional<std::chrono::seconds> read_after_last_send;  // the definition's default when not given
  bool reassign_follow_ups = false;
  TrackingSettings tracking;
  std::optional<AbTestSettings> ab_test;
};

// Reads one campaign document. Its own errors are kept one per JSON path; the errors of the
// sequence and lead files it names are kept apart, since their JSON paths are in other
// documents and may coincide with the campaign's.
class CampaignReader {
 public:
  CampaignReader(fs::path base_dir, std::string file_name)
      : base_dir_(std::move(base_dir)), file_name_(std::move(file_name)) {}

  expected<CampaignDefinition> read(const json::value& document) {
    Draft campaign;
    ObjectReader reader(document, "", errors_);
    read_name(reader, campaign);
    read_sequence(reader, campaign);
    read_leads(reader, campaign);
    read_seed(reader, campaign);
    read_schedule(reader, campaign);
    read_mailboxes(reader, campaign);
    read_limits(reader, campaign);
    read_stop_rules(reader, campaign);
    read_bounces(reader, campaign);
    read_delivery(reader, campaign);
    read_unsubscribe(reader, campaign);
    read_after_last_send(reader, campaign);
    read_tracking(reader, campaign);
    read_ab_test(reader, campaign);
    if (const auto reassign = reader.boolean("reassign_follow_ups")) campaign.reassign_follow_ups = *reassign;
    reader.reject_unknown_keys();
    if (!errors_.empty() || !elsewhere_.empty() || !campaign.sequence) return fail(combined());
    CampaignDefinition definition{std::move(campaign.name),      std::move(*campaign.sequence),
                                  std::move(campaign.leads),     std::move(campaign.lead_problems),
                                  campaign.seed,                 std::move(campaign.schedule),
                                  std::move(campaign.mailboxes), campaign.limits,
                                  campaign.stop_on,              campaign.bounces,
                                  campaign.delivery,             std::move(campaign.unsubscribe)};
    if (campaign.read_after_last_send) definition.read_after_last_send = *campaign.read_after_last_send;
    definition.reassign_follow_ups = campaign.reassign_follow_ups;
    definition.tracking = std::move(campaign.tracking);
    definition.ab_test = campaign.ab_test;
    return definition;
  }

 private:
  // A file named in the campaign, as it is opened: relative to the campaign's folder, kept
  // relative when that folder is, so that errors name it as the user would.
  [[nodiscard]] fs::path file_to_read(std::string_view name) const {
    const fs::path relative{std::string(name)};
    return (base_dir_.empty() ? relative : base_dir_ / relative).lexically_normal();
  }

  // The file name member at `key`, or nothing (with the error) when it cannot name a file.
  std::optional<fs::path> named_file(ObjectReader& reader, std::string_view key, const json::value& value) {
    const std::string text(value.get_string());
    if (text.empty()) {
      errors_.add(problem("expected a file name, found an empty string", reader.path(key)));
      return std::nullopt;
    }
    if (auto bad = detail::control_character_problem(text)) {
      errors_.add(problem(std::move(*bad), reader.path(key)));
      return std::nullopt;
    }
    return file_to_read(text);
  }

  // Keeps the errors of a file the campaign names. A file that is missing or unreadable is the
  // campaign's problem, reported at the key that names it.
  void file_failed(ObjectReader& reader, std::string_view key, const fs::path& file, const Error& error) {
    const bool unreadable = (error.code() == Errc::not_found || error.code() == Errc::io_error) &&
                            error.where().json_path.empty() && !error.where().line && error.others().empty();
    if (unreadable) {
      errors_.add(Error(error.code(), error.message() + ": " + file.string(), Location::at(reader.path(key))));
    } else {
      append_each(elsewhere_, error);
    }
  }

  void read_name(ObjectReader& reader, Draft& campaign) {
    auto name = reader.string("name", true);
    if (!name) return;
    const std::size_t length = detail::code_point_offset(*name, name->size());
    if (name->empty() || length > max_name_length) {
      errors_.add(problem("a name is 1 to " + std::to_string(max_name_length) + " characters, found " +
                              std::to_string(length),
                          reader.path("name")));
    } else if (auto bad = detail::control_character_problem(*name)) {
      errors_.add(problem(std::move(*bad), reader.path("name")));
    } else {
      campaign.name = std::move(*name);
    }
  }

  void read_sequence(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("sequence");
    if (!value) {
      if (reader.is_object()) errors_.add(problem("required", reader.path("sequence")));
      return;
    }
    if (value->is_string()) {
      const auto file = named_file(reader, "sequence", *value);
      if (!file) return;
      auto sequence = Sequence::load(*file);
      if (sequence) {
        campaign.sequence = std::move(*sequence);
      } else {
        file_failed(reader, "sequence", *file, sequence.error());
      }
    } else if (value->is_object()) {
      auto sequence = detail::sequence_from_json(*value, reader.path("sequence"));
      if (sequence) {
        campaign.sequence = std::move(*sequence);
      } else {
        add_each(errors_, sequence.error());
      }
    } else {
      errors_.add(problem("expected a file name or a sequence object, found " + std::string(detail::describe_type(*value)),
                          reader.path("sequence")));
    }
  }

  void read_leads(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("leads");
    if (!value) {
      if (reader.is_object()) errors_.add(problem("required", reader.path("leads")));
      return;
    }
    expected<LeadList> list = fail(Errc::internal, "no lead list was read");
    if (value->is_string()) {
      const auto file = named_file(reader, "leads", *value);
      if (!file) return;
      list = load_lead_list(*file);
      if (!list) {
        file_failed(reader, "leads", *file, list.error());
        return;
      }
    } else if (value->is_object()) {
      ObjectReader object(*value, reader.path("leads"), errors_);
      const json::value* file_value = object.find("file");
      std::optional<LeadListFormat> format = read_lead_list_format(object);
      object.reject_unknown_keys();
      if (file_value == nullptr || !file_value->is_string()) {
        errors_.add(problem(file_value == nullptr ? "required"
                                                  : "expected a file name, found " +
                                                        std::string(detail::describe_type(*file_value)),
                            object.path("file")));
        return;
      }
      const auto file = named_file(object, "file", *file_value);
      if (!file || !format) return;
      list = load_lead_list(*file, *format);
      if (!list) {
        file_failed(object, "file", *file, list.error());
        return;
      }
    } else if (value->is_array()) {
      list = detail::lead_list_from_json(*value, reader.path("leads"), file_name_);
      if (!list) {
        add_each(errors_, list.error());
        return;
      }
    } else {
      errors_.add(problem("expected a file name, a lead file object or an array of leads, found " +
                              std::string(detail::describe_type(*value)),
                          reader.path("leads")));
      return;
    }
    campaign.leads = std::move(list->leads);
    // What concerns the whole list (a guessed encoding) is said first, with the rows' problems.
    campaign.lead_problems = std::move(list->layout.notes);
    for (Error& problem : list->problems) campaign.lead_problems.push_back(std::move(problem));
  }

  // How to read the lead file of the object form: `delimiter`, `encoding`, `columns`; nothing
  // (with the errors) when one of them is wrong.
  std::optional<LeadListFormat> read_lead_list_format(ObjectReader& object) {
    LeadListFormat format;
    bool valid = true;
    if (auto delimiter = object.string("delimiter")) {
      if (*delimiter == "," || *delimiter == ";" || *delimiter == "|" || *delimiter == "\t" || *delimiter == "tab") {
        format.delimiter = *delimiter == "tab" ? '\t' : (*delimiter)[0];
      } else {
        errors_.add(problem("expected \",\", \";\", \"|\" or \"tab\", found " + detail::quoted_excerpt(*delimiter),
                            object.path("delimiter")));
        valid = false;
      }
    }
    if (auto encoding = object.string("encoding")) format.encoding = std::move(*encoding);
    if (const json::value* columns = object.find("columns")) {
      if (!columns->is_object()) {
        errors_.add(problem("expected an object of field names and headers, found " +
                                std::string(detail::describe_type(*columns)),
                            object.path("columns")));
        return std::nullopt;
      }
      for (const auto& member : columns->get_object()) {
        const std::string where = detail::path_key(object.path("columns"), member.key());
        if (detail::lead_field_named(member.key()) == detail::LeadField::custom) {
          errors_.add(problem("not a lead field (email, first_name, last_name, company, title, timezone)", where));
          valid = false;
        } else if (!member.value().is_string() || member.value().get_string().empty()) {
          errors_.add(problem("expected the header of a column", where));
          valid = false;
        } else {
          format.columns.emplace_back(std::string(member.key()), std::string(member.value().get_string()));
        }
      }
    }
    if (!valid) return std::nullopt;
    return format;
  }

  void read_seed(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("seed");
    if (!value) return;
    constexpr double largest_exact_double = 9007199254740992.0;  // 2^53
    if (value->is_uint64()) {
      campaign.seed = value->get_uint64();
    } else if (value->is_int64() && value->get_int64() >= 0) {
      campaign.seed = static_cast<std::uint64_t>(value->get_int64());
    } else if (value->is_double() && value->get_double() >= 0 && value->get_double() <= largest_exact_double &&
               std::floor(value->get_double()) == value->get_double()) {
      campaign.seed = static_cast<std::uint64_t>(value->get_double());
    } else if (value->is_number()) {
      errors_.add(problem("must be a non-negative integer (at most 2^64 - 1)", reader.path("seed")));
    } else {
      errors_.add(problem("expected a non-negative integer, found " + std::string(detail::describe_type(*value)),
                          reader.path("seed")));
    }
  }

  void read_schedule(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("schedule");
    if (!value) {
      if (reader.is_object()) errors_.add(problem("required", reader.path("schedule")));
      return;
    }
    campaign.schedule = detail::schedule_from_json(*value, reader.path("schedule"), errors_);
  }

  void read_mailboxes(ObjectReader& reader, Draft& campaign) {
    const std::string path = reader.path("mailboxes");
    const json::value* value = reader.find("mailboxes");
    if (!value) {
      if (reader.is_object()) errors_.add(problem("required: at least one mailbox", path));
      return;
    }
    const json::array* array = value->if_array();
    if (!array) {
      errors_.add(problem("expected an array of mailboxes, found " + std::string(detail::describe_type(*value)), path));
      return;
    }
    if (array->empty()) {
      errors_.add(problem("at least one mailbox is required", path));
      return;
    }
    std::map<std::string, std::size_t, std::less<>> first_with_id;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string mailbox_path = detail::path_index(path, i);
      Mailbox mailbox = detail::mailbox_from_json((*array)[i], mailbox_path, base_dir_, errors_);
      if (!mailbox.id.empty()) {
        const auto [earlier, inserted] = first_with_id.try_emplace(mailbox.id, i);
        if (!inserted) {
          errors_.add(problem("the id \"" + mailbox.id + "\" is already used by " + detail::path_index(path, earlier->second),
                              detail::path_key(mailbox_path, "id")));
        }
      }
      campaign.mailboxes.push_back(std::move(mailbox));
    }
  }

  void read_limits(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("limits");
    if (!value) return;
    ObjectReader limits(*value, reader.path("limits"), errors_);
    campaign.limits.new_leads_per_day = limits.integer("new_leads_per_day", 1, max_campaign_cap);
    campaign.limits.sends_per_day = limits.integer("sends_per_day", 1, max_campaign_cap);
    limits.reject_unknown_keys();
  }

  void read_stop_rules(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("stop_on");
    if (!value) return;
    ObjectReader stop_on(*value, reader.path("stop_on"), errors_);
    StopRules& rules = campaign.stop_on;
    if (auto reply = stop_on.boolean("reply")) rules.reply = *reply;
    if (const json::value* auto_reply = stop_on.find("auto_reply")) {
      if (auto_reply->is_bool()) {
        rules.auto_reply = auto_reply->get_bool() ? AutoReplyRule::stop : AutoReplyRule::ignore;
      } else if (auto_reply->is_string() && auto_reply->get_string() == "pause_until_return") {
        rules.auto_reply = AutoReplyRule::pause_until_return;
      } else {
        errors_.add(problem("expected false, true or \"pause_until_return\"", stop_on.path("auto_reply")));
      }
    }
    if (auto bounce = stop_on.boolean("bounce")) rules.bounce = *bounce;
    if (auto domain_reply = stop_on.boolean("domain_reply")) rules.domain_reply = *domain_reply;
    stop_on.reject_unknown_keys();
  }

  void read_bounces(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("bounces");
    if (!value) return;
    ObjectReader bounces(*value, reader.path("bounces"), errors_);
    BounceRules& rules = campaign.bounces;
    if (auto soft_limit = bounces.integer("soft_limit", 1, max_soft_limit)) rules.soft_limit = *soft_limit;
    if (const json::value* rate = bounces.find("pause_rate")) {
      if (!rate->is_number()) {
        errors_.add(problem("expected a number or null, found " + std::string(detail::describe_type(*rate)),
                            bounces.path("pause_rate")));
      } else if (const double share = rate->to_number<double>(); share > 0 && share <= 1) {
        rules.pause_rate = share;
      } else {
        errors_.add(problem("must be more than 0 and at most 1 (a share of the sends), or null for no pause",
                            bounces.path("pause_rate")));
      }
    }
    if (auto window = bounces.integer("pause_window", 1, max_pause_window)) rules.pause_window = *window;
    bounces.reject_unknown_keys();
  }

  void read_delivery(ObjectReader& reader, Draft& campaign) {
    auto delivery = reader.string("delivery");
    if (!delivery) return;
    if (*delivery == "at_most_once") {
      campaign.delivery = Delivery::at_most_once;
    } else if (*delivery == "at_least_once") {
      campaign.delivery = Delivery::at_least_once;
    } else {
      errors_.add(problem("expected \"at_most_once\" or \"at_least_once\"", reader.path("delivery")));
    }
  }

  // The one-click URL: https, ASCII, nothing that could break out of `<...>` in a header, and
  // no placeholder other than {{token}}.
  static std::optional<std::string> url_problem(std::string_view url) {
    if (url.size() > max_url_length) return "longer than " + std::to_string(max_url_length) + " bytes";
    if (!detail::is_ascii(url)) return "must be ASCII (percent-encode other characters)";
    for (const char c : url) {
      if (c <= ' ' || c == 0x7F || c == '<' || c == '>' || c == '"') {
        return "must not contain spaces, control characters, '<', '>' or '\"'";
      }
    }
    constexpr std::string_view scheme = "https://";
    if (url.size() < scheme.size() || !detail::iequals_ascii(url.substr(0, scheme.size()), scheme)) {
      return "must start with https://";
    }
    if (url.size() == scheme.size() || url[scheme.size()] == '/') return "names no host after https://";
    for (std::size_t at = url.find("{{"); at != std::string_view::npos; at = url.find("{{", at + 2)) {
      if (url.substr(at, token_placeholder.size()) != token_placeholder) {
        return "the only placeholder allowed in the url is {{token}}";
      }
    }
    return std::nullopt;
  }

  void read_tracking(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("tracking");
    if (!value) return;
    ObjectReader tracking(*value, reader.path("tracking"), errors_);
    TrackingSettings& settings = campaign.tracking;
    if (auto host = tracking.string("host")) {
      std::string_view url = *host;
      while (url.ends_with('/')) url.remove_suffix(1);
      if (auto bad = url_problem(url)) {
        errors_.add(problem(std::move(*bad), tracking.path("host")));
      } else if (url.find_first_of("?#{") != std::string_view::npos) {
        errors_.add(problem("expected https://HOST or https://HOST/PATH, without a query or a placeholder",
                            tracking.path("host")));
      } else {
        settings.host = std::string(url);
      }
    }
    if (const auto opens = tracking.boolean("opens")) settings.opens = *opens;
    if (const auto clicks = tracking.boolean("clicks")) settings.clicks = *clicks;
    tracking.reject_unknown_keys();
    if ((settings.opens || settings.clicks) && settings.host.empty() && !tracking.has("host")) {
      errors_.add(problem("required when opens or clicks are tracked: the https:// host the pixel and the links point at",
                          tracking.path("host")));
    }
    if ((settings.opens || settings.clicks) && campaign.unsubscribe.secret_env.empty()) {
      errors_.add(problem("tracking needs unsubscribe.secret_env: its secret seals the tracking links too",
                          tracking.path(settings.opens ? "opens" : "clicks")));
    }
  }

  void read_unsubscribe(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("unsubscribe");
    if (!value) return;
    ObjectReader unsubscribe(*value, reader.path("unsubscribe"), errors_);
    UnsubscribeSettings& settings = campaign.unsubscribe;
    if (auto url = unsubscribe.string("url")) {
      if (auto bad = url_problem(*url)) {
        errors_.add(problem(std::move(*bad), unsubscribe.path("url")));
      } else {
        settings.url = std::move(*url);
      }
    }
    if (auto mailto = unsubscribe.string("mailto")) {
      auto address = Address::parse(*mailto);
      if (!address) {
        errors_.add(Error(address.error().code(), "not an address: " + address.error().message(),
                          Location::at(unsubscribe.path("mailto"))));
      } else if (!address->name.empty()) {
        errors_.add(problem("expected a plain address such as unsubscribe@example.com, without a name",
                            unsubscribe.path("mailto")));
      } else {
        settings.mailto = std::move(address->email);
      }
    }
    if (auto secret_env = detail::environment_variable_member(unsubscribe, "secret_env")) {
      settings.secret_env = std::move(*secret_env);
    }
    if (const json::value* previous = unsubscribe.find("previous_secret_envs")) {
      const std::string path = unsubscribe.path("previous_secret_envs");
      if (const json::array* names = previous->if_array()) {
        for (std::size_t i = 0; i < names->size(); ++i) {
          const json::string* name = (*names)[i].if_string();
          if (!name || !detail::is_environment_variable_name(*name)) {
            errors_.add(problem("not an environment variable name (letters, digits and '_', not starting with a digit)",
                                path + "[" + std::to_string(i) + "]"));
          } else {
            settings.previous_secret_envs.emplace_back(*name);
          }
        }
      } else {
        errors_.add(problem("expected a list of environment variable names", path));
      }
    }
    if (settings.url.find(token_placeholder) != std::string::npos && settings.secret_env.empty()) {
      errors_.add(problem("required when the url has {{token}}: the environment variable with the secret "
                          "that signs the tokens",
                          unsubscribe.path("secret_env")));
    }
    if (const json::object* object = value->if_object()) {
      for (const std::string_view key : {std::string_view("secret"), std::string_view("token")}) {
        if (!object->contains(key)) continue;
        static_cast<void>(unsubscribe.find(key));
        errors_.add(problem("secrets are not stored in campaign files; name an environment variable with secret_env",
                            unsubscribe.path(key)));
      }
    }
    unsubscribe.reject_unknown_keys();
  }

  // A share of the sends, more than 0 and at most 1, or null for none.
  std::optional<double> read_share(ObjectReader& reader, std::string_view key) {
    const json::value* value = reader.find(key);
    if (!value || value->is_null()) return std::nullopt;
    if (value->is_number()) {
      if (const double share = value->to_number<double>(); share > 0 && share <= 1) return share;
    }
    errors_.add(problem(value->is_number() ? "must be more than 0 and at most 1 (a share of the sends), or null"
                                           : "expected a number or null, found " + std::string(detail::describe_type(*value)),
                        reader.path(key)));
    return std::nullopt;
  }

  void read_ab_test(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("ab_test");
    if (!value || value->is_null()) return;
    ObjectReader test(*value, reader.path("ab_test"), errors_);
    AbTestSettings settings;
    if (auto metric = test.string("metric"); metric && *metric != "reply_rate") {
      errors_.add(problem("expected \"reply_rate\" (the only metric so far)", test.path("metric")));
    }
    if (auto min_sends = test.integer("min_sends", 1, max_ab_min_sends)) settings.min_sends = *min_sends;
    if (const json::value* confidence = test.find("confidence")) {
      const bool fits = confidence->is_number() && confidence->to_number<double>() >= 0.5 &&
                        confidence->to_number<double>() <= 0.999;
      if (fits) {
        settings.confidence = confidence->to_number<double>();
      } else {
        errors_.add(problem("must be a number from 0.5 to 0.999", test.path("confidence")));
      }
    }
    if (const json::value* window = test.find("reply_window")) {
      const auto length = std::chrono::duration_cast<std::chrono::seconds>(
          detail::duration_from_json(*window, test.path("reply_window"), errors_));
      if (length < std::chrono::minutes(1) || length > std::chrono::days(365)) {
        errors_.add(problem("must be from 1 minute to 365 days", test.path("reply_window")));
      } else {
        settings.reply_window = length;
      }
    }
    if (const json::value* rails = test.find("guardrails"); rails && !rails->is_null()) {
      ObjectReader guardrails(*rails, test.path("guardrails"), errors_);
      settings.guardrails.bounce_rate = read_share(guardrails, "bounce_rate");
      settings.guardrails.unsubscribe_rate = read_share(guardrails, "unsubscribe_rate");
      settings.guardrails.complaint_rate = read_share(guardrails, "complaint_rate");
      guardrails.reject_unknown_keys();
    }
    test.reject_unknown_keys();
    campaign.ab_test = settings;
  }

  void read_after_last_send(ObjectReader& reader, Draft& campaign) {
    const json::value* value = reader.find("read_after_last_send");
    if (!value) return;
    campaign.read_after_last_send = std::chrono::duration_cast<std::chrono::seconds>(
        detail::duration_from_json(*value, reader.path("read_after_last_send"), errors_));
  }

  // The campaign's own errors (with the campaign file), then those of the files it names.
  [[nodiscard]] Error combined() const {
    std::vector<Error> all;
    if (!errors_.empty()) {
      Error own = errors_.combined();
      if (!file_name_.empty()) own = own.in_file(file_name_);
      append_each(all, own);
    }
    all.insert(all.end(), elsewhere_.begin(), elsewhere_.end());
    if (all.empty()) all.emplace_back(Errc::internal, "the campaign has no sequence", Location::in(file_name_));
    Error first = all.front();
    for (std::size_t i = 1; i < all.size(); ++i) first.add_other(all[i]);
    return first;
  }

  fs::path base_dir_;
  std::string file_name_;
  ErrorList errors_;
  std::vector<Error> elsewhere_;
};

expected<CampaignDefinition> read_campaign(const json::value& document, const fs::path& base_dir,
                                           const std::string& file_name) {
  // Nothing is thrown on purpose; this only keeps an allocation failure from crossing the API.
  try {
    return CampaignReader(base_dir, file_name).read(document);
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string("while reading the campaign: ") + e.what(), Location::in(file_name));
  }
}

// Text, or null for the empty text by which the settings say "not set".
json::value text_or_null(const std::string& text) { return text.empty() ? json::value(nullptr) : json::value(text); }

json::value count_or_null(const std::optional<std::int64_t>& count) {
  return count ? json::value(*count) : json::value(nullptr);
}

json::value auto_reply_to_json(AutoReplyRule rule) {
  switch (rule) {
    case AutoReplyRule::stop: return true;
    case AutoReplyRule::pause_until_return: return "pause_until_return";
    case AutoReplyRule::ignore: break;
  }
  return false;
}

std::string_view delivery_name(Delivery delivery) {
  return delivery == Delivery::at_least_once ? "at_least_once" : "at_most_once";
}

}  // namespace

std::string CampaignDefinition::to_json() const {
  json::array lead_array;
  lead_array.reserve(leads.size());
  for (const Lead& lead : leads) lead_array.emplace_back(detail::lead_to_json(lead));
  json::array mailbox_array;
  mailbox_array.reserve(mailboxes.size());
  for (const Mailbox& mailbox : mailboxes) mailbox_array.emplace_back(detail::mailbox_to_json(mailbox));

  // Keys in the order of the format's example (docs/formats.md), so that the text reads like a campaign file.
  json::object out;
  out["name"] = name;
  out["sequence"] = detail::sequence_to_json(sequence);
  out["leads"] = std::move(lead_array);
  out["seed"] = seed;
  out["schedule"] = detail::schedule_to_json(schedule);
  out["mailboxes"] = std::move(mailbox_array);
  out["limits"] = json::object{{"new_leads_per_day", count_or_null(limits.new_leads_per_day)},
                               {"sends_per_day", count_or_null(limits.sends_per_day)}};
  out["stop_on"] = json::object{{"reply", stop_on.reply},
                                {"auto_reply", auto_reply_to_json(stop_on.auto_reply)},
                                {"bounce", stop_on.bounce},
                                {"domain_reply", stop_on.domain_reply}};
  const json::value pause_rate = bounces.pause_rate ? json::value(*bounces.pause_rate) : json::value(nullptr);
  out["bounces"] = json::object{
      {"soft_limit", bounces.soft_limit}, {"pause_rate", pause_rate}, {"pause_window", bounces.pause_window}};
  out["delivery"] = delivery_name(delivery);
  out["unsubscribe"] = json::object{{"url", text_or_null(unsubscribe.url)},
                                    {"mailto", text_or_null(unsubscribe.mailto)},
                                    {"secret_env", text_or_null(unsubscribe.secret_env)}};
  if (!unsubscribe.previous_secret_envs.empty()) {  // written when set, so older definitions read back the same
    out["unsubscribe"].as_object()["previous_secret_envs"] =
        json::array(unsubscribe.previous_secret_envs.begin(), unsubscribe.previous_secret_envs.end());
  }
  out["read_after_last_send"] = detail::duration_to_json(read_after_last_send);
  out["reassign_follow_ups"] = reassign_follow_ups;
  if (tracking != TrackingSettings{}) {  // written when set, so older definitions read back the same
    out["tracking"] = json::object{{"host", text_or_null(tracking.host)}, {"opens", tracking.opens}, {"clicks", tracking.clicks}};
  }
  if (ab_test) {  // written when set, so older definitions read back the same
    const auto share = [](const std::optional<double>& rate) { return rate ? json::value(*rate) : json::value(nullptr); };
    out["ab_test"] = json::object{
        {"metric", "reply_rate"},
        {"min_sends", ab_test->min_sends},
        {"confidence", ab_test->confidence},
        {"reply_window", detail::duration_to_json(ab_test->reply_window)},
        {"guardrails", json::object{{"bounce_rate", share(ab_test->guardrails.bounce_rate)},
                                    {"unsubscribe_rate", share(ab_test->guardrails.unsubscribe_rate)},
                                    {"complaint_rate", share(ab_test->guardrails.complaint_rate)}}}};
  }
  return detail::to_pretty_json(out);
}

bool operator==(const CampaignDefinition& a, const CampaignDefinition& b) {
  // Every member but lead_problems, in declaration order: a member added to the definition
  // belongs here too.
  const auto defined = [](const CampaignDefinition& c) {
    return std::tie(c.name, c.sequence, c.leads, c.seed, c.schedule, c.mailboxes, c.limits, c.stop_on, c.bounces,
                    c.delivery, c.unsubscribe, c.read_after_last_send, c.reassign_follow_ups, c.tracking, c.ab_test);
  };
  return defined(a) == defined(b);
}

expected<CampaignDefinition> CampaignDefinition::from_json(std::string_view json_text, const fs::path& base_dir) {
  auto document = detail::parse_json(json_text);
  if (!document) return fail(document.error());
  return read_campaign(*document, base_dir, "");
}

expected<CampaignDefinition> CampaignDefinition::load(const fs::path& path) {
  auto document = detail::load_json_file(path);
  if (!document) return fail(document.error());
  return read_campaign(*document, path.parent_path(), path.string());
}

}  // namespace outreach
