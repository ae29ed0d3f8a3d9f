#include "campaign/sealed_token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <memory>
#include <new>

#include "util/base64url.hpp"

namespace outreach::detail {

namespace {

// The first byte of a sealed token: a later format takes the next value.
constexpr unsigned char sealed_format = 1;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

std::string_view text_of(const TokenKey& key) { return {reinterpret_cast<const char*>(key.data()), key.size()}; }

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(data), data.size(), mac.data(), &size);
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

TokenKey derive_token_key(std::string_view secret, std::string_view purpose) {
  const std::string mac = hmac_sha256(secret, purpose);
  TokenKey key{};
  std::copy(mac.begin(), mac.begin() + static_cast<std::ptrdiff_t>(key.size()), key.begin());
  return key;
}

std::string seal_token(const TokenKey& seal, const TokenKey& nonce_key, std::string_view plaintext) {
  const std::string nonce = hmac_sha256(text_of(nonce_key), plaintext).substr(0, nonce_size);
  std::string sealed(1 + nonce_size + plaintext.size() + tag_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  out[0] = sealed_format;
  std::copy(nonce.begin(), nonce.end(), sealed.begin() + 1);
  const Cipher cipher(EVP_CIPHER_CTX_new());
  int written = 0;
  const bool ok =
      cipher && EVP_EncryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, seal.data(), out + 1) == 1 &&
      EVP_EncryptUpdate(cipher.get(), nullptr, &written, out, 1) == 1 &&  // the format byte is authenticated
      EVP_EncryptUpdate(cipher.get(), out + 1 + nonce_size, &written, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(cipher.get(), out + 1 + nonce_size + written, &written) == 1 &&
      EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size),
                          out + 1 + nonce_size + plaintext.size()) == 1;
  // Only an allocation can fail here; a link without a token would be worse than no mail.
  if (!ok) throw std::bad_alloc();
  return base64url(sealed);
}

std::optional<std::string> open_token(const TokenKey& seal, std::string_view token, std::size_t max_size) {
  if (token.size() > max_size) return std::nullopt;
  const auto sealed = from_base64url(token);
  if (!sealed || sealed->size() < 1 + nonce_size + tag_size || static_cast<unsigned char>((*sealed)[0]) != sealed_format) {
    return std::nullopt;
  }
  const auto* in = bytes_of(*sealed);
  const std::size_t size = sealed->size() - 1 - nonce_size - tag_size;
  std::string plaintext(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  std::array<unsigned char, tag_size> tag{};
  std::copy(in + 1 + nonce_size + size, in + sealed->size(), tag.begin());
  const Cipher cipher(EVP_CIPHER_CTX_new());
  int written = 0;
  const bool opened =
      cipher && EVP_DecryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, seal.data(), in + 1) == 1 &&
      EVP_DecryptUpdate(cipher.get(), nullptr, &written, in, 1) == 1 &&
      EVP_DecryptUpdate(cipher.get(), out, &written, in + 1 + nonce_size, static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(cipher.get(), out + written, &written) == 1;
  if (!opened) return std::nullopt;
  return plaintext;
}

}  // namespace outreach::detail
