/// @file open_store.hpp
/// @brief `open_store`: the durable store a location names, whichever backend keeps it.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "outreach/error.hpp"
#include "outreach/store.hpp"

namespace outreach {

/// @brief How `open_store` opens a store.
struct StoreOptions {
  StoreAccess access = StoreAccess::engine;               ///< Engine (lock, writes), reader or inbox.
  StoreDurability durability = StoreDurability::process;  ///< What a write survives.
  /// On a store several engines share (PostgreSQL): how long an engine's claim on a campaign
  /// lasts unless renewed, so how soon another engine takes over the campaigns of one that
  /// stopped. Nothing for a SQLite store.
  std::chrono::milliseconds claim_lease{30000};
};

/// @brief Whether a location names a PostgreSQL database: it starts with `postgresql://` or
/// `postgres://`. Every other location is a SQLite file's path.
/// @param location A store's location.
[[nodiscard]] bool names_postgresql(std::string_view location) noexcept;

/// @brief Opens the durable store that `location` names: a `postgresql://` or `postgres://`
/// URI is a PostgreSQL store (`PostgresqlStore`, its schema created or upgraded for `engine`
/// access); any other location is a SQLite file's path (`SqliteStore`, created when missing for
/// `engine` access).
///
/// The command line's `--store`, the C interface's `store_path` and the Python binding open
/// their stores through it. A backend this build was made without (`OUTREACH_WITH_SQLITE=OFF`,
/// `OUTREACH_WITH_POSTGRESQL=OFF`) is an error that says so, not a crash.
/// @param location Where the store is, such as `outreach.db` or `postgresql://db.internal/outreach`.
/// @param options Access and durability.
/// @return The store, or the backend's error (`not_found`, `invalid_value`, `unavailable` when
/// another engine holds it, `io_error`), or `invalid_argument` when this build has no backend
/// for the location.
[[nodiscard]] expected<std::unique_ptr<Store>> open_store(std::string_view location, const StoreOptions& options = {});

}  // namespace outreach
