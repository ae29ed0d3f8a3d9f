// How the command line opens a store, and a view of a store that commands reading it can run an
// engine on without writing to it.
#pragma once

#include <memory>
#include <string>

#include "outreach/engine.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/summary.hpp"

namespace outreach::cli {

/// Opens the SQLite store at `path`: `engine` access takes it for this process (run, pause,
/// suppress, ...), `read` access does not (status, events) and works while an engine runs.
[[nodiscard]] expected<std::unique_ptr<SqliteStore>> open_store(const std::string& path, SqliteAccess access);

/// A store that reads through to another and keeps its own writes in memory: an engine rebuilt
/// on it (for `status`) reports what it finds, such as sends in doubt, without recording it.
class ReadOnlyView final : public Store {
 public:
  explicit ReadOnlyView(const Store& base) : base_(base) {}

  [[nodiscard]] expected<void> append(const Event& event) override { return written_.append(event); }
  [[nodiscard]] expected<void> record_intent(const SendIntent& intent) override { return written_.record_intent(intent); }
  [[nodiscard]] bool is_suppressed(std::string_view address) const override {
    return base_.is_suppressed(address) || written_.is_suppressed(address);
  }
  [[nodiscard]] expected<void> suppress(std::string_view address, std::string_view reason) override {
    return written_.suppress(address, reason);
  }
  [[nodiscard]] expected<void> unsuppress(std::string_view address) override { return written_.unsuppress(address); }
  [[nodiscard]] std::vector<Suppression> suppressions() const override { return base_.suppressions(); }
  void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const override {
    base_.for_each_event(campaign, visit);
    written_.for_each_event(campaign, visit);
  }
  [[nodiscard]] std::vector<SendIntent> open_intents() const override { return base_.open_intents(); }
  [[nodiscard]] expected<void> save_campaign(const StoredCampaign&) override { return {}; }
  [[nodiscard]] std::optional<StoredCampaign> campaign(std::string_view name) const override {
    return base_.campaign(name);
  }
  [[nodiscard]] std::vector<StoredCampaign> campaigns() const override { return base_.campaigns(); }
  [[nodiscard]] bool keeps_definitions() const noexcept override { return false; }
  [[nodiscard]] expected<std::size_t> forget(std::string_view) override { return std::size_t{0}; }

 private:
  const Store& base_;
  MemoryStore written_;
};

/// Adds every campaign of `store` to `engine` from its stored definition and starts it, which
/// brings it back to where its events left it. `only`: just the campaign of that name.
[[nodiscard]] expected<void> restore_campaigns(Engine& engine, const Store& store, const std::string* only = nullptr);

}  // namespace outreach::cli
