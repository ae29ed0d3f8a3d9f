#include "detail/lead_json.hpp"

#include "outreach/address.hpp"

namespace outreach::detail {

namespace json = boost::json;

expected<Lead> lead_from_json(const json::value& value, const std::string& path) {
  const json::object* object = value.if_object();
  if (!object) {
    return fail(Errc::invalid_value, "a lead is an object, found " + std::string(describe_type(value)), Location::at(path));
  }
  ErrorList errors;
  Lead lead;
  bool has_email = false;
  for (const auto& member : *object) {
    const std::string key(member.key());
    const std::string key_path = path_key(path, key);
    if (member.value().is_null()) continue;
    if (!member.value().is_string()) {
      errors.add(Error(Errc::invalid_value,
                       "lead fields are strings, found " + std::string(describe_type(member.value())),
                       Location::at(key_path)));
      continue;
    }
    std::string text(member.value().get_string());
    if (key == "email") {
      auto address = Address::parse(text);
      if (!address || !address->name.empty()) {
        errors.add(Error(Errc::invalid_value,
                         "not an email address" + (address ? std::string() : ": " + address.error().message()),
                         Location::at(key_path)));
        continue;
      }
      has_email = true;
      lead.email = std::move(address->email);
    } else if (key == "first_name") {
      lead.first_name = std::move(text);
    } else if (key == "last_name") {
      lead.last_name = std::move(text);
    } else if (key == "company") {
      lead.company = std::move(text);
    } else if (key == "title") {
      lead.title = std::move(text);
    } else if (key == "timezone") {
      lead.timezone = std::move(text);
    } else {
      lead.custom.emplace_back(key, std::move(text));
    }
  }
  if (!has_email && errors.empty()) errors.add(Error(Errc::invalid_value, "required", Location::at(path_key(path, "email"))));
  if (!errors.empty()) return fail(errors.combined());
  return lead;
}

}  // namespace outreach::detail
