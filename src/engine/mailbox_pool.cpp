#include "engine/mailbox_pool.hpp"

namespace outreach::detail {

std::size_t MailboxPool::add(const Mailbox& settings, const TimeZone& default_zone,
                             std::shared_ptr<const DkimSigner> signer, bool keep_history, bool& replaced) {
  replaced = false;
  if (const auto known = find(settings.id)) {
    MailboxLimiter& existing = limiters_[*known];
    if (!(existing.settings() == settings)) {
      replaced = true;
      existing.replace_settings(settings, settings.timezone.value_or(default_zone));
      signers_[*known] = std::move(signer);
    }
    return *known;
  }
  limiters_.emplace_back(settings, settings.timezone.value_or(default_zone));
  // A durable store may resume a campaign sharing this mailbox later: keep every send, so the
  // counters can then be rebuilt with this engine's own sends in them too.
  if (keep_history) limiters_.back().keep_history();
  signers_.push_back(std::move(signer));
  by_id_.emplace(settings.id, limiters_.size() - 1);
  return limiters_.size() - 1;
}

}  // namespace outreach::detail
