// The instant a message's `Date` field names (RFC 5322 section 3.3, with the obsolete zone names
// of section 4.3 and the leniency real mail needs).
#pragma once

#include <optional>
#include <string_view>

#include "outreach/instant.hpp"

namespace outreach::detail {

/// Reads `[day-name ","] day month year hour ":" minute [":" second] zone`: the month by its
/// English abbreviation, a two-digit year as RFC 5322 section 4.3 says, the zone as `+hhmm` or
/// `-hhmm` or an obsolete name (`UT`, `GMT`, `EST`, ...; an unknown name is taken as UTC), and
/// comments or text after the zone ignored.
/// @return The instant, or nothing when the value does not name one.
[[nodiscard]] std::optional<Instant> instant_of_date_field(std::string_view value);

}  // namespace outreach::detail
