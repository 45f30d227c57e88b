#include "pg_store.hpp"

#include "pg_connection.hpp"
#include "retention.hpp"
#include "schema_validator.hpp"

#include <boost/json/parse.hpp>

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace telemetry_collector {

namespace {

constexpr int k_lock_space = k_pg_lock_space;
constexpr int k_maintenance_lock = k_pg_maintenance_lock;
constexpr int k_migration_lock = k_pg_migration_lock;

// Partitions exist for today and this many days ahead, so ingest never
// waits for DDL (a CREATE ... PARTITION OF locks the parent table).
constexpr int k_days_ahead = 3;

using params = std::vector<std::optional<std::string>>;

// One typed column per payload property. Stored in a different order than
// the schema's (8-byte integers first, then the uuid, booleans and texts), so
// that no padding for alignment sits between the columns of a row.
struct column {
  enum class kind { integer, uuid, boolean, text } k = kind::text;
  std::string name;
  std::size_t field = 0;  // index in log_event_fields()
};

const char* sql_type(column::kind k) {
  switch (k) {
    case column::kind::integer: return "bigint";
    case column::kind::uuid: return "uuid";
    case column::kind::boolean: return "boolean";
    case column::kind::text: return "text";
  }
  return "text";
}

// From the embedded payload schema, at run time: each property's "type"
// (string, integer, boolean); the property "uuid" is a uuid.
std::vector<column> schema_columns() {
  const auto schema = boost::json::parse(log_event_schema_text()).as_object();
  const auto& props = schema.at("properties").as_object();
  const auto& fields = log_event_fields();
  std::vector<column> out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto* type = props.at(fields[i]).as_object().if_contains("type");
    const std::string t = type && type->is_string() ? std::string(type->as_string()) : "";
    column c;
    c.name = fields[i];
    c.field = i;
    if (fields[i] == "uuid")
      c.k = column::kind::uuid;
    else if (t == "integer")
      c.k = column::kind::integer;
    else if (t == "boolean")
      c.k = column::kind::boolean;
    else if (t == "string")
      c.k = column::kind::text;
    else
      throw std::runtime_error("payload schema: property \"" + fields[i] + "\" has type \"" + t +
                               "\"; the PostgreSQL engine stores string, integer and boolean");
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const column& a, const column& b) { return a.k < b.k; });
  return out;
}

std::string partition_name(std::int64_t day) {
  std::string d = day_to_date(day);
  std::erase(d, '-');
  return "events_" + d;
}

std::string day_start(std::int64_t day) { return "'" + day_to_date(day) + " 00:00:00+00'"; }

// An element of a PostgreSQL array literal: quoted, \ and " escaped.
void append_array_text(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string application_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string name = "telemetry-collector pid " + std::to_string(::getpid()) + " on " + host;
  if (name.size() > 63) name.resize(63);  // NAMEDATALEN - 1
  return name;
}

std::int64_t to_int64(const char* s) {
  std::int64_t v = 0;
  std::from_chars(s, s + std::strlen(s), v);
  return v;
}

class pg_store;

class pg_export_cursor final : public export_cursor {
 public:
  pg_export_cursor(std::unique_ptr<pg::connection> conn, const std::vector<column>& columns, std::string select)
      : conn_(std::move(conn)), columns_(columns) {
    // Members in the schema's order, as event_object() gives them.
    for (std::size_t k = 0; k < columns_.size(); ++k) order_.push_back(k);
    std::sort(order_.begin(), order_.end(),
              [&](std::size_t a, std::size_t b) { return columns_[a].field < columns_[b].field; });
    // One snapshot for the whole export; a server-side cursor, so the rows
    // come a page at a time.
    conn_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    conn_->exec(("DECLARE export_rows NO SCROLL CURSOR FOR " + select).c_str());
  }
  bool next(int limit, std::string& out) override {
    if (done_) return false;
    pg::result r;
    try {
      r = conn_->query("FETCH " + std::to_string(std::max(1, limit)) + " FROM export_rows");
    } catch (const pg::error& e) {
      throw std::runtime_error(std::string("PostgreSQL: export: ") + e.what());
    }
    const int n = PQntuples(r.get());
    if (n == 0) {
      done_ = true;
      return false;
    }
    for (int i = 0; i < n; ++i) {
      boost::json::object event;
      event.reserve(order_.size());
      for (std::size_t k : order_) {
        const column& c = columns_[k];
        const int col = 1 + static_cast<int>(k);
        if (PQgetisnull(r.get(), i, col)) continue;
        const char* v = PQgetvalue(r.get(), i, col);
        switch (c.k) {
          case column::kind::integer: event[c.name] = to_int64(v); break;
          case column::kind::boolean: event[c.name] = v[0] == 't'; break;
          default: event[c.name] = v; break;
        }
      }
      out += export_line(to_int64(PQgetvalue(r.get(), i, 0)), event);
    }
    return true;
  }

 private:
  std::unique_ptr<pg::connection> conn_;
  const std::vector<column>& columns_;
  std::vector<std::size_t> order_;  // indexes into columns_, by schema order
  bool done_ = false;
};

class pg_store final : public storage {
 public:
  pg_store(std::string uri, storage_options opts);
  ~pg_store() override { close(); }

  std::string_view engine() const override { return "postgresql"; }
  const std::string& description() const override { return description_; }

  void insert(event_row e, done_fn done) override {
    job j;
    j.row = std::move(e);
    j.done = std::move(done);
    enqueue(std::move(j));
  }
  void erase(std::string uuid, erase_fn done) override {
    job j;
    j.erase = true;
    j.uuid = std::move(uuid);
    j.erased = std::move(done);
    enqueue(std::move(j));
  }
  void set_completion_hooks(completion_hooks hooks) override { hooks_ = std::move(hooks); }

  bool import_events(std::vector<event_row> events) override;
  boost::json::object read_stats(int days, clock_ms now) override;
  std::int64_t active_nodes_since(clock_ms since) override;
  std::unique_ptr<export_cursor> open_export() override;
  maintenance_report run_maintenance(const maintenance_request& request) override;

  std::optional<std::string> problem() override {
    std::lock_guard lk(health_mutex_);
    return problem_;
  }
  bool problem_may_clear() override { return true; }  // an outage ends; the writer reconnects
  bool probe_write() override;
  std::chrono::seconds retry_after() const override { return std::chrono::seconds(2); }
  std::uint64_t disk_bytes() override { return disk_bytes_.load(); }
  std::uint64_t batches_committed() const override { return batches_.load(); }
  void close() override;

 private:
  struct job {
    bool erase = false;
    event_row row;     // insert
    std::string uuid;  // erase
    done_fn done;
    erase_fn erased;
    std::int64_t deleted = 0;
  };

  void enqueue(job j);
  void writer_loop();
  // Runs `batch` in one transaction; throws pg::error.
  void run_batch(std::vector<job>& batch);
  void complete(std::vector<job>& batch, bool ok);
  // Creates the day partitions missing for `days` (each in a transaction of
  // its own, before the batch's). `known` caches the days seen to exist.
  void ensure_partitions(pg::connection& c, const std::set<std::int64_t>& days, std::set<std::int64_t>& known);
  std::string insert_sql() const;
  // The batch's events as one array literal per column.
  params insert_params(const std::vector<const event_row*>& rows) const;

  std::unique_ptr<pg::connection> connect(std::string_view purpose);
  void prepare_session(pg::connection& c);
  void migrate(pg::connection& c);
  void refresh_disk_bytes(pg::connection& c);
  // Records the writer's health and logs each change once.
  void set_problem(std::optional<std::string> p);

  std::string uri_, description_, app_name_;
  storage_options opts_;
  std::vector<column> columns_;
  std::string insert_sql_;
  completion_hooks hooks_;

  std::mutex close_mutex_;  // close() runs once at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool closing_ = false;
  bool reconnect_now_ = false;  // with mutex_: a probe found the database back
  std::thread writer_;
  std::unique_ptr<pg::connection> writer_conn_;  // writer thread only (and the constructor before it)
  std::set<std::int64_t> writer_days_;           // writer thread only: days with a partition

  std::atomic<bool> available_{true};  // the writer has a session: the fast check on insert()
  std::mutex health_mutex_;
  std::optional<std::string> problem_;  // with health_mutex_
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> disk_bytes_{0};
  bool warned_synchronous_commit_ = false;  // with mutex_
};

pg_store::pg_store(std::string uri, storage_options opts)
    : uri_(std::move(uri)),
      description_(redact_db(uri_)),
      app_name_(application_name()),
      opts_(std::move(opts)),
      columns_(schema_columns()) {
  insert_sql_ = insert_sql();
  writer_conn_ = connect("connect");
  migrate(*writer_conn_);
  refresh_disk_bytes(*writer_conn_);
  writer_ = std::thread([this] { writer_loop(); });
}

std::unique_ptr<pg::connection> pg_store::connect(std::string_view purpose) {
  std::unique_ptr<pg::connection> c;
  try {
    c = std::make_unique<pg::connection>(uri_, app_name_);
    prepare_session(*c);
  } catch (const pg::error& e) {
    throw pg::error("--db " + description_ + ": " + std::string(purpose) + ": " + e.what(), true, e.sqlstate());
  }
  return c;
}

// A 2xx promises a commit that survives a crash of the database server:
// a session with synchronous_commit=off would acknowledge commits that are
// not flushed yet. "local", "remote_write", "on" and "remote_apply" all wait
// for the local WAL flush, so only "off" is raised (to "on") for our own
// sessions, loudly, once; a stronger setting (a synchronous standby) is kept.
// fsync=off cannot be fixed per session: it is logged as loudly, and not
// refused, since it is the server operator's explicit choice.
void pg_store::prepare_session(pg::connection& c) {
  const auto sc = c.value("SHOW synchronous_commit");
  const auto fs = c.value("SHOW fsync");
  if (sc && *sc == "off") c.exec("SET synchronous_commit = on");
  std::string warn;
  {
    std::lock_guard lk(mutex_);
    if (!warned_synchronous_commit_ && ((sc && *sc == "off") || (fs && *fs == "off"))) {
      warned_synchronous_commit_ = true;
      if (sc && *sc == "off")
        warn = "WARNING: PostgreSQL " + description_ +
               " has synchronous_commit=off; the collector sets it to on for its own sessions, since a 2xx "
               "promises a durable commit";
      if (fs && *fs == "off")
        warn += std::string(warn.empty() ? "" : "; ") + "WARNING: PostgreSQL " + description_ +
                " runs with fsync=off: acknowledged events can be lost if the database server crashes";
    }
  }
  if (!warn.empty() && opts_.log) opts_.log(warn);
}

// Schema migrations, in order; migrations[i] takes the schema from version i
// to i + 1. The columns of `events` that come from the payload schema are not
// in them: they follow the embedded schema (added after the migrations).
void pg_store::migrate(pg::connection& c) {
  std::string events_columns = "id bigint NOT NULL DEFAULT nextval('events_id_seq'), received_at timestamptz NOT NULL";
  for (const auto& col : columns_) events_columns += ", " + pg::quote_ident(col.name) + " " + sql_type(col.k);
  const std::vector<std::string> migrations = {
      "CREATE TABLE collector_meta (key text PRIMARY KEY, value text NOT NULL);"
      "CREATE SEQUENCE events_id_seq AS bigint;"
      "CREATE TABLE events (" +
          events_columns +
          ") PARTITION BY RANGE (received_at);"
          // Erasure's index. Each insert pays one b-tree insert at a random
          // leaf (uuids are random), in the day partition's own index, which
          // stays small enough to be cached; ids and days need no index
          // (export sorts, aggregation and retention work per partition).
          "CREATE INDEX events_uuid ON events (uuid);"
          "CREATE TABLE day_summary (day integer PRIMARY KEY, active_nodes bigint NOT NULL, raw_rows bigint NOT NULL,"
          " max_id bigint NOT NULL, sealed boolean NOT NULL DEFAULT false);"
          "CREATE TABLE day_field_counts (day integer NOT NULL, field text NOT NULL, value text NOT NULL,"
          " nodes bigint NOT NULL, PRIMARY KEY (day, field, value));",
  };
  static_assert(k_pg_schema_version == 1, "one migration per version");
  try {
    c.exec("BEGIN");
    // Instances starting together migrate one after the other.
    c.exec(("SELECT pg_advisory_xact_lock(" + std::to_string(k_lock_space) + ", " +
            std::to_string(k_migration_lock) + ")")
               .c_str());
    c.exec("CREATE TABLE IF NOT EXISTS collector_schema (version integer NOT NULL)");
    const auto v = c.value("SELECT max(version) FROM collector_schema");
    const int version = v ? static_cast<int>(to_int64(v->c_str())) : 0;
    if (version > k_pg_schema_version) {
      c.exec("ROLLBACK");
      throw std::runtime_error("--db " + description_ + ": the database's schema is version " +
                               std::to_string(version) + ", newer than this collector knows (" +
                               std::to_string(k_pg_schema_version) +
                               "); run a collector at least as new as the one that upgraded it");
    }
    for (int i = version; i < k_pg_schema_version; ++i) c.exec(migrations[static_cast<std::size_t>(i)].c_str());
    if (!v)
      c.query("INSERT INTO collector_schema(version) VALUES ($1)", {std::to_string(k_pg_schema_version)});
    else if (version < k_pg_schema_version)
      c.query("UPDATE collector_schema SET version = $1", {std::to_string(k_pg_schema_version)});
    // A property the schema gained since: a new nullable column (no rewrite).
    for (const auto& col : columns_)
      c.exec(("ALTER TABLE events ADD COLUMN IF NOT EXISTS " + pg::quote_ident(col.name) + " " + sql_type(col.k))
                 .c_str());
    const std::int64_t today = now_ms() / k_day_ms;
    for (std::int64_t d = today; d <= today + k_days_ahead; ++d)
      c.exec(("CREATE TABLE IF NOT EXISTS " + partition_name(d) + " PARTITION OF events FOR VALUES FROM (" +
              day_start(d) + ") TO (" + day_start(d + 1) + ")")
                 .c_str());
    c.exec("COMMIT");
  } catch (const pg::error& e) {
    throw std::runtime_error("--db " + description_ + ": migrating the schema: " + e.what());
  }
}

std::string pg_store::insert_sql() const {
  std::string cols, types, alias, select;
  int n = 1;
  types = "$1::bigint[]";
  alias = "t";
  for (const auto& c : columns_) {
    const auto q = pg::quote_ident(c.name);
    cols += ", " + q;
    types += ", $" + std::to_string(++n) + "::" + sql_type(c.k) + "[]";
    alias += ", " + q;
    select += ", " + q;
  }
  // One statement per batch, whatever its size: the events travel as one
  // array per column and unnest() turns them back into rows.
  // The text is the same for every batch size (a multi-row VALUES list would
  // be a new statement per size, with 28 parameters per row, at most 2340
  // rows under libpq's 65535). Measured: 20000 events in chunks of 1000 in
  // about 230 ms, ~11 us per event (pg_store_tests, bytes_per_stored_event).
  // Not measured yet: the multi-row VALUES and COPY alternatives.
  return "INSERT INTO events (received_at" + cols + ") SELECT 'epoch'::timestamptz + t * interval '1 millisecond'" +
         select + " FROM unnest(" + types + ") AS u(" + alias + ")";
}

params pg_store::insert_params(const std::vector<const event_row*>& rows) const {
  params out(columns_.size() + 1);
  std::string t = "{";
  for (const auto* r : rows) {
    if (t.size() > 1) t += ',';
    t += std::to_string(r->received_at);
  }
  out[0] = t + "}";
  const auto& fields = log_event_fields();
  for (std::size_t ci = 0; ci < columns_.size(); ++ci) {
    const auto& c = columns_[ci];
    std::string a = "{";
    bool first = true;
    for (const auto* r : rows) {
      if (!first) a += ',';
      first = false;
      const auto& e = r->values;
      const std::size_t i = &e.names() == &fields ? c.field : e.index_of(c.name);
      if (i >= e.size()) {
        a += "NULL";
        continue;
      }
      const auto& v = e.at(i);
      switch (v.t) {
        case flat_event::type::absent: a += "NULL"; break;
        case flat_event::type::boolean: a += v.boolean ? 't' : 'f'; break;
        case flat_event::type::integer: a += std::to_string(v.integer); break;
        case flat_event::type::string: append_array_text(a, e.string_at(i)); break;
      }
    }
    out[ci + 1] = a + "}";
  }
  return out;
}

void pg_store::ensure_partitions(pg::connection& c, const std::set<std::int64_t>& days,
                                 std::set<std::int64_t>& known) {
  for (std::int64_t d : days) {
    if (known.count(d)) continue;
    const auto name = partition_name(d);
    if (!c.value("SELECT to_regclass($1)::text", {name})) {
      try {
        c.exec(("CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF events FOR VALUES FROM (" + day_start(d) +
                ") TO (" + day_start(d + 1) + ")")
                   .c_str());
      } catch (const pg::error& e) {
        // Another instance created it at the same moment: fine if it is there now.
        if (e.connection_lost() || !c.value("SELECT to_regclass($1)::text", {name})) throw;
      }
    }
    known.insert(d);
  }
}

void pg_store::enqueue(job j) {
  // A database known to be down is not waited for: fail at once.
  bool refuse = !available_.load();
  if (!refuse) {
    std::lock_guard lk(mutex_);
    refuse = closing_;
    if (!refuse) queue_.push_back(std::move(j));
  }
  if (!refuse) {
    wake_.notify_one();
    return;
  }
  if (j.erase)
    j.erased(false, 0);
  else
    j.done(false);
}

void pg_store::complete(std::vector<job>& batch, bool ok) {
  if (hooks_.before) hooks_.before();
  for (auto& j : batch) {
    if (j.erase)
      j.erased(ok, ok ? j.deleted : 0);
    else
      j.done(ok);
  }
  if (hooks_.after) hooks_.after();
  batch.clear();
}

void pg_store::run_batch(std::vector<job>& batch) {
  std::vector<const event_row*> rows;
  std::set<std::int64_t> days;
  for (const auto& j : batch)
    if (!j.erase) {
      rows.push_back(&j.row);
      days.insert(j.row.received_at / k_day_ms);
    }
  ensure_partitions(*writer_conn_, days, writer_days_);
  auto& c = *writer_conn_;
  c.exec("BEGIN");
  try {
    if (!rows.empty()) c.query(insert_sql_, insert_params(rows));
    for (auto& j : batch) {
      if (!j.erase) continue;
      auto r = c.query("DELETE FROM events WHERE uuid = $1::uuid", {j.uuid});
      j.deleted = to_int64(PQcmdTuples(r.get()));
    }
    c.exec("COMMIT");
  } catch (const pg::error& e) {
    if (!e.connection_lost()) {
      try {
        c.exec("ROLLBACK");
      } catch (const pg::error&) {
      }
    }
    throw;
  }
}

void pg_store::writer_loop() {
  using namespace std::chrono;
  auto backoff = milliseconds(100);
  auto next_attempt = steady_clock::now();
  std::vector<job> batch;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lk(mutex_);
      if (!writer_conn_) {
        // Reconnect on a timer, with or without traffic, so health recovers by itself.
        wake_.wait_until(lk, next_attempt, [&] { return closing_ || reconnect_now_; });
        reconnect_now_ = false;
      } else {
        // Idle: wake each second to see whether the server closed the session.
        wake_.wait_for(lk, seconds(1), [&] { return closing_ || !queue_.empty(); });
      }
      while (!queue_.empty() && batch.size() < opts_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stop = closing_ && queue_.empty();
    }
    if (writer_conn_ && batch.empty() && !writer_conn_->poll_closed()) {
      set_problem("PostgreSQL unavailable: " + writer_conn_->message());
      writer_conn_.reset();
      next_attempt = steady_clock::now();
    }
    if (!writer_conn_ && (steady_clock::now() >= next_attempt || stop)) {
      try {
        writer_conn_ = connect("reconnect");
        writer_days_.clear();
        backoff = milliseconds(100);
        set_problem(std::nullopt);
      } catch (const pg::error& e) {
        std::string reason = e.what();
        reason = reason.substr(reason.find(": reconnect: ") + 13);
        set_problem("PostgreSQL unavailable: " + reason);
        next_attempt = steady_clock::now() + backoff;
        backoff = std::min(backoff * 2, milliseconds(1000));
      }
    }
    if (!batch.empty()) {
      if (!writer_conn_) {
        complete(batch, false);
      } else {
        try {
          run_batch(batch);
          batches_.fetch_add(1);
          complete(batch, true);
        } catch (const pg::error& e) {
          if (e.connection_lost() || !writer_conn_->alive()) {
            // A COMMIT whose answer never came may or may not have happened:
            // not acknowledged, so nothing is promised that may be lost.
            set_problem("PostgreSQL unavailable: " + writer_conn_->message());
            writer_conn_.reset();
            next_attempt = steady_clock::now() + backoff;
            complete(batch, false);
          } else if (batch.size() > 1) {
            // A statement failed on a live session (a value the database
            // refuses, a partition dropped under us): each job alone, so
            // only the one at fault fails.
            writer_days_.clear();
            std::vector<job> all = std::move(batch);
            batch.clear();
            std::size_t i = 0;
            for (; i < all.size() && writer_conn_; ++i) {
              std::vector<job> one;
              one.push_back(std::move(all[i]));
              bool ok = false;
              try {
                run_batch(one);
                batches_.fetch_add(1);
                ok = true;
              } catch (const pg::error& e2) {
                if (opts_.log) opts_.log("PostgreSQL " + description_ + ": a write failed: " + e2.what());
                if (e2.connection_lost() || !writer_conn_->alive()) {
                  set_problem("PostgreSQL unavailable: " + writer_conn_->message());
                  writer_conn_.reset();
                  next_attempt = steady_clock::now() + backoff;
                }
              }
              complete(one, ok);
            }
            for (; i < all.size(); ++i) batch.push_back(std::move(all[i]));
            complete(batch, false);
          } else {
            if (opts_.log) opts_.log("PostgreSQL " + description_ + ": a write failed: " + e.what());
            complete(batch, false);
          }
        }
      }
    }
    if (stop) break;
  }
}

void pg_store::set_problem(std::optional<std::string> p) {
  available_.store(!p);
  std::string line;
  {
    std::lock_guard lk(health_mutex_);
    // One line per change of state: a new reason while failing (the session
    // cut, then connections refused) replaces the text but is not logged.
    const bool changed = problem_.has_value() != p.has_value();
    if (!changed) {
      problem_ = std::move(p);
      return;
    }
    if (p)
      line = "storage failure (database " + description_ + "): " + *p + "; answering 503 until it is back";
    else
      line = "storage works again (database " + description_ + ")";
    problem_ = std::move(p);
  }
  if (opts_.log) opts_.log(line);
}

void pg_store::close() {
  std::lock_guard once(close_mutex_);
  {
    std::lock_guard lk(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
  writer_conn_.reset();
}

bool pg_store::import_events(std::vector<event_row> events) {
  try {
    auto c = connect("import");
    std::set<std::int64_t> days, known;
    for (const auto& e : events) days.insert(e.received_at / k_day_ms);
    ensure_partitions(*c, days, known);
    c->exec("BEGIN");
    constexpr std::size_t chunk = 1000;
    for (std::size_t i = 0; i < events.size(); i += chunk) {
      std::vector<const event_row*> rows;
      for (std::size_t k = i; k < std::min(events.size(), i + chunk); ++k) rows.push_back(&events[k]);
      c->query(insert_sql_, insert_params(rows));
    }
    c->exec("COMMIT");
    return true;
  } catch (const std::exception& e) {
    if (opts_.log) opts_.log("import into " + description_ + " failed, nothing imported: " + e.what());
    return false;
  }
}

boost::json::object pg_store::read_stats(int days, clock_ms now) {
  const std::int64_t first_day = now / k_day_ms - (days - 1);
  const std::int64_t last_day = now / k_day_ms;
  std::map<std::int64_t, boost::json::object> by_day;
  try {
    auto c = connect("stats");
    c->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    auto s = c->query("SELECT day, active_nodes FROM day_summary WHERE day >= $1 AND day <= $2 ORDER BY day",
                      {std::to_string(first_day), std::to_string(last_day)});
    for (int i = 0; i < PQntuples(s.get()); ++i) {
      const std::int64_t day = to_int64(PQgetvalue(s.get(), i, 0));
      boost::json::object d;
      d["date"] = day_to_date(day);
      d["active_nodes"] = to_int64(PQgetvalue(s.get(), i, 1));
      d["fields"] = boost::json::object{};
      by_day.emplace(day, std::move(d));
    }
    auto f = c->query("SELECT day, field, value, nodes FROM day_field_counts WHERE day >= $1 AND day <= $2",
                      {std::to_string(first_day), std::to_string(last_day)});
    std::map<std::pair<std::int64_t, std::string>, value_counts> per_field;
    for (int i = 0; i < PQntuples(f.get()); ++i) {
      const std::int64_t day = to_int64(PQgetvalue(f.get(), i, 0));
      if (!by_day.count(day)) continue;
      per_field[{day, PQgetvalue(f.get(), i, 1)}].emplace_back(PQgetvalue(f.get(), i, 2),
                                                               to_int64(PQgetvalue(f.get(), i, 3)));
    }
    c->exec("COMMIT");
    for (auto& [key, values] : per_field) {
      boost::json::object per_value;
      for (auto& [value, n] : fold_values(std::move(values))) per_value[value] = n;
      by_day[key.first]["fields"].as_object()[key.second] = std::move(per_value);
    }
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: stats: ") + e.what());
  }
  boost::json::array out;
  for (auto& [day, d] : by_day) out.push_back(std::move(d));
  return boost::json::object{{"days", std::move(out)}};
}

std::int64_t pg_store::active_nodes_since(clock_ms since) {
  try {
    auto c = connect("active nodes");
    const auto v = c->value(
        "SELECT count(DISTINCT uuid) FROM events WHERE received_at >= 'epoch'::timestamptz + $1::bigint * interval "
        "'1 millisecond'",
        {std::to_string(since)});
    return v ? to_int64(v->c_str()) : 0;
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: active nodes: ") + e.what());
  }
}

std::unique_ptr<export_cursor> pg_store::open_export() {
  std::string select = "SELECT (extract(epoch FROM received_at) * 1000)::bigint";
  for (const auto& c : columns_) select += ", " + pg::quote_ident(c.name);
  // Oldest first by id. No index on id (it would cost every insert a second
  // index write): PostgreSQL sorts, spilling to disk for a large table.
  select += " FROM events ORDER BY id";
  try {
    return std::make_unique<pg_export_cursor>(connect("export"), columns_, select);
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: export: ") + e.what());
  }
}

bool pg_store::probe_write() {
  try {
    auto c = connect("probe");
    c->query(
        "INSERT INTO collector_meta(key, value) VALUES ('last_write_probe', now()::text) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  } catch (const pg::error&) {
    return false;
  }
  {
    std::lock_guard lk(mutex_);
    reconnect_now_ = true;  // the writer need not wait for its backoff
  }
  wake_.notify_all();
  return true;
}

void pg_store::refresh_disk_bytes(pg::connection& c) {
  // Partitions and their indexes, the aggregates and the small tables; a
  // partitioned table itself has no storage.
  const auto v = c.value(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
      "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND "
      "(c.relname IN ('day_summary', 'day_field_counts', 'collector_meta', 'collector_schema') OR "
      "c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass))");
  if (v) disk_bytes_.store(static_cast<std::uint64_t>(to_int64(v->c_str())));
}

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

// The day partitions that exist: day number -> table name.
std::map<std::int64_t, std::string> partitions(pg::connection& c) {
  std::map<std::int64_t, std::string> out;
  auto r = c.query(
      "SELECT c.relname, (extract(epoch FROM substring(pg_get_expr(c.relpartbound, c.oid) FROM '''([^'']+)''')"
      "::timestamptz) / 86400)::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'events'::regclass");
  for (int i = 0; i < PQntuples(r.get()); ++i) out[to_int64(PQgetvalue(r.get(), i, 1))] = PQgetvalue(r.get(), i, 0);
  return out;
}

maintenance_report pg_store::run_maintenance(const maintenance_request& request) {
  maintenance_report report;
  std::unique_ptr<pg::connection> c;
  try {
    c = connect("maintenance");
    const std::string key = std::to_string(k_lock_space) + ", " + std::to_string(k_maintenance_lock);
    bool locked = c->value("SELECT pg_try_advisory_lock(" + key + ")") == "t";
    if (!locked && request.lock_wait.count() > 0) {
      // A bounded wait: lock_timeout applies to advisory locks too.
      c->exec(("SET lock_timeout = " + std::to_string(request.lock_wait.count())).c_str());
      try {
        c->exec(("SELECT pg_advisory_lock(" + key + ")").c_str());
        locked = true;
      } catch (const pg::error& e) {
        if (e.connection_lost() || e.sqlstate() != "55P03") throw;  // 55P03: lock_not_available
      }
      c->exec("SET lock_timeout = 0");
    }
    if (!locked) {
      report.ran = false;
      report.holder = c->value(
                           "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                           "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 "
                           "AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                           "current_database()) LIMIT 1",
                           {std::to_string(k_lock_space), std::to_string(k_maintenance_lock)})
                          .value_or("");
      return report;
    }

    // Partitions ahead, for the request's day and the clock's.
    std::set<std::int64_t> ahead, known;
    for (std::int64_t today : {request.now / k_day_ms, now_ms() / k_day_ms})
      for (std::int64_t d = today; d <= today + k_days_ahead; ++d) ahead.insert(d);
    ensure_partitions(*c, ahead, known);

    // Aggregation: in one snapshot, every unsealed day whose raw rows changed
    // (count or max id) since its aggregates were written.
    struct computed {
      std::int64_t day, rows, max_id, active;
      value_counts counts;  // "field\0value" -> nodes, folded per field
    };
    std::vector<computed> out;
    c->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::map<std::int64_t, std::tuple<std::int64_t, std::int64_t, bool>> known_days;
    {
      auto r = c->query("SELECT day, raw_rows, max_id, sealed FROM day_summary");
      for (int i = 0; i < PQntuples(r.get()); ++i)
        known_days[to_int64(PQgetvalue(r.get(), i, 0))] = {to_int64(PQgetvalue(r.get(), i, 1)),
                                                           to_int64(PQgetvalue(r.get(), i, 2)),
                                                           PQgetvalue(r.get(), i, 3)[0] == 't'};
    }
    const auto parts = partitions(*c);
    std::string lateral;
    for (const auto& col : columns_) {
      if (col.k == column::kind::uuid) continue;
      if (!lateral.empty()) lateral += ", ";
      lateral += "('" + col.name + "', l." + pg::quote_ident(col.name) + "::text)";
    }
    for (const auto& [day, table] : parts) {
      if (cancelled(request.cancel)) break;
      auto it = known_days.find(day);
      if (it != known_days.end() && std::get<2>(it->second)) continue;  // sealed: final
      auto st = c->query("SELECT count(*), coalesce(max(id), 0) FROM " + table);
      const std::int64_t rows = to_int64(PQgetvalue(st.get(), 0, 0));
      const std::int64_t max_id = to_int64(PQgetvalue(st.get(), 0, 1));
      if (rows == 0) continue;  // as SQLite: a day without raw events has nothing to count
      if (it != known_days.end() && std::get<0>(it->second) == rows && std::get<1>(it->second) == max_id) continue;
      computed d{day, rows, max_id, 0, {}};
      // Each node's last event of the day; per field, nodes per value as
      // text (booleans true/false, integers in decimal: aggregate_value_text).
      const std::string last = "WITH l AS (SELECT DISTINCT ON (uuid) * FROM " + table + " ORDER BY uuid, id DESC) ";
      d.active = to_int64(c->value(last + "SELECT count(*) FROM l")->c_str());
      auto counts = c->query(last + "SELECT x.f, x.v, count(*) FROM l CROSS JOIN LATERAL (VALUES " + lateral +
                             ") AS x(f, v) WHERE x.v IS NOT NULL GROUP BY x.f, x.v");
      std::map<std::string, value_counts> by_field;
      for (int i = 0; i < PQntuples(counts.get()); ++i)
        by_field[PQgetvalue(counts.get(), i, 0)].emplace_back(PQgetvalue(counts.get(), i, 1),
                                                              to_int64(PQgetvalue(counts.get(), i, 2)));
      for (auto& [field, values] : by_field)
        for (auto& [value, n] : fold_values(std::move(values))) d.counts.emplace_back(field + '\0' + value, n);
      out.push_back(std::move(d));
    }
    c->exec("COMMIT");
    for (const auto& d : out) {
      if (cancelled(request.cancel)) break;
      c->exec("BEGIN");
      const auto sealed = c->value("SELECT sealed FROM day_summary WHERE day = $1 FOR UPDATE", {std::to_string(d.day)});
      if (sealed && *sealed == "t") {
        c->exec("COMMIT");
        continue;
      }
      c->query("DELETE FROM day_field_counts WHERE day = $1", {std::to_string(d.day)});
      std::string fields = "{", values = "{", nodes = "{";
      for (const auto& [fv, n] : d.counts) {
        const auto nul = fv.find('\0');
        if (fields.size() > 1) fields += ',', values += ',', nodes += ',';
        append_array_text(fields, std::string_view(fv).substr(0, nul));
        append_array_text(values, std::string_view(fv).substr(nul + 1));
        nodes += std::to_string(n);
      }
      c->query(
          "INSERT INTO day_field_counts(day, field, value, nodes) SELECT $1, f, v, n FROM "
          "unnest($2::text[], $3::text[], $4::bigint[]) AS u(f, v, n)",
          {std::to_string(d.day), fields + "}", values + "}", nodes + "}"});
      c->query(
          "INSERT INTO day_summary(day, active_nodes, raw_rows, max_id) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (day) DO UPDATE SET active_nodes = excluded.active_nodes, raw_rows = excluded.raw_rows, "
          "max_id = excluded.max_id",
          {std::to_string(d.day), std::to_string(d.active), std::to_string(d.rows), std::to_string(d.max_id)});
      c->exec("COMMIT");
      ++report.days_aggregated;
    }

    // A past day takes no more inserts (received_at is the time of arrival),
    // so its uuid index, left about 70% full by random uuids, is packed once:
    // measured with Kubo's example event, 202 bytes per event (159 heap, 43
    // index) while the day fills, 192 (index 32) after (pg_store_tests,
    // bytes_per_stored_event). CONCURRENTLY: ingest and erasure go on. One
    // day per pass keeps a pass short.
    if (!cancelled(request.cancel)) {
      const std::int64_t today = now_ms() / k_day_ms;
      for (const auto& [day, table] : parts) {
        if (day >= today) break;
        const std::string key = "uuid_index_packed:" + table;
        if (c->value("SELECT 1 FROM collector_meta WHERE key = $1", {key})) continue;
        if (!c->value("SELECT to_regclass($1)::text", {table})) continue;
        c->exec(("REINDEX TABLE CONCURRENTLY " + table).c_str());
        c->query("INSERT INTO collector_meta(key, value) VALUES ($1, now()::text) ON CONFLICT (key) DO NOTHING", {key});
        break;
      }
    }

    if (request.retention && !cancelled(request.cancel)) {
      // Whole days: the partition is dropped, never emptied row by row. Its
      // aggregates are sealed in the same transaction. DROP locks the parent
      // table, and a long export's snapshot holds it up, while every insert
      // queues behind a waiting DROP: so it waits 200 ms at most and the
      // day is left for the next pass.
      const std::int64_t first_kept_day = request.now / k_day_ms - request.retention_days;
      for (const auto& [day, table] : partitions(*c)) {
        if (day >= first_kept_day) continue;
        if (cancelled(request.cancel)) break;
        const bool aggregated =
            c->value("SELECT 1 FROM day_summary WHERE day = $1", {std::to_string(day)}).has_value();
        const std::int64_t rows = to_int64(c->value("SELECT count(*) FROM " + table)->c_str());
        if (rows > 0 && !aggregated) {
          ++report.days_skipped;
          continue;
        }
        try {
          c->exec("BEGIN");
          c->exec("SET LOCAL lock_timeout = 200");
          c->query("UPDATE day_summary SET sealed = true WHERE day = $1", {std::to_string(day)});
          const std::int64_t n = to_int64(c->value("SELECT count(*) FROM " + table)->c_str());
          c->exec(("DROP TABLE " + table).c_str());
          c->query("DELETE FROM collector_meta WHERE key = $1", {"uuid_index_packed:" + table});
          c->exec("COMMIT");
          report.rows_deleted += n;
        } catch (const pg::error& e) {
          if (e.connection_lost() || e.sqlstate() != "55P03") throw;
          c->exec("ROLLBACK");
        }
        if (request.pause.count() > 0) std::this_thread::sleep_for(request.pause);
      }
    }
    refresh_disk_bytes(*c);
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: maintenance: ") + e.what());
  }
  return report;  // the session ends with `c`, and the lock with it
}

}  // namespace

std::unique_ptr<storage> open_pg_store(const std::string& uri, storage_options opts) {
  try {
    return std::make_unique<pg_store>(uri, std::move(opts));
  } catch (const pg::error& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace telemetry_collector
