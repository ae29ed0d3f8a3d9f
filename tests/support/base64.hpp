// Base64 (RFC 4648) for the tests: the scripted server decodes AUTH responses with it, and the
// tests encode secrets with it to make sure no encoded form of them leaks.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace outreach::testing {

inline std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// Empty when `text` is not base64 (or is empty).
inline std::string base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return {};
  std::string out(3 * (text.size() / 4), '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (written < 0) return {};
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  std::size_t length = static_cast<std::size_t>(written);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && length > 0; --i) --length;
  out.resize(length);
  return out;
}

}  // namespace outreach::testing
