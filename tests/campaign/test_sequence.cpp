#include <doctest/doctest.h>

#include <array>
#include <string>

#include "outreach/sequence.hpp"

using outreach::Errc;
using outreach::Sequence;
using outreach::Threading;

namespace {

const char* const three_steps = R"({
  "name": "saas-founders-3-step",
  "steps": [
    { "variants": [
        { "name": "A", "weight": 1, "subject": "{Quick|Short} question about {{company}}",
          "text": "Hi {{first_name | \"there\"}},\n\nSaw that {{company}} ...\n\n{{sender.name}}" },
        { "name": "B", "weight": 3, "subject": "{{company}} + Acme?",
          "text": "Hey {{first_name | \"there\"}}, ...",
          "html": "<p>Hey {{first_name | \"there\"}}, ...</p>" } ] },
    { "delay": {"days": 3}, "thread": "reply",
      "variants": [ { "text": "Hi {{first_name | \"there\"}}, bumping this up ..." } ] },
    { "delay": {"business_days": 4}, "thread": "new",
      "variants": [ { "subject": "Closing the loop", "text": "..." } ] }
  ]
})";

// The errors of a failed load, first and others, as "path: message" lines.
std::vector<std::string> error_lines(const outreach::Error& error) {
  std::vector<std::string> lines{error.to_string()};
  for (const auto& other : error.others()) lines.push_back(other.to_string());
  return lines;
}

bool mentions(const outreach::Error& error, std::string_view path, std::string_view words) {
  for (const auto& line : error_lines(error)) {
    if (line.find(path) != std::string::npos && line.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string dump(const outreach::Error& error) {
  std::string out;
  for (const auto& line : error_lines(error)) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("a sequence loads from JSON with its steps, delays, threading and variants") {
  auto sequence = Sequence::from_json(three_steps);
  REQUIRE_MESSAGE(sequence.has_value(), dump(sequence.error()));
  CHECK(sequence->name() == "saas-founders-3-step");
  REQUIRE(sequence->steps().size() == 3);
  const auto& first = sequence->step(1);
  CHECK(first.threading == Threading::new_thread);
  CHECK(first.delay.none());
  REQUIRE(first.variants.size() == 2);
  CHECK(first.variants[1].weight == 3);
  CHECK(first.variants[1].html.has_value());
  const auto& second = sequence->step(2);
  CHECK(second.threading == Threading::reply);
  CHECK(second.delay.duration() == std::chrono::days(3));
  CHECK_FALSE(second.variants[0].subject.has_value());
  CHECK(second.variants[0].name == "A");
  const auto& third = sequence->step(3);
  CHECK(third.delay.in_business_days());
  CHECK(third.delay.business_days == 4);
  CHECK(third.threading == Threading::new_thread);
}

TEST_CASE("a saved sequence loads back equal, with the same fingerprint") {
  auto sequence = Sequence::from_json(three_steps);
  REQUIRE(sequence);
  const std::string saved = sequence->to_json();
  auto again = Sequence::from_json(saved);
  REQUIRE_MESSAGE(again.has_value(), dump(again.error()));
  CHECK(*again == *sequence);
  CHECK(again->fingerprint() == sequence->fingerprint());
  CHECK(again->steps() == sequence->steps());
  CHECK(again->to_json() == saved);
}

TEST_CASE("the fingerprint is stable across runs and machines and follows the content") {
  auto sequence = Sequence::from_json(three_steps);
  REQUIRE(sequence);
  CHECK(sequence->fingerprint().size() == 64);
  auto same_content_other_spelling = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"s","text":"t"}]},
      {"delay":{"hours":72},"variants":[{"text":"u"}]}]})");
  auto spelt_in_days = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"s","text":"t","weight":1,"name":"A"}]},
      {"delay":{"days":3},"thread":"reply","variants":[{"text":"u"}]}]})");
  REQUIRE(same_content_other_spelling);
  REQUIRE(spelt_in_days);
  CHECK(same_content_other_spelling->fingerprint() == spelt_in_days->fingerprint());
  auto changed = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"s","text":"t!"}]},
      {"delay":{"days":3},"variants":[{"text":"u"}]}]})");
  REQUIRE(changed);
  CHECK(changed->fingerprint() != spelt_in_days->fingerprint());
}

TEST_CASE("the fingerprint of a known sequence is pinned") {
  auto sequence = Sequence::from_json(R"({"name":"pin","steps":[{"variants":[{"subject":"Hello {{first_name}}","text":"Hi"}]}]})");
  REQUIRE(sequence);
  // Pinned: a change here changes every stored campaign's pin; never update it lightly.
  // sha256 of ["outreach-sequence-1","pin",[[0,0,"new",[["A",1,"Hello {{first_name}}","Hi",null]]]]]
  CHECK(sequence->fingerprint() == "cff9332eed55ab57604f9fa9c8aa8c897fc4c336b27e7d14ee07a3ee1b793ed6");
}

TEST_CASE("copies of a sequence share their data") {
  auto sequence = Sequence::from_json(three_steps);
  REQUIRE(sequence);
  const Sequence copy = *sequence;  // NOLINT(performance-unnecessary-copy-initialization)
  CHECK(&copy.steps() == &sequence->steps());
}

TEST_CASE("the builder makes the same sequence as JSON") {
  outreach::SequenceBuilder builder;
  builder.name("built");
  builder.add_step({.delay = {}, .threading = std::nullopt,
                    .variants = {{.name = "", .weight = 1, .subject = "Hi {{company}}", .text = "Body", .html = std::nullopt}}});
  outreach::StepSpec follow_up;
  follow_up.delay.days = 2;
  follow_up.variants.push_back({.name = "", .weight = 1, .subject = std::nullopt, .text = "Again", .html = std::nullopt});
  builder.add_step(follow_up);
  auto built = builder.build();
  REQUIRE_MESSAGE(built.has_value(), dump(built.error()));
  auto loaded = Sequence::from_json(R"({"name":"built","steps":[{"variants":[{"subject":"Hi {{company}}","text":"Body"}]},
      {"delay":{"days":2},"variants":[{"text":"Again"}]}]})");
  REQUIRE(loaded);
  CHECK(*built == *loaded);
}

TEST_CASE("the builder reports broken rules with the JSON path they would have") {
  outreach::SequenceBuilder builder;
  outreach::StepSpec step;
  step.threading = Threading::reply;
  step.variants.push_back({.name = "", .weight = 0, .subject = std::nullopt, .text = "x", .html = std::nullopt});
  builder.add_step(step);
  auto built = builder.build();
  REQUIRE_FALSE(built);
  CHECK(mentions(built.error(), "steps[0].thread", "first step"));
  CHECK(mentions(built.error(), "steps[0].variants[0].weight", "from 1"));
}

TEST_CASE("unknown keys are errors that name their path and suggest the near miss") {
  auto sequence = Sequence::from_json(R"({"steps":[{"variants":[{"subjct":"s","text":"t"}]}]})");
  REQUIRE_FALSE(sequence);
  CHECK(sequence.error().code() == Errc::unknown_key);
  CHECK(mentions(sequence.error(), "steps[0].variants[0].subjct", "did you mean \"subject\""));
}

TEST_CASE("every broken rule is reported in one pass, each with its JSON path") {
  auto sequence = Sequence::from_json(R"({
    "steps": [
      { "thread": "reply", "variants": [ { "text": "" } ] },
      { "delay": {"business_days": 2, "days": 1}, "thread": "sideways",
        "variants": [ { "name": "X", "text": "a" }, { "name": "X", "weight": -2, "text": "b" } ] },
      { "thread": "new", "variants": [ { "text": "no subject" } ] },
      { "variants": [] },
      { "delay": {"days": "three"}, "variants": [ { "text": "Hi {{first_name", "html": "<b>{a|b</b>" } ] }
    ],
    "colour": "blue"
  })");
  REQUIRE_FALSE(sequence);
  const auto& error = sequence.error();
  INFO(dump(error));
  CHECK(mentions(error, "colour", "unknown key"));
  CHECK(mentions(error, "steps[0].thread", "first step"));
  CHECK(mentions(error, "steps[0].variants[0].subject", "needs a subject"));
  CHECK(mentions(error, "steps[0].variants[0].text", "required"));
  CHECK(mentions(error, "steps[1].delay", "business_days cannot be combined"));
  CHECK(mentions(error, "steps[1].thread", "\"reply\" or \"new\""));
  CHECK(mentions(error, "steps[1].variants[1].weight", "from 1"));
  CHECK(mentions(error, "steps[2].variants[0].subject", "needs a subject"));
  CHECK(mentions(error, "steps[3].variants", "at least one variant"));
  CHECK(mentions(error, "steps[4].delay.days", "expected an integer"));
  CHECK(mentions(error, "steps[4].variants[0].text", "step 5, variant \"A\", text"));
  CHECK(mentions(error, "steps[4].variants[0].html", "step 5, variant \"A\", html"));
}

TEST_CASE("duplicate variant names in a step are an error") {
  auto sequence = Sequence::from_json(
      R"({"steps":[{"variants":[{"name":"X","subject":"s","text":"a"},{"name":"X","subject":"s","text":"b"}]}]})");
  REQUIRE_FALSE(sequence);
  CHECK(mentions(sequence.error(), "steps[0].variants[1].name", "another variant"));
}

TEST_CASE("a template error names the step, variant, field and character offset") {
  auto sequence = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"Hé {{company","text":"t"}]}]})");
  REQUIRE_FALSE(sequence);
  const auto& where = sequence.error().where();
  CHECK(where.json_path == "steps[0].variants[0].subject");
  REQUIRE(where.offset.has_value());
  CHECK(*where.offset == 3);
  CHECK(sequence.error().message().find("step 1, variant \"A\", subject") == 0);
}

TEST_CASE("a subject with a line break in the template is refused at load time") {
  auto sequence = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"Hi\r\nBcc: x@y.example","text":"t"}]}]})");
  REQUIRE_FALSE(sequence);
  CHECK(mentions(sequence.error(), "steps[0].variants[0].subject", "line break"));
}

TEST_CASE("malformed JSON names the line and column") {
  auto sequence = Sequence::from_json("{\n  \"steps\": [\n    { \"variants\": [ } ]\n}");
  REQUIRE_FALSE(sequence);
  CHECK(sequence.error().code() == Errc::parse_error);
  REQUIRE(sequence.error().where().line.has_value());
  CHECK(*sequence.error().where().line == 3);
}

TEST_CASE("hostile JSON gives a clear error and no crash") {
  const std::array<std::string, 8> inputs{
      "", "null", "[]", "{\"steps\": {}}", "{\"steps\": [1, \"x\", null]}",
      std::string(10000, '['), "{\"steps\":[{\"variants\":[{\"text\":\"\xff\xfe\"}]}]}",
      "{\"name\": \"a\\u0000b\", \"steps\": []}"};
  for (const std::string& input : inputs) {
    auto sequence = Sequence::from_json(input);
    CHECK_FALSE(sequence.has_value());
    if (!sequence) CHECK_FALSE(sequence.error().message().empty());
  }
}

TEST_CASE("a very large template is refused with limit_exceeded, not a crash") {
  const std::string big(1024 * 1024, 'x');
  auto sequence = Sequence::from_json(R"({"steps":[{"variants":[{"subject":"s","text":")" + big + R"("}]}]})");
  REQUIRE_FALSE(sequence);
  CHECK(sequence.error().code() == Errc::limit_exceeded);
}

TEST_CASE("loading a file names the file in every error") {
  auto missing = Sequence::load("/nonexistent/sequence.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Errc::not_found);
  CHECK(missing.error().to_string().find("/nonexistent/sequence.json") != std::string::npos);
  auto example = Sequence::load(OUTREACH_SOURCE_DIR "/docs/examples/saas-founders/sequence.json");
  REQUIRE_MESSAGE(example.has_value(), dump(example.error()));
  CHECK(example->steps().size() == 3);
}

TEST_CASE("variants are assigned by weight, deterministically and fairly over 100,000 leads") {
  auto sequence = Sequence::from_json(R"({"steps":[{"variants":[
      {"subject":"a","text":"a","weight":1},{"subject":"b","text":"b","weight":2},{"subject":"c","text":"c","weight":7}]}]})");
  REQUIRE(sequence);
  const auto& step = sequence->step(1);
  std::array<int, 3> counts{};
  constexpr int leads = 100000;
  for (int i = 0; i < leads; ++i) {
    const std::string lead = "lead" + std::to_string(i) + "@example.com";
    const std::size_t chosen = step.choose_variant(42, lead, 1);
    REQUIRE(chosen < 3);
    CHECK(step.choose_variant(42, lead, 1) == chosen);
    ++counts[chosen];
  }
  const std::array<double, 3> expected_share{0.1, 0.2, 0.7};
  for (std::size_t v = 0; v < 3; ++v) {
    const double share = static_cast<double>(counts[v]) / leads;
    CHECK_MESSAGE(std::abs(share - expected_share[v]) < 0.01, "variant ", v, " share ", share);
  }
}

TEST_CASE("variant choice depends on the seed and the step") {
  auto sequence = Sequence::from_json(
      R"({"steps":[{"variants":[{"subject":"a","text":"a"},{"subject":"b","text":"b"}]},{"variants":[{"text":"a"},{"text":"b"}]}]})");
  REQUIRE(sequence);
  int differ_by_seed = 0;
  int differ_by_step = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string lead = "p" + std::to_string(i) + "@x.example";
    differ_by_seed += sequence->step(1).choose_variant(1, lead, 1) != sequence->step(1).choose_variant(2, lead, 1);
    differ_by_step += sequence->step(1).choose_variant(1, lead, 1) != sequence->step(2).choose_variant(1, lead, 2);
  }
  CHECK(differ_by_seed > 400);
  CHECK(differ_by_seed < 600);
  CHECK(differ_by_step > 400);
  CHECK(differ_by_step < 600);
}
