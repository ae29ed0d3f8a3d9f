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

// A context per thread, used again: EVP_Digest allocates and frees one at every call, which
// costs more than hashing the short input of a Message-ID.
struct DigestContext {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  DigestContext() = default;
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;
  ~DigestContext() { EVP_MD_CTX_free(context); }
};

}  // namespace

Sha256Digest sha256(std::string_view bytes) {
  thread_local DigestContext reused;
  Sha256Digest digest{};
  unsigned int size = 0;
  const EVP_MD* algorithm = sha256_algorithm();
  // These only fail when the allocator does; that is not an input error.
  if (algorithm == nullptr || reused.context == nullptr ||
      EVP_DigestInit_ex2(reused.context, algorithm, nullptr) != 1 ||
      EVP_DigestUpdate(reused.context, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(reused.context, digest.data(), &size) != 1) {
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
