// The PostgreSQL store's schema and its migrations. Everything lives in the schema `outreach`
// of the database; its table `meta` says the schema is ours and at which version. Migration i
// takes the schema from version i to i + 1 (migration 0 makes version 1 from nothing). Adding a
// version is writing one function and appending it to the list in postgresql_schema.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "outreach/error.hpp"
#include "store/postgresql/pg.hpp"

namespace outreach::detail {

/// What a database holds where the store's schema goes.
struct PostgresqlSchemaState {
  bool exists = false;   ///< The schema `outreach` is there.
  bool ours = false;     ///< ... with the store's `meta` table.
  bool empty = true;     ///< ... and nothing else in it (a schema made by hand for the store).
  std::int64_t version = 0;  ///< The version `meta` records (0: none).
};

/// Reads what the database holds, changing nothing.
[[nodiscard]] expected<PostgresqlSchemaState> read_schema_state(pg::Connection& connection);

/// Brings the schema up to this library's version in one transaction, under a lock that makes a
/// second engine opening the same database wait and then find the work done. Refuses a schema
/// that is someone else's or newer.
[[nodiscard]] expected<void> migrate_postgresql(pg::Connection& connection);

/// The schema version this library writes.
[[nodiscard]] std::int64_t postgresql_schema_version() noexcept;

}  // namespace outreach::detail
