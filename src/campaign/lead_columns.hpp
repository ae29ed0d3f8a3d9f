// The names of a lead list's columns as people write them: the synonyms CRMs and spreadsheets
// use for the known fields ("Email Address", "Given Name", "Company Name"), and the key a custom
// column is also reachable by in templates ("Company Size" as `company_size`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "campaign/lead_json.hpp"

namespace outreach::detail {

/// The known field a header names by a documented synonym (docs/formats.md, "Leads"), compared
/// without case, spaces, dashes, underscores or dots: "E-mail Address", "Work Email" and
/// "email_address" are `email`. A known field's own name is a synonym of itself; `custom` when
/// the name is none of them.
[[nodiscard]] LeadField lead_field_by_synonym(std::string_view header) noexcept;

/// Whether `name`, made a key, is `key`: ASCII letters compared in lower case, and each run of
/// other characters than letters and digits standing for one `_`, none at either end
/// ("Company Size" and "company-size" are `company_size`; bytes of non-ASCII characters count as
/// letters). Never allocates.
[[nodiscard]] bool is_field_key_of(std::string_view key, std::string_view name) noexcept;

/// The known field of `lead` that `name` names by a synonym ("FirstName", "company_name"), for a
/// template written for a list whose header once made that a custom field; nothing when `name`
/// is no synonym.
[[nodiscard]] std::optional<std::string_view> synonym_value(const Lead& lead, std::string_view name) noexcept;

}  // namespace outreach::detail
