/// @file render.hpp
/// @brief Rendering one step of a sequence for one lead into a complete message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/address.hpp"
#include "outreach/error.hpp"
#include "outreach/lead.hpp"
#include "outreach/message.hpp"
#include "outreach/sequence.hpp"
#include "outreach/tracking.hpp"

namespace outreach {

/// @brief The thread a lead's next step continues: the ids of its messages and its subject.
struct ThreadContext {
  std::vector<std::string> message_ids;  ///< Message-IDs of the thread, oldest first (with brackets).
  std::string subject;                   ///< The subject of the thread's first message, as sent.

  /// @brief Thread contexts compare equal when ids and subject are equal.
  friend bool operator==(const ThreadContext&, const ThreadContext&) = default;
};

/// @brief What a step needs besides the sequence and the lead.
struct StepContext {
  std::string campaign;             ///< The campaign's name: with the lead and step, it fixes the Message-ID.
  std::uint64_t seed = 0;           ///< The campaign's seed (variants and spintax).
  Address sender;                   ///< The mailbox the message is sent from.
  std::chrono::sys_seconds date{};  ///< The `Date:` of the message.
  std::string unsubscribe_url;      ///< The lead's one-click unsubscribe URL, or empty.
  std::string unsubscribe_mailto;   ///< The unsubscribe address for `List-Unsubscribe`, or empty.
  /// The domain of the lead's Message-IDs, when not the sender's: a follow-up sent from another
  /// mailbox than the lead's first step keeps the thread's Message-IDs (those of that mailbox).
  std::string message_id_domain;
  ThreadContext thread;             ///< The thread so far (empty before the first step).
  /// The message's open and click tracking (the campaign's `tracking`); none by default. Only
  /// the html body is changed, never the unsubscribe link.
  MessageTracking tracking;
  /// False: do not build the MIME bytes (`message.data` stays empty; the id and envelope are
  /// set). For dry runs, where only the decision and the subject matter.
  bool build_message = true;
  /// The variant of a step when the campaign chooses it rather than the seed (an A/B test that
  /// named a winner or stopped a variant): given the step number and the seed's choice, the
  /// variant sent, for the step rendered and for the step whose subject a thread keeps. Empty,
  /// or an index out of range: the seed's choice.
  std::function<std::size_t(int step, std::size_t seeded)> variant_of;
};

/// @brief A step rendered for a lead.
struct RenderedStep {
  int step_number = 0;        ///< 1-based step.
  std::size_t variant = 0;    ///< Index of the variant chosen for the lead.
  std::string variant_name;   ///< Its name.
  std::string subject;        ///< The subject as sent (after `Re: ` for replies).
  Message message;            ///< The complete message.
  ThreadContext thread;       ///< The thread after this message: what the next step continues.
};

/// @brief Renders step `step_number` (1-based) of `sequence` for `lead`: chooses the variant
/// (deterministic per seed, lead and step), renders subject, text and html, and composes the
/// message. A `thread: reply` step answers the last message of `context.thread` (In-Reply-To,
/// References) and, unless the variant has a subject, takes `Re: ` + the thread's subject.
/// @return The rendered step; `missing_field` (`missing_field:NAME`) when the lead lacks a
/// field the chosen variant needs; `invalid_argument` for a step number out of range or a reply
/// step without a thread; `invalid_value`/`invalid_utf8` from composing the message.
[[nodiscard]] expected<RenderedStep> render_step(const Sequence& sequence, int step_number, const Lead& lead,
                                                 const StepContext& context);

/// @brief The thread that step `step_number` continues for `lead`, rebuilt from the sequence:
/// the Message-IDs of the steps since the last step that started a thread, and that step's
/// subject as rendered for the lead. Everything in it is deterministic, so nothing of the
/// thread needs to be stored.
/// @param sequence The sequence.
/// @param step_number The 1-based step about to be sent (2 or more for a thread to exist).
/// @param lead The lead.
/// @param context As for `render_step` (campaign, seed, sender; `thread` is ignored).
/// @return The thread (empty for step 1), or the error rendering the thread's subject gave.
[[nodiscard]] expected<ThreadContext> rebuild_thread(const Sequence& sequence, int step_number, const Lead& lead,
                                                     const StepContext& context);

/// @brief As `rebuild_thread`, for a sequence whose texts were edited after the thread began:
/// the thread's subject is rendered from `opened_with`, the version of the sequence its first
/// message was sent from, and the rest from `sequence`. Both must agree on the threading and
/// the variants of the steps already sent.
/// @param sequence The sequence the step is sent from.
/// @param opened_with The version the thread's first message was sent from.
/// @param step_number The 1-based step about to be sent.
/// @param lead The lead.
/// @param context As for `render_step`.
/// @return The thread, or the error rendering its subject gave.
[[nodiscard]] expected<ThreadContext> rebuild_thread(const Sequence& sequence, const Sequence& opened_with,
                                                     int step_number, const Lead& lead, const StepContext& context);

}  // namespace outreach
