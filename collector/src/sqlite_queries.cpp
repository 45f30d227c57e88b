#include "sqlite_queries.hpp"

#include "schema_validator.hpp"

#include "retention.hpp"
#include "sqlite_statement.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

namespace telemetry_collector {

boost::json::object read_stats(sqlite_connection& conn, int days, clock_ms now) {
  sqlite3* db = conn.get();
  const std::int64_t last_day = now / k_day_ms;  // a day to come (a clock ahead, an import) is not shown yet
  const std::int64_t first_day = last_day - (days - 1);
  conn.exec("BEGIN");
  std::map<std::int64_t, boost::json::object> by_day;
  {
    statement st(db, "SELECT day, active_nodes FROM day_summary WHERE day >= ? AND day <= ? ORDER BY day");
    st.bind(1, first_day);
    st.bind(2, last_day);
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
    statement st(db, "SELECT day, field, value, nodes FROM day_field_counts WHERE day >= ? AND day <= ?");
    st.bind(1, first_day);
    st.bind(2, last_day);
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
    emit(export_line(st.int64(1), decoder.decode(st.text(2))));
  }
  return last;
}

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

struct day_state {
  std::int64_t rows = 0;
  std::int64_t max_id = 0;
};

struct computed_day {
  std::int64_t day = 0;
  day_state state;
  std::int64_t active_nodes = 0;
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
};

// nullopt when cancelled midway.
std::optional<computed_day> compute_day(sqlite3* db, std::int64_t day, day_state state,
                                        const std::atomic<bool>* cancel) {
  computed_day out;
  out.day = day;
  out.state = state;
  // SQLite: with max(), the bare columns come from the row holding the maximum,
  // so this is each node's last event of the day.
  statement st(db, "SELECT uuid, event, max(id) FROM events WHERE day = ? AND id <= ? GROUP BY uuid");
  st.bind(1, day);
  st.bind(2, state.max_id);
  const auto decoder = event_decoder::load(db);
  while (st.step()) {
    if (out.active_nodes % 4096 == 0 && cancelled(cancel)) return std::nullopt;
    ++out.active_nodes;
    boost::json::object event;
    try {
      event = decoder.decode(st.text(1));
    } catch (const std::runtime_error&) {
      continue;  // cannot happen: only validated events are stored
    }
    for (const auto& kv : event) {
      if (kv.key() == "uuid") continue;
      ++out.counts[{std::string(kv.key()), aggregate_value_text(kv.value())}];
    }
  }
  // Bounded before it is written: the write job (which holds the writer,
  // and so every POST) and every later read of the day stay small.
  std::map<std::string, value_counts> by_field;
  for (auto& [key, n] : out.counts) by_field[key.first].emplace_back(key.second, n);
  out.counts.clear();
  for (auto& [field, values] : complete_day_counts(std::move(by_field), out.active_nodes, log_event_fields()))
    for (auto& [value, n] : values) out.counts[{field, std::move(value)}] = n;
  return out;
}

bool write_day(sqlite3* db, const computed_day& d) {
  {
    statement sealed(db, "SELECT sealed FROM day_summary WHERE day = ?");
    sealed.bind(1, d.day);
    if (sealed.step() && sealed.int64(0) != 0) return true;  // final already
  }
  statement del(db, "DELETE FROM day_field_counts WHERE day = ?");
  del.bind(1, d.day);
  del.step_done();
  statement ins(db, "INSERT INTO day_field_counts(day, field, value, nodes) VALUES(?, ?, ?, ?)");
  for (const auto& [key, n] : d.counts) {
    ins.reset();
    ins.bind(1, d.day);
    ins.bind(2, key.first);
    ins.bind(3, key.second);
    ins.bind(4, n);
    ins.step_done();
  }
  statement sum(db,
                "INSERT INTO day_summary(day, active_nodes, raw_rows, max_id, sealed) VALUES(?, ?, ?, ?, 0) "
                "ON CONFLICT(day) DO UPDATE SET active_nodes = excluded.active_nodes, "
                "raw_rows = excluded.raw_rows, max_id = excluded.max_id");
  sum.bind(1, d.day);
  sum.bind(2, d.active_nodes);
  sum.bind(3, d.state.rows);
  sum.bind(4, d.state.max_id);
  sum.step_done();
  return true;
}

}  // namespace

int aggregate_changed_days(sqlite_store& store, const std::atomic<bool>* cancel) {
  std::vector<computed_day> computed;
  {
    auto reader = store.reader();
    sqlite3* db = reader->get();
    reader->exec("BEGIN");  // one snapshot for the comparison and the counts
    std::map<std::int64_t, day_state> raw;
    {
      statement st(db, "SELECT day, count(*), max(id) FROM events GROUP BY day");
      while (st.step()) raw[st.int64(0)] = day_state{st.int64(1), st.int64(2)};
    }
    std::map<std::int64_t, std::tuple<std::int64_t, std::int64_t, bool>> known;
    {
      statement st(db, "SELECT day, raw_rows, max_id, sealed FROM day_summary");
      while (st.step()) known[st.int64(0)] = {st.int64(1), st.int64(2), st.int64(3) != 0};
    }
    for (const auto& [day, state] : raw) {
      auto it = known.find(day);
      if (it != known.end()) {
        const auto& [rows, max_id, sealed] = it->second;
        if (sealed || (rows == state.rows && max_id == state.max_id)) continue;
      }
      if (cancelled(cancel)) break;
      auto d = compute_day(db, day, state, cancel);
      if (!d) break;
      computed.push_back(std::move(*d));
    }
    reader->exec("COMMIT");
  }
  int written = 0;
  for (const auto& d : computed)
    if (store.run_sync([&d](sqlite3* db) { return write_day(db, d); })) ++written;
  return written;
}

maintenance_report delete_expired(sqlite_store& store, int retention_days, clock_ms now, int chunk,
                                  const std::atomic<bool>* cancel, std::chrono::milliseconds pause) {
  maintenance_report report;
  const std::int64_t kept_from = first_kept_day(now, retention_days);
  std::vector<std::int64_t> days;
  std::set<std::int64_t> aggregated;
  {
    auto reader = store.reader();
    statement st(reader->get(), "SELECT DISTINCT day FROM events WHERE day < ?");
    st.bind(1, kept_from);
    while (st.step()) days.push_back(st.int64(0));
    statement sum(reader->get(), "SELECT day FROM day_summary WHERE day < ?");
    sum.bind(1, kept_from);
    while (sum.step()) aggregated.insert(sum.int64(0));
  }
  for (std::int64_t day : days) {
    if (!aggregated.count(day)) {
      ++report.days_skipped;
      continue;
    }
    for (;;) {
      if (cancelled(cancel)) return report;
      std::int64_t deleted = 0;
      const bool ok = store.run_sync([&](sqlite3* db) {
        statement seal(db, "UPDATE day_summary SET sealed = 1 WHERE day = ?");
        seal.bind(1, day);
        seal.step_done();
        statement del(db, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE day = ? LIMIT ?)");
        del.bind(1, day);
        del.bind(2, chunk);
        del.step_done();
        deleted = sqlite3_changes(db);
        return true;
      });
      if (!ok) return report;  // the store is closing or failing; the next pass resumes
      report.rows_deleted += deleted;
      if (deleted < chunk) break;
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
  }
  return report;
}

maintenance_report run_maintenance(sqlite_store& store, int retention_days, clock_ms now,
                                   const std::atomic<bool>* cancel, std::chrono::milliseconds pause) {
  const int aggregated = aggregate_changed_days(store, cancel);
  auto report = delete_expired(store, retention_days, now, 250, cancel, pause);
  report.days_aggregated = aggregated;
  return report;
}

}  // namespace telemetry_collector
