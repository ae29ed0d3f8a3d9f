#include "net/sasl.hpp"

#include "mail/encoding.hpp"

namespace outreach::detail {

std::string base64_of(std::string_view text) {
  std::string out;
  append_base64(out, text);
  return out;
}

std::string sasl_plain(std::string_view username, std::string_view password) {
  std::string raw;
  raw += '\0';
  raw += username;
  raw += '\0';
  raw += password;
  return base64_of(raw);
}

std::string sasl_xoauth2(std::string_view username, std::string_view token) {
  std::string raw = "user=";
  raw += username;
  raw += "\x01" "auth=Bearer ";
  raw += token;
  raw += "\x01\x01";
  return base64_of(raw);
}

}  // namespace outreach::detail
