#include "outreach/unsubscribe.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>

#include "util/base64url.hpp"

namespace outreach {

namespace {

// The first byte of a sealed token: a later format takes the next value.
constexpr unsigned char sealed_format = 1;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
// A campaign's name and an address are short; anything longer is not a token of ours.
constexpr std::size_t max_token_size = 4096;

using Bytes = std::array<unsigned char, 32>;

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

std::string hmac_sha256(const void* key, std::size_t key_size, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(key_size), bytes_of(data), data.size(), mac.data(), &size);
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

// A key of its own for each use, so that no key serves two purposes.
Bytes derive(std::string_view secret, std::string_view purpose) {
  const std::string mac = hmac_sha256(secret.data(), secret.size(), purpose);
  Bytes key{};
  std::copy(mac.begin(), mac.begin() + static_cast<std::ptrdiff_t>(key.size()), key.begin());
  return key;
}

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

std::optional<UnsubscribeTarget> target_of(std::string_view plaintext) {
  const std::size_t newline = plaintext.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  return UnsubscribeTarget{std::string(plaintext.substr(0, newline)), std::string(plaintext.substr(newline + 1))};
}

}  // namespace

UnsubscribeKey::UnsubscribeKey(std::string_view secret)
    : secret_(secret),
      seal_key_(derive(secret, "outreach unsubscribe token: seal")),
      nonce_key_(derive(secret, "outreach unsubscribe token: nonce")) {}

std::string UnsubscribeKey::token(std::string_view campaign, std::string_view lead_key) const {
  std::string plaintext(campaign);
  plaintext += '\n';
  plaintext += lead_key;
  const std::string nonce = hmac_sha256(nonce_key_.data(), nonce_key_.size(), plaintext).substr(0, nonce_size);

  std::string sealed(1 + nonce_size + plaintext.size() + tag_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  out[0] = sealed_format;
  std::copy(nonce.begin(), nonce.end(), sealed.begin() + 1);
  const Cipher cipher(EVP_CIPHER_CTX_new());
  int written = 0;
  const bool ok =
      cipher && EVP_EncryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, seal_key_.data(), out + 1) == 1 &&
      EVP_EncryptUpdate(cipher.get(), nullptr, &written, out, 1) == 1 &&  // the format byte is authenticated
      EVP_EncryptUpdate(cipher.get(), out + 1 + nonce_size, &written, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(cipher.get(), out + 1 + nonce_size + written, &written) == 1 &&
      EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size),
                          out + 1 + nonce_size + plaintext.size()) == 1;
  // Only an allocation can fail here; a link without a token would be worse than no mail.
  if (!ok) throw std::bad_alloc();
  return detail::base64url(sealed);
}

std::optional<UnsubscribeTarget> UnsubscribeKey::verify(std::string_view token) const {
  if (token.size() > max_token_size) return std::nullopt;
  if (const std::size_t dot = token.find('.'); dot != std::string_view::npos) {
    // The signed format of earlier versions: the campaign and lead in the clear, and their HMAC.
    const auto payload = detail::from_base64url(token.substr(0, dot));
    const auto mac = detail::from_base64url(token.substr(dot + 1));
    if (!payload || !mac) return std::nullopt;
    const std::string expected = hmac_sha256(secret_.data(), secret_.size(), *payload);
    if (mac->size() != expected.size() || CRYPTO_memcmp(mac->data(), expected.data(), mac->size()) != 0) return std::nullopt;
    return target_of(*payload);
  }
  const auto sealed = detail::from_base64url(token);
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
      cipher && EVP_DecryptInit_ex(cipher.get(), EVP_aes_256_gcm(), nullptr, seal_key_.data(), in + 1) == 1 &&
      EVP_DecryptUpdate(cipher.get(), nullptr, &written, in, 1) == 1 &&
      EVP_DecryptUpdate(cipher.get(), out, &written, in + 1 + nonce_size, static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(cipher.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(cipher.get(), out + written, &written) == 1;
  if (!opened) return std::nullopt;
  return target_of(plaintext);
}

std::string make_unsubscribe_token(std::string_view secret, std::string_view campaign, std::string_view lead_key) {
  return UnsubscribeKey(secret).token(campaign, lead_key);
}

std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::string_view secret, std::string_view token) {
  return UnsubscribeKey(secret).verify(token);
}

std::optional<UnsubscribeTarget> verify_unsubscribe_token(std::span<const UnsubscribeKey> ring, std::string_view token) {
  for (const UnsubscribeKey& key : ring) {
    if (auto target = key.verify(token)) return target;
  }
  return std::nullopt;
}

}  // namespace outreach
