#include "cli/store_access.hpp"

namespace outreach::cli {

expected<std::unique_ptr<SqliteStore>> open_store(const std::string& path, SqliteAccess access) {
  SqliteStoreOptions options;
  options.access = access;
  return SqliteStore::open(path, options);
}

expected<void> restore_campaigns(Engine& engine, const Store& store, const std::string* only) {
  return outreach::restore_campaigns(engine, store,
                                     only ? std::optional<std::string_view>(*only) : std::nullopt);
}

}  // namespace outreach::cli
