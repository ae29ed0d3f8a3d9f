#include "store/request_body.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <utility>

#include "util/ascii.hpp"

namespace outreach::detail {

bool request_names_address(std::string& body, std::string_view folded, bool take_out) {
  boost::system::error_code error;
  boost::json::value parsed = boost::json::parse(body, error);
  if (error || !parsed.is_object()) return false;
  const auto is_address = [&](const boost::json::value* text) {
    return text && text->is_string() &&
           detail::iequals_ascii(std::string_view(text->as_string().data(), text->as_string().size()), folded);
  };
  bool named = false;
  for (const auto& [key, of_entry] : {std::pair<std::string_view, bool>{"addresses", false}, {"leads", true}}) {
    boost::json::value* list = parsed.as_object().if_contains(key);
    if (!list || !list->is_array()) continue;
    boost::json::array& entries = list->as_array();
    const auto it = std::remove_if(entries.begin(), entries.end(), [&](const boost::json::value& entry) {
      if (!of_entry) return is_address(&entry);
      return entry.is_object() && is_address(entry.as_object().if_contains("email"));
    });
    if (it == entries.end()) continue;
    named = true;
    entries.erase(it, entries.end());
  }
  if (named && take_out) body = boost::json::serialize(parsed);
  return named;
}

std::string request_campaign(std::string_view body) {
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(body, error);
  if (error || !parsed.is_object()) return {};
  const boost::json::value* campaign = parsed.as_object().if_contains("campaign");
  if (!campaign || !campaign->is_string()) return {};
  return std::string(campaign->as_string().data(), campaign->as_string().size());
}

}  // namespace outreach::detail
