// libFuzzer target for addresses (address.hpp): the parser, the IDNA conversion of domains, and
// the To header the composer writes for an address. Besides crashes, leaks and hangs, it checks
// the promises: a parsed address validates and composes; domain_to_ascii writes ASCII in lower
// case and is idempotent on its own output; the written header never breaks a line, keeps
// every line within 998 characters, and reads back as the address (domain in A-labels) with
// its display name.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "outreach/address.hpp"
#include "outreach/message.hpp"
#include "outreach/mime.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::Address;

using outreach::fuzz::require;

bool is_printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

void check_domain(std::string_view domain) {
  const auto ascii = outreach::domain_to_ascii(domain);
  if (!ascii) return;
  for (const char c : *ascii) {
    require(c > ' ' && c <= '~' && !(c >= 'A' && c <= 'Z'), "domain_to_ascii writes lower-case ASCII");
  }
  require(ascii->size() <= 253, "an ASCII domain has at most 253 octets");
  const auto again = outreach::domain_to_ascii(*ascii);
  require(again.has_value() && *again == *ascii, "domain_to_ascii is idempotent on its own output");
}

// The header section of a message to `to`, and its lines.
void check_written(const Address& to, const std::string& ascii_domain) {
  outreach::MessageDraft draft;
  draft.from = Address{"Sender", "sender@example.com"};
  draft.to = to;
  draft.subject = "Hello";
  draft.text = "Hi";
  draft.message_id = "<1@example.com>";
  draft.date = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1);
  const auto message = outreach::compose(draft);
  require(message.has_value(), "a valid address composes");
  const std::string_view data = message->data;
  const std::string_view header = data.substr(0, data.find("\r\n\r\n") + 2);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == '\r') {
      require(i + 1 < header.size() && header[i + 1] == '\n', "a CR in the header ends a line");
    } else if (header[i] == '\n') {
      require(i > 0 && header[i - 1] == '\r', "an LF in the header ends a line");
      require(i + 1 - line_start <= 1000, "header lines have at most 998 characters");
      const bool continues = i + 1 < header.size() && (header[i + 1] == ' ' || header[i + 1] == '\t');
      // A line that starts a field has a name and a colon; folding never starts one.
      if (!continues && i + 1 < header.size()) {
        const std::string_view next = header.substr(i + 1, header.find(':', i + 1) - i - 1);
        require(next.find_first_of(" \t\r\n") == std::string_view::npos, "no value starts a new field");
      }
      line_start = i + 1;
    }
  }

  const std::string written_email = std::string(to.local_part()) + "@" + ascii_domain;
  require(message->envelope_to == written_email, "the envelope address has the domain in A-labels");
  const auto fields = outreach::parse_header_block(header);
  const std::string* value = outreach::find_header(fields, "To");
  require(value != nullptr, "the message has its To field");
  // Display names are decoded after the addresses are read, so a name written as encoded-words
  // that holds address syntax (`,`, `@`, `<`, ...) reads back as a name too
  // (seeds_address/regression-encoded-name-with-comma).
  const auto address = outreach::first_address_in(*value);
  require(address && *address == written_email, "the To field reads back as the address");
  // A printable ASCII name is written as an atom, a quoted string or (with "=?" or a piece too
  // long for a line) encoded-words, which unfold, unquote or decode to what was written.
  if (is_printable_ascii(to.name)) {
    const auto read_back = Address::parse(*value);
    require(read_back && *read_back == Address{to.name, written_email}, "the To field reads back with its name");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_domain(input);

  const auto address = Address::parse(input);
  if (!address) {
    const auto code = address.error().code();
    require(code == outreach::Errc::invalid_value || code == outreach::Errc::invalid_utf8,
            "an address that does not parse is invalid_value or invalid_utf8");
    return 0;
  }
  require(address->validate().has_value(), "a parsed address validates");
  require(address->email.find_first_of(" \t\r\n") == std::string::npos, "an address has no spaces");
  require(address->name.find_first_of("\r\n") == std::string::npos, "a display name has no line break");
  const auto ascii_domain = outreach::domain_to_ascii(address->domain());
  require(ascii_domain.has_value(), "a parsed address has a domain that converts");
  check_domain(address->domain());
  check_written(*address, *ascii_domain);
  return 0;
}
