#include "outreach/lead.hpp"

#include "campaign/lead_columns.hpp"
#include "util/ascii.hpp"

namespace outreach {

std::optional<std::string_view> Lead::field(std::string_view name) const noexcept {
  if (name == "email") return email;
  if (name == "first_name") return first_name;
  if (name == "last_name") return last_name;
  if (name == "company") return company;
  if (name == "title") return title;
  if (name == "timezone") return timezone;
  for (const auto& [key, value] : custom) {
    if (key == name) return value;
  }
  // A custom field is also reachable by its key: "company_size" for the column "Company Size".
  for (const auto& [key, value] : custom) {
    if (detail::is_field_key_of(name, key)) return value;
  }
  // "FirstName", a header that now fills first_name, names it still.
  return detail::synonym_value(*this, name);
}

std::string Lead::key() const { return detail::ascii_lower(email); }

}  // namespace outreach
