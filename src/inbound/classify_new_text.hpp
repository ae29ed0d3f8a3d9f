// The new text of a reply: what the person wrote above the history their mail program quoted.
#pragma once

#include <string_view>

namespace outreach::detail {

/// The part of a folded text (see `fold_text`) before the first sign of quoted history or of a
/// signature: a line starting with `>`; an attribution line ("on ... wrote:", "am ... schrieb ...:",
/// "le ... a écrit :", "el ... escribió:", ...); a separator ("-----original message-----" and
/// its translations, a line of underscores, "---------- forwarded message"); the head of a
/// quoted message in Outlook's style (a "from:" line followed by "sent:", "date:" or "to:", in
/// several languages); the signature separator `-- `; a "sent from my ..." line.
/// @param text A folded text.
/// @return A prefix of `text`, white space at its end removed.
[[nodiscard]] std::string_view new_text_of(std::string_view text) noexcept;

}  // namespace outreach::detail
