#include "pg_store.hpp"

#include "pg_connection.hpp"
#include "retention.hpp"
#include "settings.hpp"
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
#include <limits>
#include <thread>

#include <pthread.h>

namespace telemetry_collector {

namespace {

constexpr int k_lock_space = k_pg_lock_space;
constexpr int k_maintenance_lock = k_pg_maintenance_lock;
constexpr int k_migration_lock = k_pg_migration_lock;

// Partitions exist for today and this many days ahead, so ingest never
// waits for DDL (a CREATE ... PARTITION OF locks the parent table).
constexpr int k_days_ahead = 3;

// The name of the writer session's prepared batch INSERT.
constexpr const char* k_insert_statement = "telemetry_insert_events";

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

// Indexes into `columns` in the schema's order: the members' order that event_object() gives.
std::vector<std::size_t> schema_order(const std::vector<column>& columns) {
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < columns.size(); ++k) order.push_back(k);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return columns[a].field < columns[b].field; });
  return order;
}

// Row `i` of `r` (received_at in ms, then `columns`' values) as an export_line().
std::string export_row(const pg::result& r, int i, const std::vector<column>& columns,
                       const std::vector<std::size_t>& order) {
  boost::json::object event;
  event.reserve(order.size());
  for (std::size_t k : order) {
    const column& c = columns[k];
    const int col = 1 + static_cast<int>(k);
    if (PQgetisnull(r.get(), i, col)) continue;
    const char* v = PQgetvalue(r.get(), i, col);
    switch (c.k) {
      case column::kind::integer: event[c.name] = to_int64(v); break;
      case column::kind::boolean: event[c.name] = v[0] == 't'; break;
      default: event[c.name] = v; break;
    }
  }
  return export_line(to_int64(PQgetvalue(r.get(), i, 0)), event);
}

class pg_export_cursor final : public export_cursor {
 public:
  // `select`: the select list, to which " FROM <partition> ORDER BY id" is added.
  pg_export_cursor(std::unique_ptr<pg::connection> conn, const std::vector<column>& columns, std::string select)
      : conn_(std::move(conn)), columns_(columns), select_(std::move(select)) {
    order_ = schema_order(columns_);
    // One snapshot for the whole export. The partitions are locked (ACCESS
    // SHARE: retention's DROP waits, ingest does not) before the snapshot is
    // taken, so each one listed is there to read. Oldest day first, and by
    // id (arrival) within a day: each partition sorted on its own, so the
    // first rows come without sorting the whole table.
    conn_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    conn_->exec("LOCK TABLE events IN ACCESS SHARE MODE");
    for (const auto& [day, table] : partitions(*conn_)) tables_.push_back(table);
  }
  bool next(int limit, std::string& out) override {
    pg::result r;
    int n = 0;
    try {
      for (;;) {
        if (done_) return false;
        if (!open_) {
          if (next_table_ == tables_.size()) {
            done_ = true;
            return false;
          }
          conn_->exec("DECLARE export_rows NO SCROLL CURSOR FOR " + select_ + " FROM " +
                      pg::quote_ident(tables_[next_table_++]) + " ORDER BY id");
          open_ = true;
        }
        r = conn_->query("FETCH " + std::to_string(std::max(1, limit)) + " FROM export_rows");
        n = PQntuples(r.get());
        if (n > 0) break;
        conn_->exec("CLOSE export_rows");
        open_ = false;
      }
    } catch (const pg::error& e) {
      throw std::runtime_error(std::string("PostgreSQL: export: ") + e.what());
    }
    for (int i = 0; i < n; ++i) out += export_row(r, i, columns_, order_);
    return true;
  }

 private:
  std::unique_ptr<pg::connection> conn_;
  const std::vector<column>& columns_;
  std::string select_;
  std::vector<std::size_t> order_;  // indexes into columns_, by schema order
  std::vector<std::string> tables_;  // the day partitions, oldest first
  std::size_t next_table_ = 0;
  bool open_ = false;  // export_rows is declared
  bool done_ = false;
};

// A partition a batch needs could not be created in time (its DDL lock
// waited past ddl_lock): that batch fails, the next one tries again.
struct partition_busy : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a failed statement on a live session means for the writer.
// nullopt: the value or the job is at fault (retry each job alone). Else
// the store cannot write now, whatever the job: the short public class.
std::optional<std::string> store_failure(const std::string& st) {
  if (st == "57014") return "statement timeout";
  if (st == "55P03") return "lock timeout";
  if (st == "25006") return "read-only transaction";
  if (st == "42501") return "insufficient privilege";
  if (st == "53100") return "disk full";
  if (st.rfind("53", 0) == 0) return "insufficient resources";
  if (st.rfind("57", 0) == 0) return "operator intervention";
  if (st.rfind("58", 0) == 0) return "system error";
  return std::nullopt;
}

// A session that timed out (its COMMIT's outcome unknown) or is read-only
// (a failover: a multi-host URI finds the new primary on reconnect) is
// dropped.
bool drop_session_on(const std::string& st) { return st == "57014" || st == "55P03" || st == "25006"; }

// Day number of a timestamptz column, in SQL.
constexpr const char* k_day_of = "(floor(extract(epoch FROM received_at) / 86400))::integer";

class pg_store final : public storage {
 public:
  pg_store(std::string uri, storage_options opts, bool must_exist, pg_timeouts timeouts);
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

  import_report import_events(std::vector<event_row> events) override;
  collector_settings read_settings() override;
  collector_settings update_settings(const settings_update& update, std::string_view via, clock_ms now) override;
  std::vector<settings_change> settings_history(std::size_t limit) override;
  std::int64_t raw_events_before_day(std::int64_t day) override;
  boost::json::object read_stats(int days, clock_ms now) override;
  std::int64_t active_nodes_since(clock_ms since) override;
  std::unique_ptr<export_cursor> open_export() override;
  node_events_read node_events(const std::string& uuid, std::size_t limit) override;
  maintenance_report run_maintenance(const maintenance_request& request) override;

  std::optional<std::string> problem() override {
    std::lock_guard lk(health_mutex_);
    return problem_;
  }
  // An outage ends (the writer reconnects), a timeout passes: any problem may clear.
  bool problem_may_clear() override { return problem().has_value(); }
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

  enum class health { ok, unavailable, cannot_write };
  enum class session { writer, reads };

  void enqueue(job j);
  void writer_loop();
  // Runs the batch; completes it. On the writer thread, with a session.
  // False when the store cannot write now (session lost, store failing):
  // nothing more is worth trying.
  // `alone`: a job retried on its own after its batch failed.
  bool write(std::vector<job>& batch, bool alone = false);
  // `alone` commits do not end a run of refused values (they are its other jobs).
  void committed(bool alone);
  // Drops the writer's session; reconnect after `delay`.
  void drop_writer(std::chrono::milliseconds delay);
  // A job failed for its own sake (a value refused): logged once per change of state.
  void log_refusal(const std::string& reason);
  // Runs `batch` in one transaction; throws pg::error.
  void run_batch(std::vector<job>& batch);
  void complete(std::vector<job>& batch, bool ok);
  // Creates the day partitions missing for `days` (each in a transaction of
  // its own, before the batch's). `known` caches the days seen to exist.
  // DDL waits ddl_lock at most for its lock: throws partition_busy then.
  void ensure_partitions(pg::connection& c, const std::set<std::int64_t>& days, std::set<std::int64_t>& known);
  std::string insert_sql() const;
  // insert_sql() leaving out the rows identical to a stored event (import).
  std::string import_sql() const;
  // The batch's events as one array literal per column.
  params insert_params(const std::vector<const event_row*>& rows) const;

  std::unique_ptr<pg::connection> connect(std::string_view purpose, session kind = session::reads);
  void prepare_session(pg::connection& c, session kind);
  void migrate(pg::connection& c);
  // must_exist: the schema is there and current, or open fails.
  void check_schema(pg::connection& c);
  // The payload columns events lacks.
  std::vector<const column*> missing_columns(pg::connection& c);
  void refresh_disk_bytes(pg::connection& c);
  // Records the writer's health and logs each change of state once:
  // `public_text` for problem(), `reason` (scrubbed libpq text) for the log.
  void set_health(health h, const std::string& public_text = {}, const std::string& reason = {});
  health health_now() {
    std::lock_guard lk(health_mutex_);
    return health_;
  }

  std::string uri_, description_, app_name_;
  storage_options opts_;
  pg_timeouts timeouts_;
  std::vector<column> columns_;
  std::string insert_sql_;
  completion_hooks hooks_;

  std::mutex close_mutex_;  // close() runs once at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool closing_ = false;
  bool reconnect_now_ = false;  // with mutex_: a probe found the database back
  std::chrono::steady_clock::time_point next_attempt_{};  // with mutex_: the writer's next reconnect
  std::chrono::milliseconds backoff_{100};                 // writer thread only
  std::thread writer_;
  bool writer_done_ = false;  // with mutex_: the writer thread has left its loop
  // Set by the writer thread (and the constructor before it), which alone
  // uses it; conn_mutex_ guards the pointer so close() may cancel a statement.
  std::unique_ptr<pg::connection> writer_conn_;
  std::mutex conn_mutex_;
  std::set<std::int64_t> writer_days_;           // writer thread only: days with a partition

  // The settings are read every second or so (settings_watcher): on one
  // session kept for it, made again after a failure.
  std::mutex settings_mutex_;
  std::unique_ptr<pg::connection> settings_conn_;  // with settings_mutex_

  std::atomic<bool> available_{true};  // the writer has a session: the fast check on insert()
  std::mutex health_mutex_;
  health health_ = health::ok;          // with health_mutex_
  std::optional<std::string> problem_;  // with health_mutex_
  bool refusal_logged_ = false;         // writer thread only
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> disk_bytes_{0};
  bool warned_synchronous_commit_ = false;  // with mutex_
};

pg_store::pg_store(std::string uri, storage_options opts, bool must_exist, pg_timeouts timeouts)
    : uri_(std::move(uri)),
      description_(redact_db(uri_)),
      app_name_(application_name()),
      opts_(std::move(opts)),
      timeouts_(timeouts),
      columns_(schema_columns()) {
  insert_sql_ = insert_sql();
  writer_conn_ = connect("connect", session::writer);
  // The text columns hold UTF-8 (client_encoding is UTF8 on our sessions);
  // a SQL_ASCII or LATIN1 database would store or refuse it wrongly.
  const auto enc = writer_conn_->value("SHOW server_encoding");
  if (enc != "UTF8")
    throw std::runtime_error("--db " + description_ + ": the database's encoding is " + enc.value_or("unknown") +
                             "; the collector stores UTF-8 text: create the database with ENCODING 'UTF8' "
                             "(CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)");
  if (must_exist) {
    check_schema(*writer_conn_);
  } else {
    migrate(*writer_conn_);
    // Outside the migration's transaction: the partitions of the coming
    // days, each in a short transaction of its own that waits ddl_lock at
    // most (another instance may be creating them too; a busy one is left
    // for maintenance or the first insert of its day).
    std::set<std::int64_t> ahead;
    const std::int64_t today = now_ms() / k_day_ms;
    for (std::int64_t d = today; d <= today + k_days_ahead; ++d) ahead.insert(d);
    try {
      ensure_partitions(*writer_conn_, ahead, writer_days_);
    } catch (const partition_busy&) {
      writer_days_.clear();
    } catch (const pg::error& e) {
      throw std::runtime_error("--db " + description_ + ": creating partitions: " + e.what());
    }
  }
  refresh_disk_bytes(*writer_conn_);
  writer_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "db-writer");  // as the SQLite engine's: shows in top -H, perf, gdb
    writer_loop();
  });
}

std::unique_ptr<pg::connection> pg_store::connect(std::string_view purpose, session kind) {
  std::unique_ptr<pg::connection> c;
  try {
    c = std::make_unique<pg::connection>(uri_, app_name_);
    prepare_session(*c, kind);
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
void pg_store::prepare_session(pg::connection& c, session kind) {
  const auto t = std::to_string((kind == session::writer ? timeouts_.writer : timeouts_.reads).count());
  c.exec("SET statement_timeout = " + t + "; SET lock_timeout = " + t);
  const auto sc = c.value("SHOW synchronous_commit");
  const auto fs = c.value("SHOW fsync");
  if (sc && *sc == "off") c.exec("SET synchronous_commit = on");
  std::vector<std::string> warnings;
  {
    std::lock_guard lk(mutex_);
    if (!warned_synchronous_commit_ && ((sc && *sc == "off") || (fs && *fs == "off"))) {
      warned_synchronous_commit_ = true;
      if (sc && *sc == "off")
        warnings.push_back("PostgreSQL " + description_ +
                           " has synchronous_commit=off; the collector sets it to on for its own sessions, since a "
                           "2xx promises a durable commit");
      if (fs && *fs == "off")
        warnings.push_back("PostgreSQL " + description_ +
                           " runs with fsync=off: acknowledged events can be lost if the database server crashes");
    }
  }
  for (const auto& w : warnings) opts_.log.warning(w);
}

std::vector<const column*> pg_store::missing_columns(pg::connection& c) {
  std::set<std::string> have;
  auto r = c.query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND "
      "table_name = 'events'");
  for (int i = 0; i < PQntuples(r.get()); ++i) have.insert(PQgetvalue(r.get(), i, 0));
  std::vector<const column*> out;
  for (const auto& col : columns_)
    if (!have.count(col.name)) out.push_back(&col);
  return out;
}

int schema_version(pg::connection& c) {
  const auto v = c.value("SELECT max(version) FROM collector_schema");
  return v ? static_cast<int>(to_int64(v->c_str())) : 0;
}

void pg_store::check_schema(pg::connection& c) {
  int version = 0;
  bool missing = false;
  try {
    if (!c.value("SELECT to_regclass('collector_schema')::text"))
      throw std::runtime_error("--db " + description_ +
                               ": not a telemetry-collector database (no collector_schema table); serve or import "
                               "creates it");
    version = schema_version(c);
    if (version == k_pg_schema_version) missing = !missing_columns(c).empty();
  } catch (const pg::error& e) {
    throw std::runtime_error("--db " + description_ + ": reading the schema: " + e.what());
  }
  if (version > k_pg_schema_version)
    throw std::runtime_error("--db " + description_ + ": the database's schema is version " + std::to_string(version) +
                             ", newer than this collector knows (" + std::to_string(k_pg_schema_version) +
                             "); run a collector at least as new as the one that upgraded it");
  if (version < k_pg_schema_version || missing)
    throw std::runtime_error("--db " + description_ + ": the database's schema (version " + std::to_string(version) +
                             ") is older than this collector's (" + std::to_string(k_pg_schema_version) +
                             "); run serve once to migrate");
}

// Schema migrations, in order; migrations[i] takes the schema from version i
// to i + 1. The columns of `events` that come from the payload schema are not
// in them: they follow the embedded schema (added after the migrations, and
// only those missing: ALTER TABLE takes ACCESS EXCLUSIVE on events, which
// would queue every insert behind any long read). Nothing here locks events
// when nothing is missing; partitions are created after COMMIT.
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
          // (export and aggregation work per partition).
          "CREATE INDEX events_uuid ON events (uuid);"
          "CREATE TABLE day_summary (day integer PRIMARY KEY, active_nodes bigint NOT NULL, raw_rows bigint NOT NULL,"
          " max_id bigint NOT NULL, sealed boolean NOT NULL DEFAULT false);"
          "CREATE TABLE day_field_counts (day integer NOT NULL, field text NOT NULL, value text NOT NULL,"
          " nodes bigint NOT NULL, PRIMARY KEY (day, field, value));",
      // Change detection without scanning partitions (pg_store.hpp).
      "CREATE TABLE day_changes (day integer PRIMARY KEY);",
      // The settings (settings.hpp): collection starts off on a new
      // database, on where an earlier version was collecting already.
      "CREATE TABLE settings_history (id bigserial PRIMARY KEY, at bigint NOT NULL, setting text NOT NULL,"
      " old_value text NOT NULL, new_value text NOT NULL, via text NOT NULL);"
      "INSERT INTO collector_meta (key, value) SELECT 'collection', CASE WHEN EXISTS (SELECT 1 FROM events) OR "
      "EXISTS (SELECT 1 FROM day_summary) THEN 'on' ELSE 'off' END ON CONFLICT (key) DO NOTHING;"
      "INSERT INTO collector_meta (key, value) VALUES ('retention_days', '" +
          std::to_string(k_default_retention_days) + "') ON CONFLICT (key) DO NOTHING;",
  };
  static_assert(k_pg_schema_version == 3, "one migration per version");
  try {
    c.exec("BEGIN");
    // Instances starting together migrate one after the other.
    c.exec("SELECT pg_advisory_xact_lock(" + std::to_string(k_lock_space) + ", " + std::to_string(k_migration_lock) +
           ")");
    const bool had_schema = c.value("SELECT to_regclass('collector_schema')::text").has_value();
    if (!had_schema) c.exec("CREATE TABLE collector_schema (version integer NOT NULL)");
    const int version = had_schema ? schema_version(c) : 0;
    if (version > k_pg_schema_version) {
      c.exec("ROLLBACK");
      throw std::runtime_error("--db " + description_ + ": the database's schema is version " +
                               std::to_string(version) + ", newer than this collector knows (" +
                               std::to_string(k_pg_schema_version) +
                               "); run a collector at least as new as the one that upgraded it");
    }
    for (int i = version; i < k_pg_schema_version; ++i) c.exec(migrations[static_cast<std::size_t>(i)]);
    if (version == 1) {
      // Version 1 found changes by scanning: every day with a partition is
      // looked at once more.
      for (const auto& [day, table] : partitions(c))
        c.query("INSERT INTO day_changes(day) VALUES ($1) ON CONFLICT DO NOTHING", {std::to_string(day)});
    }
    if (!c.value("SELECT 1 FROM collector_schema"))
      c.query("INSERT INTO collector_schema(version) VALUES ($1)", {std::to_string(k_pg_schema_version)});
    else if (version < k_pg_schema_version)
      c.query("UPDATE collector_schema SET version = $1", {std::to_string(k_pg_schema_version)});
    // A property the schema gained since: a new nullable column (no rewrite).
    for (const auto* col : missing_columns(c))
      c.exec("ALTER TABLE events ADD COLUMN IF NOT EXISTS " + pg::quote_ident(col->name) + " " + sql_type(col->k));
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

std::string pg_store::import_sql() const {
  std::string same = "e.received_at = 'epoch'::timestamptz + u.t * interval '1 millisecond'";
  for (const auto& c : columns_) {
    const auto q = pg::quote_ident(c.name);
    same += " AND e." + q + (c.name == "uuid" ? " = u." : " IS NOT DISTINCT FROM u.") + q;
  }
  return insert_sql() + " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE " + same + ")";
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
      // CREATE ... PARTITION OF locks events: wait a short while at most,
      // since every insert queues behind a DDL lock that waits.
      try {
        c.exec("BEGIN");
        c.exec("SET LOCAL lock_timeout = " + std::to_string(timeouts_.ddl_lock.count()));
        c.exec("CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF events FOR VALUES FROM (" + day_start(d) +
               ") TO (" + day_start(d + 1) + ")");
        c.exec("COMMIT");
      } catch (const pg::error& e) {
        if (e.connection_lost()) throw;
        c.exec("ROLLBACK");
        if (e.sqlstate() == "55P03") throw partition_busy("creating partition " + name + ": " + e.what());
        // Another instance created it at the same moment: fine if it is there now.
        if (!c.value("SELECT to_regclass($1)::text", {name})) throw;
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

// Jobs run in queue order (an erasure deletes only what arrived before it);
// consecutive inserts share one INSERT.
void pg_store::run_batch(std::vector<job>& batch) {
  std::set<std::int64_t> days;
  for (const auto& j : batch)
    if (!j.erase) days.insert(j.row.received_at / k_day_ms);
  ensure_partitions(*writer_conn_, days, writer_days_);
  // Arrival on a day other than today or yesterday (a clock far off, a
  // test): maintenance would not look at it otherwise.
  const std::int64_t today = now_ms() / k_day_ms;
  std::string late = "{";
  for (std::int64_t d : days)
    if (d != today && d != today - 1) late += (late.size() > 1 ? "," : "") + std::to_string(d);
  auto& c = *writer_conn_;
  // The common batch, inserts only: its one INSERT is a transaction of its
  // own (autocommit; a statement is atomic), answered once it has committed:
  // one round trip instead of three (BEGIN, INSERT, COMMIT).
  const bool inserts_only =
      late.size() == 1 && std::none_of(batch.begin(), batch.end(), [](const job& j) { return j.erase; });
  if (inserts_only) {
    std::vector<const event_row*> rows;
    for (auto& j : batch) rows.push_back(&j.row);
    c.execute(k_insert_statement, insert_sql_, insert_params(rows));
    return;
  }
  c.exec("BEGIN");
  try {
    std::vector<const event_row*> rows;
    auto flush = [&] {
      // Prepared once per session (parsed and analysed once, not once per
      // batch): measured 536 against 802 us for a 10-row batch's
      // transaction, 756 against 1055 for 25 rows (docs/performance.md),
      // the largest fixed cost of a commit after the flush.
      if (!rows.empty()) c.execute(k_insert_statement, insert_sql_, insert_params(rows));
      rows.clear();
    };
    for (auto& j : batch) {
      if (!j.erase) {
        rows.push_back(&j.row);
        continue;
      }
      flush();
      auto r = c.query(std::string("WITH d AS (DELETE FROM events WHERE uuid = $1::uuid RETURNING received_at), "
                                   "c AS (INSERT INTO day_changes(day) SELECT DISTINCT ") +
                           k_day_of + " FROM d ON CONFLICT DO NOTHING) SELECT count(*) FROM d",
                       {j.uuid});
      j.deleted = to_int64(PQgetvalue(r.get(), 0, 0));
    }
    flush();
    if (late.size() > 1)
      c.query("INSERT INTO day_changes(day) SELECT unnest($1::integer[]) ON CONFLICT DO NOTHING", {late + "}"});
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

void pg_store::drop_writer(std::chrono::milliseconds delay) {
  {
    std::lock_guard lk(conn_mutex_);
    writer_conn_.reset();
  }
  available_.store(false);
  std::lock_guard lk(mutex_);
  next_attempt_ = std::chrono::steady_clock::now() + delay;
}

void pg_store::committed(bool alone) {
  batches_.fetch_add(1);
  if (!alone) refusal_logged_ = false;
  set_health(health::ok);
}

void pg_store::log_refusal(const std::string& reason) {
  if (refusal_logged_) return;
  refusal_logged_ = true;
  if (opts_.log)
    opts_.log.error("PostgreSQL " + description_ + ": a write failed (answered 503; further failures are not logged until "
              "a write succeeds): " + reason);
}

bool pg_store::write(std::vector<job>& batch, bool alone) {
  try {
    run_batch(batch);
    committed(alone);
    complete(batch, true);
    return true;
  } catch (const partition_busy& e) {
    // The day's partition could not be created now: this batch only.
    writer_days_.clear();
    log_refusal(e.what());
    complete(batch, false);
    return true;
  } catch (const pg::error& e) {
    if (e.connection_lost() || !writer_conn_->alive()) {
      // A COMMIT whose answer never came may or may not have happened:
      // not acknowledged, so nothing is promised that may be lost.
      set_health(health::unavailable, "PostgreSQL unavailable", writer_conn_->message());
      drop_writer(backoff_);
      complete(batch, false);
      return false;
    }
    if (const auto why = store_failure(e.sqlstate())) {
      // No job of the batch would do better alone.
      set_health(health::cannot_write, "PostgreSQL cannot write: " + *why, e.what());
      if (drop_session_on(e.sqlstate())) drop_writer(std::chrono::milliseconds(0));
      complete(batch, false);
      return false;
    }
    if (batch.size() == 1) {
      log_refusal(e.what());
      complete(batch, false);
      return true;
    }
  }
  // A statement failed on a live session (a value the database refuses, a
  // partition dropped under us): each job alone, so only the one at fault fails.
  writer_days_.clear();
  std::vector<job> all = std::move(batch);
  batch.clear();
  std::size_t i = 0;
  bool go_on = true;
  for (; i < all.size() && go_on; ++i) {
    std::vector<job> one;
    one.push_back(std::move(all[i]));
    go_on = write(one, true);
  }
  for (; i < all.size(); ++i) batch.push_back(std::move(all[i]));
  complete(batch, false);
  return go_on;
}

void pg_store::writer_loop() {
  using namespace std::chrono;
  std::vector<job> batch;
  bool tried_at_close = false;
  for (;;) {
    bool stop = false, closing = false;
    {
      std::unique_lock lk(mutex_);
      if (!writer_conn_) {
        // Reconnect on a timer, with or without traffic, so health recovers by itself.
        wake_.wait_until(lk, next_attempt_, [&] { return closing_ || reconnect_now_; });
        if (reconnect_now_) next_attempt_ = steady_clock::now();
        reconnect_now_ = false;
      } else {
        // Idle: wake each second to see whether the server closed the session.
        wake_.wait_for(lk, seconds(1), [&] { return closing_ || !queue_.empty(); });
      }
      while (!queue_.empty() && batch.size() < opts_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      closing = closing_;
      stop = closing_ && queue_.empty();
    }
    if (writer_conn_ && batch.empty() && !writer_conn_->poll_closed()) {
      set_health(health::unavailable, "PostgreSQL unavailable", writer_conn_->message());
      drop_writer(milliseconds(0));
    }
    const bool due = [&] {
      std::lock_guard lk(mutex_);
      return steady_clock::now() >= next_attempt_;
    }();
    if (!writer_conn_ && (due || (closing && !tried_at_close))) {
      if (closing) tried_at_close = true;
      try {
        auto c = connect("reconnect", session::writer);
        {
          std::lock_guard lk(conn_mutex_);
          writer_conn_ = std::move(c);
        }
        writer_days_.clear();
        backoff_ = milliseconds(100);
        available_.store(true);
        // A session again ends an outage; a store that could not write
        // waits for its next commit.
        if (health_now() == health::unavailable) set_health(health::ok);
      } catch (const pg::error& e) {
        std::string reason = e.what();
        reason = reason.substr(reason.find(": reconnect: ") + 13);
        if (health_now() == health::ok) set_health(health::unavailable, "PostgreSQL unavailable", reason);
        std::lock_guard lk(mutex_);
        next_attempt_ = steady_clock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, milliseconds(1000));
      }
    }
    if (closing && ((!writer_conn_ && tried_at_close) || health_now() != health::ok)) {
      // Closing without a session, or with a store that fails: the rest
      // fails at once (close() is not held up by one timeout per batch).
      std::unique_lock lk(mutex_);
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lk.unlock();
      complete(batch, false);
      stop = true;
    }
    if (!batch.empty()) {
      if (!writer_conn_)
        complete(batch, false);
      else
        write(batch);
    }
    if (stop) break;
  }
  std::lock_guard lk(mutex_);
  writer_done_ = true;
  wake_.notify_all();
}

void pg_store::set_health(health h, const std::string& public_text, const std::string& reason) {
  std::string line;
  {
    std::lock_guard lk(health_mutex_);
    // One line per change of state: a new reason in the same state (the
    // session cut, then connections refused) replaces the text but is not logged.
    const bool changed = health_ != h;
    health_ = h;
    if (h == health::ok)
      problem_.reset();
    else
      problem_ = public_text;
    if (!changed) return;
    if (h != health::ok)
      line = "storage failure (database " + description_ + "): " + public_text + ": " + reason +
             "; answering 503 until it is back";
    else
      line = "storage works again (database " + description_ + ")";
  }
  opts_.log(h == health::ok ? log_level::info : log_level::error, line);
}

void pg_store::close() {
  std::lock_guard once(close_mutex_);
  std::unique_lock lk(mutex_);
  closing_ = true;
  wake_.notify_all();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) {
    // Everything queued is committed first; a statement stuck past the
    // writer's own timeout (a server that stopped answering) is cancelled.
    if (!wake_.wait_for(lk, timeouts_.writer + std::chrono::seconds(1), [&] { return writer_done_; })) {
      std::lock_guard c(conn_mutex_);
      if (writer_conn_) writer_conn_->cancel();
    }
    lk.unlock();
    writer_.join();
  } else {
    lk.unlock();
  }
  {
    std::lock_guard c(conn_mutex_);
    writer_conn_.reset();
  }
  std::lock_guard settings(settings_mutex_);
  settings_conn_.reset();
}

import_report pg_store::import_events(std::vector<event_row> events) {
  import_report report;
  try {
    auto c = connect("import");
    std::set<std::int64_t> days, known;
    for (const auto& e : events) days.insert(e.received_at / k_day_ms);
    // Beside running collectors a partition's DDL may wait its turn: for
    // about 5 s in all, then the import fails as a whole.
    for (int attempt = 0;; ++attempt) {
      try {
        ensure_partitions(*c, days, known);
        break;
      } catch (const partition_busy&) {
        if (attempt == 25) throw;
      }
    }
    c->exec("BEGIN");
    // An event identical to a stored one is left out (the uuid index finds
    // the candidates). The caller has left out repeats within `events`.
    const std::string sql = import_sql();
    constexpr std::size_t chunk = 1000;
    for (std::size_t i = 0; i < events.size(); i += chunk) {
      std::vector<const event_row*> rows;
      for (std::size_t k = i; k < std::min(events.size(), i + chunk); ++k) rows.push_back(&events[k]);
      auto r = c->query(sql, insert_params(rows));
      const auto written = static_cast<std::size_t>(to_int64(PQcmdTuples(r.get())));
      report.imported += written;
      report.already_stored += rows.size() - written;
    }
    std::string list = "{";
    for (std::int64_t d : days) list += (list.size() > 1 ? "," : "") + std::to_string(d);
    c->query("INSERT INTO day_changes(day) SELECT unnest($1::integer[]) ON CONFLICT DO NOTHING", {list + "}"});
    c->exec("COMMIT");
    report.ok = true;
    return report;
  } catch (const std::exception& e) {
    opts_.log.error("import into " + description_ + " failed, nothing imported: " + e.what());
    return import_report{};
  }
}

namespace {

collector_settings read_settings_on(pg::connection& c) {
  std::map<std::string, std::string, std::less<>> meta;
  auto r = c.query("SELECT key, value FROM collector_meta WHERE key = ANY($1::text[])",
                   {"{" + std::string(k_collection_key) + "," + std::string(k_retention_key) + "," +
                    std::string(k_collection_changed_key) + "," + std::string(k_retention_changed_key) + "," +
                    std::string(k_settings_version_key) + "}"});
  for (int i = 0; i < PQntuples(r.get()); ++i) meta.emplace(PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1));
  return settings_from_text([&](std::string_view key) -> std::optional<std::string> {
    if (auto it = meta.find(key); it != meta.end()) return it->second;
    return std::nullopt;
  });
}

}  // namespace

collector_settings pg_store::read_settings() {
  std::lock_guard lk(settings_mutex_);
  try {
    if (!settings_conn_ || !settings_conn_->alive()) {
      settings_conn_.reset();
      settings_conn_ = connect("settings");
    }
    return read_settings_on(*settings_conn_);
  } catch (const pg::error& e) {
    settings_conn_.reset();
    throw std::runtime_error(std::string("PostgreSQL: settings: ") + e.what());
  }
}

collector_settings pg_store::update_settings(const settings_update& update, std::string_view via, clock_ms now) {
  try {
    auto c = connect("settings");
    // READ COMMITTED whatever the server's default: the read below must see
    // a change committed while this waited for the lock.
    c->exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    // Two changes at once (two collectors' APIs) are made one after the other.
    c->exec("SELECT pg_advisory_xact_lock(" + std::to_string(k_lock_space) + ", " +
            std::to_string(k_pg_settings_lock) + ")");
    std::vector<settings_change> changes;
    const auto after = apply_update(read_settings_on(*c), update, now, via, changes);
    if (!changes.empty()) {
      for (const auto& [key, value] : settings_rows(after))
        c->query("INSERT INTO collector_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
                 "excluded.value",
                 {key, value});
      for (const auto& ch : changes)
        c->query("INSERT INTO settings_history (at, setting, old_value, new_value, via) VALUES ($1, $2, $3, $4, $5)",
                 {std::to_string(ch.at), ch.setting, ch.old_value, ch.new_value, ch.via});
      // The newest k_settings_history by id (a sequence may skip ids).
      c->query("DELETE FROM settings_history WHERE id < (SELECT id FROM settings_history ORDER BY id DESC OFFSET $1 "
               "LIMIT 1)",
               {std::to_string(k_settings_history - 1)});
    }
    c->exec("COMMIT");
    return after;
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: saving the settings: ") + e.what());
  }
}

std::vector<settings_change> pg_store::settings_history(std::size_t limit) {
  std::vector<settings_change> out;
  try {
    auto c = connect("settings history");
    auto r = c->query("SELECT at, setting, old_value, new_value, via FROM settings_history ORDER BY id DESC LIMIT $1",
                      {std::to_string(limit)});
    for (int i = 0; i < PQntuples(r.get()); ++i)
      out.push_back({to_int64(PQgetvalue(r.get(), i, 0)), PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2),
                     PQgetvalue(r.get(), i, 3), PQgetvalue(r.get(), i, 4)});
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: settings history: ") + e.what());
  }
  return out;
}

std::int64_t pg_store::raw_events_before_day(std::int64_t day) {
  try {
    auto c = connect("retention preview");
    c->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::int64_t n = 0;
    for (const auto& [d, table] : partitions(*c)) {
      if (d >= day) break;
      n += to_int64(c->value("SELECT count(*) FROM " + pg::quote_ident(table))->c_str());
    }
    c->exec("COMMIT");
    return n;
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: retention preview: ") + e.what());
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
  // Oldest day first, by id within a day (pg_export_cursor). No index on id
  // (it would cost every insert a second index write): a day is sorted at a time.
  try {
    return std::make_unique<pg_export_cursor>(connect("export"), columns_, select);
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: export: ") + e.what());
  }
}

node_events_read pg_store::node_events(const std::string& uuid, std::size_t limit) {
  // Newest first through the uuid index (one per partition), one more than
  // the limit to tell whether any were left out; one statement, one snapshot.
  std::string select = "SELECT (extract(epoch FROM received_at) * 1000)::bigint";
  for (const auto& c : columns_) select += ", " + pg::quote_ident(c.name);
  select += " FROM events WHERE uuid = $1::uuid ORDER BY received_at DESC, id DESC LIMIT $2::bigint";
  pg::result r;
  try {
    auto c = connect("access");
    r = c->query(select, {uuid, std::to_string(limit + 1)});
  } catch (const pg::error& e) {
    throw std::runtime_error(std::string("PostgreSQL: access: ") + e.what());
  }
  const auto order = schema_order(columns_);
  node_events_read out;
  const int n = PQntuples(r.get());
  out.more = static_cast<std::size_t>(n) > limit;
  out.events = out.more ? limit : static_cast<std::size_t>(n);
  for (int i = static_cast<int>(out.events) - 1; i >= 0; --i) out.ndjson += export_row(r, i, columns_, order);
  return out;
}

bool pg_store::probe_write() {
  try {
    auto c = connect("probe", session::writer);
    // What a batch needs, within the writer's bounds: the lock an insert
    // takes on events, and a committed write.
    c->exec("BEGIN");
    c->exec("LOCK TABLE events IN ROW EXCLUSIVE MODE");
    c->query(
        "INSERT INTO collector_meta(key, value) VALUES ('last_write_probe', now()::text) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    c->exec("COMMIT");
  } catch (const pg::error&) {
    return false;
  }
  // A commit succeeded: a store that could not write can again.
  if (health_now() == health::cannot_write) set_health(health::ok);
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
      "(c.relname IN ('day_summary', 'day_field_counts', 'day_changes', 'collector_meta', 'collector_schema') OR "
      "c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass))");
  if (v) disk_bytes_.store(static_cast<std::uint64_t>(to_int64(v->c_str())));
}

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }

// While a maintenance pass runs: cancels its statement once `cancel` is set,
// so that a stop does not wait for a long statement. Polls the flag (it is
// a plain atomic, with nothing to wait on) every 50 ms; stops with the pass.
class cancel_watch {
 public:
  cancel_watch(pg::connection& c, const std::atomic<bool>* cancel) {
    if (!cancel) return;
    thread_ = std::thread([this, &c, cancel] {
      std::unique_lock lk(m_);
      while (!done_) {
        if (cancel->load()) {
          c.cancel();
          return;
        }
        cv_.wait_for(lk, std::chrono::milliseconds(50));
      }
    });
  }
  ~cancel_watch() {
    {
      std::lock_guard lk(m_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

maintenance_report pg_store::run_maintenance(const maintenance_request& request) {
  maintenance_report report;
  std::unique_ptr<pg::connection> c;
  try {
    c = connect("maintenance");
    cancel_watch watch(*c, request.cancel);
    // Every instance: a cheap catalog read, no lock needed.
    refresh_disk_bytes(*c);
    const std::string key = std::to_string(k_lock_space) + ", " + std::to_string(k_maintenance_lock);
    bool locked = c->value("SELECT pg_try_advisory_lock(" + key + ")") == "t";
    if (!locked && request.lock_wait.count() > 0) {
      // A bounded wait: lock_timeout applies to advisory locks too.
      c->exec("SET lock_timeout = " + std::to_string(request.lock_wait.count()));
      try {
        c->exec("SELECT pg_advisory_lock(" + key + ")");
        locked = true;
      } catch (const pg::error& e) {
        if (e.connection_lost() || e.sqlstate() != "55P03") throw;  // 55P03: lock_not_available
      }
      c->exec("SET lock_timeout = " + std::to_string(timeouts_.reads.count()));
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

    // Partitions ahead, for the request's day and the clock's. One whose
    // DDL lock is not granted at once is left for the next pass.
    std::set<std::int64_t> ahead, known;
    for (std::int64_t today : {request.now / k_day_ms, now_ms() / k_day_ms})
      for (std::int64_t d = today; d <= today + k_days_ahead; ++d) ahead.insert(d);
    for (std::int64_t d : ahead) {
      try {
        ensure_partitions(*c, {d}, known);
      } catch (const partition_busy&) {
      }
    }

    // Aggregation: today and yesterday (by the request's clock and the real
    // one), and the days whose raw events changed otherwise (day_changes:
    // erasure, import, late arrivals). Nothing else is scanned.
    auto parts = partitions(*c);
    std::set<std::int64_t> days;
    for (std::int64_t today : {request.now / k_day_ms, now_ms() / k_day_ms}) days.insert({today, today - 1});
    {
      auto r = c->query("SELECT day FROM day_changes");
      for (int i = 0; i < PQntuples(r.get()); ++i) days.insert(to_int64(PQgetvalue(r.get(), i, 0)));
    }
    std::string lateral;
    for (const auto& col : columns_) {
      if (col.k == column::kind::uuid) continue;
      if (!lateral.empty()) lateral += ", ";
      lateral += "(" + pg::quote_literal(col.name) + ", l." + pg::quote_ident(col.name) + "::text)";
    }
    for (std::int64_t day : days) {
      if (cancelled(request.cancel)) break;
      const std::string d = std::to_string(day);
      // Read committed, one statement for the counts: the day_changes row
      // is deleted first, so a change committed after that statement's
      // snapshot writes it again (its insert waits for this transaction).
      c->exec("BEGIN");
      c->query("DELETE FROM day_changes WHERE day = $1", {d});
      const auto sealed = c->value("SELECT sealed FROM day_summary WHERE day = $1 FOR UPDATE", {d});
      const auto part = parts.find(day);
      if ((sealed && *sealed == "t") || part == parts.end()) {
        c->exec("COMMIT");
        continue;
      }
      const auto table = pg::quote_ident(part->second);
      auto st = c->query("SELECT count(*), coalesce(max(id), 0) FROM " + table);
      const std::int64_t rows = to_int64(PQgetvalue(st.get(), 0, 0));
      const std::int64_t max_id = to_int64(PQgetvalue(st.get(), 0, 1));
      if (rows == 0) {  // as SQLite: a day without raw events has nothing to count
        c->exec("COMMIT");
        continue;
      }
      // Each node's last event of the day, computed once; the first row
      // (field NULL) is the number of nodes; then per field, nodes per value
      // as text (booleans true/false, integers in decimal: aggregate_value_text).
      auto counts = c->query("WITH l AS MATERIALIZED (SELECT DISTINCT ON (uuid) * FROM " + table +
                             " ORDER BY uuid, id DESC) SELECT NULL::text, NULL::text, count(*) FROM l UNION ALL "
                             "SELECT x.f, x.v, count(*) FROM l CROSS JOIN LATERAL (VALUES " + lateral +
                             ") AS x(f, v) WHERE x.v IS NOT NULL GROUP BY x.f, x.v");
      std::int64_t active = 0;
      std::map<std::string, value_counts> by_field;
      for (int i = 0; i < PQntuples(counts.get()); ++i) {
        if (PQgetisnull(counts.get(), i, 0)) {
          active = to_int64(PQgetvalue(counts.get(), i, 2));
          continue;
        }
        by_field[PQgetvalue(counts.get(), i, 0)].emplace_back(PQgetvalue(counts.get(), i, 1),
                                                              to_int64(PQgetvalue(counts.get(), i, 2)));
      }
      std::string fields = "{", values = "{", nodes = "{";
      for (auto& [field, vals] : complete_day_counts(std::move(by_field), active, log_event_fields()))
        for (auto& [value, n] : vals) {
          if (fields.size() > 1) fields += ',', values += ',', nodes += ',';
          append_array_text(fields, field);
          append_array_text(values, value);
          nodes += std::to_string(n);
        }
      c->query("DELETE FROM day_field_counts WHERE day = $1", {d});
      c->query(
          "INSERT INTO day_field_counts(day, field, value, nodes) SELECT $1, f, v, n FROM "
          "unnest($2::text[], $3::text[], $4::bigint[]) AS u(f, v, n)",
          {d, fields + "}", values + "}", nodes + "}"});
      c->query(
          "INSERT INTO day_summary(day, active_nodes, raw_rows, max_id) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (day) DO UPDATE SET active_nodes = excluded.active_nodes, raw_rows = excluded.raw_rows, "
          "max_id = excluded.max_id",
          {d, std::to_string(active), std::to_string(rows), std::to_string(max_id)});
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
      // Not a day this pass's retention is about to drop: packing it would
      // be work thrown away (measured: 1.0 s of a 7.2 s pass over 1M rows).
      const std::int64_t kept_from = request.retention ? first_kept_day(request.now, request.retention_days)
                                                       : std::numeric_limits<std::int64_t>::min();
      for (const auto& [day, table] : parts) {
        if (day >= today) break;
        if (day < kept_from) continue;
        const std::string key = "uuid_index_packed:" + table;
        if (c->value("SELECT 1 FROM collector_meta WHERE key = $1", {key})) continue;
        if (!c->value("SELECT to_regclass($1)::text", {table})) continue;
        c->exec("REINDEX TABLE CONCURRENTLY " + pg::quote_ident(table));
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
      const std::int64_t kept_from = first_kept_day(request.now, request.retention_days);
      for (const auto& [day, table] : partitions(*c)) {
        if (day >= kept_from) continue;
        if (cancelled(request.cancel)) break;
        const bool aggregated =
            c->value("SELECT 1 FROM day_summary WHERE day = $1", {std::to_string(day)}).has_value();
        const std::int64_t rows = to_int64(c->value("SELECT count(*) FROM " + pg::quote_ident(table))->c_str());
        if (rows > 0 && !aggregated) {
          ++report.days_skipped;
          continue;
        }
        try {
          c->exec("BEGIN");
          c->exec("SET LOCAL lock_timeout = " + std::to_string(timeouts_.ddl_lock.count()));
          c->query("UPDATE day_summary SET sealed = true WHERE day = $1", {std::to_string(day)});
          const std::int64_t n = to_int64(c->value("SELECT count(*) FROM " + pg::quote_ident(table))->c_str());
          c->exec("DROP TABLE " + pg::quote_ident(table));
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
    // Cancelled by a stop: the next pass resumes.
    if (cancelled(request.cancel) && !e.connection_lost() && e.sqlstate() == "57014") return report;
    throw std::runtime_error(std::string("PostgreSQL: maintenance: ") + e.what());
  }
  return report;  // the session ends with `c`, and the lock with it
}

}  // namespace

std::unique_ptr<storage> open_pg_store(const std::string& uri, storage_options opts, bool must_exist,
                                       pg_timeouts timeouts) {
  try {
    return std::make_unique<pg_store>(uri, std::move(opts), must_exist, timeouts);
  } catch (const pg::error& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace telemetry_collector
