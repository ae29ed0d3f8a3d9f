#include "outreach/store.hpp"

#include "util/ascii.hpp"

namespace outreach {

std::optional<SentMessage> Store::find_sent(std::string_view message_id) const {
  std::optional<SentMessage> found;
  for (const StoredCampaign& stored : campaigns()) {
    for_each_event(stored.name, [&](const Event& event) {
      if (!found && went_out(event.type) &&
          event.message_id == message_id) {
        found = SentMessage{event.campaign, event.lead, event.step};
      }
    });
    if (found) break;
  }
  return found;
}

std::optional<int> Store::last_step_sent(std::string_view campaign, std::string_view lead, Instant at_or_before) const {
  std::optional<int> step;
  for_each_event(campaign, [&](const Event& event) {
    if (went_out(event.type) && event.at <= at_or_before &&
        detail::iequals_ascii(event.lead, lead)) {
      step = event.step;
    }
  });
  return step;
}

EventPage Store::events_after(std::string_view campaign, std::int64_t after, std::size_t limit) const {
  EventPage page;
  page.next = after;
  // Numbered as `for_each_event_after` numbers them: a reader may use either.
  for_each_event_after(campaign, after, [&](std::int64_t place, const Event& event) {
    if (page.events.size() < limit) {
      page.events.emplace_back(place, event);
      page.next = place;
    }
  });
  return page;
}

std::optional<Instant> Store::last_event_at(std::string_view campaign) const {
  std::optional<Instant> last;
  for_each_event(campaign, [&](const Event& event) { last = event.at; });
  return last;
}

void Store::for_each_lead_event(std::string_view campaign, std::string_view lead,
                                const std::function<void(const Event&)>& visit) const {
  for_each_event(campaign, [&](const Event& event) {
    if (!event.lead.empty() && detail::iequals_ascii(event.lead, lead)) visit(event);
  });
}

void Store::for_each_event_after(std::string_view campaign, std::int64_t after,
                                 const std::function<void(std::int64_t, const Event&)>& visit) const {
  std::int64_t place = 0;
  for_each_event(campaign, [&](const Event& event) {
    if (++place > after) visit(place, event);
  });
}

expected<void> Store::save_snapshot(std::string_view, const CampaignSnapshot&) {
  return fail(Errc::invalid_argument, "this store keeps no snapshots");
}

std::optional<CampaignSnapshot> Store::snapshot(std::string_view) const { return std::nullopt; }

expected<bool> Store::record_received(std::string_view, Instant) { return true; }

expected<void> Store::queue_received(std::string_view, Instant) {
  return fail(Errc::invalid_argument, "this store keeps no inbox: take the message in with the engine itself");
}

std::vector<QueuedMessage> Store::queued(std::size_t, std::int64_t) const { return {}; }

expected<void> Store::unqueue(std::int64_t) { return fail(Errc::invalid_argument, "this store keeps no inbox"); }

expected<std::int64_t> Store::queue_request(std::string_view, Instant) {
  return fail(Errc::invalid_argument, "this store keeps no requests: ask the engine itself");
}

expected<std::int64_t> Store::suppress_and_queue(std::string_view address, std::string_view reason,
                                                 std::string_view body, Instant at) {
  if (is_suppressed(address)) return 0;
  if (auto suppressed = suppress(address, reason); !suppressed) return fail(suppressed.error());
  return queue_request(body, at);
}

std::vector<StoredRequest> Store::waiting_requests(std::size_t, std::int64_t) const { return {}; }

expected<void> Store::answer_request(std::int64_t, std::string_view, Instant) {
  return fail(Errc::invalid_argument, "this store keeps no requests");
}

std::optional<StoredRequest> Store::request(std::int64_t) const { return std::nullopt; }

expected<void> Store::add_leads(std::string_view, const std::vector<AddedLead>&) {
  return fail(Errc::invalid_argument, "this store keeps no added leads");
}

void Store::for_each_added_lead(std::string_view, const std::function<void(const AddedLead&)>&) const {}

expected<void> Store::save_sequence_version(std::string_view, const SequenceVersion&) {
  return fail(Errc::invalid_argument, "this store keeps no sequence versions");
}

std::vector<SequenceVersion> Store::sequence_versions(std::string_view) const { return {}; }

std::optional<FolderPosition> Store::folder_position(std::string_view, std::string_view) const { return std::nullopt; }

expected<void> Store::save_folder_position(const FolderPosition&) { return {}; }

expected<void> Store::record_mailbox_check(const MailboxCheck&) { return {}; }

std::vector<MailboxCheck> Store::mailbox_checks() const { return {}; }

expected<void> Store::save_mailbox_state(const MailboxState&) { return {}; }

std::vector<MailboxState> Store::mailbox_states() const { return {}; }

expected<bool> Store::take_request(std::int64_t) { return true; }

expected<bool> Store::claim(std::string_view) { return true; }

expected<std::vector<std::string>> Store::claim_free(std::size_t) { return std::vector<std::string>{}; }

expected<std::vector<std::string>> Store::renew_claims() { return std::vector<std::string>{}; }

expected<void> Store::release(std::string_view, bool) { return {}; }

expected<void> Store::mark_finished(std::string_view, bool) { return {}; }

expected<bool> Store::others_at_work() { return false; }

expected<void> Store::release_slot(const SendSlot&) { return {}; }

expected<SlotAnswer> Store::reserve_slot(const SendSlot& slot) {
  return SlotAnswer{.granted = true, .day = slot.day, .sent_that_day = 0, .last = slot.at};
}

expected<std::vector<SlotAnswer>> Store::reserve_slots(const std::vector<SendSlot>& slots) {
  std::vector<SlotAnswer> answers;
  answers.reserve(slots.size());
  for (const SendSlot& slot : slots) {
    auto answer = reserve_slot(slot);
    if (!answer) return fail(answer.error());
    answers.push_back(*answer);
  }
  return answers;
}

std::vector<bool> Store::suppressed_among(const std::vector<std::string_view>& addresses) const {
  std::vector<bool> out;
  out.reserve(addresses.size());
  for (const std::string_view address : addresses) out.push_back(is_suppressed(address));
  return out;
}

}  // namespace outreach
