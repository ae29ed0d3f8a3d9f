/// @file instant.hpp
/// @brief `Instant`: a point in time (UTC, millisecond resolution) and its RFC 3339 form.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace outreach {

/// @brief A point in time: milliseconds since the Unix epoch, UTC.
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

/// @brief Parses an RFC 3339 instant in UTC with a `Z`, whole seconds or with milliseconds:
/// `2026-12-01T14:03:12Z`, `2026-12-01T14:03:12.250Z`.
/// @return The instant, or nothing when the text is not one (or names a date that does not exist).
[[nodiscard]] std::optional<Instant> parse_instant(std::string_view text);

/// @brief Formats an instant as RFC 3339 UTC: whole seconds without a fraction
/// (`2026-12-01T14:03:12Z`), otherwise with milliseconds (`2026-12-01T14:03:12.250Z`).
[[nodiscard]] std::string format_instant(Instant instant);

}  // namespace outreach
