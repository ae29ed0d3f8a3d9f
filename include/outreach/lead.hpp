/// @file lead.hpp
/// @brief `Lead`: one person a campaign writes to, with the fields templates read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outreach {

/// @brief A lead: an address and the fields that personalize the messages sent to it.
///
/// A plain value. The known fields have members; every other column of a lead list is a
/// custom field, kept in the order it was given. Field names are case-sensitive; the address
/// is compared case-insensitively (see `key()`).
struct Lead {
  std::string email;       ///< The address, as it stands in the lead list.
  std::string first_name;  ///< Known field `first_name`.
  std::string last_name;   ///< Known field `last_name`.
  std::string company;     ///< Known field `company`.
  std::string title;       ///< Known field `title`.
  std::string timezone;    ///< Known field `timezone`: an IANA zone name, or empty.
  std::vector<std::pair<std::string, std::string>> custom;  ///< Custom fields: name, value.

  /// @brief The value of a field by name (known or custom); no value when the lead has no such
  /// field. An empty string is returned as an empty value, not as "no value". A custom field is
  /// found by its name, else by its key: `company_size` finds "Company Size" (ASCII letters in
  /// lower case, each run of other characters than letters and digits one `_`); then a synonym
  /// of a known field names that field ("FirstName" is `first_name`, as in a lead list's header).
  [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const noexcept;

  /// @brief The identity used for comparisons and deterministic choices: the address with
  /// ASCII letters in lower case.
  [[nodiscard]] std::string key() const;

  /// @brief Leads compare equal when every field is equal.
  friend bool operator==(const Lead&, const Lead&) = default;
};

}  // namespace outreach
