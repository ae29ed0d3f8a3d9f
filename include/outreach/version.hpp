/// @file version.hpp
/// @brief The library's version, at compile time and at run time.
#pragma once

#include <string_view>

/// @brief The version this header belongs to, as `major * 10000 + minor * 100 + patch`.
#define OUTREACH_VERSION_NUMBER 100

namespace outreach {

/// @brief The version of the library that is linked, as `major * 10000 + minor * 100 + patch`.
[[nodiscard]] int version_number() noexcept;

/// @brief The version of the library that is linked, such as `"0.1.0"`.
[[nodiscard]] std::string_view version() noexcept;

}  // namespace outreach
