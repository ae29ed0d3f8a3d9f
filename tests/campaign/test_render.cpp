#include <doctest/doctest.h>

#include <string>

#include "outreach/render.hpp"

using outreach::Errc;
using outreach::Lead;
using outreach::Sequence;
using outreach::StepContext;

namespace {

Sequence threaded_sequence() {
  auto sequence = Sequence::from_json(R"({"name":"t","steps":[
    {"variants":[{"subject":"Hello {{company}}","text":"Hi {{first_name | \"there\"}}"}]},
    {"delay":{"days":2},"variants":[{"text":"Following up, {{first_name | \"friend\"}}"}]},
    {"delay":{"days":2},"variants":[{"subject":"Re: custom","text":"Third"}]},
    {"delay":{"days":2},"thread":"new","variants":[{"subject":"Closing","text":"Bye","html":"<p>{{company}}</p>"}]},
    {"delay":{"days":2},"variants":[{"text":"P.S."}]}]})");
  REQUIRE(sequence);
  return *sequence;
}

StepContext context_for(std::string campaign = "c1") {
  StepContext context;
  context.campaign = std::move(campaign);
  context.seed = 7;
  context.sender = *outreach::Address::parse("Alice <alice@acme.example>");
  context.date = std::chrono::sys_seconds{std::chrono::seconds{1796134992}};
  return context;
}

// Joins folded header lines, as a reader would.
std::string unfolded(std::string data) {
  for (std::size_t at = data.find("\r\n "); at != std::string::npos; at = data.find("\r\n ", at)) data.erase(at, 2);
  return data;
}

Lead lead() {
  Lead l;
  l.email = "Bob@Example.com";
  l.first_name = "Bob";
  l.company = "Kestrel & Sons";
  return l;
}

}  // namespace

TEST_CASE("a reply step answers the previous message and takes a Re: subject") {
  const Sequence sequence = threaded_sequence();
  StepContext context = context_for();
  auto first = outreach::render_step(sequence, 1, lead(), context);
  REQUIRE(first);
  CHECK(first->subject == "Hello Kestrel & Sons");
  CHECK(first->thread.message_ids == std::vector<std::string>{first->message.message_id});
  context.thread = first->thread;
  auto second = outreach::render_step(sequence, 2, lead(), context);
  REQUIRE(second);
  CHECK(second->subject == "Re: Hello Kestrel & Sons");
  CHECK(second->message.data.find("In-Reply-To: " + first->message.message_id + "\r\n") != std::string::npos);
  CHECK(second->thread.message_ids.size() == 2);
  context.thread = second->thread;
  auto third = outreach::render_step(sequence, 3, lead(), context);
  REQUIRE(third);
  CHECK(third->subject == "Re: custom");  // the variant's own subject wins
  CHECK(unfolded(third->message.data).find("References: " + first->message.message_id) != std::string::npos);
  context.thread = third->thread;
  auto fourth = outreach::render_step(sequence, 4, lead(), context);
  REQUIRE(fourth);
  CHECK(fourth->message.data.find("In-Reply-To:") == std::string::npos);
  CHECK(fourth->thread.message_ids.size() == 1);
  context.thread = fourth->thread;
  auto fifth = outreach::render_step(sequence, 5, lead(), context);
  REQUIRE(fifth);
  CHECK(fifth->subject == "Re: Closing");
}

TEST_CASE("a Re: subject is not stacked on a subject that already is a reply") {
  auto sequence = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"RE: earlier","text":"a"}]},{"variants":[{"text":"b"}]}]})");
  REQUIRE(sequence);
  StepContext context = context_for();
  auto first = outreach::render_step(*sequence, 1, lead(), context);
  REQUIRE(first);
  context.thread = first->thread;
  auto second = outreach::render_step(*sequence, 2, lead(), context);
  REQUIRE(second);
  CHECK(second->subject == "RE: earlier");
}

TEST_CASE("message ids are deterministic per campaign, lead and step") {
  const Sequence sequence = threaded_sequence();
  auto a = outreach::render_step(sequence, 1, lead(), context_for("c1"));
  auto b = outreach::render_step(sequence, 1, lead(), context_for("c1"));
  auto other_campaign = outreach::render_step(sequence, 1, lead(), context_for("c2"));
  Lead same_lead_other_case = lead();
  same_lead_other_case.email = "bob@example.COM";
  auto c = outreach::render_step(sequence, 1, same_lead_other_case, context_for("c1"));
  REQUIRE((a && b && c && other_campaign));
  CHECK(a->message.message_id == b->message.message_id);
  CHECK(a->message.data == b->message.data);
  CHECK(a->message.message_id == c->message.message_id);
  CHECK(a->message.message_id != other_campaign->message.message_id);
  CHECK(a->message.message_id.ends_with("@acme.example>"));
}

TEST_CASE("a missing field without a fallback fails the step with missing_field:NAME") {
  const Sequence sequence = threaded_sequence();
  Lead no_company = lead();
  no_company.company.clear();
  auto rendered = outreach::render_step(sequence, 1, no_company, context_for());
  REQUIRE_FALSE(rendered);
  CHECK(rendered.error().code() == Errc::missing_field);
  CHECK(rendered.error().message() == "missing_field:company");
}

TEST_CASE("html bodies escape lead values and make a multipart/alternative message") {
  const Sequence sequence = threaded_sequence();
  auto rendered = outreach::render_step(sequence, 4, lead(), context_for());
  REQUIRE(rendered);
  CHECK(rendered->message.data.find("multipart/alternative") != std::string::npos);
  CHECK(rendered->message.data.find("Kestrel &amp; Sons") != std::string::npos);
}

TEST_CASE("steps out of range and replies without a thread are refused") {
  const Sequence sequence = threaded_sequence();
  CHECK(outreach::render_step(sequence, 0, lead(), context_for()).error().code() == Errc::invalid_argument);
  CHECK(outreach::render_step(sequence, 6, lead(), context_for()).error().code() == Errc::invalid_argument);
  CHECK(outreach::render_step(sequence, 2, lead(), context_for()).error().code() == Errc::invalid_argument);
}

TEST_CASE("unsubscribe headers appear only when the campaign has an unsubscribe address") {
  const Sequence sequence = threaded_sequence();
  auto without = outreach::render_step(sequence, 1, lead(), context_for());
  REQUIRE(without);
  CHECK(without->message.data.find("List-Unsubscribe") == std::string::npos);
  StepContext context = context_for();
  context.unsubscribe_url = "https://acme.example/u/abc";
  context.unsubscribe_mailto = "unsubscribe@acme.example";
  auto with = outreach::render_step(sequence, 1, lead(), context);
  REQUIRE(with);
  CHECK(unfolded(with->message.data).find("List-Unsubscribe: <https://acme.example/u/abc>, <mailto:unsubscribe@acme.example>") !=
        std::string::npos);
  CHECK(with->message.data.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n") != std::string::npos);
}

TEST_CASE("control characters in a lead's names become spaces in To, never a new header") {
  const Sequence sequence = threaded_sequence();
  Lead hostile = lead();
  hostile.first_name = "Eve\r\nBcc: all@example.com";
  hostile.last_name = "Next\xC2\x85Line";
  auto rendered = outreach::render_step(sequence, 1, hostile, context_for());
  REQUIRE(rendered);
  const std::string& data = rendered->message.data;
  const std::string headers = data.substr(0, data.find("\r\n\r\n"));
  CHECK(headers.find("\r\nBcc:") == std::string::npos);
  CHECK(headers.find("To: \"Eve  Bcc: all@example.com Next Line\" <Bob@example.com>") != std::string::npos);
}

TEST_CASE("the thread of a step is rebuilt exactly as the earlier steps made it") {
  const Sequence sequence = threaded_sequence();
  StepContext context = context_for();
  for (int step = 1; step <= 5; ++step) {
    auto rebuilt = outreach::rebuild_thread(sequence, step, lead(), context);
    REQUIRE(rebuilt);
    CHECK(*rebuilt == context.thread);
    auto rendered = outreach::render_step(sequence, step, lead(), context);
    REQUIRE(rendered);
    context.thread = rendered->thread;
  }
}

TEST_CASE("a dry render gives the id and envelope without building the message") {
  const Sequence sequence = threaded_sequence();
  StepContext context = context_for();
  context.build_message = false;
  auto dry = outreach::render_step(sequence, 1, lead(), context);
  context.build_message = true;
  auto full = outreach::render_step(sequence, 1, lead(), context);
  REQUIRE((dry && full));
  CHECK(dry->message.data.empty());
  CHECK(dry->message.message_id == full->message.message_id);
  CHECK(dry->subject == full->subject);
  CHECK_FALSE(dry->message.envelope_to.empty());
}
