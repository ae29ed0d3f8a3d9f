// SHA-256 through OpenSSL, for content fingerprints and deterministic identifiers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace outreach::detail {

using Sha256Digest = std::array<std::uint8_t, 32>;

[[nodiscard]] Sha256Digest sha256(std::string_view bytes);

/// Lower-case hexadecimal of the digest (64 characters).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

/// Lower-case hexadecimal of any bytes.
[[nodiscard]] std::string to_hex(const std::uint8_t* bytes, std::size_t size);

}  // namespace outreach::detail
