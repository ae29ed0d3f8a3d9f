// The IMAP protocol without I/O: the response reader on transcripts of real servers and on
// hostile input, the typed views, and the commands and mailbox names the client writes.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "imap/imap_command.hpp"
#include "imap/imap_response.hpp"

using namespace outreach;
using namespace std::literals;
using namespace outreach::detail::imap;

namespace {

struct Read {
  std::vector<Response> responses;
  std::optional<Error> error;  // the error that stopped the reader, if any
  std::size_t buffered = 0;
};

// Feeds `stream` in chunks of `chunk` bytes (all at once for 0), taking every response after
// each chunk, as a client does.
Read read_all(std::string_view stream, std::size_t chunk = 0, ReaderLimits limits = {}) {
  ResponseReader reader(limits);
  Read read;
  std::size_t at = 0;
  do {
    const std::size_t size = chunk == 0 ? stream.size() : std::min(chunk, stream.size() - at);
    reader.feed(stream.substr(at, size));
    at += size;
    while (true) {
      auto next = reader.next();
      if (!next) {
        read.error = next.error();
        return read;
      }
      if (!*next) break;
      read.responses.push_back(std::move(**next));
    }
  } while (at < stream.size());
  read.buffered = reader.buffered();
  return read;
}

Response one(std::string_view bytes) {
  const Read read = read_all(bytes);
  REQUIRE_MESSAGE(!read.error, (read.error ? read.error->message() : ""));
  REQUIRE(read.responses.size() == 1);
  CHECK(read.buffered == 0);
  return read.responses.front();
}

Error error_of(std::string_view bytes, ReaderLimits limits = {}) {
  const Read read = read_all(bytes, 0, limits);
  REQUIRE(read.error.has_value());
  return *read.error;
}

Value atom_value(std::string text) {
  Value value;
  value.text = std::move(text);
  return value;
}

Value number_value(std::uint64_t n) {
  Value value;
  value.kind = Value::Kind::number;
  value.number = n;
  value.text = std::to_string(n);
  return value;
}

Value string_value(std::string text) {
  Value value;
  value.kind = Value::Kind::string;
  value.text = std::move(text);
  return value;
}

const std::string dovecot_session =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) "
    "ready.\r\n"
    "a1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT "
    "CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN "
    "CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY LITERAL+ NOTIFY SPECIAL-USE] Logged in\r\n"
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n"
    "* 3 EXISTS\r\n"
    "* 0 RECENT\r\n"
    "* OK [UNSEEN 2] First unseen.\r\n"
    "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
    "* OK [UIDNEXT 4392] Predicted next UID\r\n"
    "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n"
    "a2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"
    "* ESEARCH (TAG \"a3\") UID ALL 4380:4381,4390\r\n"
    "a3 OK Search completed (0.001 + 0.000 secs).\r\n"
    "* 2 FETCH (UID 4381 RFC822.SIZE 68 FLAGS (\\Seen $Forwarded) INTERNALDATE \"11-Jun-2024 09:15:02 +0200\" "
    "BODY[] {68}\r\n"
    "Subject: (re) {5}\r\n"
    "Message-ID: <a(b)c@example.com>\r\n"
    "\r\n"
    "a ) ( {3}\r\n"
    "x\r\n"
    " BODY[HEADER.FIELDS (MESSAGE-ID)] {35}\r\n"
    "Message-ID: <a(b)c@example.com>\r\n"
    "\r\n"
    ")\r\n"
    "a4 OK Fetch completed.\r\n"
    "* BYE Logging out\r\n"
    "a5 OK Logout completed.\r\n";

}  // namespace

TEST_SUITE("imap.protocol") {

TEST_CASE("imap: a Dovecot greeting carries the capabilities in its code") {
  const Response greeting = one(
      "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n");
  CHECK(greeting.kind == Response::Kind::untagged);
  CHECK(greeting.condition == Condition::ok);
  CHECK(greeting.code == "CAPABILITY");
  CHECK(greeting.text == "Dovecot ready.");
  CHECK(greeting.code_values.size() == 9);
  CHECK(greeting.values.empty());
  CHECK(carries_capabilities(greeting));
  const Capabilities caps = parse_capabilities(greeting);
  CHECK(caps.imap4rev1);
  CHECK(caps.sasl_ir);
  CHECK(caps.id);
  CHECK(caps.enable);
  CHECK(caps.idle);
  CHECK(caps.literal_plus);
  CHECK(caps.starttls);
  CHECK(caps.auth_plain);
  CHECK_FALSE(caps.auth_login);
  CHECK_FALSE(caps.logindisabled);
  CHECK_FALSE(caps.literal_minus);
}

TEST_CASE("imap: a Gmail greeting and CAPABILITY data") {
  const Read read = read_all(
      "* OK Gimap ready for requests from 203.0.113.5 h3mb123456789abc\r\n"
      "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2 "
      "AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER\r\n"
      "a1 OK Thats all she wrote! h3mb123456789abc\r\n");
  REQUIRE_FALSE(read.error);
  REQUIRE(read.responses.size() == 3);
  const Response& greeting = read.responses[0];
  CHECK(greeting.condition == Condition::ok);
  CHECK(greeting.code.empty());
  CHECK(greeting.text == "Gimap ready for requests from 203.0.113.5 h3mb123456789abc");
  CHECK_FALSE(carries_capabilities(greeting));

  const Response& data = read.responses[1];
  CHECK(data.is_data("CAPABILITY"));
  CHECK(carries_capabilities(data));
  const Capabilities caps = parse_capabilities(data);
  CHECK(caps.imap4rev1);
  CHECK(caps.idle);
  CHECK(caps.sasl_ir);
  CHECK(caps.auth_xoauth2);
  CHECK(caps.auth_plain);
  CHECK_FALSE(caps.starttls);
  CHECK_FALSE(caps.uidplus);

  CHECK(read.responses[2].kind == Response::Kind::tagged);
  CHECK(read.responses[2].tag == "a1");
  CHECK(read.responses[2].condition == Condition::ok);
  CHECK_FALSE(carries_capabilities(read.responses[2]));

  const Capabilities more =
      parse_capabilities(one("* capability imap4rev1 LITERAL- logindisabled UTF8=ONLY esearch CONDSTORE uidplus "
                             "special-use auth=login\r\n"));
  CHECK(more.literal_minus);
  CHECK(more.logindisabled);
  CHECK(more.utf8_accept);
  CHECK(more.esearch);
  CHECK(more.condstore);
  CHECK(more.uidplus);
  CHECK(more.special_use);
  CHECK(more.auth_login);
}

TEST_CASE("imap: status responses, continuations, lowercase keywords and trailing spaces") {
  const Response no = one("a7 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  CHECK(no.kind == Response::Kind::tagged);
  CHECK(no.tag == "a7");
  CHECK(no.condition == Condition::no);
  CHECK(no.code == "AUTHENTICATIONFAILED");
  CHECK(no.code_values.empty());
  CHECK(no.text == "Authentication failed.");

  const Response bad = one("A0001 bad Error in IMAP command: Unknown command.   \r\n");
  CHECK(bad.condition == Condition::bad);
  CHECK(bad.text == "Error in IMAP command: Unknown command.");

  const Response lower = one("* ok [uidvalidity 77] fine\n");  // bare LF, lowercase
  CHECK(lower.condition == Condition::ok);
  CHECK(lower.code == "UIDVALIDITY");
  CHECK(code_number(lower, "UIDVALIDITY") == 77u);
  CHECK(code_number(lower, "uidvalidity") == 77u);
  CHECK_FALSE(code_number(lower, "UIDNEXT"));

  CHECK(one("* PREAUTH IMAP4rev1 server logged in as Smith\r\n").condition == Condition::preauth);
  const Response bye = one("* BYE Autologout; idle for too long\r\n");
  CHECK(bye.condition == Condition::bye);
  CHECK(bye.text == "Autologout; idle for too long");
  CHECK(one("* OK\r\n").text.empty());
  CHECK(one("a1 OK[READ-ONLY] done\r\n").code == "READ-ONLY");

  const Response go = one("+ Ready for literal data\r\n");
  CHECK(go.kind == Response::Kind::continuation);
  CHECK(go.condition == Condition::none);
  CHECK(go.text == "Ready for literal data");
  CHECK(one("+\r\n").kind == Response::Kind::continuation);
  CHECK(one("+ \r\n").text.empty());
  CHECK(one("+ dXNlcm5hbWU6\r\n").text == "dXNlcm5hbWU6");  // a SASL challenge

  // 8-bit bytes in text are kept as sent; the server's text is not a literal even when it ends
  // like one, so the next response is read.
  const Read read = read_all("* OK Gr\xc3\xbc\xc3\x9f" "e {5}\r\n* 1 EXISTS\r\n");
  REQUIRE_FALSE(read.error);
  REQUIRE(read.responses.size() == 2);
  CHECK(read.responses[0].text == "Gr\xc3\xbc\xc3\x9f" "e {5}");
  CHECK(exists_count(read.responses[1]) == 1u);

  // Response codes of extensions with free text are kept as one value.
  const Response web = one("* NO [WEBALERT https://accounts.example.com/x?a=\"b] Web login required.\r\n");
  CHECK(web.code == "WEBALERT");
  REQUIRE(web.code_values.size() == 1);
  CHECK(web.code_values[0].text == "https://accounts.example.com/x?a=\"b");
  CHECK(web.text == "Web login required.");
  const Response referral = one("a1 NO [REFERRAL imap://user;AUTH=*@server2/] Try server2\r\n");
  CHECK(referral.code_values == std::vector<Value>{atom_value("imap://user;AUTH=*@server2/")});
}

TEST_CASE("imap: SELECT's untagged data, read through a whole Dovecot session") {
  const Read read = read_all(dovecot_session);
  REQUIRE_MESSAGE(!read.error, (read.error ? read.error->message() : ""));
  REQUIRE(read.responses.size() == 17);
  CHECK(read.buffered == 0);
  const auto& r = read.responses;

  CHECK(parse_capabilities(r[1]).uidplus);
  CHECK(parse_capabilities(r[1]).esearch);
  CHECK(parse_capabilities(r[1]).special_use);
  CHECK(parse_capabilities(r[1]).condstore);

  CHECK(r[2].is_data("FLAGS"));
  REQUIRE(r[2].values.size() == 2);
  CHECK(r[2].values[1].items.size() == 5);
  CHECK(r[2].values[1].items[0] == atom_value("\\Answered"));

  CHECK(r[3].code == "PERMANENTFLAGS");
  REQUIRE(r[3].code_values.size() == 1);
  CHECK(r[3].code_values[0].is_list());
  CHECK(r[3].code_values[0].items.back() == atom_value("\\*"));

  CHECK(exists_count(r[4]) == 3u);
  CHECK(r[4].values == std::vector<Value>{number_value(3), atom_value("EXISTS")});
  CHECK_FALSE(exists_count(r[5]));
  CHECK(numbered_data(r[5], "RECENT") == 0u);
  CHECK(code_number(r[6], "UNSEEN") == 2u);
  CHECK(code_number(r[7], "UIDVALIDITY") == 3857529045u);
  CHECK(code_number(r[8], "UIDNEXT") == 4392u);
  CHECK_FALSE(code_number(r[9], "HIGHESTMODSEQ"));  // 64 bits, not a 32-bit number
  CHECK(r[9].code_values == std::vector<Value>{number_value(715194045007)});
  CHECK(r[10].tag == "a2");
  CHECK(r[10].code == "READ-WRITE");

  const auto esearch = parse_esearch(r[11]);
  REQUIRE(esearch);
  CHECK(esearch->tag == "a3");
  CHECK(esearch->uid);
  CHECK(esearch->all == std::vector<std::uint32_t>{4380, 4381, 4390});
  CHECK(parse_search(r[11]) == std::vector<std::uint32_t>{4380, 4381, 4390});

  const auto fetch = parse_fetch(r[13]);
  REQUIRE(fetch);
  CHECK(fetch->sequence == 2);
  CHECK(fetch->uid == 4381u);
  CHECK(fetch->size == 68u);
  CHECK(fetch->flags == std::vector<std::string>{"\\Seen", "$Forwarded"});
  CHECK(fetch->internal_date == "11-Jun-2024 09:15:02 +0200");
  CHECK(fetch->body_section == "BODY[]");
  CHECK(fetch->body ==
        "Subject: (re) {5}\r\nMessage-ID: <a(b)c@example.com>\r\n\r\na ) ( {3}\r\nx\r\n");
  CHECK(fetch->body->size() == 68);
  // The second body section is a value of the response, not the view's body.
  REQUIRE(r[13].values[2].items.size() == 12);
  CHECK(r[13].values[2].items[10] == atom_value("BODY[HEADER.FIELDS (MESSAGE-ID)]"));
  CHECK(r[13].values[2].items[11] == string_value("Message-ID: <a(b)c@example.com>\r\n\r\n"));

  CHECK(r[15].condition == Condition::bye);
  CHECK(r[16].tag == "a5");
}

TEST_CASE("imap: FETCH with quoted and NIL bodies, sections with origins, and other items skipped") {
  const auto quoted_body = parse_fetch(one("* 12 FETCH (BODY[TEXT]<0> \"Hello \\\"you\\\" \\\\ there\" UID 9)\r\n"));
  REQUIRE(quoted_body);
  CHECK(quoted_body->sequence == 12);
  CHECK(quoted_body->uid == 9u);
  CHECK(quoted_body->body == "Hello \"you\" \\ there");
  CHECK(quoted_body->body_section == "BODY[TEXT]<0>");

  const auto nil_body = parse_fetch(one("* 1 FETCH (UID 5 BODY[] NIL)\r\n"));
  REQUIRE(nil_body);
  CHECK_FALSE(nil_body->body);
  CHECK(nil_body->body_section == "BODY[]");

  // Gmail's extensions, ENVELOPE and MODSEQ are skipped; a non-synchronizing literal is read too.
  const auto gmail = parse_fetch(
      one("* 3 FETCH (X-GM-THRID 1803442617262451122 X-GM-LABELS (\\Inbox \"Caf\xc3\xa9\") MODSEQ (4242) "
          "ENVELOPE (NIL \"hi\" NIL NIL NIL NIL NIL NIL NIL \"<x@y>\") UID 77 BODY[HEADER] {4+}\r\nA: b)\r\n"));
  REQUIRE(gmail);
  CHECK(gmail->uid == 77u);
  CHECK(gmail->body == "A: b");
  CHECK(gmail->flags.empty());

  // Not FETCH, or FETCH with items of the wrong kind: nothing.
  CHECK_FALSE(parse_fetch(one("* 3 EXISTS\r\n")));
  CHECK_FALSE(parse_fetch(one("* 0 FETCH (UID 5)\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH (UID 0)\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH (UID abc)\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH (UID 4294967296)\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH (UID)\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH (FLAGS \\Seen)\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH (BODY[] (x))\r\n")));
  CHECK_FALSE(parse_fetch(one("* 1 FETCH UID 5\r\n")));
}

TEST_CASE("imap: LIST and LSUB, with special-use attributes, NIL delimiters and literal names") {
  const auto sent = parse_list(one("* LIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n"));
  REQUIRE(sent);
  CHECK(sent->attributes == std::vector<std::string>{"\\HasNoChildren", "\\Sent"});
  CHECK(sent->delimiter == '/');
  CHECK(sent->name == "[Gmail]/Sent Mail");

  const auto flat = parse_list(one("* LIST (\\Noselect) NIL \"\"\r\n"));
  REQUIRE(flat);
  CHECK_FALSE(flat->delimiter);
  CHECK(flat->name.empty());

  const auto inbox = parse_list(one("* LSUB () \".\" INBOX\r\n"));
  REQUIRE(inbox);
  CHECK(inbox->attributes.empty());
  CHECK(inbox->delimiter == '.');
  CHECK(inbox->name == "INBOX");

  const auto escaped = parse_list(one("* LIST (\\HasChildren) \"\\\\\" {12}\r\nEntw&APw-rfe\r\n"));
  REQUIRE(escaped);
  CHECK(escaped->delimiter == '\\');
  CHECK(escaped->name == "Entw&APw-rfe");
  CHECK(decode_mailbox_name(escaped->name).value() == "Entw\xc3\xbcrfe");

  // RFC 5258 extended data after the name is skipped.
  const auto extended = parse_list(one("* LIST (\\Subscribed) \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"));
  REQUIRE(extended);
  CHECK(extended->name == "Foo");

  CHECK_FALSE(parse_list(one("* LIST (\\Sent) \"//\" x\r\n")));
  CHECK_FALSE(parse_list(one("* LIST \\Sent \"/\" x\r\n")));
  CHECK_FALSE(parse_list(one("* LIST () \"/\"\r\n")));
  CHECK_FALSE(parse_list(one("* FLAGS ()\r\n")));
}

TEST_CASE("imap: STATUS") {
  const auto status = parse_status(one("* STATUS \"Sent Items\" (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 77 RECENT 0)\r\n"));
  REQUIRE(status);
  CHECK(status->mailbox == "Sent Items");
  CHECK(status->messages == 3u);
  CHECK(status->uid_next == 9u);
  CHECK(status->uid_validity == 77u);
  CHECK_FALSE(status->unseen);

  const auto atom_name = parse_status(one("* STATUS INBOX (UNSEEN 2 HIGHESTMODSEQ 715194045007)\r\n"));
  REQUIRE(atom_name);
  CHECK(atom_name->mailbox == "INBOX");
  CHECK(atom_name->unseen == 2u);

  CHECK_FALSE(parse_status(one("* STATUS INBOX (MESSAGES)\r\n")));
  CHECK_FALSE(parse_status(one("* STATUS INBOX (MESSAGES x)\r\n")));
  CHECK_FALSE(parse_status(one("* STATUS INBOX MESSAGES 3\r\n")));
}

TEST_CASE("imap: SEARCH and ESEARCH, with their expansion bounded") {
  CHECK(parse_search(one("* SEARCH 2 84 882\r\n")) == std::vector<std::uint32_t>{2, 84, 882});
  CHECK(parse_search(one("* SEARCH\r\n")) == std::vector<std::uint32_t>{});
  CHECK(parse_search(one("* SEARCH \r\n")) == std::vector<std::uint32_t>{});
  CHECK(parse_search(one("* SEARCH 2 5 (MODSEQ 917162500)\r\n")) == std::vector<std::uint32_t>{2, 5});
  CHECK_FALSE(parse_search(one("* SEARCH 2 x\r\n")));
  CHECK_FALSE(parse_search(one("* SEARCH 0\r\n")));
  CHECK_FALSE(parse_search(one("* 3 EXISTS\r\n")));

  CHECK(parse_search(one("* ESEARCH (TAG \"a1\") UID\r\n")) == std::vector<std::uint32_t>{});
  CHECK(parse_search(one("* ESEARCH UID ALL 5\r\n")) == std::vector<std::uint32_t>{5});
  CHECK(parse_search(one("* ESEARCH ALL 7:5,1\r\n")) == std::vector<std::uint32_t>{5, 6, 7, 1});
  const auto counted = parse_esearch(one("* ESEARCH (TAG \"x\") MIN 2 MAX 7 COUNT 3 MODSEQ 99\r\n"));
  REQUIRE(counted);
  CHECK(counted->tag == "x");
  CHECK_FALSE(counted->uid);
  CHECK(counted->min == 2u);
  CHECK(counted->max == 7u);
  CHECK(counted->count == 3u);
  CHECK(counted->all.empty());

  // A million numbers at most; the whole UID space is refused before anything is allocated.
  const auto million = parse_search(one("* ESEARCH UID ALL 1:1000000\r\n"));
  REQUIRE(million);
  CHECK(million->size() == 1'000'000);
  CHECK_FALSE(parse_search(one("* ESEARCH UID ALL 1:1000000,5\r\n")));
  CHECK_FALSE(parse_search(one("* ESEARCH UID ALL 1:4294967295\r\n")));
  CHECK_FALSE(parse_search(one("* ESEARCH UID ALL 1:*\r\n")));
  CHECK_FALSE(parse_search(one("* ESEARCH UID ALL 0:3\r\n")));
  CHECK_FALSE(parse_search(one("* ESEARCH UID ALL 3,,4\r\n")));
  CHECK_FALSE(parse_esearch(one("* ESEARCH (TAG a1 X) ALL 1\r\n")));
  CHECK_FALSE(parse_esearch(one("* ESEARCH UID ALL\r\n")));
}

TEST_CASE("imap: feeding one byte at a time, or in any chunks, gives what feeding all at once gives") {
  const Read whole = read_all(dovecot_session);
  REQUIRE_FALSE(whole.error);
  for (const std::size_t chunk : {1, 2, 3, 7, 16, 64, 1000}) {
    CAPTURE(chunk);
    const Read chunked = read_all(dovecot_session, chunk);
    REQUIRE_FALSE(chunked.error);
    CHECK(chunked.responses == whole.responses);
    CHECK(chunked.buffered == 0);
  }
  // A partial response waits, and then completes.
  ResponseReader reader;
  reader.feed("* 1 FETCH (BODY[] {5}\r\nab");
  CHECK_FALSE(reader.next().value());
  CHECK(reader.buffered() == 25);
  reader.feed("cde)\r\n* 2 EXI");
  const auto first = reader.next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK(parse_fetch(**first)->body == "abcde");
  CHECK_FALSE(reader.next().value());
  CHECK(reader.buffered() == 7);
}

TEST_CASE("imap: a large literal delivered in 16 KiB chunks") {
  const std::string body(8 * 1024 * 1024, 'x');
  const std::string stream = "* 1 FETCH (UID 3 BODY[] {" + std::to_string(body.size()) + "}\r\n" + body + ")\r\na1 OK done\r\n";
  const Read read = read_all(stream, 16 * 1024);
  REQUIRE_FALSE(read.error);
  REQUIRE(read.responses.size() == 2);
  CHECK(parse_fetch(read.responses[0])->body->size() == body.size());
}

TEST_CASE("imap: empty lines between responses are skipped") {
  const Read read = read_all("\r\n* 1 EXISTS\r\n\r\n\na1 OK done\r\n");
  REQUIRE_FALSE(read.error);
  REQUIRE(read.responses.size() == 2);
  CHECK(read.buffered == 0);
}

TEST_CASE("imap: buffered() counts the bytes after the last response taken") {
  ResponseReader reader;
  reader.feed("a1 OK Begin TLS negotiation now\r\n* OK injected\r\n");
  const auto ok = reader.next();
  REQUIRE(ok);
  REQUIRE(*ok);
  CHECK((*ok)->tag == "a1");
  CHECK(reader.buffered() == 15);  // what a server, or a man in the middle, sent before TLS

  ResponseReader clean;
  clean.feed("a1 OK Begin TLS negotiation now\r\n");
  REQUIRE(clean.next().value());
  CHECK(clean.buffered() == 0);
  CHECK_FALSE(clean.next().value());
}

TEST_CASE("imap: every limit is enforced, a literal's before its bytes arrive") {
  ReaderLimits small;
  small.max_line = 100;
  small.max_literal = 1000;
  small.max_response = 2000;
  small.max_depth = 3;
  small.max_items = 20;

  // A line without its end is refused as soon as it is too long.
  ResponseReader endless(small);
  endless.feed("* OK " + std::string(95, 'a'));
  CHECK_FALSE(endless.next().value());
  endless.feed("a");
  const auto long_line = endless.next();
  REQUIRE_FALSE(long_line);
  CHECK(long_line.error().code() == Errc::limit_exceeded);
  CHECK(long_line.error().message().find("line") != std::string::npos);
  // The reader stays failed.
  endless.feed("\r\n");
  CHECK_FALSE(endless.next());
  CHECK(error_of("* OK " + std::string(96, 'a') + "\r\n", small).code() == Errc::limit_exceeded);
  CHECK(read_all("* OK " + std::string(95, 'a') + "\r\n", 0, small).responses.size() == 1);

  // The default limits: 2 GiB announced is refused at once.
  ResponseReader huge;
  huge.feed("* 1 FETCH (BODY[] {2147483648}\r\n");
  const auto announced = huge.next();
  REQUIRE_FALSE(announced);
  CHECK(announced.error().code() == Errc::limit_exceeded);
  CHECK(announced.error().message().find("2147483648") != std::string::npos);
  CHECK(error_of("* 1 FETCH (BODY[] {1001}\r\n", small).code() == Errc::limit_exceeded);
  CHECK(error_of("* 1 FETCH (BODY[] {99999999999999999999999}\r\n").code() == Errc::parse_error);

  // The whole response: literals add up.
  std::string total = "* 1 FETCH (";
  for (int i = 0; i < 3; ++i) total += "BODY[" + std::to_string(i) + "] {900}\r\n" + std::string(900, 'b') + " ";
  total += ")\r\n";
  CHECK(error_of(total, small).code() == Errc::limit_exceeded);
  ReaderLimits roomy = small;
  roomy.max_response = 4000;
  CHECK(read_all(total, 0, roomy).responses.size() == 1);

  // Nesting and values.
  CHECK(read_all("* X (((a)))\r\n", 0, small).responses.size() == 1);
  CHECK(error_of("* X ((((a))))\r\n", small).code() == Errc::limit_exceeded);
  CHECK(error_of("* OK [X (((a)))] deep code\r\n", small).code() == Errc::limit_exceeded);
  CHECK(read_all("* OK [X ((a))] code\r\n", 0, small).responses.size() == 1);
  CHECK(read_all("* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\r\n", 0, small).responses.size() == 1);
  CHECK(error_of("* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\r\n", small).code() ==
        Errc::limit_exceeded);
  // Deep nesting under the default limits, without recursion.
  CHECK(error_of("* X " + std::string(60000, '(') + "\r\n").code() == Errc::limit_exceeded);
}

TEST_CASE("imap: malformed responses are errors that say why") {
  const std::string_view bad[] = {
      "* X (a b\r\n",                      // unbalanced (
      "* X a b)\r\n",                      // unbalanced )
      "* X {5\r\nabcde\r\n",               // no }
      "* X {}\r\n",                        // no length
      "* X {x}\r\n",                       // not a length
      "* X {5}abcde\r\n",                  // not at the end of the line
      "* 1 FETCH (BODY[] {3}\r\nabc",      // (incomplete, see below)
      "(a1 OK done\r\n",                   // garbage tag
      "a\"1 OK done\r\n",                  // garbage tag
      " OK done\r\n",                      // no tag
      "a1 FETCH done\r\n",                 // tagged, not a status
      "a1\r\n",                            // nothing after the tag
      "*\r\n",                             // nothing after *
      "*X 1\r\n",                          // * not followed by a space
      "* X \"a\0b\"\r\n"sv,                // NUL in a quoted string
      "* X \"abc\r\n",                     // quoted string without its end
      "* X BODY[HEADER\r\n",               // section without ]
      "* X a\x01" "b\r\n",                 // a control byte
      "* OK [ALERT text\r\n",              // code without ]
      "* OK [] empty code\r\n",            // code without a name
  };
  for (const std::string_view input : bad) {
    CAPTURE(input);
    const Read read = read_all(input);
    if (input == "* 1 FETCH (BODY[] {3}\r\nabc") {
      CHECK_FALSE(read.error);  // waits for the rest
      CHECK(read.responses.empty());
      continue;
    }
    REQUIRE(read.error);
    CHECK(read.error->code() == Errc::parse_error);
    CHECK(read.error->message().starts_with("IMAP response: "));
  }
  CHECK(error_of("* X (a b\r\n").message().find("(") != std::string::npos);
  CHECK(error_of("(a1 OK done\r\n").message().find("tag") != std::string::npos);
  CHECK(error_of("* X \"a\0b\"\r\n"sv).message().find("NUL") != std::string::npos);

  // Responses before the bad one are still read.
  const Read read = read_all("* 1 EXISTS\r\n* X )\r\n* 2 EXISTS\r\n");
  CHECK(read.responses.size() == 1);
  CHECK(read.error);
}

TEST_CASE("imap: values: atoms, numbers, NIL, strings and lists") {
  const Response r = one("* X 0 18446744073709551615 18446744073709551616 nil \"NIL\" \\Seen BODY[]<0.100> () "
                         "(a (b)) \"\" ~{2}\r\nhi\r\n");
  REQUIRE(r.values.size() == 12);
  CHECK(r.values[1] == number_value(0));
  CHECK(r.values[2].kind == Value::Kind::number);
  CHECK(r.values[2].number == UINT64_MAX);
  CHECK(r.values[3] == atom_value("18446744073709551616"));
  CHECK(r.values[4].is_nil());
  CHECK(r.values[5] == string_value("NIL"));
  CHECK(r.values[6].is_atom("\\seen"));
  CHECK(r.values[7] == atom_value("BODY[]<0.100>"));
  CHECK(r.values[8].is_list());
  CHECK(r.values[8].items.empty());
  CHECK(r.values[9].items.size() == 2);
  CHECK(r.values[9].items[1].items[0] == atom_value("b"));
  CHECK(r.values[10] == string_value(""));
  CHECK(r.values[11] == string_value("hi"));
  CHECK(r.values[1].astring() == "0");
  CHECK_FALSE(r.values[4].astring());
  CHECK_FALSE(r.values[8].astring());
}

TEST_CASE("imap: hostile bytes never crash the reader, and chunking never changes what it reads") {
  std::mt19937 random(11);
  const std::string alphabet = "* a1OK()[]{}\"\\+~012 9\r\n\r\nNILFETCHBODY\x80\xff\0"s;
  ReaderLimits small;
  small.max_line = 40;
  small.max_literal = 30;
  small.max_response = 120;
  small.max_depth = 4;
  small.max_items = 30;
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    const std::size_t length = random() % 120;
    for (std::size_t i = 0; i < length; ++i) input += alphabet[random() % alphabet.size()];
    const Read whole = read_all(input, 0, small);
    const Read bytes = read_all(input, 1, small);
    CHECK(whole.responses == bytes.responses);
    CHECK(whole.error.has_value() == bytes.error.has_value());
    CHECK(whole.responses.size() <= input.size());
  }
}

TEST_CASE("imap: quoted strings, and what they refuse") {
  CHECK(quoted("INBOX").value() == "\"INBOX\"");
  CHECK(quoted("").value() == "\"\"");
  CHECK(quoted("a \"b\" \\c").value() == "\"a \\\"b\\\" \\\\c\"");
  CHECK(quoted(std::string(max_quoted_length, 'x')).has_value());
  for (const std::string_view refused : {"a\rb"sv, "a\nb"sv, "a\0b"sv, "Entw\xc3\xbcrfe"sv}) {
    CAPTURE(refused);
    const auto result = quoted(refused);
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == Errc::invalid_value);
    CHECK(result.error().message().find("literal") != std::string::npos);
  }
  CHECK(quoted(std::string(max_quoted_length + 1, 'x')).error().code() == Errc::invalid_value);

  // What quoted() writes reads back as the same string.
  const std::string tricky = "a \"quoted\" \\ (paren) {5} [x]";
  CHECK(one("* X " + quoted(tricky).value() + "\r\n").values[1] == string_value(tricky));
}

TEST_CASE("imap: literals") {
  CHECK(literal("abc", false) == "{3}\r\nabc");
  CHECK(literal("abc", true) == "{3+}\r\nabc");
  CHECK(literal("", true) == "{0+}\r\n");
  const std::string bytes("a\r\nb\0c)\"", 8);
  CHECK(one("* X " + literal(bytes, false) + "\r\n").values[1] == string_value(bytes));
}

TEST_CASE("imap: mailbox names in modified UTF-7") {
  const std::pair<std::string_view, std::string_view> pairs[] = {
      {"INBOX", "INBOX"},
      {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
      {"&", "&-"},
      {"Tom & Jerry", "Tom &- Jerry"},
      {"\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-"},
      {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"\xf0\x9f\x93\xa7 Mail", "&2D3c5w- Mail"},
      {"Gel\xc3\xb6scht&Sent", "Gel&APY-scht&-Sent"},
      {"", ""},
  };
  for (const auto& [utf8, mutf7] : pairs) {
    CAPTURE(utf8);
    CHECK(encode_mailbox_name(utf8).value() == mutf7);
    CHECK(decode_mailbox_name(mutf7).value() == utf8);
  }
  CHECK(encode_mailbox_name("a\tb").value() == "a&AAk-b");  // controls are not printable ASCII
  CHECK(decode_mailbox_name("a&AAk-b").value() == "a\tb");
  CHECK(encode_mailbox_name("bad \xc3").error().code() == Errc::invalid_utf8);
  CHECK(mailbox_argument("Entw\xc3\xbcrfe").value() == "\"Entw&APw-rfe\"");

  for (const std::string_view refused : {
           "&U,BTFw"sv,     // no -
           "&U/BTFw-"sv,    // '/' is not modified base64
           "&U,BTFw=-"sv,   // no padding
           "&APx-"sv,       // leftover bits that are not zero
           "&APw"sv,        // no -
           "&AP-"sv,        // too short for a character
           "&AGE-"sv,       // printable ASCII ("a") in base64
           "&ACY-"sv,       // "&" in base64
           "&2D0-"sv,       // a high surrogate alone
           "&3gA-"sv,       // a low surrogate alone
           "&2D0-&3Oc-"sv,  // a pair split across runs
           "caf\xc3\xa9"sv, // 8-bit bytes
           "a\x01"sv,       // a control byte
       }) {
    CAPTURE(refused);
    const auto result = decode_mailbox_name(refused);
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == Errc::invalid_value);
  }
}

TEST_CASE("imap: command lines, UID ranges and header searches") {
  CHECK(command_line("a1", "CAPABILITY").value() == "a1 CAPABILITY\r\n");
  CHECK(command_line("A0001", "UID FETCH 5:* (UID BODY.PEEK[])").value() == "A0001 UID FETCH 5:* (UID BODY.PEEK[])\r\n");
  CHECK(command_line("a1", "LOGIN x y\r\na2 DELETE INBOX").error().code() == Errc::invalid_value);
  CHECK(command_line("a1", "NOOP\n").error().code() == Errc::invalid_value);
  CHECK(command_line("a1", std::string_view("NOOP\0", 5)).error().code() == Errc::invalid_value);
  CHECK(command_line("a1", "").error().code() == Errc::invalid_argument);
  for (const std::string_view tag : {""sv, "a 1"sv, "a+"sv, "*"sv, "a\r"sv, "(a"sv, "\xc3\xa9"sv}) {
    CAPTURE(tag);
    CHECK(command_line(tag, "NOOP").error().code() == Errc::invalid_argument);
  }

  CHECK(uid_range(5, std::nullopt) == "5:*");
  CHECK(uid_range(5, 9u) == "5:9");

  CHECK(search_header("Message-ID", "<abc@example.com>").value() == "HEADER Message-ID \"<abc@example.com>\"");
  CHECK(search_header("Message-ID", "<a\"b\\c@x>").value() == "HEADER Message-ID \"<a\\\"b\\\\c@x>\"");
  CHECK(search_header("X-(odd)", "v").value() == "HEADER \"X-(odd)\" \"v\"");
  CHECK(search_header("Message-ID", "<a@b>\r\na2 DELETE INBOX").error().code() == Errc::invalid_value);
  CHECK(search_header("Message-ID", "").error().code() == Errc::invalid_value);
  CHECK(search_header("Message ID", "x").error().code() == Errc::invalid_value);
  CHECK(search_header("Message-ID:", "x").error().code() == Errc::invalid_value);
  CHECK(search_header("", "x").error().code() == Errc::invalid_value);

  CHECK(since_criterion(2026, 12, 5) == "SINCE 5-Dec-2026");
  CHECK(since_criterion(2027, 1, 31) == "SINCE 31-Jan-2027");
}

}  // TEST_SUITE
