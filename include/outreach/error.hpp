/// @file error.hpp
/// @brief Errors as values: `outreach::Error` and `outreach::expected<T>`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace outreach {

/// @brief Stable error codes. The numeric values never change; new codes are appended.
///
/// The code says what went wrong and whether trying again can help: `unavailable` and
/// `temporary_failure` may succeed later; every other code needs a change of input.
enum class Errc : std::uint8_t {
  invalid_argument = 1,   ///< A function was called with an argument it does not accept.
  parse_error = 2,        ///< Input is not well-formed (JSON, CSV, a template, a header).
  invalid_value = 3,      ///< Input is well-formed but breaks a rule of the format.
  unknown_key = 4,        ///< A JSON object has a key the format does not define.
  missing_field = 5,      ///< A template needs a lead field that is missing or empty.
  invalid_utf8 = 6,       ///< Text is not valid UTF-8.
  limit_exceeded = 7,     ///< Input is larger or deeper than the library accepts.
  io_error = 8,           ///< A file could not be read or written.
  not_found = 9,          ///< A named thing does not exist.
  unavailable = 10,       ///< A resource is busy or unreachable; retrying may help.
  temporary_failure = 11, ///< A remote peer refused for now; retrying may help.
  permanent_failure = 12, ///< A remote peer refused for good.
  internal = 13,          ///< A bug in the library; please report it.
};

/// @brief The stable, lower-case name of a code, such as `"invalid_value"`.
[[nodiscard]] std::string_view to_string(Errc code) noexcept;

/// @brief Where bad input is. Every part is optional; an empty string or no value means unknown.
struct Location {
  std::string file{};                  ///< The file the input came from, if any.
  std::optional<std::size_t> line{};   ///< 1-based line in that file.
  std::string json_path{};             ///< Path in a JSON document, such as `steps[1].variants[0].text`.
  std::optional<std::size_t> offset{}; ///< 0-based character (code point) offset inside a string value.

  /// @brief A location that is only a file.
  [[nodiscard]] static Location in(std::string file) {
    Location where;
    where.file = std::move(file);
    return where;
  }
  /// @brief A location that is only a JSON path.
  [[nodiscard]] static Location at(std::string json_path) {
    Location where;
    where.json_path = std::move(json_path);
    return where;
  }

  /// @brief True when no part of the location is known.
  [[nodiscard]] bool empty() const noexcept {
    return file.empty() && !line && json_path.empty() && !offset;
  }
  /// @brief Locations compare equal when every part is equal.
  friend bool operator==(const Location&, const Location&) = default;
};

/// @brief An error: a stable code, a message for people, and where the bad input is.
///
/// Loaders that check a whole document report every problem they find: the first is this
/// error, the rest are in `others()`, in document order.
class Error {
 public:
  /// @brief Makes an error with a code, a message and, optionally, a location.
  Error(Errc code, std::string message, Location where = {})
      : code_(code), message_(std::move(message)), where_(std::move(where)) {}

  /// @brief The stable code.
  [[nodiscard]] Errc code() const noexcept { return code_; }
  /// @brief The message, without the location.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// @brief Where the bad input is, when known.
  [[nodiscard]] const Location& where() const noexcept { return where_; }
  /// @brief Further errors found in the same pass over the input.
  [[nodiscard]] const std::vector<Error>& others() const noexcept { return others_; }

  /// @brief Returns a copy with `file` set as the location's file, for errors found in a file.
  [[nodiscard]] Error in_file(std::string file) const;
  /// @brief Returns a copy whose JSON path (and that of every other error) is prefixed by `prefix`.
  [[nodiscard]] Error under(std::string_view prefix) const;
  /// @brief Appends an error found in the same pass.
  void add_other(Error other) { others_.push_back(std::move(other)); }

  /// @brief One line: `file:line: json.path: message (character N)`, with the parts that are known.
  [[nodiscard]] std::string to_string() const;

 private:
  Errc code_;
  std::string message_;
  Location where_;
  std::vector<Error> others_;
};

/// @brief A value of type `T`, or the `Error` that kept it from being made. Cannot be ignored.
template <class T>
class [[nodiscard]] expected : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  /// @brief Converts from the underlying tl::expected.
  expected(tl::expected<T, Error> other)  // NOLINT(google-explicit-constructor)
      : tl::expected<T, Error>(std::move(other)) {}
};

/// @brief Shorthand for the error branch: `return fail(Errc::invalid_value, "...")`.
[[nodiscard]] inline tl::unexpected<Error> fail(Errc code, std::string message, Location where = {}) {
  return tl::unexpected<Error>(Error(code, std::move(message), std::move(where)));
}

/// @brief Wraps an existing error for the error branch.
[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace outreach
