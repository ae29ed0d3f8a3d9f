// libFuzzer target for the template syntax a campaign author writes (template.hpp) and its
// rendering (render.hpp). The first byte picks the kind (text or HTML) and the spintax key; the
// rest is the template. Besides crashes, leaks and hangs, it checks the promises: a compile error
// is parse_error, invalid_utf8 or limit_exceeded at an offset inside the source; a template
// renders for a lead that has every field it names; rendering is deterministic; HTML rendering
// escapes the values; no field is left unrendered; and a step of a sequence made of it renders.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/render.hpp"
#include "outreach/sequence.hpp"
#include "outreach/template.hpp"
#include "util/ascii.hpp"
#include "util/utf8.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::Errc;
using outreach::Template;
using outreach::TemplateKind;

using outreach::fuzz::require;

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// Values with characters HTML escapes, and without braces, so that a `{{` in the output can
// only come from the template.
constexpr std::string_view value = "<Ada & \"Bo\" 'Cy'>";

// A lead with every known field and a custom field for every other name the template uses.
outreach::Lead lead_for(const Template& compiled) {
  outreach::Lead lead;
  lead.email = "ada@example.com";
  lead.first_name = value;
  lead.last_name = value;
  lead.company = value;
  lead.title = value;
  lead.timezone = "Europe/Paris";
  for (const std::string& name : compiled.fields()) {
    if (!lead.field(name)) lead.custom.emplace_back(name, value);
  }
  return lead;
}

void check_compile_error(const outreach::Error& error, std::string_view source) {
  require(error.code() == Errc::parse_error || error.code() == Errc::invalid_utf8 ||
              error.code() == Errc::limit_exceeded,
          "a template that does not compile is a parse_error, invalid_utf8 or limit_exceeded");
  if (error.code() == Errc::limit_exceeded && source.size() > Template::max_size) return;
  // The offset counts code points; bytes are an upper bound.
  require(!error.where().offset || *error.where().offset <= source.size(), "the error offset is inside the source");
}

void check_rendering(const Template& compiled, std::string_view source, std::uint64_t spin_key) {
  const outreach::Lead lead = lead_for(compiled);
  outreach::RenderContext context;
  context.lead = &lead;
  context.sender_name = value;
  context.sender_email = "sender@example.com";
  context.unsubscribe_url = "https://example.com/u/token";
  context.spin_key = spin_key;

  const auto rendered = compiled.render(context);
  require(rendered.has_value(), "a template renders for a lead with every field it names");
  require(outreach::detail::is_valid_utf8(*rendered), "rendered text is UTF-8");
  const auto again = compiled.render(context);
  require(again.has_value() && *again == *rendered, "the same lead and key render the same text");

  // HTML values are escaped: with no `<` in the template, none can reach the output (fallbacks
  // and literal text come from the source).
  if (compiled.kind() == TemplateKind::html && !contains(source, "<")) {
    require(!contains(*rendered, "<"), "HTML rendering escapes inserted values");
  }
  // Every field is replaced. Literal braces reach the output only through brace groups, escapes
  // (`\{`) and fallbacks (`{{x | "{"}}`); a group's `{` directly followed by another group's is a
  // field opener in the source, and can only end up next to it in the output when a field in
  // between writes nothing, which needs a fallback; and in a run of four or more `{`, only the
  // last two open a field, the others open groups. So without escapes, fallbacks and such runs
  // (no `\`, no `"`, no `{{{{`) and with brace-free values, a `{{` in the output is a field left
  // as written.
  if (!contains(source, "\\") && !contains(source, "\"") && !contains(source, "{{{{")) {
    require(!contains(*rendered, "{{"), "no field is left unrendered");
  }

  // Without a lead, rendering succeeds or names a missing field.
  outreach::RenderContext no_lead = context;
  no_lead.lead = nullptr;
  const auto without = compiled.render(no_lead);
  require(without.has_value() || without.error().code() == Errc::missing_field,
          "rendering without a lead fails only for a missing field");
}

// The template as the text (or html) body of a one-step sequence, rendered into a message.
void check_step(const Template& compiled, std::uint64_t seed) {
  outreach::VariantSpec variant;
  variant.subject = "Hello {{first_name}}";
  if (compiled.kind() == TemplateKind::html) {
    variant.text = "Hello";
    variant.html = compiled.source();
  } else {
    variant.text = compiled.source();
  }
  outreach::StepSpec step;
  step.variants.push_back(std::move(variant));
  outreach::SequenceBuilder builder;
  builder.name("fuzz").add_step(std::move(step));
  const auto sequence = builder.build();
  require(sequence.has_value(), "a template that compiles makes a sequence");

  const outreach::Lead lead = lead_for(compiled);
  outreach::StepContext context;
  context.campaign = "fuzz";
  context.seed = seed;
  context.sender = outreach::Address{"Sender", "sender@example.com"};
  context.date = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1);
  context.unsubscribe_url = "https://example.com/u/token";
  const auto rendered = outreach::render_step(*sequence, 1, lead, context);
  require(rendered.has_value(), "a step renders for a lead with every field it names");
  require(!rendered->message.data.empty(), "a rendered step has its message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const TemplateKind kind = (data[0] & 1) != 0 ? TemplateKind::html : TemplateKind::text;
  const std::uint64_t spin_key = data[0] >> 1;
  const std::string_view source(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto compiled = Template::compile(source, kind);
  if (!compiled) {
    check_compile_error(compiled.error(), source);
    return 0;
  }
  require(compiled->source() == source && compiled->kind() == kind, "a template keeps its source and kind");
  check_rendering(*compiled, source, spin_key);
  // A step needs a text body that is not blank (spaces, tabs and line breaks alone are refused).
  if (!outreach::detail::trim(source).empty()) check_step(*compiled, spin_key);
  return 0;
}
