// HTML escaping of inserted values: safe in element content and in quoted attribute values.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// The entity for one of the five characters HTML escapes (& < > " '), or an empty view.
[[nodiscard]] constexpr std::string_view html_entity(char c) noexcept {
  switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return {};
  }
}

/// Appends `text` to `out` with & < > " ' replaced by entities. Copies runs without special
/// characters whole, so a value with nothing to escape is a single append.
inline void append_html_escaped(std::string& out, std::string_view text) {
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::string_view entity = html_entity(text[i]);
    if (entity.empty()) continue;
    out.append(text.data() + run_start, i - run_start);
    out.append(entity);
    run_start = i + 1;
  }
  out.append(text.data() + run_start, text.size() - run_start);
}

}  // namespace outreach::detail
