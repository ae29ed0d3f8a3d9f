// The log of `outreach run` on standard error: one line per event and per problem, as text for
// people (`journalctl`) or as JSON lines for log collectors (`--log-format json`).
#pragma once

#include <iosfwd>
#include <optional>
#include <string_view>

#include "cli/cli.hpp"
#include "outreach/event.hpp"

namespace outreach::cli {

/// How the log's lines are written.
enum class LogFormat { text, json };

/// The format of `--log-format text|json` (text when not given); nothing, with a message on
/// standard error, for another value.
[[nodiscard]] std::optional<LogFormat> log_format_of(const Arguments& arguments);

/// Writes the log's lines, each flushed as it is written.
class RunLog {
 public:
  /// A log in `format` on `out`.
  RunLog(LogFormat format, std::ostream& out);

  /// One line for an event: `outreach: AT TYPE campaign=... lead=... step=N ...` as text, the
  /// event's JSON line (formats.md, Events) as JSON.
  void event(const Event& event);

  /// One line of news that is not a problem: `outreach: ...`, or `{"type":"info",...}`.
  void info(std::string_view message);

  /// One line for a warning: `outreach: warning: ...`, or `{"type":"warning",...}`.
  void warning(std::string_view message);

  /// One line for an error: `outreach: ...`, or `{"type":"error",...}`.
  void error(std::string_view message);

  /// One line for each error of `error` (it and its others): `outreach: ...`, or
  /// `{"type":"error",...}`.
  void errors(const Error& error);

 private:
  void line(std::string_view type, std::string_view message);

  LogFormat format_;
  std::ostream& out_;
};

}  // namespace outreach::cli
