#include "mail/encoding.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "util/utf8.hpp"
#include "util/utf8_decode.hpp"

namespace outreach::detail {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

// ---- Quoted-printable ----

// Bytes a quoted-printable line may carry as they are: printable ASCII and space, but not '='.
constexpr std::array<bool, 256> make_qp_literal_table() {
  std::array<bool, 256> table{};
  for (int c = 0x20; c <= 0x7E; ++c) table[static_cast<std::size_t>(c)] = c != '=';
  return table;
}
constexpr std::array<bool, 256> qp_literal = make_qp_literal_table();

[[nodiscard]] constexpr bool is_line_break(char c) noexcept { return c == '\r' || c == '\n'; }

}  // namespace

void append_quoted_printable(std::string& out, std::string_view text) {
  // A soft break's '=' must fit on the line too, so content stops at 75 unless nothing follows
  // on that line; then its last character may take column 76.
  constexpr std::size_t soft_limit = 75;
  constexpr std::size_t hard_limit = 76;
  const char* const data = text.data();
  const std::size_t size = text.size();
  const auto literal = [](char c) { return qp_literal[static_cast<unsigned char>(c)]; };
  const auto ends_line = [&](std::size_t pos) { return pos + 1 == size || is_line_break(data[pos + 1]); };

  std::size_t pos = 0;
  std::size_t line = 0;
  while (pos < size) {
    const char c = data[pos];
    if (is_line_break(c)) {
      out.append("\r\n", 2);
      line = 0;
      pos += (c == '\r' && pos + 1 < size && data[pos + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (literal(c)) {
      std::size_t run_end = pos + 1;
      while (run_end < size && literal(data[run_end])) ++run_end;
      // A space that ends a line would be invisible (and stripped by some relays): encode it.
      if ((run_end == size || is_line_break(data[run_end])) && data[run_end - 1] == ' ') --run_end;
      if (run_end > pos) {
        while (pos < run_end) {
          if (line >= soft_limit) {
            if (line < hard_limit && pos + 1 == run_end && ends_line(pos)) {
              out.push_back(data[pos]);
              ++pos;
              ++line;
              break;
            }
            out.append("=\r\n", 3);
            line = 0;
          }
          const std::size_t take = std::min(run_end - pos, soft_limit - line);
          out.append(data + pos, take);
          pos += take;
          line += take;
        }
        continue;
      }
    }
    // One byte as =XX.
    if (line + 3 > (ends_line(pos) ? hard_limit : soft_limit)) {
      out.append("=\r\n", 3);
      line = 0;
    }
    const auto byte = static_cast<unsigned char>(c);
    const char encoded[3] = {'=', hex_digits[byte >> 4], hex_digits[byte & 0x0F]};
    out.append(encoded, 3);
    line += 3;
    ++pos;
  }
}

// ---- Base64 ----

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto at = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
  const std::size_t start = out.size();
  out.resize(start + base64_length(bytes.size()));
  char* dest = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    *dest++ = alphabet[(group >> 18) & 0x3F];
    *dest++ = alphabet[(group >> 12) & 0x3F];
    *dest++ = alphabet[(group >> 6) & 0x3F];
    *dest++ = alphabet[group & 0x3F];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const std::uint32_t group = (at(i) << 16) | (rest == 2 ? at(i + 1) << 8 : 0u);
    *dest++ = alphabet[(group >> 18) & 0x3F];
    *dest++ = alphabet[(group >> 12) & 0x3F];
    *dest++ = rest == 2 ? alphabet[(group >> 6) & 0x3F] : '=';
    *dest++ = '=';
  }
}

// ---- Encoded-words ----

namespace {

constexpr std::string_view encoded_word_prefix = "=?UTF-8?B?";
constexpr std::string_view encoded_word_suffix = "?=";
constexpr std::size_t encoded_word_overhead = encoded_word_prefix.size() + encoded_word_suffix.size();

// The most UTF-8 bytes one encoded-word of at most `width` characters can carry.
constexpr std::size_t encoded_word_capacity(std::size_t width) noexcept {
  width = std::min(width, max_encoded_word_length);
  return width <= encoded_word_overhead ? 0 : (width - encoded_word_overhead) / 4 * 3;
}

// Bytes of the whole characters from `pos` that fit in `capacity` bytes.
std::size_t whole_characters(std::string_view text, std::size_t pos, std::size_t capacity) noexcept {
  std::size_t end = pos;
  while (end < text.size()) {
    // Invalid input is the caller's bug; a lone byte still makes progress.
    const std::size_t length = std::max<std::size_t>(utf8_sequence_length(text, end), 1);
    if (end + length - pos > capacity) break;
    end += length;
  }
  return end - pos;
}

}  // namespace

void add_encoded_words(HeaderWriter& header, std::string_view text) {
  // Words shorter than this at the end of a line are not worth it: fold instead.
  constexpr std::size_t min_useful_capacity = 12;
  const std::size_t capacity_after_fold = encoded_word_capacity(HeaderWriter::room_after_fold);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t capacity = encoded_word_capacity(header.room_on_line());
    if (capacity < min_useful_capacity) capacity = capacity_after_fold;  // the word folds
    std::size_t take = whole_characters(text, pos, capacity);
    // Prefer ending a word after a space: readers that wrongly keep the white space between
    // encoded-words then show a wider space rather than a word cut in two.
    if (pos + take < text.size()) {
      const std::size_t space = text.substr(pos, take).rfind(' ');
      if (space != std::string_view::npos && (space + 1) * 2 >= take) take = space + 1;
    }
    const std::string_view chunk = text.substr(pos, take);
    header.add_written(encoded_word_overhead + base64_length(chunk.size()), [&](std::string& out) {
      out.append(encoded_word_prefix);
      append_base64(out, chunk);
      out.append(encoded_word_suffix);
    });
    pos += take;
  }
}

// ---- Punycode ----

namespace {

// The parameters of RFC 3492 section 5.
constexpr std::uint32_t puny_base = 36;
constexpr std::uint32_t puny_tmin = 1;
constexpr std::uint32_t puny_tmax = 26;
constexpr std::uint32_t puny_skew = 38;
constexpr std::uint32_t puny_damp = 700;
constexpr std::uint32_t puny_initial_bias = 72;
constexpr std::uint32_t puny_initial_n = 0x80;

constexpr char punycode_digit(std::uint32_t digit) noexcept {
  return static_cast<char>(digit < 26 ? 'a' + digit : '0' + (digit - 26));
}

// RFC 3492 section 6.1.
constexpr std::uint32_t adapt_bias(std::uint32_t delta, std::uint32_t point_count, bool first_time) noexcept {
  delta = first_time ? delta / puny_damp : delta / 2;
  delta += delta / point_count;
  std::uint32_t k = 0;
  while (delta > ((puny_base - puny_tmin) * puny_tmax) / 2) {
    delta /= puny_base - puny_tmin;
    k += puny_base;
  }
  return k + (((puny_base - puny_tmin + 1) * delta) / (delta + puny_skew));
}

std::u32string decode_code_points(std::string_view text) {
  std::u32string points;
  points.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const DecodedCharacter character = decode_utf8_at(text, pos);
    points.push_back(character.code_point);
    pos += character.length;
  }
  return points;
}

}  // namespace

bool append_punycode(std::string& out, std::string_view label) {
  constexpr std::uint32_t max_value = std::numeric_limits<std::uint32_t>::max();
  const std::u32string input = decode_code_points(label);
  if (input.size() >= max_value) return false;
  const auto input_length = static_cast<std::uint32_t>(input.size());

  std::uint32_t basic_count = 0;
  for (const char32_t point : input) {
    if (point < 0x80) {
      out.push_back(static_cast<char>(point));
      ++basic_count;
    }
  }
  if (basic_count > 0) out.push_back('-');

  std::uint32_t n = puny_initial_n;
  std::uint32_t delta = 0;
  std::uint32_t bias = puny_initial_bias;
  std::uint32_t handled = basic_count;
  while (handled < input_length) {
    std::uint32_t next = max_value;
    for (const char32_t point : input) {
      if (point >= n && point < next) next = point;
    }
    if (next - n > (max_value - delta) / (handled + 1)) return false;
    delta += (next - n) * (handled + 1);
    n = next;
    for (const char32_t point : input) {
      if (point < n) {
        if (delta == max_value) return false;
        ++delta;
      }
      if (point != n) continue;
      std::uint32_t q = delta;
      for (std::uint32_t k = puny_base;; k += puny_base) {
        const std::uint32_t t = k <= bias ? puny_tmin : k >= bias + puny_tmax ? puny_tmax : k - bias;
        if (q < t) break;
        out.push_back(punycode_digit(t + (q - t) % (puny_base - t)));
        q = (q - t) / (puny_base - t);
      }
      out.push_back(punycode_digit(q));
      bias = adapt_bias(delta, handled + 1, handled == basic_count);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return true;
}

}  // namespace outreach::detail
