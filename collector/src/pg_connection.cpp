#include "pg_connection.hpp"

#include <algorithm>

namespace telemetry_collector::pg {

namespace {

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return s;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lenient: a bad escape stays as written.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void add_secret(std::vector<std::string>& out, std::string s) {
  if (s.empty()) return;
  if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
}

}  // namespace

std::vector<std::string> uri_secrets(const std::string& uri) {
  std::vector<std::string> out;
  // As written: userinfo "user:password@" after the scheme...
  const auto scheme = uri.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = uri.find_first_of("/?", start);
    const auto authority = uri.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const auto at = authority.rfind('@');
    if (at != std::string::npos) {
      const auto colon = authority.find(':');
      if (colon != std::string::npos && colon < at) {
        const auto raw = authority.substr(colon + 1, at - colon - 1);
        add_secret(out, raw);
        add_secret(out, percent_decode(raw));
      }
    }
  }
  // ...and a password= parameter.
  for (std::size_t p = uri.find("password="); p != std::string::npos; p = uri.find("password=", p + 1)) {
    if (p > 0 && uri[p - 1] != '?' && uri[p - 1] != '&' && uri[p - 1] != ' ') continue;
    const auto start = p + 9;
    const auto raw = uri.substr(start, uri.find_first_of("& ", start) - start);
    add_secret(out, raw);
    add_secret(out, percent_decode(raw));
  }
  // libpq's own reading, where it can read the URI.
  char* err = nullptr;
  if (PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err)) {
    for (auto* o = opts; o->keyword; ++o)
      if (std::string_view(o->keyword) == "password" && o->val) add_secret(out, o->val);
    PQconninfoFree(opts);
  }
  if (err) PQfreemem(err);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

std::string scrub(std::string s, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets)
    for (auto p = s.find(secret); p != std::string::npos; p = s.find(secret, p + 4)) s.replace(p, secret.size(), "****");
  return s;
}

connection::connection(const std::string& uri, const std::string& application_name) : secrets_(uri_secrets(uri)) {
  // Keywords before "dbname" are defaults the URI may override; those after
  // it override the URI (expand_dbname: the URI is read at its position).
  const char* keys[] = {"connect_timeout",  "keepalives",       "keepalives_idle",      "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "target_session_attrs", "dbname",
                        "application_name", "client_encoding",  nullptr};
  const char* values[] = {"2", "1", "5", "1", "3", "5000", "read-write", uri.c_str(), application_name.c_str(), "UTF8",
                          nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (!conn_) throw error("out of memory", true, "");
  if (PQstatus(conn_.get()) != CONNECTION_OK) throw error(message(), true, "");
  // NOTICEs ("already exists, skipping") are not for the collector's log.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  cancel_ = PQgetCancel(conn_.get());
}

connection::~connection() {
  std::lock_guard lk(cancel_mutex_);
  if (cancel_) PQfreeCancel(cancel_);
  cancel_ = nullptr;
}

void connection::cancel() {
  std::lock_guard lk(cancel_mutex_);
  char buf[256];
  if (cancel_) PQcancel(cancel_, buf, sizeof buf);
}

bool connection::alive() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

bool connection::poll_closed() {
  if (!alive()) return false;
  // Non-blocking: reads only what is already in the socket.
  if (PQconsumeInput(conn_.get()) == 0) return false;
  return alive();
}

std::string connection::message() const { return scrub(one_line(PQerrorMessage(conn_.get())), secrets_); }

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
  throw error(scrub(std::string(what.substr(0, 60)) + ": " + msg, secrets_), lost, state ? state : "");
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

result connection::execute(const char* name, const std::string& sql,
                           const std::vector<std::optional<std::string>>& params) {
  if (std::find(prepared_.begin(), prepared_.end(), name) == prepared_.end()) {
    check(PQprepare(conn_.get(), name, sql.c_str(), 0, nullptr), sql);
    prepared_.emplace_back(name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecPrepared(conn_.get(), name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0),
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

std::string quote_literal(std::string_view s) {
  const bool backslash = s.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (char c : s) {
    if (c == '\'' || (backslash && c == '\\')) out += c;
    out += c;
  }
  return out + "'";
}

}  // namespace telemetry_collector::pg
