#pragma once
// A libpq connection for the PostgreSQL engine (pg_store.cpp), and the
// little it needs around one: results that free themselves, statements with
// text parameters, and errors that say whether the connection itself is gone.
//
// No error message built here holds the URI: libpq's own messages name the
// host and port but never the password, and the caller adds the redacted URI.
//
// Thread safety: a connection is used by one thread at a time.

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector::pg {

struct result_clear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result = std::unique_ptr<PGresult, result_clear>;

// A failed statement or connection. `connection_lost`: the session is gone
// (server down, network cut, the outcome of a COMMIT unknown); otherwise the
// statement failed on a live session (`sqlstate` says why, "" if unknown).
class error : public std::runtime_error {
 public:
  error(std::string what, bool connection_lost, std::string sqlstate)
      : std::runtime_error(std::move(what)), connection_lost_(connection_lost), sqlstate_(std::move(sqlstate)) {}
  bool connection_lost() const { return connection_lost_; }
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  bool connection_lost_;
  std::string sqlstate_;
};

// Timeouts that keep a dead database from holding anyone up for long: a
// connect gives up after 2 s (libpq's minimum), and a session whose peer
// vanished (network cut) is declared dead after ~5 s of unanswered TCP.
// The URI may set its own values of these; application_name is always ours,
// since the maintenance lock's holder is reported by it.
class connection {
 public:
  // Throws pg::error (connection_lost) with libpq's reason.
  connection(const std::string& uri, const std::string& application_name);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  PGconn* get() const { return conn_.get(); }
  // False once libpq has seen the session end (after a failure, or
  // poll_closed()).
  bool alive() const;
  // Reads whatever the server sent an idle session, without blocking: a
  // server shutting down says so, and the session is then seen closed.
  // False when the session is gone.
  bool poll_closed();

  // Runs statements without parameters (several allowed). Throws pg::error.
  void exec(const char* sql);
  // One statement with text parameters (nullopt: NULL). Throws pg::error.
  result query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  // The first column of the first row, nullopt for NULL or no row.
  std::optional<std::string> value(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});

  // libpq's last message on one line.
  std::string message() const;

 private:
  result check(PGresult* r, std::string_view what);

  struct finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, finish> conn_;
};

// A string as a SQL identifier or literal, for the DDL that cannot take
// parameters (partition bounds, column names from the schema).
std::string quote_ident(std::string_view s);

}  // namespace telemetry_collector::pg
