// The report pages: plain HTML tables for the figures, and inline SVG for the charts, each bar
// carrying its figures as data attributes (what a test or a scraper reads) and as a <title>
// (what a person hovering sees). Colours are presentation attributes, not style attributes, so
// that the Content-Security-Policy can forbid every inline style but the one stylesheet.
#include "outreach/report_page.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>

#include "campaign/html_escape.hpp"
#include "report/html_page.hpp"
#include "util/ascii.hpp"

namespace outreach {

namespace {

constexpr std::string_view stylesheet =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1040px;padding:0 16px;color:#1d2330}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e6ec}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#687086}"
    ".tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.tile{border:1px solid #e3e6ec;border-radius:6px;"
    "padding:8px 14px;min-width:110px}.tile b{display:block;font-size:20px}"
    ".badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#eef1f6;font-size:12px}"
    ".warn{color:#a0360f}.legend span{margin-right:14px}svg{max-width:100%;height:auto}"
    "form{margin:8px 0}input[type=search]{padding:4px 8px;width:260px}nav a{margin-right:10px}"
    "@media print{form,nav.pages{display:none}}";

constexpr std::array<std::string_view, 8> palette{"#3b6fd8", "#e07b39", "#3aa675", "#b24fb0",
                                                  "#d4b02f", "#4fb6c6", "#c8485a", "#7a7f8c"};

void escape(std::string& out, std::string_view text) { detail::append_html_escaped(out, text); }

std::string escaped(std::string_view text) {
  std::string out;
  escape(out, text);
  return out;
}

std::string number(std::int64_t value) { return std::to_string(value); }

std::string percent(double share) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", share * 100.0);
  return buffer;
}

std::string decimal(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}


void tile(std::string& out, std::string_view label, const std::string& value, std::string_view key) {
  out += "<div class=\"tile\" data-figure=\"";
  out += key;
  out += "\"><b>";
  escape(out, value);
  out += "</b><span class=\"muted\">";
  out += label;
  out += "</span></div>";
}

struct Totals {
  std::int64_t sent = 0, replied = 0, auto_replied = 0, bounced = 0, unsubscribed = 0, failed = 0, deferred = 0;
};

Totals totals_of(const CampaignSummary& summary) {
  Totals totals;
  for (const StepStats& step : summary.steps) {
    for (const VariantStats& v : step.variants) {
      totals.sent += v.sent;
      totals.replied += v.replied;
      totals.auto_replied += v.auto_replied;
      totals.bounced += v.bounced;
      totals.unsubscribed += v.unsubscribed;
      totals.failed += v.failed;
      totals.deferred += v.deferred;
    }
  }
  return totals;
}

// Sends per day, one stacked bar a day, a colour per mailbox.
void sends_chart(std::string& out, const CampaignSummary& summary) {
  std::vector<std::string> mailboxes;
  std::map<std::string, std::map<std::string, std::int64_t>> by_day;
  for (const DaySends& day : summary.days) {
    if (std::find(mailboxes.begin(), mailboxes.end(), day.mailbox) == mailboxes.end()) mailboxes.push_back(day.mailbox);
    by_day[day.date][day.mailbox] += day.sent;
  }
  out += "<h2>Sends per day</h2>\n";
  if (by_day.empty()) {
    out += "<p class=\"muted\">Nothing sent yet.</p>\n";
    return;
  }
  std::int64_t highest = 1;
  for (const auto& [date, counts] : by_day) {
    std::int64_t total = 0;
    for (const auto& [mailbox, sent] : counts) total += sent;
    highest = std::max(highest, total);
  }
  constexpr double width = 960, height = 220, left = 48, bottom = 24, top = 10;
  const double plot_width = width - left - 8;
  const double slot = plot_width / static_cast<double>(by_day.size());
  const double bar = std::max(1.0, std::min(28.0, slot * 0.8));
  const double scale = (height - bottom - top) / static_cast<double>(highest);
  out += "<svg id=\"sends-per-day\" role=\"img\" aria-label=\"Sends per day and mailbox\" viewBox=\"0 0 " +
         decimal(width) + " " + decimal(height) + "\" width=\"" + decimal(width) + "\" height=\"" + decimal(height) +
         "\" xmlns=\"http://www.w3.org/2000/svg\">";
  out += "<line x1=\"" + decimal(left) + "\" y1=\"" + decimal(height - bottom) + "\" x2=\"" + decimal(width - 8) +
         "\" y2=\"" + decimal(height - bottom) + "\" stroke=\"#aab0bd\"/>";
  out += "<text x=\"" + decimal(left - 6) + "\" y=\"" + decimal(top + 10) +
         "\" text-anchor=\"end\" font-size=\"11\" fill=\"#687086\">" + number(highest) + "</text>";
  out += "<text x=\"" + decimal(left - 6) + "\" y=\"" + decimal(height - bottom) +
         "\" text-anchor=\"end\" font-size=\"11\" fill=\"#687086\">0</text>";
  std::size_t index = 0;
  for (const auto& [date, counts] : by_day) {
    std::int64_t total = 0;
    for (const auto& [mailbox, sent] : counts) total += sent;
    const double x = left + slot * static_cast<double>(index) + (slot - bar) / 2;
    out += "<g class=\"day\" data-date=\"" + date + "\" data-sent=\"" + number(total) + "\"><title>" + date + ": " +
           number(total) + " sent</title>";
    double y = height - bottom;
    for (std::size_t m = 0; m < mailboxes.size(); ++m) {
      const auto found = counts.find(mailboxes[m]);
      if (found == counts.end() || found->second == 0) continue;
      const double h = static_cast<double>(found->second) * scale;
      y -= h;
      out += "<rect data-mailbox=\"";
      escape(out, mailboxes[m]);
      out += "\" data-sent=\"" + number(found->second) + "\" x=\"" + decimal(x) + "\" y=\"" + decimal(y) +
             "\" width=\"" + decimal(bar) + "\" height=\"" + decimal(h) + "\" fill=\"" +
             std::string(palette[m % palette.size()]) + "\"/>";
    }
    out += "</g>";
    ++index;
  }
  const auto label = [&](const std::string& date, double x, std::string_view anchor) {
    out += "<text x=\"" + decimal(x) + "\" y=\"" + decimal(height - 6) + "\" text-anchor=\"" + std::string(anchor) +
           "\" font-size=\"11\" fill=\"#687086\">" + date + "</text>";
  };
  label(by_day.begin()->first, left, "start");
  if (by_day.size() > 1) label(by_day.rbegin()->first, width - 8, "end");
  out += "</svg>\n<p class=\"legend\">";
  for (std::size_t m = 0; m < mailboxes.size(); ++m) {
    out += "<span><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"" +
           std::string(palette[m % palette.size()]) + "\"/></svg> ";
    escape(out, mailboxes[m]);
    out += "</span>";
  }
  out += "</p>\n";
}

// One bar in a cell, as long as `share` of the longest.
std::string inline_bar(double share, std::string_view colour) {
  const double w = std::clamp(share, 0.0, 1.0) * 120.0;
  return "<svg width=\"120\" height=\"10\" aria-hidden=\"true\"><rect width=\"120\" height=\"10\" fill=\"#eef1f6\"/>"
         "<rect width=\"" + decimal(w) + "\" height=\"10\" fill=\"" + std::string(colour) + "\"/></svg>";
}

void funnel(std::string& out, const CampaignSummary& summary, const TrackingSettings& tracking) {
  out += "<h2>Steps and variants</h2>\n<table id=\"funnel\"><thead><tr><th>Step</th><th>Variant</th>"
         "<th class=\"n\">Sent</th><th class=\"n\">Replied</th><th class=\"n\">Auto-replied</th>"
         "<th class=\"n\">Bounced</th><th class=\"n\">Unsubscribed</th><th class=\"n\">Complained</th>"
         "<th class=\"n\">Failed</th>";
  if (tracking.opens) out += "<th class=\"n\">Opened*</th>";
  if (tracking.clicks) out += "<th class=\"n\">Clicked*</th>";
  out += "<th class=\"n\">Reply rate</th><th></th></tr></thead><tbody>\n";
  double best = 0;
  for (const StepStats& step : summary.steps) {
    for (const VariantStats& v : step.variants) best = std::max(best, v.rate(v.replied));
  }
  for (const StepStats& step : summary.steps) {
    for (const VariantStats& v : step.variants) {
      out += "<tr data-step=\"" + std::to_string(step.step) + "\" data-variant=\"";
      escape(out, v.name);
      out += "\" data-sent=\"" + number(v.sent) + "\" data-replied=\"" + number(v.replied) + "\"><td>" +
             std::to_string(step.step) + "</td><td>";
      escape(out, v.name);
      out += "</td><td class=\"n\">" + number(v.sent) + "</td><td class=\"n\">" + number(v.replied) +
             "</td><td class=\"n\">" + number(v.auto_replied) + "</td><td class=\"n\">" + number(v.bounced) +
             "</td><td class=\"n\">" + number(v.unsubscribed) + "</td><td class=\"n\">" + number(v.complained) +
             "</td><td class=\"n\">" + number(v.failed) + "</td>";
      if (tracking.opens) out += "<td class=\"n\" data-opened=\"" + number(v.opened) + "\">" + number(v.opened) + "</td>";
      if (tracking.clicks) out += "<td class=\"n\" data-clicked=\"" + number(v.clicked) + "\">" + number(v.clicked) + "</td>";
      out += "<td class=\"n\">" + percent(v.rate(v.replied)) + "</td><td>" +
             inline_bar(best > 0 ? v.rate(v.replied) / best : 0.0, palette[2]) + "</td></tr>\n";
    }
  }
  out += "</tbody></table>\n";
}

void statuses(std::string& out, const CampaignSummary& summary) {
  out += "<h2>Lead statuses</h2>\n";
  std::int64_t highest = 1;
  for (const auto& [status, count] : summary.leads) highest = std::max(highest, count);
  constexpr double row = 20, label = 110, width = 560;
  const double height = row * static_cast<double>(summary.leads.size()) + 4;
  out += "<svg id=\"lead-statuses\" role=\"img\" aria-label=\"Leads by status\" viewBox=\"0 0 " + decimal(width) + " " +
         decimal(height) + "\" width=\"" + decimal(width) + "\" height=\"" + decimal(height) +
         "\" xmlns=\"http://www.w3.org/2000/svg\">";
  std::size_t index = 0;
  for (const auto& [name, count] : summary.leads) {
    const std::string status = escaped(name);
    const double y = row * static_cast<double>(index) + 2;
    const double w = (width - label - 60) * static_cast<double>(count) / static_cast<double>(highest);
    out += "<g class=\"status\" data-status=\"" + status + "\" data-count=\"" + number(count) + "\"><title>" + status +
           ": " + number(count) + "</title><text x=\"" + decimal(label - 6) + "\" y=\"" + decimal(y + 13) +
           "\" text-anchor=\"end\" font-size=\"12\" fill=\"#1d2330\">" + status + "</text><rect x=\"" + decimal(label) +
           "\" y=\"" + decimal(y + 2) + "\" width=\"" + decimal(w) + "\" height=\"" + decimal(row - 6) + "\" fill=\"" +
           std::string(palette[0]) + "\"/><text x=\"" + decimal(label + w + 6) + "\" y=\"" + decimal(y + 13) +
           "\" font-size=\"12\" fill=\"#687086\">" + number(count) + "</text></g>";
    ++index;
  }
  out += "</svg>\n";
}

void mailbox_health(std::string& out, const CampaignReport& report) {
  out += "<h2>Mailboxes</h2>\n<table id=\"mailboxes\"><thead><tr><th>Mailbox</th><th>From</th>"
         "<th class=\"n\">Daily limit</th><th>Ramp</th><th>State</th><th>Last error</th><th>Last mail check</th>"
         "</tr></thead><tbody>\n";
  for (const MailboxHealth& m : report.mailboxes) {
    out += "<tr data-mailbox=\"";
    escape(out, m.mailbox);
    out += "\"><td>";
    escape(out, m.mailbox);
    out += "</td><td>";
    escape(out, m.from);
    out += "</td><td class=\"n\">" + number(m.daily_limit) + "</td><td>";
    if (m.ramp) out += number(m.ramp->start) + " a day, +" + number(m.ramp->step) + " each day";
    out += "</td><td>";
    if (m.disabled) {
      out += "<span class=\"warn\">disabled</span> ";
      escape(out, m.disabled_reason);
    } else {
      out += "sending";
    }
    out += "</td><td>";
    if (!m.last_error.empty()) {
      escape(out, m.last_error);
      if (m.last_error_at) out += " <span class=\"muted\">" + format_instant(*m.last_error_at) + "</span>";
    }
    out += "</td><td>";
    if (m.check) {
      if (m.check->checked) out += format_instant(*m.check->checked);
      if (!m.check->error.empty()) {
        out += " <span class=\"warn\">";
        escape(out, m.check->error);
        out += "</span>";
      }
    } else {
      out += "<span class=\"muted\">not read</span>";
    }
    out += "</td></tr>\n";
  }
  out += "</tbody></table>\n";
}

bool matches(const LeadProgress& lead, std::string_view search) {
  if (search.empty()) return true;
  const std::string needle = detail::ascii_lower(search);
  return detail::ascii_lower(lead.email).find(needle) != std::string::npos || lead.status.find(needle) != std::string::npos;
}

// A query string value, percent-encoded.
std::string query_value(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

void leads(std::string& out, const CampaignReport& report, const ReportPageOptions& options) {
  out += "<h2>Leads</h2>\n";
  if (options.served) {
    out += "<form method=\"get\" role=\"search\"><input type=\"search\" name=\"q\" placeholder=\"address or status\" value=\"";
    escape(out, options.search);
    out += "\"> <button type=\"submit\">Search</button></form>\n";
  }
  std::vector<const LeadProgress*> found;
  for (const LeadProgress& lead : report.leads) {
    if (matches(lead, options.search)) found.push_back(&lead);
  }
  const std::size_t size = options.served ? std::max<std::size_t>(1, options.page_size) : std::max<std::size_t>(1, found.size());
  const std::size_t pages = std::max<std::size_t>(1, (found.size() + size - 1) / size);
  const std::size_t page = std::clamp<std::size_t>(options.page, 1, pages);
  const std::size_t first = (page - 1) * size;
  const std::size_t last = std::min(found.size(), first + size);
  out += "<p class=\"muted\" id=\"lead-count\" data-count=\"" + std::to_string(found.size()) + "\">" +
         std::to_string(found.size()) + (found.size() == 1 ? " lead" : " leads");
  if (found.size() > 0) out += ", " + std::to_string(first + 1) + "–" + std::to_string(last) + " shown";
  out += "</p>\n<table id=\"leads\"><thead><tr><th>Address</th><th>Status</th><th class=\"n\">Steps sent</th>"
         "</tr></thead><tbody>\n";
  for (std::size_t i = first; i < last; ++i) {
    out += "<tr><td>";
    escape(out, found[i]->email);
    out += "</td><td>" + escaped(found[i]->status) + "</td><td class=\"n\">" + std::to_string(found[i]->steps_sent) +
           "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  if (options.served && pages > 1) {
    out += "<nav class=\"pages\">";
    const std::string search = options.search.empty() ? "" : "&amp;q=" + query_value(options.search);
    if (page > 1) out += "<a rel=\"prev\" href=\"?page=" + std::to_string(page - 1) + search + "\">Previous</a>";
    out += "<span class=\"muted\">page " + std::to_string(page) + " of " + std::to_string(pages) + "</span>";
    if (page < pages) out += " <a rel=\"next\" href=\"?page=" + std::to_string(page + 1) + search + "\">Next</a>";
    out += "</nav>\n";
  }
}

}  // namespace

std::string_view report_stylesheet() noexcept { return stylesheet; }

void detail::begin_html_page(std::string& out, std::string_view title) {
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"robots\" content=\"noindex\"><title>";
  escape(out, title);
  out += "</title><style>";
  out += stylesheet;
  out += "</style></head><body>\n";
}

std::string report_html(const CampaignReport& report, const ReportPageOptions& options) {
  const CampaignSummary& summary = report.summary;
  std::string out;
  out.reserve(16384 + report.leads.size() * 64);
  detail::begin_html_page(out, "Campaign " + summary.name);
  if (options.served) out += "<nav><a href=\"/\">All campaigns</a></nav>\n";
  out += "<h1>";
  escape(out, summary.name);
  out += " <span class=\"badge\" id=\"status\">" + escaped(summary.status) + "</span></h1>\n<p class=\"muted\">Report of " +
         format_instant(report.generated) + "</p>\n";

  const Totals totals = totals_of(summary);
  std::int64_t lead_count = 0;
  for (const auto& [status, count] : summary.leads) lead_count += count;
  const auto rate = [&](std::int64_t count) {
    return totals.sent == 0 ? std::string("–") : percent(static_cast<double>(count) / static_cast<double>(totals.sent));
  };
  out += "<div class=\"tiles\">";
  tile(out, "leads", number(lead_count), "leads");
  tile(out, "sent", number(totals.sent), "sent");
  tile(out, "replied (" + rate(totals.replied) + ")", number(totals.replied), "replied");
  tile(out, "bounced (" + rate(totals.bounced) + ")", number(totals.bounced), "bounced");
  tile(out, "unsubscribed", number(totals.unsubscribed), "unsubscribed");
  tile(out, "in doubt", number(summary.in_doubt), "in_doubt");
  out += "</div>\n";
  if (!summary.mailbox_trouble.empty()) {
    out += "<p class=\"warn\">";
    for (const MailboxTrouble& trouble : summary.mailbox_trouble) {
      out += "Mailbox ";
      escape(out, trouble.mailbox);
      out += trouble.disabled ? " is disabled" : " was removed";
      if (trouble.waiting > 0) out += ": " + number(trouble.waiting) + " leads wait for it";
      out += ". ";
    }
    out += "</p>\n";
  }
  sends_chart(out, summary);
  funnel(out, summary, report.tracking);
  out += "<p class=\"muted\">Replies are the measure of a campaign; bounces and unsubscribes are counted from the "
         "mail that came back and the links that were used.";
  if (report.tracking.opens || report.tracking.clicks) {
    out += " <span id=\"tracking-note\">* Opens and clicks are unreliable: privacy proxies fetch every pixel and mail "
           "scanners follow links for people who never looked. Leads count once per step, and hits that look like "
           "machines (fetched seconds after the send, every link at once, known scanners and proxies) are left out; "
           "the events keep them, marked suspect.</span>";
  }
  out += "</p>\n";
  statuses(out, summary);
  mailbox_health(out, report);
  leads(out, report, options);
  detail::end_html_page(out);
  return out;
}

std::string campaigns_html(const Summary& summary) {
  std::string out;
  detail::begin_html_page(out, "Campaigns");
  out += "<h1>Campaigns</h1>\n";
  if (summary.campaigns.empty()) {
    out += "<p class=\"muted\">The store has no campaign yet.</p>\n";
  } else {
    out += "<table id=\"campaigns\"><thead><tr><th>Campaign</th><th>Status</th><th class=\"n\">Leads</th>"
           "<th class=\"n\">Sent</th><th class=\"n\">Replied</th><th class=\"n\">Reply rate</th></tr></thead><tbody>\n";
    for (const CampaignSummary& campaign : summary.campaigns) {
      const Totals totals = totals_of(campaign);
      std::int64_t lead_count = 0;
      for (const auto& [status, count] : campaign.leads) lead_count += count;
      out += "<tr data-campaign=\"";
      escape(out, campaign.name);
      out += "\"><td><a href=\"/campaigns/" + query_value(campaign.name) + "\">";
      escape(out, campaign.name);
      out += "</a></td><td>" + escaped(campaign.status) + "</td><td class=\"n\">" + number(lead_count) + "</td><td class=\"n\">" +
             number(totals.sent) + "</td><td class=\"n\">" + number(totals.replied) + "</td><td class=\"n\">" +
             (totals.sent ? percent(static_cast<double>(totals.replied) / static_cast<double>(totals.sent)) : "–") +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  detail::end_html_page(out);
  return out;
}

}  // namespace outreach
