/// @file sqlite_store.hpp
/// @brief `SqliteStore`: the durable `Store`, in one SQLite file (WAL): the embedded default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
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

/// @brief How a `SqliteStore` is opened.
struct SqliteStoreOptions {
  /// What a write survives.
  StoreDurability durability = StoreDurability::process;
  /// Engine (lock, writes) or reader.
  StoreAccess access = StoreAccess::engine;
  /// How long a statement waits for another connection's lock before it fails with `unavailable`.
  std::chrono::milliseconds busy_timeout{5000};
  /// Runs `PRAGMA quick_check` when opening, so that a damaged file is refused before it is used.
  /// A file of 64 MiB or more has every table checked but the event log, whose pages are checked
  /// as they are read (checking it whole would read the whole file at every open).
  bool check_integrity = true;
};

/// @brief A `Store` in a SQLite file: the campaigns, the event log (each event as its JSON line),
/// the open send intents, the suppression list, received mail, and how far each mailbox's
/// folders were read.
///
/// Writes outside `begin`/`commit` are each their own transaction, committed when they return;
/// `begin`/`commit` nest, and only the outermost `commit` writes. After a write failed inside a
/// unit, the unit's later writes fail with the same error and the outermost `commit` rolls the
/// whole unit back and returns it. `record_intent` is durable when it returns only outside a
/// unit, which is how the engine calls it (before handing the message to the transport).
///
/// The `Store` port's reads cannot fail. When one does here (an I/O error, a damaged event
/// line), it returns what it could read (`is_suppressed` returns true, the safe answer), and the
/// error is kept: `read_error()` says it, and every later write fails with it, so an engine
/// stops before acting on a read it could not trust.
///
/// Used from one thread at a time. No exception leaves it; SQLite's errors become `Error`s that
/// name the file and carry SQLite's message.
class SqliteStore final : public Store {
 public:
  /// @brief The schema version this library writes (`PRAGMA user_version`).
  static constexpr std::int64_t schema_version = 8;
  /// @brief `PRAGMA application_id` of an outreach store ("OUTR").
  static constexpr std::int32_t application_id = 0x4F555452;

  /// @brief Opens a store, creating the file when it is missing (its folder must exist) and
  /// upgrading an older schema in one transaction.
  ///
  /// A file that is not a SQLite database, a SQLite database of another application, one of a
  /// newer schema, a damaged one, or a store whose engine lock is held is refused with an error
  /// naming the file and why, and is left unchanged.
  /// @param path The store file, such as `outreach.db`.
  /// @param options Durability, access and busy timeout.
  /// @return The store, or: `not_found` (no folder; for reading, no file), `invalid_value` (not
  /// an outreach store, newer, damaged), `unavailable` (another engine holds it), `io_error`.
  [[nodiscard]] static expected<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                                   const SqliteStoreOptions& options = {});

  /// @brief Closes the file (rolling back a unit not committed) and releases the lock.
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;             ///< Not copyable: it owns a connection.
  SqliteStore& operator=(const SqliteStore&) = delete;  ///< Not copyable: it owns a connection.

  [[nodiscard]] expected<void> append(const Event& event) override;
  [[nodiscard]] expected<void> record_intent(const SendIntent& intent) override;
  [[nodiscard]] expected<void> begin() override;
  [[nodiscard]] expected<void> commit() override;
  /// @brief Yes: a unit is one SQLite transaction (with `StoreDurability::none`, a part of its
  /// group's transaction, which a unit that fails after a change rolls back whole).
  [[nodiscard]] bool atomic_units() const noexcept override { return true; }
  /// @brief Commits the group of units held with `StoreDurability::none`; closing the store
  /// does too. Refused inside a unit.
  [[nodiscard]] expected<void> flush() override;
  [[nodiscard]] bool is_suppressed(std::string_view address) const override;
  [[nodiscard]] expected<void> suppress(std::string_view address, std::string_view reason) override;
  [[nodiscard]] expected<void> unsuppress(std::string_view address) override;
  [[nodiscard]] std::vector<Suppression> suppressions() const override;
  void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const override;
  /// @brief The places are the events' row ids.
  [[nodiscard]] EventPage events_after(std::string_view campaign, std::int64_t after, std::size_t limit) const override;
  /// @brief The places are the events' row ids.
  void for_each_event_after(std::string_view campaign, std::int64_t after,
                            const std::function<void(std::int64_t, const Event&)>& visit) const override;
  [[nodiscard]] std::optional<Instant> last_event_at(std::string_view campaign) const override;
  void for_each_lead_event(std::string_view campaign, std::string_view lead,
                           const std::function<void(const Event&)>& visit) const override;
  [[nodiscard]] bool keeps_snapshots() const noexcept override { return true; }
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
  /// @brief Also drops answers older than a week.
  [[nodiscard]] expected<void> answer_request(std::int64_t id, std::string_view answer, Instant at) override;
  [[nodiscard]] std::optional<StoredRequest> request(std::int64_t id) const override;
  [[nodiscard]] std::optional<FolderPosition> folder_position(std::string_view mailbox,
                                                              std::string_view folder) const override;
  [[nodiscard]] expected<void> save_folder_position(const FolderPosition& position) override;
  [[nodiscard]] expected<void> record_mailbox_check(const MailboxCheck& check) override;
  [[nodiscard]] std::vector<MailboxCheck> mailbox_checks() const override;
  [[nodiscard]] StoreAccess access() const noexcept override;

  /// @brief The store file, as given to `open`.
  [[nodiscard]] const std::filesystem::path& path() const noexcept;
  /// @brief The options it was opened with.
  [[nodiscard]] const SqliteStoreOptions& options() const noexcept;
  /// @brief The first read that failed since the store was opened, if any (see the class).
  [[nodiscard]] std::optional<Error> read_error() const override;

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outreach
