#include "util/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace outreach::detail {

namespace {

// Fetched once: looking the algorithm up on every call takes a lock in OpenSSL 3.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm;
}

}  // namespace

Sha256Digest sha256(std::string_view bytes) {
  Sha256Digest digest{};
  unsigned int size = 0;
  const EVP_MD* algorithm = sha256_algorithm();
  // EVP_Digest only fails when the allocator does; that is not an input error.
  if (algorithm == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, algorithm, nullptr) != 1) {
    throw std::runtime_error("SHA-256 computation failed");
  }
  return digest;
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0F];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  const Sha256Digest digest = sha256(bytes);
  return to_hex(digest.data(), digest.size());
}

}  // namespace outreach::detail
