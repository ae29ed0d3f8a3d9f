// Composing RFC 5322 / MIME messages, and the encodings under them (quoted-printable, base64,
// RFC 2047 encoded-words, header folding). The decoders here are the tests' own, written from
// the RFCs, so that the encoders are checked against something they do not share code with.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/encoding.hpp"
#include "util/sha256.hpp"
#include "util/utf8.hpp"
#include "outreach/message.hpp"

using outreach::Address;
using outreach::Errc;
using outreach::MessageDraft;

namespace {

using namespace std::chrono;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// ---- the tests' own decoders ----

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // RFC 2045 encoders must use upper case
}

// RFC 2045 section 6.7 decoding; fails the test on anything a strict decoder would reject.
std::string decode_quoted_printable(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    REQUIRE(i + 2 < encoded.size());
    if (encoded[i + 1] == '\r') {
      REQUIRE(encoded[i + 2] == '\n');  // soft line break
      i += 2;
      continue;
    }
    const int high = hex_value(encoded[i + 1]);
    const int low = hex_value(encoded[i + 2]);
    REQUIRE(high >= 0);
    REQUIRE(low >= 0);
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string decode_base64(std::string_view encoded) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  REQUIRE(encoded.size() % 4 == 0);
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : encoded) {
    if (c == '=') break;
    const int v = value(c);
    REQUIRE(v >= 0);
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

constexpr std::string_view word_prefix = "=?UTF-8?B?";

bool is_encoded_word(std::string_view token) {
  return token.size() >= word_prefix.size() + 2 && token.substr(0, word_prefix.size()) == word_prefix &&
         token.substr(token.size() - 2) == "?=";
}

// RFC 2047 decoding of an unfolded unstructured value: whitespace between adjacent encoded-
// words is dropped, other text is kept as it is. Each encoded-word must hold whole characters.
std::string decode_encoded_words(std::string_view value) {
  std::string out;
  std::string_view pending_space;
  bool previous_encoded = false;
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t j = i;
    if (value[i] == ' ' || value[i] == '\t') {
      while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
      pending_space = value.substr(i, j - i);
      i = j;
      continue;
    }
    while (j < value.size() && value[j] != ' ' && value[j] != '\t') ++j;
    const std::string_view token = value.substr(i, j - i);
    const bool encoded = is_encoded_word(token);
    if (!(encoded && previous_encoded)) out.append(pending_space);
    pending_space = {};
    if (encoded) {
      CHECK(token.size() <= 75);
      const std::string text = decode_base64(token.substr(word_prefix.size(), token.size() - word_prefix.size() - 2));
      CHECK_MESSAGE(outreach::detail::is_valid_utf8(text), "an encoded-word splits a character");
      out += text;
    } else {
      out.append(token);
    }
    previous_encoded = encoded;
    i = j;
  }
  out.append(pending_space);
  return out;
}

// ---- reading a composed message ----

struct Field {
  std::string name;
  std::string raw;       // as written, folds included, without the final CRLF
  std::string unfolded;  // the value after "Name:", folds removed
};

struct ParsedMessage {
  std::vector<Field> fields;
  std::string body;

  [[nodiscard]] const Field* field(std::string_view name) const {
    for (const Field& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The unfolded value without the white space that leads it (a fold may follow the colon).
  [[nodiscard]] std::string value(std::string_view name) const {
    const Field* f = field(name);
    REQUIRE_MESSAGE(f != nullptr, "no field ", name);
    return f->unfolded.substr(std::min(f->unfolded.find_first_not_of(" \t"), f->unfolded.size()));
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const Field& f : fields) result.push_back(f.name);
    return result;
  }
};

std::vector<std::string_view> lines_of(std::string_view data) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < data.size()) {
    const std::size_t end = data.find("\r\n", start);
    REQUIRE_MESSAGE(end != std::string_view::npos, "the data does not end with CRLF");
    lines.push_back(data.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

// Every line ends with CRLF, no CR or LF appears alone, and no line exceeds 998 octets.
void check_line_endings(std::string_view data) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r') {
      REQUIRE_MESSAGE((i + 1 < data.size() && data[i + 1] == '\n'), "bare CR at ", i);
    } else if (data[i] == '\n') {
      REQUIRE_MESSAGE((i > 0 && data[i - 1] == '\r'), "bare LF at ", i);
    }
  }
  REQUIRE((data.empty() || (data.size() >= 2 && data.substr(data.size() - 2) == "\r\n")));
  for (const std::string_view line : lines_of(data)) CHECK(line.size() <= 998);
}

ParsedMessage parse_message(std::string_view data) {
  check_line_endings(data);
  ParsedMessage message;
  const std::size_t blank = data.find("\r\n\r\n");
  REQUIRE(blank != std::string_view::npos);
  message.body = std::string(data.substr(blank + 4));
  for (const std::string_view line : lines_of(data.substr(0, blank + 2))) {
    REQUIRE(!line.empty());
    if (line.front() == ' ' || line.front() == '\t') {
      REQUIRE_FALSE(message.fields.empty());
      message.fields.back().raw.append("\r\n").append(line);
      message.fields.back().unfolded.append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    REQUIRE_MESSAGE(colon != std::string_view::npos, "not a header line: ", line);
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    message.fields.push_back({std::string(line.substr(0, colon)), std::string(line), std::string(value)});
  }
  return message;
}

// Header lines are at most 78 characters (the tests use tokens that can be folded to fit).
void check_header_lines_fold(const ParsedMessage& message) {
  for (const Field& field : message.fields) {
    for (const std::string_view line : lines_of(field.raw + "\r\n")) {
      CHECK_MESSAGE(line.size() <= 78, field.name, " line too long: ", line);
    }
  }
}

// The display name of an unfolded address field value `Name <addr>`.
std::string display_name_of(std::string_view value) {
  const std::size_t open = value.rfind(" <");
  if (open == std::string_view::npos) return "";
  std::string_view phrase = value.substr(0, open);
  if (!phrase.empty() && phrase.front() == '"') {
    REQUIRE(phrase.back() == '"');
    std::string name;
    for (std::size_t i = 1; i + 1 < phrase.size(); ++i) {
      if (phrase[i] == '\\') ++i;
      name.push_back(phrase[i]);
    }
    return name;
  }
  return decode_encoded_words(phrase);
}

std::string normalise_line_endings(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  outreach::detail::append_quoted_printable(out, text);
  return out;
}

// ---- drafts ----

MessageDraft basic_draft() {
  MessageDraft draft;
  draft.from = {"Alice Doe", "alice@acme.example"};
  draft.to = {"Bob", "bob@example.com"};
  draft.subject = "Quick question";
  draft.text = "Hi Bob,\n\nA short note.\n\nAlice\n";
  draft.message_id = "<0123456789abcdef@acme.example>";
  draft.date = sys_days{2026y / December / 1} + hours{14} + minutes{3} + seconds{12};
  return draft;
}

outreach::Message composed(const MessageDraft& draft) {
  auto message = outreach::compose(draft);
  REQUIRE_MESSAGE(message.has_value(), message.error().to_string());
  return *message;
}

outreach::Error compose_error(const MessageDraft& draft) {
  auto message = outreach::compose(draft);
  REQUIRE_FALSE(message.has_value());
  return message.error();
}

std::string subject_round_trip(const std::string& subject) {
  MessageDraft draft = basic_draft();
  draft.subject = subject;
  const ParsedMessage message = parse_message(composed(draft).data);
  check_header_lines_fold(message);
  return decode_encoded_words(message.value("Subject"));
}

// A string of code points from a pool with 1- to 4-byte UTF-8 forms.
std::string random_utf8(std::mt19937& random, std::size_t count) {
  static constexpr std::string_view pool[] = {"a", "Z", " ", "-", "é", "ß", "Ж", "日", "本", "€", "😀", "🎉", "𝄞", "!", "="};
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out.append(pool[random() % std::size(pool)]);
  return out;
}

}  // namespace

TEST_SUITE("test_message") {

// ---- quoted-printable ----

TEST_CASE("quoted-printable keeps printable ASCII and encodes '=', controls and non-ASCII") {
  CHECK(quoted_printable("Hello, world!") == "Hello, world!");
  CHECK(quoted_printable("a=b") == "a=3Db");
  CHECK(quoted_printable("tab\there") == "tab=09here");
  CHECK(quoted_printable("Grüße") == "Gr=C3=BC=C3=9Fe");
  CHECK(quoted_printable(std::string_view("nul\0", 4)) == "nul=00");
  CHECK(quoted_printable("\x7F") == "=7F");
}

TEST_CASE("quoted-printable turns every kind of line ending into a CRLF hard break") {
  CHECK(quoted_printable("a\nb\r\nc\rd") == "a\r\nb\r\nc\r\nd");
  CHECK(quoted_printable("\n\n") == "\r\n\r\n");
  CHECK(quoted_printable("\r\r\n\n") == "\r\n\r\n\r\n");
}

TEST_CASE("quoted-printable encodes a space that ends a line") {
  CHECK(quoted_printable("end  \nnext ") == "end =20\r\nnext=20");
  CHECK(quoted_printable(" ") == "=20");
  CHECK(quoted_printable("a \r\n") == "a=20\r\n");
}

TEST_CASE("quoted-printable lines are at most 76 characters and a 76-character line stays whole") {
  const std::string line76(76, 'x');
  CHECK(quoted_printable(line76) == line76);
  CHECK(quoted_printable(line76 + "\n") == line76 + "\r\n");
  const std::string line77(77, 'x');
  CHECK(quoted_printable(line77) == std::string(75, 'x') + "=\r\nxx");
  CHECK(quoted_printable(std::string(73, 'x') + "=") == std::string(73, 'x') + "=3D");
  CHECK(quoted_printable(std::string(74, 'x') + "==") == std::string(74, 'x') + "=\r\n=3D=3D");
}

TEST_CASE("quoted-printable round-trips long UTF-8 text with emoji") {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "Grüße aus München 🎉 日本語のテキスト = 100% ";
  text += "\nSecond line\twith tab \r\nthird\rfourth   ";
  const std::string encoded = quoted_printable(text);
  for (const std::string_view line : lines_of(encoded + "\r\n")) CHECK(line.size() <= 76);
  CHECK(decode_quoted_printable(encoded) == normalise_line_endings(text));
  CHECK_FALSE(contains(encoded, "=_"));
}

TEST_CASE("quoted-printable round-trips random bytes with lines of at most 76") {
  std::mt19937 random(20261201);
  static constexpr char alphabet[] = {'a', ' ', '=', '\r', '\n', '\t', '.', '-', '_', '\0', '\x7F', '\x80', '\xC3', '\xFF', 'Z'};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const std::size_t length = random() % 300;
    for (std::size_t i = 0; i < length; ++i) {
      // Long plain runs sometimes, to reach the line limit.
      text.push_back(random() % 4 == 0 ? alphabet[random() % sizeof alphabet] : static_cast<char>('a' + random() % 26));
    }
    const std::string encoded = quoted_printable(text);
    const std::string checked = encoded + "\r\n";
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      if (encoded[i] == '\r') REQUIRE((i + 1 < encoded.size() && encoded[i + 1] == '\n'));
      if (encoded[i] == '\n') REQUIRE((i > 0 && encoded[i - 1] == '\r'));
    }
    for (const std::string_view line : lines_of(checked)) {
      REQUIRE(line.size() <= 76);
      if (!line.empty()) REQUIRE(line.back() != ' ');
    }
    REQUIRE(decode_quoted_printable(encoded) == normalise_line_endings(text));
    REQUIRE_FALSE(contains(encoded, "=_"));
  }
}

// ---- base64 and encoded-words ----

TEST_CASE("base64 follows RFC 4648's test vectors") {
  const auto base64 = [](std::string_view bytes) {
    std::string out;
    outreach::detail::append_base64(out, bytes);
    CHECK(out.size() == outreach::detail::base64_length(bytes.size()));
    return out;
  };
  CHECK(base64("").empty());
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foob") == "Zm9vYg==");
  CHECK(base64("fooba") == "Zm9vYmE=");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64("\xFF\xFE\xFD") == "//79");
}

TEST_CASE("encoded-words are at most 75 characters, split between characters, and decode to the text") {
  std::mt19937 random(7);
  for (std::size_t length = 0; length < 120; ++length) {
    const std::string text = random_utf8(random, length);
    std::string out;
    outreach::detail::HeaderWriter header(out);
    header.begin("Subject");
    outreach::detail::add_encoded_words(header, text);
    header.end();
    for (const std::string_view line : lines_of(out)) CHECK(line.size() <= 78);
    const ParsedMessage parsed = parse_message(out + "\r\n");
    CHECK(decode_encoded_words(parsed.value("Subject")) == text);
  }
}

TEST_CASE("a 4-byte character at every position of an encoded-word boundary stays whole") {
  for (std::size_t prefix = 0; prefix < 50; ++prefix) {
    std::string subject(prefix, 'a');
    for (int i = 0; i < 30; ++i) subject += "😀";
    subject += "ü";
    CHECK(subject_round_trip(subject) == subject);
  }
}

// ---- Subject ----

TEST_CASE("a printable ASCII subject is written as it is") {
  const ParsedMessage message = parse_message(composed(basic_draft()).data);
  CHECK(message.field("Subject")->raw == "Subject: Quick question");
}

TEST_CASE("a long ASCII subject is folded at spaces and unfolds to itself") {
  std::string subject;
  for (int i = 0; i < 30; ++i) subject += (i ? " " : "") + std::string("word") + std::to_string(i);
  MessageDraft draft = basic_draft();
  draft.subject = subject;
  const ParsedMessage message = parse_message(composed(draft).data);
  check_header_lines_fold(message);
  CHECK(contains(message.field("Subject")->raw, "\r\n "));
  CHECK(message.value("Subject") == subject);
  CHECK_FALSE(contains(message.field("Subject")->raw, "=?"));
}

TEST_CASE("UTF-8 subjects in several scripts round-trip through encoded-words") {
  for (const std::string& subject : std::vector<std::string>{"Grüße aus München", "日本語の件名です", "Quick question 🎉🚀", "Ωμέγα и Кириллица",
                                    "مرحبا بالعالم", "a\xC2\xA0non-breaking space", "Ünïcödé"}) {
    CHECK(subject_round_trip(subject) == subject);
  }
}

TEST_CASE("a long UTF-8 subject needs several encoded-words and every line is at most 78") {
  std::string subject;
  for (int i = 0; i < 12; ++i) subject += "Überraschung für Sie – 特別なオファー 🎁 ";
  MessageDraft draft = basic_draft();
  draft.subject = subject;
  const ParsedMessage message = parse_message(composed(draft).data);
  check_header_lines_fold(message);
  const std::string& raw = message.field("Subject")->raw;
  CHECK(std::count(raw.begin(), raw.end(), '\n') >= 10);
  CHECK(decode_encoded_words(message.value("Subject")) == subject);
}

TEST_CASE("a subject with CR LF from a lead value cannot start a new header") {
  for (const std::string& subject : std::vector<std::string>{"Hello\r\nBcc: victim@example.com", "Hello\nBcc: victim@example.com",
                                    "Hello\rBcc: victim@example.com", "\r\nBcc: victim@example.com",
                                    "Hi\r\n\r\nInjected body", "Hello\r\n Bcc: folded@example.com"}) {
    MessageDraft draft = basic_draft();
    draft.subject = subject;
    const std::string data = composed(draft).data;
    const ParsedMessage message = parse_message(data);
    CHECK(message.names() == std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                                      "Content-Type", "Content-Transfer-Encoding"});
    CHECK_FALSE(contains(data, "\r\nBcc:"));
    CHECK_FALSE(contains(data, "Bcc: "));
    CHECK(decode_encoded_words(message.value("Subject")) == subject);
  }
}

TEST_CASE("control characters in a subject are encoded, not written") {
  for (const std::string& subject : std::vector<std::string>{"tab\there", std::string("nul\0here", 8), "bell\x07", "del\x7F"}) {
    const std::string data = composed([&] {
      MessageDraft draft = basic_draft();
      draft.subject = subject;
      return draft;
    }()).data;
    CHECK_FALSE(contains(data.substr(0, data.find("\r\n\r\n")), subject));
    CHECK(subject_round_trip(subject) == subject);
  }
}

TEST_CASE("subjects with leading, trailing or repeated spaces or '=?' keep their exact text") {
  for (const std::string& subject : std::vector<std::string>{" leading", "trailing ", "double  space", "   ", "=?UTF-8?B?SGk=?=", "a =? b",
                                    std::string(100, 'x'), "Re: " + std::string(70, 'y')}) {
    CHECK(subject_round_trip(subject) == subject);
  }
}

TEST_CASE("an empty subject gives an empty Subject field") {
  MessageDraft draft = basic_draft();
  draft.subject.clear();
  const ParsedMessage message = parse_message(composed(draft).data);
  CHECK(message.value("Subject").empty());
}

TEST_CASE("invalid UTF-8 in the subject or a body is invalid_utf8 naming the part") {
  MessageDraft draft = basic_draft();
  draft.subject = "bad \xC3";
  auto error = compose_error(draft);
  CHECK(error.code() == Errc::invalid_utf8);
  CHECK(contains(error.message(), "Subject"));

  draft = basic_draft();
  draft.text = "ok\n\xFF";
  error = compose_error(draft);
  CHECK(error.code() == Errc::invalid_utf8);
  CHECK(contains(error.message(), "text body"));

  draft = basic_draft();
  draft.html = "<p>\xED\xA0\x80</p>";
  error = compose_error(draft);
  CHECK(error.code() == Errc::invalid_utf8);
  CHECK(contains(error.message(), "html body"));
}

// ---- addresses ----

TEST_CASE("display names are atoms, quoted strings or encoded-words as their characters need") {
  const auto from_field = [](std::string name) {
    MessageDraft draft = basic_draft();
    draft.from.name = std::move(name);
    const ParsedMessage message = parse_message(composed(draft).data);
    check_header_lines_fold(message);
    return message.value("From");
  };
  CHECK(from_field("Alice Doe") == "Alice Doe <alice@acme.example>");
  CHECK(from_field("") == "alice@acme.example");
  CHECK(from_field("Doe, Jane") == "\"Doe, Jane\" <alice@acme.example>");
  CHECK(from_field("J. \"JD\" Doe \\ Jr.") == "\"J. \\\"JD\\\" Doe \\\\ Jr.\" <alice@acme.example>");
  CHECK(from_field(" spaced ") == "\" spaced \" <alice@acme.example>");
  CHECK(from_field("Jürgen Groß").substr(0, 10) == "=?UTF-8?B?");
  CHECK(from_field("=?UTF-8?B?SGk=?=").substr(0, 10) == "=?UTF-8?B?");
  for (const std::string& name : std::vector<std::string>{"Alice Doe", "Doe, Jane", "J. \"JD\" Doe \\ Jr.", " spaced ", "Jürgen Groß",
                                 "山田 太郎", "😀 Emoji 🎉", "=?UTF-8?B?SGk=?=", std::string(120, 'n'),
                                 "Very Long Name With Many Words That Goes On And On Beyond Any Sensible Length Ltd."}) {
    CHECK(display_name_of(from_field(name)) == name);
  }
}

TEST_CASE("a display name with CR LF cannot inject a header") {
  MessageDraft draft = basic_draft();
  draft.from.name = "Alice\r\nBcc: victim@example.com";
  auto error = compose_error(draft);
  CHECK(error.code() == Errc::invalid_value);
  CHECK(contains(error.message(), "From: display name"));

  draft = basic_draft();
  draft.to.name = "Bob\nBcc: victim@example.com";
  error = compose_error(draft);
  CHECK(error.code() == Errc::invalid_value);
  CHECK(contains(error.message(), "To: "));
}

TEST_CASE("an address with CR LF is invalid_value naming the header") {
  MessageDraft draft = basic_draft();
  draft.to.email = "bob@example.com\r\nBcc: victim@example.com";
  const auto error = compose_error(draft);
  CHECK(error.code() == Errc::invalid_value);
  CHECK(contains(error.message(), "To: address"));
}

TEST_CASE("address domains are written as A-labels and a UTF-8 local part needs SMTPUTF8") {
  MessageDraft draft = basic_draft();
  draft.from = {"Jürgen", "jürgen@bücher.example"};
  draft.to = {"", "Anna@MÜNCHEN.de"};
  draft.to.email = "anna@münchen.de";
  const auto message = composed(draft);
  const ParsedMessage parsed = parse_message(message.data);
  CHECK(contains(parsed.value("From"), "<jürgen@xn--bcher-kva.example>"));
  CHECK(parsed.value("To") == "anna@xn--mnchen-3ya.de");
  CHECK(message.requires_smtputf8);
  CHECK(message.envelope_from == "jürgen@xn--bcher-kva.example");
  CHECK(message.envelope_to == "anna@xn--mnchen-3ya.de");

  draft.from.email = "juergen@bücher.example";
  CHECK_FALSE(composed(draft).requires_smtputf8);
}

TEST_CASE("ASCII domains are written in lower case, local parts as given") {
  MessageDraft draft = basic_draft();
  draft.to = {"", "Bob.Smith@Example.COM"};
  const auto message = composed(draft);
  CHECK(parse_message(message.data).value("To") == "Bob.Smith@example.com");
  CHECK(message.envelope_to == "Bob.Smith@example.com");
}

// ---- ids ----

TEST_CASE("Message-ID, In-Reply-To and References are written as given") {
  MessageDraft draft = basic_draft();
  draft.in_reply_to = "<parent@acme.example>";
  draft.references = {"<root@acme.example>", "<parent@acme.example>"};
  const auto message = composed(draft);
  const ParsedMessage parsed = parse_message(message.data);
  CHECK(parsed.value("Message-ID") == draft.message_id);
  CHECK(parsed.value("In-Reply-To") == "<parent@acme.example>");
  CHECK(parsed.value("References") == "<root@acme.example> <parent@acme.example>");
  CHECK(message.message_id == draft.message_id);
}

TEST_CASE("References with many ids folds between ids") {
  MessageDraft draft = basic_draft();
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    draft.references.push_back("<" + std::string(32, static_cast<char>('a' + i % 26)) + "@acme.example>");
    expected += (i ? " " : "") + draft.references.back();
  }
  const ParsedMessage parsed = parse_message(composed(draft).data);
  check_header_lines_fold(parsed);
  CHECK(parsed.value("References") == expected);
  const std::string& raw = parsed.field("References")->raw;
  CHECK(std::count(raw.begin(), raw.end(), '\n') >= 20);
}

TEST_CASE("malformed ids are invalid_value naming the header") {
  const std::vector<std::string> bad = {"no-brackets@acme.example", "<no-at-sign>", "<@acme.example>", "<left@>",
                                        "<with space@acme.example>", "<cr\r\nBcc: x@y@acme.example>",
                                        "<nested<id>@acme.example>", "<tab\t@acme.example>", "<ü@acme.example>",
                                        "<two@at@acme.example>", "<" + std::string(950, 'x') + "@acme.example>", "<>"};
  for (const std::string& id : bad) {
    INFO("id: ", id);
    MessageDraft draft = basic_draft();
    draft.message_id = id;
    auto error = compose_error(draft);
    CHECK(error.code() == Errc::invalid_value);
    CHECK(contains(error.message(), "Message-ID"));
    CHECK_FALSE(contains(error.message(), "\r"));

    draft = basic_draft();
    draft.in_reply_to = id;
    CHECK(contains(compose_error(draft).message(), "In-Reply-To"));

    draft = basic_draft();
    draft.references = {"<ok@acme.example>", id};
    CHECK(contains(compose_error(draft).message(), "References"));
  }
  MessageDraft draft = basic_draft();
  draft.message_id.clear();
  CHECK(contains(compose_error(draft).message(), "Message-ID"));
}

TEST_CASE("make_message_id hashes length-prefixed fields as documented") {
  const std::string id = outreach::make_message_id("q4-saas", "bob@example.com", 2, "acme.example");
  const std::string hex =
      outreach::detail::sha256_hex("outreach-message-id-v1:7:q4-saas,15:bob@example.com,1:2,").substr(0, 32);
  CHECK(id == "<" + hex + "@acme.example>");
  CHECK(id == outreach::make_message_id("q4-saas", "bob@example.com", 2, "acme.example"));
}

TEST_CASE("make_message_id differs for every field and cannot be confused by shifting text") {
  const std::string base = outreach::make_message_id("campaign", "lead", 1, "acme.example");
  CHECK(base != outreach::make_message_id("campaign2", "lead", 1, "acme.example"));
  CHECK(base != outreach::make_message_id("campaign", "lead2", 1, "acme.example"));
  CHECK(base != outreach::make_message_id("campaign", "lead", 2, "acme.example"));
  CHECK(outreach::make_message_id("ab", "c", 1, "x.example") != outreach::make_message_id("a", "bc", 1, "x.example"));
  CHECK(outreach::make_message_id("a,1:b", "", 1, "x.example") != outreach::make_message_id("a", "b", 1, "x.example"));
  CHECK(base.size() == 1 + 32 + 1 + 12 + 1);
}

TEST_CASE("make_message_id writes the domain in IDNA form and compose accepts the id") {
  const std::string id = outreach::make_message_id("c", "lead@example.com", 1, "Bücher.Example");
  CHECK(id.substr(id.find('@')) == "@xn--bcher-kva.example>");
  MessageDraft draft = basic_draft();
  draft.message_id = id;
  CHECK(outreach::compose(draft).has_value());
}

// ---- List-Unsubscribe ----

TEST_CASE("List-Unsubscribe carries the URL and mailto entries and One-Click only with a URL") {
  MessageDraft draft = basic_draft();
  draft.list_unsubscribe_url = "https://acme.example/u/abc123?x=1&y=2";
  draft.list_unsubscribe_mailto = "unsubscribe@acme.example";
  ParsedMessage parsed = parse_message(composed(draft).data);
  CHECK(parsed.value("List-Unsubscribe") ==
        "<https://acme.example/u/abc123?x=1&y=2>, <mailto:unsubscribe@acme.example>");
  CHECK(parsed.value("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click");

  draft.list_unsubscribe_mailto.clear();
  parsed = parse_message(composed(draft).data);
  CHECK(parsed.value("List-Unsubscribe") == "<https://acme.example/u/abc123?x=1&y=2>");
  CHECK(parsed.field("List-Unsubscribe-Post") != nullptr);

  draft.list_unsubscribe_url.clear();
  draft.list_unsubscribe_mailto = "unsubscribe@acme.example";
  parsed = parse_message(composed(draft).data);
  CHECK(parsed.value("List-Unsubscribe") == "<mailto:unsubscribe@acme.example>");
  CHECK(parsed.field("List-Unsubscribe-Post") == nullptr);

  draft.list_unsubscribe_mailto.clear();
  parsed = parse_message(composed(draft).data);
  CHECK(parsed.field("List-Unsubscribe") == nullptr);
}

TEST_CASE("a long unsubscribe URL and mailto fold between the entries") {
  MessageDraft draft = basic_draft();
  draft.list_unsubscribe_url = "https://acme.example/unsubscribe/" + std::string(30, 't');
  draft.list_unsubscribe_mailto = "unsubscribe+" + std::string(20, 'm') + "@acme.example";
  const ParsedMessage parsed = parse_message(composed(draft).data);
  check_header_lines_fold(parsed);
  CHECK(parsed.value("List-Unsubscribe") ==
        "<" + draft.list_unsubscribe_url + ">, <mailto:" + draft.list_unsubscribe_mailto + ">");
}

TEST_CASE("a mailto with a UTF-8 local part is percent-encoded and its domain IDNA-encoded") {
  MessageDraft draft = basic_draft();
  draft.list_unsubscribe_mailto = "abmelden?x=1#ü@bücher.example";
  const ParsedMessage parsed = parse_message(composed(draft).data);
  CHECK(parsed.value("List-Unsubscribe") == "<mailto:abmelden%3Fx%3D1%23%C3%BC@xn--bcher-kva.example>");
}

TEST_CASE("an unsubscribe URL with spaces, control characters or '>' is invalid_value") {
  for (const std::string& url : std::vector<std::string>{"https://acme.example/u/a b", "https://acme.example/u/\r\nBcc: x@y",
                                "https://acme.example/u/>", "https://acme.example/u/<", "https://acme.example/ü",
                                "http://acme.example/u/1", "mailto:x@acme.example", "https://",
                                "https://acme.example/\"q\"", "https://acme.example/" + std::string(900, 'z')}) {
    INFO("url: ", url);
    MessageDraft draft = basic_draft();
    draft.list_unsubscribe_url = url;
    const auto error = compose_error(draft);
    CHECK(error.code() == Errc::invalid_value);
    CHECK(contains(error.message(), "List-Unsubscribe"));
  }
  MessageDraft draft = basic_draft();
  draft.list_unsubscribe_mailto = "unsub@acme.example\r\nBcc: x@y";
  CHECK(contains(compose_error(draft).message(), "List-Unsubscribe mailto"));
  draft.list_unsubscribe_mailto = "Name <unsub@acme.example>";
  CHECK(compose_error(draft).code() == Errc::invalid_value);
}

// ---- structure ----

TEST_CASE("headers come in the documented order") {
  MessageDraft draft = basic_draft();
  draft.in_reply_to = "<parent@acme.example>";
  draft.references = {"<parent@acme.example>"};
  draft.list_unsubscribe_url = "https://acme.example/u/1";
  draft.list_unsubscribe_mailto = "u@acme.example";
  ParsedMessage parsed = parse_message(composed(draft).data);
  CHECK(parsed.names() == std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID", "In-Reply-To",
                                                   "References", "List-Unsubscribe", "List-Unsubscribe-Post",
                                                   "MIME-Version", "Content-Type", "Content-Transfer-Encoding"});
  check_header_lines_fold(parsed);
  CHECK(parsed.value("Date") == "Tue, 01 Dec 2026 14:03:12 +0000");
  CHECK(parsed.value("MIME-Version") == "1.0");
  CHECK(parsed.value("Content-Type") == "text/plain; charset=utf-8");
  CHECK(parsed.value("Content-Transfer-Encoding") == "quoted-printable");

  draft.html = "<p>Hi</p>";
  parsed = parse_message(composed(draft).data);
  CHECK(parsed.names() == std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID", "In-Reply-To",
                                                   "References", "List-Unsubscribe", "List-Unsubscribe-Post",
                                                   "MIME-Version", "Content-Type"});
}

TEST_CASE("a text body is quoted-printable with CRLF line endings and decodes to the text") {
  MessageDraft draft = basic_draft();
  draft.text = "Hi Bob,\n\nA line with = and ü and 🎉 and a trailing space \r\n" + std::string(200, 'w') + "\rend";
  const ParsedMessage parsed = parse_message(composed(draft).data);
  for (const std::string_view line : lines_of(parsed.body)) CHECK(line.size() <= 76);
  CHECK(decode_quoted_printable(parsed.body) == normalise_line_endings(draft.text) + "\r\n");

  draft.text = "ends with a newline\n";
  CHECK(decode_quoted_printable(parse_message(composed(draft).data).body) == "ends with a newline\r\n");
  draft.text.clear();
  CHECK(parse_message(composed(draft).data).body.empty());
}

TEST_CASE("with html the message is multipart/alternative with the text part then the html part") {
  MessageDraft draft = basic_draft();
  draft.text = "Plain text, line one\nline two ü";
  draft.html = "<html><body><p style=\"color: red\">Hello ü 🎉</p>\n<p>" + std::string(150, 'h') + "</p></body></html>\n";
  const ParsedMessage parsed = parse_message(composed(draft).data);
  const std::string content_type = parsed.value("Content-Type");
  const std::string prefix = "multipart/alternative; boundary=\"";
  REQUIRE(content_type.substr(0, prefix.size()) == prefix);
  const std::string boundary = content_type.substr(prefix.size(), content_type.size() - prefix.size() - 1);
  CHECK(boundary.substr(0, 2) == "=_");
  CHECK(parsed.field("Content-Transfer-Encoding") == nullptr);

  const std::string delimiter = "--" + boundary + "\r\n";
  const std::string close = "\r\n--" + boundary + "--\r\n";
  REQUIRE(parsed.body.substr(0, delimiter.size()) == delimiter);
  REQUIRE(parsed.body.size() >= close.size());
  REQUIRE(parsed.body.substr(parsed.body.size() - close.size()) == close);
  const std::string inner = parsed.body.substr(delimiter.size(), parsed.body.size() - delimiter.size() - close.size());
  const std::size_t middle = inner.find("\r\n" + delimiter);
  REQUIRE(middle != std::string::npos);
  CHECK(inner.find("--" + boundary, middle + 2 + delimiter.size()) == std::string::npos);

  const ParsedMessage text_part = parse_message(inner.substr(0, middle) + "\r\n");
  const ParsedMessage html_part = parse_message(inner.substr(middle + 2 + delimiter.size()) + "\r\n");
  CHECK(text_part.value("Content-Type") == "text/plain; charset=utf-8");
  CHECK(html_part.value("Content-Type") == "text/html; charset=utf-8");
  CHECK(text_part.value("Content-Transfer-Encoding") == "quoted-printable");
  CHECK(html_part.value("Content-Transfer-Encoding") == "quoted-printable");
  // The CRLF before each delimiter belongs to the delimiter.
  CHECK(decode_quoted_printable(text_part.body.substr(0, text_part.body.size() - 2)) ==
        normalise_line_endings(draft.text));
  CHECK(decode_quoted_printable(html_part.body.substr(0, html_part.body.size() - 2)) ==
        normalise_line_endings(*draft.html));
}

TEST_CASE("a body containing the boundary text cannot end its part early") {
  MessageDraft draft = basic_draft();
  draft.html = "<p>x</p>";
  const std::string data = composed(draft).data;
  const std::string content_type = parse_message(data).value("Content-Type");
  const std::string boundary = content_type.substr(content_type.find('"') + 1, content_type.size() - content_type.find('"') - 2);
  draft.text = "--" + boundary + "\n--" + boundary + "--\nContent-Type: text/html\n";
  draft.html = draft.text;
  const std::string hostile = composed(draft).data;
  std::size_t count = 0;
  for (std::size_t at = hostile.find("--" + boundary); at != std::string::npos; at = hostile.find("--" + boundary, at + 1)) ++count;
  CHECK(count == 3);
}

TEST_CASE("the same draft gives the same bytes, and the boundary follows the Message-ID") {
  MessageDraft draft = basic_draft();
  draft.html = "<p>Hi</p>";
  const std::string first = composed(draft).data;
  CHECK(composed(draft).data == first);
  draft.message_id = "<other@acme.example>";
  const std::string second = composed(draft).data;
  const auto boundary_of = [](const std::string& data) { return parse_message(data).value("Content-Type"); };
  CHECK(boundary_of(first) != boundary_of(second));
  draft.text = "different text";
  CHECK(boundary_of(composed(draft).data) == boundary_of(second));
}

// ---- Date ----

TEST_CASE("dates are RFC 5322 in UTC with English names and a two-digit day") {
  CHECK(outreach::format_rfc5322_date(sys_days{2026y / December / 1} + hours{14} + minutes{3} + seconds{12}) ==
        "Tue, 01 Dec 2026 14:03:12 +0000");
  CHECK(outreach::format_rfc5322_date(sys_seconds{}) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(outreach::format_rfc5322_date(sys_days{2024y / February / 29} + hours{23} + minutes{59} + seconds{59}) ==
        "Thu, 29 Feb 2024 23:59:59 +0000");
  CHECK(outreach::format_rfc5322_date(sys_days{2000y / July / 9}) == "Sun, 09 Jul 2000 00:00:00 +0000");
  CHECK(outreach::format_rfc5322_date(sys_seconds{seconds{-1}}) == "Wed, 31 Dec 1969 23:59:59 +0000");
  CHECK(outreach::format_rfc5322_date(sys_seconds{seconds{std::numeric_limits<std::int64_t>::max()}}) ==
        "Fri, 31 Dec 9999 23:59:59 +0000");
}

TEST_CASE("compose rejects dates before 1900 or after 9999") {
  MessageDraft draft = basic_draft();
  draft.date = sys_days{1899y / December / 31};
  CHECK(contains(compose_error(draft).message(), "Date"));
  draft.date = sys_days{10000y / January / 1};
  CHECK(contains(compose_error(draft).message(), "Date"));
  draft.date = sys_days{1900y / January / 1};
  CHECK(outreach::compose(draft).has_value());
}

// ---- hostile input ----

TEST_CASE("randomized hostile drafts never crash and every message has CRLF lines of at most 998") {
  std::mt19937 random(42);
  static constexpr std::string_view fragments[] = {
      "\r", "\n", "\r\n", "Bcc: x@y", "=?", "?=", "\"", "\\", "<", ">", "@", " ", "  ", "\t", std::string_view("\0", 1),
      "ü", "😀", "日本", "=", ".", ",", "-", "a", "b", "acme.example", "https://", "mailto:", "xn--",
      "\xC2\x85", "\xE2\x80\xA8", "From: evil@x", "\r\n\r\n", "--=_", "=_"};
  const auto hostile = [&](std::size_t max_pieces) {
    std::string out;
    const std::size_t pieces = random() % (max_pieces + 1);
    for (std::size_t i = 0; i < pieces; ++i) {
      if (random() % 400 == 0) {
        out.append(random() % 2 ? "\xFF" : "\xC3");  // invalid UTF-8, now and then
      } else if (random() % 10 == 0) {
        out.append(random() % 120, static_cast<char>('a' + random() % 26));
      } else {
        out.append(fragments[random() % std::size(fragments)]);
      }
    }
    return out;
  };
  const auto maybe_hostile = [&](std::string good, std::size_t max_pieces) {
    return random() % 6 == 0 ? hostile(max_pieces) : good;
  };
  static constexpr std::string_view known_fields[] = {
      "Date", "From", "To", "Subject", "Message-ID", "In-Reply-To", "References", "List-Unsubscribe",
      "List-Unsubscribe-Post", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};
  int composed_count = 0;
  for (int round = 0; round < 3000; ++round) {
    MessageDraft draft;
    const std::string from_text = maybe_hostile("Alice <alice@acme.example>", 8);
    if (auto from = Address::parse(from_text)) {
      draft.from = *from;
    } else {
      draft.from = {hostile(4), maybe_hostile("alice@acme.example", 6)};
    }
    draft.to = {maybe_hostile("Bob", 10), maybe_hostile("bob@example.com", 6)};
    draft.subject = maybe_hostile("Hello", 30) + hostile(20);
    draft.text = hostile(60);
    if (random() % 2) draft.html = hostile(60);
    draft.message_id = maybe_hostile("<id@acme.example>", 6);
    draft.date = sys_seconds{seconds{static_cast<std::int64_t>(random())} * (random() % 3 == 0 ? -1 : 1)};
    draft.in_reply_to = random() % 2 ? maybe_hostile("<p@acme.example>", 5) : "";
    for (std::size_t i = random() % 4; i > 0; --i) draft.references.push_back(maybe_hostile("<r@acme.example>", 5));
    draft.list_unsubscribe_url = random() % 2 ? maybe_hostile("https://acme.example/u/1", 6) : "";
    draft.list_unsubscribe_mailto = random() % 2 ? maybe_hostile("u@acme.example", 6) : "";

    const auto message = outreach::compose(draft);
    if (!message) {
      CHECK(!message.error().message().empty());
      CHECK_FALSE(contains(message.error().message(), "\r"));
      CHECK_FALSE(contains(message.error().message(), "\n"));
      continue;
    }
    ++composed_count;
    const ParsedMessage parsed = parse_message(message->data);
    for (const Field& field : parsed.fields) {
      INFO("field: ", field.name);
      CHECK(std::find(std::begin(known_fields), std::end(known_fields), field.name) != std::end(known_fields));
    }
    CHECK(decode_encoded_words(parsed.value("Subject")) == draft.subject);
  }
  CHECK(composed_count > 300);
}

TEST_CASE("randomized hostile address text never crashes parse") {
  std::mt19937 random(5322);
  static constexpr std::string_view pieces[] = {"a", "@", "<", ">", "\"", "\\", " ", ".", "-", "\r", "\n", "ü",
                                                "😀", "\xFF", "\xE0\x80", "xn--", "[", "]", ",", "(", ")"};
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    for (std::size_t i = random() % 24; i > 0; --i) text.append(pieces[random() % std::size(pieces)]);
    const auto address = Address::parse(text);
    if (address) {
      CHECK(address->validate().has_value());
      CHECK(outreach::domain_to_ascii(address->domain()).has_value());
    } else {
      CHECK(!address.error().message().empty());
    }
  }
}

}  // TEST_SUITE
