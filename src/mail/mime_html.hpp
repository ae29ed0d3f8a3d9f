// The text of an HTML body, for reading and classifying received mail, not for display.
#pragma once

#include <string>
#include <string_view>

namespace outreach::detail {

/// The text `html` shows: tags, comments and the contents of `script`, `style` and `title`
/// dropped; white space collapsed as a browser does (kept inside `pre`); `br` and block elements
/// (`p`, `div`, `li`, `tr`, headings ...) as line breaks, paragraphs and headings followed by an
/// empty line; named entities in common use and all numeric ones decoded (`&nbsp;` as a space,
/// invalid code points as U+FFFD). Linear in the input; valid UTF-8 when `html` is.
[[nodiscard]] std::string html_to_text(std::string_view html);

}  // namespace outreach::detail
