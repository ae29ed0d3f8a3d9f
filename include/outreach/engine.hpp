/// @file engine.hpp
/// @brief `Engine`: runs campaigns — decides what to send when, renders, sends through the
/// transport, records in the store, applies what comes back, and keeps the analytics.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/clock.hpp"
#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/explain.hpp"
#include "outreach/inbound.hpp"
#include "outreach/ingest.hpp"
#include "outreach/instant.hpp"
#include "outreach/send_in_doubt.hpp"
#include "outreach/store.hpp"
#include "outreach/summary.hpp"
#include "outreach/transport.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace outreach {

/// @brief What a campaign needs that its file does not hold: the secrets it names.
struct CampaignSecrets {
  /// @brief The key its unsubscribe tokens are signed with; nothing or empty: an empty key (with
  /// a warning when the campaign names `unsubscribe.secret_env`), or the campaign refused when
  /// the engine requires secrets (`Engine::require_unsubscribe_secrets`).
  std::optional<std::string> unsubscribe_secret;

  /// @brief The secrets from the environment variables the campaign names
  /// (`unsubscribe.secret_env`); an unset or empty variable gives nothing.
  /// @param campaign The campaign.
  [[nodiscard]] static CampaignSecrets from_environment(const CampaignDefinition& campaign);
};

/// @brief What `Engine::update` may change beyond a campaign's settings.
struct UpdateOptions {
  /// Apply changed steps (texts, delays, steps added or removed) to a started campaign as its
  /// sequence's next version; without it, changed steps are refused with what would change.
  bool edit_steps = false;
};

/// @brief What adding leads to a campaign came to (`Engine::add_leads`).
struct LeadsAdded {
  std::int64_t added = 0;       ///< Leads that entered the campaign.
  std::int64_t already_in = 0;  ///< Left out: the campaign has the address already (or the list had it twice).
  std::int64_t suppressed = 0;  ///< Left out: the address is on the suppression list.
  /// @brief Results compare equal when every count is equal.
  friend bool operator==(const LeadsAdded&, const LeadsAdded&) = default;
};

/// @brief Runs any number of campaigns over one `Store`, one `Transport` and one `Clock`.
///
/// Everything happens in `step()`: it does what is due at the clock's current time and says
/// when to look next. `simulate` moves a `ManualClock` from one such instant to the next, and
/// `run` waits for them on the system clock with Boost.Asio: the same code decides every send.
///
/// Mailboxes are shared by every campaign of an engine: one daily limit, ramp and spacing.
/// An engine is used from one thread at a time; `request_stop` may be called from any thread.
class Engine {
 public:
  /// @brief Receives every event as it happens.
  using EventListener = std::function<void(const Event&)>;
  /// @brief Called with each warning as it is found (see `warnings()`).
  using WarningListener = std::function<void(const std::string&)>;

  /// @brief An engine over a store, a transport and a clock, which must outlive it.
  /// @param store Where events and the send log go.
  /// @param transport How messages leave.
  /// @param clock Where the time comes from.
  Engine(Store& store, Transport& transport, const Clock& clock);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// @brief Adds a campaign (in `draft` status until `start`), with the secrets it names read
  /// from the environment (`CampaignSecrets::from_environment`).
  /// @param campaign The campaign.
  /// @return Nothing, or `invalid_argument` when a campaign of that name exists. A mailbox id
  /// already known from another campaign takes the new settings (see `warnings()`).
  [[nodiscard]] expected<void> add_campaign(CampaignDefinition campaign);

  /// @brief Adds a campaign (in `draft` status until `start`) with the secrets given.
  /// @param campaign The campaign.
  /// @param secrets Its secrets; nothing is read from the environment.
  /// @return As `add_campaign(campaign)`.
  [[nodiscard]] expected<void> add_campaign(CampaignDefinition campaign, CampaignSecrets secrets);

  /// @brief Adds a campaign from its definition as a store keeps it, with the secrets it names
  /// read from the environment, and starts it: how a campaign comes back from its store alone
  /// (`restore_campaigns`, `outreach run --store`). Unlike `add_campaign` then `start`, the
  /// definition is known to be the store's, so it is not written out again to be compared with
  /// it (for a million leads that takes seconds).
  /// @param stored The campaign as the engine's store has it (`Store::campaign`).
  /// @return Nothing; `parse_error` (or the reader's code) naming the campaign when its definition
  /// cannot be read back; else as `add_campaign` and `start`.
  [[nodiscard]] expected<void> add_stored_campaign(const StoredCampaign& stored);

  /// @brief Starts a campaign: its leads enter at the schedule's start, or now if later.
  /// @param name The campaign's name.
  /// @return Nothing, or `not_found`.
  [[nodiscard]] expected<void> start(std::string_view name);
  /// @brief Pauses a campaign: nothing is sent for it until `resume`.
  /// @param name The campaign's name.
  /// @return Nothing, or `not_found`.
  [[nodiscard]] expected<void> pause(std::string_view name);
  /// @brief Resumes a paused campaign.
  /// @param name The campaign's name.
  /// @return Nothing, or `not_found`, or `invalid_argument` for a stopped campaign.
  [[nodiscard]] expected<void> resume(std::string_view name);
  /// @brief Ends a campaign for good (`campaign_stopped`, reason `request`): nothing more is sent
  /// for it, received mail is still taken in, and nothing resumes it. A draft or a campaign
  /// stopped already is left as it is.
  /// @param name The campaign's name.
  /// @return Nothing, or `not_found`.
  [[nodiscard]] expected<void> stop(std::string_view name);

  /// @brief Adds leads to a campaign, after the ones it has, in the order given. In a started
  /// campaign they enter now (their first step is due after its delay from now, in the
  /// schedule's hours) and are kept in the store apart from the campaign's definition, which is
  /// not written again (`Store::add_leads`); a finished campaign runs again. Addresses the
  /// campaign has (compared as `Lead::key()`) or that are suppressed are left out and counted.
  /// @param name The campaign's name.
  /// @param leads The leads, checked by the caller as a lead list's reader checks them (the
  /// `add_leads` request and `load_lead_list` do); a lead time zone the tz database does not
  /// know sends in the schedule's zone.
  /// @return The counts; or `not_found`, `invalid_argument` for a stopped campaign, one past
  /// its `schedule.end`, or a started campaign on a store that keeps no added leads
  /// (`Store::keeps_added_leads`), `limit_exceeded` beyond 2^32 - 2 leads, or the store's error
  /// (with the engine stopped).
  [[nodiscard]] expected<LeadsAdded> add_leads(std::string_view name, std::vector<Lead> leads);

  /// @brief Applies a changed definition to the campaign of its name: schedule, limits,
  /// mailboxes (added, changed or removed: the follow-ups of a removed one wait for it, or move
  /// with `reassign_follow_ups`), stop rules, bounce rules, delivery and unsubscribe
  /// settings take effect at the next decision, with the counts of the day going on (a lowered
  /// daily limit already reached sends nothing more that day). Its leads are not read: leads
  /// are added with `add_leads`. In a started campaign each change is a `campaign_changed`
  /// event (`setting`, `before`, `after`), and the store keeps the new definition.
  ///
  /// Changed steps are applied only with `options.edit_steps` (docs/operations.md, "Edited
  /// steps"): the sequence becomes the campaign's next version, kept in the store with the ones
  /// before (a store that `keeps_sequence_versions` with `atomic_units`); steps not yet sent to a lead are sent from it
  /// (steps are known by their position), the steps a lead got stay as they were in its history
  /// (its thread's subject included), a changed delay applies to the waits that begin after it
  /// (leads not started are timed again from their entry), and a
  /// lead waiting for a step that was removed ends (`stopped`, reason `step_removed`; it has
  /// every step of the new version). `sent` events name their version (`sequence_version`).
  ///
  /// Refused as a whole, with every reason, when it changes what a started campaign's past
  /// depends on: its seed; the threading or the variants' names and weights of a step already
  /// sent; `schedule.timezone` or `schedule.lead_timezone`; its steps without
  /// `options.edit_steps` (the reason lists what would change); or, while mail is read (`expect_mail`), when it adds or
  /// changes a mailbox's `imap` settings (readers start with the run). New mailboxes are checked
  /// as `add_campaign` checks them. A changed `unsubscribe.secret_env` is read from the
  /// environment.
  /// @param changed The changed campaign; its name says which.
  /// @param options What may change beyond the settings.
  /// @return Each change, as `setting: before -> after` or `step 3: reworded (variant A: text)`
  /// (empty when nothing changed); or `not_found`, `invalid_argument` (a refusal, or a stopped
  /// campaign), a mailbox's error, or the store's error (with the engine stopped).
  [[nodiscard]] expected<std::vector<std::string>> update(CampaignDefinition changed, UpdateOptions options = {});

  /// @brief Disables a mailbox: no campaign sends with it until it is enabled. New leads go
  /// from the campaigns' other mailboxes; the follow-ups of leads it started wait for it, so
  /// that they stay in their thread, unless the campaign has `reassign_follow_ups`. Each started
  /// campaign that has it records `mailbox_disabled` (reason `request`), which a restart reads
  /// back. The engine disables a mailbox by itself, with the failures as the reason, after
  /// `Mailbox::disable_after_failures` sends in a row failed on its side.
  /// @param id The mailbox's id.
  /// @return Nothing (also when it was disabled already); `not_found` for a mailbox no campaign
  /// has; or the store's error (with the engine stopped).
  [[nodiscard]] expected<void> disable_mailbox(std::string_view id);

  /// @brief Enables a disabled mailbox: its campaigns send with it again (`mailbox_enabled`,
  /// reason `request`), its count of failures in a row starts again, and the follow-ups that
  /// waited for it are due again.
  /// @param id The mailbox's id.
  /// @return Nothing (also when it was enabled already); `not_found` for a mailbox no campaign
  /// has; or the store's error (with the engine stopped).
  [[nodiscard]] expected<void> enable_mailbox(std::string_view id);

  /// @brief Applies what other processes left in the store for this engine, oldest first:
  /// received messages handed in (`Store::queue_received`, as `ingest` takes them) and requests
  /// (`Store::queue_request`, outreach/request.hpp), each in one unit of the store with its
  /// removal or its answer, so that it is applied exactly once even across a crash. A request
  /// for a campaign the store has but this engine does not run is left for the engine that
  /// does. `run` and `run_on` call it at every wake-up (at least every 200 ms), so a host that
  /// runs the engine needs no call of its own; one that drives `step` itself calls it between
  /// steps. A message that cannot be taken in is dropped with a warning.
  /// @return How many were applied; or the store's error, with the engine stopped.
  [[nodiscard]] expected<std::size_t> apply_waiting();

  /// @brief Queues an inbound event; it is applied at its `at` (at once if that has passed).
  /// @param event The event.
  /// @return Nothing, or `not_found` when no campaign has the lead (nothing changes).
  [[nodiscard]] expected<void> apply(const InboundEvent& event);

  /// @brief Takes in one received message (a reply, an auto-reply, a bounce, a complaint, an
  /// unsubscribe request): reads and classifies it, matches it to one of our sends by
  /// `In-Reply-To`/`References`, then by the Message-ID a report encloses, then by the reported
  /// recipient or the sender's address, and applies it at the clock's current time through the
  /// campaign's stop rules, its `bounces` settings and the suppression list. Nothing is sent.
  /// A message taken in before (same Message-ID, or same bytes) changes nothing; an unmatched one
  /// changes nothing either (an unmatched reply is reported as `unknown`).
  /// @param raw_message The message as received (RFC 5322, CRLF or LF line ends).
  /// @param limits Bounds on reading it.
  /// @return What it was and what it matched, or an error when it cannot be read (too large) or
  /// the store cannot record it (then nothing was applied).
  [[nodiscard]] expected<IngestResult> ingest(std::string_view raw_message, const MimeLimits& limits = {});

  /// @brief Takes in a message read from a folder of a mailbox, as `ingest(raw_message, limits)`
  /// does, and records the folder's position after it in the same atomic unit: after a crash
  /// the message is either taken in and its position recorded, or neither, so reading the
  /// folder again neither loses nor doubles it. A message that changes nothing, or cannot be
  /// read (its error is returned), still moves the position past it.
  /// @param raw_message The message as received.
  /// @param read_up_to The folder's position once this message is taken in.
  /// @param limits Bounds on reading it.
  [[nodiscard]] expected<IngestResult> ingest(std::string_view raw_message, const FolderPosition& read_up_to,
                                              const MimeLimits& limits = {});

  /// @brief Records a folder's position past a message that is not taken in (one too large to
  /// fetch). An error when the store cannot record it (the engine stops, as on any failed write).
  /// @param read_up_to The position.
  [[nodiscard]] expected<void> record_folder_position(const FolderPosition& read_up_to);

  /// @brief The sends from a mailbox that a crash left in doubt and nothing has settled yet,
  /// oldest first: what a mail reader looks for in the mailbox's Sent folder.
  /// @param mailbox_id The mailbox's id.
  [[nodiscard]] std::vector<SendInDoubt> sends_in_doubt(std::string_view mailbox_id) const;

  /// @brief Settles a send in doubt by what its mailbox's Sent folder holds. Found there, it went
  /// out: a `sent` event with `settled: found_in_sent`. Not found, it stays in doubt, unless its
  /// mailbox's provider files every submission there by itself
  /// (`ImapSettings::sent_files_submissions`), `resend_after` (and not a week more) has passed
  /// since it was found in doubt, no mail came back from its lead since, and the lead is not
  /// paused; then it is sent again with the same Message-ID: a `deferred` event with
  /// `settled: not_in_sent`, due at once.
  /// @param send The send, as `sends_in_doubt` listed it.
  /// @param found_in_sent Whether a message with its Message-ID is in the Sent folder.
  /// @return What was recorded (`Settlement::none`: nothing, as for a send settled before), or the
  /// store's error when it cannot record it (the engine stops, as on any failed write).
  [[nodiscard]] expected<Settlement> settle(const SendInDoubt& send, bool found_in_sent);

  /// @brief Records in the log of every campaign that sends from a mailbox that reading its mail
  /// fails (`mailbox_unreadable`, with `failure` as its reason) or works again (`mailbox_readable`,
  /// when `failure` is empty). `MailReading` calls it when a mailbox's reading changes between the two.
  /// @param mailbox_id The mailbox's id.
  /// @param failure Why it cannot be read; empty: it is read again.
  /// @return The store's error when it cannot record it (the engine stops, as on any failed write).
  [[nodiscard]] expected<void> record_mail_reading(std::string_view mailbox_id, std::string_view failure);

  /// @brief The shortest secret that signs unsubscribe tokens when secrets are required.
  static constexpr std::size_t min_unsubscribe_secret = 16;

  /// @brief From now on, `add_campaign` refuses a campaign whose unsubscribe links carry tokens
  /// (`{{token}}` in `unsubscribe.url`) signed by a secret shorter than `min_unsubscribe_secret`
  /// bytes, an unset or empty one included: anyone could forge a link that unsubscribes any
  /// address. What a program that sends real mail calls (`outreach run` does); a simulation may
  /// leave it off, and then such a campaign is added with a warning.
  void require_unsubscribe_secrets() noexcept;

  /// @brief While true, `step` keeps the engine running after each campaign's last send for the
  /// campaign's `read_after_last_send`, so that received mail read meanwhile (replies to the
  /// last step) is applied; `MailReading` sets it. False by default: `run` ends with the sends.
  /// @param reading Whether received mail is being read.
  void expect_mail(bool reading) noexcept;

  /// @brief How many events a campaign's start must replay from its store's log before it keeps
  /// a snapshot of the state they make (on a store that keeps snapshots and that this engine
  /// may write), so that the next start, and `status` or `explain` on the store, replay only the
  /// events after it. A snapshot is a copy: a start that cannot use it (the campaign's
  /// definition, leads or sequence changed since) replays the whole log, to the same state.
  /// Also how much a running campaign's log must grow before `keep_snapshots` keeps a new one.
  /// @param events At least 1; the default is `default_snapshot_after`.
  void snapshot_after(std::int64_t events) noexcept;
  /// @brief The default of `snapshot_after`: a replay of fewer events takes milliseconds.
  static constexpr std::int64_t default_snapshot_after = 10000;
  /// @brief Keeps a snapshot of every started campaign whose log has grown by at least
  /// `snapshot_after` events since its last snapshot (or its start, without one), on a store that
  /// keeps snapshots and that this engine may write.
  ///
  /// Each is built aside, as the campaign's next start would rebuild it from the store (the
  /// snapshot before and the events after it), so nothing of the running campaign changes; it
  /// takes about what that start takes, in time and in memory, while the engine waits. `run`
  /// calls it when nothing is due for a while (outside sending hours, say) and when it ends by
  /// itself (not on `request_stop`); a host that drives `step` itself calls it at its own quiet
  /// moments. Nothing is kept while sends decided in this step are still on their way, and a
  /// stop requested meanwhile ends it before the next campaign.
  /// @return How many campaigns got a snapshot. One that could not be kept is a warning, and is
  /// tried again once its log has grown as much again.
  std::size_t keep_snapshots();

  /// @brief Every mailbox of its campaigns, one per id with the settings added last, in the
  /// order they were first added.
  [[nodiscard]] std::vector<Mailbox> mailboxes() const;

  /// @brief Does everything due at the clock's current time.
  /// @return When to call again: nothing when no campaign has anything left to do.
  std::optional<Instant> step();

  /// @brief Runs on a manual clock from its current time until nothing is left to do, or
  /// until `until`: the simulation path.
  /// @param clock The engine's clock, moved forward by this call.
  /// @param until The last instant to simulate, if any.
  void simulate(ManualClock& clock, std::optional<Instant> until = std::nullopt);

  /// @brief Runs on the engine's clock in real time with a Boost.Asio timer until nothing is
  /// left to do, `until` passes, or `request_stop` is called.
  /// @param until The last instant to run, if any.
  void run(std::optional<Instant> until = std::nullopt);

  /// @brief Drives the engine from a host's Boost.Asio `io_context`: each wake-up is a timer on
  /// it, so the engine shares the host's event loop. Returns at once; `done` is called on the
  /// io_context when nothing is left to do, `until` passes, or a stop was requested.
  /// @param io The io_context (must outlive the run); the engine is used from its thread only.
  /// @param until The last instant to run, if any.
  /// @param done Called once at the end (may be empty).
  void run_on(boost::asio::io_context& io, std::optional<Instant> until = std::nullopt,
              std::function<void()> done = {});

  /// @brief Asks `run` to return after the send in progress; safe from any thread.
  void request_stop() noexcept;

  /// @brief On a store several engines share (`Store::shared`, a PostgreSQL store): while it
  /// runs (`run`, `run_on`), this engine also claims the campaigns of the store that no live
  /// engine holds, those of an engine that died included, and runs them; what `outreach run
  /// --store` with no campaign file does. Without it, only the campaigns added to it run here,
  /// each once this engine holds its claim. Nothing on a store that one engine runs alone.
  /// @param taking Whether to take them.
  void take_free_campaigns(bool taking) noexcept;

  /// @brief Adds a listener for every event (after the store has it).
  /// @param listener The function to call.
  void on_event(EventListener listener);

  /// @brief Adds a listener for every warning, told as it is found (the warnings are also kept
  /// in `warnings()`): for a log that shows them at once rather than at the end of a run.
  /// @param listener The function to call.
  void on_warning(WarningListener listener);

  /// @brief Where a lead stands at the clock's current instant: its status, its next step and
  /// every constraint that holds that step now, each asked of the check that decides sends
  /// (`earliest` and `history` are `explain_lead`'s, which runs an engine forward).
  /// @param campaign The campaign's name.
  /// @param lead The lead's address (compared case-insensitively).
  /// @return The explanation; `not_found` for an unknown campaign or lead.
  [[nodiscard]] expected<LeadExplanation> explain(std::string_view campaign, std::string_view lead);

  /// @brief Every campaign's summary: lead statuses, per step and variant, per day and mailbox.
  [[nodiscard]] Summary summary() const;

  /// @brief Where each lead of a campaign stands, in the campaign's order (added leads last).
  /// @param name The campaign's name.
  /// @return The leads; or `not_found` when the engine has no campaign of that name.
  [[nodiscard]] expected<std::vector<LeadProgress>> lead_progress(std::string_view name) const;

  /// @brief Things worth telling a person that are not errors (mailbox settings replaced by a
  /// later campaign, inbound events for unknown leads, ...).
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;

  /// @brief Why the engine stopped on its own, if it did: a write its store could not make
  /// (the engine stops then, as after `request_stop`, since it cannot go on without its memory;
  /// a send whose intent was recorded but not its outcome is in doubt the next time).
  /// @return The store's error, or nothing.
  [[nodiscard]] const std::optional<Error>& failure() const noexcept;

  struct State;  ///< The engine's state (private to the library).

 private:
  std::unique_ptr<State> state_;
};

}  // namespace outreach
