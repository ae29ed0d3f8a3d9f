#include "campaign/lead_columns.hpp"

#include <array>

#include "util/ascii.hpp"

namespace outreach::detail {

namespace {

struct Synonym {
  std::string_view compact;  // lower case, without spaces, dashes, underscores and dots
  LeadField field;
};

// What the export formats of common CRMs and sales tools and people's spreadsheets call the
// known fields (docs/formats.md, "Leads", keeps the same table).
constexpr std::array synonyms{
    Synonym{"email", LeadField::email},
    Synonym{"emailaddress", LeadField::email},
    Synonym{"workemail", LeadField::email},
    Synonym{"workemailaddress", LeadField::email},
    Synonym{"businessemail", LeadField::email},
    Synonym{"businessemailaddress", LeadField::email},
    Synonym{"firstname", LeadField::first_name},
    Synonym{"givenname", LeadField::first_name},
    Synonym{"lastname", LeadField::last_name},
    Synonym{"surname", LeadField::last_name},
    Synonym{"familyname", LeadField::last_name},
    Synonym{"company", LeadField::company},
    Synonym{"companyname", LeadField::company},
    Synonym{"organization", LeadField::company},
    Synonym{"organisation", LeadField::company},
    Synonym{"organizationname", LeadField::company},
    Synonym{"accountname", LeadField::company},
    Synonym{"title", LeadField::title},
    Synonym{"jobtitle", LeadField::title},
    Synonym{"position", LeadField::title},
    Synonym{"timezone", LeadField::timezone},
    Synonym{"tz", LeadField::timezone},
};

constexpr bool is_separator_in_compact(char c) noexcept { return c == ' ' || c == '-' || c == '_' || c == '.'; }

constexpr bool is_key_character(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (static_cast<unsigned char>(c) >= 0x80);
}

}  // namespace

LeadField lead_field_by_synonym(std::string_view header) noexcept {
  // Compared in place: longer than every synonym means none.
  std::array<char, 32> compact{};
  std::size_t size = 0;
  for (const char c : header) {
    if (is_separator_in_compact(c)) continue;
    if (size == compact.size()) return LeadField::custom;
    compact[size++] = ascii_lower(c);
  }
  const std::string_view name(compact.data(), size);
  for (const Synonym& synonym : synonyms) {
    if (synonym.compact == name) return synonym.field;
  }
  return LeadField::custom;
}

bool is_field_key_of(std::string_view key, std::string_view name) noexcept {
  std::size_t k = 0;
  std::size_t i = 0;
  bool pending_separator = false;
  while (i < name.size() && !is_key_character(name[i])) ++i;  // none at the start
  for (; i < name.size(); ++i) {
    const char c = name[i];
    if (!is_key_character(c)) {
      pending_separator = true;
      continue;
    }
    if (pending_separator) {
      if (k == key.size() || key[k] != '_') return false;
      ++k;
      pending_separator = false;
    }
    if (k == key.size() || key[k] != ascii_lower(c)) return false;
    ++k;
  }
  return k == key.size();  // a separator at the end is dropped
}

std::optional<std::string_view> synonym_value(const Lead& lead, std::string_view name) noexcept {
  switch (lead_field_by_synonym(name)) {
    case LeadField::email: return lead.email;
    case LeadField::first_name: return lead.first_name;
    case LeadField::last_name: return lead.last_name;
    case LeadField::company: return lead.company;
    case LeadField::title: return lead.title;
    case LeadField::timezone: return lead.timezone;
    case LeadField::custom: break;
  }
  return std::nullopt;
}

}  // namespace outreach::detail
