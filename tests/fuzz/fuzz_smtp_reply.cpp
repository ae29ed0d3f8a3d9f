// libFuzzer target for what an SMTP server sends (src/transport/smtp/smtp_protocol.hpp): replies
// read from a stream and the EHLO capabilities. The first byte picks how the rest is cut into
// chunks, as the network may deliver it. Besides crashes, leaks and hangs, it checks the
// reader's promises: reading chunk by chunk gives the same replies and the same end as reading
// the whole buffer; what waits for more bytes stays within the line and reply limits (a huge
// reply is refused, never buffered forever); codes are 200..599, the same on every line; a
// reply's text is printable ASCII.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "transport/smtp/smtp_protocol.hpp"
#include "fuzz_promise.hpp"

namespace {

using outreach::detail::ReplyParse;
using outreach::detail::SmtpReply;

using outreach::fuzz::require;

// What a stream reads as: its replies in order, then how it stops (incomplete or malformed).
struct Reading {
  std::vector<SmtpReply> replies;
  ReplyParse end = ReplyParse::incomplete;
};

bool same(const Reading& a, const Reading& b) {
  if (a.end != b.end || a.replies.size() != b.replies.size()) return false;
  for (std::size_t i = 0; i < a.replies.size(); ++i) {
    const SmtpReply& x = a.replies[i];
    const SmtpReply& y = b.replies[i];
    if (x.code != y.code || x.status != y.status || x.lines != y.lines) return false;
  }
  return true;
}

// The most bytes a reader may hold while it waits: a reply of the most lines, each of the
// longest length with its CRLF, and the start of a line.
constexpr std::size_t most_waiting = outreach::detail::max_reply_lines * (outreach::detail::max_reply_line + 2) +
                                     outreach::detail::max_reply_line + 1;

// Reads replies from the front of `buffer`, erasing what they took; true when more may come.
bool read_available(std::string& buffer, Reading& reading) {
  while (true) {
    SmtpReply reply;
    std::size_t consumed = 0;
    std::string error;
    const ReplyParse result = outreach::detail::parse_reply(buffer, reply, consumed, error);
    if (result == ReplyParse::complete) {
      require(consumed > 0 && consumed <= buffer.size(), "a reply takes bytes of the input");
      buffer.erase(0, consumed);
      reading.replies.push_back(std::move(reply));
      continue;
    }
    reading.end = result;
    if (result == ReplyParse::malformed) {
      require(!error.empty(), "a malformed reply says why");
      return false;
    }
    require(buffer.size() <= most_waiting, "a reply past the limits is refused, not buffered");
    return true;
  }
}

Reading read_whole(std::string_view input) {
  Reading reading;
  std::string buffer(input);
  read_available(buffer, reading);
  return reading;
}

Reading read_in_chunks(std::string_view input, std::uint8_t pick) {
  Reading reading;
  std::string buffer;
  std::uint32_t state = pick * 2654435761u + 1;
  std::size_t pos = 0;
  while (pos < input.size()) {
    state = state * 1664525u + 1013904223u;
    // Mostly small chunks, some large ones, so that lines and replies end anywhere in a chunk.
    const std::size_t most = (state >> 28) < 12 ? 16 : 8192;
    const std::size_t chunk = 1 + (state >> 8) % most;
    buffer.append(input.substr(pos, chunk));
    pos += chunk;
    if (!read_available(buffer, reading)) break;
  }
  return reading;
}

void check_reply(const SmtpReply& reply) {
  require(reply.code >= 200 && reply.code <= 599, "reply codes are 200..599");
  require(!reply.lines.empty() && reply.lines.size() <= outreach::detail::max_reply_lines,
          "a reply has 1..max_reply_lines lines");
  require(reply.status.empty() || reply.status[0] == static_cast<char>('0' + reply.code / 100),
          "an enhanced status has the reply's class");
  const std::string text = reply.text();
  // At most 300 characters of the server's words, and "..." when they were cut.
  require(text.size() <= 303, "a reply's text is short");
  for (const char c : text) require(c >= 0x20 && c < 0x7f, "a reply's text is printable ASCII");

  const auto capabilities = outreach::detail::parse_capabilities(reply);
  require(capabilities.size || capabilities.size_limit == 0, "a size limit comes with SIZE");
  if (reply.positive()) {
    static_cast<void>(outreach::detail::accepted_outcome(reply));
  } else {
    static_cast<void>(outreach::detail::failure_outcome(reply, outreach::detail::SmtpStage::rcpt));
    static_cast<void>(outreach::detail::failure_outcome(reply, outreach::detail::SmtpStage::mail));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Reading whole = read_whole(input);
  for (const SmtpReply& reply : whole.replies) check_reply(reply);
  const Reading chunked = read_in_chunks(input, data[0]);
  require(same(whole, chunked), "reading in chunks gives the replies of reading at once");
  return 0;
}
