// A thin RAII layer over SQLite's C API for the SQLite store: a connection, statements prepared
// once and reused, and SQLite's failures turned into Errors that name the file and carry
// SQLite's own message. Nothing here throws.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "outreach/error.hpp"

namespace outreach::detail::sqlite {

/// The library's code for a SQLite result code: busy and locked may pass (`unavailable`), a file
/// that is not a database or is damaged needs another file (`invalid_value`), a misuse is a bug
/// (`internal`), and the rest are the file system's (`io_error`).
[[nodiscard]] Errc error_code(int result) noexcept;

/// One open database connection; closes it (after its statements) when destroyed.
class Connection {
 public:
  /// Opens `path` with `sqlite3_open_v2` flags; a failure names the file.
  [[nodiscard]] static expected<Connection> open(const std::filesystem::path& path, int flags);

  Connection() = default;
  Connection(Connection&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), file_(std::move(other.file_)) {}
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  [[nodiscard]] sqlite3* handle() const noexcept { return handle_; }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }

  /// The error of the call that just returned `result` on this connection: "`doing`: SQLite's
  /// message", located in the file.
  [[nodiscard]] Error error(int result, std::string_view doing) const;

  /// Runs SQL that returns no rows (one statement or several).
  [[nodiscard]] expected<void> execute(const char* sql, std::string_view doing);

  /// The integer in the first column of the first row of a query (PRAGMA user_version, ...).
  [[nodiscard]] expected<std::int64_t> integer(const char* sql, std::string_view doing);

  /// The text in the first column of the first row of a query (empty when it gives no row).
  [[nodiscard]] expected<std::string> text(const char* sql, std::string_view doing);

 private:
  sqlite3* handle_ = nullptr;
  std::string file_;
};

/// Bytes to bind as a BLOB (text binds as TEXT, which must be UTF-8).
struct Blob {
  std::string_view bytes;
};

/// A prepared statement, made once and run many times: bind, step, reset.
class Statement {
 public:
  /// Prepares `sql` as a long-lived statement of `connection`.
  [[nodiscard]] static expected<Statement> prepare(const Connection& connection, std::string_view sql);

  Statement() = default;
  Statement(Statement&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)),
        connection_(std::exchange(other.connection_, nullptr)),
        bind_result_(other.bind_result_) {}
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  /// Binds text to a 1-based parameter. The bytes are not copied: they must stay alive until
  /// the statement is reset.
  void bind(int index, std::string_view text) noexcept;
  /// Binds bytes as a BLOB to a 1-based parameter, not copied either.
  void bind(int index, Blob blob) noexcept;
  /// Binds an integer to a 1-based parameter.
  void bind(int index, std::int64_t number) noexcept;
  /// Binds an int to a 1-based parameter.
  void bind(int index, int number) noexcept { bind(index, static_cast<std::int64_t>(number)); }
  /// Binds an integer, or NULL when there is none, to a 1-based parameter.
  void bind(int index, std::optional<std::int64_t> number) noexcept;

  /// Binds every value to the parameters 1, 2, ... in order.
  template <class... Values>
  void bind_all(const Values&... values) noexcept {
    int index = 0;
    (bind(++index, values), ...);
  }

  /// Runs the statement one step: true when a row is ready, false when it is done. A failed
  /// bind or step is an error whose message starts with `doing`.
  [[nodiscard]] expected<bool> step(std::string_view doing);

  /// Steps until done (for statements without rows), then resets.
  [[nodiscard]] expected<void> run(std::string_view doing);

  /// Resets the statement and clears its bindings, so that it holds no read transaction open.
  void reset() noexcept;

  /// Rows changed by the last run (of this connection's last write statement).
  [[nodiscard]] std::int64_t changes() const noexcept;

  /// A column of the current row as text (empty for NULL); valid until the next step or reset.
  [[nodiscard]] std::string_view text(int column) const noexcept;
  /// A column of the current row as bytes (a BLOB, or text); valid until the next step or reset.
  [[nodiscard]] std::string_view blob(int column) const noexcept;
  /// A column of the current row as an integer.
  [[nodiscard]] std::int64_t integer(int column) const noexcept;
  /// A column of the current row as an integer, or nothing for NULL.
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int column) const noexcept;

 private:
  sqlite3_stmt* handle_ = nullptr;
  const Connection* connection_ = nullptr;
  int bind_result_ = SQLITE_OK;  // the first failed bind since the last reset
};

/// Resets a statement when it goes out of scope, whatever path the code took.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) noexcept : statement_(statement) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() { statement_.reset(); }

 private:
  Statement& statement_;
};

}  // namespace outreach::detail::sqlite
