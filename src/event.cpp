#include "outreach/event.hpp"

#include <boost/json.hpp>

#include <array>

namespace outreach {

namespace {

constexpr std::array<std::string_view, 16> type_names{
    "sent",     "deferred", "failed",       "in_doubt", "skipped", "replied", "auto_replied", "bounced",
    "unsubscribed", "complained", "stopped", "paused", "resumed", "completed", "campaign_paused", "campaign_resumed"};

}  // namespace

std::string_view to_string(EventType type) noexcept { return type_names[static_cast<std::size_t>(type)]; }

std::optional<EventType> event_type_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < type_names.size(); ++i) {
    if (type_names[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

std::string to_json_line(const Event& event) {
  boost::json::object line;
  line["type"] = to_string(event.type);
  line["at"] = format_instant(event.at);
  line["campaign"] = event.campaign;
  if (!event.lead.empty()) line["lead"] = event.lead;
  if (event.step > 0) line["step"] = event.step;
  if (!event.variant.empty()) line["variant"] = event.variant;
  if (!event.mailbox.empty()) line["mailbox"] = event.mailbox;
  if (!event.message_id.empty()) line["message_id"] = event.message_id;
  if (!event.subject.empty()) line["subject"] = event.subject;
  if (!event.in_reply_to.empty()) line["in_reply_to"] = event.in_reply_to;
  if (!event.kind.empty()) line["kind"] = event.kind;
  if (!event.return_date.empty()) line["return_date"] = event.return_date;
  if (!event.reason.empty()) line["reason"] = event.reason;
  if (event.code != 0) line["code"] = event.code;
  if (!event.status.empty()) line["status"] = event.status;
  if (event.retry_at) line["retry_at"] = format_instant(*event.retry_at);
  return boost::json::serialize(line);
}

}  // namespace outreach
