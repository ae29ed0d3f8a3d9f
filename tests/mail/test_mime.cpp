// Reading received mail: header fields (RFC 5322, RFC 2047), MIME structure and parameters
// (RFC 2045, 2046, 2231), transfer encodings and charsets, the readable text, message ids and
// addresses; then hostile input: truncations, random bytes, nesting, sizes built to expose
// quadratic work. Expected values come from the RFCs' own examples where they give them.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/charset.hpp"
#include "mail/mime_decode.hpp"
#include "mail/mime_html.hpp"
#include "util/utf8.hpp"
#include "outreach/address.hpp"
#include "outreach/message.hpp"
#include "outreach/mime.hpp"

using outreach::HeaderField;
using outreach::MimeLimits;
using outreach::MimePart;

namespace {

// Messages are written with LF in the tests and sent as mail is: with CRLF.
std::string crlf(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

MimePart parse(std::string_view raw, const MimeLimits& limits = {}) {
  auto message = outreach::parse_message(raw, limits);
  REQUIRE(message.has_value());
  return std::move(*message);
}

std::string header_value(std::string_view raw_field) {
  const std::vector<HeaderField> fields = outreach::parse_header_block(raw_field);
  REQUIRE(fields.size() == 1);
  return fields.front().value;
}

std::string qp(std::string_view encoded) {
  std::string out;
  outreach::detail::append_quoted_printable_decoded(out, encoded);
  return out;
}

std::string base64(std::string_view encoded) {
  std::string out;
  outreach::detail::append_base64_decoded(out, encoded);
  return out;
}

std::string content_type_parameter(std::string_view raw_value, std::string_view name) {
  const auto value = outreach::detail::parse_parameterized_value(raw_value, 100);
  for (const auto& [key, parameter] : value.parameters) {
    if (key == name) return parameter;
  }
  return "<missing>";
}

std::size_t depth_of(const MimePart& part) {
  std::size_t deepest = 0;
  std::vector<std::pair<const MimePart*, std::size_t>> to_visit{{&part, 0}};
  while (!to_visit.empty()) {
    const auto [next, depth] = to_visit.back();
    to_visit.pop_back();
    deepest = std::max(deepest, depth);
    for (const MimePart& child : next->parts) to_visit.emplace_back(&child, depth + 1);
  }
  return deepest;
}

std::size_t count_parts(const MimePart& part) {
  std::size_t count = 0;
  std::vector<const MimePart*> to_visit{&part};
  while (!to_visit.empty()) {
    const MimePart* next = to_visit.back();
    to_visit.pop_back();
    for (const MimePart& child : next->parts) {
      ++count;
      to_visit.push_back(&child);
    }
  }
  return count;
}

// What every reading promises, whatever the input: UTF-8 single-line header values, UTF-8 text,
// a media type, and helpers that accept whatever the values are.
void check_promises(const MimePart& message) {
  std::vector<const MimePart*> to_visit{&message};
  while (!to_visit.empty()) {
    const MimePart* part = to_visit.back();
    to_visit.pop_back();
    for (const HeaderField& field : part->headers) {
      REQUIRE(outreach::detail::is_valid_utf8(field.value));
      REQUIRE(field.value.find_first_of("\r\n") == std::string::npos);
      static_cast<void>(outreach::message_ids_in(field.value));
      static_cast<void>(outreach::addresses_in(field.value));
    }
    for (const auto& [name, value] : part->parameters) {
      REQUIRE(outreach::detail::is_valid_utf8(value));
      REQUIRE(value.find_first_of("\r\n") == std::string::npos);
    }
    REQUIRE(part->media_type.find('/') != std::string::npos);
    if (part->is("text/") || part->is("message/")) {
      REQUIRE(outreach::detail::is_valid_utf8(part->body));
      REQUIRE(part->body.find('\r') == std::string::npos);
      static_cast<void>(outreach::parse_header_blocks(part->body));
    }
    for (const MimePart& child : part->parts) to_visit.push_back(&child);
  }
  REQUIRE(outreach::detail::is_valid_utf8(outreach::readable_text(message)));
}

const std::string rich_message = crlf(
    "Return-Path: <>\n"
    "From: =?utf-8?q?Mail_Delivery_System?= <MAILER-DAEMON@mx.example>\n"
    "To: Ana <ana@example.com>\n"
    "Subject: =?iso-8859-1?q?Undelivered_Mail_Returned_to_Sender_=E9t=E9?=\n"
    "Message-ID: <bounce-1@mx.example>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"outer\"\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=outer-1\n"
    "\n"
    "--outer-1\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Your message could not be delivered: caf=E9=\n"
    " closed.\n"
    "--outer-1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "PHA+WW91ciBtZXNzYWdlIGNvdWxkIG5vdCBiZSBkZWxpdmVyZWQ8L3A+\n"
    "--outer-1--\n"
    "--outer\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example\n"
    "\n"
    "Final-Recipient: rfc822; bob@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: Ana <ana@example.com>\n"
    "To: bob@example.org\n"
    "Subject: Hello Bob\n"
    "Message-ID: <seq-1-step-1@outreach.example>\n"
    "\n"
    "Hi Bob\n"
    "--outer--\n"
    "epilogue\n");

}  // namespace

TEST_SUITE("test_mime") {

// ---- header fields ---------------------------------------------------------------------

TEST_CASE("mime headers are unfolded, trimmed and end at the first empty line") {
  const MimePart message = parse(crlf(
      "Subject: a long\n"
      "  subject\n"
      "X-Tab:\tvalue\t\n"
      "Empty:\n"
      "To: x@y\n"
      "\n"
      "Not-A-Header: body\n"));
  REQUIRE(message.headers.size() == 4);
  CHECK(message.headers[0].name == "Subject");
  CHECK(message.headers[0].value == "a long  subject");
  CHECK(message.headers[1].value == "value");
  CHECK(message.headers[2].value.empty());
  CHECK(*message.header("to") == "x@y");
  CHECK(message.header("Not-A-Header") == nullptr);
  CHECK(message.body == "Not-A-Header: body\n");
}

TEST_CASE("mime line ends may be CRLF, LF or a bare CR") {
  for (const std::string_view line_end : {"\r\n", "\n", "\r"}) {
    std::string raw;
    for (const std::string_view line : {"Subject: one", " two", "From: a@b", "", "body line 1", "body line 2"}) {
      raw.append(line);
      raw.append(line_end);
    }
    const MimePart message = parse(raw);
    REQUIRE(message.headers.size() == 2);
    CHECK(message.headers[0].value == "one two");
    CHECK(message.body == "body line 1\nbody line 2\n");
  }
}

TEST_CASE("mime a bare CR at the very end ends the last line") {
  const MimePart message = parse("Subject: x\r");
  REQUIRE(message.headers.size() == 1);
  CHECK(message.headers[0].value == "x");
  CHECK(parse("Subject: x\r\r").body.empty());
  CHECK(parse("Subject: x\n\nbody\r").body == "body\n");
}

TEST_CASE("mime junk lines among the header fields are skipped") {
  const MimePart message = parse(
      "From sender@example.com Mon Jan  1 00:00:00 2024\n"
      "Subject: hello\n"
      "this line is no field\n"
      "  and this continues nothing\n"
      "Subject : obsolete space before the colon\n"
      ": no name\n"
      "To: a@b\n"
      "\n"
      "body");
  REQUIRE(message.headers.size() == 3);
  CHECK(message.headers[0].value == "hello");
  CHECK(message.headers[1].name == "Subject");
  CHECK(message.headers[1].value == "obsolete space before the colon");
  CHECK(message.headers[2].value == "a@b");
  CHECK(message.body == "body");
}

TEST_CASE("mime a message with no body, and a message that is only a body") {
  const MimePart no_body = parse("Subject: only a header\r\n");
  CHECK(no_body.headers.size() == 1);
  CHECK(no_body.body.empty());

  const MimePart empty_head = parse("\r\nJust text.\r\n");
  CHECK(empty_head.headers.empty());
  CHECK(empty_head.body == "Just text.\n");

  const MimePart no_head = parse("Hello Bob, this is the text.\nSecond line: not a field\n");
  CHECK(no_head.headers.empty());
  CHECK(no_head.media_type == "text/plain");
  CHECK(no_head.body == "Hello Bob, this is the text.\nSecond line: not a field\n");

  const MimePart indented = parse("    indented first line\nFrom: not a field here\n");
  CHECK(indented.headers.empty());
  CHECK(indented.body == "    indented first line\nFrom: not a field here\n");

  const MimePart empty = parse("");
  CHECK(empty.headers.empty());
  CHECK(empty.body.empty());
  CHECK(empty.media_type == "text/plain");
}

TEST_CASE("mime header fields past the limit are dropped, the body is still found") {
  std::string raw;
  for (int i = 0; i < 50; ++i) raw += "X-Field-" + std::to_string(i) + ": value\r\n continued\r\n";
  raw += "\r\nthe body";
  MimeLimits limits;
  limits.max_header_fields = 10;
  const MimePart message = parse(raw, limits);
  CHECK(message.headers.size() == 10);
  CHECK(message.headers.back().value == "value continued");
  CHECK(message.body == "the body");
}

TEST_CASE("mime find_header compares names without case") {
  const std::vector<HeaderField> fields{{"Subject", "first"}, {"SUBJECT", "second"}};
  REQUIRE(outreach::find_header(fields, "subject") != nullptr);
  CHECK(*outreach::find_header(fields, "subject") == "first");
  CHECK(outreach::find_header(fields, "From") == nullptr);
}

TEST_CASE("mime parse_header_blocks reads a delivery status's per-message and per-recipient blocks") {
  const std::string status =
      "\nReporting-MTA: dns; mx.example\nArrival-Date: today\n\n"
      "Final-Recipient: rfc822; a@x.example\nStatus: 5.1.1\n\n\n"
      "Final-Recipient: rfc822; b@x.example\nStatus: 4.2.2\n";
  const auto blocks = outreach::parse_header_blocks(status);
  REQUIRE(blocks.size() == 3);
  CHECK(*outreach::find_header(blocks[0], "Reporting-MTA") == "dns; mx.example");
  CHECK(*outreach::find_header(blocks[1], "status") == "5.1.1");
  CHECK(*outreach::find_header(blocks[2], "Status") == "4.2.2");

  const auto first = outreach::parse_header_block(status);
  CHECK(first.size() == 2);
  CHECK(outreach::parse_header_blocks(status, 3).size() == 2);
}

// ---- encoded words (RFC 2047) ----------------------------------------------------------

TEST_CASE("mime encoded words: the examples of RFC 2047 section 8") {
  CHECK(header_value("From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>") == "Keith Moore <moore@cs.utk.edu>");
  CHECK(header_value("To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>") ==
        "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>");
  CHECK(header_value("CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>") ==
        "Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>");
  CHECK(header_value("Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
                     "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=") ==
        "If you can read this you understand the example.");
  CHECK(header_value("From: Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
                     "    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)") ==
        "Nathaniel Borenstein <nsb@thumper.bellcore.com>    (\xD7\x9D\xD7\x95\xD7\x9C\xD7\xA9 "
        "\xD7\x9F\xD7\x91 \xD7\x99\xD7\x9C\xD7\x98\xD7\xA4\xD7\xA0)");

  // The table of section 8: white space between adjacent encoded words is dropped.
  CHECK(header_value("X: (=?ISO-8859-1?Q?a?=)") == "(a)");
  CHECK(header_value("X: (=?ISO-8859-1?Q?a?= b)") == "(a b)");
  CHECK(header_value("X: (=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)") == "(ab)");
  CHECK(header_value("X: (=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)") == "(ab)");
  CHECK(header_value("X: (=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)") == "(ab)");
  CHECK(header_value("X: (=?ISO-8859-1?Q?a_b?=)") == "(a b)");
  CHECK(header_value("X: (=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)") == "(a b)");
}

TEST_CASE("mime encoded words: case, language suffix, split characters and charsets") {
  CHECK(header_value("Subject: =?utf-8?q?caf=c3=a9?=") == "caf\xC3\xA9");
  CHECK(header_value("Subject: =?UTF-8?Q?caf=C3=A9?=") == "caf\xC3\xA9");
  CHECK(header_value("Subject: =?US-ASCII*EN?Q?Keith_Moore?=") == "Keith Moore");  // RFC 2231 section 5
  // A character split over two words (common, though RFC 2047 forbids it) is joined first.
  CHECK(header_value("Subject: =?utf-8?q?caf=C3?= =?UTF-8?q?=A9?=") == "caf\xC3\xA9");
  CHECK(header_value("Subject: =?utf-8?b?44GT44KT?= =?utf-8?b?44Gr44Gh44Gv?=") ==
        "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");
  CHECK(header_value("Subject: =?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?=") ==
        "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");
  CHECK(header_value("Subject: =?koi8-r?q?=F0=D2=C9=D7=C5=D4?=") == "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  // Missing padding, and words not separated from text.
  CHECK(header_value("Subject: =?utf-8?b?aGk?=") == "hi");
  CHECK(header_value("Subject: Re:=?utf-8?q?x?=!") == "Re:x!");
  // Q text with spaces in it, as some mailers write it.
  CHECK(header_value("Subject: =?utf-8?q?hello world?=") == "hello world");
}

TEST_CASE("mime malformed encoded words are kept as written") {
  for (const std::string_view raw :
       {"=?utf-8?x?abc?=", "=?utf-8?q?abc", "=??q?abc?=", "=?utf-8?b?a b?=", "=?utf-8?b?abc!?=", "=?utf 8?q?a?=", "=?",
        "=?utf-8?", "=?utf-8?q", "a =? b ?= c"}) {
    CAPTURE(raw);
    CHECK(header_value("Subject: " + std::string(raw)) == raw);
  }
  // The text around a bad word still decodes.
  CHECK(header_value("Subject: =?bad =?utf-8?q?ok?=") == "=?bad ok");
  CHECK(header_value("Subject: =?utf-8?q?=ZZ=4?=") == "=ZZ=4");
}

TEST_CASE("mime decoded values are UTF-8 on one line, whatever the bytes") {
  // Raw UTF-8 is kept, raw windows-1252 is converted.
  CHECK(header_value("Subject: caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(header_value("Subject: caf\xE9 \x93quoted\x94") == "caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D");
  // CR, LF and NUL from encoded words or raw bytes become spaces.
  CHECK(header_value("Subject: =?utf-8?q?a=0D=0AInjected:_yes?=") == "a  Injected: yes");
  CHECK(header_value(std::string("Subject: a\0b", 12)) == "a b");
  // Invalid UTF-8 declared as UTF-8 becomes U+FFFD.
  CHECK(header_value("Subject: =?utf-8?q?a=FFb?=") == "a\xEF\xBF\xBD" "b");
  // An unknown charset: UTF-8 when valid, else windows-1252.
  CHECK(header_value("Subject: =?x-no-such-charset?q?caf=C3=A9?=") == "caf\xC3\xA9");
  CHECK(header_value("Subject: =?x-no-such-charset?q?caf=E9?=") == "caf\xC3\xA9");
  CHECK(header_value("Subject: =?utf-8//IGNORE?q?caf=E9?=") == "caf\xC3\xA9");
}

// ---- charsets --------------------------------------------------------------------------

TEST_CASE("mime charsets convert to UTF-8") {
  using outreach::detail::to_utf8;
  const std::string konnichiwa = "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF";
  CHECK(to_utf8("utf-8", "caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(to_utf8("UTF8", "caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(to_utf8("us-ascii", "plain") == "plain");
  CHECK(to_utf8("us-ascii", "caf\xC3\xA9") == "caf\xC3\xA9");  // mislabelled UTF-8
  CHECK(to_utf8("us-ascii", "caf\xE9") == "caf\xC3\xA9");      // mislabelled Latin-1
  CHECK(to_utf8("iso-8859-1", "caf\xE9") == "caf\xC3\xA9");
  CHECK(to_utf8("ISO-8859-1", "\x93quoted\x94") == "\xE2\x80\x9Cquoted\xE2\x80\x9D");  // read as windows-1252
  CHECK(to_utf8("iso-8859-15", "\xA4") == "\xE2\x82\xAC");
  CHECK(to_utf8("windows-1252", "\x80 \x81") == "\xE2\x82\xAC \xEF\xBF\xBD");
  CHECK(to_utf8("iso-2022-jp", "\x1B\x24\x42\x24\x33\x24\x73\x24\x4B\x24\x41\x24\x4F\x1B\x28\x42") == konnichiwa);
  CHECK(to_utf8("shift_jis", "\x82\xB1\x82\xF1\x82\xC9\x82\xBF\x82\xCD") == konnichiwa);
  CHECK(to_utf8("Shift-JIS", "\x82\xB1\x82\xF1\x82\xC9\x82\xBF\x82\xCD") == konnichiwa);
  CHECK(to_utf8("gb2312", "\xC4\xE3\xBA\xC3") == "\xE4\xBD\xA0\xE5\xA5\xBD");
  CHECK(to_utf8("GBK", "\xC4\xE3\xBA\xC3") == "\xE4\xBD\xA0\xE5\xA5\xBD");
  CHECK(to_utf8("koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4") == "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  CHECK(to_utf8("utf-16", std::string_view("\xFF\xFE\x48\x00\xE9\x00", 6)) == "H\xC3\xA9");
  CHECK(to_utf8("utf-16", std::string_view("\xFE\xFF\x00\x48\x00\xE9", 6)) == "H\xC3\xA9");
  CHECK(to_utf8("utf-16", std::string_view("\x00\x48\x00\xE9", 4)) == "H\xC3\xA9");  // big endian by default
  CHECK(to_utf8("utf-16le", std::string_view("\x48\x00\xE9\x00", 4)) == "H\xC3\xA9");
  CHECK(to_utf8("utf-32", std::string_view("\xFF\xFE\x00\x00\x48\x00\x00\x00", 8)) == "H");
  CHECK(to_utf8("\"utf-8\"", "x") == "x");
}

TEST_CASE("mime charset conversion replaces what it cannot convert and goes on") {
  using outreach::detail::to_utf8;
  const std::string_view fffd = outreach::detail::replacement_character;
  CHECK(to_utf8("utf-8", "a\xC3(b") == std::string("a") + std::string(fffd) + "(b");
  CHECK(to_utf8("utf-8", "\xED\xA0\x80") == std::string(fffd) + std::string(fffd) + std::string(fffd));  // a surrogate
  CHECK(to_utf8("shift_jis", "a\x82") == std::string("a") + std::string(fffd));  // cut short
  CHECK(to_utf8("iso-2022-jp", "a\xFF" "b") == std::string("a") + std::string(fffd) + "b");
  // An unpaired surrogate: one unit replaced, the next read in step.
  CHECK(to_utf8("utf-16", std::string_view("\xFF\xFE\x00\xD8\x41\x00", 6)) == std::string(fffd) + "A");
  CHECK(to_utf8("no-such-charset", "caf\xE9") == "caf\xC3\xA9");
}

// ---- transfer encodings ----------------------------------------------------------------

TEST_CASE("mime quoted-printable follows the rules of RFC 2045 section 6.7") {
  // Rule 1 and upper or lower case hex.
  CHECK(qp("a=3Db=3db") == "a=b=b");
  // Rule 5: soft line breaks, also after transport padding.
  CHECK(qp("Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.") ==
        "Now's the time for all folk to come to the aid of their country.");
  CHECK(qp("soft=  \r\nbreak") == "softbreak");
  CHECK(qp("soft=\nbreak") == "softbreak");
  CHECK(qp("ends with =") == "ends with ");
  // Rule 3: white space at the end of a line was added in transport.
  CHECK(qp("trailing   \r\nnext\t\nlast  ") == "trailing\r\nnext\nlast  ");
  CHECK(qp("kept=20\r\n") == "kept \r\n");
  // Bad escapes stay as written.
  CHECK(qp("a=4 =G1 = b =") == "a=4 =G1 = b ");
  CHECK(qp("=") == "");
  CHECK(qp("=4") == "=4");
}

TEST_CASE("mime base64 tolerates white space, garbage and missing padding") {
  CHECK(base64("aGVsbG8gd29ybGQ=") == "hello world");
  CHECK(base64("aGVs\r\nbG8g\r\n d29y bGQ") == "hello world");
  CHECK(base64("aGVs!bG8*gd29y~bGQ=") == "hello world");
  CHECK(base64("YQ==YQ==") == "aa");
  CHECK(base64("YWI") == "ab");
  CHECK(base64("Y") == "");
  CHECK(base64("") == "");
}

TEST_CASE("mime bodies are transfer-decoded and text is converted to UTF-8 with LF line ends") {
  const MimePart qp_text = parse(crlf(
      "Content-Type: text/plain; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: Quoted-Printable\n\n"
      "caf=E9 =\nau lait\n"));
  CHECK(qp_text.body == "caf\xC3\xA9 au lait\n");

  const MimePart base64_text = parse(crlf(
      "Content-Type: text/plain; charset=shift_jis\n"
      "Content-Transfer-Encoding: base64\n\n"
      "grGC8YLJgr+CzQ==\n"));
  CHECK(base64_text.body == "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");

  const MimePart binary = parse(crlf(
      "Content-Type: application/octet-stream\n"
      "Content-Transfer-Encoding: base64\n\n"
      "AA0K/w==\n"));
  CHECK(binary.body == std::string("\0\r\n\xFF", 4));

  const MimePart unknown_encoding = parse(crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644\n"));
  CHECK(unknown_encoding.body == "begin 644\n");
}

// ---- Content-Type ----------------------------------------------------------------------

TEST_CASE("mime content types are lower case with their parameters unquoted") {
  const MimePart message = parse(
      "Content-Type: TEXT/HTML; CHARSET=\"UTF-8\"; Format = flowed ;name=\"a \\\"quoted\\\" name\"\n\n<p>x</p>");
  CHECK(message.media_type == "text/html");
  CHECK(message.is("text/html"));
  CHECK(message.is("TEXT/"));
  CHECK_FALSE(message.is("text/plain"));
  CHECK_FALSE(message.is("multipart/"));
  CHECK(message.parameter("charset") == "UTF-8");
  CHECK(message.parameter("CHARSET") == "UTF-8");
  CHECK(message.parameter("format") == "flowed");
  CHECK(message.parameter("name") == "a \"quoted\" name");
  CHECK(message.parameter("missing").empty());
  REQUIRE(message.parameters.size() == 3);
  CHECK(message.parameters[0].first == "charset");
}

TEST_CASE("mime content type comments and the defaults of RFC 2045") {
  const MimePart commented = parse("Content-type: text/plain; charset=us-ascii (Plain text)\n\nx");
  CHECK(commented.parameter("charset") == "us-ascii");
  CHECK(parse("Content-Type: (c) text/plain (c); (c) charset (c) = (c) \"x\" (c)\n\n").parameter("charset") == "x");

  for (const std::string_view raw : {"x", "Content-Type: \n\nx", "Content-Type: text\n\nx", "Content-Type: /plain\n\nx",
                                     "Content-Type: text/\n\nx", "Content-Type: te xt/pl@in\n\nx"}) {
    CAPTURE(raw);
    CHECK(parse(raw).media_type == "text/plain");
  }
  CHECK(parse("Content-Type: text / plain\n\nx").media_type == "text/plain");
  // A missing ';' between the type and a parameter.
  const MimePart sloppy = parse("Content-Type: text/plain charset=utf-8\n\nx");
  CHECK(sloppy.media_type == "text/plain");
  CHECK(sloppy.parameter("charset") == "utf-8");
}

TEST_CASE("mime parameters: the examples of RFC 2231") {
  CHECK(content_type_parameter("message/external-body; access-type=URL;\r\n"
                               " URL*0=\"ftp://\";\r\n"
                               " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
                               "url") == "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
  CHECK(content_type_parameter("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "title") ==
        "This is ***fun***");
  CHECK(content_type_parameter("application/x-stuff;\r\n"
                               " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
                               " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
                               " title*2=\"isn't it!\"",
                               "title") == "This is even more ***fun*** isn't it!");
}

TEST_CASE("mime parameters: RFC 2231 charsets, order and precedence, encoded words") {
  CHECK(content_type_parameter("a/b; name*=utf-8''caf%C3%A9.pdf", "name") == "caf\xC3\xA9.pdf");
  CHECK(content_type_parameter("a/b; name*=iso-8859-1'fr'caf%E9.pdf", "name") == "caf\xC3\xA9.pdf");
  CHECK(content_type_parameter("a/b; name*=UTF-8''%e2%82%ac%zz", "name") == "\xE2\x82\xAC%zz");
  // Sections in any order; the RFC 2231 form wins over the plain one, in the plain one's place.
  const auto value = outreach::detail::parse_parameterized_value(
      "a/b; name=\"plain.pdf\"; other=1; name*1*=%C3%A9.pdf; name*0*=utf-8''caf", 100);
  REQUIRE(value.parameters.size() == 2);
  CHECK(value.parameters[0] == std::pair<std::string, std::string>("name", "caf\xC3\xA9.pdf"));
  CHECK(value.parameters[1] == std::pair<std::string, std::string>("other", "1"));
  // The first of two plain ones wins.
  CHECK(content_type_parameter("a/b; x=1; x=2", "x") == "1");
  // A first section without `charset'language'` is taken as text.
  CHECK(content_type_parameter("a/b; name*=caf%C3%A9", "name") == "caf\xC3\xA9");
  // Encoded words in a quoted value, as Outlook and Gmail write file names.
  CHECK(content_type_parameter("a/b; name=\"=?UTF-8?B?Y2Fmw6kucGRm?=\"", "name") == "caf\xC3\xA9.pdf");
  // Odd names are kept as written; a name without a value is skipped.
  CHECK(content_type_parameter("a/b; na*me=1; lonely; z=2", "na*me") == "1");
  CHECK(content_type_parameter("a/b; na*me=1; lonely; z=2", "z") == "2");
  // Unquoted values run to ';' and lose trailing white space; unterminated quotes to the end.
  CHECK(content_type_parameter("a/b; name=my file.pdf ; z=1", "name") == "my file.pdf");
  CHECK(content_type_parameter("a/b; name=\"open", "name") == "open");
  CHECK(content_type_parameter("a/b; name=\"a\\", "name") == "a");
  // Control characters never reach a value.
  CHECK(content_type_parameter("a/b; name*=utf-8''a%0D%0Ab", "name") == "a  b");
}

TEST_CASE("mime parameters past the limit are ignored") {
  std::string raw = "a/b";
  for (int i = 0; i < 100; ++i) raw += "; p" + std::to_string(i) + "=" + std::to_string(i);
  CHECK(outreach::detail::parse_parameterized_value(raw, 10).parameters.size() == 10);
}

// ---- multipart ---------------------------------------------------------------------------

TEST_CASE("mime multipart: the example of RFC 2046 section 5.1.1") {
  const MimePart message = parse(crlf(
      "From: Nathaniel Borenstein <nsb@bellcore.com>\n"
      "To: Ned Freed <ned@innosoft.com>\n"
      "Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\n"
      "Subject: Sample message\n"
      "MIME-Version: 1.0\n"
      "Content-type: multipart/mixed; boundary=\"simple boundary\"\n"
      "\n"
      "This is the preamble.  It is to be ignored, though it\n"
      "is a handy place for composition agents to include an\n"
      "explanatory note to non-MIME conformant readers.\n"
      "\n"
      "--simple boundary\n"
      "\n"
      "This is implicitly typed plain US-ASCII text.\n"
      "It does NOT end with a linebreak.\n"
      "--simple boundary\n"
      "Content-type: text/plain; charset=us-ascii\n"
      "\n"
      "This is explicitly typed plain US-ASCII text.\n"
      "It DOES end with a linebreak.\n"
      "\n"
      "--simple boundary--\n"
      "\n"
      "This is the epilogue.  It is also to be ignored.\n"));
  CHECK(message.media_type == "multipart/mixed");
  CHECK(message.body.empty());
  REQUIRE(message.parts.size() == 2);
  CHECK(message.parts[0].headers.empty());
  CHECK(message.parts[0].media_type == "text/plain");
  CHECK(message.parts[0].body == "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.");
  CHECK(message.parts[1].body == "This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n");
}

TEST_CASE("mime multipart delimiters: white space after them, no close delimiter, empty parts") {
  const MimePart padded = parse("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\none\n--b--  \nepilogue\n--b\n\nnot a part\n");
  REQUIRE(padded.parts.size() == 1);
  CHECK(padded.parts[0].body == "one");

  const MimePart unclosed = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n");
  REQUIRE(unclosed.parts.size() == 2);
  CHECK(unclosed.parts[1].body == "two\n");

  const MimePart empty_parts = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n--b--\n");
  REQUIRE(empty_parts.parts.size() == 2);
  CHECK(empty_parts.parts[0].body.empty());
  CHECK(empty_parts.parts[1].body.empty());

  const MimePart headerless_part = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\nno header here\n--b--\n");
  REQUIRE(headerless_part.parts.size() == 1);
  CHECK(headerless_part.parts[0].body == "no header here");

  // Lines that only start like a delimiter are content.
  const MimePart lookalikes = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n --b\n--b--x\n-b\n--b--\n");
  REQUIRE(lookalikes.parts.size() == 1);
  CHECK(lookalikes.parts[0].body == "--bx\n --b\n--b--x\n-b");
}

TEST_CASE("mime multipart without a boundary or without any delimiter keeps its content") {
  const MimePart no_boundary = parse("Content-Type: multipart/mixed\n\n--b\n\none\n--b--\n");
  CHECK(no_boundary.parts.empty());
  CHECK(no_boundary.body == "--b\n\none\n--b--\n");

  const MimePart no_delimiter = parse("Content-Type: multipart/mixed; boundary=zzz\n\n--b\n\none\n--b--\n");
  CHECK(no_delimiter.parts.empty());
  CHECK(no_delimiter.body == "--b\n\none\n--b--\n");
}

TEST_CASE("mime nested multiparts where one boundary is a prefix of the other") {
  for (const auto& [outer, inner] : {std::pair<std::string, std::string>{"abc", "abc-1"}, {"abc-1", "abc"}, {"=_a", "=_a="}}) {
    CAPTURE(outer);
    CAPTURE(inner);
    const MimePart message = parse(crlf(
        "Content-Type: multipart/mixed; boundary=\"" + outer + "\"\n\n"
        "--" + outer + "\n"
        "Content-Type: multipart/alternative; boundary=\"" + inner + "\"\n\n"
        "--" + inner + "\n\nplain\n"
        "--" + inner + "\nContent-Type: text/html\n\n<b>html</b>\n"
        "--" + inner + "--\n"
        "--" + outer + "\nContent-Type: application/pdf\n\n%PDF\n"
        "--" + outer + "--\n"));
    REQUIRE(message.parts.size() == 2);
    REQUIRE(message.parts[0].parts.size() == 2);
    CHECK(message.parts[0].parts[0].body == "plain");
    CHECK(message.parts[0].parts[1].body == "<b>html</b>");
    CHECK(message.parts[1].media_type == "application/pdf");
    CHECK(message.parts[1].body == "%PDF");
  }
}

TEST_CASE("mime an inner multipart without its close delimiter ends at the outer delimiter") {
  const MimePart message = parse(
      "Content-Type: multipart/mixed; boundary=outer\n\n"
      "--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
      "--inner\n\nfirst\n"
      "--outer\n\nsecond\n--outer--\n");
  REQUIRE(message.parts.size() == 2);
  REQUIRE(message.parts[0].parts.size() == 1);
  CHECK(message.parts[0].parts[0].body == "first");
  CHECK(message.parts[1].body == "second");
}

TEST_CASE("mime multipart/digest parts default to message/rfc822") {
  const MimePart digest = parse(
      "Content-Type: multipart/digest; boundary=d\n\n"
      "--d\n\nFrom: a@x\nSubject: first\n\nbody one\n"
      "--d\nContent-Type: text/plain\n\nplain\n"
      "--d--\n");
  REQUIRE(digest.parts.size() == 2);
  CHECK(digest.parts[0].media_type == "message/rfc822");
  REQUIRE(digest.parts[0].parts.size() == 1);
  CHECK(*digest.parts[0].parts[0].header("Subject") == "first");
  CHECK(digest.parts[0].parts[0].media_type == "text/plain");  // not inside the digest itself
  CHECK(digest.parts[1].media_type == "text/plain");
}

// ---- enclosed messages and reports -----------------------------------------------------------

TEST_CASE("mime enclosed messages are read as the single child") {
  const MimePart message = parse(rich_message);
  CHECK(message.media_type == "multipart/report");
  CHECK(message.parameter("report-type") == "delivery-status");
  CHECK(*message.header("Subject") == "Undelivered Mail Returned to Sender \xC3\xA9t\xC3\xA9");
  REQUIRE(message.parts.size() == 3);
  const MimePart& enclosed = message.parts[2];
  CHECK(enclosed.media_type == "message/rfc822");
  CHECK(enclosed.body.empty());
  REQUIRE(enclosed.parts.size() == 1);
  CHECK(*enclosed.parts[0].header("Message-ID") == "<seq-1-step-1@outreach.example>");
  CHECK(enclosed.parts[0].body == "Hi Bob");
  check_promises(message);
}

TEST_CASE("mime message/global and a base64 message/rfc822 are read too") {
  const MimePart global = parse(
      "Content-Type: message/global\n\nSubject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\nContent-Type: text/plain; charset=utf-8\n\n"
      "gr\xC3\xBC\xC3\x9F" "e\n");
  REQUIRE(global.parts.size() == 1);
  CHECK(*global.parts[0].header("subject") == "gr\xC3\xBC\xC3\x9F" "e");

  // "Subject: inner\r\n\r\nhello" in base64.
  const MimePart encoded = parse("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogaW5uZXINCg0KaGVsbG8=\n");
  REQUIRE(encoded.parts.size() == 1);
  CHECK(*encoded.parts[0].header("Subject") == "inner");
  CHECK(encoded.parts[0].body == "hello");
}

TEST_CASE("mime report parts are text leaves that parse_header_block reads") {
  const MimePart message = parse(rich_message);
  const MimePart& status = message.parts[1];
  CHECK(status.media_type == "message/delivery-status");
  CHECK(status.parts.empty());
  const auto blocks = outreach::parse_header_blocks(status.body);
  REQUIRE(blocks.size() == 2);
  CHECK(*outreach::find_header(blocks[0], "Reporting-MTA") == "dns; mx.example");
  CHECK(*outreach::find_header(blocks[1], "Status") == "5.1.1");
  CHECK(outreach::first_address_in(*outreach::find_header(blocks[1], "Final-Recipient")) == "bob@example.org");

  const MimePart headers_only = parse(crlf(
      "Content-Type: text/rfc822-headers\nContent-Transfer-Encoding: quoted-printable\n\n"
      "Message-ID: <a@b>\nSubject: caf=C3=A9\n"));
  CHECK(headers_only.parts.empty());
  CHECK(headers_only.body == "Message-ID: <a@b>\nSubject: caf\xC3\xA9\n");
  const auto fields = outreach::parse_header_block(headers_only.body);
  REQUIRE(fields.size() == 2);
  CHECK(fields[1].value == "caf\xC3\xA9");

  const MimePart feedback = parse("Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: x\n");
  CHECK(*outreach::find_header(outreach::parse_header_block(feedback.body), "Feedback-Type") == "abuse");
}

// ---- limits --------------------------------------------------------------------------------

TEST_CASE("mime messages over the size limit are refused") {
  MimeLimits limits;
  limits.max_message_bytes = 10;
  CHECK(outreach::parse_message("0123456789", limits).has_value());
  const auto refused = outreach::parse_message("0123456789x", limits);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == outreach::Errc::invalid_value);
}

TEST_CASE("mime parts nested beyond the depth limit stay opaque") {
  // 5000 multiparts, each inside the one before, each with its own boundary.
  std::string raw;
  const int levels = 5000;
  for (int i = 0; i < levels; ++i) {
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" + std::to_string(i) + "\n";
  }
  raw += "\ninnermost\n";
  for (int i = levels - 1; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\n";

  const MimePart defaults = parse(raw);
  CHECK(depth_of(defaults) == 16);
  check_promises(defaults);

  MimeLimits limits;
  limits.max_depth = 3;
  const MimePart shallow = parse(raw, limits);
  CHECK(depth_of(shallow) == 3);
  const MimePart* deepest = &shallow;
  while (!deepest->parts.empty()) deepest = &deepest->parts.front();
  CHECK(deepest->media_type == "multipart/mixed");
  CHECK(deepest->body.substr(0, 4) == "--b3");

  limits.max_depth = 1000000;  // the hard limit still holds
  CHECK(depth_of(parse(raw, limits)) == 100);

  limits.max_depth = 0;
  const MimePart flat = parse(raw, limits);
  CHECK(flat.parts.empty());
  CHECK_FALSE(flat.body.empty());
}

TEST_CASE("mime enclosed messages nested beyond the depth limit stay opaque") {
  std::string raw;
  for (int i = 0; i < 1000; ++i) raw += "Content-Type: message/rfc822\n\n";
  raw += "Subject: deepest\n\nbody";
  MimeLimits limits;
  limits.max_depth = 5;
  const MimePart message = parse(raw, limits);
  CHECK(depth_of(message) == 5);
  check_promises(message);
}

TEST_CASE("mime parts past the limit are dropped") {
  std::string raw = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 20000; ++i) raw += "--b\n\npart " + std::to_string(i) + "\n";
  raw += "--b--\n";
  const MimePart message = parse(raw);
  REQUIRE(message.parts.size() == 1000);
  CHECK(message.parts.back().body == "part 999");

  MimeLimits limits;
  limits.max_parts = 3;
  const MimePart nested = parse(rich_message, limits);
  CHECK(count_parts(nested) == 3);
  check_promises(nested);

  limits.max_parts = 0;
  const MimePart opaque = parse(rich_message, limits);
  CHECK(opaque.parts.empty());
  CHECK(opaque.body.find("--outer-1") != std::string::npos);
}

// ---- readable text -------------------------------------------------------------------------

TEST_CASE("mime readable_text prefers the first plain text that is no attachment") {
  const MimePart message = parse(rich_message);
  CHECK(outreach::readable_text(message) == "Your message could not be delivered: caf\xC3\xA9 closed.");

  const MimePart with_attachment = parse(
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\nattached\n"
      "--b\nContent-Type: text/plain\n\n \n"
      "--b\nContent-Type: text/plain\nContent-Disposition: inline\n\nthe text\n"
      "--b--\n");
  CHECK(outreach::readable_text(with_attachment) == "the text");

  // Enclosed messages are not searched.
  const MimePart enclosed_only = parse("Content-Type: message/rfc822\n\nSubject: x\n\ninner text\n");
  CHECK(outreach::readable_text(enclosed_only).empty());

  CHECK(outreach::readable_text(parse("Content-Type: image/png\n\n\x89PNG")).empty());
}

TEST_CASE("mime readable_text takes the HTML text when there is no plain text") {
  const MimePart message = parse(
      "Content-Type: multipart/alternative; boundary=b\n\n"
      "--b\nContent-Type: text/html; charset=utf-8\n\n"
      "<html><head><title>Title</title><style>p { color: red }</style>"
      "<script>var x = '<p>';</script></head>"
      "<body><p>Hello&nbsp;Bob,</p><p>I am <b>out</b>   of\n the office<br>until Monday &amp; back &#8212; "
      "&#x263A;</p><div>Thanks</div></body></html>\n"
      "--b--\n");
  CHECK(outreach::readable_text(message) == "Hello Bob,\n\nI am out of the office\nuntil Monday & back \xE2\x80\x94 "
                                            "\xE2\x98\xBA\n\nThanks");
}

TEST_CASE("mime HTML to text: tags, entities, comments and preformatted text") {
  using outreach::detail::html_to_text;
  CHECK(html_to_text("a<br>b<br/>c<BR >d") == "a\nb\nc\nd");
  CHECK(html_to_text("<p>one</p><p>two</p>") == "one\n\ntwo");
  CHECK(html_to_text("x<!-- <p>hidden</p> -->y") == "xy");
  CHECK(html_to_text("<a href=\"x>y\" title='it''s'>link</a>") == "link");
  CHECK(html_to_text("<img alt=don't>text") == "text");
  CHECK(html_to_text("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2");
  CHECK(html_to_text("&lt;tag&gt; &quot;q&quot; &apos;a&apos; &amp &copy; &unknown; &#0; &#150; &#x110000; &#65") ==
        "<tag> \"q\" 'a' & \xC2\xA9 &unknown; \xEF\xBF\xBD \xE2\x80\x93 \xEF\xBF\xBD A");
  CHECK(html_to_text("<pre>  keep\n    this</pre>after") == "  keep\n    this\nafter");
  CHECK(html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>") == "a b\nc");
  CHECK(html_to_text("<script>never closed <p>x</p>") == "");
  CHECK(html_to_text("<STYLE>x</style >shown") == "shown");
  CHECK(html_to_text("<ul><li>one<li>two</ul>") == "one\ntwo");
  CHECK(html_to_text("<br><br><br><br>x") == "x");
  CHECK(html_to_text("a<br><br><br><br>b") == "a\n\nb");
  CHECK(html_to_text("unclosed <a href=\"x") == "unclosed");
}

// ---- message ids and addresses -------------------------------------------------------------

TEST_CASE("mime message_ids_in reads ids in order and ignores comments and text") {
  using outreach::message_ids_in;
  CHECK(message_ids_in("<a@b> <c@d>\r\n <e@f>") == std::vector<std::string>{"<a@b>", "<c@d>", "<e@f>"});
  CHECK(message_ids_in("<a@b> (sent by <x@y>) \"<q@r>\"<c@d>") == std::vector<std::string>{"<a@b>", "<c@d>"});
  CHECK(message_ids_in("Your message of Mon, 1 Jan <a@b>") == std::vector<std::string>{"<a@b>"});
  CHECK(message_ids_in("<<a@b>") == std::vector<std::string>{"<a@b>"});
  CHECK(message_ids_in("< a@b >") == std::vector<std::string>{"<a@b>"});
  CHECK(message_ids_in("bare@id.example") == std::vector<std::string>{"<bare@id.example>"});
  CHECK(message_ids_in("<no-at-sign> <> <@> <a@").empty());
  CHECK(message_ids_in("").empty());
  CHECK(message_ids_in("(unclosed <a@b>").empty());
}

TEST_CASE("mime first_address_in and addresses_in read address fields") {
  using outreach::addresses_in;
  using outreach::first_address_in;
  CHECK(first_address_in("Name <a@b.example>") == "a@b.example");
  CHECK(first_address_in("a@b.example (comment <c@d>)") == "a@b.example");
  CHECK(first_address_in("\"quoted, name\" <a@b.example>") == "a@b.example");
  CHECK(first_address_in("\"x@y\" <a@b.example>") == "a@b.example");
  CHECK(first_address_in("rfc822; bob@x.example") == "bob@x.example");
  CHECK(first_address_in("RFC822;<bob@x.example>") == "bob@x.example");
  CHECK(first_address_in("Team: a@b.example, c@d.example;") == "a@b.example");
  CHECK(first_address_in("undisclosed-recipients:;") == std::nullopt);
  CHECK(first_address_in("<@relay.example:a@b.example>") == "a@b.example");
  CHECK(first_address_in("< a @ b.example >") == "a@b.example");
  CHECK(first_address_in("\"john doe\"@b.example") == "\"john doe\"@b.example");
  CHECK(first_address_in("a@[IPv6:2001:db8::1]") == "a@[IPv6:2001:db8::1]");
  CHECK(first_address_in("John Smith john@x.example") == "john@x.example");
  CHECK(first_address_in("<>") == std::nullopt);
  CHECK(first_address_in("") == std::nullopt);
  CHECK(first_address_in("no address here") == std::nullopt);
  CHECK(first_address_in("@ a@ @b") == std::nullopt);
  CHECK(addresses_in("Ana <a@x.example>, \"Smith, Bob\" <b@x.example>, c@x.example (Cee);, Team: d@x.example;") ==
        std::vector<std::string>{"a@x.example", "b@x.example", "c@x.example", "d@x.example"});
  CHECK(addresses_in("x") == std::vector<std::string>{});
}

TEST_CASE("mime address fields: display names are decoded after the addresses are read") {
  using outreach::addresses_in;
  using outreach::first_address_in;
  // Found by fuzzing: a display name that decodes to address syntax read as addresses
  // (tests/fuzz/seeds_address/regression-encoded-name-with-comma).
  const std::string regression = header_value(
      "To: =?utf-8?q?A_very_long_disxlay_name_that8=40ill_notline_of_a=3D=3Feader_at_all=2C_really?=\r\n"
      " <x@example.com>");
  CHECK(regression == "\"A very long disxlay name that8@ill notline of a=?eader at all, really\" <x@example.com>");
  CHECK(first_address_in(regression) == "x@example.com");
  // The same name as the composer writes it (encoded words, as it holds "=?"), read back.
  const std::string name = "A very long disxlay name that8@ill notline of a=?eader at all, really";
  outreach::MessageDraft draft;
  draft.from = outreach::Address{"Sender", "sender@example.com"};
  draft.to = outreach::Address{name, "x@example.com"};
  draft.subject = "Hello";
  draft.text = "Hi";
  draft.message_id = "<1@example.com>";
  draft.date = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1);
  const auto composed = outreach::compose(draft);
  REQUIRE(composed.has_value());
  const MimePart message = parse(composed->data);
  REQUIRE(message.header("To") != nullptr);
  CHECK(first_address_in(*message.header("To")) == "x@example.com");
  const auto read_back = outreach::Address::parse(*message.header("To"));
  REQUIRE(read_back.has_value());
  CHECK(read_back->name == name);

  // RFC 2047 section 5: in a phrase an encoded word is an atom; what it decodes to is the name.
  CHECK(header_value("From: =?utf-8?q?Smith=2C_John?= <john@example.com>") == "\"Smith, John\" <john@example.com>");
  const std::string spoof = header_value("From: =?utf-8?q?support=40bank.example=2C?= <someone@attacker.example>");
  CHECK(spoof == "\"support@bank.example,\" <someone@attacker.example>");
  CHECK(first_address_in(spoof) == "someone@attacker.example");
  CHECK(addresses_in(header_value("To: =?utf-8?q?Smith=2C_Ana?= <a@x.example>, =?utf-8?b?RG9lLCBCb2I=?= <b@x.example>")) ==
        std::vector<std::string>{"a@x.example", "b@x.example"});
  // A comma left unencoded in a Q word, as some mailers write it, is part of the name too.
  CHECK(header_value("Reply-To: =?utf-8?Q?Smith,_John?= <john@example.com>") == "\"Smith, John\" <john@example.com>");
  // Quotes and backslashes in a decoded name are escaped, and the name reads back.
  const std::string quoted = header_value("To: =?utf-8?q?a=22b=5Cc?= <x@y.example>");
  CHECK(quoted == R"("a\"b\\c" <x@y.example>)");
  const auto parsed = outreach::Address::parse(quoted);
  REQUIRE(parsed.has_value());
  CHECK(parsed->name == R"(a"b\c)");
  CHECK(parsed->email == "x@y.example");
  // So is white space at an end of the name, which a reader would trim (found by fuzzing:
  // tests/fuzz/seeds_address/regression-encoded-name-with-trailing-space).
  CHECK(header_value("To: =?utf-8?q?Ana_?= <a@x.example>") == "\"Ana \" <a@x.example>");
  // Names without address syntax read as before, in a group name too.
  CHECK(header_value("Cc: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>") ==
        "Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>");
  CHECK(addresses_in(header_value("To: =?utf-8?q?Team=3A_sales?=: a@x.example, b@x.example;")) ==
        std::vector<std::string>{"a@x.example", "b@x.example"});
  // Comments and quoted strings are decoded, with what would end them escaped.
  const std::string comment = header_value("From: a@x.example (=?utf-8?q?x=29_=3Cb=40y.example=3E?=)");
  CHECK(comment == R"(a@x.example (x\) <b@y.example>))");
  CHECK(addresses_in(comment) == std::vector<std::string>{"a@x.example"});
  CHECK(header_value("From: \"=?utf-8?q?Smith=2C_John?=\" <john@example.com>") == "\"Smith, John\" <john@example.com>");
  // An address has no encoded words: it is kept as written.
  CHECK(header_value("To: <=?utf-8?q?a?=@x.example>") == "<=?utf-8?q?a?=@x.example>");
  CHECK(header_value("To: =?utf-8?q?a?=@x.example") == "=?utf-8?q?a?=@x.example");
  // Other fields are text: they decode whole, as before.
  CHECK(header_value("Subject: =?utf-8?q?Smith=2C_John?= <john@example.com>") == "Smith, John <john@example.com>");
}

TEST_CASE("mime an address field with 100 000 unclosed encoded words reads in linear time") {
  std::string value;
  for (int i = 0; i < 100000; ++i) value += "=?utf-8?q?a";
  CHECK(header_value("To: " + value + " <a@x.example>") == value + " <a@x.example>");
  std::string spaced;
  for (int i = 0; i < 100000; ++i) spaced += "=?utf-8?q?a ";
  CHECK(header_value("To: " + spaced + "?= <a@x.example>").size() > 100000);
}

// ---- hostile input ---------------------------------------------------------------------------

TEST_CASE("mime every truncation of a message reads") {
  for (std::size_t length = 0; length <= rich_message.size(); ++length) {
    const MimePart message = parse(std::string_view(rich_message).substr(0, length));
    check_promises(message);
  }
}

TEST_CASE("mime random bytes and random mail fragments read") {
  // Fragments that reach deep into the reader; random bytes alone rarely would.
  const std::vector<std::string_view> fragments{
      "Content-Type: multipart/mixed; boundary=b\r\n", "Content-Type: message/rfc822\r\n",
      "Content-Type: multipart/digest; boundary=\"b\"\n", "Content-Type: text/html; charset=iso-2022-jp\n",
      "Content-Transfer-Encoding: base64\n", "Content-Transfer-Encoding: quoted-printable\n", "\r\n", "\n", "\r",
      "--b\r\n", "--b--\n", "=?utf-8?q?", "=?shift_jis?b?", "?=", "=E9", "=\r\n", "<p>", "&#x", ";", "&amp;", "<script>",
      "name*0*=utf-8''%C3", "; name*1=\"x\"", "(", ")", "\"", "\\", " ", "\t", "From: a <b@c>\n", "\x1B$B", "\xFF\xFE",
      "Content-Type: text/rfc822-headers\n", "Content-Type: message/delivery-status\n"};
  std::mt19937 random(20240611);
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    const std::size_t pieces = random() % 40;
    for (std::size_t i = 0; i < pieces; ++i) {
      if (random() % 3 == 0) {
        const std::size_t bytes = random() % 8;
        for (std::size_t j = 0; j < bytes; ++j) input.push_back(static_cast<char>(random() % 256));
      } else {
        input.append(fragments[random() % fragments.size()]);
      }
    }
    CAPTURE(input);
    MimeLimits limits;
    limits.max_depth = 1 + random() % 6;
    limits.max_parts = 1 + random() % 20;
    limits.max_header_fields = 1 + random() % 20;
    check_promises(parse(input));
    check_promises(parse(input, limits));
    static_cast<void>(outreach::first_address_in(input));
    static_cast<void>(outreach::message_ids_in(input));
    static_cast<void>(outreach::parse_header_block(input));
    REQUIRE(outreach::detail::is_valid_utf8(outreach::detail::html_to_text(outreach::detail::to_utf8("utf-8", input))));
  }
}

TEST_CASE("mime NUL bytes are content like any other") {
  const std::string raw("Subject: a\0b\r\nX\0Y: z\r\n\r\nbody\0tail", 33);
  const MimePart message = parse(raw);
  REQUIRE(message.headers.size() == 1);
  CHECK(message.headers[0].value == "a b");
  CHECK(message.body == std::string("body\0tail", 9));
}

TEST_CASE("mime a 10 MB header line and 100 000 encoded words read in linear time") {
  const std::string long_line = "Subject: " + std::string(10u << 20, 'x') + "\r\n\r\nbody";
  const MimePart message = parse(long_line);
  CHECK(message.header("Subject")->size() == (10u << 20));
  CHECK(message.body == "body");

  std::string words = "Subject:";
  for (int i = 0; i < 100000; ++i) words += i % 2 == 0 ? " =?utf-8?q?a?=" : " =?ISO-8859-1?b?Yg==?=";
  const std::string subject = header_value(words);
  CHECK(subject.size() == 100000);
  CHECK(subject.substr(0, 4) == "abab");

  // Starts of encoded words that never close, and Q words that all close at one far end.
  CHECK(header_value("Subject: " + std::string(1u << 20, '=') + std::string(1u << 20, '?')).size() == (2u << 20));
  std::string unclosed = "Subject:";
  for (int i = 0; i < 100000; ++i) unclosed += " =?utf-8?q?x";
  CHECK(header_value(unclosed).size() == unclosed.size() - 9);
  std::string bad_base64 = "Subject:";
  for (int i = 0; i < 100000; ++i) bad_base64 += "=?x?b?!";
  bad_base64 += "?=";
  CHECK(header_value(bad_base64).size() == bad_base64.size() - 8);
}

TEST_CASE("mime hostile structures read in linear time") {
  // A million delimiter lookalikes, each a prefix of the boundary.
  std::string lookalikes = "Content-Type: multipart/mixed; boundary=" + std::string(60, 'b') + "\n\n";
  for (int i = 0; i < 200000; ++i) lookalikes += "--" + std::string(59, 'b') + "\n";
  CHECK(parse(lookalikes).parts.empty());

  // Many parameters and comments.
  std::string parameters = "Content-Type: text/plain";
  for (int i = 0; i < 100000; ++i) parameters += "; p*" + std::to_string(i % 50) + "*=x(((";
  check_promises(parse(parameters + "\n\nx"));

  // HTML with unclosed quotes, comments and scripts.
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<a title='x <b title=\"y <!-- <script>&#";
  CHECK(outreach::detail::is_valid_utf8(outreach::detail::html_to_text(html)));

  // Addresses and ids with unclosed brackets and comments.
  std::string addresses;
  for (int i = 0; i < 100000; ++i) addresses += "<a@b (\"[";
  static_cast<void>(outreach::addresses_in(addresses));
  static_cast<void>(outreach::message_ids_in(addresses));
}

}  // TEST_SUITE

TEST_CASE("mime: readable_text with a bound cuts at a character boundary and converts only the start of HTML") {
  std::string plain = "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  for (int i = 0; i < 1000; ++i) plain += "\xC3\xA9";  // é, two bytes each
  const auto message = outreach::parse_message(plain);
  REQUIRE(message.has_value());
  const std::string cut = outreach::readable_text(*message, 7);
  CHECK(cut == "\xC3\xA9\xC3\xA9\xC3\xA9");  // 6 bytes: the seventh would split a character
  CHECK(outreach::readable_text(*message).size() == 2000);

  std::string html = "Content-Type: text/html\r\n\r\n<p>start</p>";
  for (int i = 0; i < 100000; ++i) html += "<p>more text</p>";
  const auto page = outreach::parse_message(html);
  REQUIRE(page.has_value());
  const std::string start = outreach::readable_text(*page, 64);
  CHECK(start.size() <= 64);
  CHECK(start.find("start") != std::string::npos);
}
