/// @file lead_list.hpp
/// @brief Loading a campaign's leads: the CSV lead list and its JSON form (docs/formats.md, "Leads").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outreach/error.hpp"
#include "outreach/lead.hpp"

namespace outreach {

/// @brief How to read a CSV lead list, where the file does not say it plainly. Everything
/// left at its default is found from the file.
struct LeadListFormat {
  /// The field separator: `,`, `;`, a tab or `|`. 0 (the default): an Excel `sep=X` first line
  /// names it, else the one of the four the header row has most of (outside quotes), `,` when
  /// it has none.
  char delimiter = 0;
  /// The text's encoding, any name iconv knows (`windows-1252`, `iso-8859-15`, `utf-16`).
  /// Empty (the default): a byte order mark says UTF-8 or UTF-16; UTF-16 without one is told by
  /// its NUL bytes; valid UTF-8 is UTF-8, and so is text with at least as many valid multi-byte
  /// UTF-8 sequences as runs of bytes that are not (the rows with those are left out); anything
  /// else is read as Windows-1252, with a note (`LeadListLayout::notes`) that says so.
  std::string encoding;
  /// Known fields and the header of the column that holds each (`{"email", "Work Email"}`),
  /// which win over the synonyms. A header is matched as written, else without regard to ASCII
  /// case.
  std::vector<std::pair<std::string, std::string>> columns;
};

/// @brief One column of a lead list, as it was read.
struct LeadColumn {
  std::string header;    ///< The header's name, trimmed.
  std::string field;     ///< The known field it fills (`first_name`); empty for a custom field.
  bool ignored = false;  ///< Named as a known field that `LeadListFormat::columns` gave to another column: not read.
};

/// @brief How a lead list was read: what `LeadListFormat` gave or the file said.
struct LeadListLayout {
  char delimiter = 0;               ///< The CSV field separator; 0 for the JSON form.
  std::string encoding = "utf-8";   ///< The encoding the text was read in, lower case.
  std::vector<LeadColumn> columns;  ///< Every column in header order (CSV; empty for JSON).
  std::vector<Error> notes;         ///< Said of the whole list, not of a row: an encoding that was guessed.
};

/// @brief The leads read from a list, and the problems met on the way.
///
/// Rows that are not leads (an invalid address, a wrong number of columns) and repeated
/// addresses (the first is kept) are left out and reported in `problems`, each with its line
/// (CSV) or JSON path. An unknown time zone is reported too, and the lead is kept without one.
/// What concerns the whole list (an encoding that was guessed) is in `layout.notes`.
struct LeadList {
  std::vector<Lead> leads;      ///< The leads, in list order.
  std::vector<Error> problems;  ///< One per row left out or field dropped, in list order.
  LeadListLayout layout;        ///< How the list was read.
};

/// @brief Parses a CSV lead list as spreadsheets and CRMs export them (RFC 4180: a header row,
/// then one lead a row; quoted fields may hold delimiters, quotes and line breaks; CRLF or LF
/// line ends), in the delimiter and encoding `format` gives or the text says (see
/// `LeadListFormat`).
///
/// Header names are trimmed. The columns of `format.columns` fill their fields; then a header
/// that is a known field's name (`email`, `first_name`, `last_name`, `company`, `title`,
/// `timezone`, without regard to ASCII case), then one that is a documented synonym of it
/// ("Email Address", "First Name", "Company Name"; compared without case, spaces, dashes,
/// underscores or dots), fills a field no earlier column filled. Every other column is a custom
/// field, named as in the header, in header order. Values are kept as given, except `email`,
/// which is trimmed and must be a bare address (no display name). Blank lines, and rows whose
/// fields are all empty, are skipped.
///
/// A row is left out, with a problem located at the line the row starts on, when it has the
/// wrong number of fields, text after a closing quote, a value that is not valid UTF-8 or is
/// longer than 64 KiB, bytes its (converted) encoding has no character for, or an invalid
/// address; a repeated address (compared as `Lead::key()`)
/// is left out with a problem naming the line of the first. An unknown time zone is reported
/// and the lead kept with an empty `timezone`. Lists of any length are read in one pass.
///
/// Thread-safe.
/// @param text The CSV file's bytes.
/// @param source_name The file name for locations in errors and problems (may be empty).
/// @param format The delimiter, encoding and columns, where they are not to be found.
/// @return The leads, problems and layout; or an error when the list cannot be read at all:
/// `parse_error` for no header row, text after a closing quote in the header or an
/// unterminated quote anywhere (the rows after it cannot be told apart); `invalid_value` for
/// an empty or repeated column name, no `email` column, a `format` that names an unknown field,
/// a header the list does not have, a delimiter other than the four or an encoding iconv does
/// not know, or no valid row (the problems are then in the error's `others()`); `invalid_utf8`
/// for a header that is not UTF-8; `limit_exceeded` for more than 1024 columns.
[[nodiscard]] expected<LeadList> parse_lead_csv(std::string_view text, std::string_view source_name = {},
                                                const LeadListFormat& format = {});

/// @brief Reads a CSV lead list from a file (see `parse_lead_csv`). Thread-safe.
/// @param path The file; its name is the `file` of every location.
/// @param format The delimiter, encoding and columns, where they are not to be found.
/// @return As `parse_lead_csv`; or `not_found`/`io_error` when the file cannot be read.
[[nodiscard]] expected<LeadList> load_lead_csv(const std::filesystem::path& path, const LeadListFormat& format = {});

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
/// @param format For a CSV list: the delimiter, encoding and columns, where they are not to be
/// found (a JSON list is UTF-8 and names its fields: a `format` that is not the default is
/// refused with `invalid_value`).
/// @return As `load_lead_csv` or `parse_lead_json`.
[[nodiscard]] expected<LeadList> load_lead_list(const std::filesystem::path& path, const LeadListFormat& format = {});

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
