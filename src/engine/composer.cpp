#include "engine/composer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>


namespace outreach::detail {

std::string unsubscribe_url(const CampaignState& c, const std::string& lead_key) {
  std::string url = c.def.unsubscribe.url;
  const std::size_t token = url.find("{{token}}");
  if (token != std::string::npos) {
    url.replace(token, 9, c.unsubscribe_key.token(c.def.name, lead_key));
  }
  return url;
}

tl::expected<ComposedStep, Unsendable> compose_step(const CampaignState& c, std::uint32_t lead, const Mailbox& mailbox,
                                                    std::string_view thread_domain, const DkimSigner* signer,
                                                    Instant now, bool build_message) {
  const int step_number = c.leads[lead].next_step;
  const Lead& person = c.def.leads[lead];
  StepContext context;
  context.campaign = c.def.name;
  context.seed = c.def.seed;
  context.sender = mailbox.from;
  context.date = std::chrono::floor<std::chrono::seconds>(now);
  context.build_message = build_message;
  if (!c.def.unsubscribe.url.empty()) context.unsubscribe_url = unsubscribe_url(c, c.leads.key_of(lead));
  context.unsubscribe_mailto = c.def.unsubscribe.mailto;
  // Opens and clicks, when the campaign tracks them: each token names this message (its send's
  // instant tells a fetch right after delivery from a person's).
  const TrackingSettings& tracking = c.def.tracking;
  if (!tracking.host.empty() && (tracking.opens || tracking.clicks)) {
    const std::string& lead_key = c.leads.key_of(lead);
    if (tracking.opens) {
      context.tracking.pixel_url = tracking.host + "/o/" + c.tracking_key.open_token(c.def.name, lead_key, step_number, now);
    }
    if (tracking.clicks) {
      context.tracking.link_url = [&c, &lead_key, step_number, now](std::string_view url) {
        return c.def.tracking.host + "/c/" + c.tracking_key.click_token(c.def.name, lead_key, step_number, now, url);
      };
    }
  }
  context.message_id_domain = thread_domain;
  // Under an A/B test, the step goes with the variant the test allows now, and a thread keeps
  // the subject of the variant its first message went with.
  if (c.ab_tests.on()) {
    context.variant_of = [&c, lead, step_number](int step, std::size_t seeded) {
      if (step < step_number) return c.ab_tests.chosen(lead, step).value_or(seeded);
      return c.ab_tests.variant_for(c.def.sequence, c.def.seed, c.leads.key_of(lead), step, seeded);
    };
  }
  const std::size_t opened_with = std::min<std::size_t>(c.leads[lead].thread_version, c.versions.size()) - 1;
  auto thread = rebuild_thread(c.def.sequence, c.versions[opened_with], step_number, person, context);
  auto rendered = thread ? (context.thread = std::move(*thread), render_step(c.def.sequence, step_number, person, context))
                         : expected<RenderedStep>(tl::unexpected<Error>(thread.error()));
  if (!rendered) {
    if (rendered.error().code() == Errc::missing_field) {
      return tl::unexpected(Unsendable{EventType::skipped, Cause::none, rendered.error().message()});
    }
    return tl::unexpected(Unsendable{EventType::failed, Cause::unbuildable,
                                     "cannot build the message: " + rendered.error().message()});
  }
  if (signer && build_message) {
    // Signed last, when nothing will change the message any more.
    auto signed_data = signer->sign(rendered->message.data);
    if (!signed_data) {
      return tl::unexpected(Unsendable{EventType::failed, Cause::unsignable,
                                       "cannot sign the message: " + signed_data.error().message()});
    }
    rendered->message.data = std::move(*signed_data);
  }
  ComposedStep composed{std::move(*rendered), {}};
  if (c.def.sequence.step(step_number).threading == Threading::reply) {
    composed.in_reply_to = context.thread.message_ids.back();
  }
  return composed;
}

}  // namespace outreach::detail
