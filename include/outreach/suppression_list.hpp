/// @file suppression_list.hpp
/// @brief Keeping a store's suppression list by hand (`outreach suppress`): the addresses a
/// person adds are checked first, and a file of addresses is imported in one unit.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/store.hpp"

namespace outreach {

/// @brief Checks an address given for the suppression list as a lead list's `email` is checked:
/// spaces around it are dropped, and it must be a bare address (`ann@example.com`, no display
/// name or angle brackets), by the rules of `Address::parse`. Thread-safe.
/// @param text The address as given.
/// @return The address, trimmed (the store keeps it in lower case); or `invalid_value` /
/// `invalid_utf8` quoting it and saying what is wrong.
[[nodiscard]] expected<std::string> suppression_address(std::string_view text);

/// @brief What importing a file of addresses did.
struct SuppressionImport {
  /// How many addresses were put on the list (those already on it included).
  std::size_t suppressed = 0;
  /// The lines left out, each an error located at the file and line (see
  /// `import_suppressions`), in file order.
  std::vector<Error> problems;
};

/// @brief The addresses of a file of addresses to suppress, read without writing anything.
struct SuppressionFile {
  std::vector<std::string> addresses;  ///< In file order, each checked by `suppression_address`.
  std::vector<Error> problems;         ///< The lines left out, each located at the file and line.
};

/// @brief Reads a file of addresses to suppress, as `import_suppressions` does, without writing
/// them: for a request to the engine that runs a store.
/// @param file The file.
/// @return Its addresses and the lines left out; or the errors of `import_suppressions` that
/// concern the file.
[[nodiscard]] expected<SuppressionFile> read_suppression_file(const std::filesystem::path& file);

/// @brief Adds every address of a file to the store's suppression list, in one unit of the
/// store (all of them, or none when a write fails).
///
/// The file is either a list of addresses, one a line (spaces around them dropped; blank lines
/// and lines starting with `#` skipped), or, when its first line is a CSV header (not a `#`
/// comment, and it has a comma or is `email`), a CSV list read as a lead list is (`parse_lead_csv`: RFC 4180, an
/// `email` column required), whose rows' addresses are suppressed. A line that is not an
/// address (a row that is not a lead) does not stop the import: it is left out and reported in
/// `problems`.
/// @param store The store.
/// @param file The file.
/// @param reason The reason kept with each entry.
/// @return What was done; or `not_found` / `io_error` when the file cannot be read, the error
/// of a CSV list that cannot be read at all (no `email` column, no valid row, ...), or the
/// store's error when it cannot write (then nothing was added).
[[nodiscard]] expected<SuppressionImport> import_suppressions(Store& store, const std::filesystem::path& file,
                                                              std::string_view reason = "manual");

}  // namespace outreach
