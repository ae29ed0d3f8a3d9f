#include "campaign/lead_text.hpp"

#include <iconv.h>

#include <algorithm>
#include <cstddef>

#include "mail/charset.hpp"
#include "util/ascii.hpp"
#include "util/utf8.hpp"

namespace outreach::detail {

namespace {

constexpr std::string_view utf8_mark = "\xEF\xBB\xBF";
constexpr std::string_view utf16le_mark{"\xFF\xFE", 2};
constexpr std::string_view utf16be_mark{"\xFE\xFF", 2};

// Whether iconv can read `name` (it may still be spelled in any case).
bool iconv_reads(const std::string& name) {
  const iconv_t descriptor = iconv_open("UTF-8", name.c_str());
  if (descriptor == reinterpret_cast<iconv_t>(-1)) return false;
  iconv_close(descriptor);
  return true;
}

// UTF-16 without a byte order mark, as some tools write it: in the first bytes of a list
// (mostly ASCII: header names, addresses), every other byte is NUL. Returns "utf-16le",
// "utf-16be" or empty.
std::string_view unmarked_utf16(std::string_view bytes) noexcept {
  const std::size_t sample = std::min<std::size_t>(bytes.size(), 512) & ~std::size_t{1};
  if (sample < 8) return {};
  std::size_t even_nuls = 0;
  std::size_t odd_nuls = 0;
  for (std::size_t i = 0; i < sample; i += 2) {
    even_nuls += bytes[i] == '\0' ? 1 : 0;
    odd_nuls += bytes[i + 1] == '\0' ? 1 : 0;
  }
  const std::size_t pairs = sample / 2;
  if (odd_nuls * 10 >= pairs * 9 && even_nuls == 0) return "utf-16le";
  if (even_nuls * 10 >= pairs * 9 && odd_nuls == 0) return "utf-16be";
  return {};
}

// Whether text that is not valid UTF-8 is still UTF-8 with some bad bytes (a row pasted from
// elsewhere), rather than a legacy encoding: legacy text seldom holds a valid multi-byte UTF-8
// sequence (an accidental "Ã©" or "É®") and has a run of invalid bytes at each accented letter,
// while UTF-8 with non-ASCII names holds many valid ones; so the valid sequences must be at
// least as many as the runs of bytes that are none.
bool mostly_utf8(std::string_view bytes) noexcept {
  std::size_t multibyte = 0;
  std::size_t invalid_runs = 0;
  bool in_invalid_run = false;
  for (std::size_t pos = 0; pos < bytes.size();) {
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      in_invalid_run = false;
      ++pos;
      continue;
    }
    const std::size_t length = utf8_sequence_length(bytes, pos);
    if (length >= 2) {
      ++multibyte;
      in_invalid_run = false;
    } else if (!in_invalid_run) {
      ++invalid_runs;
      in_invalid_run = true;
    }
    pos += std::max<std::size_t>(length, 1);
  }
  return multibyte != 0 && multibyte >= invalid_runs;
}

}  // namespace

expected<LeadText> LeadText::decode(std::string_view bytes, std::string_view encoding, std::string_view source_name) {
  LeadText out;
  const std::string named = ascii_lower(trim(encoding));
  const auto convert = [&](std::string_view from, std::string_view body) {
    out.encoding_ = std::string(from);
    out.converted_ = to_utf8(from, body);
    out.converted_->shrink_to_fit();  // the converter reserves for the worst case; the list is kept while read
  };

  if (named.empty()) {
    if (bytes.starts_with(utf8_mark)) {
      out.encoding_ = "utf-8";
      out.original_ = bytes.substr(utf8_mark.size());
    } else if (bytes.starts_with(utf16le_mark)) {
      convert("utf-16le", bytes.substr(utf16le_mark.size()));
    } else if (bytes.starts_with(utf16be_mark)) {
      convert("utf-16be", bytes.substr(utf16be_mark.size()));
    } else if (const std::string_view utf16 = unmarked_utf16(bytes); !utf16.empty()) {
      convert(utf16, bytes);
    } else if (is_valid_utf8(bytes) || mostly_utf8(bytes)) {
      // The rows with bytes that are not UTF-8 are left out as invalid, each with its line.
      out.encoding_ = "utf-8";
      out.original_ = bytes;
    } else {
      convert("windows-1252", bytes);
      out.note_ = Error(Errc::invalid_utf8,
                        "the file is not UTF-8: read as Windows-1252; if its names look wrong, give the "
                        "list's \"encoding\" (such as \"iso-8859-2\" or \"windows-1251\")",
                        Location::in(std::string(source_name)));
    }
    return out;
  }

  if (named == "utf-8" || named == "utf8") {
    out.encoding_ = "utf-8";
    out.original_ = bytes.starts_with(utf8_mark) ? bytes.substr(utf8_mark.size()) : bytes;
    return out;
  }
  if (!iconv_reads(named)) {
    return fail(Errc::invalid_value, "unknown encoding \"" + named + "\" (iconv -l lists the names known)",
                Location::in(std::string(source_name)));
  }
  // A mark says more than a name: "utf-16" is read in the byte order the mark gives.
  if (named.starts_with("utf-16") || named.starts_with("utf16")) {
    if (bytes.starts_with(utf16le_mark)) {
      convert("utf-16le", bytes.substr(utf16le_mark.size()));
      return out;
    }
    if (bytes.starts_with(utf16be_mark)) {
      convert("utf-16be", bytes.substr(utf16be_mark.size()));
      return out;
    }
    if (named == "utf-16" || named == "utf16") {
      const std::string_view guessed = unmarked_utf16(bytes);
      convert(guessed.empty() ? "utf-16le" : guessed, bytes);
      return out;
    }
  }
  convert(named, bytes);
  return out;
}

}  // namespace outreach::detail
