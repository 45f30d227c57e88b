#include "pg_connection.hpp"

namespace telemetry_collector::pg {

namespace {

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return s;
}

}  // namespace

connection::connection(const std::string& uri, const std::string& application_name) {
  // Keywords before "dbname" are defaults the URI may override; those after
  // it override the URI (expand_dbname: the URI is read at its position).
  const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "dbname", "application_name", nullptr};
  const char* values[] = {"2", "1", "5", "1", "3", "5000", uri.c_str(), application_name.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (!conn_) throw error("out of memory", true, "");
  if (PQstatus(conn_.get()) != CONNECTION_OK) throw error(message(), true, "");
  // NOTICEs ("already exists, skipping") are not for the collector's log.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
}

bool connection::alive() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

bool connection::poll_closed() {
  if (!alive()) return false;
  // Non-blocking: reads only what is already in the socket.
  if (PQconsumeInput(conn_.get()) == 0) return false;
  return alive();
}

std::string connection::message() const { return one_line(PQerrorMessage(conn_.get())); }

result connection::check(PGresult* raw, std::string_view what) {
  result r(raw);
  const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = r ? one_line(PQresultErrorMessage(r.get())) : message();
  if (msg.empty()) msg = message();
  // A result without SQLSTATE, or a session no longer OK, is a lost
  // connection: the statement's outcome (a COMMIT's included) is unknown.
  const bool lost = !alive() || !state;
  throw error(std::string(what.substr(0, 60)) + ": " + msg, lost, state ? state : "");
}

void connection::exec(const char* sql) { check(PQexec(conn_.get(), sql), sql); }

result connection::query(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                            nullptr, nullptr, 0),
               sql);
}

std::optional<std::string> connection::value(const std::string& sql,
                                             const std::vector<std::optional<std::string>>& params) {
  auto r = query(sql, params);
  if (PQntuples(r.get()) == 0 || PQnfields(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0));
}

std::string quote_ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace telemetry_collector::pg
