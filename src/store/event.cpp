#include "outreach/event.hpp"

#include <boost/json.hpp>

#include <array>
#include <limits>

#include "store/event_line.hpp"
#include "util/json_reader.hpp"

namespace outreach {

namespace {

constexpr std::array<std::string_view, 26> type_names{
    "sent",     "deferred", "failed",       "in_doubt", "skipped", "replied", "auto_replied", "bounced",
    "unsubscribed", "complained", "stopped", "paused", "resumed", "completed", "campaign_paused", "campaign_resumed",
    "mailbox_unreadable", "mailbox_readable", "campaign_stopped", "campaign_changed", "mailbox_disabled",
    "mailbox_enabled", "opened", "clicked", "variant_won", "variant_stopped"};

constexpr std::array<std::string_view, 5> cause_names{"", "refused", "gave_up", "unbuildable", "unsignable"};
constexpr std::array<std::string_view, 3> settlement_names{"", "found_in_sent", "not_in_sent"};

// The value of a name among `names`, whose first (empty) name is the enum's "none" and is not
// read back.
template <class Enum, std::size_t N>
std::optional<Enum> named_value(const std::array<std::string_view, N>& names, std::string_view name) noexcept {
  for (std::size_t i = 1; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Cause cause) noexcept { return cause_names[static_cast<std::size_t>(cause)]; }

std::optional<Cause> cause_from_string(std::string_view name) noexcept { return named_value<Cause>(cause_names, name); }

std::string_view to_string(Settlement settlement) noexcept {
  return settlement_names[static_cast<std::size_t>(settlement)];
}

std::optional<Settlement> settlement_from_string(std::string_view name) noexcept {
  return named_value<Settlement>(settlement_names, name);
}

std::string_view to_string(EventType type) noexcept { return type_names[static_cast<std::size_t>(type)]; }

std::optional<EventType> event_type_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < type_names.size(); ++i) {
    if (type_names[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

namespace {

// A value of its own (`campaign_changed`'s before and after, a decision's evidence), as the
// campaign file has it; a text that is not JSON stays a string.
void write_value(detail::JsonLineWriter& line, std::string_view key, const std::string& text) {
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(text, error);
  if (error) {
    line.string(key, text);
  } else {
    line.literal(key, boost::json::serialize(value));
  }
}

}  // namespace

std::string to_json_line(const Event& event) {
  // Written directly: the same bytes, in the same order, as the Boost.JSON object lines were
  // once serialized from.
  detail::JsonLineWriter line;
  line.string("type", to_string(event.type));
  line.string("at", format_instant(event.at));
  line.string("campaign", event.campaign);
  line.string_if("lead", event.lead);
  if (event.step > 0) line.integer("step", event.step);
  line.string_if("variant", event.variant);
  line.string_if("mailbox", event.mailbox);
  line.string_if("message_id", event.message_id);
  line.string_if("subject", event.subject);
  line.string_if("in_reply_to", event.in_reply_to);
  if (event.sequence_version > 0) line.integer("sequence_version", event.sequence_version);
  line.string_if("kind", event.kind);
  line.string_if("return_date", event.return_date);
  line.string_if("reason", event.reason);
  if (event.code != 0) line.integer("code", event.code);
  line.string_if("status", event.status);
  if (event.retry_at) line.string("retry_at", format_instant(*event.retry_at));
  line.string_if("url", event.url);
  if (event.suspect) line.literal("suspect", "true");
  if (event.cause != Cause::none) line.string("cause", to_string(event.cause));
  if (event.settled != Settlement::none) line.string("settled", to_string(event.settled));
  if (!event.setting.empty()) {
    line.string("setting", event.setting);
    write_value(line, "before", event.before);
    write_value(line, "after", event.after);
  }
  if (!event.evidence.empty()) write_value(line, "evidence", event.evidence);
  return std::move(line).finish();
}

namespace {

// An instant field: required or optional, reported at its key when it is not RFC 3339 UTC.
std::optional<Instant> read_instant(detail::ObjectReader& reader, std::string_view key, bool required) {
  const auto text = reader.string(key, required);
  if (!text) return std::nullopt;
  auto instant = parse_instant(*text);
  if (!instant) {
    reader.errors().add(Error(Errc::invalid_value, "expected an RFC 3339 instant in UTC such as 2026-12-01T14:03:12Z",
                              Location::at(reader.path(key))));
  }
  return instant;
}

void read_string(detail::ObjectReader& reader, std::string_view key, std::string& field) {
  if (auto text = reader.string(key)) field = std::move(*text);
}

}  // namespace

namespace detail {

expected<Event> parse_event_line_checked(std::string_view line) {
  auto document = detail::parse_json(line);
  if (!document) return fail(document.error());
  detail::ErrorList errors;
  detail::ObjectReader reader(*document, "", errors);
  if (!reader.is_object()) return fail(errors.combined());

  Event event;
  if (const auto type_name = reader.string("type", true)) {
    if (const auto type = event_type_from_string(*type_name)) {
      event.type = *type;
    } else {
      errors.add(Error(Errc::invalid_value, "unknown event type \"" + *type_name + "\"", Location::at("type")));
    }
  }
  if (const auto at = read_instant(reader, "at", true)) event.at = *at;
  if (auto campaign = reader.string("campaign", true)) event.campaign = std::move(*campaign);
  read_string(reader, "lead", event.lead);
  constexpr std::int64_t int_min = std::numeric_limits<int>::min();
  constexpr std::int64_t int_max = std::numeric_limits<int>::max();
  if (const auto step = reader.integer("step", 1, int_max)) event.step = static_cast<int>(*step);
  read_string(reader, "variant", event.variant);
  read_string(reader, "mailbox", event.mailbox);
  read_string(reader, "message_id", event.message_id);
  read_string(reader, "subject", event.subject);
  read_string(reader, "in_reply_to", event.in_reply_to);
  if (const auto version = reader.integer("sequence_version", 1, int_max)) {
    event.sequence_version = static_cast<int>(*version);
  }
  read_string(reader, "kind", event.kind);
  read_string(reader, "return_date", event.return_date);
  read_string(reader, "reason", event.reason);
  read_string(reader, "setting", event.setting);
  for (const auto& [key, text] : {std::pair{"before", &event.before}, std::pair{"after", &event.after}}) {
    if (const boost::json::value* value = reader.find(key)) {
      *text = boost::json::serialize(*value);
    } else if (!event.setting.empty()) {
      *text = "null";
    }
  }
  if (const auto cause_name = reader.string("cause")) {
    if (const auto cause = cause_from_string(*cause_name)) {
      event.cause = *cause;
    } else {
      errors.add(Error(Errc::invalid_value, "unknown cause \"" + *cause_name + "\"", Location::at("cause")));
    }
  }
  if (const auto settled_name = reader.string("settled")) {
    const auto settled = settlement_from_string(*settled_name);
    const EventType settles = settled == Settlement::found_in_sent ? EventType::sent : EventType::deferred;
    if (settled && event.type == settles) {
      event.settled = *settled;
    } else if (settled) {
      errors.add(Error(Errc::invalid_value,
                       "\"" + *settled_name + "\" settles a \"" + std::string(to_string(settles)) + "\" event only",
                       Location::at("settled")));
    } else {
      errors.add(Error(Errc::invalid_value, "unknown settlement \"" + *settled_name + "\"", Location::at("settled")));
    }
  }
  if (const auto code = reader.integer("code", int_min, int_max)) event.code = static_cast<int>(*code);
  read_string(reader, "status", event.status);
  event.retry_at = read_instant(reader, "retry_at", false);
  read_string(reader, "url", event.url);
  if (const auto suspect = reader.boolean("suspect")) event.suspect = *suspect;
  if (const boost::json::value* evidence = reader.find("evidence")) event.evidence = boost::json::serialize(*evidence);
  reader.reject_unknown_keys();
  if (!errors.empty()) return fail(errors.combined());
  return event;
}

}  // namespace detail

expected<Event> parse_event_line(std::string_view line) {
  if (auto event = detail::parse_plain_event_line(line)) return std::move(*event);
  return detail::parse_event_line_checked(line);
}

Cause failure_cause(const Event& event) noexcept {
  if (event.type != EventType::failed) return Cause::none;
  if (event.cause != Cause::none) return event.cause;
  // Written before events carried a cause: these versions said it in the reason.
  if (event.reason.starts_with("cannot build the message")) return Cause::unbuildable;
  if (event.reason.starts_with("cannot sign the message")) return Cause::unsignable;
  if (event.reason.starts_with("gave up after")) return Cause::gave_up;
  return Cause::refused;
}

}  // namespace outreach
