// What arrives in an HTTP request, read without trusting it: the request target's path and
// query, form bodies in both encodings browsers and mail providers send
// (application/x-www-form-urlencoded and multipart/form-data), and the one-click unsubscribe
// of RFC 8058 they carry. Every reader is bounded by its input and says no to what it cannot read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outreach::detail {

/// Named values, in their order (a name may repeat).
using FormFields = std::vector<std::pair<std::string, std::string>>;

/// The first value of `name`, if any.
[[nodiscard]] const std::string* form_value(const FormFields& fields, std::string_view name);

/// `%XX` escapes decoded (and `+` as a space when `plus_is_space`, as in forms); nothing for a
/// `%` not followed by two hex digits, or a decoded NUL.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// A request target in origin form (`/path?query`): the path decoded, the query as fields.
struct RequestTarget {
  std::string path;   ///< Decoded; `/`-separated segments.
  FormFields query;   ///< Decoded.
};

/// Reads an origin-form target; nothing unless it starts with `/` and decodes cleanly.
[[nodiscard]] std::optional<RequestTarget> parse_target(std::string_view target);

/// The fields of an application/x-www-form-urlencoded body; names and values have blanks
/// around them trimmed (mail providers differ). Nothing when an escape is malformed.
[[nodiscard]] std::optional<FormFields> parse_urlencoded(std::string_view body);

/// The fields of a multipart/form-data body whose Content-Type (with its `boundary`) is
/// `content_type`; nothing when it is malformed. Values are trimmed of blanks as above.
[[nodiscard]] std::optional<FormFields> parse_multipart(std::string_view content_type, std::string_view body);

/// Whether a POST is the one-click unsubscribe of RFC 8058: `List-Unsubscribe=One-Click` in a
/// body of either form encoding (a body without a Content-Type is read as urlencoded).
[[nodiscard]] bool is_one_click_post(std::string_view content_type, std::string_view body);

}  // namespace outreach::detail
