/// @file request.hpp
/// @brief `Request`: a change asked of the engine that runs a store — pause, resume or stop a
/// campaign, suppress, unsuppress or forget addresses — written to the store by another process
/// (`outreach pause`, the C ABI, Python) and applied by that engine (`Engine::apply_waiting`),
/// exactly once, with its answer in the same unit of the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/instant.hpp"
#include "outreach/lead.hpp"
#include "outreach/store.hpp"

namespace outreach {

/// @brief What a request asks. The names are its JSON `action` values.
enum class RequestAction : std::uint8_t {
  pause,       ///< Pause `campaign` (`Engine::pause`).
  resume,      ///< Resume `campaign` (`Engine::resume`).
  stop,        ///< End `campaign` for good (`Engine::stop`).
  suppress,    ///< Put `addresses` on the suppression list with `reason`.
  unsuppress,  ///< Take `addresses` off the suppression list.
  forget,      ///< Erase the data of the one address of `addresses`, and suppress it.
  add_leads,   ///< Add `leads` to `campaign` (`Engine::add_leads`).
  update,      ///< Apply `definition`, a changed campaign file, to `campaign` (`Engine::update`).
  disable_mailbox,  ///< Disable `mailbox` (`Engine::disable_mailbox`).
  enable_mailbox,   ///< Enable `mailbox` again (`Engine::enable_mailbox`).
  /// The lead of `campaign` whose address is the one of `addresses` used its one-click
  /// unsubscribe link (`outreach serve`): recorded as its unsubscribe (an `unsubscribed` event,
  /// the lead stopped, the address suppressed).
  unsubscribe,
  /// The lead of `campaign` (the one of `addresses`) opened `step`'s message: its tracking pixel
  /// was fetched (`outreach serve`). Recorded as an `opened` event, with `suspect` and `reason`.
  open,
  /// ... followed the link `url` of `step`'s message: recorded as a `clicked` event.
  click,
};

/// @brief The `action` name of a request, such as `"unsuppress"`.
/// @param action The action.
[[nodiscard]] std::string_view to_string(RequestAction action) noexcept;

/// @brief A change asked of an engine, as kept in a store (docs/operations.md).
struct Request {
  RequestAction action = RequestAction::pause;  ///< What is asked.
  std::string campaign;                ///< The campaign, for `pause`, `resume`, `stop`, `add_leads`, `update` and `unsubscribe`; empty otherwise.
  std::vector<std::string> addresses;  ///< Bare addresses, for `suppress`, `unsuppress` (one or more), `forget` and `unsubscribe` (one).
  std::string reason = "manual";       ///< The suppression's reason, for `suppress`; why an `open` or `click` is suspect.
  std::vector<Lead> leads;             ///< The leads, for `add_leads` (one or more).
  /// The changed campaign, as the JSON of its file with everything inline
  /// (`CampaignDefinition::to_json`), for `update`; its leads are not read, and not kept in the
  /// store (`to_json` of the request leaves them out).
  std::string definition;
  /// `update`: apply changed steps too (`UpdateOptions::edit_steps`).
  bool edit_steps = false;
  std::string mailbox;  ///< The mailbox's id, for `disable_mailbox` and `enable_mailbox`; empty otherwise.
  int step = 0;           ///< `open`, `click`: the step whose message it was.
  std::string url{};      ///< `click`: the link followed.
  bool suspect = false;   ///< `open`, `click`: probably a machine (`reason` says why).
  /// @brief Requests compare equal when every part is equal.
  friend bool operator==(const Request&, const Request&) = default;
};

/// @brief The request as its JSON object, such as `{"action":"pause","campaign":"q4"}`.
/// @param request The request.
[[nodiscard]] std::string to_json(const Request& request);

/// @brief Reads a request's JSON, checking every part (addresses as `suppression_address`
/// does).
/// @param json The JSON text.
/// @return The request; or `invalid_value` naming the JSON path of what is wrong.
[[nodiscard]] expected<Request> request_from_json(std::string_view json);

/// @brief What the engine did with a request.
struct RequestAnswer {
  bool applied = false;  ///< It took effect (or there was nothing to change); false: refused, see `error`.
  std::string message;   ///< What took effect, or why not, for people: `campaign "q4" paused`.
  std::optional<Errc> error;  ///< Why it was refused (`not_found` for an unknown campaign, ...).
  /// Sends handed to the transport after the request was asked and before it was applied:
  /// those went out whatever the request said.
  std::int64_t sends_before = 0;
  std::int64_t changed = 0;  ///< Addresses put on or taken off the list, records erased, leads added or settings changed.
  std::int64_t already_in = 0;  ///< `add_leads`: leads left out, their address being in the campaign already.
  std::int64_t suppressed = 0;  ///< `add_leads`: leads left out, their address being suppressed.
  std::vector<std::string> changes;  ///< `update`: each change, for people (`limits.sends_per_day: 100 -> 20`).
  /// @brief Answers compare equal when every part is equal.
  friend bool operator==(const RequestAnswer&, const RequestAnswer&) = default;
};

/// @brief The answer as its JSON object.
/// @param answer The answer.
[[nodiscard]] std::string to_json(const RequestAnswer& answer);

/// @brief Reads an answer's JSON.
/// @param json The JSON text.
/// @return The answer; or `invalid_value` when it is not one.
[[nodiscard]] expected<RequestAnswer> request_answer_from_json(std::string_view json);

/// @brief Writes a request to a store (opened with `engine` or `inbox` access) for the engine
/// that runs it, and waits for its answer.
/// @param store The store.
/// @param request The request.
/// @param at When it is asked (the system clock).
/// @return The request's id; or the store's error (nothing was asked).
[[nodiscard]] expected<std::int64_t> ask(Store& store, const Request& request, Instant at);

/// @brief Waits for the answer to a request, looking at the store every 50 ms.
/// @param store The store the request was written to.
/// @param id The request's id.
/// @param timeout How long to wait.
/// @return The answer; nothing when the request still waits after `timeout` (it is not lost:
/// the engine applies it when it comes to it), or when the store has no such request.
[[nodiscard]] std::optional<RequestAnswer> await_answer(const Store& store, std::int64_t id,
                                                        std::chrono::milliseconds timeout);

}  // namespace outreach
