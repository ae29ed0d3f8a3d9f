// Rendering speed: personalized subject + text pairs, and complete MIME messages, against plain
// copies of a 1 KiB buffer measured in the same run (the ratio is what to compare across
// machines). Single-threaded.
//
//   bench_render [--count N]   (default 1,000,000 of each)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/render.hpp"
#include "outreach/sequence.hpp"
#include "outreach/template.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Keeps the optimizer from dropping work whose result is otherwise unused.
template <class T>
void keep(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

const char* const subject_source = "{Quick|Short} question about {{company}}";
const char* const text_source =
    "Hi {{first_name | \"there\"}},\n\n"
    "{Saw|Noticed|Read} that {{company}} is {growing its sales team|hiring account executives|opening a new office}. "
    "Most {{title | \"founders\"}} we talk to lose hours every week stitching outreach together by hand: "
    "spreadsheets of leads, a mail merge, reminders for follow-ups, and a shared inbox nobody owns.\n\n"
    "Acme runs your cold email from inside your own product. Sequences, schedules and follow-ups live next to "
    "your CRM data, replies and bounces are handled for you, and there is no extra seat to pay for. Teams like "
    "{{company}} usually {start|get going} with one mailbox and a three-step sequence, and see their first "
    "replies within a week.\n\n"
    "{Would|Could} a 15-minute call next {Tuesday|Wednesday|Thursday} be useful? If you are not the right "
    "person at {{company}}, a pointer to whoever owns outbound would be much appreciated.\n\n"
    "Best,\n{{sender.name}}\nAcme | {{sender.email}}\n\n"
    "P.S. {If now is not a good time|If outbound is not a priority this quarter}, just say so and I will not "
    "follow up again.";

std::vector<outreach::Lead> make_leads(std::size_t count) {
  static constexpr const char* companies[] = {"Brightloop", "Kestrel Labs", "Northwind", "Umbra", "Quillpad"};
  static constexpr const char* names[] = {"Maria", "Kenji", "", "Amelia", "Noah", "Zoë"};
  std::vector<outreach::Lead> leads(count);
  for (std::size_t i = 0; i < count; ++i) {
    leads[i].email = "lead" + std::to_string(i) + "@example.com";
    leads[i].first_name = names[i % std::size(names)];  // some are empty: the fallback is used
    leads[i].company = companies[i % std::size(companies)];
    if (i % 3 == 0) leads[i].title = "CEO";
  }
  return leads;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const char* what, std::size_t count, double seconds, double baseline_per_second, std::size_t bytes) {
  const double per_second = static_cast<double>(count) / seconds;
  std::printf("%-44s %12.0f /s  %7.1f ns each  %6zu bytes  ratio to 1 KiB copy %.4f\n", what, per_second,
              seconds * 1e9 / static_cast<double>(count), bytes, per_second / baseline_per_second);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 1000000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--count") count = std::stoul(argv[i + 1]);
  }

  auto subject = outreach::Template::compile(subject_source);
  auto text = outreach::Template::compile(text_source);
  outreach::SequenceBuilder builder;
  builder.add_step({.delay = {}, .threading = std::nullopt,
                    .variants = {{.name = "", .weight = 1, .subject = subject_source, .text = text_source, .html = std::nullopt}}});
  auto sequence = builder.build();
  if (!subject || !text || !sequence) {
    std::fprintf(stderr, "bench_render: the benchmark's templates do not compile\n");
    return 1;
  }
  const std::vector<outreach::Lead> leads = make_leads(1000);
  const auto sender = outreach::Address::parse("Alice Doe <alice@acme.example>");
  if (!sender) return 1;

  // Baseline: plain copies of a 1 KiB buffer.
  const std::string source(1024, 'x');
  std::string copy;
  copy.reserve(source.size());
  auto start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    copy.assign(source.data(), source.size());
    keep(copy.data());
  }
  const double copy_seconds = seconds_since(start);
  const double copies_per_second = static_cast<double>(count) / copy_seconds;

  // Subject + text for a lead: what a campaign does for every send.
  std::string subject_out;
  std::string text_out;
  std::size_t rendered_bytes = 0;
  start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    const outreach::Lead& lead = leads[i % leads.size()];
    outreach::RenderContext context;
    context.lead = &lead;
    context.sender_name = sender->name;
    context.sender_email = sender->email;
    context.spin_key = i;
    subject_out.clear();
    text_out.clear();
    if (!subject->render_to(subject_out, context) || !text->render_to(text_out, context)) return 1;
    keep(subject_out.data());
    keep(text_out.data());
    rendered_bytes = subject_out.size() + text_out.size();
  }
  const double render_seconds = seconds_since(start);

  // Complete messages: variant choice, rendering, Message-ID, headers, quoted-printable body.
  outreach::StepContext step_context;
  step_context.campaign = "bench";
  step_context.seed = 42;
  step_context.sender = *sender;
  step_context.date = std::chrono::sys_seconds{std::chrono::seconds{1796134992}};
  std::size_t message_bytes = 0;
  start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    auto rendered = outreach::render_step(*sequence, 1, leads[i % leads.size()], step_context);
    if (!rendered) return 1;
    keep(rendered->message.data.data());
    message_bytes = rendered->message.data.size();
  }
  const double message_seconds = seconds_since(start);

  std::printf("outreach rendering benchmark, %zu of each, one core\n", count);
  report("plain copies of a 1 KiB buffer (baseline)", count, copy_seconds, copies_per_second, source.size());
  report("template renders (subject + text)", count, render_seconds, copies_per_second, rendered_bytes);
  report("complete MIME messages (render_step)", count, message_seconds, copies_per_second, message_bytes);
  return 0;
}
