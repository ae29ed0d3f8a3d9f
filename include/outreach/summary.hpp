/// @file summary.hpp
/// @brief Analytics: a campaign's summary — lead statuses, per step and variant counts and
/// rates, sends per day per mailbox (docs/formats.md, "Summaries").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "outreach/store.hpp"

namespace outreach {

/// @brief Counts for one variant of one step.
struct VariantStats {
  std::string name;            ///< The variant's name.
  std::int64_t sent = 0;       ///< Accepted sends.
  std::int64_t deferred = 0;   ///< Temporary failures (each attempt).
  std::int64_t failed = 0;     ///< Permanent failures.
  std::int64_t skipped = 0;    ///< Leads skipped at this step.
  std::int64_t replied = 0;    ///< Replies to this step.
  std::int64_t auto_replied = 0;  ///< Auto-replies to this step.
  std::int64_t bounced = 0;    ///< Bounces of this step.
  std::int64_t unsubscribed = 0;  ///< Unsubscribes after this step.
  std::int64_t complained = 0;    ///< Spam complaints about this step.
  /// Leads that opened this step's message (its tracking pixel), machines left out; 0 when opens
  /// are not tracked. Unreliable: privacy proxies fetch pixels for people who never looked.
  std::int64_t opened = 0;
  std::int64_t clicked = 0;  ///< Leads that followed a tracked link of it, machines left out.

  /// @brief `count / sent`, or 0 when nothing was sent.
  /// @param count A count of this variant.
  [[nodiscard]] double rate(std::int64_t count) const noexcept {
    return sent == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(sent);
  }
};

/// @brief Counts for one step.
struct StepStats {
  int step = 0;                        ///< 1-based.
  std::vector<VariantStats> variants;  ///< In the sequence's order.
};

/// @brief Sends of one mailbox on one day (the mailbox's local date).
struct DaySends {
  std::string date;     ///< `YYYY-MM-DD`.
  std::string mailbox;  ///< The mailbox id.
  std::int64_t sent = 0;  ///< Sends (accepted or in doubt).
};

/// @brief A mailbox a campaign cannot send with: disabled, or removed from its settings while
/// leads it started still wait for their follow-ups from it.
struct MailboxTrouble {
  std::string mailbox;       ///< The mailbox id.
  bool disabled = false;     ///< Disabled (after failures, or on request); false: removed from the campaign.
  std::string reason;        ///< Why it was disabled (`request`, or the failures); empty when removed.
  std::int64_t waiting = 0;  ///< Leads whose follow-ups wait for it (0 with `reassign_follow_ups`).
  /// @brief Entries compare equal when every part is equal.
  friend bool operator==(const MailboxTrouble&, const MailboxTrouble&) = default;
};

/// @brief Where one lead of a campaign stands, for the report's list of leads.
struct LeadProgress {
  std::string email;   ///< The lead's address, as in its list.
  std::string status;  ///< Its status: a key of `CampaignSummary::leads` (`pending`, `replied`, ...).
  int steps_sent = 0;  ///< Steps sent to it so far.
  /// @brief Entries compare equal when every part is equal.
  friend bool operator==(const LeadProgress&, const LeadProgress&) = default;
};

/// @brief One campaign's summary.
struct CampaignSummary {
  std::string name;    ///< The campaign's name.
  std::string status;  ///< `draft`, `running`, `paused` or `finished`.
  std::map<std::string, std::int64_t> leads;  ///< Lead count by status (every status present).
  std::vector<StepStats> steps;  ///< Per step and variant.
  std::vector<DaySends> days;    ///< Per day and mailbox, by date then mailbox.
  std::int64_t in_doubt = 0;     ///< Sends whose outcome is unknown after a crash.
  std::vector<MailboxTrouble> mailbox_trouble;  ///< Its mailboxes it cannot send with, by the order of its mailboxes.
};

/// @brief Every campaign's summary, in the order they were added.
struct Summary {
  std::vector<CampaignSummary> campaigns;  ///< The campaigns.
  /// The last reading of each mailbox that is read over IMAP (`status` only; empty otherwise).
  std::vector<MailboxCheck> mail_checks;
};

/// @brief The summary as the JSON of `simulate --json` and `status --json` (one line).
/// @param summary The summary.
[[nodiscard]] std::string to_json(const Summary& summary);

/// @brief The summary as tables for people: per day and mailbox, per step and variant (with
/// rates), lead statuses.
/// @param summary The summary.
[[nodiscard]] std::string to_text(const Summary& summary);

}  // namespace outreach
