#include "outreach/lead_list.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <utility>

#include "util/ascii.hpp"
#include "util/json_reader.hpp"
#include "campaign/lead_json.hpp"
#include "util/utf8_check.hpp"

namespace outreach {

namespace {

using detail::LeadField;
using detail::LeadListBuilder;

constexpr std::size_t none = static_cast<std::size_t>(-1);

// One CSV record: its fields, and what was wrong with its quoting.
struct CsvRecord {
  std::size_t line = 0;                  // the line the record starts on
  std::string_view text;                 // the whole record as written
  std::vector<std::string_view> fields;  // valid until the next read
  std::size_t stray_text_field = none;   // the first field with text after its closing quote
  std::size_t quote_line = 0;            // for an unterminated quote: the line it opens on
};

enum class CsvStatus : std::uint8_t { record, end, unterminated_quote };

// Splits RFC 4180 text into records in one pass. Unquoted fields and quoted fields without
// doubled quotes are views of the input; only fields with doubled quotes are copied (into one
// buffer reused for every record). A line ends with LF or CRLF (or a CR at the very end); a lone
// CR elsewhere is data. Empty lines between records are skipped.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) noexcept : text_(text) {}

  CsvStatus next(CsvRecord& record) {
    while (pos_ < text_.size() && at_line_end(pos_)) skip_line_end();
    if (pos_ >= text_.size()) return CsvStatus::end;
    record.line = line_;
    record.stray_text_field = none;
    const std::size_t record_start = pos_;
    spans_.clear();
    unescaped_.clear();
    while (true) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        if (!read_quoted()) {
          record.quote_line = quote_line_;
          return CsvStatus::unterminated_quote;
        }
        if (pos_ < text_.size() && text_[pos_] != ',' && !at_line_end(pos_)) {
          // `"abc"def`: not RFC 4180. The row is rejected; the rest of the field is skipped
          // as if unquoted so that the next field and row are found where a reader expects.
          if (record.stray_text_field == none) record.stray_text_field = spans_.size() - 1;
          pos_ = scan_unquoted(pos_);
        }
      } else {
        const std::size_t start = pos_;
        pos_ = scan_unquoted(pos_);
        spans_.push_back({start, pos_ - start, false});
      }
      if (pos_ >= text_.size()) break;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      skip_line_end();
      break;
    }
    record.text = text_.substr(record_start, pos_ - record_start);
    record.fields.clear();
    for (const Span& span : spans_) {
      record.fields.push_back(span.unescaped ? std::string_view(unescaped_).substr(span.offset, span.size)
                                             : text_.substr(span.offset, span.size));
    }
    return CsvStatus::record;
  }

 private:
  struct Span {
    std::size_t offset;  // in the text, or in unescaped_
    std::size_t size;
    bool unescaped;
  };

  // The bytes that may end an unquoted field.
  static constexpr std::array<bool, 256> stops = [] {
    std::array<bool, 256> table{};
    table[static_cast<unsigned char>(',')] = true;
    table[static_cast<unsigned char>('\n')] = true;
    table[static_cast<unsigned char>('\r')] = true;
    return table;
  }();

  [[nodiscard]] bool at_line_end(std::size_t pos) const noexcept {
    const char c = text_[pos];
    return c == '\n' || (c == '\r' && (pos + 1 == text_.size() || text_[pos + 1] == '\n'));
  }

  void skip_line_end() noexcept {
    if (text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
  }

  [[nodiscard]] std::size_t scan_unquoted(std::size_t pos) const noexcept {
    while (pos < text_.size()) {
      if (!stops[static_cast<unsigned char>(text_[pos])]) {
        ++pos;
      } else if (text_[pos] == '\r' && !at_line_end(pos)) {
        ++pos;
      } else {
        break;
      }
    }
    return pos;
  }

  void count_lines(std::size_t from, std::size_t to) noexcept {
    line_ += static_cast<std::size_t>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(from),
                                                 text_.begin() + static_cast<std::ptrdiff_t>(to), '\n'));
  }

  // Reads the quoted field at pos_ (which is at its opening quote); false when it never closes.
  bool read_quoted() {
    quote_line_ = line_;
    const std::size_t start = pos_ + 1;
    std::size_t from = start;
    std::size_t unescaped_start = none;
    while (true) {
      const void* hit = std::memchr(text_.data() + from, '"', text_.size() - from);
      if (hit == nullptr) {
        pos_ = text_.size();
        return false;
      }
      const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - text_.data());
      count_lines(from, quote);
      if (quote + 1 < text_.size() && text_[quote + 1] == '"') {  // a doubled quote stands for one
        if (unescaped_start == none) unescaped_start = unescaped_.size();
        unescaped_.append(text_.substr(from, quote + 1 - from));
        from = quote + 2;
        continue;
      }
      if (unescaped_start == none) {
        spans_.push_back({start, quote - start, false});
      } else {
        unescaped_.append(text_.substr(from, quote - from));
        spans_.push_back({unescaped_start, unescaped_.size() - unescaped_start, true});
      }
      pos_ = quote + 1;
      return true;
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t quote_line_ = 0;
  std::string unescaped_;
  std::vector<Span> spans_;
};

// A column of the header: the field it fills, its name, and how messages name it.
struct Column {
  LeadField field;
  std::string name;   // canonical for a known field, as written (trimmed) for a custom one
  std::string label;  // `column "name"`
};

Location line_location(std::string_view source_name, std::size_t line) {
  Location where = Location::in(std::string(source_name));
  where.line = line;
  return where;
}

Error unterminated_quote(const CsvRecord& record, std::string_view source_name) {
  std::string message = "unterminated quote: a quoted field";
  if (record.quote_line != record.line) message += " (opening on line " + std::to_string(record.quote_line) + ")";
  message += " has no closing quote, so the rest of the list cannot be read";
  return Error(Errc::parse_error, std::move(message), line_location(source_name, record.line));
}

// The columns of the header row; an error when the list cannot be read with them.
expected<std::vector<Column>> read_header(const CsvRecord& record, std::string_view source_name) {
  const auto error = [&](Errc code, std::string message) {
    return fail(code, std::move(message), line_location(source_name, record.line));
  };
  if (record.fields.size() > detail::max_lead_fields) {
    return error(Errc::limit_exceeded, "the header has " + std::to_string(record.fields.size()) +
                                           " columns; at most " + std::to_string(detail::max_lead_fields) +
                                           " are accepted");
  }
  if (record.stray_text_field != none) {
    return error(Errc::parse_error, "header column " + std::to_string(record.stray_text_field + 1) +
                                        " has text after its closing quote");
  }
  std::vector<Column> columns;
  columns.reserve(record.fields.size());
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    const std::string number = "header column " + std::to_string(i + 1);
    const std::string_view name = detail::trim(record.fields[i]);
    if (auto valid = detail::check_lead_value(number, name); !valid) {
      Location where = line_location(source_name, record.line);
      where.offset = valid.error().where().offset;
      return fail(valid.error().code(), valid.error().message(), std::move(where));
    }
    if (name.empty()) return error(Errc::invalid_value, number + " has no name");
    const LeadField field = detail::lead_field_named(name);
    Column column{field, field == LeadField::custom ? std::string(name) : std::string(detail::lead_field_name(field)),
                  {}};
    for (std::size_t j = 0; j < columns.size(); ++j) {
      if (columns[j].name == column.name) {
        return error(Errc::invalid_value, number + " " + detail::quoted_excerpt(name) + " repeats column " +
                                              std::to_string(j + 1) + " " + detail::quoted_excerpt(columns[j].name));
      }
    }
    column.label = "column " + detail::quoted_excerpt(column.name);
    columns.push_back(std::move(column));
  }
  return columns;
}

// Rows of empty fields only (a blank line, or the ",,,," rows spreadsheets export) are not rows.
bool all_empty(const std::vector<std::string_view>& fields) noexcept {
  return std::all_of(fields.begin(), fields.end(), [](std::string_view field) { return field.empty(); });
}

void read_row(const CsvRecord& record, const std::vector<Column>& columns, std::size_t email_column,
              std::size_t custom_count, LeadListBuilder& builder) {
  const std::vector<std::string_view>& fields = record.fields;
  if (all_empty(fields)) return;
  if (fields.size() != columns.size()) {
    builder.reject(Errc::parse_error,
                   "expected " + std::to_string(columns.size()) + " fields, found " + std::to_string(fields.size()),
                   record.line);
    return;
  }
  if (record.stray_text_field != none) {
    builder.reject(Errc::parse_error, columns[record.stray_text_field].label + " has text after its closing quote",
                   record.line);
    return;
  }
  // Most lists are ASCII: one look at the whole record then spares a UTF-8 check per field.
  const bool ascii = detail::ascii_prefix_length(record.text) == record.text.size();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (ascii && fields[i].size() <= detail::max_lead_value_size) continue;
    if (auto valid = detail::check_lead_value(columns[i].label, fields[i]); !valid) {
      Location where = builder.location(record.line);
      where.offset = valid.error().where().offset;
      builder.reject(Error(valid.error().code(), valid.error().message(), std::move(where)));
      return;
    }
  }
  auto email = detail::lead_address(fields[email_column]);
  if (!email) {
    builder.reject(email.error().code(), email.error().message(), record.line);
    return;
  }
  const std::uint64_t hash = builder.prepare(*email);
  Lead lead;
  lead.email = std::move(*email);
  if (custom_count != 0) lead.custom.reserve(custom_count);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    switch (columns[i].field) {
      case LeadField::email: break;
      case LeadField::custom: lead.custom.emplace_back(columns[i].name, fields[i]); break;
      default: detail::lead_member(lead, columns[i].field).assign(fields[i]); break;
    }
  }
  builder.add(std::move(lead), record.line, hash);
}

// A guess at the number of rows, to reserve once. Blank lines and line breaks inside quotes
// would make a line count too high for hostile input, so it is capped by the bytes a row takes.
std::size_t estimated_rows(std::string_view text) noexcept {
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  return std::min(lines, text.size() / 16 + 1);
}

}  // namespace

expected<LeadList> parse_lead_csv(std::string_view text, std::string_view source_name) {
  constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
  if (text.starts_with(byte_order_mark)) text.remove_prefix(byte_order_mark.size());

  CsvReader reader(text);
  CsvRecord record;
  switch (reader.next(record)) {
    case CsvStatus::end:
      return fail(Errc::parse_error, "the lead list is empty: no header row", Location::in(std::string(source_name)));
    case CsvStatus::unterminated_quote: return fail(unterminated_quote(record, source_name));
    case CsvStatus::record: break;
  }
  auto columns = read_header(record, source_name);
  if (!columns) return fail(columns.error());
  const auto email_column = static_cast<std::size_t>(
      std::find_if(columns->begin(), columns->end(), [](const Column& c) { return c.field == LeadField::email; }) -
      columns->begin());
  if (email_column == columns->size()) {
    return fail(Errc::invalid_value, "the header has no \"email\" column", line_location(source_name, record.line));
  }
  const auto custom_count = static_cast<std::size_t>(
      std::count_if(columns->begin(), columns->end(), [](const Column& c) { return c.field == LeadField::custom; }));

  LeadListBuilder builder(LeadListBuilder::Places::lines, source_name, {}, estimated_rows(text));
  while (true) {
    const CsvStatus status = reader.next(record);
    if (status == CsvStatus::end) break;
    if (status == CsvStatus::unterminated_quote) return fail(unterminated_quote(record, source_name));
    read_row(record, *columns, email_column, custom_count, builder);
  }
  return builder.finish();
}

expected<LeadList> load_lead_csv(const std::filesystem::path& path) {
  auto text = detail::read_file(path);
  if (!text) return fail(text.error());
  return parse_lead_csv(*text, path.string());
}

expected<LeadList> parse_lead_json(std::string_view json_text, std::string_view source_name) {
  auto value = detail::parse_json(json_text, source_name);
  if (!value) return fail(value.error());
  return detail::lead_list_from_json(*value, "", source_name);
}

std::string leads_to_json(const std::vector<Lead>& leads) {
  boost::json::array list;
  list.reserve(leads.size());
  for (const Lead& lead : leads) list.emplace_back(detail::lead_to_json(lead));
  return boost::json::serialize(list);
}

expected<LeadList> load_lead_list(const std::filesystem::path& path) {
  if (!detail::iequals_ascii(path.extension().string(), ".json")) return load_lead_csv(path);
  auto text = detail::read_file(path);
  if (!text) return fail(text.error());
  auto list = parse_lead_json(*text, path.string());
  if (!list) return fail(list.error().in_file(path.string()));
  return list;
}

}  // namespace outreach
