#include "outreach/open_store.hpp"

#include <string>

#if OUTREACH_WITH_SQLITE
#include "outreach/sqlite_store.hpp"
#endif

namespace outreach {

expected<std::unique_ptr<Store>> open_store(std::string_view location, const StoreOptions& options) {
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

}  // namespace outreach
