#include "outreach/open_store.hpp"

#include <string>

#if OUTREACH_WITH_SQLITE
#include "outreach/sqlite_store.hpp"
#endif
#if OUTREACH_WITH_POSTGRESQL
#include "outreach/postgresql_store.hpp"
#endif

namespace outreach {

bool names_postgresql(std::string_view location) noexcept {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

namespace {

expected<std::unique_ptr<Store>> open_postgresql(std::string_view location, const StoreOptions& options) {
#if OUTREACH_WITH_POSTGRESQL
  PostgresqlStoreOptions postgresql;
  postgresql.access = options.access;
  postgresql.durability = options.durability;
  postgresql.claim_lease = options.claim_lease;
  auto opened = PostgresqlStore::open(location, postgresql);
  if (!opened) return fail(opened.error());
  return std::unique_ptr<Store>(std::move(*opened));
#else
  (void)location;
  (void)options;
  return fail(Errc::invalid_argument,
              "this build of outreach has no PostgreSQL store (OUTREACH_WITH_POSTGRESQL=OFF), so a postgresql:// "
              "location cannot be opened");
#endif
}

expected<std::unique_ptr<Store>> open_sqlite(std::string_view location, const StoreOptions& options) {
#if OUTREACH_WITH_SQLITE
  SqliteStoreOptions sqlite;
  sqlite.access = options.access;
  sqlite.durability = options.durability;
  auto opened = SqliteStore::open(std::string(location), sqlite);
  if (!opened) return fail(opened.error());
  return std::unique_ptr<Store>(std::move(*opened));
#else
  (void)options;
  return fail(Errc::invalid_argument, "this build of outreach has no SQLite store (OUTREACH_WITH_SQLITE=OFF), so " +
                                          std::string(location) + " cannot be opened");
#endif
}

}  // namespace

expected<std::unique_ptr<Store>> open_store(std::string_view location, const StoreOptions& options) {
  if (names_postgresql(location)) return open_postgresql(location, options);
  return open_sqlite(location, options);
}

}  // namespace outreach
