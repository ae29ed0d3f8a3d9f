// Reading JSON documents with errors that name their place: the file, the line of a syntax
// error, and the JSON path of a value that breaks a rule. Unknown keys are errors.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"

namespace outreach::detail {

/// Every error found in one pass over a document; the first is the error returned, the rest
/// travel in its others(). One error per JSON path is enough: a later error at a path that
/// already has one is dropped (a missing value is not also reported as empty).
class ErrorList {
 public:
  void add(Error error);
  [[nodiscard]] bool empty() const noexcept { return errors_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return errors_.size(); }
  /// The first error with the others attached. Only call when !empty().
  [[nodiscard]] Error combined() const;

 private:
  std::vector<Error> errors_;
};

/// `base.key`, or `key` when base is empty.
[[nodiscard]] std::string path_key(std::string_view base, std::string_view key);
/// `base[index]`.
[[nodiscard]] std::string path_index(std::string_view base, std::size_t index);

/// Reads a whole file; `io_error` names the file and the reason.
[[nodiscard]] expected<std::string> read_file(const std::filesystem::path& path);

/// Parses JSON text (UTF-8 is checked; depth at most 64). A syntax error names the line and
/// column; `source_name` (a file name, or empty) goes into the error's location.
[[nodiscard]] expected<boost::json::value> parse_json(std::string_view text, std::string_view source_name = {});

/// Reads and parses a JSON file: `read_file`, then `parse_json` naming the file.
[[nodiscard]] expected<boost::json::value> load_json_file(const std::filesystem::path& path);

/// The JSON type of a value, as people say it ("an object", "a string", ...).
[[nodiscard]] std::string_view describe_type(const boost::json::value& value) noexcept;

/// Reads the members of one JSON object. Each key asked for is remembered, so that
/// `reject_unknown_keys()` can report the others (with a suggestion for near misses).
class ObjectReader {
 public:
  /// Reports an error (and reads nothing) when `value` is not an object.
  ObjectReader(const boost::json::value& value, std::string path, ErrorList& errors);

  /// True when the value is an object.
  [[nodiscard]] bool is_object() const noexcept { return object_ != nullptr; }
  /// The member, or null when absent (or JSON null).
  [[nodiscard]] const boost::json::value* find(std::string_view key);
  /// True when the key is present and not null.
  [[nodiscard]] bool has(std::string_view key);

  /// A string member; reports an error when present with another type or when required and absent.
  [[nodiscard]] std::optional<std::string> string(std::string_view key, bool required = false);
  /// An integer member within [min, max].
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                    bool required = false);
  /// A boolean member.
  [[nodiscard]] std::optional<bool> boolean(std::string_view key, bool required = false);

  /// Reports every key that was never asked for.
  void reject_unknown_keys();

  /// The JSON path of a member.
  [[nodiscard]] std::string path(std::string_view key) const { return path_key(path_, key); }
  /// The JSON path of the object itself.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// Where errors go.
  [[nodiscard]] ErrorList& errors() noexcept { return errors_; }

 private:
  const boost::json::object* object_ = nullptr;
  std::string path_;
  ErrorList& errors_;
  std::vector<std::string> known_;
};

/// A double as JSON text: the shortest decimal that names it exactly (`0.2`, not Boost's
/// `2E-1`); `null` for infinities and NaN, which JSON lacks. `parse_json` (Boost.JSON before
/// 1.83) reads it back exactly when it has at most 15 significant digits and at most 22
/// decimal places; otherwise it may land on a neighbouring double.
[[nodiscard]] std::string format_number(double number);

/// Writes a JSON value indented by two spaces a level, keys in their stored order, ending
/// with a newline: the form in which outreach saves files people read. Doubles are written by
/// `format_number`.
[[nodiscard]] std::string to_pretty_json(const boost::json::value& value);

/// Nothing when `text` has no control character (C0, DEL, C1); else the message for the error.
[[nodiscard]] std::optional<std::string> control_character_problem(std::string_view text);

/// An `invalid_value` error at a JSON path.
[[nodiscard]] Error problem(std::string message, const std::string& path);

/// Nothing when `text` is fit for a setting: not empty, at most 1000 bytes, no control
/// characters; else the error at `path`.
[[nodiscard]] std::optional<Error> text_problem(std::string_view text, const std::string& path);

/// A string member that must not be empty, longer than 1000 bytes or hold control characters.
[[nodiscard]] std::optional<std::string> text_member(ObjectReader& reader, std::string_view key,
                                                     bool required = false);

}  // namespace outreach::detail
