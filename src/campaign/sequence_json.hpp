// A sequence as a JSON value that is part of a larger document (a campaign may hold its
// sequence inline): loading it so that errors carry the full JSON path, and writing it.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "outreach/sequence.hpp"

namespace outreach::detail {

/// Reads a sequence object found at `path` (empty for a whole document).
[[nodiscard]] expected<Sequence> sequence_from_json(const boost::json::value& value, const std::string& path);

/// The sequence in the form it is read from, every default written out (what
/// `Sequence::to_json` prints).
[[nodiscard]] boost::json::object sequence_to_json(const Sequence& sequence);

}  // namespace outreach::detail
