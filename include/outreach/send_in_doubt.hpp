/// @file send_in_doubt.hpp
/// @brief `SendInDoubt`: a send a crash left in doubt, for a mail reader to settle through its
/// mailbox's Sent folder (docs/imap.md, "Sends in doubt").
#pragma once

#include <string>

#include "outreach/instant.hpp"

namespace outreach {

/// @brief A send whose outcome a crash left unknown (its `in_doubt` event) and that nothing has
/// settled yet. `Engine::sends_in_doubt` lists them; `Engine::settle` settles one.
struct SendInDoubt {
  std::string campaign;    ///< The campaign's name.
  std::string lead;        ///< The lead's address, as in its list.
  int step = 0;            ///< 1-based step.
  std::string mailbox;     ///< The id of the mailbox it was sent from.
  std::string message_id;  ///< The Message-ID it was sent with, with angle brackets.
  Instant since{};         ///< When it was found in doubt (its `in_doubt` event).
  /// @brief Sends compare equal when every part is equal.
  friend bool operator==(const SendInDoubt&, const SendInDoubt&) = default;
};

}  // namespace outreach
