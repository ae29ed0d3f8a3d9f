#include "store/sqlite/sqlite.hpp"

namespace outreach::detail::sqlite {

Errc error_code(int result) noexcept {
  switch (result & 0xFF) {  // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::unavailable;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return Errc::invalid_value;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG: return Errc::invalid_argument;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR: return Errc::internal;
    default: return Errc::io_error;
  }
}

expected<Connection> Connection::open(const std::filesystem::path& path, int flags) {
  Connection connection;
  connection.file_ = path.string();
  const int result = sqlite3_open_v2(connection.file_.c_str(), &connection.handle_, flags, nullptr);
  if (result != SQLITE_OK) {
    // A handle is given back even on failure (unless memory ran out), to carry the message.
    if (connection.handle_ == nullptr) return fail(error_code(result), "cannot open: " + std::string(sqlite3_errstr(result)), Location::in(connection.file_));
    return fail(connection.error(result, "cannot open"));
  }
  sqlite3_extended_result_codes(connection.handle_, 1);
  return connection;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) sqlite3_close_v2(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    file_ = std::move(other.file_);
  }
  return *this;
}

Connection::~Connection() {
  // close_v2 waits for statements not yet finalized instead of failing with SQLITE_BUSY.
  if (handle_ != nullptr) sqlite3_close_v2(handle_);
}

Error Connection::error(int result, std::string_view doing) const {
  std::string message(doing);
  message += ": ";
  // The connection's message is more precise ("no such table: x") when it is about this result.
  if (handle_ != nullptr && sqlite3_extended_errcode(handle_) == result) {
    message += sqlite3_errmsg(handle_);
  } else {
    message += sqlite3_errstr(result);
  }
  return Error(error_code(result), std::move(message), Location::in(file_));
}

expected<void> Connection::execute(const char* sql, std::string_view doing) {
  const int result = sqlite3_exec(handle_, sql, nullptr, nullptr, nullptr);
  if (result != SQLITE_OK) return fail(error(result, doing));
  return {};
}

expected<std::int64_t> Connection::integer(const char* sql, std::string_view doing) {
  auto statement = Statement::prepare(*this, sql);
  if (!statement) return fail(statement.error());
  const ResetOnExit reset(*statement);
  const auto row = statement->step(doing);
  if (!row) return fail(row.error());
  return *row ? statement->integer(0) : 0;
}

expected<std::string> Connection::text(const char* sql, std::string_view doing) {
  auto statement = Statement::prepare(*this, sql);
  if (!statement) return fail(statement.error());
  const ResetOnExit reset(*statement);
  const auto row = statement->step(doing);
  if (!row) return fail(row.error());
  return *row ? std::string(statement->text(0)) : std::string();
}

expected<Statement> Statement::prepare(const Connection& connection, std::string_view sql) {
  Statement statement;
  statement.connection_ = &connection;
  const int result = sqlite3_prepare_v3(connection.handle(), sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &statement.handle_, nullptr);
  if (result != SQLITE_OK) return fail(connection.error(result, "cannot prepare \"" + std::string(sql) + "\""));
  return statement;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) sqlite3_finalize(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    connection_ = std::exchange(other.connection_, nullptr);
    bind_result_ = other.bind_result_;
  }
  return *this;
}

Statement::~Statement() {
  if (handle_ != nullptr) sqlite3_finalize(handle_);
}

void Statement::bind(int index, std::string_view text) noexcept {
  // A null pointer would bind SQL NULL instead of an empty string.
  const char* bytes = text.data() != nullptr ? text.data() : "";
  const int result = sqlite3_bind_text64(handle_, index, bytes, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (bind_result_ == SQLITE_OK) bind_result_ = result;
}

void Statement::bind(int index, Blob blob) noexcept {
  // A null pointer would bind SQL NULL instead of an empty BLOB.
  const char* bytes = blob.bytes.data() != nullptr ? blob.bytes.data() : "";
  const int result = sqlite3_bind_blob64(handle_, index, bytes, blob.bytes.size(), SQLITE_STATIC);
  if (bind_result_ == SQLITE_OK) bind_result_ = result;
}

void Statement::bind(int index, std::int64_t number) noexcept {
  const int result = sqlite3_bind_int64(handle_, index, number);
  if (bind_result_ == SQLITE_OK) bind_result_ = result;
}

void Statement::bind(int index, std::optional<std::int64_t> number) noexcept {
  if (number) return bind(index, *number);
  const int result = sqlite3_bind_null(handle_, index);
  if (bind_result_ == SQLITE_OK) bind_result_ = result;
}

expected<bool> Statement::step(std::string_view doing) {
  if (bind_result_ != SQLITE_OK) return fail(connection_->error(bind_result_, doing));
  const int result = sqlite3_step(handle_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  return fail(connection_->error(result, doing));
}

expected<void> Statement::run(std::string_view doing) {
  const ResetOnExit reset(*this);
  for (;;) {
    const auto row = step(doing);
    if (!row) return fail(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(handle_);
  sqlite3_clear_bindings(handle_);
  bind_result_ = SQLITE_OK;
}

std::int64_t Statement::changes() const noexcept { return sqlite3_changes64(connection_->handle()); }

std::string_view Statement::text(int column) const noexcept {
  const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(handle_, column));
  if (bytes == nullptr) return {};
  return {bytes, static_cast<std::size_t>(sqlite3_column_bytes(handle_, column))};
}

std::string_view Statement::blob(int column) const noexcept {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(handle_, column));
  if (bytes == nullptr) return {};
  return {bytes, static_cast<std::size_t>(sqlite3_column_bytes(handle_, column))};
}

std::int64_t Statement::integer(int column) const noexcept { return sqlite3_column_int64(handle_, column); }

std::optional<std::int64_t> Statement::optional_integer(int column) const noexcept {
  if (sqlite3_column_type(handle_, column) == SQLITE_NULL) return std::nullopt;
  return integer(column);
}

}  // namespace outreach::detail::sqlite
