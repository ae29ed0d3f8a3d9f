// What every part of the C interface shares: setting the thread's last error, checking the
// arguments a host passes, handing strings back, and turning exceptions into status codes.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "outreach.h"
#include "outreach/error.hpp"
#include "outreach/instant.hpp"

namespace outreach::capi {

/// Records a failure of the library (and every other error found with it) as this thread's last
/// error; returns its status code.
int fail_with(const Error& error) noexcept;

/// Records a failure with a code (of either kind) and a message; returns the code.
int fail_with(int code, std::string_view message) noexcept;

/// The status code for a library error code.
[[nodiscard]] int status_of(Errc code) noexcept;

/// Turns the exception being handled into a status code and a message. Call only in a
/// `catch (...)` block.
int fail_with_current_exception() noexcept;

/// Runs `body` (which returns a status) so that no exception leaves it.
template <class Body>
int guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fail_with_current_exception();
  }
}

/// OK when `text` is a non-NULL, valid UTF-8 string; else the failure (`what` names it).
int check_text(const char* text, std::string_view what) noexcept;

/// As `check_text`, but NULL is accepted.
int check_optional_text(const char* text, std::string_view what) noexcept;

/// OK when `pointer` is not NULL; else `OUTREACH_EINVAL` naming it.
int check_not_null(const void* pointer, std::string_view what) noexcept;

/// Parses an optional RFC 3339 argument (NULL: none) into `out`; `what` names it in the error.
int parse_instant_argument(const char* text, std::string_view what, std::optional<Instant>& out) noexcept;

/// Copies `text` into memory the host frees with `outreach_string_free`; on failure `*out` stays
/// NULL and the status is `OUTREACH_ENOMEM`.
int copy_out(std::string_view text, char** out) noexcept;

/// The error as the JSON object of `outreach_last_error_details` (without its `others()`).
[[nodiscard]] std::string error_json(const Error& error);

/// A JSON array of the errors' objects.
template <class Errors>
[[nodiscard]] std::string errors_json(const Errors& errors) {
  std::string json = "[";
  for (const Error& error : errors) {
    if (json.size() > 1) json += ',';
    json += error_json(error);
  }
  json += ']';
  return json;
}

}  // namespace outreach::capi
