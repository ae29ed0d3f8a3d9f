// Deterministic 64-bit hashing for choices that must be the same on every run and machine
// (variant assignment, spintax options). Not cryptographic: nothing secret depends on it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace outreach::detail {

/// SplitMix64's finalizer: a bijective mix with full avalanche.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Combines a value into a running hash.
[[nodiscard]] constexpr std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value) noexcept {
  return mix64(seed ^ mix64(value));
}

/// FNV-1a over the bytes, then mixed: stable for a given byte string.
[[nodiscard]] constexpr std::uint64_t hash_bytes(std::string_view bytes) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return mix64(h);
}

/// A hash of a long text, eight bytes at a time: to tell that a text changed (a campaign's
/// definition, a snapshot's bytes), several times faster than `hash_bytes`. Not for choices:
/// its values depend on the machine's byte order.
[[nodiscard]] inline std::uint64_t hash_text(std::string_view bytes) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ word) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return mix64(h ^ tail);
}

__extension__ using uint128 = unsigned __int128;  // GCC and Clang; -Wpedantic-clean

/// A uniform choice in [0, n) from a 64-bit hash (Lemire's multiply-shift; n > 0).
[[nodiscard]] constexpr std::uint64_t pick_below(std::uint64_t hash, std::uint64_t n) noexcept {
  return static_cast<std::uint64_t>((static_cast<uint128>(hash) * n) >> 64);
}

}  // namespace outreach::detail
