#include "util/json_reader.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace outreach::detail {

namespace {

constexpr std::size_t max_text_length = 1000;

}  // namespace

namespace json = boost::json;

Error ErrorList::combined() const {
  Error first = errors_.front();
  for (std::size_t i = 1; i < errors_.size(); ++i) first.add_other(errors_[i]);
  return first;
}

void ErrorList::add(Error error) {
  const std::string& path = error.where().json_path;
  const bool place_taken = !path.empty() && std::any_of(errors_.begin(), errors_.end(), [&](const Error& earlier) {
    return earlier.where().json_path == path && earlier.where().file == error.where().file;
  });
  if (!place_taken) errors_.push_back(std::move(error));
}

std::string path_key(std::string_view base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out(base);
  out += '.';
  out += key;
  return out;
}

std::string path_index(std::string_view base, std::size_t index) {
  return std::string(base) + "[" + std::to_string(index) + "]";
}

expected<std::string> read_file(const std::filesystem::path& path) {
  std::error_code kind_error;
  if (std::filesystem::is_directory(path, kind_error)) {
    return fail(Errc::io_error, "is a folder, not a file", Location::in(path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    return fail(exists ? Errc::io_error : Errc::not_found,
                exists ? "cannot read the file" : "no such file", Location::in(path.string()));
  }
  // One read of the known size (lead lists may be hundreds of megabytes); a file whose size
  // cannot be known first (a pipe), or that changes while it is read, is read as a stream.
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size < static_cast<std::uintmax_t>(std::numeric_limits<std::streamsize>::max() / 2)) {
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) == size && in.peek() == std::ifstream::traits_type::eof()) return text;
    in.clear();
    in.seekg(0);
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return fail(Errc::io_error, "error while reading the file", Location::in(path.string()));
  return std::move(content).str();
}

namespace {

// 1-based line and column of a byte offset, for syntax errors people can find.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

// Edit distance, for "did you mean" suggestions on misspelt keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

expected<json::value> parse_json(std::string_view text, std::string_view source_name) {
  json::parse_options options;
  options.max_depth = 64;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    const auto [line, column] = line_and_column(text, consumed);
    Location where;
    where.file = std::string(source_name);
    where.line = line;
    return fail(Errc::parse_error,
                "invalid JSON at column " + std::to_string(column) + ": " + ec.message(), std::move(where));
  }
  return parser.release();
}

expected<json::value> load_json_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return fail(text.error());
  return parse_json(*text, path.string());
}

std::string_view describe_type(const json::value& value) noexcept {
  switch (value.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64: return "an integer";
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

ObjectReader::ObjectReader(const json::value& value, std::string path, ErrorList& errors)
    : path_(std::move(path)), errors_(errors) {
  object_ = value.if_object();
  if (!object_) {
    errors_.add(Error(Errc::invalid_value, "expected an object, found " + std::string(describe_type(value)),
                      Location::at(path_)));
  }
}

const json::value* ObjectReader::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (!object_) return nullptr;
  const json::value* value = object_->if_contains(key);
  return (value && !value->is_null()) ? value : nullptr;
}

bool ObjectReader::has(std::string_view key) { return find(key) != nullptr; }

std::optional<std::string> ObjectReader::string(std::string_view key, bool required) {
  const json::value* value = find(key);
  if (!value) {
    if (required && object_) errors_.add(Error(Errc::invalid_value, "required", Location::at(path(key))));
    return std::nullopt;
  }
  if (!value->is_string()) {
    errors_.add(Error(Errc::invalid_value, "expected a string, found " + std::string(describe_type(*value)),
                      Location::at(path(key))));
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                  bool required) {
  const json::value* value = find(key);
  if (!value) {
    if (required && object_) errors_.add(Error(Errc::invalid_value, "required", Location::at(path(key))));
    return std::nullopt;
  }
  std::optional<std::int64_t> number;
  if (value->is_int64()) number = value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    number = static_cast<std::int64_t>(value->get_uint64());
  }
  if (value->is_double()) {
    // Range first: converting a double outside int64's range is undefined behaviour.
    const double d = value->get_double();
    if (d > -9e15 && d < 9e15 && d == static_cast<double>(static_cast<std::int64_t>(d))) {
      number = static_cast<std::int64_t>(d);
    }
  }
  if (!number) {
    const bool too_large = value->is_uint64() || (value->is_double() && (value->get_double() >= 9e15 ||
                                                                         value->get_double() <= -9e15));
    errors_.add(Error(Errc::invalid_value,
                      too_large ? "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", found " +
                                      json::serialize(*value)
                                : "expected an integer, found " + std::string(describe_type(*value)),
                      Location::at(path(key))));
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    errors_.add(Error(Errc::invalid_value,
                      "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", found " +
                          std::to_string(*number),
                      Location::at(path(key))));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> ObjectReader::boolean(std::string_view key, bool required) {
  const json::value* value = find(key);
  if (!value) {
    if (required && object_) errors_.add(Error(Errc::invalid_value, "required", Location::at(path(key))));
    return std::nullopt;
  }
  if (!value->is_bool()) {
    errors_.add(Error(Errc::invalid_value, "expected true or false, found " + std::string(describe_type(*value)),
                      Location::at(path(key))));
    return std::nullopt;
  }
  return value->get_bool();
}

void ObjectReader::reject_unknown_keys() {
  if (!object_) return;
  for (const auto& member : *object_) {
    const std::string_view key = member.key();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string message = "unknown key \"" + std::string(key) + "\"";
    const std::string* closest = nullptr;
    std::size_t best = 3;  // suggest only near misses: at most two edits
    for (const std::string& candidate : known_) {
      const std::size_t distance = edit_distance(key, candidate);
      if (distance < best) {
        best = distance;
        closest = &candidate;
      }
    }
    if (closest) message += " (did you mean \"" + *closest + "\"?)";
    errors_.add(Error(Errc::unknown_key, std::move(message), Location::at(path(key))));
  }
}

std::string format_number(double number) {
  if (!std::isfinite(number)) return "null";
  char buffer[64];
  const std::to_chars_result written = std::to_chars(buffer, buffer + sizeof buffer, number);
  return std::string(buffer, written.ptr);
}

namespace {

void write_pretty(std::string& out, const json::value& value, int depth) {
  const auto indent = [&](int level) { out.append(static_cast<std::size_t>(level) * 2, ' '); };
  if (const json::object* object = value.if_object()) {
    if (object->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& member : *object) {
      indent(depth + 1);
      out += json::serialize(json::string_view(member.key()));
      out += ": ";
      write_pretty(out, member.value(), depth + 1);
      out += (++i < object->size()) ? ",\n" : "\n";
    }
    indent(depth);
    out += '}';
  } else if (const json::array* array = value.if_array()) {
    if (array->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < array->size(); ++i) {
      indent(depth + 1);
      write_pretty(out, (*array)[i], depth + 1);
      out += (i + 1 < array->size()) ? ",\n" : "\n";
    }
    indent(depth);
    out += ']';
  } else if (value.is_double()) {
    out += format_number(value.get_double());
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

std::string to_pretty_json(const json::value& value) {
  std::string out;
  write_pretty(out, value, 0);
  out += '\n';
  return out;
}

Error problem(std::string message, const std::string& path) {
  return Error(Errc::invalid_value, std::move(message), Location::at(path));
}

std::optional<std::string> control_character_problem(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c0_or_del = c < 0x20 || c == 0x7F;
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c0_or_del || c1) return std::string("must not contain control characters (such as line breaks)");
  }
  return std::nullopt;
}

std::optional<Error> text_problem(std::string_view text, const std::string& path) {
  if (text.empty()) return problem("must not be empty", path);
  if (text.size() > max_text_length) {
    return Error(Errc::limit_exceeded, "longer than " + std::to_string(max_text_length) + " bytes", Location::at(path));
  }
  if (auto bad = control_character_problem(text)) return problem(std::move(*bad), path);
  return std::nullopt;
}

std::optional<std::string> text_member(ObjectReader& reader, std::string_view key, bool required) {
  auto text = reader.string(key, required);
  if (!text) return std::nullopt;
  if (auto bad = text_problem(*text, reader.path(key))) {
    reader.errors().add(std::move(*bad));
    return std::nullopt;
  }
  return text;
}

}  // namespace outreach::detail
