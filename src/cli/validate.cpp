// outreach validate: checks a sequence or a campaign file and prints a summary.

#include <algorithm>
#include <iostream>

#include "cli/cli.hpp"
#include "util/json_reader.hpp"
#include "outreach/campaign.hpp"
#include "outreach/sequence.hpp"

namespace outreach::cli {

namespace {

std::string describe_delay(const Delay& delay) {
  if (delay.in_business_days()) {
    return std::to_string(delay.business_days) + (delay.business_days == 1 ? " business day" : " business days") +
           " later";
  }
  if (delay.none()) return "right away";
  std::string out;
  const auto add = [&](std::int64_t count, std::string_view unit) {
    if (count == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(count) + " " + std::string(unit) + (count == 1 ? "" : "s");
  };
  add(delay.days, "day");
  add(delay.hours, "hour");
  add(delay.minutes, "minute");
  return out + " later";
}

int validate_sequence(const std::string& path) {
  auto sequence = Sequence::load(path);
  if (!sequence) {
    print_errors(sequence.error());
    return exit_code_for(sequence.error());
  }
  std::cout << path << ": a valid sequence";
  if (!sequence->name().empty()) std::cout << " \"" << sequence->name() << "\"";
  std::cout << "\n  fingerprint " << sequence->fingerprint() << "\n";
  int number = 0;
  for (const Step& step : sequence->steps()) {
    ++number;
    std::cout << "  step " << number << ": "
              << (step.threading == Threading::reply ? "reply in the thread" : "new thread") << ", "
              << describe_delay(step.delay) << "; variants";
    std::vector<std::string> fields;
    for (const Variant& variant : step.variants) {
      std::cout << (&variant == &step.variants.front() ? " " : ", ") << variant.name << " (weight "
                << variant.weight << ")";
      for (const Template* part : {variant.subject ? &*variant.subject : nullptr, &variant.text,
                                   variant.html ? &*variant.html : nullptr}) {
        if (!part) continue;
        for (std::string& field : part->fields()) {
          if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(std::move(field));
        }
      }
    }
    std::cout << "; fields:";
    for (std::size_t i = 0; i < fields.size(); ++i) std::cout << (i == 0 ? " " : ", ") << fields[i];
    std::cout << "\n";
  }
  return exit_ok;
}

int validate_campaign(const std::string& path) {
  auto campaign = CampaignDefinition::load(path);
  if (!campaign) {
    print_errors(campaign.error());
    return exit_code_for(campaign.error());
  }
  for (const Error& problem : campaign->lead_problems) std::cerr << "outreach: " << problem.to_string() << "\n";
  std::cout << path << ": a valid campaign \"" << campaign->name << "\"\n"
            << "  sequence " << (campaign->sequence.name().empty() ? "(unnamed)" : campaign->sequence.name()) << ", "
            << campaign->sequence.steps().size() << " steps, fingerprint " << campaign->sequence.fingerprint() << "\n"
            << "  leads " << campaign->leads.size();
  if (!campaign->lead_problems.empty()) std::cout << " (" << campaign->lead_problems.size() << " rows left out or changed)";
  std::cout << "\n  mailboxes";
  for (const Mailbox& mailbox : campaign->mailboxes) {
    std::cout << (&mailbox == &campaign->mailboxes.front() ? " " : ", ") << mailbox.id << " (" << mailbox.daily_limit
              << " a day" << (mailbox.ramp ? ", warm-up" : "") << ")";
  }
  std::cout << "\n  schedule in " << campaign->schedule.timezone.name()
            << (campaign->schedule.lead_timezone ? ", in each lead's zone when known" : "") << "\n";
  return exit_ok;
}

}  // namespace

int validate(const Arguments& arguments) {
  if (arguments.positional.size() != 1) {
    std::cerr << usage;
    return exit_bad_input;
  }
  const std::string& path = arguments.positional[0];
  auto document = detail::load_json_file(path);
  if (!document) {
    print_errors(document.error());
    return exit_code_for(document.error());
  }
  if (document->is_object() && document->as_object().contains("steps")) return validate_sequence(path);
  return validate_campaign(path);
}

}  // namespace outreach::cli
