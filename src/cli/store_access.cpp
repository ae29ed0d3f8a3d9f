#include "cli/store_access.hpp"

#include "outreach/campaign.hpp"

namespace outreach::cli {

expected<std::unique_ptr<SqliteStore>> open_store(const std::string& path, SqliteAccess access) {
  SqliteStoreOptions options;
  options.access = access;
  return SqliteStore::open(path, options);
}

expected<void> restore_campaigns(Engine& engine, const Store& store, const std::string* only) {
  bool found = false;
  for (const StoredCampaign& stored : store.campaigns()) {
    if (only && stored.name != *only) continue;
    found = true;
    auto definition = CampaignDefinition::from_json(stored.definition);
    if (!definition) {
      return fail(definition.error().code(), "campaign \"" + stored.name + "\" in the store cannot be read back: " +
                                                 definition.error().message());
    }
    if (auto added = engine.add_campaign(std::move(*definition)); !added) return added;
    if (auto started = engine.start(stored.name); !started) return started;
  }
  if (only && !found) return fail(Errc::not_found, "the store has no campaign named \"" + *only + "\"");
  return {};
}

}  // namespace outreach::cli
