// Address parsing and validation, and IDNA conversion of domains (Punycode, RFC 3492).
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "mail/encoding.hpp"
#include "outreach/address.hpp"

using outreach::Address;
using outreach::Errc;

namespace {

Address parsed(std::string_view text) {
  auto address = Address::parse(text);
  INFO("input: ", text);
  REQUIRE_MESSAGE(address.has_value(), address.error().to_string());
  return *address;
}

// The error `parse` gives; fails the test when it succeeds.
outreach::Error parse_error(std::string_view text) {
  auto address = Address::parse(text);
  INFO("input: ", text);
  REQUIRE_FALSE(address.has_value());
  return address.error();
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string punycode(std::string_view label) {
  std::string out;
  REQUIRE(outreach::detail::append_punycode(out, label));
  return out;
}

}  // namespace

TEST_SUITE("test_address") {

TEST_CASE("a bare address parses with no display name") {
  const Address address = parsed("alice@acme.example");
  CHECK(address.name.empty());
  CHECK(address.email == "alice@acme.example");
  CHECK(address.local_part() == "alice");
  CHECK(address.domain() == "acme.example");
}

TEST_CASE("an address in angle brackets parses with no display name") {
  const Address address = parsed("<alice@acme.example>");
  CHECK(address.name.empty());
  CHECK(address.email == "alice@acme.example");
}

TEST_CASE("a name and an address in angle brackets parse into name and email") {
  const Address address = parsed("Alice Doe <alice@acme.example>");
  CHECK(address.name == "Alice Doe");
  CHECK(address.email == "alice@acme.example");
}

TEST_CASE("spaces around the name and the address are ignored, case is kept") {
  const Address address = parsed("   Alice   Doe    <  Alice@ACME.example >  ");
  CHECK(address.name == "Alice   Doe");
  CHECK(address.email == "Alice@ACME.example");
}

TEST_CASE("a quoted display name may contain commas, angle brackets and escaped quotes") {
  CHECK(parsed("\"Doe, Jane\" <jane@example.com>").name == "Doe, Jane");
  CHECK(parsed("\"Jane \\\"JD\\\" Doe\" <jane@example.com>").name == "Jane \"JD\" Doe");
  CHECK(parsed("\"back\\\\slash\" <jane@example.com>").name == "back\\slash");
  CHECK(parsed("\"<not@an.address>\" <jane@example.com>").name == "<not@an.address>");
  CHECK(parsed("\"\" <jane@example.com>").name.empty());
  CHECK(parsed("\"Jane\"<jane@example.com>").email == "jane@example.com");
}

TEST_CASE("UTF-8 display names, local parts and domains are accepted") {
  const Address german = parsed("Jürgen Groß <jürgen@bücher.example>");
  CHECK(german.name == "Jürgen Groß");
  CHECK(german.local_part() == "jürgen");
  CHECK(german.domain() == "bücher.example");
  CHECK(german.needs_smtputf8());

  const Address japanese = parsed("山田太郎 <taro@例え.テスト>");
  CHECK(japanese.name == "山田太郎");
  CHECK_FALSE(japanese.needs_smtputf8());

  CHECK(parsed("\"😀 Emoji\" <😀@example.com>").needs_smtputf8());
}

TEST_CASE("an ASCII local part does not need SMTPUTF8 even with a UTF-8 domain") {
  CHECK_FALSE(parsed("anna@münchen.de").needs_smtputf8());
}

TEST_CASE("dot-atom local parts with every atext character are accepted") {
  CHECK(parsed("first.last+tag@example.com").local_part() == "first.last+tag");
  CHECK(parsed("!#$%&'*+-/=?^_`{|}~@example.com").email == "!#$%&'*+-/=?^_`{|}~@example.com");
  CHECK(parsed("a@localhost").domain() == "localhost");
}

TEST_CASE("an address without '@' is rejected") {
  const auto error = parse_error("alice.example.com");
  CHECK(error.code() == Errc::invalid_value);
  CHECK(contains(error.message(), "no '@'"));
  CHECK(contains(parse_error("Alice <alice>").message(), "no '@'"));
}

TEST_CASE("an empty local part or domain is rejected") {
  CHECK(contains(parse_error("@example.com").message(), "empty local part"));
  CHECK(contains(parse_error("alice@").message(), "empty domain"));
  CHECK(contains(parse_error("").message(), "empty"));
  CHECK(contains(parse_error("   ").message(), "empty"));
  CHECK(contains(parse_error("Alice <>").message(), "empty"));
}

TEST_CASE("more than one '@' is rejected") {
  CHECK(contains(parse_error("a@b@example.com").message(), "more than one '@'"));
}

TEST_CASE("spaces inside the address are rejected, ASCII or Unicode") {
  CHECK(contains(parse_error("john doe@example.com").message(), "space"));
  CHECK(contains(parse_error("Name <john doe@example.com>").message(), "space"));
  CHECK(contains(parse_error("john@exa mple.com").message(), "space"));
  CHECK(contains(parse_error("john\xC2\xA0" "doe@example.com").message(), "U+00A0"));
  CHECK(contains(parse_error("john\xE3\x80\x80@example.com").message(), "U+3000"));
}

TEST_CASE("control characters anywhere in the address are rejected") {
  static constexpr std::string_view controls[] = {"\r", "\n", "\r\n", "\t", std::string_view("\0", 1), "\x7F", "\x1B", "\xC2\x85"};
  for (const std::string_view control : controls) {
    std::string inside = "ali";
    inside.append(control).append("ce@example.com");
    std::string in_domain = "alice@exam";
    in_domain.append(control).append("ple.com");
    std::string injected = "alice@example.com";
    injected.append(control).append("Bcc: victim@example.com");
    for (const std::string& text : {inside, in_domain, injected, "Alice <" + inside + ">"}) {
      auto address = Address::parse(text);
      REQUIRE_FALSE(address.has_value());
      CHECK(address.error().code() == Errc::invalid_value);
      CHECK((contains(address.error().message(), "control character") || contains(address.error().message(), "space")));
    }
  }
  CHECK(contains(parse_error("alice@example.com\r\n").message(), "U+000D"));
}

TEST_CASE("control characters in the display name are rejected") {
  CHECK(contains(parse_error("Alice\r\nBcc: x@y <alice@example.com>").message(), "display name contains the control character U+000D"));
  CHECK(contains(parse_error("\"Alice\nBcc: x@y\" <alice@example.com>").message(), "display name"));
  CHECK(contains(parse_error("\"Alice\\\r\" <alice@example.com>").message(), "display name"));
  CHECK(contains(parse_error("Al\tice <alice@example.com>").message(), "U+0009"));
  CHECK(contains(parse_error(std::string_view("Al\0ice <alice@example.com>", 26)).message(), "U+0000"));
}

TEST_CASE("unbalanced angle brackets are rejected") {
  for (const std::string_view text : {"Alice <alice@example.com", "Alice alice@example.com>", "<alice@example.com",
                                      "alice@example.com>", "Alice <<alice@example.com>", "Al>ice <alice@example.com>",
                                      "\"Alice\" <alice@example.com"}) {
    const auto error = parse_error(text);
    CHECK(error.code() == Errc::invalid_value);
    CHECK(contains(error.message(), "angle brackets"));
  }
  CHECK(contains(parse_error("Alice <alice@example.com> trailing").message(), "after '>'"));
  CHECK(contains(parse_error("<a@example.com> <b@example.com>").message(), "after '>'"));
}

TEST_CASE("a quoted display name must be closed and followed by an address in angle brackets") {
  CHECK(contains(parse_error("\"Alice <alice@example.com>").message(), "closing"));
  CHECK(contains(parse_error("\"Alice\" alice@example.com").message(), "angle brackets"));
  CHECK(contains(parse_error("Jane \"JD\" Doe <jane@example.com>").message(), "quoted string"));
}

TEST_CASE("domain labels that are empty, too long or start or end with '-' are rejected") {
  CHECK(contains(parse_error("a@example..com").message(), "empty label"));
  CHECK(contains(parse_error("a@.example.com").message(), "empty label"));
  CHECK(contains(parse_error("a@example.com.").message(), "empty label"));
  CHECK(contains(parse_error("a@-example.com").message(), "'-'"));
  CHECK(contains(parse_error("a@example-.com").message(), "'-'"));
  CHECK(contains(parse_error("a@exa_mple.com").message(), "'_'"));
  CHECK(contains(parse_error("a@[192.0.2.1]").message(), "literals"));
  const std::string label63(63, 'x');
  CHECK(parsed("a@" + label63 + ".com").domain().size() == 67);
  CHECK(contains(parse_error("a@" + label63 + "x.com").message(), "longer than 63"));
}

TEST_CASE("a domain longer than 253 octets is rejected") {
  std::string domain;
  while (domain.size() < 250) domain += std::string(49, 'd') + ".";
  domain += "com";  // 253 octets
  REQUIRE(domain.size() == 253);
  CHECK(outreach::domain_to_ascii(domain).has_value());
  CHECK(contains(parse_error("a@" + domain + "m").message(), "longer than 253"));
  const auto too_long = outreach::domain_to_ascii(domain + "m");
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().code() == Errc::invalid_value);
}

TEST_CASE("local parts that are quoted, too long or badly dotted are rejected") {
  CHECK(contains(parse_error("\"john\"@example.com").message(), "quoted local parts"));
  CHECK(contains(parse_error("<\"john.doe\"@example.com>").message(), "quoted local parts"));
  CHECK(contains(parse_error(".john@example.com").message(), "dot"));
  CHECK(contains(parse_error("john.@example.com").message(), "dot"));
  CHECK(contains(parse_error("jo..hn@example.com").message(), "dot"));
  CHECK(contains(parse_error("jo,hn@example.com").message(), "','"));
  CHECK(contains(parse_error("jo(hn)@example.com").message(), "'('"));
  CHECK(parsed(std::string(64, 'l') + "@example.com").local_part().size() == 64);
  CHECK(contains(parse_error(std::string(65, 'l') + "@example.com").message(), "longer than 64"));
}

TEST_CASE("invalid UTF-8 is rejected as invalid_utf8 with the character offset") {
  const auto in_address = parse_error("al\xFFice@example.com");
  CHECK(in_address.code() == Errc::invalid_utf8);
  REQUIRE(in_address.where().offset.has_value());
  CHECK(*in_address.where().offset == 2);
  CHECK(parse_error("J\xC3 <j@example.com>").code() == Errc::invalid_utf8);
  CHECK(parse_error("a@b\xED\xA0\x80.com").code() == Errc::invalid_utf8);  // a surrogate
  CHECK(parse_error("a@b\xC0\xAF.com").code() == Errc::invalid_utf8);      // an overlong '/'
}

TEST_CASE("validate applies the parse rules to a hand-built address") {
  CHECK(Address{"Alice", "alice@example.com"}.validate().has_value());
  CHECK(Address{"", "alice@example.com"}.validate().has_value());
  CHECK(Address{"Doe, \"Jane\" <x>", "alice@example.com"}.validate().has_value());
  const auto name_injection = Address{"Alice\r\nBcc: x@y", "alice@example.com"}.validate();
  REQUIRE_FALSE(name_injection.has_value());
  CHECK(name_injection.error().code() == Errc::invalid_value);
  CHECK_FALSE(Address{"Alice", "alice@example.com\r\nBcc: x@y"}.validate().has_value());
  CHECK_FALSE(Address{"Alice", " alice@example.com"}.validate().has_value());
  CHECK_FALSE(Address{"Alice", "<alice@example.com>"}.validate().has_value());
  CHECK(Address{"\xFF", "alice@example.com"}.validate().error().code() == Errc::invalid_utf8);
}

TEST_CASE("an address without '@' has its whole text as local part and no domain") {
  const Address address{"", "nobody"};
  CHECK(address.local_part() == "nobody");
  CHECK(address.domain().empty());
}

TEST_CASE("domain_to_ascii writes known internationalized domains as A-labels") {
  CHECK(outreach::domain_to_ascii("bücher.example").value() == "xn--bcher-kva.example");
  CHECK(outreach::domain_to_ascii("münchen.de").value() == "xn--mnchen-3ya.de");
  CHECK(outreach::domain_to_ascii("例え.テスト").value() == "xn--r8jz45g.xn--zckzah");
  CHECK(outreach::domain_to_ascii("παράδειγμα.δοκιμή").value() == "xn--hxajbheg2az3al.xn--jxalpdlp");
  CHECK(outreach::domain_to_ascii("пример.рф").value() == "xn--e1afmkfd.xn--p1ai");
  CHECK(outreach::domain_to_ascii("日本語.jp").value() == "xn--wgv71a119e.jp");
  CHECK(outreach::domain_to_ascii("☕.example").value() == "xn--53h.example");
  // IDNA2008 keeps ß (IDNA2003 mapped it to "ss").
  CHECK(outreach::domain_to_ascii("straße.de").value() == "xn--strae-oqa.de");
}

TEST_CASE("domain_to_ascii lower-cases ASCII letters and leaves other letters to the caller") {
  CHECK(outreach::domain_to_ascii("ACME.Example").value() == "acme.example");
  CHECK(outreach::domain_to_ascii("Bücher.EXAMPLE").value() == "xn--bcher-kva.example");
  CHECK(outreach::domain_to_ascii("xn--BCHER-kva.example").value() == "xn--bcher-kva.example");
  // No Unicode case mapping: an upper-case Ü is a different label.
  CHECK(outreach::domain_to_ascii("BÜCHER.example").value() != "xn--bcher-kva.example");
}

TEST_CASE("domain_to_ascii measures label length in the ASCII form") {
  // 20 different CJK characters: 60 octets of UTF-8, 64 once encoded; 12 of them fit.
  const auto cjk_label = [](int count) {
    std::string label;
    for (int i = 0; i < count; ++i) {
      const int point = 0x4E00 + i * 397;
      label.push_back(static_cast<char>(0xE0 | (point >> 12)));
      label.push_back(static_cast<char>(0x80 | ((point >> 6) & 0x3F)));
      label.push_back(static_cast<char>(0x80 | (point & 0x3F)));
    }
    return label;
  };
  const auto fits = outreach::domain_to_ascii(cjk_label(12) + ".jp");
  REQUIRE(fits.has_value());
  CHECK(fits->size() == 40 + 3);
  const auto too_long = outreach::domain_to_ascii(cjk_label(20) + ".jp");
  REQUIRE_FALSE(too_long.has_value());
  CHECK(contains(too_long.error().message(), "longer than 63 octets in ASCII form"));

  std::string huge_label;
  for (int i = 0; i < 1000; ++i) huge_label += "\xC3\xBC";  // ü
  const auto huge = outreach::domain_to_ascii(huge_label + ".de");
  REQUIRE_FALSE(huge.has_value());
  CHECK(contains(huge.error().message(), "longer than 63"));
}

TEST_CASE("domain_to_ascii rejects empty labels, bad characters and invalid UTF-8") {
  CHECK(outreach::domain_to_ascii("").error().code() == Errc::invalid_value);
  CHECK(outreach::domain_to_ascii("a..b").error().code() == Errc::invalid_value);
  CHECK(outreach::domain_to_ascii("-ü.de").error().code() == Errc::invalid_value);
  CHECK(outreach::domain_to_ascii("ü-.de").error().code() == Errc::invalid_value);
  CHECK(outreach::domain_to_ascii("exa\r\nmple.com").error().code() == Errc::invalid_value);
  CHECK(outreach::domain_to_ascii("exa mple.com").error().code() == Errc::invalid_value);
  CHECK(outreach::domain_to_ascii("b\xFC" "cher.de").error().code() == Errc::invalid_utf8);
}

TEST_CASE("Punycode encodes the RFC 3492 sample strings") {
  // RFC 3492 section 7.1; basic code points keep their case.
  CHECK(punycode("ليهمابتكلموشعربي؟") == "egbpdaj6bu4bxfgehfvwxn");                          // (A) Arabic
  CHECK(punycode("他们为什么不说中文") == "ihqwcrb4cv8a8dqg056pqjye");                       // (B) Chinese
  CHECK(punycode("他們爲什麽不說中文") == "ihqwctvzc91f659drss3x8bo0yb");                    // (C) Chinese
  CHECK(punycode("Pročprostěnemluvíčesky") == "Proprostnemluvesky-uyb24dma41a");            // (D) Czech
  CHECK(punycode("למההםפשוטלאמדבריםעברית") == "4dbcagdahymbxekheh6e0a7fei0b");              // (E) Hebrew
  CHECK(punycode("なぜみんな日本語を話してくれないのか") == "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa");  // (G)
  CHECK(punycode("3年B組金八先生") == "3B-ww4c5e180e575a65lsy2b");                           // (L)
  CHECK(punycode("安室奈美恵-with-SUPER-MONKEYS") == "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n");  // (M)
  CHECK(punycode("Hello-Another-Way-それぞれの場所") == "Hello-Another-Way--fc4qua05auwb3674vfr0b");  // (N)
  CHECK(punycode("ひとつ屋根の下2") == "2-u9tlzr9756bt3uc0v");                               // (O)
  CHECK(punycode("MajiでKoiする5秒前") == "MajiKoi5-783gue6qz075azm5e");                      // (P)
  CHECK(punycode("パフィーdeルンバ") == "de-jg4avhby1noc0d");                                // (Q)
  CHECK(punycode("そのスピードで") == "d9juau41awczczp");                                    // (R)
  CHECK(punycode("-> $1.00 <-") == "-> $1.00 <--");                                          // (S)
}

TEST_CASE("Punycode encodes 4-byte characters") {
  CHECK(punycode("😀") == "e28h");
  CHECK(punycode("a😀b") == "ab-no82a");
}

}  // TEST_SUITE
