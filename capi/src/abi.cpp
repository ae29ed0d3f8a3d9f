// Status codes, the thread's last error, versions and strings of the C interface.

#include "abi.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <cstring>
#include <new>

#include "util/utf8_check.hpp"

// outreach.h and outreach/version.hpp both define OUTREACH_VERSION_NUMBER; they must agree.
namespace {
constexpr int c_header_version_number = OUTREACH_VERSION_NUMBER;
}  // namespace
#undef OUTREACH_VERSION_NUMBER
#include "outreach/version.hpp"
static_assert(c_header_version_number == OUTREACH_VERSION_NUMBER,
              "outreach.h and outreach/version.hpp disagree on OUTREACH_VERSION_NUMBER");

namespace outreach::capi {

// Each library code is its status code negated; the values are part of the ABI.
static_assert(OUTREACH_EINVAL == -static_cast<int>(Errc::invalid_argument));
static_assert(OUTREACH_EPARSE == -static_cast<int>(Errc::parse_error));
static_assert(OUTREACH_EVALUE == -static_cast<int>(Errc::invalid_value));
static_assert(OUTREACH_EUNKNOWNKEY == -static_cast<int>(Errc::unknown_key));
static_assert(OUTREACH_EMISSINGFIELD == -static_cast<int>(Errc::missing_field));
static_assert(OUTREACH_EUTF8 == -static_cast<int>(Errc::invalid_utf8));
static_assert(OUTREACH_ELIMIT == -static_cast<int>(Errc::limit_exceeded));
static_assert(OUTREACH_EIO == -static_cast<int>(Errc::io_error));
static_assert(OUTREACH_ENOTFOUND == -static_cast<int>(Errc::not_found));
static_assert(OUTREACH_EUNAVAILABLE == -static_cast<int>(Errc::unavailable));
static_assert(OUTREACH_ETEMPFAIL == -static_cast<int>(Errc::temporary_failure));
static_assert(OUTREACH_EPERMFAIL == -static_cast<int>(Errc::permanent_failure));
static_assert(OUTREACH_EINTERNAL == -static_cast<int>(Errc::internal));

namespace {

namespace json = boost::json;

/// The last failure of this thread. When even recording it runs out of memory, the fixed
/// out-of-memory texts stand in.
struct LastError {
  std::string message;
  std::string details = "[]";
  bool out_of_memory = false;
};

thread_local LastError last_error;

constexpr const char* out_of_memory_message = "out of memory";
constexpr const char* out_of_memory_details =
    R"([{"code":"out_of_memory","message":"out of memory","text":"out of memory"}])";

void record(std::string message, std::string details) noexcept {
  LastError& last = last_error;
  last.message = std::move(message);  // moves do not allocate
  last.details = std::move(details);
  last.out_of_memory = false;
}

void record_out_of_memory() noexcept { last_error.out_of_memory = true; }

}  // namespace

int status_of(Errc code) noexcept { return -static_cast<int>(code); }

std::string error_json(const Error& error) {
  json::object object;
  object["code"] = outreach_strerror(status_of(error.code()));
  object["message"] = error.message();
  const Location& where = error.where();
  if (!where.file.empty()) object["file"] = where.file;
  if (where.line) object["line"] = *where.line;
  if (!where.json_path.empty()) object["json_path"] = where.json_path;
  if (where.offset) object["offset"] = *where.offset;
  object["text"] = error.to_string();
  return json::serialize(object);
}

int fail_with(const Error& error) noexcept {
  const int code = status_of(error.code());
  try {
    std::string message = error.to_string();
    std::string details = "[" + error_json(error);
    for (const Error& other : error.others()) {
      message += '\n';
      message += other.to_string();
      details += ',';
      details += error_json(other);
    }
    details += ']';
    record(std::move(message), std::move(details));
  } catch (...) {
    record_out_of_memory();
  }
  return code;
}

int fail_with(int code, std::string_view message) noexcept {
  try {
    json::object object;
    object["code"] = outreach_strerror(code);
    object["message"] = message;
    object["text"] = message;
    record(std::string(message), "[" + json::serialize(object) + "]");
  } catch (...) {
    record_out_of_memory();
  }
  return code;
}

int fail_with_current_exception() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    record_out_of_memory();
    return OUTREACH_ENOMEM;
  } catch (const std::exception& exception) {
    return fail_with(OUTREACH_EINTERNAL, std::string("internal error: ") + exception.what());
  } catch (...) {
    return fail_with(OUTREACH_EINTERNAL, "internal error: an unknown exception");
  }
}

int check_not_null(const void* pointer, std::string_view what) noexcept {
  if (pointer) return OUTREACH_OK;
  return guarded([&] { return fail_with(OUTREACH_EINVAL, std::string(what) + " is NULL"); });
}

int check_optional_text(const char* text, std::string_view what) noexcept {
  if (!text) return OUTREACH_OK;
  return guarded([&] {
    auto valid = detail::check_utf8(text, what);
    return valid ? OUTREACH_OK : fail_with(valid.error());
  });
}

int check_text(const char* text, std::string_view what) noexcept {
  if (const int status = check_not_null(text, what)) return status;
  return check_optional_text(text, what);
}

int parse_instant_argument(const char* text, std::string_view what, std::optional<Instant>& out) noexcept {
  out.reset();
  if (!text) return OUTREACH_OK;
  if (const int status = check_optional_text(text, what)) return status;
  return guarded([&] {
    out = parse_instant(text);
    if (out) return OUTREACH_OK;
    return fail_with(OUTREACH_EINVAL, std::string(what) + ": \"" + text +
                                          "\" is not an RFC 3339 instant in UTC such as 2026-12-01T14:03:12Z");
  });
}

int copy_out(std::string_view text, char** out) noexcept {
  *out = nullptr;
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (!copy) {
    record_out_of_memory();
    return OUTREACH_ENOMEM;
  }
  if (!text.empty()) std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  *out = copy;
  return OUTREACH_OK;
}

}  // namespace outreach::capi

using namespace outreach::capi;

extern "C" {

OUTREACH_API int outreach_version_number(void) { return outreach::version_number(); }

OUTREACH_API const char* outreach_version(void) {
  // A copy, so that the result is NUL-terminated whatever the C++ function's view points at.
  try {
    static const std::string version(outreach::version());
    return version.c_str();
  } catch (...) {
    return "";
  }
}

OUTREACH_API const char* outreach_strerror(int code) {
  // The library's codes have the names of outreach::to_string(Errc), written out here so that
  // each result is a NUL-terminated literal.
  switch (code) {
    case OUTREACH_OK: return "ok";
    case OUTREACH_EINVAL: return "invalid_argument";
    case OUTREACH_EPARSE: return "parse_error";
    case OUTREACH_EVALUE: return "invalid_value";
    case OUTREACH_EUNKNOWNKEY: return "unknown_key";
    case OUTREACH_EMISSINGFIELD: return "missing_field";
    case OUTREACH_EUTF8: return "invalid_utf8";
    case OUTREACH_ELIMIT: return "limit_exceeded";
    case OUTREACH_EIO: return "io_error";
    case OUTREACH_ENOTFOUND: return "not_found";
    case OUTREACH_EUNAVAILABLE: return "unavailable";
    case OUTREACH_ETEMPFAIL: return "temporary_failure";
    case OUTREACH_EPERMFAIL: return "permanent_failure";
    case OUTREACH_EINTERNAL: return "internal";
    case OUTREACH_ENOMEM: return "out_of_memory";
    case OUTREACH_ECALLBACK: return "callback_failed";
    case OUTREACH_EUNSUPPORTED: return "unsupported";
    case OUTREACH_EBUSY: return "busy";
    default: return "unknown";
  }
}

OUTREACH_API const char* outreach_last_error(void) {
  const LastError& last = last_error;
  return last.out_of_memory ? out_of_memory_message : last.message.c_str();
}

OUTREACH_API const char* outreach_last_error_details(void) {
  const LastError& last = last_error;
  return last.out_of_memory ? out_of_memory_details : last.details.c_str();
}

OUTREACH_API void outreach_string_free(char* string) { std::free(string); }

}  // extern "C"
