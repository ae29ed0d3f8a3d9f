// The SQLite store's schema and its migrations. A file's PRAGMA user_version is its schema
// version and PRAGMA application_id says the file is ours; migration i takes a file from
// version i to i + 1 (migration 0 makes version 1 from an empty file). Adding a version is
// writing one function and appending it to the list in sqlite_schema.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "store/sqlite/sqlite.hpp"
#include "outreach/error.hpp"

namespace outreach::detail {

/// Takes the schema one version up, inside the transaction `migrate` opened.
using SqliteMigration = expected<void> (*)(sqlite::Connection& connection);

/// The migrations of this library, in order: their count is the version it writes.
[[nodiscard]] std::span<const SqliteMigration> sqlite_migrations() noexcept;

/// Brings the file from `from` up to `migrations.size()` in one transaction that also sets the
/// application id and the user version: either every step is kept or the file is unchanged.
/// Does nothing when the file is already at that version.
[[nodiscard]] expected<void> migrate(sqlite::Connection& connection, std::int64_t from,
                                     std::span<const SqliteMigration> migrations, std::int32_t application_id);

}  // namespace outreach::detail
