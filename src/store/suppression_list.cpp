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
expected<void> import_lines(Store& store, std::string_view text, const std::filesystem::path& file,
                            std::string_view reason, SuppressionImport& done) {
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
      done.problems.push_back(at_line(address.error(), file, line_number));
      continue;
    }
    if (auto kept = store.suppress(*address, reason); !kept) return kept;
    ++done.suppressed;
  }
  return {};
}

// A CSV list read as a lead list: its rows' addresses; the rows it leaves out are the problems.
expected<void> import_csv(Store& store, std::string_view text, const std::filesystem::path& file,
                          std::string_view reason, SuppressionImport& done) {
  auto list = parse_lead_csv(text, file.string());
  if (!list) return fail(list.error());
  done.problems = std::move(list->problems);
  for (const Lead& lead : list->leads) {
    if (auto kept = store.suppress(lead.email, reason); !kept) return kept;
    ++done.suppressed;
  }
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

expected<SuppressionImport> import_suppressions(Store& store, const std::filesystem::path& file,
                                               std::string_view reason) {
  auto text = detail::read_file(file);
  if (!text) return fail(text.error());
  std::string_view content = *text;
  if (content.starts_with(byte_order_mark)) content.remove_prefix(byte_order_mark.size());
  const bool csv = is_csv_header(content.substr(0, content.find('\n')));

  SuppressionImport done;
  if (auto began = store.begin(); !began) return fail(began.error());
  auto imported =
      csv ? import_csv(store, content, file, reason, done) : import_lines(store, content, file, reason, done);
  // After a failed write the unit's commit rolls it back and gives the error again.
  auto committed = store.commit();
  if (!imported) return fail(imported.error());
  if (!committed) return fail(committed.error());
  return done;
}

}  // namespace outreach
