#include "transport/smtp/smtp_protocol.hpp"

#include <algorithm>
#include <cstring>

#include "util/ascii.hpp"
#include "mail/encoding.hpp"

namespace outreach::detail {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// "c.x.y" (RFC 3463) at the front of `text`, followed by a space or the end: its length, or 0.
std::size_t status_length(std::string_view text, int code) noexcept {
  if (text.size() < 5 || text[0] != static_cast<char>('0' + code / 100) || text[1] != '.') return 0;
  std::size_t i = 2;
  const auto digits = [&](std::size_t most) {
    const std::size_t start = i;
    while (i < text.size() && is_digit(text[i]) && i - start < most) ++i;
    return i > start;
  };
  if (!digits(3) || i >= text.size() || text[i] != '.') return 0;
  ++i;
  if (!digits(3)) return 0;
  return i == text.size() || text[i] == ' ' ? i : 0;
}

std::string_view strip_status(std::string_view line, int code) {
  const std::size_t length = status_length(line, code);
  if (length == 0) return line;
  line.remove_prefix(length);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

}  // namespace

std::string SmtpReply::text() const {
  constexpr std::size_t most = 300;
  std::string out;
  for (const std::string& line : lines) {
    const std::string_view shown = strip_status(line, code);
    if (shown.empty()) continue;
    if (!out.empty()) {
      if (out.size() >= most) return out + "...";
      out += ' ';
    }
    for (const char c : shown) {
      // Checked before each character, the separator too, so the text stops at `most`.
      if (out.size() >= most) return out + "...";
      // The server's words end up in events and logs: printable ASCII only.
      out += c >= 0x20 && c < 0x7f ? c : '?';
    }
  }
  return out;
}

ReplyParse parse_reply(std::string_view input, SmtpReply& reply, std::size_t& consumed, std::string& error) {
  reply.code = 0;
  reply.status.clear();
  reply.lines.clear();
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) {
      if (input.size() - pos > max_reply_line) {
        error = "a reply line longer than " + std::to_string(max_reply_line) + " bytes";
        return ReplyParse::malformed;
      }
      return ReplyParse::incomplete;
    }
    std::string_view line = input.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_reply_line) {
      error = "a reply line longer than " + std::to_string(max_reply_line) + " bytes";
      return ReplyParse::malformed;
    }
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) || line[0] < '2' ||
        line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      error = "not an SMTP reply line: \"" + SmtpReply{0, {}, {std::string(line.substr(0, 80))}}.text() + "\"";
      return ReplyParse::malformed;
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (reply.code != 0 && code != reply.code) {
      error = "the lines of one reply have different codes (" + std::to_string(reply.code) + " and " +
              std::to_string(code) + ")";
      return ReplyParse::malformed;
    }
    reply.code = code;
    reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
    if (reply.lines.size() > max_reply_lines) {
      error = "a reply of more than " + std::to_string(max_reply_lines) + " lines";
      return ReplyParse::malformed;
    }
    pos = end + 1;
    if (line.size() == 3 || line[3] == ' ') break;
  }
  const std::string& first = reply.lines.front();
  if (const std::size_t length = status_length(first, reply.code)) reply.status = first.substr(0, length);
  consumed = pos;
  return ReplyParse::complete;
}

SmtpCapabilities parse_capabilities(const SmtpReply& ehlo) {
  SmtpCapabilities caps;
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string line = ascii_lower(ehlo.lines[i]);
    const std::string_view keyword = std::string_view(line).substr(0, line.find_first_of(" ="));
    const std::string_view params =
        keyword.size() < line.size() ? std::string_view(line).substr(keyword.size() + 1) : std::string_view{};
    if (keyword == "pipelining") caps.pipelining = true;
    else if (keyword == "starttls") caps.starttls = true;
    else if (keyword == "8bitmime") caps.eight_bit_mime = true;
    else if (keyword == "smtputf8") caps.smtputf8 = true;
    else if (keyword == "enhancedstatuscodes") caps.enhanced_status = true;
    else if (keyword == "size") {
      caps.size = true;
      std::uint64_t limit = 0;
      bool digits = !params.empty();
      for (const char c : params) {
        if (!is_digit(c) || limit > UINT64_MAX / 10 - 9) {
          digits = false;
          break;
        }
        limit = limit * 10 + static_cast<std::uint64_t>(c - '0');
      }
      caps.size_limit = digits ? limit : 0;
    } else if (keyword == "auth") {
      // "AUTH PLAIN LOGIN" and the older "AUTH=PLAIN LOGIN".
      std::size_t at = 0;
      while (at < params.size()) {
        const std::size_t stop = std::min(params.find(' ', at), params.size());
        const std::string_view mechanism = params.substr(at, stop - at);
        caps.auth_plain = caps.auth_plain || mechanism == "plain";
        caps.auth_login = caps.auth_login || mechanism == "login";
        caps.auth_xoauth2 = caps.auth_xoauth2 || mechanism == "xoauth2";
        at = stop + 1;
      }
    }
  }
  return caps;
}

std::string_view stage_name(SmtpStage stage) noexcept {
  switch (stage) {
    case SmtpStage::connect: return "connecting";
    case SmtpStage::tls: return "the TLS handshake";
    case SmtpStage::greeting: return "the greeting";
    case SmtpStage::ehlo: return "EHLO";
    case SmtpStage::starttls: return "STARTTLS";
    case SmtpStage::auth: return "AUTH";
    case SmtpStage::mail: return "MAIL FROM";
    case SmtpStage::rcpt: return "RCPT TO";
    case SmtpStage::data: return "DATA";
    case SmtpStage::message: return "the end of the message";
    case SmtpStage::rset: return "RSET";
    case SmtpStage::quit: return "QUIT";
  }
  return "SMTP";
}

SendOutcome failure_outcome(const SmtpReply& reply, SmtpStage stage) {
  SendOutcome outcome;
  outcome.code = reply.code;
  outcome.status = reply.status;
  const bool mailbox_full = reply.status == "5.2.2";
  const bool size_at_rcpt = stage == SmtpStage::rcpt && reply.code == 552;
  // 552 to MAIL FROM refuses this message's declared SIZE (RFC 1870 section 6.1), not the sender.
  const bool too_big = stage == SmtpStage::mail && reply.code == 552;
  const bool temporary = reply.code < 500 || mailbox_full || size_at_rcpt || (is_sender_side(stage) && !too_big);
  outcome.kind = temporary ? SendOutcome::Kind::temporary : SendOutcome::Kind::permanent;
  // After the recipient was taken, a refusal of the message is the mailbox's (its server's
  // policy, quota or trouble), unless its enhanced code is about addresses or the recipient's
  // mailbox (X.1, X.2), or about this message (its size, its content: X.3.4, X.6).
  const std::string_view code_class = std::string_view(reply.status).substr(0, std::min<std::size_t>(reply.status.size(), 4));
  // 421 closes the session, at any stage: the server's trouble, not the recipient's.
  const bool recipients = reply.code != 421 && (stage == SmtpStage::rcpt || code_class.ends_with(".1.") ||
                                                code_class.ends_with(".2."));
  const bool this_message = too_big || reply.code == 552 || reply.status.ends_with(".3.4") || code_class.ends_with(".6.");
  outcome.sender_side = is_sender_side(stage) ? !too_big : !recipients && !this_message;
  outcome.reason = std::string(stage_name(stage)) + ": " + std::to_string(reply.code);
  if (!reply.status.empty()) outcome.reason += " " + reply.status;
  if (const std::string said = reply.text(); !said.empty()) outcome.reason += " " + said;
  return outcome;
}

SendOutcome fault_outcome(std::string reason, bool maybe_delivered) {
  SendOutcome outcome;
  outcome.kind = SendOutcome::Kind::temporary;
  outcome.reason = std::move(reason);
  outcome.maybe_delivered = maybe_delivered;
  outcome.sender_side = true;  // the network, the server or the mailbox's own settings
  return outcome;
}

SendOutcome refused_outcome(std::string status, std::string reason) {
  SendOutcome outcome;
  outcome.kind = SendOutcome::Kind::permanent;
  outcome.status = std::move(status);
  outcome.reason = std::move(reason);
  return outcome;
}

SendOutcome accepted_outcome(const SmtpReply& reply) {
  SendOutcome outcome;
  outcome.code = reply.code;
  outcome.status = reply.status;
  if (!reply.lines.empty()) {
    const std::string& line = reply.lines.back();
    const std::string lower = ascii_lower(line);
    std::size_t at = std::string::npos;
    for (const std::string_view marker : {std::string_view("queued as "), std::string_view("id=")}) {
      if (const std::size_t found = lower.find(marker); found != std::string::npos) {
        at = found + marker.size();
        break;
      }
    }
    if (at != std::string::npos) {
      std::size_t end = at;
      while (end < line.size() && line[end] > 0x20 && line[end] < 0x7f && end - at < 128) ++end;
      outcome.queue_id = line.substr(at, end - at);
    }
  }
  return outcome;
}

bool has_eight_bit(std::string_view data) noexcept {
  return std::any_of(data.begin(), data.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

void append_dot_stuffed(std::string& out, std::string_view data) {
  out.reserve(out.size() + data.size() + 8);
  // Line by line, each found with memchr: messages from compose() are CRLF already, so a line
  // is usually one append; a bare CR inside a line is the rare case that needs more.
  const auto append_line = [&out](std::string_view line) {
    if (!line.empty() && line.front() == '.') out += '.';
    for (std::size_t cr; (cr = line.find('\r')) != std::string_view::npos;) {
      out.append(line.data(), cr);
      out += "\r\n";
      line.remove_prefix(cr + 1);
      if (!line.empty() && line.front() == '.') out += '.';
    }
    out.append(line);
    out += "\r\n";
  };
  const char* const end = data.data() + data.size();
  const char* at = data.data();
  while (at != end) {
    const auto* newline = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
    const char* line_end = newline ? newline : end;
    std::string_view line(at, static_cast<std::size_t>(line_end - at));
    if (newline && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    append_line(line);
    at = newline ? newline + 1 : end;
  }
  out += ".\r\n";
}

void append_mail_from(std::string& out, std::string_view from, std::size_t size, bool eight_bit, bool smtputf8,
                      const SmtpCapabilities& server) {
  out += "MAIL FROM:<";
  out += from;
  out += '>';
  if (server.size) {
    // SIZE lets the server refuse a message that is too big before the data is sent.
    out += " SIZE=";
    out += std::to_string(size);
  }
  if (eight_bit && server.eight_bit_mime) out += " BODY=8BITMIME";
  if (smtputf8) out += " SMTPUTF8";
  out += "\r\n";
}

void append_rcpt_to(std::string& out, std::string_view to) {
  out += "RCPT TO:<";
  out += to;
  out += ">\r\n";
}

bool is_command_safe(std::string_view value) noexcept {
  return !value.empty() && value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace outreach::detail
