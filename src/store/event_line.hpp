// An event's JSON line, the fast way: written directly rather than through a JSON object, and
// read in one pass when it is as this library writes it (flat, no escapes). A line that is not
// goes to the full reader, which also says what is wrong with it. A campaign's log is read
// whole when its engine starts, so this is the cost of every start.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "outreach/event.hpp"

namespace outreach::detail {

/// Appends `text` as a JSON string, escaped exactly as Boost.JSON's serializer does (`"`, `\`,
/// and control characters; other bytes as they are), so that a line reads the same either way.
void append_json_string(std::string& out, std::string_view text);

/// A flat JSON object written member by member, in the order of the calls.
class JsonLineWriter {
 public:
  JsonLineWriter() {
    out_.reserve(256);
    out_ += '{';
  }
  void string(std::string_view key, std::string_view value) {
    member(key);
    append_json_string(out_, value);
  }
  /// A string member only when the value is not empty.
  void string_if(std::string_view key, std::string_view value) {
    if (!value.empty()) string(key, value);
  }
  void integer(std::string_view key, std::int64_t value) {
    member(key);
    char digits[24];
    const auto written = std::to_chars(digits, digits + sizeof digits, value);
    out_.append(digits, written.ptr);
  }
  /// A member whose value is JSON text already (`true`).
  void literal(std::string_view key, std::string_view json) {
    member(key);
    out_ += json;
  }
  [[nodiscard]] std::string finish() && {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void member(std::string_view key) {  // keys are this library's names: nothing to escape
    if (out_.size() > 1) out_ += ',';
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  std::string out_;
};

/// The event of a line as `to_json_line` writes events without values of their own (no
/// `setting` or `evidence`), when every member is well-formed and valid; nothing for any other
/// line, which `parse_event_line_checked` then reads.
[[nodiscard]] std::optional<Event> parse_plain_event_line(std::string_view line);

/// The full reader of an event line: any JSON object, every error said with its key.
[[nodiscard]] expected<Event> parse_event_line_checked(std::string_view line);

}  // namespace outreach::detail
