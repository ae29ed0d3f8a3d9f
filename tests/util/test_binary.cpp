// The binary encoding of snapshots: values read back as written, and a reader that never runs
// past its input or trusts a count the input cannot hold; `hash_text` sees every byte.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "util/binary.hpp"
#include "util/hash.hpp"

using namespace outreach::detail;

TEST_CASE("every value a binary writer writes is read back as it was") {
  const std::vector<std::uint64_t> unsigned_values{0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX,
                                                   std::numeric_limits<std::uint64_t>::max()};
  const std::vector<std::int64_t> signed_values{0, 1, -1, 63, -64, 64, -65, INT32_MIN, INT64_MAX, INT64_MIN};
  BinaryWriter out;
  for (const std::uint64_t value : unsigned_values) out.varint(value);
  for (const std::int64_t value : signed_values) out.svarint(value);
  out.u8(0xAB);
  out.u64(0x0102030405060708ull);
  out.f64(-0.125);
  out.bytes(std::string("with\0zero", 9));
  const std::string bytes = std::move(out).take();

  BinaryReader in(bytes);
  for (const std::uint64_t value : unsigned_values) CHECK(in.varint() == value);
  for (const std::int64_t value : signed_values) CHECK(in.svarint() == value);
  CHECK(in.u8() == 0xAB);
  CHECK(in.u64() == 0x0102030405060708ull);
  CHECK(in.f64() == -0.125);
  CHECK(in.bytes() == std::string_view("with\0zero", 9));
  CHECK(in.ok());
  CHECK(in.at_end());
  for (const std::int64_t value : signed_values) CHECK(unzigzag(zigzag(value)) == value);
}

TEST_CASE("a binary reader fails, and stays failed, at input that ends early or cannot be what it says") {
  BinaryWriter out;
  out.bytes("twelve bytes");
  const std::string bytes = std::move(out).take();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    BinaryReader in(std::string_view(bytes).substr(0, cut));
    CHECK(in.bytes().empty());
    CHECK_FALSE(in.ok());
    CHECK(in.u8() == 0);
    CHECK_FALSE(in.ok());
  }
  SUBCASE("a varint longer than ten bytes") {
    const std::string endless(11, '\x80');
    BinaryReader in(endless);
    (void)in.varint();
    CHECK_FALSE(in.ok());
  }
  SUBCASE("a count the rest of the input cannot hold") {
    BinaryWriter counted;
    counted.varint(1000000000);
    counted.bytes("a few");
    const std::string input = std::move(counted).take();
    BinaryReader in(input);
    CHECK(in.count(1) == 0);
    CHECK_FALSE(in.ok());
  }
  SUBCASE("a length past the end") {
    BinaryWriter lying;
    lying.varint(std::numeric_limits<std::uint64_t>::max());
    const std::string input = std::move(lying).take();
    BinaryReader in(input);
    CHECK(in.bytes().empty());
    CHECK_FALSE(in.ok());
  }
}

TEST_CASE("hash_text changes with any byte of the text, its tail and its length included") {
  std::string text;
  for (int i = 0; i < 37; ++i) text.push_back(static_cast<char>('a' + i % 26));
  const std::uint64_t base = hash_text(text);
  CHECK(hash_text(text) == base);
  for (std::size_t at = 0; at < text.size(); ++at) {
    std::string changed = text;
    changed[at] = static_cast<char>(changed[at] ^ 1);
    CHECK_MESSAGE(hash_text(changed) != base, "byte " << at);
  }
  CHECK(hash_text(text + std::string(1, '\0')) != base);
  CHECK(hash_text(text.substr(0, 36)) != base);
  CHECK(hash_text("") != hash_text(std::string(1, '\0')));
}
