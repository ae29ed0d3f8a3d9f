// Secrets named by settings: read from the environment when they are needed, never stored.
#pragma once

#include <string>
#include <string_view>

#include "outreach/error.hpp"

namespace outreach::detail {

/// The value of the environment variable a setting names. `owner` and `setting` say where it
/// was named (`mailbox "alice"`, `password_env`), for the errors: `invalid_value` when the
/// setting names no variable or the variable is not set. The message never holds the value.
[[nodiscard]] expected<std::string> secret_from_environment(const std::string& variable, std::string_view owner,
                                                            std::string_view setting);

}  // namespace outreach::detail
