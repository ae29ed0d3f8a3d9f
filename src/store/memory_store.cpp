#include "outreach/memory_store.hpp"

#include <algorithm>

#include "store/request_body.hpp"
#include "util/ascii.hpp"

namespace outreach {

namespace {

// One open intent per campaign, lead and step.
std::string intent_key(std::string_view campaign, std::string_view lead, int step) {
  std::string key(campaign);
  key += '\n';
  key += lead;
  key += '\n';
  key += std::to_string(step);
  return key;
}

}  // namespace

expected<void> MemoryStore::append(const Event& event) {
  ++event_count_;
  if (is_send_outcome(event.type)) open_intents_.erase(intent_key(event.campaign, event.lead, event.step));
  if (index_sends_ && went_out(event.type)) {
    sends_.try_emplace(event.message_id, SentMessage{event.campaign, event.lead, event.step});
  }
  if (keep_events_) events_.push_back(event);
  return {};
}

expected<void> MemoryStore::record_intent(const SendIntent& intent) {
  open_intents_[intent_key(intent.campaign, intent.lead, intent.step)] = {intents_recorded_++, intent};
  return {};
}

std::size_t MemoryStore::CaseFoldedHash::operator()(std::string_view text) const noexcept {
  std::size_t hash = 0xCBF29CE484222325ull;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(detail::ascii_lower(c))) * 0x100000001B3ull;
  return hash;
}

bool MemoryStore::CaseFoldedEqual::operator()(std::string_view a, std::string_view b) const noexcept {
  return detail::iequals_ascii(a, b);
}

bool MemoryStore::is_suppressed(std::string_view address) const { return suppressed_.find(address) != suppressed_.end(); }

expected<void> MemoryStore::suppress(std::string_view address, std::string_view reason) {
  suppressed_.try_emplace(detail::ascii_lower(address), reason);
  return {};
}

expected<void> MemoryStore::unsuppress(std::string_view address) {
  if (const auto found = suppressed_.find(address); found != suppressed_.end()) suppressed_.erase(found);
  return {};
}

std::vector<Suppression> MemoryStore::suppressions() const {
  std::vector<Suppression> out;
  out.reserve(suppressed_.size());
  for (const auto& [address, reason] : suppressed_) out.push_back({address, reason, std::nullopt});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
  return out;
}

void MemoryStore::for_each_event(std::string_view campaign, const std::function<void(const Event&)>& visit) const {
  for (const Event& event : events_) {
    if (event.campaign == campaign) visit(event);
  }
}

std::vector<SendIntent> MemoryStore::open_intents() const {
  std::vector<std::pair<std::uint64_t, SendIntent>> ordered;
  ordered.reserve(open_intents_.size());
  for (const auto& [key, entry] : open_intents_) ordered.push_back(entry);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<SendIntent> out;
  out.reserve(ordered.size());
  for (auto& [order, intent] : ordered) out.push_back(std::move(intent));
  return out;
}

expected<void> MemoryStore::save_campaign(const StoredCampaign& campaign) {
  const auto found = std::find_if(campaigns_.begin(), campaigns_.end(), [&](const auto& kept) { return kept.name == campaign.name; });
  if (found == campaigns_.end()) {
    campaigns_.push_back(campaign);
  } else {
    *found = campaign;
  }
  return {};
}

std::optional<StoredCampaign> MemoryStore::campaign(std::string_view name) const {
  const auto found = std::find_if(campaigns_.begin(), campaigns_.end(), [&](const auto& kept) { return kept.name == name; });
  if (found == campaigns_.end()) return std::nullopt;
  return *found;
}

std::vector<StoredCampaign> MemoryStore::campaigns() const { return campaigns_; }

expected<std::size_t> MemoryStore::forget(std::string_view address) {
  const std::size_t before = events_.size() + open_intents_.size() + inbox_.size();
  std::size_t leads = 0;
  for (auto& [campaign, added] : added_leads_) {
    leads += std::erase_if(added, [&](const AddedLead& lead) { return detail::iequals_ascii(lead.address, address); });
  }
  std::erase_if(events_, [&](const Event& event) { return detail::iequals_ascii(event.lead, address); });
  std::erase_if(sends_, [&](const auto& entry) { return detail::iequals_ascii(entry.second.lead, address); });
  std::erase_if(open_intents_, [&](const auto& entry) { return detail::iequals_ascii(entry.second.second.lead, address); });
  // Received mail that mentions the address anywhere, as the durable stores do.
  const std::string folded = detail::ascii_lower(address);
  const auto names = [&](std::string_view text) { return detail::ascii_lower(text).find(folded) != std::string::npos; };
  std::erase_if(inbox_, [&](const auto& entry) { return names(entry.second.first); });
  // Requests whose addresses hold it: answered ones go, waiting ones lose that address.
  std::size_t requests = 0;
  for (auto it = requests_.begin(); it != requests_.end();) {
    StoredRequest& request = it->second;
    if (!detail::request_names_address(request.body, folded, !request.answered)) {
      ++it;
      continue;
    }
    ++requests;
    it = request.answered ? requests_.erase(it) : std::next(it);
  }
  return before - events_.size() - open_intents_.size() - inbox_.size() + requests + leads;
}

expected<void> MemoryStore::add_leads(std::string_view campaign, const std::vector<AddedLead>& leads) {
  auto [kept, inserted] = added_leads_.try_emplace(std::string(campaign));
  kept->second.insert(kept->second.end(), leads.begin(), leads.end());
  return {};
}

void MemoryStore::for_each_added_lead(std::string_view campaign,
                                      const std::function<void(const AddedLead&)>& visit) const {
  const auto found = added_leads_.find(campaign);
  if (found == added_leads_.end()) return;
  for (const AddedLead& lead : found->second) visit(lead);
}

expected<void> MemoryStore::save_sequence_version(std::string_view campaign, const SequenceVersion& version) {
  auto& versions = sequence_versions_[std::string(campaign)];
  if (std::any_of(versions.begin(), versions.end(), [&](const SequenceVersion& kept) { return kept.version == version.version; })) {
    return fail(Errc::invalid_argument, "version " + std::to_string(version.version) + " of the sequence of \"" +
                                            std::string(campaign) + "\" is kept already");
  }
  versions.push_back(version);
  std::sort(versions.begin(), versions.end(),
            [](const SequenceVersion& a, const SequenceVersion& b) { return a.version < b.version; });
  return {};
}

std::vector<SequenceVersion> MemoryStore::sequence_versions(std::string_view campaign) const {
  const auto found = sequence_versions_.find(campaign);
  return found == sequence_versions_.end() ? std::vector<SequenceVersion>{} : found->second;
}

std::optional<SentMessage> MemoryStore::find_sent(std::string_view message_id) const {
  if (index_sends_) {
    const auto found = sends_.find(std::string(message_id));
    if (found == sends_.end()) return std::nullopt;
    return found->second;
  }
  for (const Event& event : events_) {
    if (went_out(event.type) && event.message_id == message_id) {
      return SentMessage{event.campaign, event.lead, event.step};
    }
  }
  return std::nullopt;
}

expected<bool> MemoryStore::record_received(std::string_view fingerprint, Instant) {
  return received_.emplace(fingerprint).second;
}

expected<void> MemoryStore::queue_received(std::string_view raw, Instant at) {
  inbox_.emplace(inbox_next_++, std::pair<std::string, Instant>{std::string(raw), at});
  return {};
}

std::vector<QueuedMessage> MemoryStore::queued(std::size_t limit, std::int64_t after) const {
  std::vector<QueuedMessage> waiting;
  for (auto it = inbox_.upper_bound(after); it != inbox_.end() && waiting.size() < limit; ++it) {
    waiting.push_back({it->first, it->second.first, it->second.second});
  }
  return waiting;
}

expected<void> MemoryStore::unqueue(std::int64_t id) {
  inbox_.erase(id);
  return {};
}

expected<std::int64_t> MemoryStore::queue_request(std::string_view body, Instant at) {
  const std::int64_t id = requests_.empty() ? 1 : requests_.rbegin()->first + 1;
  requests_.emplace(id, StoredRequest{.id = id, .body = std::string(body), .queued = at, .answered = std::nullopt, .answer = {}});
  return id;
}

std::vector<StoredRequest> MemoryStore::waiting_requests(std::size_t limit, std::int64_t after) const {
  std::vector<StoredRequest> waiting;
  for (auto it = requests_.upper_bound(after); it != requests_.end() && waiting.size() < limit; ++it) {
    if (!it->second.answered) waiting.push_back(it->second);
  }
  return waiting;
}

expected<void> MemoryStore::answer_request(std::int64_t id, std::string_view answer, Instant at) {
  const auto found = requests_.find(id);
  if (found == requests_.end() || found->second.answered) {
    return fail(Errc::not_found, "no waiting request " + std::to_string(id));
  }
  found->second.answered = at;
  found->second.answer = std::string(answer);
  return {};
}

std::optional<StoredRequest> MemoryStore::request(std::int64_t id) const {
  const auto found = requests_.find(id);
  if (found == requests_.end()) return std::nullopt;
  return found->second;
}

std::optional<FolderPosition> MemoryStore::folder_position(std::string_view mailbox, std::string_view folder) const {
  const auto found = folder_positions_.find({std::string(mailbox), std::string(folder)});
  if (found == folder_positions_.end()) return std::nullopt;
  return found->second;
}

expected<void> MemoryStore::save_folder_position(const FolderPosition& position) {
  folder_positions_.insert_or_assign({position.mailbox, position.folder}, position);
  return {};
}

expected<void> MemoryStore::record_mailbox_check(const MailboxCheck& check) {
  mailbox_checks_.insert_or_assign(check.mailbox, check);
  return {};
}

expected<void> MemoryStore::save_mailbox_state(const MailboxState& state) {
  mailbox_states_.insert_or_assign(state.mailbox, state);
  return {};
}

std::vector<MailboxState> MemoryStore::mailbox_states() const {
  std::vector<MailboxState> out;
  out.reserve(mailbox_states_.size());
  for (const auto& [mailbox, state] : mailbox_states_) out.push_back(state);
  return out;
}

std::vector<MailboxCheck> MemoryStore::mailbox_checks() const {
  std::vector<MailboxCheck> out;
  out.reserve(mailbox_checks_.size());
  for (const auto& [mailbox, check] : mailbox_checks_) out.push_back(check);
  return out;
}

}  // namespace outreach
