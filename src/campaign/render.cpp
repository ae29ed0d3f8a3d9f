#include "outreach/render.hpp"

#include "util/ascii.hpp"

namespace outreach {

namespace {

// "Re: " + subject, without stacking prefixes when the thread's subject already is a reply.
std::string reply_subject(std::string_view thread_subject) {
  if (thread_subject.size() >= 3 && detail::iequals_ascii(thread_subject.substr(0, 3), "re:")) {
    return std::string(thread_subject);
  }
  return "Re: " + std::string(thread_subject);
}

// The To: display name from the lead's names. Line breaks and other control characters in a
// lead list become spaces here: the name is data, not a template, and must not fail the send.
std::string recipient_name(const Lead& lead) {
  std::string joined = lead.first_name;
  if (!lead.last_name.empty()) joined += (joined.empty() ? "" : " ") + lead.last_name;
  std::string name;
  name.reserve(joined.size());
  for (std::size_t i = 0; i < joined.size(); ++i) {
    const auto byte = static_cast<unsigned char>(joined[i]);
    const bool c0 = byte < 0x20 || byte == 0x7F;
    const bool c1 = byte == 0xC2 && i + 1 < joined.size() && static_cast<unsigned char>(joined[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(joined[i + 1]) <= 0x9F;  // U+0080..U+009F
    if (c1) ++i;
    name += (c0 || c1) ? ' ' : joined[i];
  }
  return std::string(detail::trim(name));
}

// The domain of the lead's Message-IDs: the thread's when given, else the sender's.
std::string_view message_id_domain(const StepContext& context) {
  return context.message_id_domain.empty() ? context.sender.domain() : std::string_view(context.message_id_domain);
}

// The variant a lead gets at a step: the seed's, unless the campaign chose another.
std::size_t chosen_variant(const Step& step, const StepContext& context, std::string_view lead_key, int step_number) {
  const std::size_t seeded = step.choose_variant(context.seed, lead_key, step_number);
  if (!context.variant_of) return seeded;
  const std::size_t chosen = context.variant_of(step_number, seeded);
  return chosen < step.variants.size() ? chosen : seeded;
}

}  // namespace

expected<RenderedStep> render_step(const Sequence& sequence, int step_number, const Lead& lead,
                                   const StepContext& context) {
  if (step_number < 1 || static_cast<std::size_t>(step_number) > sequence.steps().size()) {
    return fail(Errc::invalid_argument, "step " + std::to_string(step_number) + " does not exist; the sequence has " +
                                            std::to_string(sequence.steps().size()) + " steps");
  }
  const Step& step = sequence.step(step_number);
  const bool reply = step.threading == Threading::reply;
  if (reply && context.thread.message_ids.empty()) {
    return fail(Errc::invalid_argument, "step " + std::to_string(step_number) + " replies in a thread, but no thread was given");
  }

  RenderedStep rendered;
  rendered.step_number = step_number;
  const std::string lead_key = lead.key();
  rendered.variant = chosen_variant(step, context, lead_key, step_number);
  const Variant& variant = step.variants[rendered.variant];
  rendered.variant_name = variant.name;

  RenderContext fields;
  fields.lead = &lead;
  fields.sender_name = context.sender.name;
  fields.sender_email = context.sender.email;
  fields.unsubscribe_url = context.unsubscribe_url;

  MessageDraft draft;
  if (variant.subject) {
    fields.spin_key = spin_key(context.seed, lead_key, step_number, 0);
    auto subject = variant.subject->render(fields);
    if (!subject) return fail(subject.error());
    draft.subject = std::move(*subject);
  } else {
    draft.subject = reply_subject(context.thread.subject);
  }
  fields.spin_key = spin_key(context.seed, lead_key, step_number, 1);
  auto text = variant.text.render(fields);
  if (!text) return fail(text.error());
  draft.text = std::move(*text);
  if (variant.html) {
    auto html = variant.html->render(fields);
    if (!html) return fail(html.error());
    draft.html = context.tracking.active() ? add_tracking(*html, context.tracking, context.unsubscribe_url) : std::move(*html);
  }

  draft.from = context.sender;
  draft.to = Address{recipient_name(lead), lead.email};
  draft.message_id = make_message_id(context.campaign, lead_key, step_number, message_id_domain(context));
  draft.date = context.date;
  draft.list_unsubscribe_url = context.unsubscribe_url;
  draft.list_unsubscribe_mailto = context.unsubscribe_mailto;
  if (reply) {
    draft.in_reply_to = context.thread.message_ids.back();
    draft.references = context.thread.message_ids;
  }
  if (context.build_message) {
    auto message = compose(draft);
    if (!message) return fail(message.error());
    rendered.message = std::move(*message);
  } else {
    rendered.message.message_id = std::move(draft.message_id);
    rendered.message.envelope_from = draft.from.email;
    rendered.message.envelope_to = draft.to.email;
  }
  rendered.subject = std::move(draft.subject);
  if (reply) {
    rendered.thread = context.thread;
    rendered.thread.message_ids.push_back(rendered.message.message_id);
  } else {
    rendered.thread = ThreadContext{{rendered.message.message_id}, rendered.subject};
  }
  return rendered;
}

expected<ThreadContext> rebuild_thread(const Sequence& sequence, int step_number, const Lead& lead,
                                       const StepContext& context) {
  return rebuild_thread(sequence, sequence, step_number, lead, context);
}

expected<ThreadContext> rebuild_thread(const Sequence& sequence, const Sequence& opened_with, int step_number,
                                       const Lead& lead, const StepContext& context) {
  ThreadContext thread;
  if (step_number < 2 || static_cast<std::size_t>(step_number) > sequence.steps().size()) return thread;
  int first = step_number - 1;
  while (first > 1 && sequence.step(first).threading == Threading::reply) --first;
  const std::string lead_key = lead.key();
  const std::string_view domain = message_id_domain(context);
  for (int number = first; number < step_number; ++number) {
    thread.message_ids.push_back(make_message_id(context.campaign, lead_key, number, domain));
  }
  const Step& opening = static_cast<std::size_t>(first) <= opened_with.steps().size() ? opened_with.step(first)
                                                                                     : sequence.step(first);
  const Variant& variant = opening.variants[chosen_variant(opening, context, lead_key, first)];
  if (variant.subject) {
    RenderContext fields;
    fields.lead = &lead;
    fields.sender_name = context.sender.name;
    fields.sender_email = context.sender.email;
    fields.unsubscribe_url = context.unsubscribe_url;
    fields.spin_key = spin_key(context.seed, lead_key, first, 0);
    auto subject = variant.subject->render(fields);
    if (!subject) return fail(subject.error());
    thread.subject = std::move(*subject);
  }
  return thread;
}

}  // namespace outreach
