#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/hash.hpp"
#include "util/utf8.hpp"
#include "outreach/template.hpp"

using outreach::Errc;
using outreach::Error;
using outreach::Lead;
using outreach::RenderContext;
using outreach::Template;
using outreach::TemplateKind;

namespace {

Template compiled(std::string_view source, TemplateKind kind = TemplateKind::text) {
  auto result = Template::compile(source, kind);
  REQUIRE_MESSAGE(result.has_value(), "compile failed: ", result ? "" : result.error().to_string());
  return *result;
}

Error compile_error(std::string_view source, TemplateKind kind = TemplateKind::text) {
  auto result = Template::compile(source, kind);
  REQUIRE_MESSAGE(!result.has_value(), "compiled, but an error was expected: ", source);
  return result.error();
}

Lead ada() {
  Lead lead;
  lead.email = "ada@example.com";
  lead.first_name = "Ada";
  lead.last_name = "Lovelace";
  lead.company = "Analytical Engines";
  lead.title = "CTO";
  lead.timezone = "Europe/London";
  lead.custom = {{"plan", "Pro"}, {"Plan", "upper"}, {"empty", ""}};
  return lead;
}

RenderContext context_for(const Lead& lead, std::uint64_t key = 0) {
  RenderContext context;
  context.lead = &lead;
  context.sender_name = "Grace Hopper";
  context.sender_email = "grace@sender.example";
  context.unsubscribe_url = "https://u.example/x?a=1&b=2";
  context.spin_key = key;
  return context;
}

std::string rendered(const Template& tmpl, const RenderContext& context) {
  auto result = tmpl.render(context);
  REQUIRE_MESSAGE(result.has_value(), "render failed: ", result ? "" : result.error().to_string());
  return *result;
}

std::string rendered(std::string_view source, const RenderContext& context, TemplateKind kind = TemplateKind::text) {
  return rendered(compiled(source, kind), context);
}

// The option a spintax group chooses, by the documented rule.
std::uint64_t chosen_option(std::uint64_t key, std::uint64_t ordinal, std::uint64_t option_count) {
  return outreach::detail::pick_below(outreach::detail::hash_combine(key, ordinal), option_count);
}

}  // namespace

// ---- literal text and fields ----------------------------------------------------------------

TEST_CASE("template text without syntax renders unchanged") {
  const Lead lead = ada();
  CHECK(rendered("Hello, wörld: a|b \"quoted\" 😀", context_for(lead)) == "Hello, wörld: a|b \"quoted\" 😀");
  CHECK(rendered("", context_for(lead)).empty());
}

TEST_CASE("a default-constructed template is an empty text template") {
  const Template empty;
  CHECK(empty.empty());
  CHECK(empty.kind() == TemplateKind::text);
  CHECK(empty.source().empty());
  CHECK(empty.fields().empty());
  CHECK(rendered(empty, RenderContext{}).empty());
  CHECK(empty == compiled(""));
}

TEST_CASE("the known lead fields are inserted") {
  const Lead lead = ada();
  CHECK(rendered("{{email}}|{{first_name}}|{{last_name}}|{{company}}|{{title}}|{{timezone}}", context_for(lead)) ==
        "ada@example.com|Ada|Lovelace|Analytical Engines|CTO|Europe/London");
}

TEST_CASE("whitespace around the field name and around the pipe is allowed") {
  const Lead lead = ada();
  CHECK(rendered("{{ first_name }} {{\tcompany\n}}", context_for(lead)) == "Ada Analytical Engines");
  CHECK(rendered("{{  nickname  |  \"pal\"  }}", context_for(lead)) == "pal");
  CHECK(rendered("{{nickname|\"pal\"}}", context_for(lead)) == "pal");
}

TEST_CASE("custom fields are looked up by their exact, case-sensitive name") {
  const Lead lead = ada();
  CHECK(rendered("{{plan}} {{Plan}}", context_for(lead)) == "Pro upper");
  auto missing = compiled("{{PLAN}}").render(context_for(lead));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "missing_field:PLAN");
}

TEST_CASE("custom field names may contain spaces and dots") {
  Lead lead = ada();
  lead.custom.emplace_back("Company Size", "50-200");
  lead.custom.emplace_back("crm.stage", "demo");
  CHECK(rendered("{{ Company Size }} / {{crm.stage}}", context_for(lead)) == "50-200 / demo");
}

TEST_CASE("a custom field is also found by its key: lower case, other characters one underscore") {
  Lead lead = ada();
  lead.custom.emplace_back("Company Size", "50-200");
  lead.custom.emplace_back("  CRM -- Stage ", "demo");
  lead.custom.emplace_back("company_size", "own column");
  CHECK(rendered("{{company_size}}", context_for(lead)) == "own column");  // its own name first
  lead.custom.pop_back();
  CHECK(rendered("{{company_size}} / {{crm_stage}}", context_for(lead)) == "50-200 / demo");
  CHECK(lead.field("crm_stage") == std::optional<std::string_view>("demo"));
  // A header that became a known field's synonym still names that field.
  CHECK(rendered("{{FirstName}} {{company_name}} {{Surname}}", context_for(lead)) == "Ada Analytical Engines Lovelace");
  for (const std::string_view not_its_key : {"{{Company_Size}}", "{{companysize}}", "{{company__size}}", "{{_crm_stage}}"}) {
    CAPTURE(not_its_key);
    CHECK_FALSE(compiled(not_its_key).render(context_for(lead)).has_value());
  }
}

TEST_CASE("sender and unsubscribe fields come from the render context") {
  const Lead lead = ada();
  CHECK(rendered("{{sender.name}} <{{sender.email}}> {{unsubscribe_url}}", context_for(lead)) ==
        "Grace Hopper <grace@sender.example> https://u.example/x?a=1&b=2");
}

TEST_CASE("a missing field without a fallback fails with missing_field:NAME") {
  const Lead lead = ada();
  const auto fails_with = [&](std::string_view source, const RenderContext& context, std::string_view message) {
    auto result = compiled(source).render(context);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == Errc::missing_field);
    CHECK(result.error().message() == message);
  };
  fails_with("Hi {{nickname}}", context_for(lead), "missing_field:nickname");
  fails_with("{{empty}}", context_for(lead), "missing_field:empty");

  Lead nameless = ada();
  nameless.first_name.clear();
  fails_with("Hi {{ first_name }}!", context_for(nameless), "missing_field:first_name");

  RenderContext no_unsubscribe = context_for(lead);
  no_unsubscribe.unsubscribe_url = {};
  fails_with("{{unsubscribe_url}}", no_unsubscribe, "missing_field:unsubscribe_url");

  RenderContext no_sender = context_for(lead);
  no_sender.sender_name = {};
  fails_with("{{sender.name}}", no_sender, "missing_field:sender.name");

  fails_with("{{email}}", RenderContext{}, "missing_field:email");
}

TEST_CASE("a fallback is used when the field is missing or its value is empty") {
  Lead lead = ada();
  lead.company.clear();
  const RenderContext context = context_for(lead);
  CHECK(rendered("{{company | \"your team\"}}", context) == "your team");
  CHECK(rendered("{{empty | \"none\"}}", context) == "none");
  CHECK(rendered("{{nickname | \"pal\"}}", context) == "pal");
  CHECK(rendered("{{first_name | \"there\"}}", context) == "Ada");
  CHECK(rendered("[{{nickname | \"\"}}]", context) == "[]");
  CHECK(rendered("{{email | \"x\"}}", RenderContext{}) == "x");
}

TEST_CASE("a fallback may escape a quote and a backslash, and holds braces as plain text") {
  const Lead lead = ada();
  CHECK(rendered(R"({{nickname | "say \"hi\" \\ now"}})", context_for(lead)) == R"(say "hi" \ now)");
  CHECK(rendered(R"({{nickname | "a\nb"}})", context_for(lead)) == R"(a\nb)");
  CHECK(rendered(R"({{nickname | "{x|y} }} {{z}}"}})", context_for(lead)) == "{x|y} }} {{z}}");
}

TEST_CASE("html templates escape inserted values but not literal text or fallbacks") {
  Lead lead = ada();
  lead.company = R"(<Smith & "Sons">' Ltd)";
  const RenderContext context = context_for(lead);
  CHECK(rendered("<p>{{company}}</p>", context, TemplateKind::html) ==
        "<p>&lt;Smith &amp; &quot;Sons&quot;&gt;&#39; Ltd</p>");
  CHECK(rendered("<a href=\"{{unsubscribe_url}}\">x</a>", context, TemplateKind::html) ==
        "<a href=\"https://u.example/x?a=1&amp;b=2\">x</a>");
  CHECK(rendered("<b>{{nickname | \"<i>you</i> & co\"}}</b>", context, TemplateKind::html) ==
        "<b><i>you</i> & co</b>");
  CHECK(rendered("{{first_name}}", context, TemplateKind::html) == "Ada");
}

TEST_CASE("text templates insert values as they are") {
  Lead lead = ada();
  lead.company = "<A & B>";
  CHECK(rendered("{{company}}", context_for(lead)) == "<A & B>");
}

TEST_CASE("render_to appends to the caller's string") {
  const Lead lead = ada();
  std::string out = "Subject: ";
  REQUIRE(compiled("Hi {{first_name}}").render_to(out, context_for(lead)));
  CHECK(out == "Subject: Hi Ada");
}

TEST_CASE("fields lists every field name once, in order of first appearance") {
  const Template tmpl = compiled("{{company}} {a {{first_name}}|{b|{{ plan }}}} {{company}} {{x|\"y\"}} {{sender.name}}");
  CHECK(tmpl.fields() == std::vector<std::string>{"company", "first_name", "plan", "x", "sender.name"});
}

TEST_CASE("templates are values: copies share the form and compare by source and kind") {
  const Template a = compiled("Hi {{first_name}}");
  const Template copy = a;  // NOLINT(performance-unnecessary-copy-initialization)
  CHECK(copy == a);
  CHECK(copy.source() == "Hi {{first_name}}");
  CHECK(&copy.source() == &a.source());
  CHECK_FALSE(a == compiled("Hi {{first_name}}", TemplateKind::html));
  CHECK_FALSE(a == compiled("Hi {{ first_name }}"));
  CHECK(compiled("x", TemplateKind::html).kind() == TemplateKind::html);
}

// ---- spintax --------------------------------------------------------------------------------

TEST_CASE("spintax chooses the same option for the same key") {
  const Lead lead = ada();
  const Template tmpl = compiled("{Hi|Hello|Hey} {{first_name}}, {quick|short} question");
  for (std::uint64_t key = 0; key < 50; ++key) {
    CHECK(rendered(tmpl, context_for(lead, key)) == rendered(tmpl, context_for(lead, key)));
  }
}

TEST_CASE("spintax chooses different options for different keys") {
  const Lead lead = ada();
  const Template tmpl = compiled("{a|b|c}{d|e|f}");
  std::set<std::string> outputs;
  for (std::uint64_t key = 0; key < 200; ++key) outputs.insert(rendered(tmpl, context_for(lead, key)));
  CHECK(outputs.size() == 9);
}

TEST_CASE("each of three spintax options is chosen a third of the time, within a point") {
  const Lead lead = ada();
  const Template tmpl = compiled("{a|b|c}");
  std::array<int, 3> counts{};
  constexpr int keys = 100'000;
  std::string out;
  for (int i = 0; i < keys; ++i) {
    const auto key = outreach::spin_key(42, "lead" + std::to_string(i) + "@example.com", 1, 0);
    out.clear();
    REQUIRE(tmpl.render_to(out, context_for(lead, key)));
    ++counts[static_cast<std::size_t>(out[0] - 'a')];
  }
  for (const int count : counts) {
    CHECK(std::abs(100.0 * count / keys - 100.0 / 3) < 1.0);
  }
}

TEST_CASE("spintax group k chooses pick_below(hash_combine(key, k), option count)") {
  const Lead lead = ada();
  const Template tmpl = compiled("{a|b|c} {d|e}");
  for (std::uint64_t key = 0; key < 100; ++key) {
    std::string expected;
    expected += "abc"[chosen_option(key, 0, 3)];
    expected += ' ';
    expected += "de"[chosen_option(key, 1, 2)];
    CHECK(rendered(tmpl, context_for(lead, key)) == expected);
  }
}

TEST_CASE("spintax groups are numbered depth-first, counting unchosen groups, not literal groups") {
  // Ordinals: {a{x|y}|b} is 0, the nested {x|y} is 1 (even when option b is chosen), {c|d|e} is 2.
  // The literal groups {css} and {z} take no number.
  const Lead lead = ada();
  const Template tmpl = compiled("{css} {a{x|y}{z}|b} {c|d|e}");
  for (std::uint64_t key = 0; key < 200; ++key) {
    std::string expected = "{css} ";
    if (chosen_option(key, 0, 2) == 0) {
      expected += 'a';
      expected += "xy"[chosen_option(key, 1, 2)];
      expected += "{z}";
    } else {
      expected += 'b';
    }
    expected += ' ';
    expected += "cde"[chosen_option(key, 2, 3)];
    CHECK(rendered(tmpl, context_for(lead, key)) == expected);
  }
}

TEST_CASE("a text body and an html body with parallel spintax choose the same options") {
  const Lead lead = ada();
  const Template text = compiled("{Hi|Hello|Hey} {{first_name}}, {one|two} {x|y|z|w}");
  const Template html = compiled(
      "<style>p { color: red; }</style><p>{Hi|Hello|Hey} {{first_name}}, {one|two} {x|y|z|w}</p>",
      TemplateKind::html);
  for (int i = 0; i < 100; ++i) {
    const auto key = outreach::spin_key(7, "lead" + std::to_string(i), 2, 1);
    const std::string text_out = rendered(text, context_for(lead, key));
    CHECK(rendered(html, context_for(lead, key)) == "<style>p { color: red; }</style><p>" + text_out + "</p>");
  }
}

TEST_CASE("spin_key is deterministic and depends on seed, lead, step and part") {
  const auto key = outreach::spin_key(1, "ada@example.com", 1, 0);
  CHECK(key == outreach::spin_key(1, "ada@example.com", 1, 0));
  CHECK(key != outreach::spin_key(2, "ada@example.com", 1, 0));
  CHECK(key != outreach::spin_key(1, "bob@example.com", 1, 0));
  CHECK(key != outreach::spin_key(1, "ada@example.com", 2, 0));
  CHECK(key != outreach::spin_key(1, "ada@example.com", 1, 1));
}

TEST_CASE("nested spintax options may hold fields and further spintax") {
  const Lead lead = ada();
  const Template tmpl = compiled("{Hi {{first_name}}|{Hello|Hey} {{company}}}");
  std::set<std::string> outputs;
  for (std::uint64_t key = 0; key < 200; ++key) outputs.insert(rendered(tmpl, context_for(lead, key)));
  CHECK(outputs == std::set<std::string>{"Hi Ada", "Hello Analytical Engines", "Hey Analytical Engines"});
}

TEST_CASE("a field in a spintax option that was not chosen does not need a value") {
  const Lead lead = ada();
  const Template tmpl = compiled("{{{nickname}}|friend}");
  int failures = 0;
  int successes = 0;
  for (std::uint64_t key = 0; key < 100; ++key) {
    auto result = tmpl.render(context_for(lead, key));
    const bool first_option = chosen_option(key, 0, 2) == 0;
    CHECK(result.has_value() == !first_option);
    if (result) {
      ++successes;
      CHECK(*result == "friend");
    } else {
      ++failures;
      CHECK(result.error().message() == "missing_field:nickname");
    }
  }
  CHECK(failures > 0);
  CHECK(successes > 0);
}

TEST_CASE("empty spintax options are allowed") {
  const Lead lead = ada();
  std::set<std::string> outputs;
  for (std::uint64_t key = 0; key < 100; ++key) {
    outputs.insert(rendered("[{|x}][{|}]", context_for(lead, key)));
  }
  CHECK(outputs == std::set<std::string>{"[][]", "[x][]"});
}

TEST_CASE("in a run of braces the last two open a field, so spintax may start with a field") {
  const Lead lead = ada();
  std::set<std::string> outputs;
  for (std::uint64_t key = 0; key < 100; ++key) {
    outputs.insert(rendered("Hi {{{first_name}}|there}!", context_for(lead, key)));
  }
  CHECK(outputs == std::set<std::string>{"Hi Ada!", "Hi there!"});
  CHECK(rendered("{{{company}}}", context_for(lead)) == "{Analytical Engines}");
}

TEST_CASE("a brace group without a top-level pipe is literal text, braces included") {
  const Lead lead = ada();
  CHECK(rendered("{ {{company}} }", context_for(lead)) == "{ Analytical Engines }");
  const std::string css = "<style>p { color: red; } @media (x) { a { b: c; } }</style>";
  CHECK(rendered(css, context_for(lead), TemplateKind::html) == css);
  CHECK(rendered("{}", context_for(lead)) == "{}");
  std::set<std::string> outputs;
  for (std::uint64_t key = 0; key < 100; ++key) outputs.insert(rendered("{a {b|c}|d}", context_for(lead, key)));
  CHECK(outputs == std::set<std::string>{"a b", "a c", "d"});
  CHECK(rendered("{x \\| y}", context_for(lead)) == "{x | y}");
}

TEST_CASE("backslash escapes braces and pipes, and before anything else it is a backslash") {
  const Lead lead = ada();
  CHECK(rendered(R"(\{\{first_name\}\} \| x)", context_for(lead)) == "{{first_name}} | x");
  CHECK(rendered(R"({a\|b})", context_for(lead)) == "{a|b}");
  CHECK(rendered(R"(C:\path\n and \\ and \)", context_for(lead)) == R"(C:\path\n and \\ and \)");
  CHECK(rendered(R"(\\{x\})", context_for(lead)) == R"(\{x})");
}

// ---- errors ---------------------------------------------------------------------------------

TEST_CASE("an unterminated {{ is a parse error at the {{") {
  const Error error = compile_error("ab{{first_name");
  CHECK(error.code() == Errc::parse_error);
  CHECK(error.message() == "unterminated {{: expected }}");
  CHECK(error.where().offset == 2);
  CHECK(compile_error("{{").where().offset == 0);
  CHECK(compile_error("x {{a} b").where().offset == 2);
  CHECK(compile_error("x {{a} b").message() == "unterminated {{: expected }}");
  CHECK(compile_error("{{a | \"b\"").message() == "unterminated {{: expected }}");
  CHECK(compile_error("{{a | \"b\" }").where().offset == 0);
  CHECK(compile_error("{{a | \"b\" }").message() == "unterminated {{: expected }}");
}

TEST_CASE("error offsets count code points, not bytes") {
  const Error error = compile_error("Grüße, 😀 {{first_name");  // ü ß 😀 are multi-byte
  CHECK(error.message() == "unterminated {{: expected }}");
  CHECK(error.where().offset == 9);
  CHECK(compile_error("é}").where().offset == 1);
}

TEST_CASE("an unterminated brace group is a parse error at its {") {
  const Error error = compile_error("héllo {a|b");
  CHECK(error.code() == Errc::parse_error);
  CHECK(error.message().starts_with("unterminated {: expected }"));
  CHECK(error.where().offset == 6);
  CHECK(compile_error("{a").where().offset == 0);
  CHECK(compile_error("x{a{b}").where().offset == 1);
}

TEST_CASE("{a|{b} is an unterminated group") {
  const Error error = compile_error("{a|{b}");
  CHECK(error.code() == Errc::parse_error);
  CHECK(error.message().starts_with("unterminated {"));
  CHECK(error.where().offset == 0);
}

TEST_CASE("a stray } at top level is a parse error that suggests \\}") {
  const Error error = compile_error("ab}c");
  CHECK(error.code() == Errc::parse_error);
  CHECK(error.message().find("\\}") != std::string::npos);
  CHECK(error.where().offset == 2);
  CHECK(compile_error("{a|b}}").where().offset == 5);
}

TEST_CASE("}} outside a field is a stray } at its first brace") {
  const Error error = compile_error("Hi }} there");
  CHECK(error.code() == Errc::parse_error);
  CHECK(error.where().offset == 3);
  CHECK(compile_error("{{a}}}").where().offset == 5);
}

TEST_CASE("an empty field name is a parse error at its {{") {
  for (const char* source : {"ab{{}}", "ab{{  }}", "ab{{ | \"x\"}}"}) {
    const Error error = compile_error(source);
    CHECK(error.code() == Errc::parse_error);
    CHECK(error.message() == "empty field name");
    CHECK(error.where().offset == 2);
  }
}

TEST_CASE("{{ inside a field name is a parse error at the inner {{") {
  const Error error = compile_error("{{first {{name}}");
  CHECK(error.code() == Errc::parse_error);
  CHECK(error.message() == "unexpected {{ inside a field name: expected }}");
  CHECK(error.where().offset == 8);
  CHECK(compile_error("{{a{b}}").where().offset == 3);
  CHECK(compile_error("{{a \"x\"}}").where().offset == 4);
}

TEST_CASE("a fallback that is not one double-quoted string is a parse error") {
  const Error unquoted = compile_error("é {{a | there}}");
  CHECK(unquoted.code() == Errc::parse_error);
  CHECK(unquoted.message() == "bad fallback: expected a double-quoted string after |");
  CHECK(unquoted.where().offset == 8);

  const Error unterminated = compile_error("{{a | \"there}}");
  CHECK(unterminated.message() == "bad fallback: unterminated string, expected a closing \"");
  CHECK(unterminated.where().offset == 6);
  CHECK(compile_error(R"({{a | "x\"}})").where().offset == 6);

  const Error trailing = compile_error("{{a | \"x\" y}}");
  CHECK(trailing.message() == "bad fallback: unexpected text after the string, expected }}");
  CHECK(trailing.where().offset == 10);
  CHECK(compile_error("{{a | \"x\" | \"y\"}}").where().offset == 10);
}

TEST_CASE("invalid UTF-8 is an invalid_utf8 error at the bad byte") {
  const Error error = compile_error("héllo \xff {{a}}");
  CHECK(error.code() == Errc::invalid_utf8);
  CHECK(error.where().offset == 6);
  CHECK(compile_error("é\xc3").where().offset == 1);            // truncated sequence
  CHECK(compile_error("ab\xc0\xaf").where().offset == 2);        // overlong
  CHECK(compile_error("\xed\xa0\x80").code() == Errc::invalid_utf8);  // surrogate
  CHECK(compile_error("{{a | \"\xfe\"}}").where().offset == 7);
}

TEST_CASE("a template larger than max_size is limit_exceeded") {
  const std::string megabyte(1 << 20, 'a');
  const Error error = compile_error(megabyte);
  CHECK(error.code() == Errc::limit_exceeded);
  CHECK(error.where().offset == Template::max_size);
  CHECK(Template::compile(std::string(Template::max_size, 'a')).has_value());
}

TEST_CASE("a megabyte of { fails quickly with limit_exceeded") {
  const auto start = std::chrono::steady_clock::now();
  CHECK(compile_error(std::string(1 << 20, '{')).code() == Errc::limit_exceeded);
  // Within the size limit, the depth limit stops it at the first { too deep.
  const Error deep = compile_error(std::string(Template::max_size, '{'));
  CHECK(deep.code() == Errc::limit_exceeded);
  CHECK(deep.where().offset == Template::max_depth);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
}

TEST_CASE("brace groups nested deeper than max_depth are limit_exceeded at the first { too deep") {
  const auto nested = [](int depth) {
    std::string source;
    for (int i = 0; i < depth; ++i) source += "{a";
    for (int i = 0; i < depth; ++i) source += "|b}";
    return source;
  };
  CHECK(Template::compile(nested(Template::max_depth)).has_value());
  const Error error = compile_error(nested(Template::max_depth + 1));
  CHECK(error.code() == Errc::limit_exceeded);
  CHECK(error.where().offset == 2 * Template::max_depth);

  std::string hostile;
  while (hostile.size() + 2 <= Template::max_size) hostile += "{a";
  CHECK(compile_error(hostile).code() == Errc::limit_exceeded);
}

TEST_CASE("a template of the maximum size with tens of thousands of distinct fields compiles") {
  std::string source;
  int count = 0;
  while (source.size() + 16 <= Template::max_size) source += "{{f" + std::to_string(count++) + "}}";
  const Template tmpl = compiled(source);
  const std::vector<std::string> fields = tmpl.fields();
  REQUIRE(fields.size() == static_cast<std::size_t>(count));
  CHECK(fields.front() == "f0");
  CHECK(fields.back() == "f" + std::to_string(count - 1));
}

// ---- hostile input --------------------------------------------------------------------------

TEST_CASE("random hostile input never crashes compile or render") {
  static constexpr std::array<std::string_view, 12> pieces = {
      "{", "}", "|", "\\", "\"", "a", "{{", "}}", "é", " ", "{{first_name", "{{x | \""};
  Lead lead = ada();
  lead.custom.emplace_back("a", "<&>");
  std::uint64_t state = 2024;
  const auto next_random = [&state] { return outreach::detail::mix64(state++); };

  int compiled_count = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string source;
    const std::uint64_t length = next_random() % 40;
    for (std::uint64_t j = 0; j < length; ++j) {
      const std::uint64_t r = next_random();
      if (r % 16 == 0) {
        source += static_cast<char>(next_random() & 0xFF);
      } else {
        source += pieces[r % pieces.size()];
      }
    }
    const TemplateKind kind = i % 2 == 0 ? TemplateKind::text : TemplateKind::html;
    auto result = Template::compile(source, kind);
    if (!result) {
      const Error& error = result.error();
      const bool known_code = error.code() == Errc::parse_error || error.code() == Errc::invalid_utf8 ||
                              error.code() == Errc::limit_exceeded;
      CHECK_MESSAGE(known_code, source);
      REQUIRE(error.where().offset.has_value());
      CHECK(*error.where().offset <= outreach::detail::code_point_offset(source, source.size()));
      continue;
    }
    ++compiled_count;
    std::string out;
    auto rendered_result = result->render_to(out, context_for(lead, next_random()));
    if (!rendered_result) {
      CHECK(rendered_result.error().code() == Errc::missing_field);
      CHECK(rendered_result.error().message().starts_with("missing_field:"));
    }
  }
  CHECK(compiled_count > 1000);
}
