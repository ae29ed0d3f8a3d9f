#include "outreach/suppression_list.hpp"

#include "util/ascii.hpp"
#include "util/json_reader.hpp"
#include "campaign/lead_json.hpp"
#include "outreach/lead_list.hpp"

namespace outreach {

namespace {

constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

// A first line with a comma, or one `email` column alone, is a CSV header: no address has either
// form. A comment is not one, whatever it says.
bool is_csv_header(std::string_view line) {
  line = detail::trim(line);
  if (line.starts_with('#')) return false;
  if (line.find(',') != std::string_view::npos) return true;
  if (line.size() >= 2 && line.front() == '"' && line.back() == '"') line = line.substr(1, line.size() - 2);
  return detail::iequals_ascii(detail::trim(line), "email");
}

Error at_line(const Error& error, const std::filesystem::path& file, std::size_t line) {
  Location where = Location::in(file.string());
  where.line = line;
  return Error(error.code(), error.message(), std::move(where));
}

// One address a line; blank lines and lines starting with '#' are skipped.
void read_lines(std::string_view text, const std::filesystem::path& file, SuppressionFile& read) {
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = detail::trim(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    auto address = suppression_address(line);
    if (!address) {
      read.problems.push_back(at_line(address.error(), file, line_number));
      continue;
    }
    read.addresses.push_back(std::move(*address));
  }
}

// A CSV list read as a lead list: its rows' addresses; the rows it leaves out are the problems.
expected<void> read_csv(std::string_view text, const std::filesystem::path& file, SuppressionFile& read) {
  auto list = parse_lead_csv(text, file.string());
  if (!list) return fail(list.error());
  read.problems = std::move(list->problems);
  for (Lead& lead : list->leads) read.addresses.push_back(std::move(lead.email));
  return {};
}

}  // namespace

expected<std::string> suppression_address(std::string_view text) {
  auto address = detail::lead_address(text);
  if (!address) {
    const std::string quoted = detail::quoted_excerpt(detail::trim(text));
    return fail(address.error().code(), quoted + ": " + address.error().message());
  }
  return address;
}

expected<SuppressionFile> read_suppression_file(const std::filesystem::path& file) {
  auto text = detail::read_file(file);
  if (!text) return fail(text.error());
  std::string_view content = *text;
  if (content.starts_with(byte_order_mark)) content.remove_prefix(byte_order_mark.size());
  SuppressionFile read;
  if (is_csv_header(content.substr(0, content.find('\n')))) {
    if (auto done = read_csv(content, file, read); !done) return fail(done.error());
  } else {
    read_lines(content, file, read);
  }
  return read;
}

expected<SuppressionImport> import_suppressions(Store& store, const std::filesystem::path& file,
                                               std::string_view reason) {
  auto read = read_suppression_file(file);
  if (!read) return fail(read.error());
  SuppressionImport done{.suppressed = 0, .problems = std::move(read->problems)};
  if (auto began = store.begin(); !began) return fail(began.error());
  expected<void> written;
  for (const std::string& address : read->addresses) {
    written = store.suppress(address, reason);
    if (!written) break;
    ++done.suppressed;
  }
  // After a failed write the unit's commit rolls it back and gives the error again.
  auto committed = store.commit();
  if (!written) return fail(written.error());
  if (!committed) return fail(committed.error());
  return done;
}

}  // namespace outreach
