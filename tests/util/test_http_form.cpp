// Request targets and form bodies read without trusting them, and the one-click unsubscribe
// recognized in every shape mail providers post it.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "util/http_form.hpp"

namespace outreach::detail {

TEST_SUITE("test_util") {

TEST_CASE("percent escapes decode, and a broken escape or a NUL is refused") {
  CHECK(percent_decode("a%20b%2Fc", false) == "a b/c");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("%e2%82%ac", false) == "\xe2\x82\xac");
  using namespace std::string_view_literals;
  for (const std::string_view bad : {"%"sv, "%2"sv, "%zz"sv, "a%2"sv, "%00"sv, "a\0b"sv}) {
    CHECK_FALSE(percent_decode(bad, false).has_value());
  }
}

TEST_CASE("a request target gives its decoded path and query") {
  const auto target = parse_target("/campaigns/q4%20saas?q=ann%40alpha&page=2&flag");
  REQUIRE(target.has_value());
  CHECK(target->path == "/campaigns/q4 saas");
  REQUIRE(form_value(target->query, "q"));
  CHECK(*form_value(target->query, "q") == "ann@alpha");
  CHECK(*form_value(target->query, "page") == "2");
  CHECK(*form_value(target->query, "flag") == "");
  CHECK(form_value(target->query, "none") == nullptr);
  CHECK_FALSE(parse_target("http://host/absolute").has_value());
  CHECK_FALSE(parse_target("").has_value());
  CHECK_FALSE(parse_target("/a%zz").has_value());
  CHECK_FALSE(parse_target("/a?b=%").has_value());
}

TEST_CASE("the one-click unsubscribe is recognized urlencoded or multipart, whatever the blanks around it") {
  CHECK(is_one_click_post("application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"));
  CHECK(is_one_click_post("application/x-www-form-urlencoded; charset=utf-8", " List-Unsubscribe = One-Click \r\n"));
  CHECK(is_one_click_post("", "List-Unsubscribe=One-Click"));
  CHECK(is_one_click_post("application/x-www-form-urlencoded", "a=1&List-Unsubscribe=one-click&b=2"));
  CHECK(is_one_click_post("application/x-www-form-urlencoded", "List-Unsubscribe=One%2DClick"));
  CHECK(is_one_click_post("multipart/form-data; boundary=XyZ",
                          "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n"));
  CHECK(is_one_click_post("multipart/form-data; boundary=\"quoted b\"",
                          "preamble\r\n--quoted b\r\ncontent-disposition: form-data; name=List-Unsubscribe\r\n\r\n"
                          "  One-Click \r\n--quoted b--"));
  // Bare line feeds, as some senders write them.
  CHECK(is_one_click_post("multipart/form-data; boundary=b",
                          "--b\nContent-Disposition: form-data; name=\"x\"\n\n1\n--b\n"
                          "Content-Disposition: form-data; name=\"List-Unsubscribe\"\n\nOne-Click\n--b--\n"));

  CHECK_FALSE(is_one_click_post("application/x-www-form-urlencoded", ""));
  CHECK_FALSE(is_one_click_post("application/x-www-form-urlencoded", "List-Unsubscribe=Two-Clicks"));
  CHECK_FALSE(is_one_click_post("application/x-www-form-urlencoded", "List-Unsubscribe=One-Click%"));
  CHECK_FALSE(is_one_click_post("application/json", R"({"List-Unsubscribe": "One-Click"})"));
  CHECK_FALSE(is_one_click_post("multipart/form-data", "--b\r\n\r\nOne-Click\r\n--b--"));  // no boundary
  CHECK_FALSE(is_one_click_post("multipart/form-data; boundary=b", "--b\r\nno blank line\r\n--b--"));
  CHECK_FALSE(is_one_click_post("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click"));
}

TEST_CASE("random bytes never make a reader crash, loop or read past its input") {
  std::mt19937 random(11);
  const std::string pieces[] = {"--b", "\r\n", "\n", "=", "&", "%", "%4", "+", "name=\"", "\"", ";", "boundary=",
                                "Content-Disposition: form-data; ", "List-Unsubscribe", "One-Click", " ", "?", "/"};
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int count = static_cast<int>(random() % 24);
    for (int i = 0; i < count; ++i) {
      if (random() % 4 == 0) {
        text += static_cast<char>(random() % 256);
      } else {
        text += pieces[random() % std::size(pieces)];
      }
    }
    (void)parse_target(text);
    (void)parse_urlencoded(text);
    (void)parse_multipart("multipart/form-data; boundary=b", text);
    (void)parse_multipart(text, text);
    (void)is_one_click_post(text, text);
  }
  CHECK(true);  // reaching here under the sanitizers is the check
}

}  // TEST_SUITE

}  // namespace outreach::detail
