// libFuzzer target for the IMAP response reader, what a server sends: the first four bytes give
// the sizes of the chunks the rest is fed in, and the rest is read with the default limits and
// with small ones, in those chunks, a byte at a time and all at once. Besides crashes, leaks and
// hangs, it checks the reader's promises: chunking changes nothing, there are never more
// responses than bytes, and no response passes a limit; every typed view reads every response.
// The same bytes then go through the command side, whose output must read back as its input.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/imap_command.hpp"
#include "imap/imap_response.hpp"
#include "fuzz_promise.hpp"

namespace {

using namespace outreach::detail::imap;

using outreach::fuzz::require;

struct Read {
  std::vector<Response> responses;
  std::optional<outreach::Errc> error;
  std::size_t buffered = 0;
};

// Feeds `stream` in chunks of the sizes given in turn (all at once when there are none), taking
// every response after each chunk.
Read read(std::string_view stream, const std::vector<std::size_t>& chunks, const ReaderLimits& limits) {
  ResponseReader reader(limits);
  Read out;
  std::size_t at = 0;
  std::size_t turn = 0;
  do {
    const std::size_t size = chunks.empty() ? stream.size() : std::min(chunks[turn++ % chunks.size()], stream.size() - at);
    reader.feed(stream.substr(at, size));
    at += size;
    require(reader.buffered() <= at, "buffered() counts only bytes fed");
    while (true) {
      auto next = reader.next();
      if (!next) {
        out.error = next.error().code();
        require(out.error == outreach::Errc::parse_error || out.error == outreach::Errc::limit_exceeded,
                "errors are parse_error or limit_exceeded");
        require(!reader.next(), "a failed reader stays failed");
        return out;
      }
      if (!*next) break;
      out.responses.push_back(std::move(**next));
    }
  } while (at < stream.size());
  out.buffered = reader.buffered();
  return out;
}

struct Measure {
  std::size_t values = 0;
  std::size_t depth = 0;
  std::size_t longest = 0;
};

void measure(const std::vector<Value>& values, std::size_t depth, Measure& m) {
  // Iterative, as the reader is: a deep list must not take the checker's stack either.
  std::vector<std::pair<const std::vector<Value>*, std::size_t>> to_visit{{&values, depth}};
  while (!to_visit.empty()) {
    const auto [list, level] = to_visit.back();
    to_visit.pop_back();
    m.depth = std::max(m.depth, level);
    for (const Value& value : *list) {
      ++m.values;
      m.longest = std::max(m.longest, value.text.size());
      if (value.kind == Value::Kind::list) {
        to_visit.emplace_back(&value.items, level + 1);
      } else {
        require(value.items.empty(), "only lists have items");
      }
      if (value.kind == Value::Kind::number) require(value.text.find_first_not_of("0123456789") == std::string::npos, "numbers are digits");
    }
  }
}

void check_response(const Response& response, const ReaderLimits& limits) {
  require((response.kind == Response::Kind::tagged) == !response.tag.empty(), "tagged responses, and only they, have tags");
  require(response.kind != Response::Kind::continuation || response.condition == Condition::none,
          "continuations have no condition");
  require(response.is_status() || response.kind == Response::Kind::continuation || !response.values.empty(),
          "untagged data has values");
  require(!response.is_status() || response.values.empty(), "status responses have no data values");
  require(response.code.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos, "codes are upper-cased");
  require(response.text.find('\n') == std::string::npos, "text is one line");
  Measure m;
  measure(response.values, 0, m);
  measure(response.code_values, response.code.empty() ? 0 : 1, m);
  require(m.depth <= limits.max_depth, "nesting stays within max_depth");
  require(m.values + (response.code.empty() ? 0 : 1) <= limits.max_items, "values stay within max_items");
  require(m.longest <= std::max(limits.max_line, limits.max_literal), "strings stay within the line and literal limits");
  require(response.text.size() <= limits.max_line, "text stays within a line");
}

void use_views(const Response& response) {
  static_cast<void>(carries_capabilities(response));
  static_cast<void>(parse_capabilities(response));
  static_cast<void>(exists_count(response));
  static_cast<void>(numbered_data(response, "EXPUNGE"));
  if (const auto fetch = parse_fetch(response)) require(fetch->sequence != 0, "FETCH sequence numbers are not 0");
  if (const auto search = parse_search(response)) require(search->size() <= max_search_results, "search results are bounded");
  if (const auto esearch = parse_esearch(response)) require(esearch->all.size() <= max_search_results, "ESEARCH is bounded");
  if (const auto list = parse_list(response)) static_cast<void>(decode_mailbox_name(list->name));
  if (const auto status = parse_status(response)) static_cast<void>(decode_mailbox_name(status->mailbox));
  static_cast<void>(code_number(response, "UIDVALIDITY"));
  static_cast<void>(code_number(response, "UIDNEXT"));
}

void read_with(std::string_view stream, const std::vector<std::size_t>& chunks, const ReaderLimits& limits, bool views) {
  const Read whole = read(stream, {}, limits);
  const Read chunked = read(stream, chunks, limits);
  const Read bytes = read(stream, {1}, limits);
  require(chunked.responses == whole.responses && bytes.responses == whole.responses, "chunking changes no response");
  require(chunked.error == whole.error && bytes.error == whole.error, "chunking changes no error");
  require(chunked.buffered == whole.buffered && bytes.buffered == whole.buffered, "chunking changes no buffered count");
  require(whole.responses.size() <= stream.size(), "never more responses than bytes");
  for (const Response& response : whole.responses) {
    check_response(response, limits);
    if (views) use_views(response);
  }
}

// One value read back from `* X <wire>` CRLF.
std::optional<Value> read_back(const std::string& wire) {
  ResponseReader reader;
  reader.feed("* X " + wire + "\r\n");
  auto next = reader.next();
  if (!next || !*next || (*next)->values.size() != 2 || reader.buffered() != 0) return std::nullopt;
  return (*next)->values[1];
}

void write_commands(std::string_view input) {
  if (const auto quoted_input = quoted(input)) {
    const auto back = read_back(*quoted_input);
    require(back && back->kind == Value::Kind::string && back->text == input, "a quoted string reads back as itself");
  }
  const auto back = read_back(literal(input, input.size() % 2 == 0));
  require(back && back->kind == Value::Kind::string && back->text == input, "a literal reads back as itself");

  if (const auto encoded = encode_mailbox_name(input)) {
    const auto decoded = decode_mailbox_name(*encoded);
    require(decoded && *decoded == input, "an encoded mailbox name decodes to itself");
  }
  if (const auto decoded = decode_mailbox_name(input)) {
    const auto encoded = encode_mailbox_name(*decoded);
    require(encoded.has_value(), "a decoded mailbox name is UTF-8");
    const auto again = decode_mailbox_name(*encoded);
    require(again && *again == *decoded, "a decoded mailbox name encodes to the same name");
  }
  for (const auto& line : {command_line("a1", input), search_header("Message-ID", input)}) {
    if (!line) continue;
    const std::string_view text(*line);
    const std::string_view body = text.ends_with("\r\n") ? text.substr(0, text.size() - 2) : text;
    require(body.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos, "commands are one line");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t header = 4;
  if (size < header) return 0;
  std::vector<std::size_t> chunks;
  for (std::size_t i = 0; i < header; ++i) chunks.push_back(1 + data[i] % 64);
  const std::string_view stream(reinterpret_cast<const char*>(data) + header, size - header);

  read_with(stream, chunks, {}, true);
  ReaderLimits small;
  small.max_line = 48;
  small.max_literal = 64;
  small.max_response = 256;
  small.max_depth = 3;
  small.max_items = 24;
  read_with(stream, chunks, small, false);

  write_commands(stream);
  return 0;
}
