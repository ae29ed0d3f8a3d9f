#include "cli/run_log.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>

namespace outreach::cli {

namespace {

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// The length of the control character at `text[i]`: 1 for C0 and DEL, 2 for a C1 control in
// UTF-8 (U+0080 to U+009F, whose CSI moves a terminal's cursor as ESC [ does), else 0.
std::size_t control_at(std::string_view text, std::size_t i) {
  if (is_control(text[i])) return 1;
  const bool c1 = static_cast<unsigned char>(text[i]) == 0xc2 && i + 1 < text.size() &&
                  static_cast<unsigned char>(text[i + 1]) >= 0x80 && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
  return c1 ? 2 : 0;
}

bool has_control(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (control_at(text, i)) return true;
  }
  return false;
}

// Text with its control characters written as `\u00XX`, so that text from a server or a file
// stays on its line and cannot fake another line or move the terminal's cursor; with `quoted`,
// in double quotes with `"` and `\` escaped too, as a JSON string.
std::string escaped(std::string_view text, bool quoted) {
  std::string out;
  out.reserve(text.size() + 2);
  if (quoted) out += '"';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (const std::size_t length = control_at(text, i)) {
      constexpr std::string_view hex = "0123456789abcdef";
      const auto code = static_cast<unsigned char>(length == 1 ? c : text[i + 1]);
      out += "\\u00";
      out += hex[code >> 4];
      out += hex[code & 0xf];
      i += length - 1;
    } else {
      if (quoted && (c == '"' || c == '\\')) out += '\\';
      out += c;
    }
  }
  if (quoted) out += '"';
  return out;
}

// A value of a text line: bare when it is one plain word, else quoted as a JSON string (so a
// reason with spaces stays one field and cannot fake another).
std::string field_value(std::string_view value) {
  const bool plain = !value.empty() && value.find_first_of(" \"=\\") == std::string_view::npos &&
                     !has_control(value);
  return plain ? std::string(value) : escaped(value, true);
}

void add_field(std::string& line, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  line += ' ';
  line += name;
  line += '=';
  line += field_value(value);
}

// The text line of an event: the fields people look for, in a fixed order.
std::string text_line(const Event& event) {
  std::string line = "outreach: " + format_instant(event.at) + " " + std::string(to_string(event.type));
  add_field(line, "campaign", event.campaign);
  add_field(line, "lead", event.lead);
  if (event.step > 0) add_field(line, "step", std::to_string(event.step));
  add_field(line, "variant", event.variant);
  add_field(line, "mailbox", event.mailbox);
  add_field(line, "kind", event.kind);
  add_field(line, "reason", event.reason);
  if (event.code > 0) add_field(line, "code", std::to_string(event.code));
  add_field(line, "status", event.status);
  if (event.retry_at) add_field(line, "retry_at", format_instant(*event.retry_at));
  return line;
}

}  // namespace

std::optional<LogFormat> log_format_of(const Arguments& arguments) {
  const std::string* name = arguments.option("log-format");
  if (!name || *name == "text") return LogFormat::text;
  if (*name == "json") return LogFormat::json;
  std::cerr << "outreach: --log-format: \"" << *name << "\" is neither text nor json\n";
  return std::nullopt;
}

RunLog::RunLog(LogFormat format, std::ostream& out) : format_(format), out_(out) {}

void RunLog::event(const Event& event) {
  out_ << (format_ == LogFormat::json ? to_json_line(event) : text_line(event)) << std::endl;
}

void RunLog::info(std::string_view message) { line("info", message); }

void RunLog::warning(std::string_view message) { line("warning", message); }

void RunLog::error(std::string_view message) { line("error", message); }

void RunLog::errors(const Error& error) {
  line("error", error.to_string());
  for (const Error& other : error.others()) line("error", other.to_string());
}

void RunLog::line(std::string_view type, std::string_view message) {
  if (format_ == LogFormat::text) {
    out_ << "outreach: " << (type == "warning" ? "warning: " : "") << escaped(message, false) << std::endl;
    return;
  }
  const Instant now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  out_ << R"({"type":)" << boost::json::serialize(boost::json::string(type)) << R"(,"at":")" << format_instant(now)
       << R"(","message":)"
       << boost::json::serialize(boost::json::string(message)) << "}" << std::endl;
}

}  // namespace outreach::cli
