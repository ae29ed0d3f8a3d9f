#include "engine/inbound_rules.hpp"

#include <string>

#include "engine/consumer_domains.hpp"
#include "util/calendar_date.hpp"

namespace outreach::detail {

namespace {

// Ends the lead's sequence with a `stopped` event, unless it has ended already.
void stop(const CampaignState& c, std::uint32_t lead, Instant now, std::string reason, InboundActions& out) {
  if (!unfinished(c.leads[lead].status)) return;
  Event event = lead_event(EventType::stopped, now, c, lead);
  event.reason = std::move(reason);
  out.events.emplace_back(lead, std::move(event));
}

std::string_view domain_of(const std::string& key) { return std::string_view(key).substr(key.rfind('@') + 1); }

}  // namespace

void inbound_actions(const CampaignState& c, std::uint32_t lead, const InboundEvent& arrived, Instant now,
                     InboundActions& out) {
  out.events.clear();
  out.suppress_reason = {};
  const LeadState& state = c.leads[lead];
  const int last_sent = state.next_step - 1;
  // A step named by the message (a reply to step 2) counts for that step's variant; it must be
  // one that went out.
  const int step = arrived.step && *arrived.step >= 1 && *arrived.step <= last_sent ? *arrived.step : last_sent;
  const StopRules& rules = c.def.stop_on;
  switch (arrived.type) {
    case InboundType::reply: {
      out.events.emplace_back(lead, lead_event(EventType::replied, now, c, lead, step));
      if (rules.reply) stop(c, lead, now, "reply", out);
      const std::string_view domain = domain_of(c.leads.key_of(lead));
      if (rules.domain_reply && !is_consumer_mail_domain(domain)) {
        for (std::uint32_t other = 0; other < c.leads.size(); ++other) {
          if (other == lead || !unfinished(c.leads[other].status)) continue;
          if (domain_of(c.leads.key_of(other)) == domain) stop(c, other, now, "domain_reply", out);
        }
      }
      break;
    }
    case InboundType::auto_reply: {
      Event event = lead_event(EventType::auto_replied, now, c, lead, step);
      if (arrived.return_date) event.return_date = format_date(*arrived.return_date);
      out.events.emplace_back(lead, std::move(event));
      if (rules.auto_reply == AutoReplyRule::stop) {
        stop(c, lead, now, "auto_reply", out);
      } else if (rules.auto_reply == AutoReplyRule::pause_until_return && state.status == LeadStatus::active) {
        Event paused = lead_event(EventType::paused, now, c, lead);
        paused.reason = "auto_reply";
        out.events.emplace_back(lead, std::move(paused));
      }
      break;
    }
    case InboundType::bounce: {
      // The `soft_limit`-th soft bounce of an address counts as hard.
      const bool hard = arrived.hard || state.soft_bounces + 1 >= c.def.bounces.soft_limit;
      Event event = lead_event(EventType::bounced, now, c, lead, step);
      event.kind = hard ? "hard" : "soft";
      out.events.emplace_back(lead, std::move(event));
      if (hard) {
        out.suppress_reason = "hard_bounce";
        if (rules.bounce) stop(c, lead, now, "bounce", out);
      }
      break;
    }
    case InboundType::unsubscribe:
    case InboundType::complaint: {
      const bool complaint = arrived.type == InboundType::complaint;
      out.events.emplace_back(lead, lead_event(complaint ? EventType::complained : EventType::unsubscribed, now, c, lead, step));
      out.suppress_reason = complaint ? "complaint" : "unsubscribe";
      stop(c, lead, now, complaint ? "complaint" : "unsubscribe", out);
      break;
    }
  }
}

}  // namespace outreach::detail
