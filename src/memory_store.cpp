#include "outreach/memory_store.hpp"

#include "detail/ascii.hpp"

namespace outreach {

void MemoryStore::append(const Event& event) {
  ++event_count_;
  if (keep_events_) events_.push_back(event);
}

void MemoryStore::record_intent(const SendIntent& intent) { open_intents_[intent.message_id] = intent; }

void MemoryStore::record_outcome(const SendIntent& intent, bool /*accepted*/) { open_intents_.erase(intent.message_id); }

bool MemoryStore::is_suppressed(std::string_view address) const {
  return suppressed_.contains(detail::ascii_lower(address));
}

void MemoryStore::suppress(std::string_view address, std::string_view reason) {
  suppressed_.try_emplace(detail::ascii_lower(address), reason);
}

void MemoryStore::unsuppress(std::string_view address) { suppressed_.erase(detail::ascii_lower(address)); }

std::vector<SendIntent> MemoryStore::sends_in_doubt() const {
  std::vector<SendIntent> out;
  out.reserve(open_intents_.size());
  for (const auto& [id, intent] : open_intents_) out.push_back(intent);
  return out;
}

}  // namespace outreach
