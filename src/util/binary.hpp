// A compact binary encoding for state the project writes and reads back itself (a campaign's
// snapshot): unsigned LEB128 varints, zigzag for signed values, little-endian fixed words,
// length-prefixed bytes. The reader is bounded and never trusts a length it reads: any overrun or
// a varint longer than ten bytes makes it fail, and it stays failed.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace outreach::detail {

/// A signed value as an unsigned one that is small when the value is near zero either way.
[[nodiscard]] constexpr std::uint64_t zigzag(std::int64_t value) noexcept {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
/// The signed value `zigzag` made `raw` of.
[[nodiscard]] constexpr std::int64_t unzigzag(std::uint64_t raw) noexcept {
  return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

/// Appends values to a byte string.
class BinaryWriter {
 public:
  void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void svarint(std::int64_t value) { varint(zigzag(value)); }
  void u64(std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
  void f64(double value) { u64(std::bit_cast<std::uint64_t>(value)); }
  void bytes(std::string_view value) {
    varint(value.size());
    out_.append(value);
  }
  [[nodiscard]] std::string take() && { return std::move(out_); }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

 private:
  std::string out_;
};

/// Reads what a `BinaryWriter` wrote. After a failure every read gives zero and `ok()` is false.
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view in) : in_(in) {}

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(in_[at_++]);
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!need(1)) return 0;
      const auto byte = static_cast<std::uint8_t>(in_[at_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    failed_ = true;
    return 0;
  }
  std::int64_t svarint() { return unzigzag(varint()); }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[at_++])) << (8 * i);
    return value;
  }
  double f64() { return std::bit_cast<double>(u64()); }
  std::string_view bytes() {
    const std::uint64_t size = varint();
    if (!need(size)) return {};
    const std::string_view value = in_.substr(at_, size);
    at_ += size;
    return value;
  }
  /// A count of items each at least `min_bytes` long: fails when the rest cannot hold them, so
  /// that a damaged count never makes the caller reserve room for billions.
  std::uint64_t count(std::size_t min_bytes = 1) {
    const std::uint64_t value = varint();
    if (!failed_ && value > (in_.size() - at_) / (min_bytes == 0 ? 1 : min_bytes)) failed_ = true;
    return failed_ ? 0 : value;
  }
  /// Marks the input as not what was expected (a value out of its range).
  void fail() noexcept { failed_ = true; }
  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  [[nodiscard]] bool at_end() const noexcept { return at_ == in_.size(); }

 private:
  bool need(std::uint64_t bytes) {
    if (failed_ || bytes > in_.size() - at_) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::string_view in_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace outreach::detail
