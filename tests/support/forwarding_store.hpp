// A store that keeps what it must in a memory store and nothing more: the Store port's required
// members only, so that every optional one has the port's default. Tests use it as it is (the
// defaults), or derive from it to change one behaviour.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "outreach/memory_store.hpp"
#include "outreach/store.hpp"

namespace outreach::testing {

class ForwardingStore : public Store {
 public:
  MemoryStore inner;

  expected<void> append(const Event& event) override { return inner.append(event); }
  expected<void> record_intent(const SendIntent& intent) override { return inner.record_intent(intent); }
  bool is_suppressed(std::string_view address) const override { return inner.is_suppressed(address); }
  expected<void> suppress(std::string_view address, std::string_view reason) override {
    return inner.suppress(address, reason);
  }
  expected<void> unsuppress(std::string_view address) override { return inner.unsuppress(address); }
  std::vector<Suppression> suppressions() const override { return inner.suppressions(); }
  void for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const override {
    inner.for_each_event(campaign, visit);
  }
  std::vector<SendIntent> open_intents() const override { return inner.open_intents(); }
  expected<void> save_campaign(const StoredCampaign& campaign) override { return inner.save_campaign(campaign); }
  std::optional<StoredCampaign> campaign(std::string_view name) const override { return inner.campaign(name); }
  std::vector<StoredCampaign> campaigns() const override { return inner.campaigns(); }
  expected<std::size_t> forget(std::string_view address) override { return inner.forget(address); }
};

}  // namespace outreach::testing
