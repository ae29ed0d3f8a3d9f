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
  std::unordered_map<std::string, std::uint32_t> zone_by_name;
  zones_.push_back(schedule.timezone);
  zone_by_name.emplace(std::string(schedule.timezone.name()), 0);
  pending_.push_back(PendingQueue{});
  for (std::uint32_t i = 0; i < states_.size(); ++i) {
    const Lead& lead = leads[i];
    std::uint32_t zone = 0;
    if (schedule.lead_timezone && !lead.timezone.empty()) {
      const auto known = zone_by_name.find(lead.timezone);
      if (known != zone_by_name.end()) {
        zone = known->second;
      } else if (auto located = TimeZone::locate(lead.timezone)) {
        zone = static_cast<std::uint32_t>(zones_.size());
        zones_.push_back(*located);
        zone_by_name.emplace(lead.timezone, zone);
        pending_.push_back(PendingQueue{zone, {}, 0, {}});
      }
    }
    states_[i].zone = zone;
    pending_[zone].leads.push_back(i);
  }
  for (PendingQueue& queue : pending_) queue.ready_at = due_after(schedule, first_delay, entered, zones_[queue.zone]);
}

void LeadBook::recount_unfinished() {
  unfinished_ = static_cast<std::size_t>(
      std::count_if(states_.begin(), states_.end(), [](const LeadState& lead) { return unfinished(lead.status); }));
}

}  // namespace outreach::detail
