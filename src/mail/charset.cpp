#include "mail/charset.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "util/ascii.hpp"
#include "util/utf8.hpp"
#include "util/utf8_check.hpp"

namespace outreach::detail {

namespace {

// ---- charset names ------------------------------------------------------------------------

enum class Decoder : std::uint8_t {
  undeclared,    // UTF-8 if valid, else windows-1252
  utf8,          // UTF-8, invalid sequences replaced
  windows_1252,  // our own table: also what mail labelled ISO-8859-1 really is
  iconv,         // glibc, under the name given
};

struct CharsetAlias {
  std::string_view label;  // lower case
  Decoder decoder;
  std::string_view iconv_name;
};

// Labels mail really carries, mapped as the WHATWG Encoding Standard maps them: a declared
// legacy charset usually means its Microsoft superset.
constexpr std::array charset_aliases{
    CharsetAlias{"", Decoder::undeclared, {}},
    CharsetAlias{"us-ascii", Decoder::undeclared, {}},
    CharsetAlias{"ascii", Decoder::undeclared, {}},
    CharsetAlias{"us", Decoder::undeclared, {}},
    CharsetAlias{"ansi_x3.4-1968", Decoder::undeclared, {}},
    CharsetAlias{"iso646-us", Decoder::undeclared, {}},
    CharsetAlias{"default", Decoder::undeclared, {}},
    CharsetAlias{"unknown", Decoder::undeclared, {}},
    CharsetAlias{"unknown-8bit", Decoder::undeclared, {}},
    CharsetAlias{"x-unknown", Decoder::undeclared, {}},
    CharsetAlias{"utf-8", Decoder::utf8, {}},
    CharsetAlias{"utf8", Decoder::utf8, {}},
    CharsetAlias{"unicode-1-1-utf-8", Decoder::utf8, {}},
    CharsetAlias{"x-unicode20utf8", Decoder::utf8, {}},
    CharsetAlias{"iso-8859-1", Decoder::windows_1252, {}},
    CharsetAlias{"iso8859-1", Decoder::windows_1252, {}},
    CharsetAlias{"iso_8859-1", Decoder::windows_1252, {}},
    CharsetAlias{"iso_8859-1:1987", Decoder::windows_1252, {}},
    CharsetAlias{"iso-ir-100", Decoder::windows_1252, {}},
    CharsetAlias{"latin1", Decoder::windows_1252, {}},
    CharsetAlias{"latin-1", Decoder::windows_1252, {}},
    CharsetAlias{"l1", Decoder::windows_1252, {}},
    CharsetAlias{"cp819", Decoder::windows_1252, {}},
    CharsetAlias{"ibm819", Decoder::windows_1252, {}},
    CharsetAlias{"windows-1252", Decoder::windows_1252, {}},
    CharsetAlias{"cp1252", Decoder::windows_1252, {}},
    CharsetAlias{"x-cp1252", Decoder::windows_1252, {}},
    CharsetAlias{"ansi", Decoder::windows_1252, {}},
    CharsetAlias{"shift_jis", Decoder::iconv, "CP932"},
    CharsetAlias{"shift-jis", Decoder::iconv, "CP932"},
    CharsetAlias{"sjis", Decoder::iconv, "CP932"},
    CharsetAlias{"x-sjis", Decoder::iconv, "CP932"},
    CharsetAlias{"ms_kanji", Decoder::iconv, "CP932"},
    CharsetAlias{"csshiftjis", Decoder::iconv, "CP932"},
    CharsetAlias{"windows-31j", Decoder::iconv, "CP932"},
    CharsetAlias{"cp932", Decoder::iconv, "CP932"},
    CharsetAlias{"iso-2022-jp", Decoder::iconv, "ISO-2022-JP-2"},
    CharsetAlias{"csiso2022jp", Decoder::iconv, "ISO-2022-JP-2"},
    CharsetAlias{"gb2312", Decoder::iconv, "GB18030"},
    CharsetAlias{"gbk", Decoder::iconv, "GB18030"},
    CharsetAlias{"x-gbk", Decoder::iconv, "GB18030"},
    CharsetAlias{"cp936", Decoder::iconv, "GB18030"},
    CharsetAlias{"csgb2312", Decoder::iconv, "GB18030"},
    CharsetAlias{"euc-cn", Decoder::iconv, "GB18030"},
    CharsetAlias{"gb_2312-80", Decoder::iconv, "GB18030"},
    CharsetAlias{"chinese", Decoder::iconv, "GB18030"},
    CharsetAlias{"euc-kr", Decoder::iconv, "CP949"},
    CharsetAlias{"ks_c_5601-1987", Decoder::iconv, "CP949"},
    CharsetAlias{"ks_c_5601", Decoder::iconv, "CP949"},
    CharsetAlias{"korean", Decoder::iconv, "CP949"},
    CharsetAlias{"big5", Decoder::iconv, "BIG5-HKSCS"},
    CharsetAlias{"x-x-big5", Decoder::iconv, "BIG5-HKSCS"},
    CharsetAlias{"tis-620", Decoder::iconv, "CP874"},
    CharsetAlias{"iso-8859-11", Decoder::iconv, "CP874"},
    CharsetAlias{"iso-8859-8-i", Decoder::iconv, "ISO-8859-8"},
    CharsetAlias{"unicode", Decoder::iconv, "UTF-16"},
    CharsetAlias{"macintosh", Decoder::iconv, "MACINTOSH"},
    CharsetAlias{"x-mac-roman", Decoder::iconv, "MACINTOSH"},
};

// A charset name as written, made fit for the alias table and for iconv_open: quotes, white
// space and an RFC 2231 language suffix (`utf-8*en`) removed, lower case. Names with any other
// character (iconv's `//IGNORE` suffixes among them) are not charsets.
constexpr std::size_t max_charset_name = 40;

bool normalize_charset_name(std::string_view name, std::string& out) {
  name = trim(name);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = trim(name.substr(1, name.size() - 2));
  if (const auto star = name.find('*'); star != std::string_view::npos) name = name.substr(0, star);
  if (name.size() > max_charset_name) return false;
  out.clear();
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                         c == '_' || c == '.' || c == ':';
    if (!allowed) return false;
    out.push_back(ascii_lower(c));
  }
  return true;
}

// ---- iconv descriptors ----------------------------------------------------------------------

const iconv_t no_descriptor = reinterpret_cast<iconv_t>(-1);  // NOLINT: iconv's own error value

// iconv_open reads glibc's module cache: too slow to repeat for each of thousands of encoded
// words. A few descriptors per thread are kept, unknown names too (as no_descriptor).
class IconvCache {
 public:
  IconvCache() = default;
  IconvCache(const IconvCache&) = delete;
  IconvCache& operator=(const IconvCache&) = delete;
  ~IconvCache() {
    for (std::size_t i = 0; i < used_; ++i) close(entries_[i]);
  }

  // A descriptor converting from `iconv_name` to UTF-8, reset to its initial state, or
  // no_descriptor when glibc does not know the charset.
  iconv_t get(const std::string& iconv_name) {
    for (std::size_t i = 0; i < used_; ++i) {
      if (entries_[i].name == iconv_name) return reset(entries_[i].descriptor);
    }
    Entry& entry = used_ < entries_.size() ? entries_[used_++] : entries_[next_victim_++ % entries_.size()];
    close(entry);
    entry.name = iconv_name;
    entry.descriptor = iconv_open("UTF-8", iconv_name.c_str());
    return entry.descriptor;
  }

 private:
  struct Entry {
    std::string name;
    iconv_t descriptor = no_descriptor;
  };

  static iconv_t reset(iconv_t descriptor) {
    if (descriptor != no_descriptor) iconv(descriptor, nullptr, nullptr, nullptr, nullptr);
    return descriptor;
  }
  static void close(Entry& entry) {
    if (entry.descriptor != no_descriptor) iconv_close(entry.descriptor);
    entry.descriptor = no_descriptor;
  }

  std::array<Entry, 8> entries_{};
  std::size_t used_ = 0;
  std::size_t next_victim_ = 0;
};

// `unit` is the size of the charset's code unit: what is skipped past an invalid sequence.
void append_with_iconv(std::string& out, iconv_t descriptor, std::string_view bytes, std::size_t unit) {
  // iconv's interface takes char** for input it does not modify.
  char* in = const_cast<char*>(bytes.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  std::size_t in_left = bytes.size();
  std::size_t written = out.size();
  // Every byte takes at most three UTF-8 bytes in the charsets mail uses; E2BIG grows it.
  out.resize(written + in_left * 3 + 16);
  const auto convert = [&](char** input, std::size_t* input_left) {
    char* output = out.data() + written;
    std::size_t output_left = out.size() - written;
    const std::size_t result = iconv(descriptor, input, input_left, &output, &output_left);
    const int error = errno;
    written = static_cast<std::size_t>(output - out.data());
    return result == static_cast<std::size_t>(-1) ? error : 0;
  };
  const auto append_replacement = [&] {
    if (out.size() - written < replacement_character.size()) out.resize(written + replacement_character.size() + 64);
    out.replace(written, replacement_character.size(), replacement_character);
    written += replacement_character.size();
  };
  int stalled = 0;  // E2BIG turns without progress: not possible with 64 free bytes, but bounded
  while (in_left > 0) {
    const std::size_t left_before = in_left;
    const std::size_t written_before = written;
    const int error = convert(&in, &in_left);
    if (error == 0) break;
    const bool progressed = written != written_before || in_left != left_before;
    stalled = progressed ? 0 : stalled + 1;
    if (error == E2BIG && stalled < 4) {
      out.resize(out.size() + in_left * 3 + 64);
      continue;
    }
    append_replacement();
    if (error == EINVAL) break;  // an incomplete sequence at the end of the input
    // Invalid here: skip one unit and go on, so every turn of the loop makes progress.
    const std::size_t skipped = std::min(unit, in_left);
    in += skipped;
    in_left -= skipped;
  }
  // Stateful charsets (ISO-2022-JP) may hold a character back until the end.
  if (out.size() - written < 64) out.resize(written + 64);
  convert(nullptr, nullptr);
  out.resize(written);
}

bool starts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_ascii_compatible(std::string_view name, std::string_view iconv_name) noexcept {
  if (!iconv_name.empty()) return iconv_name != "UTF-16" && iconv_name != "ISO-2022-JP-2";
  for (const std::string_view family : {"iso-8859-", "iso8859-", "windows-", "cp125", "koi8", "euc-"}) {
    if (starts_with(name, family)) return true;
  }
  return false;
}

// UTF-16 and UTF-32 without a stated byte order: the byte order mark says it (and is dropped),
// else big endian (RFC 2781 section 4.3). Done here because glibc reads the mark only in a
// descriptor's first call, and descriptors are reused. Returns the code unit's size.
std::size_t resolve_byte_order(std::string& iconv_name, std::string_view& bytes) {
  const bool utf16 = iconv_name == "UTF-16";
  if (utf16 || iconv_name == "UTF-32") {
    const std::string_view little = utf16 ? std::string_view("\xFF\xFE", 2) : std::string_view("\xFF\xFE\x00\x00", 4);
    const std::string_view big = utf16 ? std::string_view("\xFE\xFF", 2) : std::string_view("\x00\x00\xFE\xFF", 4);
    const bool is_little = starts_with(bytes, little);
    if (is_little || starts_with(bytes, big)) bytes.remove_prefix(little.size());
    iconv_name += is_little ? "LE" : "BE";
  }
  if (starts_with(iconv_name, "UTF-16") || starts_with(iconv_name, "UCS-2")) return 2;
  if (starts_with(iconv_name, "UTF-32") || starts_with(iconv_name, "UCS-4")) return 4;
  return 1;
}

void append_undeclared(std::string& out, std::string_view bytes) { append_utf8_or_windows_1252(out, bytes); }

// glibc writes valid UTF-8; this makes the promise independent of every one of its converters.
void repair_utf8_from(std::string& out, std::size_t start) {
  const std::string_view converted = std::string_view(out).substr(start);
  if (!find_invalid_utf8(converted)) return;
  std::string repaired;
  append_utf8_replacing_invalid(repaired, converted);
  out.resize(start);
  out += repaired;
}

constexpr std::array<char16_t, 32> windows_1252_high{
    u'\u20AC', u'\uFFFD', u'\u201A', u'\u0192', u'\u201E', u'\u2026', u'\u2020', u'\u2021',
    u'\u02C6', u'\u2030', u'\u0160', u'\u2039', u'\u0152', u'\uFFFD', u'\u017D', u'\uFFFD',
    u'\uFFFD', u'\u2018', u'\u2019', u'\u201C', u'\u201D', u'\u2022', u'\u2013', u'\u2014',
    u'\u02DC', u'\u2122', u'\u0161', u'\u203A', u'\u0153', u'\uFFFD', u'\u017E', u'\u0178',
};

}  // namespace

void append_code_point(std::string& out, char32_t code_point) {
  if (code_point >= 0xD800 && code_point <= 0xDFFF) code_point = 0xFFFD;
  if (code_point > 0x10FFFF) code_point = 0xFFFD;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

void append_windows_1252(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() + bytes.size() / 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else if (byte < 0xA0) {
      append_code_point(out, windows_1252_high[byte - 0x80u]);
    } else {
      append_code_point(out, byte);
    }
  }
}

void append_utf8_replacing_invalid(std::string& out, std::string_view bytes) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t ascii = ascii_prefix_length(bytes.substr(pos));
    out.append(bytes.substr(pos, ascii));
    pos += ascii;
    if (pos == bytes.size()) break;
    const std::size_t length = utf8_sequence_length(bytes, pos);
    if (length == 0) {
      out.append(replacement_character);
      ++pos;
    } else {
      out.append(bytes.substr(pos, length));
      pos += length;
    }
  }
}

void append_utf8_or_windows_1252(std::string& out, std::string_view bytes) {
  const std::size_t ascii = ascii_prefix_length(bytes);
  if (ascii == bytes.size() || !find_invalid_utf8(bytes.substr(ascii))) {
    out.append(bytes);
  } else {
    append_windows_1252(out, bytes);
  }
}

void append_utf8(std::string& out, std::string_view charset, std::string_view bytes) {
  std::string name;
  if (!normalize_charset_name(charset, name)) return append_undeclared(out, bytes);
  Decoder decoder = Decoder::iconv;
  std::string iconv_name;
  for (const CharsetAlias& alias : charset_aliases) {
    if (alias.label == name) {
      decoder = alias.decoder;
      iconv_name = alias.iconv_name;
      break;
    }
  }
  switch (decoder) {
    case Decoder::undeclared: return append_undeclared(out, bytes);
    case Decoder::utf8: return append_utf8_replacing_invalid(out, bytes);
    case Decoder::windows_1252: return append_windows_1252(out, bytes);
    case Decoder::iconv: break;
  }
  // All-ASCII text in a charset that keeps ASCII as it is needs no converter (not so in
  // UTF-16, UTF-7, HZ or EBCDIC, hence a list).
  if (is_ascii_compatible(name, iconv_name) && ascii_prefix_length(bytes) == bytes.size()) {
    out.append(bytes);
    return;
  }
  if (iconv_name.empty()) {
    for (const char c : name) iconv_name.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  const std::size_t unit = resolve_byte_order(iconv_name, bytes);
  thread_local IconvCache cache;
  const iconv_t descriptor = cache.get(iconv_name);
  if (descriptor == no_descriptor) return append_undeclared(out, bytes);
  const std::size_t start = out.size();
  append_with_iconv(out, descriptor, bytes, unit);
  repair_utf8_from(out, start);
}

std::string to_utf8(std::string_view charset, std::string_view bytes) {
  std::string out;
  append_utf8(out, charset, bytes);
  return out;
}

}  // namespace outreach::detail
