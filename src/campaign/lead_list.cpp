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
#include "campaign/lead_columns.hpp"
#include "campaign/lead_json.hpp"
#include "campaign/lead_text.hpp"
#include "mail/charset.hpp"
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

// Splits RFC 4180 text into records in one pass, its fields separated by `delimiter`. Unquoted
// fields and quoted fields without doubled quotes are views of the input; only fields with
// doubled quotes are copied (into one buffer reused for every record). A line ends with LF or
// CRLF (or a CR at the very end); a lone CR elsewhere is data. Empty lines between records are
// skipped. `first_line` numbers the text's first line (a skipped `sep=` line comes before it).
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter, std::size_t first_line) noexcept
      : text_(text), delimiter_(delimiter), line_(first_line) {
    stops_[static_cast<unsigned char>(delimiter)] = true;
    stops_[static_cast<unsigned char>('\n')] = true;
    stops_[static_cast<unsigned char>('\r')] = true;
  }

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
        if (pos_ < text_.size() && text_[pos_] != delimiter_ && !at_line_end(pos_)) {
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
      if (text_[pos_] == delimiter_) {
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
      if (!stops_[static_cast<unsigned char>(text_[pos])]) {
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
  char delimiter_;
  std::array<bool, 256> stops_{};  // the bytes that may end an unquoted field
  std::size_t pos_ = 0;
  std::size_t line_;
  std::size_t quote_line_ = 0;
  std::string unescaped_;
  std::vector<Span> spans_;
};

// A column of the header: the field it fills, its name, and how messages name it.
struct Column {
  LeadField field = LeadField::custom;
  std::string header;    // as written, trimmed
  std::string name;      // canonical for a known field, the header for a custom one
  std::string label;     // `column "name"`
  bool ignored = false;  // named as a field the format's columns gave to another column
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

// The delimiters a lead list may use, in the order ties are settled.
constexpr std::array<char, 4> delimiters{',', ';', '\t', '|'};

// Where the records start and how they are separated: an Excel `sep=X` first line names the
// delimiter (and is not a record); else the header row's most frequent delimiter outside quotes.
struct Dialect {
  char delimiter = ',';
  std::size_t skipped = 0;     // bytes of a `sep=` line
  std::size_t first_line = 1;  // the number of the line the records start on
};

Dialect find_dialect(std::string_view text, char given) {
  Dialect dialect;
  if (text.starts_with("sep=") && text.size() >= 5 &&
      std::find(delimiters.begin(), delimiters.end(), text[4]) != delimiters.end()) {
    const std::size_t end = text.find('\n');
    const std::string_view rest = text.substr(5, end == std::string_view::npos ? std::string_view::npos : end - 5);
    if (rest.empty() || rest == "\r") {
      dialect.delimiter = text[4];
      dialect.skipped = end == std::string_view::npos ? text.size() : end + 1;
      dialect.first_line = 2;
    }
  }
  if (given != 0) {
    dialect.delimiter = given;
    return dialect;
  }
  if (dialect.skipped != 0) return dialect;
  // Each delimiter's count outside quotes in the header and in up to `sampled` records after it.
  constexpr std::size_t sampled = 5;
  std::array<std::size_t, delimiters.size()> in_header{};
  std::array<bool, delimiters.size()> steady{true, true, true, true};
  std::array<std::size_t, delimiters.size()> in_record{};
  std::size_t records = 0;
  bool quoted = false;
  bool blank = true;  // the record so far has nothing but a CR
  for (std::size_t pos = 0; pos <= text.size() && records <= sampled; ++pos) {
    const char c = pos < text.size() ? text[pos] : '\n';
    if (c == '"') quoted = !quoted;  // a doubled quote toggles twice
    if (quoted) continue;
    if (c == '\n') {
      if (blank) continue;  // blank lines are not records
      blank = true;
      for (std::size_t i = 0; i < delimiters.size(); ++i) {
        if (records == 0) {
          in_header[i] = in_record[i];
        } else if (in_record[i] != in_header[i]) {
          steady[i] = false;
        }
      }
      in_record.fill(0);
      ++records;
      continue;
    }
    if (c != '\r') blank = false;
    for (std::size_t i = 0; i < delimiters.size(); ++i) in_record[i] += c == delimiters[i] ? 1 : 0;
  }
  // The delimiter splits every sampled record as it splits the header; of those, the one the
  // header has most of (the first of equals), else the header's commonest.
  std::size_t best = delimiters.size();
  for (std::size_t i = 0; i < delimiters.size(); ++i) {
    if (in_header[i] != 0 && steady[i] && (best == delimiters.size() || in_header[i] > in_header[best])) best = i;
  }
  if (best == delimiters.size()) {
    const auto most = std::max_element(in_header.begin(), in_header.end());
    if (*most != 0) best = static_cast<std::size_t>(most - in_header.begin());
  }
  if (best != delimiters.size()) dialect.delimiter = delimiters[best];
  return dialect;
}

// The columns of the header row; an error when the list cannot be read with them. Fields are
// filled by `format.columns` first, then by headers that are a field's own name, then by
// synonyms, each by the first column that names it; the rest are custom.
expected<std::vector<Column>> read_header(const CsvRecord& record, std::string_view source_name,
                                          const LeadListFormat& format) {
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
  std::vector<Column> columns(record.fields.size());
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    const std::string number = "header column " + std::to_string(i + 1);
    const std::string_view header = detail::trim(record.fields[i]);
    if (auto valid = detail::check_lead_value(number, header); !valid) {
      Location where = line_location(source_name, record.line);
      where.offset = valid.error().where().offset;
      return fail(valid.error().code(), valid.error().message(), std::move(where));
    }
    if (header.empty()) return error(Errc::invalid_value, number + " has no name");
    columns[i].header = std::string(header);
  }

  std::array<bool, static_cast<std::size_t>(LeadField::custom)> filled{};
  const auto fill = [&](std::size_t column, LeadField field) {
    columns[column].field = field;
    filled[static_cast<std::size_t>(field)] = true;
  };
  for (const auto& mapping : format.columns) {
    // Not a structured binding: clang 14 cannot capture one in the lambdas below.
    const std::string& field_name = mapping.first;
    const std::string& header = mapping.second;
    const LeadField field = detail::lead_field_named(field_name);
    const std::string where = "columns." + field_name;
    if (field == LeadField::custom) {
      return fail(Errc::invalid_value, where + ": not a lead field (email, first_name, last_name, company, title, timezone)",
                  Location::in(std::string(source_name)));
    }
    auto named = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.header == header; });
    if (named == columns.end()) {
      named = std::find_if(columns.begin(), columns.end(),
                           [&](const Column& c) { return detail::iequals_ascii(c.header, header); });
    }
    if (named == columns.end() || named->field != LeadField::custom || filled[static_cast<std::size_t>(field)]) {
      return error(Errc::invalid_value,
                   where + ": " + (named == columns.end() ? "the header has no column " + detail::quoted_excerpt(header)
                                                          : "column " + detail::quoted_excerpt(header) +
                                                                " or the field is named twice"));
    }
    fill(static_cast<std::size_t>(named - columns.begin()), field);
  }
  const std::array<bool, static_cast<std::size_t>(LeadField::custom)> mapped = filled;
  std::vector<bool> by_name(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const LeadField field = detail::lead_field_named(columns[i].header);
    // A field's own name given twice is a mistake to show; one whose field the format gave to
    // another column is not read.
    if (field == LeadField::custom || columns[i].field != LeadField::custom) continue;
    if (mapped[static_cast<std::size_t>(field)]) {
      // "Email" beside the "Work Email" the format names: not a custom field called email.
      columns[i].ignored = true;
      continue;
    }
    by_name[i] = true;
    if (!filled[static_cast<std::size_t>(field)]) fill(i, field);
  }
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].field != LeadField::custom || by_name[i]) continue;
    const LeadField field = detail::lead_field_by_synonym(columns[i].header);
    if (field != LeadField::custom && !filled[static_cast<std::size_t>(field)]) fill(i, field);
  }
  for (std::size_t i = 0; i < columns.size(); ++i) {
    Column& column = columns[i];
    // A column named as a field is called by the field's name, so that one given twice repeats it.
    const LeadField named_as = by_name[i] ? detail::lead_field_named(column.header) : column.field;
    column.name = named_as == LeadField::custom ? column.header : std::string(detail::lead_field_name(named_as));
    column.label = "column " + detail::quoted_excerpt(column.name);
    if (column.ignored) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (columns[j].ignored) continue;
      if (columns[j].name == column.name) {
        return error(Errc::invalid_value, "header column " + std::to_string(i + 1) + " " +
                                              detail::quoted_excerpt(column.header) + " repeats column " +
                                              std::to_string(j + 1) + " " + detail::quoted_excerpt(columns[j].header));
      }
    }
  }
  return columns;
}

// Rows of empty fields only (a blank line, or the ",,,," rows spreadsheets export) are not rows.
bool all_empty(const std::vector<std::string_view>& fields) noexcept {
  return std::all_of(fields.begin(), fields.end(), [](std::string_view field) { return field.empty(); });
}

void read_row(const CsvRecord& record, const std::vector<Column>& columns, std::size_t email_column,
              std::size_t custom_count, const detail::LeadText& text, LeadListBuilder& builder) {
  const std::vector<std::string_view>& fields = record.fields;
  if (all_empty(fields)) return;
  if (text.converted() && record.text.find(detail::replacement_character) != std::string_view::npos) {
    builder.reject(Errc::invalid_utf8, "bytes that are no character in " + text.encoding() + ": the row cannot be read",
                   record.line);
    return;
  }
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
      case LeadField::custom:
        if (!columns[i].ignored) lead.custom.emplace_back(columns[i].name, fields[i]);
        break;
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

expected<LeadList> parse_lead_csv(std::string_view bytes, std::string_view source_name, const LeadListFormat& format) {
  if (format.delimiter != 0 && std::find(delimiters.begin(), delimiters.end(), format.delimiter) == delimiters.end()) {
    return fail(Errc::invalid_value, "delimiter: expected \",\", \";\", \"|\" or a tab",
                Location::in(std::string(source_name)));
  }
  auto decoded = detail::LeadText::decode(bytes, format.encoding, source_name);
  if (!decoded) return fail(decoded.error());
  const std::string_view whole = decoded->text();
  const Dialect dialect = find_dialect(whole, format.delimiter);
  const std::string_view text = whole.substr(dialect.skipped);

  CsvReader reader(text, dialect.delimiter, dialect.first_line);
  CsvRecord record;
  switch (reader.next(record)) {
    case CsvStatus::end:
      return fail(Errc::parse_error, "the lead list is empty: no header row", Location::in(std::string(source_name)));
    case CsvStatus::unterminated_quote: return fail(unterminated_quote(record, source_name));
    case CsvStatus::record: break;
  }
  auto columns = read_header(record, source_name, format);
  if (!columns) return fail(columns.error());
  const auto email_column = static_cast<std::size_t>(
      std::find_if(columns->begin(), columns->end(), [](const Column& c) { return c.field == LeadField::email; }) -
      columns->begin());
  if (email_column == columns->size()) {
    return fail(Errc::invalid_value,
                "the header has no \"email\" column (nor one named as \"Email Address\", \"E-mail\" or "
                "\"Work Email\" are); name the column that holds the addresses in the list's \"columns\"",
                line_location(source_name, record.line));
  }
  const auto custom_count = static_cast<std::size_t>(std::count_if(
      columns->begin(), columns->end(), [](const Column& c) { return c.field == LeadField::custom && !c.ignored; }));

  LeadListBuilder builder(LeadListBuilder::Places::lines, source_name, {}, estimated_rows(text));
  while (true) {
    const CsvStatus status = reader.next(record);
    if (status == CsvStatus::end) break;
    if (status == CsvStatus::unterminated_quote) return fail(unterminated_quote(record, source_name));
    read_row(record, *columns, email_column, custom_count, *decoded, builder);
  }
  auto list = builder.finish();
  if (!list) return list;
  list->layout.delimiter = dialect.delimiter;
  list->layout.encoding = decoded->encoding();
  if (decoded->note()) list->layout.notes.push_back(*decoded->note());
  list->layout.columns.reserve(columns->size());
  for (const Column& column : *columns) {
    list->layout.columns.push_back(
        {column.header,
         column.field == LeadField::custom ? std::string() : std::string(detail::lead_field_name(column.field)),
         column.ignored});
  }
  return list;
}

expected<LeadList> load_lead_csv(const std::filesystem::path& path, const LeadListFormat& format) {
  auto text = detail::read_file(path);
  if (!text) return fail(text.error());
  return parse_lead_csv(*text, path.string(), format);
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

expected<LeadList> load_lead_list(const std::filesystem::path& path, const LeadListFormat& format) {
  if (!detail::iequals_ascii(path.extension().string(), ".json")) return load_lead_csv(path, format);
  if (format.delimiter != 0 || !format.encoding.empty() || !format.columns.empty()) {
    return fail(Errc::invalid_value, "a JSON lead list is UTF-8 and names its fields: no delimiter, encoding or columns",
                Location::in(path.string()));
  }
  auto text = detail::read_file(path);
  if (!text) return fail(text.error());
  auto list = parse_lead_json(*text, path.string());
  if (!list) return fail(list.error().in_file(path.string()));
  return list;
}

}  // namespace outreach
