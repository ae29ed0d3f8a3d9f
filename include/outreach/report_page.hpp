/// @file report_page.hpp
/// @brief A campaign's report as one HTML page: sends per day and mailbox, the funnel per step
/// and variant, lead statuses, mailbox health and the leads, with charts drawn as inline SVG.
/// No script and no outside resource: it opens from a file, prints, and is served under a
/// Content-Security-Policy that allows nothing but its own stylesheet.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "outreach/store_view.hpp"
#include "outreach/summary.hpp"

namespace outreach {

/// @brief How the page of a campaign is drawn.
struct ReportPageOptions {
  std::string search;          ///< Only leads whose address or status contains this (any case); empty: all.
  std::size_t page = 1;        ///< Which page of leads (1-based).
  std::size_t page_size = 50;  ///< Leads per page.
  /// Served by `outreach serve`: links to the list of campaigns, and a search form. A page
  /// written to a file has neither, and lists its leads on one page.
  bool served = false;
};

/// @brief The stylesheet every page carries inline; its SHA-256 goes into the
/// Content-Security-Policy (`style-src 'sha256-...'`).
[[nodiscard]] std::string_view report_stylesheet() noexcept;

/// @brief A campaign's report page.
/// @param report The report (`report_store`).
/// @param options How it is drawn.
[[nodiscard]] std::string report_html(const CampaignReport& report, const ReportPageOptions& options = {});

/// @brief The page that lists a store's campaigns, each with its status, leads, sends and
/// replies, and a link to its report.
/// @param summary Every campaign's summary (`summarize_store`).
[[nodiscard]] std::string campaigns_html(const Summary& summary);

}  // namespace outreach
