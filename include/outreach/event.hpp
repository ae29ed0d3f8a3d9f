/// @file event.hpp
/// @brief `Event`: one line of a campaign's event log (docs/formats.md, "Events").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"

namespace outreach {

/// @brief What happened. The names are the `type` values of the event log.
enum class EventType : std::uint8_t {
  sent,              ///< A send was started at `at` and accepted.
  deferred,          ///< A temporary failure; it will be tried again at `retry_at`.
  failed,            ///< A permanent failure; the lead ends.
  in_doubt,          ///< After a crash, the outcome of this send is unknown.
  skipped,           ///< Not sent, and the lead ends (`missing_field:NAME` or `suppressed`).
  replied,           ///< A reply came back.
  auto_replied,      ///< An auto-reply came back (with `return_date` when found).
  bounced,           ///< A bounce came back (`kind`: hard or soft).
  unsubscribed,      ///< The lead unsubscribed.
  complained,        ///< The lead reported the message as spam.
  stopped,           ///< The lead's sequence ended early (`reason`).
  paused,            ///< The lead waits (`reason`).
  resumed,           ///< The lead goes on.
  completed,         ///< The lead got every step.
  campaign_paused,   ///< The whole campaign stops (`reason`); no lead.
  campaign_resumed,  ///< The whole campaign goes on; no lead.
  mailbox_unreadable,  ///< A mailbox of the campaign cannot be read over IMAP (`mailbox`, `reason`); no lead.
  mailbox_readable,    ///< ... and is read again; no lead.
  campaign_stopped,    ///< The campaign ended for good (`reason`): nothing more is sent; no lead.
  campaign_changed,    ///< A setting of the campaign changed (`setting`, `before`, `after`); no lead.
  mailbox_disabled,    ///< A mailbox of the campaign sends nothing until enabled (`mailbox`, `reason`); no lead.
  mailbox_enabled,     ///< ... and sends again (`mailbox`, `reason`); no lead.
  opened,              ///< The tracking pixel of a step's message was fetched (`suspect`, `reason`); never drives the sequence.
  clicked,             ///< A tracked link of a step's message was followed (`url`, `suspect`, `reason`); never drives the sequence.
  variant_won,         ///< A step's A/B test named its winner (`step`, `variant`, `evidence`): the step's later sends go to it; no lead.
  variant_stopped,     ///< A variant went over a guardrail (`step`, `variant`, `reason`, `evidence`): it gets no more sends; no lead.
};

/// @brief The `type` name of an event type, such as `"auto_replied"`.
/// @param type The event type.
[[nodiscard]] std::string_view to_string(EventType type) noexcept;

/// @brief Parses a `type` name.
/// @param name The name, such as `"sent"`.
/// @return The type, or nothing for an unknown name.
[[nodiscard]] std::optional<EventType> event_type_from_string(std::string_view name) noexcept;

/// @brief True for the types that say how a send ended (`sent`, `deferred`, `failed`,
/// `in_doubt`): the outcome that closes the send's intent in a `Store`.
/// @param type The event type.
[[nodiscard]] constexpr bool is_send_outcome(EventType type) noexcept {
  return type == EventType::sent || type == EventType::deferred || type == EventType::failed ||
         type == EventType::in_doubt;
}

/// @brief True for the types of a message that went out, or may have (`sent`, `in_doubt`): the
/// events that carry a Message-ID, by which received mail finds them.
/// @param type The event type.
[[nodiscard]] constexpr bool went_out(EventType type) noexcept {
  return type == EventType::sent || type == EventType::in_doubt;
}

/// @brief Why a `failed` event failed, for the engine to read back without parsing `reason`,
/// which is for people. The names are the `cause` values of the event log.
enum class Cause : std::uint8_t {
  none,         ///< Not a failure, or a line written before events carried a cause.
  refused,      ///< The server refused the message for good (a 5xx reply).
  gave_up,      ///< Temporary failures reached the most attempts of a send.
  unbuildable,  ///< The message could not be built; it never reached the transport.
  unsignable,   ///< The message could not be signed; it never reached the transport.
};

/// @brief The `cause` name, such as `"gave_up"`; empty for `Cause::none`.
/// @param cause The cause.
[[nodiscard]] std::string_view to_string(Cause cause) noexcept;

/// @brief Parses a `cause` name.
/// @param name The name, such as `"refused"`.
/// @return The cause, or nothing for an unknown name.
[[nodiscard]] std::optional<Cause> cause_from_string(std::string_view name) noexcept;

/// @brief How a send left in doubt by a crash was settled, by looking for it in its mailbox's
/// Sent folder (docs/imap.md, "Sends in doubt"). The names are the `settled` values of the log.
enum class Settlement : std::uint8_t {
  none,           ///< Not a settlement.
  found_in_sent,  ///< `sent`: the message was found in the Sent folder: it went out.
  not_in_sent,    ///< `deferred`: absent from a Sent folder its provider files every send in: it goes again.
};

/// @brief The `settled` name, such as `"found_in_sent"`; empty for `Settlement::none`.
/// @param settlement The settlement.
[[nodiscard]] std::string_view to_string(Settlement settlement) noexcept;

/// @brief Parses a `settled` name.
/// @param name The name, such as `"not_in_sent"`.
/// @return The settlement, or nothing for an unknown name.
[[nodiscard]] std::optional<Settlement> settlement_from_string(std::string_view name) noexcept;

/// @brief One event. Fields that do not apply to the type are empty (and absent in JSON).
struct Event {
  EventType type = EventType::sent;  ///< What happened.
  Instant at{};                      ///< When.
  std::string campaign;              ///< The campaign's name.
  std::string lead;                  ///< The lead's address as in the lead list; empty for campaign events.
  int step = 0;                      ///< 1-based step; 0 when unknown or not applicable.
  std::string variant;               ///< `sent`: the variant's name.
  std::string mailbox;               ///< `sent`, `deferred`, `failed`, `in_doubt`: the mailbox id.
  std::string message_id;            ///< `sent`, `in_doubt`: the Message-ID with angle brackets.
  std::string subject;               ///< `sent`: the subject as sent.
  std::string in_reply_to;           ///< `sent` of threaded steps: the Message-ID answered.
  /// `sent`, `in_doubt`: the version of the campaign's sequence the message was made from (1
  /// until its steps are edited, `Engine::update`); 0 in lines written before versions.
  int sequence_version = 0;
  std::string reason;                ///< `deferred`, `failed`, `skipped`, `stopped`, `paused`, ...
  int code = 0;                      ///< `deferred`, `failed`: the SMTP reply code; 0 when none.
  std::string status;                ///< `deferred`, `failed`: the enhanced status code, e.g. `4.2.2`.
  std::optional<Instant> retry_at;   ///< `deferred`: when it is tried again.
  std::string kind;                  ///< `bounced`: `hard` or `soft`.
  std::string return_date;           ///< `auto_replied`: the stated return date (`YYYY-MM-DD`).
  Cause cause = Cause::none;         ///< `failed`: why, for the engine (see `failure_cause`).
  /// `sent`, `deferred`: the send in doubt this event settles, and how.
  Settlement settled = Settlement::none;
  std::string setting;  ///< `campaign_changed`: the setting's path in the campaign file (`limits.sends_per_day`).
  std::string before;   ///< `campaign_changed`: its value before, as JSON text (`null` when absent).
  std::string after;    ///< `campaign_changed`: its value after, as JSON text (`null` when absent).
  std::string url;      ///< `clicked`: the link followed.
  /// `opened`, `clicked`: probably a machine, not a person (`reason` says why: a HEAD request, a
  /// fetch seconds after the send, a known scanner or privacy proxy, every link at once).
  bool suspect = false;
  /// `variant_won`, `variant_stopped`: the step's test when it decided, as JSON text: each
  /// variant's sends, settled sends and replies and their rates, bounces, unsubscribes and
  /// complaints, and the evidence between the variants.
  std::string evidence;

  /// @brief Events compare equal when every field is equal.
  friend bool operator==(const Event&, const Event&) = default;
};

/// @brief The event as one line of JSON (no trailing newline), fields in a fixed order:
/// `type`, `at`, `campaign`, `lead`, then the type's fields. Byte-identical for equal events.
/// @param event The event.
[[nodiscard]] std::string to_json_line(const Event& event);

/// @brief Reads one line of the event log back: every line `to_json_line` writes gives an equal
/// event. Fields may come in any order; a field that does not belong to events, a value of the
/// wrong type, an unknown `type` or a malformed instant is an error naming the field.
/// @param line One JSON object (a trailing newline is allowed).
/// @return The event, or the first error with the others in `Error::others()`.
[[nodiscard]] expected<Event> parse_event_line(std::string_view line);

/// @brief The cause of a `failed` event. A line written before events carried a cause has none;
/// its cause is then read from the `reason` text those versions wrote (the only place that reads
/// it), so that a store kept by them resumes as it would have.
/// @param event The event.
/// @return The cause, or `Cause::none` for an event that is not `failed`.
[[nodiscard]] Cause failure_cause(const Event& event) noexcept;

}  // namespace outreach
