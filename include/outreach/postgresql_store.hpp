/// @file postgresql_store.hpp
/// @brief `PostgresqlStore`: the durable `Store` in a PostgreSQL database, which engines on
/// several machines can share.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/store.hpp"

namespace outreach {

/// @brief How a `PostgresqlStore` is opened.
struct PostgresqlStoreOptions {
  /// What a write survives. Both keep a commit through a crash of the server (the server writes
  /// its log before it answers); `power` also waits for synchronous standbys where they are set
  /// up (`synchronous_commit = on` rather than `local`).
  StoreDurability durability = StoreDurability::process;
  /// Engine (writes), reader, or inbox.
  StoreAccess access = StoreAccess::engine;
  /// The longest a statement may run, or wait for a lock, before it fails with `unavailable`.
  std::chrono::milliseconds statement_timeout{30000};
  /// How long a lost connection is tried again (a restarted server, a network blip) before the
  /// read or write that needed it fails.
  std::chrono::milliseconds reconnect_timeout{60000};
  /// How long an engine's claim on a campaign lasts unless renewed: an engine that stops (killed,
  /// stopped, cut off) leaves its campaigns to the others after this long, or a little more when
  /// stopped inside a transaction (the server ends a transaction left idle this long). It renews
  /// its claims every third of it.
  std::chrono::milliseconds claim_lease{30000};
};

/// @brief A `Store` in a PostgreSQL database: the same records as `SqliteStore` (campaigns, the
/// event log, open send intents, the suppression list, received mail, requests, folder
/// positions), in the schema `outreach` of the database the location names, created and
/// upgraded when an engine opens it.
///
/// The location is a libpq connection string: a URI, `postgresql://user@host:port/database?...`
/// (or `postgres://`), or `host=... dbname=...`;
/// a password is better kept out of it, in `PGPASSWORD` or `~/.pgpass`, and errors never show
/// it. Defaults: `application_name=outreach`, `connect_timeout=10`.
///
/// Writes outside `begin`/`commit` are each a transaction of their own, committed when they
/// return; `begin`/`commit` nest, and only the outermost `commit` writes, as in `SqliteStore`.
/// A connection lost on the way (the server restarted, the network failed) is opened again for up
/// to `reconnect_timeout`; a write whose commit was under way when it was lost is looked up by
/// its transaction id, so it is neither lost nor written twice, and a unit's writes are written
/// again on the new connection before it goes on.
///
/// Reads cannot fail through the `Store` port: one that does, after the connection could not be
/// opened again, returns what it could, and the error is kept (`read_error()`) and fails every
/// later write, so an engine stops before acting on a read it could not trust.
///
/// Any number of engines open the same store (`shared()`): each campaign is run by one of them
/// at a time, which claims it (`claim`, `claim_free`: `FOR UPDATE SKIP LOCKED`) under a lease on
/// the server's clock and renews it while it runs. Every write of a campaign is fenced by the
/// claim's attempt number, in the same transaction: once another engine has taken a lapsed claim
/// over, the old holder's writes fail with `unavailable` and change nothing. A mailbox's sends
/// are counted for every engine at once (`reserve_slot`, in the transaction of the send's
/// intent). Readers and the inbox claim nothing. Used from one thread at a time. No exception
/// leaves it.
class PostgresqlStore final : public Store {
 public:
  /// @brief Connects and opens a store; with `engine` access, creates or upgrades its schema
  /// (one engine at a time: a second one waits, then finds it done).
  ///
  /// A database whose schema `outreach` holds something else, one of a newer schema version, or
  /// a store another engine holds is refused with an error naming the location (without its
  /// password) and why, and is left unchanged.
  /// @param location A libpq connection string (a `postgresql://` URI, or `key=value` pairs).
  /// @param options Durability, access and timeouts.
  /// @return The store, or: `not_found` (no such database; for reading, no store in it),
  /// `invalid_argument` (a location or credentials the server refuses), `invalid_value` (not an
  /// outreach store, newer), `unavailable` (no server, or another engine holds it).
  [[nodiscard]] static expected<std::unique_ptr<PostgresqlStore>> open(std::string_view location,
                                                                       const PostgresqlStoreOptions& options = {});

  /// @brief Rolls back a unit not committed, gives this engine's claims up (another engine may
  /// take its campaigns at once) and closes the connection.
  ~PostgresqlStore() override;
  PostgresqlStore(const PostgresqlStore&) = delete;             ///< Not copyable: it owns a connection.
  PostgresqlStore& operator=(const PostgresqlStore&) = delete;  ///< Not copyable: it owns a connection.

  [[nodiscard]] expected<void> append(const Event& event) override;
  [[nodiscard]] expected<void> record_intent(const SendIntent& intent) override;
  [[nodiscard]] expected<void> begin() override;
  [[nodiscard]] expected<void> commit() override;
  /// @brief Yes: a unit is one transaction.
  [[nodiscard]] bool atomic_units() const noexcept override { return true; }
  [[nodiscard]] bool is_suppressed(std::string_view address) const override;
  /// @brief In one round trip.
  [[nodiscard]] std::vector<bool> suppressed_among(const std::vector<std::string_view>& addresses) const override;
  [[nodiscard]] expected<void> suppress(std::string_view address, std::string_view reason) override;
  [[nodiscard]] expected<void> unsuppress(std::string_view address) override;
  [[nodiscard]] std::vector<Suppression> suppressions() const override;
  void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const override;
  /// @brief The places are the events' row ids.
  [[nodiscard]] EventPage events_after(std::string_view campaign, std::int64_t after, std::size_t limit) const override;
  /// @brief The places are the events' ids.
  void for_each_event_after(std::string_view campaign, std::int64_t after,
                            const std::function<void(std::int64_t, const Event&)>& visit) const override;
  [[nodiscard]] std::optional<Instant> last_event_at(std::string_view campaign) const override;
  void for_each_lead_event(std::string_view campaign, std::string_view lead,
                           const std::function<void(const Event&)>& visit) const override;
  [[nodiscard]] bool keeps_snapshots() const noexcept override { return true; }
  /// @brief Kept only by the engine that holds the campaign's claim.
  [[nodiscard]] expected<void> save_snapshot(std::string_view campaign, const CampaignSnapshot& snapshot) override;
  [[nodiscard]] std::optional<CampaignSnapshot> snapshot(std::string_view campaign) const override;
  [[nodiscard]] std::vector<SendIntent> open_intents() const override;
  [[nodiscard]] expected<void> save_campaign(const StoredCampaign& campaign) override;
  [[nodiscard]] std::optional<StoredCampaign> campaign(std::string_view name) const override;
  [[nodiscard]] std::vector<StoredCampaign> campaigns() const override;
  [[nodiscard]] expected<std::size_t> forget(std::string_view address) override;
  [[nodiscard]] bool keeps_added_leads() const noexcept override { return true; }
  [[nodiscard]] expected<void> add_leads(std::string_view campaign, const std::vector<AddedLead>& leads) override;
  void for_each_added_lead(std::string_view campaign,
                           const std::function<void(const AddedLead&)>& visit) const override;
  [[nodiscard]] bool keeps_sequence_versions() const noexcept override { return true; }
  [[nodiscard]] expected<void> save_sequence_version(std::string_view campaign,
                                                     const SequenceVersion& version) override;
  [[nodiscard]] std::vector<SequenceVersion> sequence_versions(std::string_view campaign) const override;
  [[nodiscard]] expected<void> save_mailbox_state(const MailboxState& state) override;
  [[nodiscard]] std::vector<MailboxState> mailbox_states() const override;
  [[nodiscard]] std::optional<SentMessage> find_sent(std::string_view message_id) const override;
  [[nodiscard]] std::optional<int> last_step_sent(std::string_view campaign, std::string_view lead,
                                                  Instant at_or_before) const override;
  [[nodiscard]] expected<bool> record_received(std::string_view fingerprint, Instant at) override;
  /// @brief Durable when it returns; works with `engine` or `inbox` access.
  [[nodiscard]] expected<void> queue_received(std::string_view raw, Instant at) override;
  [[nodiscard]] std::vector<QueuedMessage> queued(std::size_t limit, std::int64_t after = 0) const override;
  [[nodiscard]] expected<void> unqueue(std::int64_t id) override;
  /// @brief Durable when it returns; works with `engine` or `inbox` access.
  [[nodiscard]] expected<std::int64_t> queue_request(std::string_view body, Instant at) override;
  /// @brief One transaction, durable when it returns; works with `engine` or `inbox` access.
  [[nodiscard]] expected<std::int64_t> suppress_and_queue(std::string_view address, std::string_view reason,
                                                          std::string_view body, Instant at) override;
  [[nodiscard]] std::vector<StoredRequest> waiting_requests(std::size_t limit, std::int64_t after = 0) const override;
  /// @brief Locks the request's row until the unit ends (`FOR UPDATE SKIP LOCKED`).
  [[nodiscard]] expected<bool> take_request(std::int64_t id) override;
  /// @brief Also drops answers older than a week.
  [[nodiscard]] expected<void> answer_request(std::int64_t id, std::string_view answer, Instant at) override;
  [[nodiscard]] std::optional<StoredRequest> request(std::int64_t id) const override;
  [[nodiscard]] std::optional<FolderPosition> folder_position(std::string_view mailbox,
                                                              std::string_view folder) const override;
  [[nodiscard]] expected<void> save_folder_position(const FolderPosition& position) override;
  [[nodiscard]] expected<void> record_mailbox_check(const MailboxCheck& check) override;
  [[nodiscard]] std::vector<MailboxCheck> mailbox_checks() const override;
  [[nodiscard]] StoreAccess access() const noexcept override;
  [[nodiscard]] std::optional<Error> read_error() const override;
  /// @brief Yes when opened as an engine: several engines may run the store.
  [[nodiscard]] bool shared() const noexcept override;
  [[nodiscard]] expected<bool> claim(std::string_view campaign) override;
  [[nodiscard]] expected<std::vector<std::string>> claim_free(std::size_t limit) override;
  /// @brief Renews them every third of the lease; between, it returns at once.
  [[nodiscard]] expected<std::vector<std::string>> renew_claims() override;
  [[nodiscard]] expected<void> release(std::string_view campaign, bool finished) override;
  [[nodiscard]] expected<void> mark_finished(std::string_view campaign, bool finished) override;
  [[nodiscard]] expected<bool> others_at_work() override;
  [[nodiscard]] expected<SlotAnswer> reserve_slot(const SendSlot& slot) override;
  /// @brief In one round trip, once the mailboxes' rows exist (a second to read the slots refused).
  [[nodiscard]] expected<std::vector<SlotAnswer>> reserve_slots(const std::vector<SendSlot>& slots) override;
  /// @brief An engine's connection, which listens for what other processes hand in (`NOTIFY`).
  [[nodiscard]] int wake_descriptor() const noexcept override;
  [[nodiscard]] bool take_wake_ups() noexcept override;
  [[nodiscard]] expected<void> release_slot(const SendSlot& slot) override;
  /// @brief This engine's id in the store's claims: the host, the process id and a random part.
  [[nodiscard]] const std::string& engine_id() const noexcept;

  /// @brief The location as errors show it: the URI without its password.
  [[nodiscard]] const std::string& location() const noexcept;
  /// @brief The options it was opened with.
  [[nodiscard]] const PostgresqlStoreOptions& options() const noexcept;
  /// @brief How many times the connection was opened again after it was lost.
  [[nodiscard]] std::int64_t reconnections() const noexcept;

 private:
  struct Impl;
  explicit PostgresqlStore(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outreach
