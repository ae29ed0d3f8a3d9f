// DKIM signing (RFC 6376) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463), relaxed/relaxed.
#include "outreach/dkim.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "mail/encoding.hpp"
#include "util/sha256.hpp"

namespace outreach {

namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};

}  // namespace

// Everything a signature needs that does not depend on the message, made once per key: OpenSSL 3
// looks algorithms up in its provider store under locks, and initializing a signing context costs
// a few microseconds, about a tenth of an Ed25519 signature. Never modified after construction,
// so threads share it; each signature works on its own copy of `signing_template`.
struct DkimSigner::Key {
  Key(EVP_PKEY* key, DkimAlgorithm algorithm) noexcept : pkey(key) {
    sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    signature_size = static_cast<std::size_t>(std::max(EVP_PKEY_get_size(key), 0));
    MdCtx context(EVP_MD_CTX_new());
    // RSA hashes the header data itself; Ed25519 signs the SHA-256 of it (RFC 8463), no digest.
    const EVP_MD* digest = algorithm == DkimAlgorithm::rsa_sha256 ? sha256 : nullptr;
    if (sha256 != nullptr && context && EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key) == 1) {
      // Each copy signs once and is thrown away, so OpenSSL need not keep it usable afterwards
      // (for RSA it would otherwise duplicate the context inside EVP_DigestSignFinal).
      EVP_MD_CTX_set_flags(context.get(), EVP_MD_CTX_FLAG_FINALISE);
      signing_template = context.release();
    }
    ERR_clear_error();
  }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  ~Key() {
    EVP_MD_CTX_free(signing_template);
    EVP_MD_free(sha256);
    EVP_PKEY_free(pkey);
  }
  EVP_PKEY* pkey;
  EVP_MD* sha256 = nullptr;                    // null when OpenSSL has no SHA-256: signing fails
  EVP_MD_CTX* signing_template = nullptr;      // null when the key cannot sign: signing fails
  std::size_t signature_size = 0;              // the largest signature of the key
};

namespace {

constexpr std::size_t max_line = 78;
constexpr std::size_t max_key_file_size = 1U << 20U;

constexpr std::array<std::string_view, 12> signed_fields = {
    "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
    "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type",
    "content-transfer-encoding"};
constexpr std::size_t not_signed = signed_fields.size();

bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

// Space, tab, CR and LF: what relaxed canonicalization drops or merges (a CR or LF that is not
// part of a line break is dropped too). One comparison for the common printable characters.
bool is_white(char c) noexcept {
  constexpr std::uint64_t white = (1ULL << ' ') | (1ULL << '\t') | (1ULL << '\r') | (1ULL << '\n');
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && ((white >> u) & 1U) != 0;
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The index in `signed_fields` of a field name in any case, or `not_signed`.
std::size_t signed_field_index(std::string_view name) noexcept {
  for (std::size_t i = 0; i < signed_fields.size(); ++i) {
    const std::string_view candidate = signed_fields[i];
    if (candidate.size() != name.size()) continue;
    bool same = true;
    for (std::size_t j = 0; same && j < name.size(); ++j) same = lower(name[j]) == candidate[j];
    if (same) return i;
  }
  return not_signed;
}

// Writes the relaxed form of `[first, last)`, a body line or a header value, to `out`: CR and LF
// are dropped; each stretch of white space between two other characters becomes one space (none
// when it holds only CR or LF); white space at the end is dropped, and at the start it is dropped
// too unless `keep_leading_space` (a body line), where it becomes one space. `out.copy(a, b)`
// receives the stretches of the input that stay as they are (one space between two words stays,
// so a line already in canonical form is one stretch) and `out.literal(" ")` each space that
// replaces other white space.
template <class Out>
void compress_white_space(const char* first, const char* last, bool keep_leading_space, Out& out) {
  const char* unchanged = first;  // start of the stretch not yet written
  const char* p = first;
  while (p < last) {
    if (!is_white(*p)) {
      ++p;
      continue;
    }
    const char* gap = p;
    bool has_wsp = false;
    while (p < last && is_white(*p)) {
      has_wsp = has_wsp || is_wsp(*p);
      ++p;
    }
    if (p == last) {  // at the end: dropped
      out.copy(unchanged, gap);
      return;
    }
    if (gap == first && !keep_leading_space) {
      unchanged = p;
      continue;
    }
    if (p - gap == 1 && *gap == ' ') continue;  // already canonical
    out.copy(unchanged, gap);
    if (has_wsp) out.literal(" ");
    unchanged = p;
  }
  out.copy(unchanged, last);
}

// The first CRLF in `[first, last)`, or `last`.
const char* find_crlf(const char* first, const char* last) noexcept {
  while (first < last) {
    const auto* cr = static_cast<const char*>(std::memchr(first, '\r', static_cast<std::size_t>(last - first)));
    if (cr == nullptr) return last;
    if (cr + 1 < last && cr[1] == '\n') return cr;
    first = cr + 1;
  }
  return last;
}

// True when `[first, last)` is text that relaxed canonicalization leaves as it is (as a body
// line): not empty, no control character (tab, CR and LF are changed; other control characters
// merely take the slow path), no two spaces in a row, no space at the end. Most lines of a composed
// message are like this, so it looks at eight bytes at a time, without a branch per character.
bool is_canonical_text(const char* first, const char* last) noexcept {
  if (first == last || last[-1] == ' ') return false;
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  constexpr std::uint64_t spaces = 0x2020202020202020ULL;
  const char* p = first;
  for (; last - p >= 8; p += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    // Per byte, without carries between bytes (the low seven bits plus at most 0x7F stay in the
    // byte): the high bit of `below_space` is set for bytes under 0x20, as neither the byte nor
    // its low seven bits plus 0x60 reach 0x80; that of `is_space` for bytes equal to 0x20 (zero
    // after the XOR).
    const std::uint64_t below_space = ~(((word & low7) + 0x6060606060606060ULL) | word) & high;
    const std::uint64_t x = word ^ spaces;
    const std::uint64_t is_space = ~(((x & low7) + low7) | x) & high;
    // Two spaces in a row: adjacent inside the word (in either byte order), or across words.
    if ((below_space | (is_space & (is_space << 8))) != 0) return false;
    if (p != first && p[-1] == ' ' && p[0] == ' ') return false;
  }
  for (; p < last; ++p) {
    if (static_cast<unsigned char>(*p) < 0x20) return false;
    if (*p == ' ' && p != first && p[-1] == ' ') return false;
  }
  return true;
}

bool is_blank(const char* first, const char* last) noexcept {
  for (; first < last; ++first) {
    if (!is_white(*first)) return false;
  }
  return true;
}

// Writes the relaxed canonical body (RFC 6376 section 3.4.4) to `out`, as compress_white_space
// does. Lines are split at CRLF only; a last line without CRLF gets one. Empty lines are held back
// until a line with text follows, so those at the end never reach `out`.
template <class Out>
void canonicalize_body(std::string_view body, Out& out) {
  const char* const end = body.data() + body.size();
  const char* line = body.data();
  std::size_t blank_lines = 0;     // empty (after canonicalization) lines held back
  const char* blanks = nullptr;    // where they start
  bool blanks_are_crlfs = false;   // each of them is a bare CRLF, so the input can be copied
  while (line < end) {
    const char* const line_end = find_crlf(line, end);
    const bool has_crlf = line_end != end;
    const bool canonical = is_canonical_text(line, line_end);
    if (!canonical && is_blank(line, line_end)) {
      if (blank_lines == 0) {
        blanks = line;
        blanks_are_crlfs = true;
      }
      blanks_are_crlfs = blanks_are_crlfs && line == line_end && has_crlf;
      ++blank_lines;
    } else {
      if (blank_lines > 0) {
        if (blanks_are_crlfs) {
          out.copy(blanks, line);
        } else {
          for (std::size_t i = 0; i < blank_lines; ++i) out.literal("\r\n");
        }
        blank_lines = 0;
      }
      if (canonical) {
        out.copy(line, line_end);
      } else {
        compress_white_space(line, line_end, true, out);
      }
      if (has_crlf) {
        out.copy(line_end, line_end + 2);
      } else {
        out.literal("\r\n");
      }
    }
    line = has_crlf ? line_end + 2 : end;
  }
}

// Collects canonical output in a string.
class StringOut {
 public:
  explicit StringOut(std::string& out) noexcept : out_(out) {}
  void copy(const char* first, const char* last) { out_.append(first, last); }
  void literal(std::string_view text) { out_.append(text); }

 private:
  std::string& out_;
};

// Feeds canonical output to a digest context. Stretches that follow each other in the input are
// joined first, so that a body already in canonical form (composed messages mostly are) reaches
// the digest in one update; short pieces and inserted spaces and line breaks are gathered in a
// buffer, since each update is a call through the provider.
class DigestOut {
 public:
  explicit DigestOut(EVP_MD_CTX* ctx) noexcept : ctx_(ctx) {}
  void copy(const char* first, const char* last) noexcept {
    if (first == last) return;
    if (first == pending_last_) {
      pending_last_ = last;
      return;
    }
    flush_pending();
    pending_first_ = first;
    pending_last_ = last;
  }
  void literal(std::string_view text) noexcept {
    flush_pending();
    buffer(text.data(), text.size());
  }
  // Writes what is held back; false when a digest update failed.
  [[nodiscard]] bool finish() noexcept {
    flush_pending();
    flush_buffer();
    return ok_;
  }

 private:
  static constexpr std::size_t short_piece = 128;

  void update(const char* data, std::size_t size) noexcept {
    ok_ = ok_ && EVP_DigestUpdate(ctx_, data, size) == 1;
  }
  void flush_pending() noexcept {
    const auto size = static_cast<std::size_t>(pending_last_ - pending_first_);
    if (size <= short_piece) {
      buffer(pending_first_, size);
    } else {
      flush_buffer();
      update(pending_first_, size);
    }
    // Forgotten, so that a stretch after a literal is never joined to the one before it.
    pending_first_ = pending_last_ = nullptr;
  }
  void buffer(const char* data, std::size_t size) noexcept {
    if (size == 0) return;
    if (used_ + size > buffer_.size()) flush_buffer();
    if (size > buffer_.size()) {
      update(data, size);
      return;
    }
    std::memcpy(buffer_.data() + used_, data, size);
    used_ += size;
  }
  void flush_buffer() noexcept {
    if (used_ > 0) update(buffer_.data(), used_);
    used_ = 0;
  }

  EVP_MD_CTX* ctx_;
  const char* pending_first_ = nullptr;
  const char* pending_last_ = nullptr;
  std::array<char, 1024> buffer_{};
  std::size_t used_ = 0;
  bool ok_ = true;
};

// Appends the relaxed form of one header field (RFC 6376 section 3.4.2), see dkim_relaxed_header.
void append_relaxed_header(std::string& out, std::string_view field) {
  while (!field.empty() && (field.back() == '\n' || field.back() == '\r')) field.remove_suffix(1);
  const std::size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  const std::size_t name_start = out.size();
  out.append(name);
  for (std::size_t i = name_start; i < out.size(); ++i) out[i] = lower(out[i]);
  out.push_back(':');
  if (colon != std::string_view::npos) {
    const std::string_view value = field.substr(colon + 1);
    // Usually one space after the colon and the rest already canonical (no folding).
    const std::string_view rest = value.substr(!value.empty() && value.front() == ' ' ? 1 : 0);
    if (!rest.empty() && rest.front() != ' ' && is_canonical_text(rest.data(), rest.data() + rest.size())) {
      out.append(rest);
    } else {
      StringOut writer(out);
      compress_white_space(value.data(), value.data() + value.size(), false, writer);
    }
  }
  out.append("\r\n");
}

// The SHA-256 of what `write(DigestOut&)` writes, with a context that the caller reuses.
template <class Write>
bool sha256_of(EVP_MD_CTX* ctx, const EVP_MD* sha256, detail::Sha256Digest& result, Write&& write) {
  if (EVP_DigestInit_ex2(ctx, sha256, nullptr) != 1) return false;
  DigestOut out(ctx);
  write(out);
  unsigned int size = 0;
  return out.finish() && EVP_DigestFinal_ex(ctx, result.data(), &size) == 1 && size == result.size();
}

// A tag value (domain, selector) must not break the tag list.
bool valid_tag_value(std::string_view value) noexcept {
  if (value.empty()) return false;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ';') return false;
  }
  return true;
}

struct Field {
  std::string_view raw;           // the whole field, folding included, without its final line break
  std::size_t signed_index = not_signed;  // in signed_fields
  bool used = false;              // its canonical form is already in the signed data
};

// Splits the header section into fields; `body` receives what follows the empty line.
expected<std::vector<Field>> parse_header(std::string_view message, std::string_view& body) {
  std::vector<Field> fields;
  fields.reserve(24);
  std::size_t pos = 0;
  body = {};
  while (pos < message.size()) {
    std::size_t end = message.find('\n', pos);
    const std::size_t next = end == std::string_view::npos ? message.size() : end + 1;
    if (end == std::string_view::npos) end = message.size();
    std::size_t content_end = end;
    if (content_end > pos && message[content_end - 1] == '\r') --content_end;
    const std::string_view line = message.substr(pos, content_end - pos);
    if (line.empty()) {
      body = message.substr(next);
      return fields;
    }
    if (is_wsp(line.front())) {
      if (fields.empty()) return fail(Errc::invalid_value, "the message starts with a continuation line");
      const char* start = fields.back().raw.data();
      fields.back().raw = std::string_view(start, static_cast<std::size_t>(message.data() + content_end - start));
    } else {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return fail(Errc::invalid_value, "malformed header field: no name and colon");
      }
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
      fields.push_back(Field{line, signed_field_index(name)});
    }
    pos = next;
  }
  return fields;  // no body
}

std::string base64(std::string_view bytes) {
  std::string out;
  detail::append_base64(out, bytes);
  return out;
}

std::string_view as_chars(const unsigned char* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

// Writes the DKIM-Signature field, folding between tokens so that lines stay within 78.
class FieldWriter {
 public:
  explicit FieldWriter(std::string& out) : out_(out) {
    out_ = "DKIM-Signature:";
    line_ = out_.size();
  }
  // Adds a token after a space, or on a new line when it would not fit.
  void token(std::string_view text, bool may_fold = true) {
    if (may_fold && line_ + 1 + text.size() > max_line) {
      out_.append("\r\n");
      line_ = 0;
    }
    out_.push_back(' ');
    out_.append(text);
    line_ += 1 + text.size();
  }
  // Adds a token directly after the last one (no space), folding before it when needed.
  void glued(std::string_view text) {
    if (line_ + text.size() > max_line) {
      out_.append("\r\n ");
      line_ = 1;
    }
    out_.append(text);
    line_ += text.size();
  }
  // Adds an opaque value (base64), breaking it anywhere to fill lines.
  void spread(std::string_view text) {
    while (!text.empty()) {
      if (line_ >= max_line) {
        out_.append("\r\n ");
        line_ = 1;
      }
      const std::size_t take = std::min(text.size(), max_line - line_);
      out_.append(text.substr(0, take));
      line_ += take;
      text.remove_prefix(take);
    }
  }
  // Starts a new (continuation) line.
  void break_line() {
    out_.append("\r\n");
    line_ = 0;
  }
  [[nodiscard]] std::size_t line_length() const noexcept { return line_; }

 private:
  std::string& out_;
  std::size_t line_ = 0;
};

int refuse_password(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return -1; }

}  // namespace

std::string dkim_relaxed_header(std::string_view field) {
  std::string out;
  out.reserve(field.size() + 3);
  append_relaxed_header(out, field);
  return out;
}

std::string dkim_relaxed_body(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  StringOut writer(out);
  canonicalize_body(body, writer);
  return out;
}

DkimSigner::DkimSigner(std::shared_ptr<const Key> key, DkimAlgorithm algorithm, std::string domain,
                       std::string selector) noexcept
    : key_(std::move(key)), algorithm_(algorithm), domain_(std::move(domain)), selector_(std::move(selector)) {}

expected<DkimSigner> DkimSigner::from_pem(std::string_view pem, std::string domain, std::string selector) {
  try {
    if (!valid_tag_value(domain)) return fail(Errc::invalid_value, "the DKIM domain must be a non-empty domain name");
    if (!valid_tag_value(selector)) return fail(Errc::invalid_value, "the DKIM selector must be a non-empty name");
    if (pem.size() > static_cast<std::size_t>(INT_MAX)) return fail(Errc::invalid_value, "not a PEM private key");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) return fail(Errc::internal, "OpenSSL could not allocate a buffer");
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio, nullptr, refuse_password, nullptr);
    BIO_free(bio);
    ERR_clear_error();
    if (raw == nullptr) return fail(Errc::invalid_value, "not a PEM private key (or an encrypted one)");
    std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(raw);
    DkimAlgorithm algorithm{};
    if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_RSA) {
      const int bits = EVP_PKEY_get_bits(raw);
      if (bits < 1024) {
        return fail(Errc::invalid_value,
                    "the RSA key has " + std::to_string(bits) + " bits; DKIM needs at least 1024");
      }
      // A PEM file can hold RSA numbers that do not make a key (a damaged file): refused here,
      // rather than by every signature later.
      const std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
          EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr), &EVP_PKEY_CTX_free);
      if (check == nullptr) return fail(Errc::internal, "OpenSSL could not allocate a key context");
      if (EVP_PKEY_check(check.get()) != 1) {
        ERR_clear_error();
        return fail(Errc::invalid_value, "not a usable RSA private key: its numbers do not make a key");
      }
      algorithm = DkimAlgorithm::rsa_sha256;
    } else if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_ED25519) {
      algorithm = DkimAlgorithm::ed25519_sha256;
    } else {
      return fail(Errc::invalid_value, "unsupported key type: DKIM keys are RSA or Ed25519");
    }
    auto key = std::make_shared<const Key>(raw, algorithm);
    pkey.release();  // the Key owns it now
    return DkimSigner(std::move(key), algorithm, std::move(domain), std::move(selector));
  } catch (const std::bad_alloc&) {
    return fail(Errc::internal, "out of memory");
  } catch (const std::exception& e) {
    return fail(Errc::internal, e.what());
  }
}

expected<DkimSigner> DkimSigner::load(const DkimSettings& settings) {
  try {
    const std::string file = settings.key_file.string();
    const Location where = Location::in(file);
    std::error_code ec;
    const auto status = std::filesystem::status(settings.key_file, ec);
    if (status.type() == std::filesystem::file_type::not_found) {
      return fail(Errc::not_found, "the DKIM key file does not exist", where);
    }
    if (ec) return fail(Errc::io_error, "cannot read the DKIM key file: " + ec.message(), where);
    if (std::filesystem::is_directory(status)) return fail(Errc::io_error, "the DKIM key file is a directory", where);
    std::ifstream in(settings.key_file, std::ios::binary);
    if (!in) return fail(Errc::io_error, "cannot open the DKIM key file", where);
    std::string pem;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      pem.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (pem.size() > max_key_file_size) return fail(Errc::invalid_value, "not a PEM private key (too large)", where);
    }
    if (in.bad()) return fail(Errc::io_error, "cannot read the DKIM key file", where);
    auto signer = from_pem(pem, settings.domain, settings.selector);
    if (!signer) return fail(signer.error().in_file(file));
    return signer;
  } catch (const std::bad_alloc&) {
    return fail(Errc::internal, "out of memory");
  } catch (const std::exception& e) {
    return fail(Errc::internal, e.what());
  }
}

expected<std::string> DkimSigner::sign(std::string_view message) const {
  try {
    std::string_view body;
    auto fields = parse_header(message, body);
    if (!fields) return fail(fields.error());

    // h=: each signed field once per occurrence, in message order.
    std::vector<std::size_t> names;  // indexes in signed_fields
    names.reserve(fields->size());
    bool has_from = false;
    for (const Field& field : *fields) {
      if (field.signed_index == not_signed) continue;
      names.push_back(field.signed_index);
      has_from = has_from || signed_fields[field.signed_index] == "from";
    }
    if (!has_from) return fail(Errc::invalid_value, "the message has no From field to sign");

    // The hashed header data: for each name in h=, the next occurrence from the bottom up
    // (RFC 6376 section 5.4.2), as a verifier selects them; then the signature field itself.
    std::string data;
    data.reserve(message.size() - body.size() + 512);
    for (const std::size_t name : names) {
      for (std::size_t i = fields->size(); i-- > 0;) {
        Field& field = (*fields)[i];
        if (!field.used && field.signed_index == name) {
          field.used = true;
          append_relaxed_header(data, field.raw);
          break;
        }
      }
    }

    // One digest context serves the body hash and, for Ed25519, the header hash.
    const MdCtx hash(EVP_MD_CTX_new());
    if (!hash || key_->sha256 == nullptr) return fail(Errc::internal, "OpenSSL could not allocate a digest context");
    detail::Sha256Digest body_hash{};
    if (!sha256_of(hash.get(), key_->sha256, body_hash, [&](DigestOut& out) { canonicalize_body(body, out); })) {
      ERR_clear_error();
      return fail(Errc::internal, "SHA-256 computation failed");
    }

    std::string header;
    header.reserve(512);
    FieldWriter writer(header);
    writer.token("v=1;", false);
    writer.token(algorithm_ == DkimAlgorithm::rsa_sha256 ? "a=rsa-sha256;" : "a=ed25519-sha256;");
    writer.token("c=relaxed/relaxed;");
    writer.token("d=" + domain_ + ";");
    writer.token("s=" + selector_ + ";");
    std::string piece;
    for (std::size_t i = 0; i < names.size(); ++i) {
      piece.assign(i == 0 ? "h=" : ":");
      piece.append(signed_fields[names[i]]);
      if (i + 1 == names.size()) piece.push_back(';');
      if (i == 0) {
        writer.token(piece);
      } else {
        writer.glued(piece);
      }
    }
    writer.token("bh=" + base64(as_chars(body_hash.data(), body_hash.size())) + ";");
    // b= starts a line of its own unless a good part of the signature fits after it.
    if (writer.line_length() + 1 + 2 + 16 > max_line) writer.break_line();
    writer.token("b=", false);
    append_relaxed_header(data, header);
    data.resize(data.size() - 2);  // the signature field is hashed without its final CRLF

    // RSA hashes the data as it signs; Ed25519 signs its SHA-256 (RFC 8463).
    std::string_view to_sign = data;
    detail::Sha256Digest header_hash{};
    if (algorithm_ == DkimAlgorithm::ed25519_sha256) {
      const auto write_data = [&](DigestOut& out) { out.copy(data.data(), data.data() + data.size()); };
      if (!sha256_of(hash.get(), key_->sha256, header_hash, write_data)) {
        ERR_clear_error();
        return fail(Errc::internal, "SHA-256 computation failed");
      }
      to_sign = as_chars(header_hash.data(), header_hash.size());
    }
    // A copy of the key's initialized context: a signing context signs only once, and the
    // template is shared by every thread using this signer. OpenSSL 3.0.0 cannot copy a context
    // without a digest (Ed25519); then, or without a template, one is initialized here.
    const MdCtx context(EVP_MD_CTX_new());
    bool started = context && key_->signing_template != nullptr &&
                   EVP_MD_CTX_copy_ex(context.get(), key_->signing_template) == 1;
    if (context && !started) {
      EVP_MD_CTX_reset(context.get());
      const EVP_MD* digest = algorithm_ == DkimAlgorithm::rsa_sha256 ? key_->sha256 : nullptr;
      started = EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key_->pkey) == 1;
    }
    if (!started) {
      ERR_clear_error();
      return fail(Errc::internal, "OpenSSL could not start the DKIM signature");
    }
    std::string signature(key_->signature_size, '\0');
    std::size_t length = signature.size();
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size()) != 1) {
      ERR_clear_error();
      return fail(Errc::internal, "OpenSSL could not make the DKIM signature");
    }
    signature.resize(length);
    writer.spread(base64(signature));

    std::string out;
    out.reserve(header.size() + 2 + message.size());
    out.append(header);
    out.append("\r\n");
    out.append(message);
    return out;
  } catch (const std::bad_alloc&) {
    return fail(Errc::internal, "out of memory");
  } catch (const std::exception& e) {
    return fail(Errc::internal, e.what());
  }
}

}  // namespace outreach
