#include "engine/lead_book.hpp"

#include <algorithm>

#include "util/ascii.hpp"

namespace outreach::detail {

Instant due_after(const Schedule& schedule, const Delay& delay, Instant from, const TimeZone& zone) {
  return delay.in_business_days() ? schedule.add_business_days(from, static_cast<int>(delay.business_days), zone)
                                  : from + delay.duration();
}

expected<void> LeadBook::load(const std::vector<Lead>& leads) {
  states_.resize(leads.size());
  by_key_.reserve(leads.size());
  // Keys live in the map's nodes, which never move; leads refer to them by pointer. The lead
  // loader already left out repeated addresses.
  keys_.reserve(leads.size());
  for (std::uint32_t i = 0; i < leads.size(); ++i) {
    const auto [entry, inserted] = by_key_.emplace(ascii_lower(leads[i].email), i);
    if (!inserted) return fail(Errc::invalid_argument, "the lead \"" + leads[i].email + "\" is in the list twice");
    keys_.push_back(&entry->first);
  }
  unfinished_ = states_.size();
  return {};
}

void LeadBook::enter(const std::vector<Lead>& leads, const Schedule& schedule, const Delay& first_delay,
                     Instant entered) {
  zones_.assign(1, schedule.timezone);
  zone_by_name_.clear();
  zone_by_name_.emplace(std::string(schedule.timezone.name()), 0);
  pending_.clear();
  enter_from(0, leads, schedule, first_delay, entered);
}

std::optional<std::uint32_t> LeadBook::add(std::string key) {
  const auto index = static_cast<std::uint32_t>(states_.size());
  const auto [entry, inserted] = by_key_.emplace(std::move(key), index);
  if (!inserted) return std::nullopt;
  keys_.push_back(&entry->first);
  states_.emplace_back();
  ++unfinished_;
  return index;
}

void LeadBook::enter_from(std::uint32_t from, const std::vector<Lead>& leads, const Schedule& schedule,
                          const Delay& first_delay, Instant entered) {
  // Queues whose leads have all started are left behind; the new leads queue by zone behind
  // the others (the default zone's queue exists even when empty). With no first delay they are
  // ready when they enter, as a queue of their zone that is ready already: they join its end
  // (their indices follow its leads'), so that leads added one at a time make no queue each.
  std::erase_if(pending_, [](const PendingQueue& queue) { return queue.next >= queue.leads.size(); });
  std::unordered_map<std::uint32_t, std::size_t> queue_of_zone;
  if (from > 0 && first_delay.none()) {
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].ready_at <= entered) queue_of_zone.emplace(pending_[i].zone, i);
    }
  }
  std::vector<std::size_t> new_queues;
  const auto queue_for = [&](std::uint32_t zone) -> PendingQueue& {
    const auto [entry, inserted] = queue_of_zone.emplace(zone, pending_.size());
    if (inserted) {
      pending_.push_back(PendingQueue{zone, {}, 0, entered, {}});
      new_queues.push_back(entry->second);
    }
    return pending_[entry->second];
  };
  queue_for(0);
  for (std::uint32_t i = from; i < states_.size(); ++i) {
    const Lead& lead = leads[i];
    std::uint32_t zone = 0;
    if (schedule.lead_timezone && !lead.timezone.empty()) {
      const auto known = zone_by_name_.find(lead.timezone);
      if (known != zone_by_name_.end()) {
        zone = known->second;
      } else if (auto located = TimeZone::locate(lead.timezone)) {
        zone = static_cast<std::uint32_t>(zones_.size());
        zones_.push_back(*located);
        zone_by_name_.emplace(lead.timezone, zone);
      }
    }
    states_[i].zone = static_cast<std::uint16_t>(zone);  // a few hundred zones exist
    queue_for(zone).leads.push_back(i);
  }
  for (const std::size_t queue : new_queues) {
    pending_[queue].ready_at = due_after(schedule, first_delay, entered, zones_[pending_[queue].zone]);
  }
}

void LeadBook::retime_pending(const Schedule& schedule, const Delay& first_delay) {
  for (PendingQueue& queue : pending_) {
    if (queue.next < queue.leads.size()) queue.ready_at = due_after(schedule, first_delay, queue.entered, zones_[queue.zone]);
  }
}

void LeadBook::recount_unfinished() {
  unfinished_ = static_cast<std::size_t>(
      std::count_if(states_.begin(), states_.end(), [](const LeadState& lead) { return unfinished(lead.status); }));
}

}  // namespace outreach::detail
