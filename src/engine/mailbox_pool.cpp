#include "engine/mailbox_pool.hpp"

namespace outreach::detail {

std::size_t MailboxPool::add(const Mailbox& settings, const TimeZone& default_zone,
                             std::shared_ptr<const DkimSigner> signer, bool keep_history, bool& replaced) {
  replaced = false;
  if (const auto known = find(settings.id)) {
    MailboxLimiter& existing = limiters_[*known];
    if (!(existing.settings() == settings)) {
      replaced = !placeholders_[*known];
      existing.replace_settings(settings, settings.timezone.value_or(default_zone));
      signers_[*known] = std::move(signer);
      // Known only from events until now: its limits count the sends they name.
      if (placeholders_[*known]) existing.rebuild();
      placeholders_[*known] = false;
    }
    return *known;
  }
  limiters_.emplace_back(settings, settings.timezone.value_or(default_zone));
  // A durable store may resume a campaign sharing this mailbox later: keep every send, so the
  // counters can then be rebuilt with this engine's own sends in them too.
  if (keep_history) limiters_.back().keep_history();
  signers_.push_back(std::move(signer));
  placeholders_.push_back(false);
  by_id_.emplace(settings.id, limiters_.size() - 1);
  return limiters_.size() - 1;
}

std::size_t MailboxPool::placeholder(const std::string& id, std::string_view domain, const TimeZone& zone) {
  if (const auto known = find(id)) {
    MailboxLimiter& existing = limiters_[*known];
    if (placeholders_[*known] && existing.settings().from.domain().empty() && !domain.empty()) {
      Mailbox settings = existing.settings();
      settings.from.email = "removed@" + std::string(domain);
      existing.replace_settings(std::move(settings), zone);
    }
    return *known;
  }
  Mailbox settings;
  settings.id = id;
  settings.from.email = "removed@" + std::string(domain);
  bool replaced = false;
  const std::size_t index = add(settings, zone, nullptr, true, replaced);
  placeholders_[index] = true;
  return index;
}

}  // namespace outreach::detail
