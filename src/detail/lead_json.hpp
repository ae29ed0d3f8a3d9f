// The JSON form of a lead: an object with the lead list's columns as keys (spec: "Leads").
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "detail/json_reader.hpp"
#include "outreach/lead.hpp"

namespace outreach::detail {

/// Reads one lead object at `path`. `email` is required and must be an address; every value is
/// a string (or null, meaning absent); keys other than the known columns are custom fields.
[[nodiscard]] expected<Lead> lead_from_json(const boost::json::value& value, const std::string& path);

}  // namespace outreach::detail
