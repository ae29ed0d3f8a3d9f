// A thin RAII layer over libpq for the PostgreSQL store: a connection, statements prepared once
// per connection, parameters and results in text form, and the server's failures turned into
// Errors that name the database (never its password) and carry the server's message. Nothing
// here throws.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outreach/error.hpp"

namespace outreach::detail::pg {

/// The library's code for a SQLSTATE: a lost connection, a server shutting down, a timeout, a
/// lock or serialization conflict may pass (`unavailable`); a violated constraint is the
/// caller's (`invalid_argument`); a missing database `not_found`; a full disk or the server's
/// own failure `io_error`; a syntax error or an undefined object is a bug (`internal`).
[[nodiscard]] Errc error_code(std::string_view sqlstate) noexcept;

/// Bytes to bind as `bytea` (text binds as text, which must be UTF-8).
struct Bytes {
  std::string_view bytes;
};

/// The values of a statement's parameters $1, $2, ..., owned: a unit's writes keep theirs to be
/// run again on a new connection.
class Params {
 public:
  Params() = default;
  /// Every value, in order.
  template <class... Values>
  explicit Params(const Values&... values) {
    (add(values), ...);
  }

  void add(std::string_view text);
  void add(const char* text) { add(std::string_view(text)); }
  void add(const std::string& text) { add(std::string_view(text)); }
  void add(std::int64_t number);
  void add(int number) { add(static_cast<std::int64_t>(number)); }
  void add(std::optional<std::int64_t> number);
  void add(Bytes bytes);

  [[nodiscard]] int count() const noexcept { return static_cast<int>(values_.size()); }
  /// Pointers valid until the next `add`.
  [[nodiscard]] std::vector<const char*> pointers() const;
  [[nodiscard]] const std::vector<int>& lengths() const noexcept { return lengths_; }
  [[nodiscard]] const std::vector<int>& formats() const noexcept { return formats_; }

 private:
  std::vector<std::optional<std::string>> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;  // 0 text, 1 binary (bytea)
};

/// A result's rows, freed when destroyed. Columns come in text form.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) noexcept : result_(result) {}

  [[nodiscard]] int rows() const noexcept { return result_ ? PQntuples(result_.get()) : 0; }
  [[nodiscard]] bool is_null(int row, int column) const noexcept;
  /// A column as text (empty for NULL); valid while the result lives.
  [[nodiscard]] std::string_view text(int row, int column) const noexcept;
  /// A column as an integer (0 for NULL or a value that is not one).
  [[nodiscard]] std::int64_t integer(int row, int column) const noexcept;
  /// A column as an integer, or nothing for NULL.
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int row, int column) const noexcept;
  /// A `bytea` column's bytes.
  [[nodiscard]] std::string bytes(int row, int column) const;
  /// Rows the statement changed (INSERT, UPDATE, DELETE), 0 for others.
  [[nodiscard]] std::int64_t changes() const noexcept;

 private:
  struct Clear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

/// A statement the store prepares on each connection it opens, by name.
struct Prepared {
  const char* name;
  const char* sql;
};

/// One statement of a pipeline: a prepared statement with its parameters, or SQL without any.
struct Call {
  const char* statement = nullptr;  ///< the prepared statement's name, or nullptr for `sql`
  const Params* params = nullptr;   ///< its parameters (none when nullptr)
  const char* sql = nullptr;        ///< SQL without parameters (COMMIT), when `statement` is nullptr
  std::string_view doing;           ///< what a failure says it was doing
};

/// One connection to the server; closed when destroyed.
class Connection {
 public:
  /// Connects (blocking) to the server `uri` names. `shown` is the location errors give.
  [[nodiscard]] static expected<Connection> open(const std::string& uri, std::string shown);

  Connection() = default;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] PGconn* handle() const noexcept { return connection_.get(); }
  [[nodiscard]] const std::string& shown() const noexcept { return shown_; }
  /// True when the connection is gone (closed by the server, the network, or never opened).
  [[nodiscard]] bool lost() const noexcept;
  /// The connection's socket, to wait on for notifications; -1 when there is none.
  [[nodiscard]] int socket() const noexcept;
  /// Reads what the server sent without waiting and drops the notifications it holds: true when
  /// there was one.
  [[nodiscard]] bool take_notifications() noexcept;

  /// Runs SQL without parameters (one statement or several), discarding any rows.
  [[nodiscard]] expected<void> execute(const char* sql, std::string_view doing);
  /// Runs SQL without parameters (one statement or several, in one round trip), giving the rows
  /// of the last.
  [[nodiscard]] expected<Result> simple(const char* sql, std::string_view doing);
  /// Runs SQL with parameters, giving its rows.
  [[nodiscard]] expected<Result> query(const char* sql, const Params& params, std::string_view doing);
  /// Prepares the statements for `run`.
  [[nodiscard]] expected<void> prepare(const std::vector<Prepared>& statements);
  /// Runs a prepared statement, giving its rows.
  [[nodiscard]] expected<Result> run(const char* name, const Params& params, std::string_view doing);
  /// Runs `calls` in order in one round trip (libpq's pipeline mode), giving each one's rows; or
  /// the error of the first that failed, those after it not run. Meant for batches of small
  /// statements (a few hundred): the connection blocks while it sends them.
  [[nodiscard]] expected<std::vector<Result>> pipeline(const std::vector<Call>& calls);

  /// The error of a failed call: "`doing`: the server's message", located at the database;
  /// a lost connection is `unavailable` whatever the message.
  [[nodiscard]] Error error(std::string_view doing, const PGresult* result) const;

 private:
  expected<Result> checked(PGresult* raw, std::string_view doing) const;
  struct Finish {
    void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
  };
  std::unique_ptr<PGconn, Finish> connection_;
  std::string shown_;
};

}  // namespace outreach::detail::pg
