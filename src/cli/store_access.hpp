// How the command line reaches a store: opened by its location (`outreach::open_store`), its
// campaigns restored. Reading a store without running it (a view that records nothing, the
// campaigns rebuilt from their events) is the library's: outreach/store_view.hpp.
#pragma once

#include <memory>
#include <string>

#include "outreach/engine.hpp"
#include "outreach/open_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach::cli {

/// `outreach::restore_campaigns` for a campaign name the command line may or may not have
/// (`only`: just that campaign; null: every campaign).
[[nodiscard]] expected<void> restore_campaigns(Engine& engine, const Store& store, const std::string* only);

}  // namespace outreach::cli
