#include "outreach/memory_store.hpp"

#include "detail/ascii.hpp"

namespace outreach {

void MemoryStore::append(const Event& event) {
  ++event_count_;
  if (keep_events_) events_.push_back(event);
}

void MemoryStore::record_intent(const SendIntent& intent) { open_intents_[intent.message_id] = intent; }

void MemoryStore::record_outcome(const SendIntent& intent, bool /*accepted*/) { open_intents_.erase(intent.message_id); }

std::size_t MemoryStore::CaseFoldedHash::operator()(std::string_view text) const noexcept {
  std::size_t hash = 0xCBF29CE484222325ull;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(detail::ascii_lower(c))) * 0x100000001B3ull;
  return hash;
}

bool MemoryStore::CaseFoldedEqual::operator()(std::string_view a, std::string_view b) const noexcept {
  return detail::iequals_ascii(a, b);
}

bool MemoryStore::is_suppressed(std::string_view address) const { return suppressed_.find(address) != suppressed_.end(); }

void MemoryStore::suppress(std::string_view address, std::string_view reason) {
  suppressed_.try_emplace(detail::ascii_lower(address), reason);
}

void MemoryStore::unsuppress(std::string_view address) {
  if (const auto found = suppressed_.find(address); found != suppressed_.end()) suppressed_.erase(found);
}

std::vector<SendIntent> MemoryStore::sends_in_doubt() const {
  std::vector<SendIntent> out;
  out.reserve(open_intents_.size());
  for (const auto& [id, intent] : open_intents_) out.push_back(intent);
  return out;
}

}  // namespace outreach
