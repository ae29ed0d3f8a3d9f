// Loading a sequence from a JSON value that is part of a larger document (a campaign may hold
// its sequence inline), so that errors carry the full JSON path.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "outreach/sequence.hpp"

namespace outreach::detail {

/// Reads a sequence object found at `path` (empty for a whole document).
[[nodiscard]] expected<Sequence> sequence_from_json(const boost::json::value& value, const std::string& path);

}  // namespace outreach::detail
