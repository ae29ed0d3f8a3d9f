#include "engine/step_edit.hpp"

#include <algorithm>

namespace outreach::detail {

namespace {

std::string counted(std::int64_t count, const char* unit) {
  return std::to_string(count) + " " + unit + (count == 1 ? "" : "s");
}

std::string_view threading_name(Threading threading) { return threading == Threading::reply ? "reply" : "new"; }

// The parts of each variant whose text changed: `variant A: subject, text`.
std::vector<std::string> reworded_parts(const Step& before, const Step& after) {
  std::vector<std::string> parts;
  const std::size_t common = std::min(before.variants.size(), after.variants.size());
  for (std::size_t i = 0; i < common; ++i) {
    const Variant& old_variant = before.variants[i];
    const Variant& new_variant = after.variants[i];
    std::string changed;
    const auto note = [&](bool differs, const char* part) {
      if (differs) changed += (changed.empty() ? "" : ", ") + std::string(part);
    };
    note(old_variant.subject != new_variant.subject, "subject");
    note(old_variant.text != new_variant.text, "text");
    note(old_variant.html != new_variant.html, "html");
    if (!changed.empty()) parts.push_back("variant " + new_variant.name + ": " + changed);
  }
  return parts;
}

bool same_split(const Step& before, const Step& after) {
  return std::equal(before.variants.begin(), before.variants.end(), after.variants.begin(), after.variants.end(),
                    [](const Variant& a, const Variant& b) { return a.name == b.name && a.weight == b.weight; });
}

}  // namespace

std::string describe_delay(const Delay& delay) {
  if (delay.in_business_days()) return counted(delay.business_days, "business day");
  if (delay.none()) return "none";
  std::string text;
  for (const auto& [count, unit] : {std::pair{delay.days, "day"}, {delay.hours, "hour"}, {delay.minutes, "minute"}}) {
    if (count > 0) text += (text.empty() ? "" : " ") + counted(count, unit);
  }
  return text;
}

std::vector<std::string> describe_step_changes(const Sequence& before, const Sequence& after) {
  std::vector<std::string> lines;
  const std::size_t steps = std::max(before.steps().size(), after.steps().size());
  for (std::size_t i = 0; i < steps; ++i) {
    const std::string step = "step " + std::to_string(i + 1) + ": ";
    if (i >= before.steps().size()) {
      lines.push_back(step + "added");
      continue;
    }
    if (i >= after.steps().size()) {
      lines.push_back(step + "removed");
      continue;
    }
    const Step& old_step = before.steps()[i];
    const Step& new_step = after.steps()[i];
    if (old_step.delay != new_step.delay) {
      lines.push_back(step + "delay " + describe_delay(old_step.delay) + " -> " + describe_delay(new_step.delay));
    }
    if (old_step.threading != new_step.threading) {
      lines.push_back(step + "thread " + std::string(threading_name(old_step.threading)) + " -> " +
                      std::string(threading_name(new_step.threading)));
    }
    if (!same_split(old_step, new_step)) lines.push_back(step + "variants changed (names, weights or number)");
    const std::vector<std::string> parts = reworded_parts(old_step, new_step);
    if (!parts.empty()) {
      std::string line = step + "reworded (";
      for (std::size_t p = 0; p < parts.size(); ++p) line += (p ? "; " : "") + parts[p];
      lines.push_back(line + ")");
    }
  }
  return lines;
}

std::vector<std::string> step_edit_refusals(const std::vector<Sequence>& versions, const Sequence& after,
                                            const std::function<bool(int step)>& sent) {
  std::vector<std::string> refusals;
  for (std::size_t i = 0; i < after.steps().size(); ++i) {
    const auto had = std::find_if(versions.rbegin(), versions.rend(),
                                  [&](const Sequence& version) { return i < version.steps().size(); });
    if (had == versions.rend()) continue;  // a step no version had: nobody got it
    const Step& old_step = had->steps()[i];
    const Step& new_step = after.steps()[i];
    if ((old_step.threading == new_step.threading && same_split(old_step, new_step)) || !sent(static_cast<int>(i + 1))) {
      continue;
    }
    refusals.push_back("step " + std::to_string(i + 1) +
                       " has been sent: its thread and its variants' names and weights stay as they are (they "
                       "decided the threads and the A/B split of the leads that got it); its texts and delay may "
                       "change");
  }
  return refusals;
}

}  // namespace outreach::detail
