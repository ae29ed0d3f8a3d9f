// How the command line opens a store. Reading a store without running it (a view that records
// nothing, the campaigns rebuilt from their events) is the library's: outreach/store_view.hpp.
#pragma once

#include <memory>
#include <string>

#include "outreach/engine.hpp"
#include "outreach/sqlite_store.hpp"
#include "outreach/store_view.hpp"

namespace outreach::cli {

/// Opens the SQLite store at `path`: `engine` access takes it for this process (run, pause,
/// suppress, ...), `read` access does not (status, events) and works while an engine runs.
[[nodiscard]] expected<std::unique_ptr<SqliteStore>> open_store(const std::string& path, SqliteAccess access);

/// `outreach::restore_campaigns` for a campaign name the command line may or may not have
/// (`only`: just that campaign; null: every campaign).
[[nodiscard]] expected<void> restore_campaigns(Engine& engine, const Store& store, const std::string* only);

}  // namespace outreach::cli
