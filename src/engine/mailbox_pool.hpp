// The mailboxes of an engine, shared by every campaign: each one's limiter and DKIM signer,
// found by index (as leads keep them) or by id (as events name them).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/mailbox_limiter.hpp"
#include "outreach/dkim.hpp"
#include "outreach/mailbox.hpp"

namespace outreach::detail {

class MailboxPool {
 public:
  /// The index of a campaign's mailbox, added when new. A mailbox already known takes the new
  /// settings and signer when they differ, and `replaced` says so.
  std::size_t add(const Mailbox& settings, const TimeZone& default_zone, std::shared_ptr<const DkimSigner> signer,
                  bool keep_history, bool& replaced);

  /// The index of a mailbox known only from a campaign's events, added when new: one removed
  /// from every campaign's settings, whose leads' follow-ups wait for it. It sends nothing;
  /// its `from` has only the domain its messages were sent from (their Message-IDs'), and `add`
  /// gives it settings if a campaign lists it again.
  std::size_t placeholder(const std::string& id, std::string_view domain, const TimeZone& zone);
  /// True for a mailbox known only from events (`placeholder`).
  [[nodiscard]] bool is_placeholder(std::size_t index) const { return placeholders_[index]; }

  [[nodiscard]] std::optional<std::size_t> find(const std::string& id) const {
    const auto found = by_id_.find(id);
    if (found == by_id_.end()) return std::nullopt;
    return found->second;
  }
  [[nodiscard]] std::size_t size() const noexcept { return limiters_.size(); }
  [[nodiscard]] MailboxLimiter& operator[](std::size_t index) { return limiters_[index]; }
  [[nodiscard]] const MailboxLimiter& operator[](std::size_t index) const { return limiters_[index]; }
  [[nodiscard]] const DkimSigner* signer(std::size_t index) const { return signers_[index].get(); }

 private:
  std::vector<MailboxLimiter> limiters_;
  std::vector<std::shared_ptr<const DkimSigner>> signers_;
  std::vector<bool> placeholders_;
  std::unordered_map<std::string, std::size_t> by_id_;
};

}  // namespace outreach::detail
