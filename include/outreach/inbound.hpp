/// @file inbound.hpp
/// @brief `InboundEvent`: something that came back for a lead — a reply, an auto-reply, a
/// bounce, an unsubscribe or a complaint — as the engine applies it (docs/formats.md, "Inbound scripts").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"

namespace outreach {

/// @brief What came back.
enum class InboundType : std::uint8_t {
  reply,        ///< A reply from the lead.
  auto_reply,   ///< An automatic reply (out of office, ...).
  bounce,       ///< A bounce (`hard` or `soft`).
  unsubscribe,  ///< An unsubscribe request.
  complaint,    ///< A spam complaint.
};

/// @brief One inbound event.
struct InboundEvent {
  Instant at{};                  ///< When it arrived.
  std::string lead;              ///< The lead's address (compared case-insensitively).
  InboundType type = InboundType::reply;  ///< What it is.
  bool hard = true;              ///< For bounces: hard (true) or soft (false).
  std::optional<std::chrono::year_month_day> return_date;  ///< For auto-replies: the stated return date.
  std::string campaign;          ///< The campaign, when several share the lead; empty: any.
  /// The step of ours it is about (a reply to step 2), when known; otherwise the last step sent
  /// to the lead.
  std::optional<int> step;
};

/// @brief Reads one line of an inbound script: `{"at", "lead", "type", "kind", "return_date",
/// "campaign"}`.
/// @param json_line The JSON object.
/// @return The event, or `parse_error`/`invalid_value`/`unknown_key` with the JSON path.
[[nodiscard]] expected<InboundEvent> parse_inbound_line(std::string_view json_line);

}  // namespace outreach
