// Reading one received message for the engine: parse it, classify it, tell it apart from the
// messages taken in before, and find the send it is about. Applying it is the engine's part.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "outreach/classify.hpp"
#include "outreach/ingest.hpp"
#include "outreach/instant.hpp"
#include "outreach/mime.hpp"

namespace outreach::detail {

/// A lead a message names, with the send it is about (by Message-ID) or its latest send (by
/// address).
struct LeadMatch {
  std::string campaign;     // the campaign's name
  std::string lead;         // the address as in the lead list
  std::optional<int> step;  // the step sent, if any
};

/// What matching consults besides the message: the engine's send log and leads, passed in so
/// that reading received mail needs nothing of the store or the engine.
struct MatchSources {
  // The send a Message-ID of ours names, with its step.
  std::function<std::optional<LeadMatch>(std::string_view message_id)> send_by_message_id;
  // The last step sent to a lead at or before an instant, if any.
  std::function<std::optional<int>(std::string_view campaign, std::string_view lead, Instant at)> last_step_before;
  // The lead an address belongs to (compared case-insensitively): of the campaigns that have
  // it, one that sent it something and has not ended it, else one that sent it something.
  std::function<std::optional<LeadMatch>(std::string_view address)> lead_by_address;
  // Whether the engine runs the campaign of that name (a store may hold others).
  std::function<bool(std::string_view campaign)> runs_campaign;
};

/// A received message, read and matched.
struct Received {
  IngestResult result;      // class, match; `duplicate` is left for the caller
  std::string fingerprint;  // what tells the message apart from others
};

/// Reads, classifies and matches a raw message. Errors only for a message over the size limit.
[[nodiscard]] expected<Received> read_received(std::string_view raw, const MimeLimits& limits,
                                               const ClassifyContext& context, const MatchSources& sources);

}  // namespace outreach::detail
