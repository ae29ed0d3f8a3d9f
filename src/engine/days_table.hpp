// Sends per day and mailbox, as a summary shows them: the JSON array and the table for people.
// A forecast shows its days the same way.
#pragma once

#include <boost/json/array.hpp>

#include <string>
#include <vector>

#include "outreach/summary.hpp"

namespace outreach::detail {

/// `[{"date", "mailbox", "sent"}]`, in the order given.
[[nodiscard]] boost::json::array days_json(const std::vector<DaySends>& days);

/// A table with one row a day, one column a mailbox and the day's total, after a blank line and
/// its title; empty when there is no day.
[[nodiscard]] std::string days_table(const std::vector<DaySends>& days);

}  // namespace outreach::detail
