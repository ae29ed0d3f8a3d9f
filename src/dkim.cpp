// DKIM signing (RFC 6376) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463), relaxed/relaxed.
#include "outreach/dkim.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <climits>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "detail/encoding.hpp"
#include "detail/sha256.hpp"

namespace outreach {

struct DkimSigner::Key {
  explicit Key(EVP_PKEY* key) noexcept : pkey(key) {}
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  ~Key() { EVP_PKEY_free(pkey); }
  EVP_PKEY* pkey;
};

namespace {

constexpr std::size_t max_line = 78;
constexpr std::size_t max_key_file_size = 1U << 20U;

constexpr std::array<std::string_view, 12> signed_fields = {
    "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
    "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type",
    "content-transfer-encoding"};

bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

// Appends `text` with runs of WSP collapsed to one space and line breaks removed (unfolded).
void append_compressed(std::string& out, std::string_view text) {
  bool in_space = false;
  for (const char c : text) {
    if (c == '\r' || c == '\n') continue;
    if (is_wsp(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  if (in_space) out.push_back(' ');
}

std::string_view strip(std::string_view text) noexcept {
  while (!text.empty() && is_wsp(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_wsp(text.back())) text.remove_suffix(1);
  return text;
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
  std::string name;      // lower case
  std::string_view raw;  // the whole field, folding included, without its final line break
};

// Splits the header section into fields; `body` receives what follows the empty line.
expected<std::vector<Field>> parse_header(std::string_view message, std::string_view& body) {
  std::vector<Field> fields;
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
      fields.push_back(Field{lowercase(name), line});
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

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string dkim_relaxed_header(std::string_view field) {
  while (!field.empty() && (field.back() == '\n' || field.back() == '\r')) field.remove_suffix(1);
  const std::size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string out = lowercase(name);
  out.push_back(':');
  if (colon != std::string_view::npos) {
    std::string value;
    append_compressed(value, field.substr(colon + 1));
    out.append(strip(value));
  }
  out.append("\r\n");
  return out;
}

std::string dkim_relaxed_body(std::string_view body) {
  std::string out;
  std::size_t kept = 0;  // length of `out` up to the last non-empty line
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\r\n", pos);
    const bool last = end == std::string_view::npos;
    if (last) end = body.size();
    std::string line;
    append_compressed(line, body.substr(pos, end - pos));
    if (!line.empty() && line.back() == ' ') line.pop_back();
    out.append(line);
    out.append("\r\n");
    if (!line.empty()) kept = out.size();
    pos = last ? body.size() : end + 2;
  }
  out.resize(kept);
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
    auto key = std::make_shared<const Key>(raw);
    DkimAlgorithm algorithm{};
    if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_RSA) {
      const int bits = EVP_PKEY_get_bits(raw);
      if (bits < 1024) {
        return fail(Errc::invalid_value,
                    "the RSA key has " + std::to_string(bits) + " bits; DKIM needs at least 1024");
      }
      algorithm = DkimAlgorithm::rsa_sha256;
    } else if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_ED25519) {
      algorithm = DkimAlgorithm::ed25519_sha256;
    } else {
      return fail(Errc::invalid_value, "unsupported key type: DKIM keys are RSA or Ed25519");
    }
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
    std::vector<std::string_view> names;
    bool has_from = false;
    for (const Field& field : *fields) {
      for (const std::string_view name : signed_fields) {
        if (field.name == name) {
          names.push_back(name);
          has_from = has_from || name == "from";
        }
      }
    }
    if (!has_from) return fail(Errc::invalid_value, "the message has no From field to sign");

    // The hashed header data: for each name in h=, the next occurrence from the bottom up
    // (RFC 6376 section 5.4.2), as a verifier selects them.
    std::string data;
    std::vector<bool> used(fields->size(), false);
    for (const std::string_view name : names) {
      for (std::size_t i = fields->size(); i-- > 0;) {
        if (!used[i] && (*fields)[i].name == name) {
          used[i] = true;
          data.append(dkim_relaxed_header((*fields)[i].raw));
          break;
        }
      }
    }

    const detail::Sha256Digest body_hash = detail::sha256(dkim_relaxed_body(body));

    std::string header;
    FieldWriter writer(header);
    writer.token("v=1;", false);
    writer.token(algorithm_ == DkimAlgorithm::rsa_sha256 ? "a=rsa-sha256;" : "a=ed25519-sha256;");
    writer.token("c=relaxed/relaxed;");
    writer.token("d=" + domain_ + ";");
    writer.token("s=" + selector_ + ";");
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string piece(names[i]);
      if (i + 1 == names.size()) piece.push_back(';');
      if (i == 0) {
        writer.token("h=" + piece);
      } else {
        writer.glued(":" + piece);
      }
    }
    writer.token("bh=" + base64(as_chars(body_hash.data(), body_hash.size())) + ";");
    // b= starts a line of its own unless a good part of the signature fits after it.
    if (writer.line_length() + 1 + 2 + 16 > max_line) writer.break_line();
    writer.token("b=", false);
    data.append(dkim_relaxed_header(header));
    data.resize(data.size() - 2);  // the signature field is hashed without its final CRLF

    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    if (!ctx) return fail(Errc::internal, "OpenSSL could not allocate a digest context");
    const EVP_MD* md = nullptr;
    std::string to_sign;
    if (algorithm_ == DkimAlgorithm::rsa_sha256) {
      md = EVP_sha256();
      to_sign = std::move(data);
    } else {
      const detail::Sha256Digest digest = detail::sha256(data);
      to_sign.assign(as_chars(digest.data(), digest.size()));
    }
    const auto* input = reinterpret_cast<const unsigned char*>(to_sign.data());
    std::size_t length = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_->pkey) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, input, to_sign.size()) != 1) {
      ERR_clear_error();
      return fail(Errc::internal, "OpenSSL could not start the DKIM signature");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, input,
                       to_sign.size()) != 1) {
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
