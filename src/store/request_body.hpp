// What the stores share about a request's JSON body: the addresses it names, for `forget`, and
// the campaign it is for.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// Whether a request's JSON body names the address (lower case, compared without regard to
/// case) in its `addresses` or as the `email` of one of its `leads`; with `take_out`, the body
/// loses it (written again, compact, its keys in their order). A body that is not a JSON object
/// names nobody.
[[nodiscard]] bool request_names_address(std::string& body, std::string_view folded, bool take_out);

/// The campaign a request's JSON body names (its `campaign`), or empty: none, or not JSON.
[[nodiscard]] std::string request_campaign(std::string_view body);

}  // namespace outreach::detail
