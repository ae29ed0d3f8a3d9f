// The shell of every page the project serves or writes: the report's and those of `outreach
// serve` (unsubscribe, not found), with the one stylesheet the Content-Security-Policy allows.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// Appends the document's start up to `<body>`: charset, viewport, noindex, the title (escaped)
/// and the stylesheet.
void begin_html_page(std::string& out, std::string_view title);

/// Appends the document's end.
inline void end_html_page(std::string& out) { out += "</body></html>\n"; }

}  // namespace outreach::detail
