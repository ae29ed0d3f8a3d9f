#include "util/http_form.hpp"

#include "util/ascii.hpp"

namespace outreach::detail {

namespace {

// Splits `text` at each `separator` and hands `field(name, value)` the decoded parts; false
// when one does not decode.
template <class OnField>
bool read_pairs(std::string_view text, char separator, bool plus_is_space, OnField&& field) {
  while (!text.empty()) {
    const std::size_t end = text.find(separator);
    const std::string_view pair = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (trim(pair).empty()) continue;
    const std::size_t equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals), plus_is_space);
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1),
                                plus_is_space);
    if (!name || !value) return false;
    field(std::move(*name), std::move(*value));
  }
  return true;
}

// The value of `parameter` in a header value such as `multipart/form-data; boundary="x"`.
std::optional<std::string_view> header_parameter(std::string_view value, std::string_view parameter) {
  std::size_t at = value.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = value.substr(at + 1);
    const std::size_t next = rest.find(';');
    std::string_view item = trim(rest.substr(0, next));
    at = next == std::string_view::npos ? next : at + 1 + next;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || !iequals_ascii(trim(item.substr(0, equals)), parameter)) continue;
    std::string_view found = trim(item.substr(equals + 1));
    if (found.size() >= 2 && found.front() == '"' && found.back() == '"') found = found.substr(1, found.size() - 2);
    return found;
  }
  return std::nullopt;
}

}  // namespace

const std::string* form_value(const FormFields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_digit_value(text[i + 1]);
      const int low = hex_digit_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      const char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '\0') {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<RequestTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  const std::size_t question = target.find('?');
  RequestTarget out;
  auto path = percent_decode(target.substr(0, question), false);
  if (!path) return std::nullopt;
  out.path = std::move(*path);
  if (question != std::string_view::npos) {
    const bool read = read_pairs(target.substr(question + 1), '&', true, [&](std::string name, std::string value) {
      out.query.emplace_back(std::move(name), std::move(value));
    });
    if (!read) return std::nullopt;
  }
  return out;
}

std::optional<FormFields> parse_urlencoded(std::string_view body) {
  FormFields fields;
  const bool read = read_pairs(body, '&', true, [&](std::string name, std::string value) {
    fields.emplace_back(std::string(trim(name)), std::string(trim(value)));
  });
  if (!read) return std::nullopt;
  return fields;
}

std::optional<FormFields> parse_multipart(std::string_view content_type, std::string_view body) {
  const auto boundary = header_parameter(content_type, "boundary");
  // RFC 2046: 1 to 70 characters.
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  const std::string delimiter = "--" + std::string(*boundary);
  FormFields fields;
  std::size_t at = body.find(delimiter);
  if (at == std::string_view::npos) return std::nullopt;
  for (;;) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") return fields;  // the closing delimiter
    // The part: its headers up to a blank line, then its content up to the next delimiter,
    // which a line break precedes (CRLF, or a bare LF from lenient writers).
    const std::size_t next = body.find(delimiter, at);
    if (next == std::string_view::npos) return std::nullopt;
    std::string_view part = body.substr(at, next - at);
    if (part.starts_with("\r\n")) part.remove_prefix(2);
    else if (part.starts_with("\n")) part.remove_prefix(1);
    if (part.ends_with("\r\n")) part.remove_suffix(2);
    else if (part.ends_with("\n")) part.remove_suffix(1);
    std::size_t blank = part.find("\r\n\r\n");
    std::size_t skip = 4;
    if (blank == std::string_view::npos) {
      blank = part.find("\n\n");
      skip = 2;
    }
    if (blank == std::string_view::npos) return std::nullopt;
    std::optional<std::string> name;
    std::string_view headers = part.substr(0, blank);
    while (!headers.empty()) {
      const std::size_t end = headers.find('\n');
      const std::string_view line = trim(headers.substr(0, end));
      headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 1);
      if (starts_with_ascii_nocase(line, "content-disposition:")) {
        if (const auto found = header_parameter(line, "name")) name = std::string(*found);
      }
    }
    if (!name) return std::nullopt;
    fields.emplace_back(std::string(trim(*name)), std::string(trim(part.substr(blank + skip))));
    at = next;
  }
}

bool is_one_click_post(std::string_view content_type, std::string_view body) {
  const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  std::optional<FormFields> fields;
  if (iequals_ascii(type, "multipart/form-data")) {
    fields = parse_multipart(content_type, body);
  } else if (type.empty() || iequals_ascii(type, "application/x-www-form-urlencoded") || iequals_ascii(type, "text/plain")) {
    fields = parse_urlencoded(body);
  }
  if (!fields) return false;
  const std::string* value = form_value(*fields, "List-Unsubscribe");
  return value && iequals_ascii(*value, "One-Click");
}

}  // namespace outreach::detail
