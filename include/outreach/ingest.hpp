/// @file ingest.hpp
/// @brief `IngestResult`: what taking in one received message did — its class, the send it was
/// matched to and how, and whether it had been taken in before.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "outreach/classify.hpp"

namespace outreach {

/// @brief How a received message was tied to one of our sends.
enum class MatchMethod : std::uint8_t {
  none,                 ///< Not matched: the message changed nothing.
  in_reply_to,          ///< Its `In-Reply-To` names a message we sent.
  references,           ///< Its `References` names a message we sent.
  original_message_id,  ///< The report encloses or quotes a message we sent.
  recipient,            ///< The report names a lead's address (no Message-ID found).
  sender,               ///< It comes from a lead's address.
};

/// @brief The method's name: `none`, `in_reply_to`, `references`, `original_message_id`,
/// `recipient`, `sender`.
[[nodiscard]] std::string_view to_string(MatchMethod value) noexcept;

/// @brief What taking in one message did.
struct IngestResult {
  Classification classification;      ///< What the message is, with its evidence.
  MatchMethod matched_by = MatchMethod::none;  ///< How it was matched.
  std::string campaign;               ///< The matched campaign; empty when not matched.
  std::string lead;                   ///< The matched lead's address as in its lead list; empty when not matched.
  std::optional<int> step;            ///< The matched send's step (1-based), when known.
  /// True when the message had been taken in before (same `Message-ID`, or the same bytes when
  /// it has none): nothing was applied this time.
  bool duplicate = false;
};

/// @brief The result as one JSON object: `class`, `kind` (bounces), `campaign`, `lead`, `step`
/// (null when not matched), `matched_by`, `duplicate`, and the classification's details
/// (`status`, `diagnostic`, `recipient`, `original_message_id`, `return_date`, `from`,
/// `evidence`) when present.
/// @param result The result.
/// @param file When not empty, a leading `file` member (the command line's form).
[[nodiscard]] std::string to_json(const IngestResult& result, std::string_view file = {});

}  // namespace outreach
