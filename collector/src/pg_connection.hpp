#pragma once
// A libpq connection for the PostgreSQL engine (pg_store.cpp), and the
// little it needs around one: results that free themselves, statements with
// text parameters, and errors that say whether the connection itself is gone.
//
// Secrets: libpq's own messages may quote the connection string (a bad
// percent-escape, say), password included. Every message that leaves this
// file (pg::error::what(), message()) has each form of the password that
// the URI carries (raw and percent-decoded, userinfo or password=) replaced
// by "****". The caller adds the redacted URI where it names the database.
//
// Thread safety: a connection is used by one thread at a time, except
// cancel(), which any thread may call while another runs a statement.

#include <libpq-fe.h>

#include <memory>
#include <mutex>
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

// Every form of the password found in `uri` (userinfo or a password=
// parameter; as written and percent-decoded), longest first. Works on a URI
// libpq refuses to parse too.
std::vector<std::string> uri_secrets(const std::string& uri);
// `s` with each of `secrets` replaced by "****".
std::string scrub(std::string s, const std::vector<std::string>& secrets);

// Timeouts that keep a dead database from holding anyone up for long: a
// connect gives up after 2 s (libpq's minimum), and a session whose peer
// vanished (network cut) is declared dead after ~5 s of unanswered TCP.
// target_session_attrs=read-write by default, so that a multi-host URI finds
// the primary. The URI may set its own values of these; application_name
// and client_encoding (UTF8) are always ours, since the maintenance lock's
// holder is reported by the one, and the text columns are UTF-8.
class connection {
 public:
  // Throws pg::error (connection_lost) with libpq's reason, scrubbed.
  connection(const std::string& uri, const std::string& application_name);
  ~connection();
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

  // Asks the server to cancel the statement running now (if any): it then
  // fails with SQLSTATE 57014. Any thread; no effect once the session is gone.
  void cancel();

  // Runs statements without parameters (several allowed). Throws pg::error.
  void exec(const char* sql);
  void exec(const std::string& sql) { exec(sql.c_str()); }
  // One statement with text parameters (nullopt: NULL). Throws pg::error.
  result query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  // Runs `sql` as the named prepared statement of this session, preparing
  // it (parsed and analysed once) at its first use. Throws pg::error.
  result execute(const char* name, const std::string& sql, const std::vector<std::optional<std::string>>& params);
  // The first column of the first row, nullopt for NULL or no row.
  std::optional<std::string> value(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});

  // libpq's last message on one line, scrubbed.
  std::string message() const;

 private:
  result check(PGresult* r, std::string_view what);

  struct finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::vector<std::string> secrets_;
  std::vector<std::string> prepared_;  // names of the statements prepared on this session
  std::unique_ptr<PGconn, finish> conn_;
  std::mutex cancel_mutex_;
  PGcancel* cancel_ = nullptr;  // with cancel_mutex_
};

// A string as a SQL identifier or literal, for the DDL that cannot take
// parameters (partition bounds, column names from the schema).
std::string quote_ident(std::string_view s);
// A standard-conforming string literal: '...' with ' doubled (a string with
// a backslash becomes E'...' with it doubled, whatever
// standard_conforming_strings says).
std::string quote_literal(std::string_view s);

}  // namespace telemetry_collector::pg
