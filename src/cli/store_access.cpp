#include "cli/store_access.hpp"

namespace outreach::cli {

expected<void> restore_campaigns(Engine& engine, const Store& store, const std::string* only) {
  return outreach::restore_campaigns(engine, store,
                                     only ? std::optional<std::string_view>(*only) : std::nullopt);
}

}  // namespace outreach::cli
