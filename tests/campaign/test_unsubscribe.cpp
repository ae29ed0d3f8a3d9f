// Unsubscribe tokens: opaque, stable, bound to their key; the key ring; the signed format of
// earlier versions still verified.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>
#include <vector>

#include "outreach/campaign.hpp"
#include "outreach/unsubscribe.hpp"
#include "util/base64url.hpp"

namespace outreach {

namespace {

constexpr std::string_view secret = "s3cret-key-of-32-bytes-for-tests";

// A token in the signed format 0.1 wrote: base64url(campaign "\n" lead) "." base64url(HMAC).
std::string signed_token(std::string_view key, std::string_view campaign, std::string_view lead) {
  const std::string payload = std::string(campaign) + "\n" + std::string(lead);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), mac, &size);
  return detail::base64url(payload) + "." + detail::base64url(std::string(reinterpret_cast<const char*>(mac), size));
}

}  // namespace

TEST_SUITE("test_campaign") {

TEST_CASE("an unsubscribe token names its campaign and lead to its key alone, and shows neither") {
  const UnsubscribeKey key(secret);
  const std::string token = key.token("q4-saas", "ann@alpha.example");
  CHECK(key.verify(token) == UnsubscribeTarget{"q4-saas", "ann@alpha.example"});
  CHECK(verify_unsubscribe_token(secret, token) == UnsubscribeTarget{"q4-saas", "ann@alpha.example"});
  CHECK(make_unsubscribe_token(secret, "q4-saas", "ann@alpha.example") == token);

  // URL-safe, and opaque: neither the address nor the campaign can be read out of it, in any
  // alignment of base64.
  CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  const auto bytes = detail::from_base64url(token);
  REQUIRE(bytes.has_value());
  CHECK(bytes->find("ann") == std::string::npos);
  CHECK(bytes->find("alpha") == std::string::npos);
  CHECK(bytes->find("q4") == std::string::npos);
  for (std::size_t shift = 0; shift < 3; ++shift) {
    const std::string clear = detail::base64url(std::string(shift, 'x') + "ann@alpha.example");
    CHECK(token.find(clear.substr(4, 12)) == std::string::npos);
  }

  // Stable for a lead (every message carries the same link), different for every other lead.
  CHECK(key.token("q4-saas", "ann@alpha.example") == token);
  CHECK(key.token("q4-saas", "bob@alpha.example") != token);
  CHECK(key.token("q5-saas", "ann@alpha.example") != token);
  CHECK(UnsubscribeKey("another secret of 32 bytes......").token("q4-saas", "ann@alpha.example") != token);
}

TEST_CASE("a token altered anywhere, or opened with another key, verifies as nothing") {
  const UnsubscribeKey key(secret);
  const std::string token = key.token("q4", "ann@alpha.example");
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = alphabet[(alphabet.find(token[i]) + 1) % alphabet.size()];
    // The last character may carry only padding bits, which decoding refuses when set.
    CHECK_MESSAGE(!key.verify(altered).has_value(), "altered at " << i);
  }
  CHECK_FALSE(UnsubscribeKey("another secret of 32 bytes......").verify(token));
  CHECK_FALSE(key.verify(token.substr(0, token.size() - 1)));
  CHECK_FALSE(key.verify(token + "A"));
  for (const std::string_view junk : {"", "A", "AAAA", "no-dot-here", "..", "a.b", "\xff\xfe.\x80", "AQ"}) {
    CHECK_FALSE(key.verify(junk));
  }
  CHECK_FALSE(key.verify(std::string(5000, 'A')));

  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string noise(random() % 200, '\0');
    for (char& c : noise) c = alphabet[random() % alphabet.size()];
    CHECK_FALSE(key.verify(noise));
  }
}

TEST_CASE("a key ring opens tokens of every secret in it, and those of earlier versions") {
  const UnsubscribeKey current("the current secret, 32 bytes ...");
  const UnsubscribeKey rotated("the secret of last year, 32 byte");
  const std::vector<UnsubscribeKey> ring{current, rotated};
  const std::string old = rotated.token("q4", "ann@alpha.example");
  CHECK(verify_unsubscribe_token(ring, old) == UnsubscribeTarget{"q4", "ann@alpha.example"});
  CHECK(verify_unsubscribe_token(ring, current.token("q4", "bob@alpha.example")) ==
        UnsubscribeTarget{"q4", "bob@alpha.example"});
  CHECK_FALSE(verify_unsubscribe_token(std::vector<UnsubscribeKey>{current}, old));
  CHECK_FALSE(verify_unsubscribe_token(std::vector<UnsubscribeKey>{}, old));

  // Mail sent by 0.1 carries signed tokens: they still verify with their secret, and only with it.
  const std::string signed_link = signed_token("the secret of last year, 32 byte", "q4", "cy@alpha.example");
  CHECK(verify_unsubscribe_token(ring, signed_link) == UnsubscribeTarget{"q4", "cy@alpha.example"});
  CHECK_FALSE(current.verify(signed_link));
  std::string forged = signed_link;
  forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(rotated.verify(forged));
}

TEST_CASE("previous_secret_envs names the variables of rotated secrets, and is written back only when set") {
  const std::string base = R"({"name": "c", "sequence": {"name": "s", "steps": [{"variants": [{"subject": "Hi",
      "text": "Hello"}]}]}, "leads": [{"email": "a@b.example"}], "mailboxes": [{"id": "m", "from": "m@b.example", "daily_limit": 10}],
      "schedule": {"timezone": "UTC", "days": ["mon"], "hours": ["09:00-17:00"]},
      "unsubscribe": {"url": "https://acme.example/u/{{token}}", "secret_env": "SECRET_NOW")";
  auto campaign = CampaignDefinition::from_json(base + R"(, "previous_secret_envs": ["SECRET_2025", "SECRET_2024"]}})");
  REQUIRE(campaign.has_value());
  CHECK(campaign->unsubscribe.previous_secret_envs == std::vector<std::string>{"SECRET_2025", "SECRET_2024"});
  auto again = CampaignDefinition::from_json(campaign->to_json());
  REQUIRE(again.has_value());
  CHECK(again->unsubscribe == campaign->unsubscribe);

  auto without = CampaignDefinition::from_json(base + "}}");
  REQUIRE(without.has_value());
  CHECK(without->to_json().find("previous_secret_envs") == std::string::npos);

  auto bad = CampaignDefinition::from_json(base + R"(, "previous_secret_envs": ["OK", "not a name", 3]}})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().to_string().find("unsubscribe.previous_secret_envs[1]") != std::string::npos);
  REQUIRE(bad.error().others().size() == 1);
  CHECK(bad.error().others().front().to_string().find("unsubscribe.previous_secret_envs[2]") != std::string::npos);
  auto not_a_list = CampaignDefinition::from_json(base + R"(, "previous_secret_envs": "SECRET_2025"}})");
  REQUIRE_FALSE(not_a_list.has_value());
  CHECK(not_a_list.error().to_string().find("expected a list of environment variable names") != std::string::npos);
}

}  // TEST_SUITE

}  // namespace outreach
