#include "outreach/error.hpp"

namespace outreach {

std::string_view to_string(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::parse_error: return "parse_error";
    case Errc::invalid_value: return "invalid_value";
    case Errc::unknown_key: return "unknown_key";
    case Errc::missing_field: return "missing_field";
    case Errc::invalid_utf8: return "invalid_utf8";
    case Errc::limit_exceeded: return "limit_exceeded";
    case Errc::io_error: return "io_error";
    case Errc::not_found: return "not_found";
    case Errc::unavailable: return "unavailable";
    case Errc::temporary_failure: return "temporary_failure";
    case Errc::permanent_failure: return "permanent_failure";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

Error Error::in_file(std::string file) const {
  Error copy = *this;
  copy.where_.file = file;
  for (Error& other : copy.others_) other.where_.file = file;
  return copy;
}

namespace {
std::string join_path(std::string_view prefix, const std::string& path) {
  if (path.empty()) return std::string(prefix);
  if (prefix.empty() || path.front() == '[') return std::string(prefix) + path;
  return std::string(prefix) + "." + path;
}
}  // namespace

Error Error::under(std::string_view prefix) const {
  Error copy = *this;
  copy.where_.json_path = join_path(prefix, where_.json_path);
  for (Error& other : copy.others_) other.where_.json_path = join_path(prefix, other.where_.json_path);
  return copy;
}

std::string Error::to_string() const {
  std::string out;
  if (!where_.file.empty()) {
    out += where_.file;
    if (where_.line) out += ":" + std::to_string(*where_.line);
    out += ": ";
  } else if (where_.line) {
    out += "line " + std::to_string(*where_.line) + ": ";
  }
  if (!where_.json_path.empty()) out += where_.json_path + ": ";
  out += message_;
  if (where_.offset) out += " (character " + std::to_string(*where_.offset) + ")";
  return out;
}

}  // namespace outreach
