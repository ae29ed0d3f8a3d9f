#include "outreach/summary.hpp"

#include "engine/days_table.hpp"

#include <boost/json.hpp>

#include <cstdarg>
#include <cstdio>
#include <set>

namespace outreach {

namespace json = boost::json;

namespace {

double rounded(double value) { return static_cast<double>(static_cast<std::int64_t>(value * 10000.0 + 0.5)) / 10000.0; }

}  // namespace

namespace detail {

json::array days_json(const std::vector<DaySends>& days) {
  json::array out;
  for (const DaySends& day : days) out.push_back(json::object{{"date", day.date}, {"mailbox", day.mailbox}, {"sent", day.sent}});
  return out;
}

// One row a day, one column a mailbox, and the day's total.
std::string days_table(const std::vector<DaySends>& days) {
  std::string out;
  std::set<std::string> mailboxes;
  std::map<std::string, std::map<std::string, std::int64_t>> by_day;
  for (const DaySends& day : days) {
    mailboxes.insert(day.mailbox);
    by_day[day.date][day.mailbox] += day.sent;
  }
  if (by_day.empty()) return out;
  std::string header = "  date      ";
  for (const std::string& mailbox : mailboxes) {
    char cell[32];
    std::snprintf(cell, sizeof cell, " %10.10s", mailbox.c_str());
    header += cell;
  }
  out += "\n  sends per day and mailbox\n" + header + "      total\n";
  for (const auto& [date, counts] : by_day) {
    std::string row = "  " + date;
    std::int64_t total = 0;
    for (const std::string& mailbox : mailboxes) {
      const auto it = counts.find(mailbox);
      const std::int64_t sent = it == counts.end() ? 0 : it->second;
      total += sent;
      char cell[32];
      std::snprintf(cell, sizeof cell, " %10lld", static_cast<long long>(sent));
      row += cell;
    }
    char cell[32];
    std::snprintf(cell, sizeof cell, " %10lld", static_cast<long long>(total));
    out += row + cell + "\n";
  }
  return out;
}

}  // namespace detail

std::string to_json(const Summary& summary) {
  json::array campaigns;
  for (const CampaignSummary& campaign : summary.campaigns) {
    json::object leads;
    for (const auto& [status, count] : campaign.leads) leads[status] = count;
    json::array steps;
    for (const StepStats& step : campaign.steps) {
      json::array variants;
      for (const VariantStats& v : step.variants) {
        json::object rates;
        rates["reply"] = rounded(v.rate(v.replied));
        rates["auto_reply"] = rounded(v.rate(v.auto_replied));
        rates["bounce"] = rounded(v.rate(v.bounced));
        rates["unsubscribe"] = rounded(v.rate(v.unsubscribed));
        rates["complaint"] = rounded(v.rate(v.complained));
        rates["open"] = rounded(v.rate(v.opened));
        rates["click"] = rounded(v.rate(v.clicked));
        variants.push_back(json::object{{"name", v.name},
                                        {"sent", v.sent},
                                        {"deferred", v.deferred},
                                        {"failed", v.failed},
                                        {"skipped", v.skipped},
                                        {"replied", v.replied},
                                        {"auto_replied", v.auto_replied},
                                        {"bounced", v.bounced},
                                        {"unsubscribed", v.unsubscribed},
                                        {"complained", v.complained},
                                        {"opened", v.opened},
                                        {"clicked", v.clicked},
                                        {"rates", std::move(rates)}});
      }
      steps.push_back(json::object{{"step", step.step}, {"variants", std::move(variants)}});
    }
    json::array days = detail::days_json(campaign.days);
    json::array trouble;
    for (const MailboxTrouble& mailbox : campaign.mailbox_trouble) {
      trouble.push_back(json::object{{"mailbox", mailbox.mailbox},
                                     {"state", mailbox.disabled ? "disabled" : "removed"},
                                     {"reason", mailbox.reason.empty() ? json::value(nullptr) : json::value(mailbox.reason)},
                                     {"waiting", mailbox.waiting}});
    }
    campaigns.push_back(json::object{{"name", campaign.name},
                                     {"status", campaign.status},
                                     {"leads", std::move(leads)},
                                     {"steps", std::move(steps)},
                                     {"days", std::move(days)},
                                     {"in_doubt", campaign.in_doubt},
                                     {"mailbox_trouble", std::move(trouble)}});
  }
  json::object out{{"campaigns", std::move(campaigns)}};
  if (!summary.mail_checks.empty()) {
    json::array checks;
    for (const MailboxCheck& check : summary.mail_checks) {
      json::object entry{{"mailbox", check.mailbox}};
      entry["checked"] = check.checked ? json::value(format_instant(*check.checked)) : json::value(nullptr);
      entry["failed"] = check.failed ? json::value(format_instant(*check.failed)) : json::value(nullptr);
      entry["error"] = check.error.empty() ? json::value(nullptr) : json::value(check.error);
      checks.push_back(std::move(entry));
    }
    out["mail_checks"] = std::move(checks);
  }
  return json::serialize(out);
}

namespace {

void append_line(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));

void append_line(std::string& out, const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  out += buffer;
  out += '\n';
}

std::string percent(double share) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", share * 100.0);
  return buffer;
}

}  // namespace

std::string to_text(const Summary& summary) {
  std::string out;
  for (const CampaignSummary& campaign : summary.campaigns) {
    append_line(out, "campaign %s: %s", campaign.name.c_str(), campaign.status.c_str());

    out += detail::days_table(campaign.days);

    out += "\n  step variant      sent deferred  failed skipped replied  auto bounced unsubs   reply%  bounce%\n";
    for (const StepStats& step : campaign.steps) {
      for (const VariantStats& v : step.variants) {
        append_line(out, "  %4d %-8.8s %8lld %8lld %7lld %7lld %7lld %5lld %7lld %6lld %8s %8s", step.step, v.name.c_str(),
                    static_cast<long long>(v.sent), static_cast<long long>(v.deferred), static_cast<long long>(v.failed),
                    static_cast<long long>(v.skipped), static_cast<long long>(v.replied),
                    static_cast<long long>(v.auto_replied), static_cast<long long>(v.bounced),
                    static_cast<long long>(v.unsubscribed), percent(v.rate(v.replied)).c_str(),
                    percent(v.rate(v.bounced)).c_str());
      }
    }

    out += "\n  leads:";
    for (const auto& [status, count] : campaign.leads) {
      if (count != 0) out += " " + status + " " + std::to_string(count) + ",";
    }
    if (out.back() == ',') out.pop_back();
    out += "\n";
    if (campaign.in_doubt != 0) append_line(out, "  in doubt: %lld", static_cast<long long>(campaign.in_doubt));
    for (const MailboxTrouble& mailbox : campaign.mailbox_trouble) {
      out += "  mailbox " + mailbox.mailbox + ": " +
             (mailbox.disabled ? "disabled (" + mailbox.reason + ")" : std::string("removed from the campaign"));
      if (mailbox.waiting > 0) {
        out += "; " + std::to_string(mailbox.waiting) + (mailbox.waiting == 1 ? " lead waits" : " leads wait") +
               " for follow-ups from it";
      }
      out += "\n";
    }
    out += "\n";
  }
  if (!summary.mail_checks.empty()) {
    out += "mail read over IMAP\n";
    for (const MailboxCheck& check : summary.mail_checks) {
      out += "  " + check.mailbox + ": last read " + (check.checked ? format_instant(*check.checked) : std::string("never"));
      if (!check.error.empty()) {
        out += "; failing since " + (check.failed ? format_instant(*check.failed) : std::string("?")) + ": " + check.error;
      }
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace outreach
