#include <doctest/doctest.h>

#include "outreach/error.hpp"

using outreach::Errc;
using outreach::Error;
using outreach::Location;

TEST_CASE("an error names its file, line, JSON path and character offset") {
  Location where;
  where.file = "campaign.json";
  where.line = 12;
  where.json_path = "steps[0].variants[1].subject";
  where.offset = 7;
  const Error error(Errc::parse_error, "unterminated {{", where);
  CHECK(error.to_string() == "campaign.json:12: steps[0].variants[1].subject: unterminated {{ (character 7)");
  CHECK(error.code() == Errc::parse_error);
}

TEST_CASE("an error without a location is just its message") {
  CHECK(Error(Errc::io_error, "disk full").to_string() == "disk full");
}

TEST_CASE("error codes have stable names and values") {
  CHECK(outreach::to_string(Errc::missing_field) == "missing_field");
  CHECK(outreach::to_string(Errc::unknown_key) == "unknown_key");
  CHECK(static_cast<int>(Errc::invalid_argument) == 1);
  CHECK(static_cast<int>(Errc::internal) == 13);
}

TEST_CASE("prefixing a JSON path applies to every error found in the same pass") {
  Error first(Errc::invalid_value, "weight must be positive", Location::at("variants[0].weight"));
  first.add_other(Error(Errc::unknown_key, "unknown key \"x\"", Location::at("[1].x")));
  const Error moved = first.under("steps[2]").in_file("seq.json");
  CHECK(moved.where().json_path == "steps[2].variants[0].weight");
  REQUIRE(moved.others().size() == 1);
  CHECK(moved.others()[0].where().json_path == "steps[2][1].x");
  CHECK(moved.others()[0].where().file == "seq.json");
}

namespace {
outreach::expected<int> parse_positive(int value) {
  if (value <= 0) return outreach::fail(Errc::invalid_value, "not positive");
  return value;
}
}  // namespace

TEST_CASE("expected carries either the value or the error") {
  const auto good = parse_positive(3);
  REQUIRE(good.has_value());
  CHECK(*good == 3);
  const auto bad = parse_positive(-1);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == Errc::invalid_value);
}
