/// @file store.hpp
/// @brief `Store`: the port for what the engine must remember — the campaigns, the event log,
/// the send log (intent before send, outcome after) and the suppression list shared by every
/// campaign.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/instant.hpp"

namespace outreach {

/// @brief What a durable store's write survives once it has returned.
enum class StoreDurability : std::uint8_t {
  /// A killed or crashed process: the write is in the operating system's hands, but a power cut
  /// or a crash of the system may lose the last ones (the store stays consistent). The default.
  process,
  /// Also a power cut or a crash of the system: each commit waits for the disk. Without it, an
  /// intent lost to a power cut lets its send go again.
  power,
  /// Nothing until `Store::flush` or closing: commits are grouped, many units to a transaction,
  /// so a killed process loses the units since the last group, and a unit that fails after it
  /// changed something takes its group with it (whole units: the store stays consistent). For
  /// simulations and bulk loads, which need a consistent store at the end and no durability per
  /// send; an engine sending real mail with it may send again after a crash what it had sent.
  /// PostgreSQL commits each unit without waiting for its disk.
  none,
};

/// @brief What a store is opened for. A durable store is run by one engine at a time; people
/// and programs beside it read it, or hand it received mail.
enum class StoreAccess : std::uint8_t {
  /// Reading and writing, holding the store's engine lock, so that two engines never run one
  /// store: a second open for an engine fails with `unavailable` while the first holds it. The
  /// lock goes with the holder's process, even when it is killed.
  engine,
  /// Reading only, without the lock: status and events while an engine runs. Every write returns
  /// an `invalid_argument` error. The store must exist and be at this library's schema version.
  read,
  /// Reading, and handing received messages and requests to the engine that holds the store
  /// (`queue_received`, `queue_request`), without the lock: mail taken in and changes asked for
  /// beside a running engine. Every other write returns an `invalid_argument` error. The store
  /// must exist and be at this library's schema version.
  inbox,
};

/// @brief A received message waiting in a store's inbox for its engine.
struct QueuedMessage {
  std::int64_t id = 0;  ///< Its place in the inbox.
  std::string raw;      ///< The message as received.
  Instant queued{};     ///< When it was handed in.
};

/// @brief A change asked of the engine that runs a store (pause a campaign, suppress an
/// address, ...), kept in the store until that engine has applied it and answered.
struct StoredRequest {
  std::int64_t id = 0;              ///< Its place in the queue: requests are applied in this order.
  std::string body;                 ///< What is asked, as JSON (`Request`, outreach/request.hpp).
  Instant queued{};                 ///< When it was asked.
  std::optional<Instant> answered;  ///< When the engine applied it or refused it; nothing while it waits.
  std::string answer;               ///< The engine's answer, as JSON (`RequestAnswer`); empty while it waits.
  /// @brief Requests compare equal when every part is equal.
  friend bool operator==(const StoredRequest&, const StoredRequest&) = default;
};

/// @brief A lead added to a started campaign (`Engine::add_leads`, `outreach leads add`), kept
/// apart from the campaign's definition so that adding leads never rewrites it.
struct AddedLead {
  std::string address;  ///< The lead's address in lower case (`Lead::key()`), which `forget` finds.
  std::string lead;     ///< The lead as its JSON object (docs/formats.md, "Leads").
  Instant added{};      ///< When it entered the campaign.
  /// @brief Added leads compare equal when every part is equal.
  friend bool operator==(const AddedLead&, const AddedLead&) = default;
};

/// @brief One version of a started campaign's sequence. Version 1 is the one it started with;
/// each edit of its steps (`Engine::update` with `UpdateOptions::edit_steps`) adds the next.
struct SequenceVersion {
  int version = 1;          ///< 1, 2, ...
  std::string sequence;     ///< The sequence as JSON (`Sequence::to_json`).
  std::string fingerprint;  ///< Its fingerprint (`Sequence::fingerprint`).
  Instant since{};          ///< When it took effect.
  /// @brief Versions compare equal when every part is equal.
  friend bool operator==(const SequenceVersion&, const SequenceVersion&) = default;
};

/// @brief A send about to be handed to the transport.
struct SendIntent {
  std::string campaign;    ///< The campaign's name.
  std::string lead;        ///< The lead's address, as in its list.
  int step = 0;            ///< 1-based step.
  std::string mailbox;     ///< The mailbox id.
  std::string message_id;  ///< The Message-ID, with angle brackets.
  Instant at{};            ///< When the send started.
  /// @brief Intents compare equal when every part is equal.
  friend bool operator==(const SendIntent&, const SendIntent&) = default;
};

/// @brief A started campaign as a store keeps it: enough to rebuild it, and to know it again
/// when it is added next time.
struct StoredCampaign {
  std::string name;         ///< The campaign's name (unique in a store).
  std::string definition;   ///< The campaign as JSON, with its sequence pinned (inline).
  std::string fingerprint;  ///< The pinned sequence's fingerprint.
  Instant started{};        ///< When its leads entered it (`Engine::start`).
  /// @brief Campaigns compare equal when every part is equal.
  friend bool operator==(const StoredCampaign&, const StoredCampaign&) = default;
};

/// @brief A campaign's snapshot: the engine's state of it after its events up to a place in its
/// log, so that a restart replays only the events after (`Store::save_snapshot`).
struct CampaignSnapshot {
  std::int64_t through = 0;  ///< The place (as `events_after` numbers them) of the last event it includes.
  std::string state;         ///< The engine's own encoding of the state; opaque to the store.
  /// @brief Snapshots compare equal when every part is equal.
  friend bool operator==(const CampaignSnapshot&, const CampaignSnapshot&) = default;
};

/// @brief An entry of the suppression list.
struct Suppression {
  std::string address;  ///< The address, in lower case.
  std::string reason;   ///< Why: `unsubscribe`, `complaint`, `hard_bounce`, `manual`, ...
  std::optional<Instant> added;  ///< When it was added (the system clock), when the store keeps it.
  /// @brief Entries compare equal when every part is equal.
  friend bool operator==(const Suppression&, const Suppression&) = default;
};

/// @brief One of our sends, as a received message names it (by its Message-ID).
struct SentMessage {
  std::string campaign;  ///< The campaign's name.
  std::string lead;      ///< The lead's address, as in its list.
  int step = 0;          ///< 1-based step.
  /// @brief Sends compare equal when every part is equal.
  friend bool operator==(const SentMessage&, const SentMessage&) = default;
};

/// @brief How far the reading of one folder of a mailbox has got: every message up to
/// `last_uid` under `uidvalidity` has been taken in.
struct FolderPosition {
  std::string mailbox;            ///< The mailbox id.
  std::string folder;             ///< The folder's name, as in the settings (`INBOX`).
  std::uint32_t uidvalidity = 0;  ///< The folder's UIDVALIDITY when it was read.
  std::uint32_t last_uid = 0;     ///< The highest UID taken in (0: none yet).
  /// @brief Positions compare equal when every part is equal.
  friend bool operator==(const FolderPosition&, const FolderPosition&) = default;
};

/// @brief The last reading of a mailbox's received mail, for `status`.
struct MailboxCheck {
  std::string mailbox;               ///< The mailbox id.
  std::optional<Instant> checked;    ///< When its folders were last read through, if ever.
  std::optional<Instant> failed;     ///< When the last failure happened, if one came after `checked`.
  std::string error;                 ///< That failure; empty when the last reading succeeded.
  /// @brief Checks compare equal when every part is equal.
  friend bool operator==(const MailboxCheck&, const MailboxCheck&) = default;
};

/// @brief Whether a mailbox is disabled: none of its campaigns sends with it
/// (`Engine::disable_mailbox`, or after its failures in a row).
struct MailboxState {
  std::string mailbox;    ///< The mailbox id.
  bool disabled = false;  ///< Disabled; false: enabled again.
  std::string reason;     ///< Why it was disabled or enabled (`request`, or the failures).
  Instant since{};        ///< When it was disabled or enabled.
  /// @brief States compare equal when every part is equal.
  friend bool operator==(const MailboxState&, const MailboxState&) = default;
};

/// @brief A mailbox's send slot, asked of a store that several engines share (`Store::shared`)
/// in the unit that records the send's intent, so that the mailbox's limits hold across them.
struct SendSlot {
  std::string mailbox;                   ///< The mailbox id.
  std::int64_t day = 0;                  ///< The send's local day in the mailbox's zone, in days since 1970-01-01.
  std::int64_t day_limit = 0;            ///< How many sends that day may have (the daily limit, or the ramp's).
  Instant at{};                          ///< When the send goes.
  std::chrono::milliseconds spacing{0};  ///< The least time since the mailbox's send before (`min_interval`).
};

/// @brief What a store said to a send slot: granted, or what the mailbox's shared count is.
struct SlotAnswer {
  bool granted = true;                ///< The send may go; false: the day is full or the spacing not over.
  std::int64_t day = 0;               ///< The local day the shared count is of.
  std::int64_t sent_that_day = 0;     ///< Sends counted that day by every engine (this one included when granted).
  std::optional<Instant> last;        ///< The mailbox's last send, by any engine.
  /// @brief Answers compare equal when every part is equal.
  friend bool operator==(const SlotAnswer&, const SlotAnswer&) = default;
};

/// @brief A page of a campaign's event log, for a reader that follows it (`Store::events_after`).
struct EventPage {
  std::vector<std::pair<std::int64_t, Event>> events;  ///< Each event with its place in the log, in order.
  /// Where the next page starts: past every place looked at, one that could not be read
  /// included, so that a reader never stalls on it; `after` when nothing more was there.
  std::int64_t next = 0;
};

/// @brief Durable state of the engine. The engine calls it from one thread.
///
/// The event log is the truth: a lead's state is what its events say, and an engine that opens
/// a store again rebuilds its campaigns from their events. A send is recorded twice: its
/// intent, durably, before the message goes to the transport (`record_intent`), and its outcome
/// as the event that says how it ended (`sent`, `deferred`, `failed` or `in_doubt` for the
/// same campaign, lead and step), which closes the intent in the same write. An intent still
/// open when a store is opened is in doubt (`open_intents`).
///
/// A write that fails (a full disk, a lost file, a lock taken by another process) returns the
/// error: the engine stops then, since it cannot go on without its memory, and an intent left
/// open is in doubt the next time. Reads are of what was written and do not fail.
class Store {
 public:
  virtual ~Store() = default;

  /// @brief Appends an event to the log. An outcome event (`sent`, `deferred`, `failed`,
  /// `in_doubt`) closes the open intent of its campaign, lead and step.
  /// @param event The event, in time order with the ones before it.
  [[nodiscard]] virtual expected<void> append(const Event& event) = 0;

  /// @brief Records that a message is about to be sent; durable when it returns.
  /// @param intent The send.
  [[nodiscard]] virtual expected<void> record_intent(const SendIntent& intent) = 0;

  /// @brief Makes the writes until `commit` one atomic unit (and cheaper). Nested calls are
  /// counted: only the outermost `commit` writes. The default does nothing.
  [[nodiscard]] virtual expected<void> begin() { return {}; }
  /// @brief Ends the unit `begin` started; its writes are durable when the outermost returns.
  /// After a failed write inside the unit, nothing of it is kept. A store may send a unit's
  /// writes together: a write's failure may then show only at a later write, a read, or here.
  [[nodiscard]] virtual expected<void> commit() { return {}; }

  /// @brief Whether `begin`/`commit` make their writes one atomic unit (all kept or none). The
  /// engine hands its transport several sends at once only then, since their intents must be
  /// recorded together. The default, with `begin`/`commit` doing nothing, says no.
  [[nodiscard]] virtual bool atomic_units() const noexcept { return false; }

  /// @brief Makes every write so far durable, outside a unit: a store opened with
  /// `StoreDurability::none` commits the group of units it holds. The default does nothing (each
  /// unit was durable when its `commit` returned).
  [[nodiscard]] virtual expected<void> flush() { return {}; }

  /// @brief True when the address (compared case-insensitively) is on the suppression list.
  /// @param address The address.
  [[nodiscard]] virtual bool is_suppressed(std::string_view address) const = 0;

  /// @brief `is_suppressed` for several addresses at once (a store across a network asks in one
  /// round trip). The default asks for each in turn.
  /// @param addresses The addresses.
  /// @return For each address, in order, whether it is on the suppression list.
  [[nodiscard]] virtual std::vector<bool> suppressed_among(const std::vector<std::string_view>& addresses) const;

  /// @brief Adds an address to the suppression list (no effect when it is on it).
  /// @param address The address.
  /// @param reason Why, such as `unsubscribe`, `complaint` or `hard_bounce`.
  [[nodiscard]] virtual expected<void> suppress(std::string_view address, std::string_view reason) = 0;

  /// @brief Removes an address from the suppression list (no effect when it is not on it).
  /// @param address The address.
  [[nodiscard]] virtual expected<void> unsuppress(std::string_view address) = 0;

  /// @brief The suppression list, ordered by address.
  [[nodiscard]] virtual std::vector<Suppression> suppressions() const = 0;

  /// @brief Calls `visit` with each event of a campaign, in the order they were appended.
  /// @param campaign The campaign's name.
  /// @param visit Called once per event.
  virtual void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const = 0;

  /// @brief A page of a campaign's events after a place in its log, each with its place, for a
  /// reader that follows the log (`GET /api/campaigns/NAME/events?after=`). Places grow with
  /// each event appended and are never reused. The default numbers the events 1, 2, ... in
  /// their order (an erased address shifts the numbers of the events after its own).
  /// @param campaign The campaign's name.
  /// @param after Only events placed after this (0: from the first).
  /// @param limit At most this many.
  [[nodiscard]] virtual EventPage events_after(std::string_view campaign, std::int64_t after, std::size_t limit) const;

  /// @brief When the campaign's last event happened, if it has any. The default reads the whole
  /// log; stores look it up.
  /// @param campaign The campaign's name.
  [[nodiscard]] virtual std::optional<Instant> last_event_at(std::string_view campaign) const;

  /// @brief Calls `visit` with each event of one lead of a campaign, in the order they were
  /// appended. The default reads the whole log; stores use their index by lead.
  /// @param campaign The campaign's name.
  /// @param lead The lead's address, compared without regard to ASCII case.
  /// @param visit Called once per event.
  virtual void for_each_lead_event(std::string_view campaign, std::string_view lead,
                                   const std::function<void(const Event&)>& visit) const;

  /// @brief Calls `visit` with each event of a campaign placed after `after`, and its place, in
  /// the order they were appended: the tail of the log a snapshot did not include. Places are
  /// those of `events_after`; the default numbers the events as its default does.
  /// @param campaign The campaign's name.
  /// @param after Only events placed after this (0: every one).
  /// @param visit Called once per event, with its place.
  virtual void for_each_event_after(std::string_view campaign, std::int64_t after,
                                    const std::function<void(std::int64_t, const Event&)>& visit) const;

  /// @brief Whether the store keeps campaigns' snapshots (`save_snapshot`).
  [[nodiscard]] virtual bool keeps_snapshots() const noexcept { return false; }
  /// @brief Keeps a campaign's snapshot, replacing its earlier one. A store that erases events
  /// (`forget`) drops the snapshots with them, since they were made of those events.
  /// @param campaign The campaign's name.
  /// @param snapshot The snapshot.
  /// @return An error when it cannot be written (the campaign is unharmed: its log is the truth),
  /// or when the store keeps no snapshots.
  [[nodiscard]] virtual expected<void> save_snapshot(std::string_view campaign, const CampaignSnapshot& snapshot);
  /// @brief The campaign's latest snapshot, if the store has one.
  /// @param campaign The campaign's name.
  [[nodiscard]] virtual std::optional<CampaignSnapshot> snapshot(std::string_view campaign) const;

  /// @brief The intents without an outcome, in the order they were recorded.
  [[nodiscard]] virtual std::vector<SendIntent> open_intents() const = 0;

  /// @brief Whether a campaign saved here must be rebuildable from the store alone, so that its
  /// definition is written out in full (for a million leads that takes a while). A store that
  /// lives only as long as its engine may say no; then `StoredCampaign::definition` is empty.
  [[nodiscard]] virtual bool keeps_definitions() const noexcept { return true; }

  /// @brief Keeps a campaign (replacing the one of the same name).
  /// @param campaign The campaign.
  [[nodiscard]] virtual expected<void> save_campaign(const StoredCampaign& campaign) = 0;

  /// @brief The campaign of that name, if the store has it.
  /// @param name The campaign's name.
  [[nodiscard]] virtual std::optional<StoredCampaign> campaign(std::string_view name) const = 0;

  /// @brief Every campaign, in the order they were first saved.
  [[nodiscard]] virtual std::vector<StoredCampaign> campaigns() const = 0;

  /// @brief The send whose Message-ID is `message_id` (its `sent` or `in_doubt` event), if any.
  /// The default reads every campaign's events; stores index them.
  /// @param message_id The Message-ID, with its angle brackets, compared exactly.
  [[nodiscard]] virtual std::optional<SentMessage> find_sent(std::string_view message_id) const;

  /// @brief The step of the last send (`sent` or `in_doubt`) to a lead of a campaign at or
  /// before an instant, if any: what a message written then without naming our Message-ID can
  /// be about. The default reads the campaign's events; stores index them.
  /// @param campaign The campaign's name.
  /// @param lead The lead's address (compared case-insensitively).
  /// @param at_or_before The latest instant that counts.
  [[nodiscard]] virtual std::optional<int> last_step_sent(std::string_view campaign, std::string_view lead,
                                                          Instant at_or_before) const;

  /// @brief Records that a received message was taken in, so that taking it in again changes
  /// nothing. The default keeps nothing (every message is new): a store that outlives its
  /// engine must override it.
  /// @param fingerprint What tells the message apart (a digest of its Message-ID or bytes).
  /// @param at When it was taken in.
  /// @return True when the message is new, false when it was recorded before.
  [[nodiscard]] virtual expected<bool> record_received(std::string_view fingerprint, Instant at);

  /// @brief Erases everything the store holds about an address (its events, intents and added
  /// leads in every campaign, received mail waiting to be taken in that mentions it, answered requests
  /// whose `addresses` hold it, and the address itself from the `addresses` of waiting ones)
  /// except its suppression entry.
  /// @param address The address (compared case-insensitively).
  /// @return How many records were erased.
  [[nodiscard]] virtual expected<std::size_t> forget(std::string_view address) = 0;

  /// @brief Hands a received message to the engine that runs the store: it waits in the store's
  /// inbox until that engine takes it in (`queued`, `Engine::ingest`, `unqueue`), so that mail
  /// read by another process reaches a running engine. Works with `engine` or `inbox` access.
  /// The default keeps no inbox and returns an `invalid_argument` error.
  /// @param raw The message as received.
  /// @param at When it was handed in.
  [[nodiscard]] virtual expected<void> queue_received(std::string_view raw, Instant at);

  /// @brief The messages waiting in the inbox, oldest first. The default has none.
  /// @param limit At most this many.
  /// @param after Only those with a greater id (to page past messages left for another engine).
  [[nodiscard]] virtual std::vector<QueuedMessage> queued(std::size_t limit, std::int64_t after = 0) const;

  /// @brief Removes a message from the inbox once it was taken in, inside the same unit as what
  /// it changed, so that it is taken in exactly once. The default returns an `invalid_argument`
  /// error.
  /// @param id The message's `QueuedMessage::id`.
  [[nodiscard]] virtual expected<void> unqueue(std::int64_t id);

  /// @brief Asks the engine that runs the store for a change: the request waits in the store,
  /// durably, until that engine applies it (`waiting_requests`, `answer_request`). Works with
  /// `engine` or `inbox` access. The default keeps no requests and returns an
  /// `invalid_argument` error.
  /// @param body What is asked, as JSON.
  /// @param at When it was asked.
  /// @return The request's id, to find its answer with `request`.
  [[nodiscard]] virtual expected<std::int64_t> queue_request(std::string_view body, Instant at);

  /// @brief Suppresses an address at once and asks the engine that runs the store to record why
  /// (`body`, a request such as `unsubscribe`), as one durable unit: what a one-click
  /// unsubscribe does beside a running engine. The request is queued only when the address was
  /// not on the list (a second click records nothing more). An engine asks the list again as it
  /// records each send's intent, so no send to the address begins after this returns (one whose
  /// intent is already open may still be under way: `open_intents`). Works with `engine` or
  /// `inbox` access. The default suppresses, then queues the request: not one unit.
  /// @param address The address (any case).
  /// @param reason The suppression's reason (`unsubscribe`).
  /// @param body The request, as JSON.
  /// @param at When it was asked.
  /// @return The request's id; 0 when the address was on the list already and nothing was queued.
  [[nodiscard]] virtual expected<std::int64_t> suppress_and_queue(std::string_view address, std::string_view reason,
                                                                  std::string_view body, Instant at);

  /// @brief The requests not answered yet, oldest first. The default has none.
  /// @param limit At most this many.
  /// @param after Only those with a greater id (to page past requests left for another engine).
  [[nodiscard]] virtual std::vector<StoredRequest> waiting_requests(std::size_t limit, std::int64_t after = 0) const;

  /// @brief Takes a waiting request for this engine, inside the unit that applies it: false when
  /// another engine of the store has it (applying it now) or answered it since. The default, a
  /// store that one engine runs alone: true.
  /// @param id The request's id.
  [[nodiscard]] virtual expected<bool> take_request(std::int64_t id);

  /// @brief Records the engine's answer to a request, inside the same unit as what the request
  /// changed, so that it is applied exactly once. The default returns an `invalid_argument` error.
  /// @param id The request's id.
  /// @param answer The answer, as JSON.
  /// @param at When it was answered.
  [[nodiscard]] virtual expected<void> answer_request(std::int64_t id, std::string_view answer, Instant at);

  /// @brief A request by its id, answered or not; nothing for an id the store does not have
  /// (never asked, or answered long ago and dropped). The default has none.
  /// @param id The request's id.
  [[nodiscard]] virtual std::optional<StoredRequest> request(std::int64_t id) const;

  /// @brief Whether the store keeps leads added to started campaigns (`add_leads`). The
  /// default, which keeps none, says no: the engine then refuses to add leads to a started
  /// campaign rather than fail the store.
  [[nodiscard]] virtual bool keeps_added_leads() const noexcept { return false; }

  /// @brief Keeps leads added to a started campaign, in their order, after those kept before.
  /// The default keeps none and returns an `invalid_argument` error.
  /// @param campaign The campaign's name.
  /// @param leads The leads, in the order they enter the campaign.
  [[nodiscard]] virtual expected<void> add_leads(std::string_view campaign, const std::vector<AddedLead>& leads);

  /// @brief Calls `visit` with each lead added to a campaign, in the order they were added.
  /// The default has none.
  /// @param campaign The campaign's name.
  /// @param visit Called once per lead.
  virtual void for_each_added_lead(std::string_view campaign, const std::function<void(const AddedLead&)>& visit) const;

  /// @brief Whether the store keeps the versions of a campaign's sequence
  /// (`save_sequence_version`). The default, which keeps none, says no: the engine then refuses
  /// to edit a started campaign's steps.
  [[nodiscard]] virtual bool keeps_sequence_versions() const noexcept { return false; }

  /// @brief Keeps a version of a campaign's sequence; a version kept before under the same
  /// number is an `invalid_argument` error. The default keeps none and returns that error.
  /// @param campaign The campaign's name.
  /// @param version The version.
  [[nodiscard]] virtual expected<void> save_sequence_version(std::string_view campaign, const SequenceVersion& version);

  /// @brief The versions of a campaign's sequence kept so far, oldest first; none for a campaign
  /// whose steps were never edited. The default has none.
  /// @param campaign The campaign's name.
  [[nodiscard]] virtual std::vector<SequenceVersion> sequence_versions(std::string_view campaign) const;

  /// @brief Where the reading of a mailbox's folder has got, if it was read before. The default
  /// keeps nothing.
  /// @param mailbox The mailbox id.
  /// @param folder The folder's name.
  [[nodiscard]] virtual std::optional<FolderPosition> folder_position(std::string_view mailbox,
                                                                      std::string_view folder) const;

  /// @brief Records where the reading of a folder has got (replacing what was there), inside the
  /// unit that took the message in, so that a message is neither lost nor taken in twice. The
  /// default keeps nothing.
  /// @param position The position.
  [[nodiscard]] virtual expected<void> save_folder_position(const FolderPosition& position);

  /// @brief Records the outcome of reading a mailbox (replacing the last one of that mailbox).
  /// The default keeps nothing.
  /// @param check The outcome.
  [[nodiscard]] virtual expected<void> record_mailbox_check(const MailboxCheck& check);

  /// @brief The last outcome of reading each mailbox, ordered by mailbox id. The default has none.
  [[nodiscard]] virtual std::vector<MailboxCheck> mailbox_checks() const;

  /// @brief Keeps whether a mailbox is disabled (replacing its state before), so that every
  /// engine of the store, and every campaign that has the mailbox, agrees after a restart. The
  /// default keeps nothing: the engine then reads the state back from its campaigns' events.
  /// @param state The state.
  [[nodiscard]] virtual expected<void> save_mailbox_state(const MailboxState& state);

  /// @brief Each mailbox's last state kept, ordered by mailbox id. The default has none.
  [[nodiscard]] virtual std::vector<MailboxState> mailbox_states() const;

  /// @brief Whether several engines may run this store at once, each campaign by one of them at
  /// a time (a PostgreSQL store opened as an engine). An engine on such a store claims each
  /// campaign before it runs it (`claim`, `claim_free`), renews its claims while it runs
  /// (`renew_claims`), and asks for each send's slot (`reserve_slot`); the store refuses every
  /// write of a campaign whose claim another engine has taken over since. The default, a store
  /// that one engine runs alone: no.
  [[nodiscard]] virtual bool shared() const noexcept { return false; }

  /// @brief Claims a campaign for this engine (one the store has, or a new one): true when it is
  /// this engine's now, false while another live engine holds it. A claim lapses when its holder
  /// does not renew it in time; another engine may then take the campaign over. The default: true.
  /// @param campaign The campaign's name.
  [[nodiscard]] virtual expected<bool> claim(std::string_view campaign);

  /// @brief Claims campaigns of the store that no live engine holds and that have something left
  /// to do (not released as finished, or asked for something since): their names. The default
  /// claims none.
  /// @param limit At most this many.
  [[nodiscard]] virtual expected<std::vector<std::string>> claim_free(std::size_t limit);

  /// @brief Renews this engine's claims, when they are due for it: the campaigns it lost (another
  /// engine took them over after they lapsed), which it must leave. The default loses none.
  [[nodiscard]] virtual expected<std::vector<std::string>> renew_claims();

  /// @brief Gives a campaign's claim up, so that another engine may take it at once.
  /// @param campaign The campaign's name.
  /// @param finished It has nothing left to do: claimed again only once something is asked of it.
  [[nodiscard]] virtual expected<void> release(std::string_view campaign, bool finished);

  /// @brief Says that a campaign this engine holds has nothing left to send (or has again), so
  /// that engines waiting to take work over need not wait for it; it keeps its claim (mail is
  /// still read for it). A request for the campaign makes it one with something to do again.
  /// The default does nothing.
  /// @param campaign The campaign's name.
  /// @param finished Whether it has nothing left to send.
  [[nodiscard]] virtual expected<void> mark_finished(std::string_view campaign, bool finished);

  /// @brief Whether a live engine other than this one holds a campaign with something left to
  /// do: one this engine would take over, should that engine die. The default: no.
  [[nodiscard]] virtual expected<bool> others_at_work();

  /// @brief A file descriptor that becomes readable when another process has handed the store
  /// something for its engines (a request, received mail), so that a running engine wakes at
  /// once rather than at its next look; -1 when the store has none (the default). It may change
  /// after the store reconnects: ask again after each wake-up.
  [[nodiscard]] virtual int wake_descriptor() const noexcept { return -1; }

  /// @brief Takes what woke the engine off `wake_descriptor`: true when something was handed in.
  /// The default: false.
  [[nodiscard]] virtual bool take_wake_ups() noexcept { return false; }

  /// @brief Reserves a send slot of a mailbox, in the unit that records the send's intent: granted
  /// when the day has room and the spacing is over by the count of every engine. The default,
  /// for a store that one engine runs alone (its own count is the whole count), grants it.
  /// @param slot The mailbox, the day, its limit, the instant and the spacing.
  [[nodiscard]] virtual expected<SlotAnswer> reserve_slot(const SendSlot& slot);

  /// @brief `reserve_slot` for several slots, in their order (a store across a network asks in
  /// one round trip). The default reserves each in turn.
  /// @param slots The slots, in the order they are taken.
  /// @return Each slot's answer, in order (a refused slot's count may take in the sends granted
  /// after it); or the first failure.
  [[nodiscard]] virtual expected<std::vector<SlotAnswer>> reserve_slots(const std::vector<SendSlot>& slots);

  /// @brief Gives a reserved slot's room back: its send did not go out (deferred, refused), and
  /// counts against no daily limit; the spacing after it still holds. In the unit that records
  /// the send's outcome. The default does nothing.
  /// @param slot The slot as it was reserved (its mailbox and day).
  [[nodiscard]] virtual expected<void> release_slot(const SendSlot& slot);

  /// @brief What the store was opened for. The default, a store that lives with its engine,
  /// says `engine`.
  [[nodiscard]] virtual StoreAccess access() const noexcept { return StoreAccess::engine; }

  /// @brief The first read that failed since the store was opened, if any. Reads cannot fail
  /// through this port; a durable store whose read did fail returns what it could, keeps the
  /// error here and fails every later write with it, so an engine stops before acting on a read
  /// it could not trust. The default never fails a read.
  [[nodiscard]] virtual std::optional<Error> read_error() const { return std::nullopt; }
};

}  // namespace outreach
