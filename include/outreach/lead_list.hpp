/// @file lead_list.hpp
/// @brief Loading a campaign's leads: the CSV lead list and its JSON form (docs/formats.md, "Leads").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/lead.hpp"

namespace outreach {

/// @brief The leads read from a list, and the problems met on the way.
///
/// Rows that are not leads (an invalid address, a wrong number of columns) and repeated
/// addresses (the first is kept) are left out and reported in `problems`, each with its line
/// (CSV) or JSON path. An unknown time zone is reported too, and the lead is kept without one.
struct LeadList {
  std::vector<Lead> leads;      ///< The leads, in list order.
  std::vector<Error> problems;  ///< One per row left out or field dropped, in list order.
};

/// @brief Parses a CSV lead list (RFC 4180: a header row, then one lead a row; quoted fields
/// may hold commas, quotes and line breaks; CRLF or LF line ends; a UTF-8 byte order mark is
/// ignored).
///
/// Header names are trimmed; the known columns (`email`, `first_name`, `last_name`, `company`,
/// `title`, `timezone`) match without regard to ASCII case; every other column is a custom
/// field, named as in the header, in header order. Values are kept as given, except `email`,
/// which is trimmed and must be a bare address (no display name). Blank lines, and rows whose
/// fields are all empty, are skipped.
///
/// A row is left out, with a problem located at the line the row starts on, when it has the
/// wrong number of fields, text after a closing quote, a value that is not valid UTF-8 or is
/// longer than 64 KiB, or an invalid address; a repeated address (compared as `Lead::key()`)
/// is left out with a problem naming the line of the first. An unknown time zone is reported
/// and the lead kept with an empty `timezone`. Lists of any length are read in one pass.
///
/// Thread-safe.
/// @param text The CSV text.
/// @param source_name The file name for locations in errors and problems (may be empty).
/// @return The leads and problems; or an error when the list cannot be read at all:
/// `parse_error` for no header row, text after a closing quote in the header or an
/// unterminated quote anywhere (the rows after it cannot be told apart); `invalid_value` for
/// an empty or repeated column name, no `email` column, or no valid row (the problems are then
/// in the error's `others()`); `invalid_utf8` for a header that is not UTF-8; `limit_exceeded`
/// for more than 1024 columns.
[[nodiscard]] expected<LeadList> parse_lead_csv(std::string_view text, std::string_view source_name = {});

/// @brief Reads a CSV lead list from a file (see `parse_lead_csv`). Thread-safe.
/// @param path The file; its name is the `file` of every location.
/// @return As `parse_lead_csv`; or `not_found`/`io_error` when the file cannot be read.
[[nodiscard]] expected<LeadList> load_lead_csv(const std::filesystem::path& path);

/// @brief Parses the JSON form: an array of lead objects with the same keys as the CSV columns.
///
/// Each value is a string, or null meaning absent; custom keys are kept in object order. An
/// element that is not an object, has a value of another type, a known key twice (in any
/// case), or breaks a rule of `parse_lead_csv` is left out with a problem at its JSON path
/// (`[3].email`); repeated addresses and unknown time zones are handled as in `parse_lead_csv`.
/// Thread-safe.
/// @param json_text The JSON text.
/// @param source_name The file name for locations in errors and problems (may be empty).
/// @return The leads and problems; or `parse_error` for text that is not JSON, `invalid_value`
/// when it is not an array or has no valid lead (the problems are then in `others()`).
[[nodiscard]] expected<LeadList> parse_lead_json(std::string_view json_text, std::string_view source_name = {});

/// @brief Reads a lead list from a file: the JSON form when its name ends in `.json` (in any
/// case), CSV otherwise. Thread-safe.
/// @param path The file; its name is the `file` of every location.
/// @return As `load_lead_csv` or `parse_lead_json`.
[[nodiscard]] expected<LeadList> load_lead_list(const std::filesystem::path& path);

/// @brief Writes leads in the JSON form of a lead list (an array of lead objects), which
/// `parse_lead_json` reads back: each lead's `email`, its known fields that are not empty, then
/// its custom fields in order. Thread-safe.
/// @param leads The leads.
/// @return The JSON text.
[[nodiscard]] std::string leads_to_json(const std::vector<Lead>& leads);

/// @brief Reads one lead from a JSON file holding one lead object, the form of an element of
/// the JSON lead list (see `parse_lead_json`): `email`, the known fields, then custom fields.
/// The time zone is not checked here. Thread-safe.
/// @param path The file; its name is the `file` of every error.
/// @return The lead, or every error found in it (the first, with the others attached), with
/// JSON paths from the object's root; `not_found`/`io_error` when the file cannot be read,
/// `parse_error` when it is not JSON.
[[nodiscard]] expected<Lead> load_lead(const std::filesystem::path& path);

}  // namespace outreach
