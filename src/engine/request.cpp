// Requests and their answers as the JSON a store keeps, and asking through a store.
#include "outreach/request.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <thread>

#include "campaign/lead_json.hpp"
#include "outreach/suppression_list.hpp"
#include "util/json_reader.hpp"

namespace outreach {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 13> action_names{"pause",     "resume",          "stop",          "suppress",
                                                        "unsuppress", "forget",         "add_leads",     "update",
                                                        "disable_mailbox", "enable_mailbox", "unsubscribe", "open",
                                                        "click"};

// The requests about one lead of a campaign: `campaign` and exactly one address.
constexpr bool names_lead(RequestAction action) noexcept {
  return action == RequestAction::unsubscribe || action == RequestAction::open || action == RequestAction::click;
}
constexpr bool is_tracking(RequestAction action) noexcept {
  return action == RequestAction::open || action == RequestAction::click;
}

constexpr bool names_mailbox(RequestAction action) noexcept {
  return action == RequestAction::disable_mailbox || action == RequestAction::enable_mailbox;
}

constexpr bool names_campaign(RequestAction action) noexcept {
  return action == RequestAction::pause || action == RequestAction::resume || action == RequestAction::stop ||
         action == RequestAction::add_leads || action == RequestAction::update;
}

// The leads of an `add_leads` request: each must be a lead (the request is refused otherwise,
// naming it); repeated addresses are the engine's to count.
void read_leads(detail::ObjectReader& reader, Request& request, detail::ErrorList& errors) {
  const std::string path = reader.path("leads");
  const json::value* leads = reader.find("leads");
  if (!leads || !leads->is_array() || leads->as_array().empty()) {
    errors.add(detail::problem("a list of one or more leads is needed", path));
    return;
  }
  request.leads.reserve(leads->as_array().size());
  for (std::size_t i = 0; i < leads->as_array().size(); ++i) {
    auto lead = detail::lead_from_json(leads->as_array()[i], detail::path_index(path, i));
    if (!lead) {
      errors.add(lead.error());
    } else {
      request.leads.push_back(std::move(*lead));
    }
  }
}

// The code of a name `to_string(Errc)` gives.
std::optional<Errc> errc_named(std::string_view name) {
  for (int code = static_cast<int>(Errc::invalid_argument); code <= static_cast<int>(Errc::internal); ++code) {
    if (to_string(static_cast<Errc>(code)) == name) return static_cast<Errc>(code);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(RequestAction action) noexcept { return action_names[static_cast<std::size_t>(action)]; }

std::string to_json(const Request& request) {
  json::object out;
  out["action"] = to_string(request.action);
  if (names_mailbox(request.action)) {
    out["mailbox"] = request.mailbox;
  } else if (names_campaign(request.action)) {
    out["campaign"] = request.campaign;
    if (request.action == RequestAction::add_leads) {
      json::array leads;
      leads.reserve(request.leads.size());
      for (const Lead& lead : request.leads) leads.emplace_back(detail::lead_to_json(lead));
      out["leads"] = std::move(leads);
    } else if (request.action == RequestAction::update) {
      // An object, for people reading the store, without leads: they are not read, and a
      // store keeps no more of an address than it needs (forget).
      boost::system::error_code error;
      json::value definition = json::parse(request.definition, error);
      if (!error && definition.is_object()) definition.as_object().erase("leads");
      out["definition"] = error ? json::value(request.definition) : std::move(definition);
      if (request.edit_steps) out["edit_steps"] = true;
    }
  } else {
    if (names_lead(request.action)) out["campaign"] = request.campaign;
    json::array addresses;
    for (const std::string& address : request.addresses) addresses.emplace_back(address);
    out["addresses"] = std::move(addresses);
    if (request.action == RequestAction::suppress) out["reason"] = request.reason;
    if (is_tracking(request.action)) {
      out["step"] = request.step;
      if (request.action == RequestAction::click) out["url"] = request.url;
      if (request.suspect) {
        out["suspect"] = true;
        out["reason"] = request.reason;
      }
    }
  }
  return json::serialize(out);
}

expected<Request> request_from_json(std::string_view text) {
  auto parsed = detail::parse_json(text, "request");
  if (!parsed) return fail(parsed.error());
  detail::ErrorList errors;
  detail::ObjectReader reader(*parsed, "", errors);
  Request request;
  if (const auto action = reader.string("action", true)) {
    const auto* found = std::find(action_names.begin(), action_names.end(), *action);
    if (found == action_names.end()) {
      errors.add(detail::problem("\"" + *action + "\" is not a request this engine knows", reader.path("action")));
    } else {
      request.action = static_cast<RequestAction>(found - action_names.begin());
    }
  }
  if (errors.empty() && names_mailbox(request.action)) {
    if (auto mailbox = detail::text_member(reader, "mailbox", true)) request.mailbox = std::move(*mailbox);
  } else if (errors.empty() && names_campaign(request.action)) {
    if (auto campaign = detail::text_member(reader, "campaign", true)) request.campaign = std::move(*campaign);
    if (request.action == RequestAction::add_leads) read_leads(reader, request, errors);
    if (request.action == RequestAction::update) {
      if (const json::value* definition = reader.find("definition"); definition && definition->is_object()) {
        request.definition = json::serialize(*definition);
      } else {
        errors.add(detail::problem("the changed campaign is needed, as a JSON object", reader.path("definition")));
      }
      if (const auto edit_steps = reader.boolean("edit_steps")) request.edit_steps = *edit_steps;
    }
  } else if (errors.empty()) {
    if (names_lead(request.action)) {
      if (auto campaign = detail::text_member(reader, "campaign", true)) request.campaign = std::move(*campaign);
    }
    if (is_tracking(request.action)) {
      if (const auto step = reader.integer("step", 1, 255, true)) request.step = static_cast<int>(*step);
      if (request.action == RequestAction::click) {
        if (auto url = reader.string("url", true)) request.url = std::move(*url);
      }
      if (const auto suspect = reader.boolean("suspect")) request.suspect = *suspect;
      if (auto reason = reader.string("reason")) request.reason = std::move(*reason);
    }
    const std::string path = reader.path("addresses");
    const json::value* addresses = reader.find("addresses");
    if (!addresses || !addresses->is_array() || addresses->as_array().empty()) {
      errors.add(detail::problem("a list of one or more addresses is needed", path));
    } else if ((request.action == RequestAction::forget || names_lead(request.action)) &&
               addresses->as_array().size() != 1) {
      errors.add(detail::problem(std::string(to_string(request.action)) + " takes one address", path));
    } else {
      for (std::size_t i = 0; i < addresses->as_array().size(); ++i) {
        const json::value& item = addresses->as_array()[i];
        auto address = item.is_string() ? suppression_address(std::string_view(item.as_string()))
                                        : fail(Errc::invalid_value, "an address is a string");
        if (!address) {
          errors.add(detail::problem(address.error().message(), detail::path_index(path, i)));
        } else {
          request.addresses.push_back(std::move(*address));
        }
      }
    }
    if (request.action == RequestAction::suppress) {
      if (auto reason = detail::text_member(reader, "reason")) request.reason = std::move(*reason);
    }
  }
  reader.reject_unknown_keys();
  if (!errors.empty()) return fail(errors.combined());
  return request;
}

std::string to_json(const RequestAnswer& answer) {
  json::object out;
  out["applied"] = answer.applied;
  out["message"] = answer.message;
  if (answer.error) out["error"] = to_string(*answer.error);
  out["sends_before"] = answer.sends_before;
  out["changed"] = answer.changed;
  if (answer.already_in) out["already_in"] = answer.already_in;
  if (answer.suppressed) out["suppressed"] = answer.suppressed;
  if (!answer.changes.empty()) {
    json::array changes;
    for (const std::string& change : answer.changes) changes.emplace_back(change);
    out["changes"] = std::move(changes);
  }
  return json::serialize(out);
}

expected<RequestAnswer> request_answer_from_json(std::string_view text) {
  auto parsed = detail::parse_json(text, "answer");
  if (!parsed) return fail(parsed.error());
  detail::ErrorList errors;
  detail::ObjectReader reader(*parsed, "", errors);
  RequestAnswer answer;
  answer.applied = reader.boolean("applied", true).value_or(false);
  answer.message = reader.string("message", true).value_or("");
  if (auto error = reader.string("error")) answer.error = errc_named(*error).value_or(Errc::internal);
  answer.sends_before = reader.integer("sends_before", 0, INT64_MAX).value_or(0);
  answer.changed = reader.integer("changed", 0, INT64_MAX).value_or(0);
  answer.already_in = reader.integer("already_in", 0, INT64_MAX).value_or(0);
  answer.suppressed = reader.integer("suppressed", 0, INT64_MAX).value_or(0);
  if (const json::value* changes = reader.find("changes"); changes && changes->is_array()) {
    for (const json::value& change : changes->as_array()) {
      if (change.is_string()) answer.changes.emplace_back(change.as_string());
    }
  }
  reader.reject_unknown_keys();
  if (!errors.empty()) return fail(errors.combined());
  return answer;
}

expected<std::int64_t> ask(Store& store, const Request& request, Instant at) {
  return store.queue_request(to_json(request), at);
}

std::optional<RequestAnswer> await_answer(const Store& store, std::int64_t id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::optional<StoredRequest> found = store.request(id);
    if (!found) return std::nullopt;
    if (found->answered) {
      auto answer = request_answer_from_json(found->answer);
      if (answer) return *answer;
      RequestAnswer unreadable;
      unreadable.message = "the engine's answer cannot be read: " + answer.error().message();
      unreadable.error = Errc::internal;
      return unreadable;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace outreach
