#include "outreach/inbound.hpp"

#include <boost/json.hpp>

#include "util/calendar_date.hpp"
#include "util/json_reader.hpp"

namespace outreach {

expected<InboundEvent> parse_inbound_line(std::string_view json_line) {
  auto value = detail::parse_json(json_line);
  if (!value) return fail(value.error());
  detail::ErrorList errors;
  detail::ObjectReader reader(*value, "", errors);
  InboundEvent event;
  if (auto at = reader.string("at", true)) {
    if (auto instant = parse_instant(*at)) {
      event.at = *instant;
    } else {
      errors.add(Error(Errc::invalid_value, "not an RFC 3339 instant such as 2026-12-01T14:03:12Z", Location::at("at")));
    }
  }
  event.lead = reader.string("lead", true).value_or("");
  event.campaign = reader.string("campaign").value_or("");
  const auto type = reader.string("type", true);
  if (type) {
    if (*type == "reply") event.type = InboundType::reply;
    else if (*type == "auto_reply") event.type = InboundType::auto_reply;
    else if (*type == "bounce") event.type = InboundType::bounce;
    else if (*type == "unsubscribe") event.type = InboundType::unsubscribe;
    else if (*type == "complaint") event.type = InboundType::complaint;
    else {
      errors.add(Error(Errc::invalid_value,
                       "type must be reply, auto_reply, bounce, unsubscribe or complaint, found \"" + *type + "\"",
                       Location::at("type")));
    }
  }
  if (auto kind = reader.string("kind")) {
    if (*kind == "hard" || *kind == "soft") {
      event.hard = *kind == "hard";
    } else {
      errors.add(Error(Errc::invalid_value, "kind must be \"hard\" or \"soft\"", Location::at("kind")));
    }
    if (type && *type != "bounce") errors.add(Error(Errc::invalid_value, "kind applies to bounces only", Location::at("kind")));
  } else if (type && *type == "bounce") {
    errors.add(Error(Errc::invalid_value, "a bounce needs \"kind\": \"hard\" or \"soft\"", Location::at("kind")));
  }
  if (auto date = reader.string("return_date")) {
    event.return_date = detail::parse_date(*date);
    if (!event.return_date) errors.add(Error(Errc::invalid_value, "not a date such as 2026-12-24", Location::at("return_date")));
    if (type && *type != "auto_reply") {
      errors.add(Error(Errc::invalid_value, "return_date applies to auto-replies only", Location::at("return_date")));
    }
  }
  reader.reject_unknown_keys();
  if (!errors.empty()) return fail(errors.combined());
  return event;
}

}  // namespace outreach
