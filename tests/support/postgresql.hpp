// A real PostgreSQL server for the C++ tests: the one the test run started
// (OUTREACH_TEST_POSTGRESQL names its maintenance database, see tests/CMakeLists.txt), or else
// one started for this process by tests/support/postgresql_server.py and stopped at its end.
// Each test takes a fresh database of its own, dropped when it ends.
#pragma once

#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace outreach::testing {

namespace postgresql_detail {

// The server this process started, stopped when the process ends.
struct OwnServer {
  std::string folder;
  std::string uri;
  OwnServer() {
    const std::string command = std::string("/usr/bin/python3 ") + OUTREACH_SOURCE_DIR +
                                "/tests/support/postgresql_server.py start";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    REQUIRE_MESSAGE(pipe != nullptr, "cannot start PostgreSQL");
    std::string output;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
    // {"dir": "...", "uri": "..."}
    const auto value = [&](const std::string& key) {
      const auto at = output.find("\"" + key + "\": \"");
      if (at == std::string::npos) return std::string();
      const auto start = at + key.size() + 5;
      return output.substr(start, output.find('"', start) - start);
    };
    folder = value("dir");
    uri = value("uri");
    REQUIRE_MESSAGE(!uri.empty(), "PostgreSQL did not start: " << output);
  }
  ~OwnServer() {
    const std::string command = std::string("/usr/bin/python3 ") + OUTREACH_SOURCE_DIR +
                                "/tests/support/postgresql_server.py stop --dir " + folder + " >/dev/null";
    [[maybe_unused]] const int ignored = std::system(command.c_str());
  }
};

// Runs SQL on the maintenance database; the server's message when it fails.
inline std::string run_sql(const std::string& uri, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> connection(PQconnectdb(uri.c_str()), PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) return PQerrorMessage(connection.get());
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(connection.get(), sql.c_str()), PQclear);
  const auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return "";
  return PQresultErrorMessage(result.get());
}

}  // namespace postgresql_detail

// The URI of the server's maintenance database.
inline const std::string& postgresql_server() {
  static const std::string uri = [] {
    if (const char* given = std::getenv("OUTREACH_TEST_POSTGRESQL"); given != nullptr && *given != '\0') {
      return std::string(given);
    }
    static postgresql_detail::OwnServer server;
    return server.uri;
  }();
  return uri;
}

// The URI of a database on the test server: `postgresql://postgres@/NAME?host=FOLDER`.
inline std::string postgresql_database_uri(const std::string& name) {
  std::string uri = postgresql_server();
  const auto slash = uri.find("@/") + 2;
  uri.replace(slash, uri.find('?', slash) - slash, name);
  return uri;
}

// A fresh empty database on the test server, dropped (with any connection left) at the end.
class PostgresqlDatabase {
 public:
  PostgresqlDatabase() {
    static int count = 0;
    name_ = "t" + std::to_string(getpid()) + "_" + std::to_string(++count);
    const std::string error = postgresql_detail::run_sql(postgresql_server(), "CREATE DATABASE " + name_);
    REQUIRE_MESSAGE(error.empty(), "cannot create a test database: " << error);
    uri_ = postgresql_database_uri(name_);
  }
  ~PostgresqlDatabase() { postgresql_detail::run_sql(postgresql_server(), "DROP DATABASE " + name_ + " WITH (FORCE)"); }
  PostgresqlDatabase(const PostgresqlDatabase&) = delete;
  PostgresqlDatabase& operator=(const PostgresqlDatabase&) = delete;

  [[nodiscard]] const std::string& uri() const { return uri_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  // Runs SQL on this database; empty when it worked, else the server's message.
  [[nodiscard]] std::string run(const std::string& sql) const { return postgresql_detail::run_sql(uri_, sql); }

 private:
  std::string name_;
  std::string uri_;
};

}  // namespace outreach::testing
