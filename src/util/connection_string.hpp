// A store's location as messages show it: a database's connection string without its password.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// The location with any password left out: `postgresql://user:secret@host/db` shows as
/// `postgresql://user@host/db`, and the value of a `password=` parameter (URI or `key=value`
/// form) as `***`. A file path comes back as it is.
[[nodiscard]] std::string without_password(std::string_view location);

}  // namespace outreach::detail
