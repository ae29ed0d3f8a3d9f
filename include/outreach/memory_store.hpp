/// @file memory_store.hpp
/// @brief `MemoryStore`: a `Store` in memory, for tests and simulations. Nothing survives the
/// process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "outreach/store.hpp"

namespace outreach {

/// @brief Keeps everything in memory. Not thread-safe (the engine uses it from one thread).
class MemoryStore final : public Store {
 public:
  /// @brief Makes an empty store.
  /// @param keep_events False to count events without keeping them (large simulations); then
  /// `for_each_event` visits nothing.
  explicit MemoryStore(bool keep_events = true) : keep_events_(keep_events) {}

  [[nodiscard]] expected<void> append(const Event& event) override;
  [[nodiscard]] expected<void> record_intent(const SendIntent& intent) override;
  [[nodiscard]] bool is_suppressed(std::string_view address) const override;
  [[nodiscard]] expected<void> suppress(std::string_view address, std::string_view reason) override;
  [[nodiscard]] expected<void> unsuppress(std::string_view address) override;
  [[nodiscard]] std::vector<Suppression> suppressions() const override;
  void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const override;
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
  /// @brief Yes: its writes fail only when asked what no engine asks (a sequence version kept
  /// twice), so a unit is always whole.
  [[nodiscard]] bool atomic_units() const noexcept override { return true; }
  /// @brief Reads the kept events, or the index of sends (`index_sends`) when events are not
  /// kept; nothing is found without either.
  [[nodiscard]] std::optional<SentMessage> find_sent(std::string_view message_id) const override;
  /// @brief Keeps an index of every send by its Message-ID from now on, so that `find_sent`
  /// answers when events are not kept (received mail is matched through it). Costs about a
  /// hundred bytes per send; large simulations that take no mail in leave it off.
  void index_sends() { index_sends_ = true; }
  [[nodiscard]] expected<bool> record_received(std::string_view fingerprint, Instant at) override;
  [[nodiscard]] expected<void> queue_received(std::string_view raw, Instant at) override;
  [[nodiscard]] std::vector<QueuedMessage> queued(std::size_t limit, std::int64_t after = 0) const override;
  [[nodiscard]] expected<void> unqueue(std::int64_t id) override;
  [[nodiscard]] expected<std::int64_t> queue_request(std::string_view body, Instant at) override;
  [[nodiscard]] std::vector<StoredRequest> waiting_requests(std::size_t limit, std::int64_t after = 0) const override;
  [[nodiscard]] expected<void> answer_request(std::int64_t id, std::string_view answer, Instant at) override;
  [[nodiscard]] std::optional<StoredRequest> request(std::int64_t id) const override;
  [[nodiscard]] std::optional<FolderPosition> folder_position(std::string_view mailbox,
                                                              std::string_view folder) const override;
  [[nodiscard]] expected<void> save_folder_position(const FolderPosition& position) override;
  [[nodiscard]] expected<void> record_mailbox_check(const MailboxCheck& check) override;
  [[nodiscard]] std::vector<MailboxCheck> mailbox_checks() const override;
  [[nodiscard]] expected<void> save_mailbox_state(const MailboxState& state) override;
  [[nodiscard]] std::vector<MailboxState> mailbox_states() const override;
  /// @brief No: a memory store lives only as long as its engine, which has the definitions.
  [[nodiscard]] bool keeps_definitions() const noexcept override { return false; }

  /// @brief The events appended so far (empty when events are not kept).
  [[nodiscard]] const std::vector<Event>& events() const noexcept { return events_; }
  /// @brief How many events were appended.
  [[nodiscard]] std::size_t event_count() const noexcept { return event_count_; }

 private:
  bool keep_events_;
  std::size_t event_count_ = 0;
  std::vector<Event> events_;
  std::uint64_t intents_recorded_ = 0;
  std::map<std::string, std::pair<std::uint64_t, SendIntent>> open_intents_;  // by campaign, lead, step
  std::vector<StoredCampaign> campaigns_;
  std::map<std::string, std::vector<AddedLead>, std::less<>> added_leads_;  // by campaign
  std::map<std::string, std::vector<SequenceVersion>, std::less<>> sequence_versions_;  // by campaign
  std::set<std::string, std::less<>> received_;  // fingerprints
  std::map<std::int64_t, std::pair<std::string, Instant>> inbox_;  // raw messages, and when handed in, by their place
  std::map<std::int64_t, StoredRequest> requests_;  // by id
  std::map<std::pair<std::string, std::string>, FolderPosition> folder_positions_;  // by mailbox and folder
  std::map<std::string, MailboxCheck, std::less<>> mailbox_checks_;                // by mailbox
  std::map<std::string, MailboxState, std::less<>> mailbox_states_;                // by mailbox
  std::int64_t inbox_next_ = 1;
  bool index_sends_ = false;
  std::unordered_map<std::string, SentMessage> sends_;  // by Message-ID, with `index_sends`
  /// Hashes and compares addresses with ASCII letters folded, so lookups need no copy.
  struct CaseFoldedHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept;
  };
  struct CaseFoldedEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept;
  };
  std::unordered_map<std::string, std::string, CaseFoldedHash, CaseFoldedEqual> suppressed_;  // address -> reason
};

}  // namespace outreach
