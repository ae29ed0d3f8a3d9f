// Reading one received message for the engine: parse it, classify it, tell it apart from the
// messages taken in before, and find the send it is about. Applying it is the engine's part.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "outreach/classify.hpp"
#include "outreach/ingest.hpp"
#include "outreach/mime.hpp"
#include "outreach/store.hpp"

namespace outreach::detail {

/// A lead an address names, with its latest send.
struct LeadMatch {
  std::string campaign;     // the campaign's name
  std::string lead;         // the address as in the lead list
  std::optional<int> step;  // the last step sent to it, if any
};

/// What matching consults besides the message.
struct MatchSources {
  const Store& store;  // the send log, by Message-ID
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
