// Reading a number straight from a SQLite file, through a connection of its own, as a test sees
// the file on disk whatever a store under test holds in memory.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>

namespace outreach::testing {

/// The first column of the first row `sql` gives on the file at `path`, opened read-only;
/// -1 when it cannot be opened or the query gives no row.
[[nodiscard]] inline std::int64_t sqlite_integer(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  std::int64_t value = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

}  // namespace outreach::testing
