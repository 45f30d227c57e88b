#include "store_queries.hpp"

#include "retention.hpp"
#include "sqlite_statement.hpp"

#include <ipfs_common/time_format.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <map>

namespace telemetry_collector {

boost::json::object read_stats(sqlite_connection& conn, int days, clock_ms now) {
  sqlite3* db = conn.get();
  const std::int64_t first_day = now / k_day_ms - (days - 1);
  conn.exec("BEGIN");
  std::map<std::int64_t, boost::json::object> by_day;
  {
    statement st(db, "SELECT day, active_nodes FROM day_summary WHERE day >= ? ORDER BY day");
    st.bind(1, first_day);
    while (st.step()) {
      boost::json::object d;
      d["date"] = day_to_date(st.int64(0));
      d["active_nodes"] = st.int64(1);
      d["fields"] = boost::json::object{};
      by_day.emplace(st.int64(0), std::move(d));
    }
  }
  {
    // Folded again here: days aggregated (and sealed) by builds before the
    // fold may hold any number of values.
    std::map<std::pair<std::int64_t, std::string>, value_counts> per_field;
    statement st(db, "SELECT day, field, value, nodes FROM day_field_counts WHERE day >= ?");
    st.bind(1, first_day);
    while (st.step()) {
      if (!by_day.count(st.int64(0))) continue;
      per_field[{st.int64(0), std::string(st.text(1))}].emplace_back(std::string(st.text(2)), st.int64(3));
    }
    for (auto& [key, values] : per_field) {
      boost::json::object per_value;
      for (auto& [value, n] : fold_values(std::move(values))) per_value[value] = n;
      by_day[key.first]["fields"].as_object()[key.second] = std::move(per_value);
    }
  }
  conn.exec("COMMIT");
  boost::json::array out;
  for (auto& [day, d] : by_day) out.push_back(std::move(d));
  return boost::json::object{{"days", std::move(out)}};
}

std::int64_t active_nodes_since(sqlite_connection& conn, clock_ms since) {
  statement st(conn.get(), "SELECT count(DISTINCT uuid) FROM events WHERE day >= ? AND received_at >= ?");
  st.bind(1, since / k_day_ms);
  st.bind(2, since);
  return st.step() ? st.int64(0) : 0;
}

std::int64_t export_events(sqlite_connection& conn, std::int64_t after_id, int limit,
                           const std::function<void(std::string)>& emit) {
  statement st(conn.get(), "SELECT id, received_at, event FROM events WHERE id > ? ORDER BY id LIMIT ?");
  st.bind(1, after_id);
  st.bind(2, limit);
  const auto decoder = event_decoder::load(conn.get());
  std::int64_t last = after_id;
  while (st.step()) {
    last = st.int64(0);
    boost::json::object line;
    line["received_at"] = ipfs_common::rfc3339_utc(std::chrono::system_clock::time_point{
        std::chrono::milliseconds{st.int64(1)}});
    line["event"] = decoder.decode(st.text(2));
    emit(boost::json::serialize(line) + "\n");
  }
  return last;
}

clock_ms parse_rfc3339_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00|-00:00)
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' ||
      !digits(17, 2, se))
    return -1;
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100, n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return -1;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") return -1;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return -1;
  const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + milliseconds{ms};
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

import_line parse_import_line(std::string_view line, const schema_validator& validator) {
  import_line out;
  boost::system::error_code ec;
  boost::json::parse_options po;
  po.max_depth = 16;
  auto doc = boost::json::parse(line, ec, {}, po);
  if (ec) {
    out.error = "malformed JSON: " + ec.message();
    return out;
  }
  const auto* obj = doc.if_object();
  if (!obj || obj->size() != 2 || !obj->contains("received_at") || !obj->contains("event")) {
    out.error = R"(expected exactly {"received_at": "<RFC 3339 UTC>", "event": {...}})";
    return out;
  }
  const auto* at = obj->at("received_at").if_string();
  const clock_ms t = at ? parse_rfc3339_utc(*at) : -1;
  if (t < 0) {
    out.error = "received_at: expected an RFC 3339 time in UTC such as 2026-11-22T10:00:00Z";
    return out;
  }
  const auto& event = obj->at("event");
  if (auto err = validator.validate(event)) {
    out.error = "event: invalid field \"" + err->field + "\": " + err->message;
    return out;
  }
  out.event.received_at = t;
  out.event.uuid = std::string(event.at("uuid").as_string());
  out.event.event_json = boost::json::serialize(event);
  return out;
}

}  // namespace telemetry_collector
