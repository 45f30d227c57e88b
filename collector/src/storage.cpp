#include "storage.hpp"

#include "pg_store.hpp"
#include "sqlite_store.hpp"

#include <ipfs_common/time_format.hpp>

#include <boost/json/serialize.hpp>

#include <sys/stat.h>

#include <stdexcept>

namespace telemetry_collector {

clock_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

boost::json::object event_object(const event_row& row) { return to_object(row.values); }

event_row make_row(const boost::json::object& event, const std::vector<std::string>& fields, clock_ms received_at) {
  event_row row;
  row.received_at = received_at;
  if (const auto* uuid = event.if_contains("uuid"); uuid && uuid->is_string()) row.uuid = uuid->get_string();
  row.values = flat_event::from_object(event, fields);
  return row;
}

std::string export_line(clock_ms received_at, const boost::json::object& event) {
  boost::json::object line;
  line["received_at"] =
      ipfs_common::rfc3339_utc(std::chrono::system_clock::time_point{std::chrono::milliseconds{received_at}});
  line["event"] = event;
  return boost::json::serialize(line) + "\n";
}

bool is_postgresql_uri(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::string redact_db(std::string_view db) {
  if (!is_postgresql_uri(db)) return std::string(db);
  std::string out(db);
  const std::size_t authority = out.find("://") + 3;
  // As libpq reads a URI: the userinfo is what comes before an '@' met
  // before any '/' (so a password may hold '?', '#' or ':' unencoded, not '/').
  const std::size_t end = out.find_first_of("@/", authority);
  if (end != std::string::npos && out[end] == '@') {
    const std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < end) out.replace(colon + 1, end - colon - 1, "****");
  }
  // password=... among the query's parameters (after the host part).
  const std::size_t host = out.find_first_of("@/", authority) == std::string::npos
                               ? authority
                               : out.find_first_of("@/", authority) + 1;
  for (std::size_t pos = out.find('?', host); pos != std::string::npos && pos < out.size();) {
    const std::size_t start = pos + 1;
    std::size_t stop = out.find('&', start);
    if (stop == std::string::npos) stop = out.size();
    constexpr std::string_view key = "password=";
    if (std::string_view(out).substr(start, key.size()) == key) {
      out.replace(start + key.size(), stop - start - key.size(), "****");
      stop = start + key.size() + 4;
    }
    pos = stop < out.size() ? stop : std::string::npos;
  }
  return out;
}

std::unique_ptr<storage> open_storage(const std::string& db, storage_options opts, bool must_exist) {
  if (is_postgresql_uri(db)) return open_pg_store(db, std::move(opts), must_exist);
  if (must_exist) {
    struct stat st {};
    if (::stat(db.c_str(), &st) != 0) throw no_such_database("--db " + db + ": no such database");
  }
  return std::make_unique<sqlite_store>(db, std::move(opts));
}

}  // namespace telemetry_collector
