// Lead lists: the CSV form (RFC 4180) and the JSON form, with the problems each row can have.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "campaign/lead_json.hpp"
#include "outreach/address.hpp"
#include "outreach/lead_list.hpp"

using outreach::Errc;
using outreach::Error;
using outreach::Lead;
using outreach::LeadList;
using outreach::parse_lead_csv;
using outreach::parse_lead_json;

namespace {

std::string dump(const Error& error) {
  std::string out = error.to_string() + "\n";
  for (const Error& other : error.others()) out += "  " + other.to_string() + "\n";
  return out;
}

std::string dump(const LeadList& list) {
  std::string out;
  for (const Error& problem : list.problems) out += problem.to_string() + "\n";
  return out;
}

LeadList csv(std::string_view text, std::string_view source_name = {}) {
  auto list = parse_lead_csv(text, source_name);
  if (!list) FAIL(dump(list.error()));
  return std::move(*list);
}

Error csv_error(std::string_view text, std::string_view source_name = {}) {
  auto list = parse_lead_csv(text, source_name);
  REQUIRE_FALSE(list.has_value());
  return list.error();
}

LeadList json_list(std::string_view text) {
  auto list = parse_lead_json(text);
  if (!list) FAIL(dump(list.error()));
  return std::move(*list);
}

std::vector<std::string> emails(const LeadList& list) {
  std::vector<std::string> out;
  for (const Lead& lead : list.leads) out.push_back(lead.email);
  return out;
}

std::vector<std::size_t> problem_lines(const LeadList& list) {
  std::vector<std::size_t> out;
  for (const Error& problem : list.problems) out.push_back(problem.where().line.value_or(0));
  return out;
}

std::vector<std::string> problem_paths(const LeadList& list) {
  std::vector<std::string> out;
  for (const Error& problem : list.problems) out.push_back(problem.where().json_path);
  return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The guarantee every loaded list keeps, whatever the input.
void check_every_lead_is_valid(const LeadList& list) {
  for (const Lead& lead : list.leads) {
    auto address = outreach::Address::parse(lead.email);
    REQUIRE_MESSAGE(address.has_value(), lead.email);
    CHECK(address->name.empty());
    CHECK(address->email == lead.email);
  }
}

// Checks that no two leads share an address, compared as Lead::key().
void check_no_repeats(const LeadList& list) {
  std::vector<std::string> keys;
  for (const Lead& lead : list.leads) keys.push_back(lead.key());
  std::sort(keys.begin(), keys.end());
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
}

}  // namespace

TEST_SUITE("test_lead_list") {

// ---- CSV: the format ---------------------------------------------------------------------------

TEST_CASE("a header row then one lead a row gives the leads in list order with their known fields") {
  const LeadList list = csv(
      "email,first_name,last_name,company,title,timezone\n"
      "ann@acme.example,Ann,Lee,Acme,CTO,Europe/Berlin\n"
      "bob@umbra.example,Bob,,Umbra,,\n");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 2);
  const Lead& ann = list.leads[0];
  CHECK(ann.email == "ann@acme.example");
  CHECK(ann.first_name == "Ann");
  CHECK(ann.last_name == "Lee");
  CHECK(ann.company == "Acme");
  CHECK(ann.title == "CTO");
  CHECK(ann.timezone == "Europe/Berlin");
  CHECK(ann.custom.empty());
  CHECK(list.leads[1].email == "bob@umbra.example");
  CHECK(list.leads[1].last_name.empty());
}

TEST_CASE("quoted fields may hold commas, doubled quotes and line breaks") {
  const LeadList list = csv(
      "email,company,title\r\n"
      "\"ann@acme.example\",\"Acme, Inc.\",\"The \"\"Boss\"\"\"\r\n"
      "bob@umbra.example,\"Umbra\r\nLtd\",\"line one\nline two\"\r\n"
      "cy@c.example,\"\"\"\",\"\"\r\n");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 3);
  CHECK(list.leads[0].email == "ann@acme.example");
  CHECK(list.leads[0].company == "Acme, Inc.");
  CHECK(list.leads[0].title == "The \"Boss\"");
  CHECK(list.leads[1].company == "Umbra\r\nLtd");
  CHECK(list.leads[1].title == "line one\nline two");
  CHECK(list.leads[2].company == "\"");
  CHECK(list.leads[2].title.empty());
}

TEST_CASE("empty fields are empty values and a trailing comma gives an empty last field") {
  const LeadList list = csv(
      "email,first_name,note\n"
      "ann@acme.example,,\n"
      "bob@umbra.example,Bob,");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 2);
  CHECK(list.leads[0].first_name.empty());
  CHECK(list.leads[0].field("note") == std::optional<std::string_view>(""));
  CHECK(list.leads[1].first_name == "Bob");
  CHECK(list.leads[1].field("note") == std::optional<std::string_view>(""));
}

TEST_CASE("a quote inside an unquoted field is an ordinary character") {
  const LeadList list = csv("email,last_name\nann@acme.example,O\"Brien \"Jr\"\n");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 1);
  CHECK(list.leads[0].last_name == "O\"Brien \"Jr\"");
}

TEST_CASE("a UTF-8 byte order mark before the header is ignored") {
  const LeadList list = csv("\xEF\xBB\xBF" "email,first_name\nann@acme.example,Ann\n");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 1);
  CHECK(list.leads[0].first_name == "Ann");
}

TEST_CASE("CRLF and LF line ends give the same leads, with or without a final line end") {
  const std::string lf = "email,first_name\nann@acme.example,Ann\nbob@umbra.example,Bob\n";
  const std::string crlf = "email,first_name\r\nann@acme.example,Ann\r\nbob@umbra.example,Bob\r\n";
  const std::string mixed = "email,first_name\r\nann@acme.example,Ann\nbob@umbra.example,Bob";
  const LeadList expected = csv(lf);
  CHECK(expected.leads.size() == 2);
  CHECK(csv(crlf).leads == expected.leads);
  CHECK(csv(mixed).leads == expected.leads);
  CHECK(csv("email,first_name\r\nann@acme.example,Ann\r\nbob@umbra.example,Bob\r").leads == expected.leads);
}

TEST_CASE("a lone CR inside a line is data, not a line end") {
  const LeadList list = csv("email,title\nann@acme.example,a\rb\n");
  REQUIRE(list.leads.size() == 1);
  CHECK(list.leads[0].title == "a\rb");
}

TEST_CASE("blank lines and rows of empty fields are skipped, and lines are still counted") {
  const LeadList list = csv(
      "\n\r\n"
      "email,first_name\n"
      "\n"
      "ann@acme.example,Ann\n"
      ",\n"
      "\r\n"
      "not-an-address,X\n"
      "\n\n");
  REQUIRE(list.leads.size() == 1);
  CHECK(list.problems.size() == 1);
  CHECK(problem_lines(list) == std::vector<std::size_t>{8});
}

TEST_CASE("header names are trimmed and the known columns match in any case") {
  const LeadList list = csv(" EMAIL ,First_Name,\tLAST_NAME,Company,TiTlE,TimeZone\nann@acme.example,Ann,Lee,Acme,CTO,UTC\n");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 1);
  const Lead& ann = list.leads[0];
  CHECK(ann.first_name == "Ann");
  CHECK(ann.last_name == "Lee");
  CHECK(ann.company == "Acme");
  CHECK(ann.title == "CTO");
  CHECK(ann.timezone == "UTC");
  CHECK(ann.custom.empty());
}

TEST_CASE("other columns are custom fields readable through Lead::field, in header order") {
  const LeadList list = csv(
      "Pain Point,email,city,first_name,Lead Score\n"
      "slow deploys,ann@acme.example,Berlin,Ann,97\n");
  REQUIRE(list.leads.size() == 1);
  const Lead& ann = list.leads[0];
  REQUIRE(ann.custom.size() == 3);
  CHECK(ann.custom[0] == std::pair<std::string, std::string>{"Pain Point", "slow deploys"});
  CHECK(ann.custom[1] == std::pair<std::string, std::string>{"city", "Berlin"});
  CHECK(ann.custom[2] == std::pair<std::string, std::string>{"Lead Score", "97"});
  CHECK(ann.field("city") == std::optional<std::string_view>("Berlin"));
  CHECK(ann.field("first_name") == std::optional<std::string_view>("Ann"));
  CHECK_FALSE(ann.field("City").has_value());  // custom names are case-sensitive
  CHECK_FALSE(ann.field("missing").has_value());
}

TEST_CASE("values are kept as given but the address is trimmed") {
  const LeadList list = csv("email,first_name,company\n  ann@acme.example\t,  Ann ,\" Acme \"\n");
  REQUIRE(list.leads.size() == 1);
  CHECK(list.leads[0].email == "ann@acme.example");
  CHECK(list.leads[0].first_name == "  Ann ");
  CHECK(list.leads[0].company == " Acme ");
}

TEST_CASE("template syntax in values is kept as plain text") {
  const LeadList list = csv("email,first_name,company\nann@acme.example,{{company}},{Acme|Umbra} \\{\n");
  REQUIRE(list.leads.size() == 1);
  CHECK(list.leads[0].first_name == "{{company}}");
  CHECK(list.leads[0].company == "{Acme|Umbra} \\{");
}

TEST_CASE("CSV fixtures on disk load with their file name in problems") {
  const std::filesystem::path dir = std::filesystem::path(OUTREACH_SOURCE_DIR) / "tests" / "data" / "leads";
  auto crm = outreach::load_lead_csv(dir / "crm_export.csv");
  if (!crm) FAIL(dump(crm.error()));
  CHECK(emails(*crm) == std::vector<std::string>{"ann@acme.example", "bob@umbra.example", "cy@cyan.example"});
  CHECK(crm->leads[0].company == "Acme, Inc.");
  CHECK(crm->leads[1].field("Notes") == std::optional<std::string_view>("met at \"SaaStr\"\r\nfollow up in May"));
  CHECK(crm->leads[2].timezone.empty());
  REQUIRE(crm->problems.size() == 3);
  for (const Error& problem : crm->problems) CHECK(contains(problem.where().file, "crm_export.csv"));
  CHECK(problem_lines(*crm) == std::vector<std::size_t>{6, 7, 8});
  CHECK(crm->problems[2].code() == Errc::not_found);

  auto missing = outreach::load_lead_csv(dir / "no-such-file.csv");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == Errc::not_found);
}

// ---- CSV: whole-list errors -------------------------------------------------------------------

TEST_CASE("an empty or repeated column name makes the whole list bad input") {
  const Error empty = csv_error("email,,company\nann@acme.example,x,y\n");
  CHECK(empty.code() == Errc::invalid_value);
  CHECK(contains(empty.message(), "column 2 has no name"));
  CHECK(csv_error("email, \t,company\nann@acme.example,x,y\n").code() == Errc::invalid_value);

  const Error known = csv_error("email,company,Company\nann@acme.example,x,y\n");
  CHECK(known.code() == Errc::invalid_value);
  CHECK(contains(known.message(), "repeats column 2"));
  CHECK(known.where().line == 1u);
  CHECK(csv_error("Email, email \nann@acme.example,x\n").code() == Errc::invalid_value);
  CHECK(contains(csv_error("email,city,city\nann@acme.example,x,y\n").message(), "repeats"));
  // Custom names are case-sensitive, so these are two columns.
  CHECK(csv("email,city,City\nann@acme.example,x,y\n").leads[0].custom.size() == 2);
}

TEST_CASE("a list without an email column is bad input") {
  const Error error = csv_error("first_name,contact\nAnn,ann@acme.example\n");
  CHECK(error.code() == Errc::invalid_value);
  CHECK(contains(error.message(), "no \"email\" column"));
  CHECK(contains(error.message(), "\"columns\""));
}

TEST_CASE("a list without a header, or without rows, is bad input") {
  CHECK(csv_error("").code() == Errc::parse_error);
  CHECK(csv_error("\xEF\xBB\xBF").code() == Errc::parse_error);
  CHECK(csv_error("\r\n\n").code() == Errc::parse_error);
  const Error header_only = csv_error("email,first_name\n");
  CHECK(header_only.code() == Errc::invalid_value);
  CHECK(header_only.others().empty());
}

TEST_CASE("a list with no valid row is bad input, with each row's problem attached") {
  const Error error = csv_error("email,first_name\nnobody,A\nann@acme.example\n", "leads.csv");
  CHECK(error.code() == Errc::invalid_value);
  CHECK(contains(error.message(), "no valid lead"));
  CHECK(error.where().file == "leads.csv");
  REQUIRE(error.others().size() == 2);
  CHECK(error.others()[0].where().line == 2u);
  CHECK(error.others()[1].where().line == 3u);
}

TEST_CASE("an unterminated quote makes the list bad input, naming the line its record starts on") {
  const Error in_row = csv_error("email,company\nann@acme.example,Acme\nbob@umbra.example,\"Umbra\nmore\n");
  CHECK(in_row.code() == Errc::parse_error);
  CHECK(contains(in_row.message(), "unterminated quote"));
  CHECK(in_row.where().line == 3u);

  const Error later_line = csv_error("email,company,title\nann@acme.example,\"A\nB\",\"never closed\n");
  CHECK(later_line.where().line == 2u);
  CHECK(contains(later_line.message(), "opening on line 3"));

  CHECK(csv_error("\"email,company\n").where().line == 1u);
}

TEST_CASE("a header that is not UTF-8, or has text after a closing quote, is bad input") {
  outreach::LeadListFormat utf8;
  utf8.encoding = "utf-8";
  const auto list = parse_lead_csv("email,c\xFFty\nann@acme.example,x\n", {}, utf8);
  REQUIRE_FALSE(list.has_value());
  CHECK(list.error().code() == Errc::invalid_utf8);
  CHECK(csv_error("email,\"city\"x\nann@acme.example,x\n").code() == Errc::parse_error);
}

TEST_CASE("more than 1024 columns is bad input") {
  std::string header = "email";
  for (int i = 0; i < 1024; ++i) header += ",c" + std::to_string(i);
  const Error error = csv_error(header + "\nann@acme.example\n");
  CHECK(error.code() == Errc::limit_exceeded);
}

// ---- CSV: rows left out -----------------------------------------------------------------------

TEST_CASE("a row with the wrong number of fields is left out with its line") {
  const LeadList list = csv(
      "email,first_name,company\n"
      // UTF-8 (its valid sequences outnumber the bad bytes below), so the other rows are bad UTF-8.
      "ann@acme.example,Ann,Caf\xC3\xA9 M\xC3\xBCller \xC3\x9C\xC3\xB1\xC3\xAF\xC3\xA7\xC3\xB8" "d\xC3\xA9\n"
      "bob@umbra.example,Bob\n"
      "cy@cyan.example,Cy,Cyan,extra\n"
      "dee@dee.example,Dee,Dee Co\n");
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example", "dee@dee.example"});
  REQUIRE(list.problems.size() == 2);
  CHECK(list.problems[0].to_string() == "line 3: expected 3 fields, found 2");
  CHECK(list.problems[1].to_string() == "line 4: expected 3 fields, found 4");
  CHECK(list.problems[0].code() == Errc::parse_error);
}

TEST_CASE("an invalid address is left out with its line and the reason") {
  const LeadList list = csv(
      "email,first_name\n"
      "ann@acme.example,Ann\n"
      "no-at-sign,X\n"
      ",Empty\n"
      "Bob <bob@umbra.example>,Bob\n"
      "<cy@cyan.example>,Cy\n"
      "two@@example.com,X\n"
      "\"a b@example.com\",X\n",
      "leads.csv");
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example"});
  CHECK(problem_lines(list) == std::vector<std::size_t>{3, 4, 5, 6, 7, 8});
  for (const Error& problem : list.problems) {
    CHECK(problem.code() == Errc::invalid_value);
    CHECK(problem.where().file == "leads.csv");
  }
  CHECK(contains(list.problems[0].message(), "has no '@'"));
  CHECK(contains(list.problems[1].message(), "no email address"));
  CHECK(contains(list.problems[2].message(), "without a display name"));
  CHECK(contains(list.problems[3].message(), "without a display name"));
  CHECK(contains(list.problems[5].message(), "space"));
  CHECK(list.problems[0].to_string().starts_with("leads.csv:3: invalid email address"));
}

TEST_CASE("an address value of kilobytes is reported without quoting it") {
  const LeadList list = csv("email\nann@acme.example\n" + std::string(10000, 'a') + "@example.com\n");
  REQUIRE(list.problems.size() == 1);
  CHECK(list.problems[0].message().size() < 100);
  CHECK(contains(list.problems[0].message(), "longer than any address"));
}

TEST_CASE("a repeated address is left out, naming the line of the first, without regard to case") {
  const LeadList list = csv(
      "email,first_name\n"
      "Ann@Acme.example,First\n"
      "bob@umbra.example,Bob\n"
      "ann@acme.EXAMPLE,Second\n"
      " ANN@ACME.EXAMPLE ,Third\n");
  REQUIRE(list.leads.size() == 2);
  CHECK(list.leads[0].first_name == "First");
  CHECK(list.leads[0].email == "Ann@Acme.example");
  CHECK(problem_lines(list) == std::vector<std::size_t>{4, 5});
  CHECK(contains(list.problems[0].message(), "repeated (first on line 2)"));
  CHECK(contains(list.problems[1].message(), "repeated (first on line 2)"));
}

TEST_CASE("a repeat of a row that was left out is not a repeat") {
  const LeadList list = csv("email,first_name\nann@acme.example,A,extra\nann@acme.example,B\n");
  REQUIRE(list.leads.size() == 1);
  CHECK(list.leads[0].first_name == "B");
  CHECK(problem_lines(list) == std::vector<std::size_t>{2});
}

TEST_CASE("an unknown time zone is reported and the lead kept without one") {
  const LeadList list = csv(
      "email,timezone\n"
      "ann@acme.example,Europe/Berlin\n"
      "bob@umbra.example,Mars/Olympus_Mons\n"
      "cy@cyan.example,\n"
      "dee@dee.example,europe/berlin\n"
      "eve@eve.example,Mars/Olympus_Mons\n");
  REQUIRE(list.leads.size() == 5);
  CHECK(list.leads[0].timezone == "Europe/Berlin");
  CHECK(list.leads[1].timezone.empty());
  CHECK(list.leads[2].timezone.empty());
  CHECK(list.leads[3].timezone.empty());  // zone names are case-sensitive
  CHECK(list.leads[4].timezone.empty());
  CHECK(problem_lines(list) == std::vector<std::size_t>{3, 5, 6});
  CHECK(list.problems[0].code() == Errc::not_found);
  CHECK(list.problems[0].to_string() == "line 3: unknown time zone \"Mars/Olympus_Mons\"; the lead is kept without a time zone");
}

TEST_CASE("problems quote input on one line, shortened") {
  const LeadList list = csv("email,timezone\na@a.example,\"Bad\r\nZone\"\nb@b.example," + std::string(100, 'z') + "\n");
  REQUIRE(list.problems.size() == 2);
  CHECK(list.problems[0].message() == "unknown time zone \"Bad\\r\\nZone\"; the lead is kept without a time zone");
  CHECK(contains(list.problems[1].message(), "\"" + std::string(60, 'z') + "...\""));
}

TEST_CASE("invalid UTF-8 in a value leaves its row out") {
  const LeadList list = csv(
      "email,first_name,company\n"
      // UTF-8 (its valid sequences outnumber the bad bytes below), so the other rows are bad UTF-8.
      "ann@acme.example,Ann,Caf\xC3\xA9 M\xC3\xBCller \xC3\x9C\xC3\xB1\xC3\xAF\xC3\xA7\xC3\xB8" "d\xC3\xA9\n"
      "bob@umbra.example,B\xC3,Umbra\n"
      "cy@cyan.example,Cy,\xED\xA0\x80\n"
      "d\xFF@dee.example,Dee,Dee\n");
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example"});
  CHECK(problem_lines(list) == std::vector<std::size_t>{3, 4, 5});
  for (const Error& problem : list.problems) CHECK(problem.code() == Errc::invalid_utf8);
  CHECK(contains(list.problems[0].message(), "column \"first_name\" is not valid UTF-8"));
  CHECK(list.problems[0].where().offset == 1u);
}

TEST_CASE("a Latin-1 file is read as Windows-1252, and says so") {
  const LeadList list = csv(
      "email,first_name\n"
      "rene@acme.example,Ren\xE9\n"
      "zoe@acme.example,Zo\xEB\n"
      "ann@acme.example,Ann\n",
      "leads.csv");
  CHECK(emails(list) == std::vector<std::string>{"rene@acme.example", "zoe@acme.example", "ann@acme.example"});
  CHECK(list.leads[0].first_name == "Ren\xC3\xA9");
  CHECK(list.leads[1].first_name == "Zo\xC3\xAB");
  CHECK(list.layout.encoding == "windows-1252");
  CHECK(list.problems.empty());
  REQUIRE(list.layout.notes.size() == 1);
  CHECK(list.layout.notes[0].code() == Errc::invalid_utf8);
  CHECK(list.layout.notes[0].where().file == "leads.csv");
  CHECK(contains(list.layout.notes[0].message(), "not UTF-8: read as Windows-1252"));
  // One accidental UTF-8 sequence ("\xC9\xAE" is also "É®") does not make the file UTF-8.
  const LeadList accidental = csv("email,first_name\nrene@acme.example,CAF\xC9\xAE\nzoe@acme.example,Zo\xEB\n"
                                  "al@acme.example,Ren\xE9\n");
  CHECK(accidental.layout.encoding == "windows-1252");
  CHECK(accidental.leads.size() == 3);
}

TEST_CASE("a value longer than 64 KiB leaves its row out, and 64 KiB is accepted") {
  const std::string limit(64 * 1024, 'x');
  const LeadList list = csv(
      "email,company\n"
      "ann@acme.example," + limit + "\n"
      "bob@umbra.example,\"" + limit + "y\"\n"
      "cy@cyan.example,Cyan\n");
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example", "cy@cyan.example"});
  CHECK(list.leads[0].company.size() == limit.size());
  REQUIRE(list.problems.size() == 1);
  CHECK(list.problems[0].where().line == 3u);
  CHECK(list.problems[0].code() == Errc::limit_exceeded);
  CHECK(contains(list.problems[0].message(), "column \"company\" is longer than 65536 bytes"));
}

TEST_CASE("text after a closing quote leaves its row out, and the next row is read") {
  const LeadList list = csv(
      "email,company\n"
      "ann@acme.example,\"Acme\" Inc\n"
      "bob@umbra.example,\"Umbra\"\"\"x,\n"
      "cy@cyan.example,Cyan\n");
  CHECK(emails(list) == std::vector<std::string>{"cy@cyan.example"});
  CHECK(problem_lines(list) == std::vector<std::size_t>{2, 3});
  CHECK(contains(list.problems[0].message(), "column \"company\" has text after its closing quote"));
}

TEST_CASE("every problem names the line its record starts on, also after multi-line quoted records") {
  const LeadList list = csv(
      "email,first_name,\"time\r\nzone\"\r\n"  // lines 1-2: "time\r\nzone" is a custom column
      "\"ann@acme.example\",\"\xC3\x84nn\xC3\xA9\nA.\",\"x\"\n"  // lines 3-4, UTF-8
      "bad,\"multi\nline\nname\",x\n"  // lines 5-7: invalid address
      "bob@umbra.example,Bob\n"  // line 8: wrong count
      "\"ANN@acme.example\",\"\n\n\",x\n"  // lines 9-11: repeat of line 3
      "cy@cyan.example,\"C\xFF\",x\n"  // line 12: invalid UTF-8
      "dee@dee.example,\"\"\"Dee\"\"\r\n\",x\n");  // lines 13-14: kept
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example", "dee@dee.example"});
  CHECK(problem_lines(list) == std::vector<std::size_t>{5, 8, 9, 12});
  CHECK(contains(list.problems[2].message(), "first on line 3"));
  CHECK(list.leads[1].first_name == "\"Dee\"\r\n");
  CHECK(list.leads[0].field("time\r\nzone") == std::optional<std::string_view>("x"));

  const LeadList zones = csv("email,title,timezone\na@a.example,\"1\n2\n3\",Nowhere/Land\nb@b.example,,Atlantis\n");
  CHECK(problem_lines(zones) == std::vector<std::size_t>{2, 5});
}

// ---- CSV: files as spreadsheets and CRMs export them -------------------------------------------

namespace {

LeadList csv_as(std::string_view text, const outreach::LeadListFormat& format) {
  auto list = parse_lead_csv(text, "export.csv", format);
  if (!list) FAIL(dump(list.error()));
  return std::move(*list);
}

std::string utf16le(std::string_view ascii_or_latin1) {
  std::string out;
  for (const char c : ascii_or_latin1) {
    out += c;
    out += '\0';
  }
  return out;
}

std::vector<std::string> layout_fields(const LeadList& list) {
  std::vector<std::string> out;
  for (const outreach::LeadColumn& column : list.layout.columns) out.push_back(column.header + "=" + column.field);
  return out;
}

}  // namespace

TEST_CASE("the delimiter is the header's commonest of comma, semicolon, tab and pipe, outside quotes") {
  for (const char delimiter : {',', ';', '\t', '|'}) {
    CAPTURE(delimiter);
    std::string text = "email,first_name,\"Company, Inc.\"\nann@acme.example,Ann,\"Acme; Co\"\n";
    if (delimiter != ',') {
      text = std::string("email") + delimiter + "first_name" + delimiter + "\"Company, Inc.\"\n" + "ann@acme.example" +
             delimiter + "Ann" + delimiter + "\"Acme, Co\"\n";
    }
    const LeadList list = csv(text);
    CHECK(list.layout.delimiter == delimiter);
    REQUIRE(list.leads.size() == 1);
    CHECK(list.leads[0].first_name == "Ann");
    CHECK(list.leads[0].field("Company, Inc.").has_value());
  }
  // A one-column list has no delimiter to count: a comma.
  CHECK(csv("email\nann@acme.example\n").layout.delimiter == ',');
  // The header's commonest is not taken when the rows do not split by it.
  const LeadList notes = csv("email,notes (a|b|c)\nann@acme.example,x\n\nbob@acme.example,y\n");
  CHECK(notes.layout.delimiter == ',');
  CHECK(notes.leads.size() == 2);
}

TEST_CASE("an Excel sep= first line names the delimiter and lines are still counted from the file's first") {
  const LeadList list = csv("sep=;\r\nemail;first_name\r\nann@acme.example;Ann\r\nnobody;Bob\r\n");
  CHECK(list.layout.delimiter == ';');
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example"});
  CHECK(problem_lines(list) == std::vector<std::size_t>{4});
}

TEST_CASE("a delimiter given wins over the header's, and one of another kind is refused") {
  outreach::LeadListFormat format;
  format.delimiter = ';';
  const LeadList list = csv_as("email;note\nann@acme.example;a, b, c\n", format);
  CHECK(list.leads[0].field("note") == std::optional<std::string_view>("a, b, c"));
  format.delimiter = ':';
  const auto refused = parse_lead_csv("email\nann@acme.example\n", {}, format);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Errc::invalid_value);
}

TEST_CASE("headers named as CRMs name them fill the known fields; other columns stay custom") {
  const LeadList list = csv(
      "First Name,Last Name,Email Address,Company Name,Job Title,Time Zone,Company Size\n"
      "Ann,Lee,ann@acme.example,Acme,CEO,Europe/Paris,11-50\n");
  const Lead ann{.email = "ann@acme.example", .first_name = "Ann", .last_name = "Lee", .company = "Acme",
                 .title = "CEO", .timezone = "Europe/Paris", .custom = {{"Company Size", "11-50"}}};
  CHECK(list.leads == std::vector<Lead>{ann});
  CHECK(layout_fields(list) == std::vector<std::string>{"First Name=first_name", "Last Name=last_name",
                                                        "Email Address=email", "Company Name=company",
                                                        "Job Title=title", "Time Zone=timezone", "Company Size="});
  for (const std::string_view header : {"e-mail", "E-Mail Address", "work_email", "Business Email", "EMAIL"}) {
    CAPTURE(header);
    CHECK(csv(std::string(header) + "\nann@acme.example\n").leads.size() == 1);
  }
  for (const auto& [header, field] : std::vector<std::pair<std::string, std::string>>{
           {"Given Name", "first_name"}, {"surname", "last_name"}, {"Family-Name", "last_name"},
           {"Organization", "company"}, {"Account Name", "company"}, {"Position", "title"}, {"TZ", "timezone"}}) {
    CAPTURE(header);
    CHECK(layout_fields(csv("email," + header + "\na@b.example,x\n"))[1] == header + "=" + field);
  }
}

TEST_CASE("a field's own name wins over a synonym, and the first synonym over a later one") {
  const LeadList list = csv("Work Email,email,Business Email\nwork@acme.example,ann@acme.example,biz@acme.example\n");
  CHECK(list.leads[0].email == "ann@acme.example");
  CHECK(layout_fields(list) == std::vector<std::string>{"Work Email=", "email=email", "Business Email="});
  const LeadList synonyms = csv("Work Email,Business Email\nwork@acme.example,biz@acme.example\n");
  CHECK(synonyms.leads[0].email == "work@acme.example");
  CHECK(synonyms.leads[0].field("Business Email") == std::optional<std::string_view>("biz@acme.example"));
}

TEST_CASE("columns given for fields win over names and synonyms, and a wrong one is refused") {
  outreach::LeadListFormat format;
  format.columns = {{"email", "Contact"}, {"first_name", "given"}};
  const LeadList list = csv_as("Email,Contact,Given\nold@acme.example,ann@acme.example,Ann\n", format);
  CHECK(list.leads[0].email == "ann@acme.example");
  CHECK(list.leads[0].first_name == "Ann");
  CHECK(list.leads[0].custom.empty());  // "Email", named as the field given to "Contact", is not read
  CHECK(list.layout.columns[0].ignored);

  // A column named as the field the format gives to another is not read: not a custom "email".
  format.columns = {{"email", "Work Email"}};
  const LeadList both = csv_as("email,Work Email\nold@acme.example,ann@acme.example\n", format);
  CHECK(both.leads[0].email == "ann@acme.example");
  CHECK(both.leads[0].custom.empty());
  REQUIRE(both.layout.columns.size() == 2);
  CHECK(both.layout.columns[0].ignored);
  CHECK_FALSE(both.layout.columns[1].ignored);

  const auto missing = parse_lead_csv("Email\nann@acme.example\n", "export.csv", format);
  REQUIRE_FALSE(missing.has_value());
  CHECK(contains(missing.error().message(), "columns.email: the header has no column \"Work Email\""));
  format.columns = {{"phone", "Email"}};
  const auto unknown = parse_lead_csv("Email\nann@acme.example\n", "export.csv", format);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(contains(unknown.error().message(), "columns.phone: not a lead field"));
}

TEST_CASE("UTF-16 with a byte order mark, as spreadsheets save Unicode text, reads as its UTF-8") {
  const std::string body = "email\tfirst_name\r\nrene@acme.example\tRen\xE9\r\n";
  const LeadList little = csv(std::string("\xFF\xFE", 2) + utf16le(body));
  CHECK(little.layout.encoding == "utf-16le");
  CHECK(little.layout.delimiter == '\t');
  REQUIRE(little.leads.size() == 1);
  CHECK(little.leads[0].first_name == "Ren\xC3\xA9");
  CHECK(little.problems.empty());

  std::string big = std::string("\xFE\xFF", 2);
  for (const char c : body) big += std::string{'\0', c};
  CHECK(csv(big).leads == little.leads);
  // Without a mark, its NUL bytes tell it.
  CHECK(csv(utf16le(body)).leads == little.leads);
}

TEST_CASE("an encoding given is read with iconv, and one iconv does not know is refused") {
  outreach::LeadListFormat format;
  format.encoding = "iso-8859-2";
  const LeadList list = csv_as("email,first_name,last_name\nlech@example.pl,\xA3ukasz,Wa\xB3\xEAsa\n", format);
  CHECK(list.layout.encoding == "iso-8859-2");
  CHECK(list.leads[0].first_name == "\xC5\x81ukasz");
  CHECK(list.leads[0].last_name == "Wa\xC5\x82\xC4\x99sa");
  CHECK(list.problems.empty());
  format.encoding = "klingon-8";
  const auto refused = parse_lead_csv("email\nann@acme.example\n", {}, format);
  REQUIRE_FALSE(refused.has_value());
  CHECK(contains(refused.error().message(), "unknown encoding \"klingon-8\""));
}

TEST_CASE("a row with bytes its encoding has no character for is left out with its line") {
  // 0x81 is one of the five bytes Windows-1252 leaves undefined.
  const LeadList list = csv("email,first_name\nann@acme.example,Ann\xE9\nbob@acme.example,B\x81" "b\ncy@acme.example,Cy\n");
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example", "cy@acme.example"});
  CHECK(problem_lines(list) == std::vector<std::size_t>{3});
  CHECK(contains(list.problems[0].message(), "no character in windows-1252"));
}

// ---- CSV: hostile and large input -------------------------------------------------------------

TEST_CASE("random bytes never crash the reader and every lead returned has a valid address") {
  std::mt19937 random(20261201);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 300);
  int loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    // Some inputs start as a valid list, so that random bytes also land in rows.
    std::string text = round % 3 == 0 ? "" : round % 3 == 1 ? "email,first_name\n" : "email,first_name\nann@acme.example,Ann\n";
    const int size = length(random);
    for (int i = 0; i < size; ++i) text.push_back(static_cast<char>(byte(random)));
    auto list = parse_lead_csv(text);
    if (!list) continue;
    ++loaded;
    check_every_lead_is_valid(*list);
    check_no_repeats(*list);
  }
  CHECK(loaded > 100);
}

TEST_CASE("random CSV-like text never crashes the reader and keeps every guarantee") {
  // Rows of fields made of pieces that matter to a CSV reader or to an address; most fields
  // are quoted correctly, some are not, so that every path of the reader is taken.
  static const std::vector<std::string> pieces = {
      " ", "\t", "ann@acme.example", "ANN@ACME.example", "bob@umbra.example", "x@y.z", "@", "<", ">",
      "Ann <ann@acme.example>", "Europe/Berlin", "Mars/Base", "UTC", "{{first_name}}", "email", "EMAIL",
      "first_name", "timezone", "city", "\xC3\xA9", "\xFF", "\xC3", "\xEF\xBB\xBF", std::string(1, '\0'), "a",
      "\r", "\n", "\r\n", ",", "\""};
  static const std::vector<std::string> raw = {"\"", "\n", "\r\n", "\r", ",", "\"\"", "\n\n"};
  static const std::vector<std::string> addresses = {"ann@acme.example", "ANN@acme.example", " bob@umbra.example",
                                                     "\"cy@cyan.example\"", "dee@d\xC3\xA9.example", "eve@eve.example"};
  std::mt19937 random(42);
  std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<std::size_t> address(0, addresses.size() - 1);
  std::uniform_int_distribution<std::size_t> raw_piece(0, raw.size() - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int> small(0, 4);
  const auto field = [&] {
    std::string value;
    const int count = small(random);
    for (int i = 0; i < count; ++i) value += pieces[piece(random)];
    const int kind = percent(random);
    if (kind < 3) return value + raw[raw_piece(random)];  // broken on purpose
    const bool needs_quotes = value.find_first_of(",\"\r\n") != std::string::npos;
    if (!needs_quotes && kind < 60) return value;
    std::string quoted = "\"";
    for (const char c : value) {
      quoted += c;
      if (c == '"') quoted += '"';
    }
    return quoted + "\"";
  };
  int loaded = 0;
  std::size_t leads = 0;
  std::size_t problems = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    const int columns = 1 + small(random);
    if (percent(random) < 70) {
      const std::vector<std::string> names = {"email", "first_name", "Timezone", "city", "title"};
      for (int c = 0; c < columns; ++c) text += (c == 0 ? "" : ",") + names[static_cast<std::size_t>(c)];
    } else {
      for (int c = 0; c < columns; ++c) text += (c == 0 ? "" : ",") + field();
    }
    text += percent(random) < 50 ? "\n" : "\r\n";
    const int rows = small(random) * 3;
    for (int r = 0; r < rows; ++r) {
      const int fields = percent(random) < 85 ? columns : 1 + small(random);
      for (int c = 0; c < fields; ++c) {
        if (c != 0) text += ",";
        text += c == 0 && percent(random) < 60 ? addresses[address(random)] : field();
      }
      text += percent(random) < 50 ? "\n" : "\r\n";
    }
    auto list = parse_lead_csv(text, "random.csv");
    if (!list) {
      CHECK_FALSE(list.error().message().empty());
      continue;
    }
    ++loaded;
    leads += list->leads.size();
    problems += list->problems.size();
    check_every_lead_is_valid(*list);
    check_no_repeats(*list);
    std::size_t previous_line = 0;
    for (const Error& problem : list->problems) {
      REQUIRE(problem.where().line.has_value());
      CHECK(*problem.where().line > 1);
      CHECK(*problem.where().line >= previous_line);
      previous_line = *problem.where().line;
      CHECK(problem.where().file == "random.csv");
    }
  }
  INFO(loaded, " of 4000 random inputs loaded: ", leads, " leads, ", problems, " problems");
  CHECK(loaded > 1000);
  CHECK(leads > 2000);
}

TEST_CASE("a 1000-lead file with hostile values loads with the bad rows reported") {
  // Rows cycle through ten kinds: five are bad in a known way, five carry hostile but valid values.
  const std::string huge(70 * 1024, 'h');
  std::string text = "email,first_name,company,title,timezone,notes\r\n";
  std::vector<std::size_t> bad_lines;
  std::size_t line = 2;
  std::size_t good = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string email = "lead" + std::to_string(i) + "@example.com";
    std::string row;
    std::size_t lines_taken = 1;
    switch (i % 10) {
      case 0: row = email + ",\"Eve\r\nBcc: all@example.com\",\"Evil\r\n\r\n<script>\",CTO,UTC,x"; lines_taken = 4; break;
      case 1: row = email + ",{{company}},{Acme|Umbra},\\{,UTC,\"{{#each}}\"\"\""; break;
      case 2: row = email + ",Ann," + huge + ",t,UTC,n"; bad_lines.push_back(line); break;
      case 3: row = email + ",Ann,Acme \xC0\xAF,t,UTC,n"; bad_lines.push_back(line); break;
      case 4: row = "\"" + email + "\r\nBcc: x@example.com\",Ann,Acme,t,UTC,n"; lines_taken = 2; bad_lines.push_back(line); break;
      case 5: row = email + ",,,,,"; break;
      case 6: row = "LEAD" + std::to_string(i - 6) + "@EXAMPLE.COM,Again,,,,"; bad_lines.push_back(line); break;
      case 7: row = email + ",\"" + std::string(1000, ',') + "\",\xF0\x9F\x98\x80,,Europe/Berlin,"; break;
      case 8: row = email + ",a,b"; bad_lines.push_back(line); break;
      case 9: row = email + "," + std::string(64 * 1024, 'v') + ",,,Asia/Kathmandu,\"\n\""; lines_taken = 2; break;
    }
    text += row + "\r\n";
    line += lines_taken;
    if (bad_lines.empty() || bad_lines.back() != line - lines_taken) ++good;
  }
  const LeadList list = csv(text);
  INFO(dump(list));
  CHECK(list.leads.size() == good);
  CHECK(problem_lines(list) == bad_lines);
  check_every_lead_is_valid(list);
  CHECK(list.leads[0].first_name == "Eve\r\nBcc: all@example.com");
  CHECK(list.leads[1].first_name == "{{company}}");
  CHECK(list.leads[1].field("notes") == std::optional<std::string_view>("{{#each}}\""));
}

TEST_CASE("a 100000-row generated list loads in one pass") {
  std::string text = "email,first_name,last_name,company,title,timezone,city,score\n";
  text.reserve(100000 * 110);
  for (int i = 0; i < 100000; ++i) {
    text += "person" + std::to_string(i) + "@company" + std::to_string(i % 977) + ".example,First" +
            std::to_string(i) + ",Last,\"Company " + std::to_string(i % 977) + ", Inc.\",Head of Growth," +
            (i % 2 == 0 ? "Europe/Berlin" : "America/New_York") + ",Berlin," + std::to_string(i % 100) + "\n";
  }
  const auto started = std::chrono::steady_clock::now();
  const LeadList list = csv(text);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  MESSAGE("100000 rows (", text.size() / (1024 * 1024), " MiB) in ", ms, " ms");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 100000);
  CHECK(list.leads[99999].email == "person99999@company345.example");
  CHECK(list.leads[99999].company == "Company 345, Inc.");
  CHECK(list.leads[99999].field("score") == std::optional<std::string_view>("99"));
  CHECK(ms < 20000);  // about 0.15 s in an optimized build; generous for sanitizer builds
}

// ---- JSON form ---------------------------------------------------------------------------------

TEST_CASE("the JSON form is an array of lead objects with the same keys, custom keys in order") {
  const LeadList list = json_list(R"([
    {"email": "ann@acme.example", "first_name": "Ann", "zeta": "z", "company": "Acme", "alpha": "a",
     "timezone": "Europe/Berlin", "title": null},
    {"EMAIL": " bob@umbra.example ", "First_Name": "Bob", "LAST_NAME": "Lee"}
  ])");
  CHECK(list.problems.empty());
  REQUIRE(list.leads.size() == 2);
  const Lead& ann = list.leads[0];
  CHECK(ann.first_name == "Ann");
  CHECK(ann.company == "Acme");
  CHECK(ann.timezone == "Europe/Berlin");
  CHECK(ann.title.empty());
  REQUIRE(ann.custom.size() == 2);
  CHECK(ann.custom[0].first == "zeta");
  CHECK(ann.custom[1].first == "alpha");
  CHECK(ann.field("alpha") == std::optional<std::string_view>("a"));
  CHECK(list.leads[1].email == "bob@umbra.example");
  CHECK(list.leads[1].first_name == "Bob");
  CHECK(list.leads[1].last_name == "Lee");
}

TEST_CASE("JSON leads that break a rule are left out with their paths") {
  const LeadList list = json_list(R"([
    {"email": "ann@acme.example"},
    {"email": "not-an-address"},
    "bob@umbra.example",
    {"email": "cy@cyan.example", "first_name": 7},
    {"first_name": "No Address"},
    {"email": "ANN@acme.example"},
    {"email": "dee@dee.example", "timezone": "Mars/Base"},
    {"email": "eve@eve.example", "Email": "eve@eve.example"},
    {"email": "Fay <fay@fay.example>"},
    {"email": "gus@gus.example", "tags": ["a"]},
    {"email": null}
  ])");
  CHECK(emails(list) == std::vector<std::string>{"ann@acme.example", "dee@dee.example"});
  CHECK(list.leads[1].timezone.empty());
  CHECK(problem_paths(list) == std::vector<std::string>{"[1].email", "[2]", "[3].first_name", "[4].email",
                                                        "[5].email", "[6].timezone", "[7].Email", "[8].email",
                                                        "[9].tags", "[10].email"});
  CHECK(contains(list.problems[1].message(), "a lead is an object, found a string"));
  CHECK(contains(list.problems[2].message(), "strings, found an integer"));
  CHECK(contains(list.problems[4].message(), "repeated (first at [0])"));
  CHECK(list.problems[5].code() == Errc::not_found);
  CHECK(contains(list.problems[6].message(), "given twice"));
}

TEST_CASE("JSON values that are too long or not UTF-8 leave the lead out") {
  boost::json::array leads;
  leads.push_back(boost::json::object{{"email", "ann@acme.example"}, {"company", std::string(64 * 1024 + 1, 'x')}});
  leads.push_back(boost::json::object{{"email", "bob@umbra.example"}, {"company", "Umbra \xFF"}});
  leads.push_back(boost::json::object{{"email", "cy@cyan.example"}});
  auto list = outreach::detail::lead_list_from_json(leads, "leads");
  if (!list) FAIL(dump(list.error()));
  CHECK(emails(*list) == std::vector<std::string>{"cy@cyan.example"});
  CHECK(problem_paths(*list) == std::vector<std::string>{"leads[0].company", "leads[1].company"});
  CHECK(list->problems[0].code() == Errc::limit_exceeded);
  CHECK(list->problems[1].code() == Errc::invalid_utf8);
}

TEST_CASE("inline JSON leads in a campaign have paths under the campaign's key") {
  const auto campaign = boost::json::parse(R"({"leads": [
    {"email": "ann@acme.example"}, {"email": "x"}, {"email": "b@b.example", "timezone": "Nowhere"}, {"email": "ANN@acme.example"}
  ]})");
  auto list = outreach::detail::lead_list_from_json(campaign.at("leads"), "leads", "campaign.json");
  if (!list) FAIL(dump(list.error()));
  CHECK(list->leads.size() == 2);
  CHECK(problem_paths(*list) == std::vector<std::string>{"leads[1].email", "leads[2].timezone", "leads[3].email"});
  CHECK(list->problems[0].where().file == "campaign.json");
  CHECK(contains(list->problems[2].message(), "first at leads[0]"));
  CHECK(list->problems[0].to_string().starts_with("campaign.json: leads[1].email: invalid email address"));
}

TEST_CASE("a JSON form that is not an array, is empty or has no valid lead is bad input") {
  CHECK(parse_lead_json("{\"email\": \"ann@acme.example\"}").error().code() == Errc::invalid_value);
  CHECK(parse_lead_json("[").error().code() == Errc::parse_error);
  CHECK(parse_lead_json("[\n1,\n").error().where().line.has_value());
  CHECK(parse_lead_json("[]").error().code() == Errc::invalid_value);
  const Error none_valid = parse_lead_json(R"([{"email": "x"}, {"email": 3}])", "leads.json").error();
  CHECK(none_valid.code() == Errc::invalid_value);
  CHECK(none_valid.where().file == "leads.json");
  REQUIRE(none_valid.others().size() == 2);
  CHECK(none_valid.others()[1].where().json_path == "[1].email");
  CHECK(none_valid.others()[1].where().file == "leads.json");
  CHECK(outreach::detail::lead_list_from_json(boost::json::value(3), "leads").error().where().json_path == "leads");
}

TEST_CASE("one JSON lead still reads on its own, with every error in it") {
  auto lead = outreach::detail::lead_from_json(
      boost::json::parse(R"({"email": "ann@acme.example", "first_name": "Ann", "city": "Berlin"})"), "");
  REQUIRE(lead.has_value());
  CHECK(lead->first_name == "Ann");
  CHECK(lead->field("city") == std::optional<std::string_view>("Berlin"));
  auto bad = outreach::detail::lead_from_json(boost::json::parse(R"({"email": "x", "title": 1, "company": [] })"), "");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().where().json_path == "email");
  CHECK(bad.error().others().size() == 2);
  CHECK_FALSE(outreach::detail::lead_from_json(boost::json::parse("{}"), "").has_value());
}

TEST_CASE("random JSON lead lists never crash the reader and keep every guarantee") {
  static const std::vector<std::string> values = {
      "\"ann@acme.example\"", "\"ANN@acme.example\"", "\"x\"", "\"\"", "null", "1", "true", "[]", "{}",
      "\"Europe/Berlin\"", "\"Mars/Base\"", "\"a\\u0000b\"", "\"\\r\\nBcc: x\"", "\"{{company}}\"", "\"b@b.example\""};
  static const std::vector<std::string> keys = {"email", "EMAIL", "first_name", "timezone", "city", "", "title"};
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> value(0, values.size() - 1);
  std::uniform_int_distribution<std::size_t> key(0, keys.size() - 1);
  std::uniform_int_distribution<int> count(0, 6);
  for (int round = 0; round < 2000; ++round) {
    std::string text = "[";
    const int leads = count(random);
    for (int i = 0; i < leads; ++i) {
      if (i != 0) text += ",";
      if (count(random) == 0) {
        text += values[value(random)];
        continue;
      }
      text += "{";
      const int fields = count(random);
      for (int f = 0; f < fields; ++f) {
        if (f != 0) text += ",";
        text += "\"" + keys[key(random)] + "\":" + values[value(random)];
      }
      text += "}";
    }
    text += "]";
    auto list = parse_lead_json(text);
    if (!list) continue;
    check_every_lead_is_valid(*list);
    check_no_repeats(*list);
    for (const Error& problem : list->problems) CHECK(problem.where().json_path.starts_with("["));
  }
}

}  // TEST_SUITE
