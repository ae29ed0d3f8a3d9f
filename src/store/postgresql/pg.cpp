#include "store/postgresql/pg.hpp"

#include <charconv>

#include "util/ascii.hpp"

namespace outreach::detail::pg {

namespace {

// The server's message without its trailing line break, or libpq's own when there is none.
std::string message_of(const PGconn* connection, const PGresult* result) {
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty() && connection != nullptr) message = PQerrorMessage(connection);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (message.starts_with("ERROR:  ")) message.erase(0, 8);
  if (message.starts_with("FATAL:  ")) message.erase(0, 8);
  return message.empty() ? "no answer from the server" : message;
}

}  // namespace

Errc error_code(std::string_view sqlstate) noexcept {
  if (sqlstate.size() != 5) return Errc::unavailable;  // no SQLSTATE: libpq's own (the connection)
  const std::string_view group = sqlstate.substr(0, 2);
  if (group == "08" || group == "40" || sqlstate == "55P03" || sqlstate == "57014" || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "53300") {
    return Errc::unavailable;  // connection, rollback (serialization, deadlock), lock, cancel, shutdown, too many
  }
  if (group == "23" || group == "22") return Errc::invalid_argument;
  if (sqlstate == "3D000") return Errc::not_found;
  if (group == "28") return Errc::invalid_argument;  // authentication: the location's credentials
  if (group == "42" || group == "0A" || group == "26" || group == "34") return Errc::internal;
  return Errc::io_error;  // 53 (disk full, memory), 58 (system), XX (internal), the rest
}

void Params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  lengths_.push_back(0);
  formats_.push_back(0);
}

void Params::add(std::int64_t number) { add(std::string_view(std::to_string(number))); }

void Params::add(std::optional<std::int64_t> number) {
  if (number) return add(*number);
  values_.emplace_back(std::nullopt);
  lengths_.push_back(0);
  formats_.push_back(0);
}

void Params::add(Bytes bytes) {
  values_.emplace_back(std::string(bytes.bytes));
  lengths_.push_back(static_cast<int>(bytes.bytes.size()));
  formats_.push_back(1);
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

bool Result::is_null(int row, int column) const noexcept {
  return !result_ || PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::text(int row, int column) const noexcept {
  if (is_null(row, column)) return {};
  return {PQgetvalue(result_.get(), row, column), static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::integer(int row, int column) const noexcept {
  const std::string_view value = text(row, column);
  std::int64_t number = 0;
  std::from_chars(value.data(), value.data() + value.size(), number);
  return number;
}

std::optional<std::int64_t> Result::optional_integer(int row, int column) const noexcept {
  if (is_null(row, column)) return std::nullopt;
  return integer(row, column);
}

std::string Result::bytes(int row, int column) const {
  // bytea's text form is \x followed by two hex digits a byte.
  const std::string_view value = text(row, column);
  std::string out;
  if (!value.starts_with("\\x")) return out;
  out.reserve((value.size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < value.size(); i += 2) {
    const int high = hex_digit_value(value[i]);
    const int low = hex_digit_value(value[i + 1]);
    if (high < 0 || low < 0) break;
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

std::int64_t Result::changes() const noexcept {
  if (!result_) return 0;
  const char* tuples = PQcmdTuples(result_.get());
  std::int64_t count = 0;
  std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), count);
  return count;
}

// libpq's message about a location, with the location's password (if it has one) taken out:
// its parse errors quote the part they could not read.
std::string scrubbed(std::string message, const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  std::string password;
  for (PQconninfoOption* option = options; option != nullptr && option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr) password = option->val;
  }
  if (options != nullptr) PQconninfoFree(options);
  // Unparsed, the location may be quoted as it is: nothing of it is shown then.
  if (options == nullptr) return "the location cannot be read (check its syntax; it is not shown, as it may hold a password)";
  for (std::size_t at; !password.empty() && (at = message.find(password)) != std::string::npos;) {
    message.replace(at, password.size(), "***");
  }
  return message;
}

expected<Connection> Connection::open(const std::string& uri, std::string shown) {
  // Defaults first: what the location itself says comes after them and wins. Keepalives, so
  // that a connection cut without a word (a partition) is found dead in about a minute.
  const char* keywords[] = {"application_name", "connect_timeout", "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {"outreach", "10", "30", "10", "3", "60000", uri.c_str(), nullptr};
  Connection connection;
  connection.shown_ = std::move(shown);
  connection.connection_.reset(PQconnectdbParams(keywords, values, 1));
  if (!connection.connection_) return fail(Errc::unavailable, "cannot connect: out of memory", Location::in(connection.shown_));
  if (PQstatus(connection.handle()) != CONNECTION_OK) {
    const std::string message = scrubbed(message_of(connection.handle(), nullptr), uri);
    // A database that does not exist, bad credentials or a bad location will not pass by waiting.
    Errc code = Errc::unavailable;
    if (message.find("does not exist") != std::string::npos) code = Errc::not_found;
    if (message.find("authentication failed") != std::string::npos || message.find("invalid ") != std::string::npos ||
        message.find("password") != std::string::npos) {
      code = Errc::invalid_argument;
    }
    return fail(code, "cannot connect: " + message, Location::in(connection.shown_));
  }
  return connection;
}

bool Connection::lost() const noexcept { return !connection_ || PQstatus(connection_.get()) != CONNECTION_OK; }

int Connection::socket() const noexcept { return connection_ ? PQsocket(connection_.get()) : -1; }

bool Connection::take_notifications() noexcept {
  if (lost() || PQconsumeInput(handle()) == 0) return false;
  bool any = false;
  while (PGnotify* notification = PQnotifies(handle())) {
    PQfreemem(notification);
    any = true;
  }
  return any;
}

Error Connection::error(std::string_view doing, const PGresult* result) const {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const Errc code = lost() ? Errc::unavailable : error_code(state != nullptr ? state : "");
  std::string message(doing);
  message += ": ";
  message += message_of(handle(), result);
  return Error(code, std::move(message), Location::in(shown_));
}

expected<Result> Connection::checked(PGresult* raw, std::string_view doing) const {
  Result result(raw);
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return fail(error(doing, raw));
}

expected<void> Connection::execute(const char* sql, std::string_view doing) {
  auto result = checked(PQexec(handle(), sql), doing);
  if (!result) return fail(result.error());
  return {};
}

expected<Result> Connection::simple(const char* sql, std::string_view doing) { return checked(PQexec(handle(), sql), doing); }

expected<Result> Connection::query(const char* sql, const Params& params, std::string_view doing) {
  const auto pointers = params.pointers();
  return checked(PQexecParams(handle(), sql, params.count(), nullptr, pointers.data(), params.lengths().data(),
                              params.formats().data(), 0),
                 doing);
}

expected<void> Connection::prepare(const std::vector<Prepared>& statements) {
  for (const Prepared& statement : statements) {
    auto prepared = checked(PQprepare(handle(), statement.name, statement.sql, 0, nullptr),
                            std::string("cannot prepare ") + statement.name);
    if (!prepared) return fail(prepared.error());
  }
  return {};
}

expected<Result> Connection::run(const char* name, const Params& params, std::string_view doing) {
  const auto pointers = params.pointers();
  return checked(PQexecPrepared(handle(), name, params.count(), pointers.data(), params.lengths().data(),
                                params.formats().data(), 0),
                 doing);
}

expected<std::vector<Result>> Connection::pipeline(const std::vector<Call>& calls) {
  PGconn* connection = handle();
  if (PQenterPipelineMode(connection) == 0) return fail(error("cannot start a pipeline", nullptr));
  bool sent = true;
  for (const Call& call : calls) {
    if (call.statement == nullptr) {
      sent = PQsendQueryParams(connection, call.sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 0;
    } else {
      const Params none;
      const Params& params = call.params != nullptr ? *call.params : none;
      const auto pointers = params.pointers();
      sent = PQsendQueryPrepared(connection, call.statement, params.count(), pointers.data(), params.lengths().data(),
                                 params.formats().data(), 0) != 0;
    }
    if (!sent) break;
  }
  // What was sent is answered up to the sync point, even after a statement that could not be.
  const bool synced = PQpipelineSync(connection) != 0;
  std::vector<Result> results;
  results.reserve(calls.size());
  std::optional<Error> first;
  bool reached = false;
  std::size_t answered = 0;
  std::size_t ends = 0;  // each statement's results end with a null, the sync point's do not
  while (synced && !reached) {
    PGresult* raw = PQgetResult(connection);
    if (raw == nullptr) {
      if (lost() || ++ends > calls.size()) break;
      continue;
    }
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(raw);
      reached = true;
    } else if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(raw);
      ++answered;
    } else {
      const std::string_view doing = answered < calls.size() ? calls[answered].doing : std::string_view("cannot run");
      auto result = checked(raw, doing);
      ++answered;
      if (result) {
        results.push_back(std::move(*result));
      } else if (!first) {
        first = result.error();
      }
    }
  }
  // A pipeline left with answers unread cannot be left: the connection is dropped (and opened
  // again by the store) rather than kept in a state every later call would fail in.
  if (!lost() && PQexitPipelineMode(connection) == 0) {
    Error stuck = error(calls.empty() ? std::string_view("cannot run") : calls.front().doing, nullptr);
    connection_.reset();
    return fail(Error(Errc::unavailable, stuck.message(), stuck.where()));
  }
  if (first) return fail(*first);
  if (!sent || !reached || results.size() != calls.size()) {
    return fail(error(calls.empty() ? std::string_view("cannot run") : calls.front().doing, nullptr));
  }
  return results;
}

}  // namespace outreach::detail::pg
