#include "net/credentials.hpp"

#include <cstdlib>

namespace outreach::detail {

expected<std::string> secret_from_environment(const std::string& variable, std::string_view owner,
                                              std::string_view setting) {
  if (variable.empty()) return fail(Errc::invalid_value, std::string(owner) + " names no " + std::string(setting));
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr) return fail(Errc::invalid_value, "the environment variable " + variable + " is not set");
  return std::string(value);
}

}  // namespace outreach::detail
