// Edited steps of a started campaign: what changes from one version of its sequence to the
// next, for people, and what may not change once a step has been sent. Steps are known by their
// position: step 3 stays step 3 (its Message-IDs, its counts), whatever its text becomes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "outreach/sequence.hpp"

namespace outreach::detail {

/// Each step that differs, one line each: `step 3: reworded (variant A: text)`,
/// `step 2: delay 3 days -> 5 days`, `step 4: added`, `step 4: removed`.
[[nodiscard]] std::vector<std::string> describe_step_changes(const Sequence& before, const Sequence& after);

/// Why `after` cannot follow `versions` (oldest first): a step some lead has been sent
/// (`sent(step)`) keeps the thread and the variants' names and weights it was sent with (in the
/// latest version that has it, a step removed and added again included), which decided the
/// threads and the A/B split of the leads that got it. Empty when it can.
[[nodiscard]] std::vector<std::string> step_edit_refusals(const std::vector<Sequence>& versions, const Sequence& after,
                                                          const std::function<bool(int step)>& sent);

/// A delay for people: `3 days`, `2 business days`, `1 day 4 hours`, `none`.
[[nodiscard]] std::string describe_delay(const Delay& delay);

}  // namespace outreach::detail
