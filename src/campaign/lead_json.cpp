#include "campaign/lead_json.hpp"

#include <array>
#include <limits>
#include <utility>

#include "util/ascii.hpp"
#include "util/utf8.hpp"
#include "util/utf8_check.hpp"
#include "outreach/address.hpp"
#include "outreach/timezone.hpp"

namespace outreach::detail {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 6> known_field_names = {"email",   "first_name", "last_name",
                                                               "company", "title",      "timezone"};

// Enough distinct zone names for any real list; beyond it lookups simply go uncached, so a
// list of made-up names cannot grow the cache without bound.
constexpr std::size_t max_cached_zones = 1024;

// FNV-1a over the ASCII-lower-cased bytes (the hash of `Lead::key()` without making it), with
// MurmurHash3's final mix so that the low bits, which pick a slot, depend on every byte.
std::uint64_t hash_lower(std::string_view text) noexcept {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(ascii_lower(c));
    hash *= 1099511628211ull;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace

LeadField lead_field_named(std::string_view name) noexcept {
  for (std::size_t i = 0; i < known_field_names.size(); ++i) {
    if (iequals_ascii(name, known_field_names[i])) return static_cast<LeadField>(i);
  }
  return LeadField::custom;
}

std::string_view lead_field_name(LeadField field) noexcept {
  const auto index = static_cast<std::size_t>(field);
  return index < known_field_names.size() ? known_field_names[index] : std::string_view();
}

std::string& lead_member(Lead& lead, LeadField field) noexcept {
  switch (field) {
    case LeadField::first_name: return lead.first_name;
    case LeadField::last_name: return lead.last_name;
    case LeadField::company: return lead.company;
    case LeadField::title: return lead.title;
    case LeadField::timezone: return lead.timezone;
    case LeadField::email:
    case LeadField::custom: break;
  }
  return lead.email;
}

expected<void> check_lead_value(std::string_view what, std::string_view value) {
  if (value.size() > max_lead_value_size) {
    return fail(Errc::limit_exceeded, std::string(what) + " is longer than " + std::to_string(max_lead_value_size) +
                                          " bytes (" + std::to_string(value.size()) + ")");
  }
  return check_utf8(value, what);
}

expected<std::string> lead_address(std::string_view text) {
  const std::string_view trimmed = trim(text);
  if (trimmed.empty()) return fail(Errc::invalid_value, "no email address");
  // Addresses have at most 254 octets; a value many times longer is not worth parsing, and
  // quoting it in the message would repeat kilobytes of input.
  if (trimmed.size() > 4 * 254) {
    return fail(Errc::invalid_value, "invalid email address: " + std::to_string(trimmed.size()) +
                                         " bytes, longer than any address");
  }
  auto address = Address::parse(trimmed);
  if (!address) {
    Error error(address.error().code(), "invalid email address: " + address.error().message(),
                address.error().where());
    return fail(std::move(error));
  }
  if (address->email.size() != trimmed.size()) {
    return fail(Errc::invalid_value, "invalid email address " + quoted_excerpt(trimmed) +
                                         ": write the bare address, without a display name or angle brackets");
  }
  return std::move(address->email);
}

std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t max_bytes = 60;
  static constexpr char digits[] = "0123456789ABCDEF";
  const auto append_escape = [](std::string& out, unsigned char byte) {
    out += "\\x";
    out += digits[byte >> 4];
    out += digits[byte & 0xF];
  };
  std::string out = "\"";
  for (std::size_t pos = 0; pos < text.size();) {
    if (pos >= max_bytes) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(text[pos]);
    const std::size_t length = byte < 0x80 ? 1 : utf8_sequence_length(text, pos);
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
    } else if (byte < 0x20 || byte == 0x7F || length == 0) {  // controls, and bytes that are not UTF-8
      append_escape(out, byte);
    } else {  // whole characters only
      out.append(text.substr(pos, length));
      pos += length;
      continue;
    }
    ++pos;
  }
  out += '"';
  return out;
}

expected<Lead> lead_from_json(const json::value& value, const std::string& path) {
  const json::object* object = value.if_object();
  if (!object) {
    return fail(Errc::invalid_value, "a lead is an object, found " + std::string(describe_type(value)),
                Location::at(path));
  }
  ErrorList errors;
  if (object->size() > max_lead_fields) {
    return fail(Errc::limit_exceeded, "a lead has at most " + std::to_string(max_lead_fields) + " fields, found " +
                                          std::to_string(object->size()),
                Location::at(path));
  }
  Lead lead;
  bool has_email = false;
  std::array<bool, known_field_names.size()> given{};
  for (const auto& member : *object) {
    const std::string_view key = member.key();
    const std::string key_path = path_key(path, key);
    if (key.empty()) {
      errors.add(Error(Errc::invalid_value, "a field name is empty", Location::at(path)));
      continue;
    }
    if (auto valid = check_lead_value("field name", key); !valid) {
      errors.add(Error(valid.error().code(), valid.error().message(), Location::at(path)));
      continue;
    }
    const LeadField field = lead_field_named(key);
    if (field != LeadField::custom) {
      bool& seen = given[static_cast<std::size_t>(field)];
      if (seen) {
        errors.add(Error(Errc::invalid_value, "field \"" + std::string(lead_field_name(field)) + "\" is given twice",
                         Location::at(key_path)));
        continue;
      }
      seen = true;
    }
    if (member.value().is_null()) continue;
    const json::string* text = member.value().if_string();
    if (!text) {
      errors.add(Error(Errc::invalid_value,
                       "lead fields are strings, found " + std::string(describe_type(member.value())),
                       Location::at(key_path)));
      continue;
    }
    const std::string_view value_text(text->data(), text->size());
    if (auto valid = check_lead_value("value", value_text); !valid) {
      Location where = valid.error().where();
      where.json_path = key_path;
      errors.add(Error(valid.error().code(), valid.error().message(), std::move(where)));
      continue;
    }
    switch (field) {
      case LeadField::email: {
        auto address = lead_address(value_text);
        if (!address) {
          errors.add(Error(address.error().code(), address.error().message(), Location::at(key_path)));
          continue;
        }
        has_email = true;
        lead.email = std::move(*address);
        break;
      }
      case LeadField::custom: lead.custom.emplace_back(key, value_text); break;
      default: lead_member(lead, field) = value_text; break;
    }
  }
  if (!has_email && errors.empty()) {
    errors.add(Error(Errc::invalid_value, "no email address", Location::at(path_key(path, "email"))));
  }
  if (!errors.empty()) return fail(errors.combined());
  return lead;
}

json::object lead_to_json(const Lead& lead) {
  json::object out;
  out["email"] = lead.email;
  const auto known = [&out](LeadField field, const std::string& value) {
    if (!value.empty()) out[lead_field_name(field)] = value;
  };
  known(LeadField::first_name, lead.first_name);
  known(LeadField::last_name, lead.last_name);
  known(LeadField::company, lead.company);
  known(LeadField::title, lead.title);
  known(LeadField::timezone, lead.timezone);
  for (const auto& [name, value] : lead.custom) {
    if (name.empty() || lead_field_named(name) != LeadField::custom || out.contains(name)) continue;
    out[name] = value;
  }
  return out;
}

expected<LeadList> lead_list_from_json(const json::value& value, const std::string& path,
                                       std::string_view source_name) {
  const json::array* array = value.if_array();
  if (!array) {
    Location where = Location::at(path);
    where.file = std::string(source_name);
    return fail(Errc::invalid_value, "leads are an array of lead objects, found " + std::string(describe_type(value)),
                std::move(where));
  }
  LeadListBuilder builder(LeadListBuilder::Places::json_indexes, source_name, path, array->size());
  for (std::size_t index = 0; index < array->size(); ++index) {
    auto lead = lead_from_json((*array)[index], path_index(path, index));
    if (!lead) {
      builder.reject(source_name.empty() ? std::move(lead.error()) : lead.error().in_file(std::string(source_name)));
      continue;
    }
    builder.add(std::move(*lead), index);
  }
  return builder.finish();
}

// ---- LeadListBuilder ---------------------------------------------------------------------------

LeadListBuilder::AddressSet::AddressSet(std::size_t capacity) {
  // Sized for the expected leads, but not beyond what a small list needs at first: the
  // estimate may be far too high for hostile input, and the table grows as needed.
  std::size_t slots = 16;
  while (slots < 2 * capacity && slots < (std::size_t{1} << 16)) slots *= 2;
  slots_.resize(slots);
}

void LeadListBuilder::AddressSet::prefetch(std::uint64_t hash) const noexcept {
#if defined(__GNUC__)
  __builtin_prefetch(&slots_[static_cast<std::uint32_t>(hash >> 32) & (slots_.size() - 1)]);
#else
  static_cast<void>(hash);
#endif
}

std::size_t LeadListBuilder::AddressSet::insert(const std::vector<Lead>& leads, std::size_t index,
                                                std::uint64_t hash) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const std::string& email = leads[index].email;
  const auto tag = static_cast<std::uint32_t>(hash >> 32);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = tag & mask;; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.lead == 0) {
      slot = {tag, static_cast<std::uint32_t>(index + 1)};
      ++size_;
      return index;
    }
    if (slot.hash == tag && iequals_ascii(leads[slot.lead - 1].email, email)) return slot.lead - 1;
  }
}

void LeadListBuilder::AddressSet::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.lead == 0) continue;
    std::size_t at = slot.hash & mask;
    while (slots_[at].lead != 0) at = (at + 1) & mask;
    slots_[at] = slot;
  }
}

std::size_t LeadListBuilder::NameHash::operator()(std::string_view name) const noexcept {
  return std::hash<std::string_view>{}(name);
}

LeadListBuilder::LeadListBuilder(Places places, std::string_view source_name, std::string_view base_path,
                                 std::size_t capacity)
    : places_(places), source_name_(source_name), base_path_(base_path), seen_(capacity) {
  list_.leads.reserve(capacity);
  places_of_leads_.reserve(capacity);
}

Location LeadListBuilder::location(std::size_t place, std::string_view field) const {
  Location where = Location::in(source_name_);
  if (places_ == Places::lines) {
    where.line = place;
  } else {
    where.json_path = path_index(base_path_, place);
    if (!field.empty()) where.json_path = path_key(where.json_path, field);
  }
  return where;
}

std::string LeadListBuilder::describe(std::size_t place) const {
  if (places_ == Places::lines) return "on line " + std::to_string(place);
  return "at " + path_index(base_path_, place);
}

void LeadListBuilder::reject(Error problem) { list_.problems.push_back(std::move(problem)); }

void LeadListBuilder::reject(Errc code, std::string message, std::size_t place, std::string_view field) {
  list_.problems.emplace_back(code, std::move(message), location(place, field));
}

bool LeadListBuilder::known_zone(std::string_view name) {
  if (const auto cached = zones_.find(name); cached != zones_.end()) return cached->second;
  const bool known = TimeZone::locate(name).has_value();
  if (zones_.size() < max_cached_zones) zones_.emplace(name, known);
  return known;
}

std::uint64_t LeadListBuilder::prepare(std::string_view email) const noexcept {
  const std::uint64_t hash = hash_lower(email);
  seen_.prefetch(hash);
  return hash;
}

void LeadListBuilder::add(Lead lead, std::size_t place) {
  const std::uint64_t hash = hash_lower(lead.email);
  add(std::move(lead), place, hash);
}

void LeadListBuilder::add(Lead lead, std::size_t place, std::uint64_t hash) {
  if (list_.leads.size() >= std::numeric_limits<std::uint32_t>::max() - 1) {
    reject(Errc::limit_exceeded, "too many leads in one list", place);
    return;
  }
  list_.leads.push_back(std::move(lead));
  const std::size_t index = list_.leads.size() - 1;
  const std::size_t first = seen_.insert(list_.leads, index, hash);
  if (first != index) {
    const std::size_t first_place = places_of_leads_[first];
    std::string message = "address " + quoted_excerpt(list_.leads.back().email) + " is repeated (first " +
                          describe(first_place) + "); this one is left out";
    list_.leads.pop_back();
    reject(Errc::invalid_value, std::move(message), place, "email");
    return;
  }
  places_of_leads_.push_back(place);
  Lead& kept = list_.leads.back();
  if (!kept.timezone.empty() && !known_zone(kept.timezone)) {
    list_.problems.emplace_back(Errc::not_found,
                                "unknown time zone " + quoted_excerpt(kept.timezone) +
                                    "; the lead is kept without a time zone",
                                location(place, "timezone"));
    kept.timezone.clear();
  }
}

expected<LeadList> LeadListBuilder::finish() {
  if (list_.leads.empty()) {
    Location where = Location::in(source_name_);
    if (places_ == Places::json_indexes) where.json_path = base_path_;
    Error error(Errc::invalid_value,
                list_.problems.empty() ? "the lead list has no leads" : "the lead list has no valid lead",
                std::move(where));
    for (Error& problem : list_.problems) error.add_other(std::move(problem));
    return fail(std::move(error));
  }
  return std::move(list_);
}

}  // namespace outreach::detail

namespace outreach {

expected<Lead> load_lead(const std::filesystem::path& path) {
  auto json = detail::load_json_file(path);
  if (!json) return tl::unexpected(std::move(json.error()));
  auto lead = detail::lead_from_json(*json, "");
  if (!lead) return tl::unexpected(lead.error().in_file(path.string()));
  return lead;
}

}  // namespace outreach
