// Open and click tracking: tokens that name a step's message (and a click's link) to their key
// alone, the html body's pixel and links, and the campaign's `tracking` setting.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/tracking.hpp"
#include "util/base64url.hpp"

namespace outreach {

namespace {

constexpr std::string_view secret = "s3cret-key-of-32-bytes-for-tests";

Instant at_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds(ms)}; }

MessageTracking tracked(bool opens, bool clicks) {
  MessageTracking tracking;
  if (opens) tracking.pixel_url = "https://t.acme.example/o/PIXEL";
  if (clicks) tracking.link_url = [](std::string_view url) { return "https://t.acme.example/c/[" + std::string(url) + "]"; };
  return tracking;
}

std::string campaign_json(const std::string& tracking, const std::string& unsubscribe = R"("secret_env": "S")") {
  return R"({"name": "c", "sequence": {"name": "s", "steps": [{"variants": [{"subject": "Hi", "text": "Hello"}]}]},
      "leads": [{"email": "a@b.example"}], "mailboxes": [{"id": "m", "from": "m@b.example", "daily_limit": 10}],
      "schedule": {"timezone": "UTC", "days": ["mon"], "hours": ["09:00-17:00"]},
      "unsubscribe": {)" + unsubscribe + R"(}, "tracking": )" + tracking + "}";
}

}  // namespace

TEST_SUITE("test_campaign") {

TEST_CASE("a tracking token names the message, and a click's link, to its key alone") {
  const TrackingKey key(secret);
  const std::string open = key.open_token("q4", "ann@alpha.example", 2, at_ms(1764579600123));
  const std::string click = key.click_token("q4", "ann@alpha.example", 2, at_ms(1764579600123), "https://acme.example/p?a=1&b=2");
  CHECK(key.verify(open) == TrackedHit{"q4", "ann@alpha.example", 2, at_ms(1764579600123), ""});
  CHECK(key.verify(click) == TrackedHit{"q4", "ann@alpha.example", 2, at_ms(1764579600123), "https://acme.example/p?a=1&b=2"});
  const auto bytes = detail::from_base64url(click);
  REQUIRE(bytes.has_value());
  CHECK(bytes->find("acme.example") == std::string::npos);
  CHECK(bytes->find("ann") == std::string::npos);

  // Bound to its key, and to its kind of key: an unsubscribe key of the same secret opens none.
  CHECK_FALSE(TrackingKey("another secret of 32 bytes......").verify(click));
  std::string altered = click;
  altered[20] = altered[20] == 'A' ? 'B' : 'A';
  CHECK_FALSE(key.verify(altered));
  CHECK_FALSE(key.verify(""));
  CHECK_FALSE(key.verify(std::string(9000, 'A')));
  const std::vector<TrackingKey> ring{TrackingKey("the new secret, thirty-two bytes"), key};
  CHECK(verify_tracking_token(ring, open).has_value());
  CHECK_FALSE(verify_tracking_token(std::vector<TrackingKey>{ring.front()}, open).has_value());
}

TEST_CASE("tracking adds the pixel and leads the web links through the host, never the unsubscribe link") {
  const std::string html = R"(<html><body><p><a href="https://acme.example/a?x=1&amp;y=2">a</a> )"
                           R"(<A HREF = 'http://acme.example/b'>b</A> <a href="mailto:x@acme.example">m</a> )"
                           R"(<a href="/relative">r</a> <a href="https://acme.example/u/TOKEN">stop</a></p></BODY></html>)";
  const std::string out = add_tracking(html, tracked(true, true), "https://acme.example/u/TOKEN");
  CHECK(out == R"(<html><body><p><a href="https://t.acme.example/c/[https://acme.example/a?x=1&amp;y=2]">a</a> )"
               R"(<A HREF = 'https://t.acme.example/c/[http://acme.example/b]'>b</A> <a href="mailto:x@acme.example">m</a> )"
               R"(<a href="/relative">r</a> <a href="https://acme.example/u/TOKEN">stop</a></p>)"
               R"(<img src="https://t.acme.example/o/PIXEL" width="1" height="1" alt=""></BODY></html>)");
  // Opens only: links kept; clicks only: no pixel; a fragment without </body> gets it at the end.
  CHECK(add_tracking(html, tracked(true, false), "").find("/c/[") == std::string::npos);
  CHECK(add_tracking(html, tracked(false, true), "").find("<img") == std::string::npos);
  CHECK(add_tracking("<p>hi</p>", tracked(true, false), "") ==
        R"(<p>hi</p><img src="https://t.acme.example/o/PIXEL" width="1" height="1" alt="">)");
  // Only the links a person follows: not a stylesheet, a base, or an attribute that ends in href.
  for (const std::string other : {R"(<link rel="stylesheet" href="https://fonts.example/css">)",
                                  R"(<base href="https://acme.example/">)", R"(<a data-href="https://acme.example/x">)",
                                  R"(<p>see href="https://acme.example/x"</p>)"}) {
    CHECK(add_tracking(other, tracked(false, true), "") == other);
  }
  CHECK(add_tracking(R"(<area shape="rect" href="https://acme.example/x">)", tracked(false, true), "") ==
        R"(<area shape="rect" href="https://t.acme.example/c/[https://acme.example/x]">)");
  // Character references are read as the browser reads them.
  CHECK(add_tracking(R"(<a href="https://acme.example/?a=1&#38;b=2&#x26;c=3">x</a>)", tracked(false, true), "") ==
        R"(<a href="https://t.acme.example/c/[https://acme.example/?a=1&amp;b=2&amp;c=3]">x</a>)");
  // A link too long for a tracked one stays as it is.
  const std::string long_link = R"(<a href="https://acme.example/)" + std::string(2100, 'x') + R"(">x</a>)";
  CHECK(add_tracking(long_link, tracked(false, true), "") == long_link);
  // What is not a quoted web link stays as it is, however it is broken.
  for (const std::string odd : {R"(<a href=https://acme.example/x>)", R"(<a href="https://acme.example/x)",
                                R"(<a href="https://acme.example/a b">)", "href", "<a href=\"javascript:alert(1)\">"}) {
    CHECK(add_tracking(odd, tracked(false, true), "") == odd);
  }
}

TEST_CASE("the tracking setting names an https host and needs the secret that seals its links") {
  auto campaign = CampaignDefinition::from_json(campaign_json(R"({"host": "https://t.acme.example/", "opens": true})"));
  REQUIRE_MESSAGE(campaign.has_value(), campaign.error().to_string());
  CHECK(campaign->tracking == TrackingSettings{"https://t.acme.example", true, false});
  auto again = CampaignDefinition::from_json(campaign->to_json());
  REQUIRE(again.has_value());
  CHECK(again->tracking == campaign->tracking);
  auto off = CampaignDefinition::from_json(campaign_json("{}"));
  REQUIRE(off.has_value());
  CHECK(off->to_json().find("\"tracking\"") == std::string::npos);

  const struct {
    std::string tracking;
    std::string unsubscribe;
    const char* path;
    const char* says;
  } bad[] = {
      {R"({"opens": true})", R"("secret_env": "S")", "tracking.host", "required when opens or clicks"},
      {R"({"host": "http://t.acme.example", "clicks": true})", R"("secret_env": "S")", "tracking.host", "https://"},
      {R"({"host": "https://t.acme.example/?x=1", "clicks": true})", R"("secret_env": "S")", "tracking.host", "without a query"},
      {R"({"host": "https://t.acme.example", "clicks": true})", R"("mailto": "u@acme.example")", "tracking.clicks",
       "needs unsubscribe.secret_env"},
      {R"({"host": "https://t.acme.example", "pixels": true})", R"("secret_env": "S")", "tracking.pixels", "unknown"},
  };
  for (const auto& each : bad) {
    auto read = CampaignDefinition::from_json(campaign_json(each.tracking, each.unsubscribe));
    REQUIRE_FALSE_MESSAGE(read.has_value(), each.tracking);
    CHECK_MESSAGE(read.error().to_string().find(each.path) != std::string::npos, read.error().to_string());
    CHECK_MESSAGE(read.error().to_string().find(each.says) != std::string::npos, read.error().to_string());
  }
}

}  // TEST_SUITE

}  // namespace outreach
