// Uses the installed library through its public headers only; exits non-zero on any mismatch.
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include <outreach/error.hpp>
#include <outreach/lead.hpp>
#include <outreach/template.hpp>

namespace {

int failures = 0;

void expect_equal(std::string_view what, std::string_view actual, std::string_view wanted) {
  if (actual == wanted) {
    std::cout << "ok: " << what << ": " << actual << '\n';
    return;
  }
  std::cerr << "FAIL: " << what << ": got \"" << actual << "\", want \"" << wanted << "\"\n";
  ++failures;
}

}  // namespace

int main() {
  outreach::Lead lead;
  lead.email = "Ada@Example.COM";
  lead.first_name = "Ada";
  lead.company = "Analytical Engines";

  expect_equal("lead key", lead.key(), "ada@example.com");
  expect_equal("error code name", outreach::to_string(outreach::Errc::missing_field), "missing_field");

  // Fields, a fallback for an empty field, and escaped braces.
  const auto greeting =
      outreach::Template::compile(R"(Hi {{first_name}} at {{company}}, dear {{title | "friend"}} \{x\})");
  if (!greeting) {
    std::cerr << "FAIL: compile: " << greeting.error().to_string() << '\n';
    return EXIT_FAILURE;
  }
  outreach::RenderContext context;
  context.lead = &lead;
  const auto text = greeting->render(context);
  if (!text) {
    std::cerr << "FAIL: render: " << text.error().to_string() << '\n';
    return EXIT_FAILURE;
  }
  expect_equal("rendered template", *text, "Hi Ada at Analytical Engines, dear friend {x}");

  // A missing field without a fallback is an error, not a blank.
  const auto needs_last_name = outreach::Template::compile("Dear {{last_name}}");
  if (!needs_last_name) {
    std::cerr << "FAIL: compile: " << needs_last_name.error().to_string() << '\n';
    return EXIT_FAILURE;
  }
  const auto missing = needs_last_name->render(context);
  if (missing) {
    std::cerr << "FAIL: rendering a missing field gave \"" << *missing << "\"\n";
    ++failures;
  } else {
    expect_equal("missing field error", outreach::to_string(missing.error().code()), "missing_field");
  }

  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
