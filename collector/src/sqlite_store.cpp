#include "sqlite_store.hpp"

#include "sqlite_queries.hpp"

#include "settings.hpp"

#include "schema_validator.hpp"
#include "sqlite_statement.hpp"

#include <boost/json/serialize.hpp>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <limits>
#include <map>
#include <stdexcept>

namespace telemetry_collector {

namespace {

// Version 1: events, day_summary, day_field_counts; later builds add
// tables and meta rows with IF NOT EXISTS / OR IGNORE, which builds before
// them ignore (so a database can go back to one): settings_history and the
// settings (settings.hpp). The settings rows are made once, when the
// database first opens with this build: collection off for a new database,
// on for one that already holds events or aggregates (it was collecting).
// One index on the raw events, (day, uuid): it serves the aggregates and, one
// day at a time, erasure. An index on uuid alone (databases made by earlier
// builds have one; it is dropped) would cost every insert one more write at a
// random place in a b-tree, with real UUIDs the dearest part of ingest.
constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  day INTEGER NOT NULL,
  uuid TEXT NOT NULL,
  event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_day_uuid ON events(day, uuid);
DROP INDEX IF EXISTS events_uuid;
CREATE TABLE IF NOT EXISTS day_summary(
  day INTEGER PRIMARY KEY,
  active_nodes INTEGER NOT NULL,
  raw_rows INTEGER NOT NULL,
  max_id INTEGER NOT NULL,
  sealed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS day_field_counts(
  day INTEGER NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  nodes INTEGER NOT NULL,
  PRIMARY KEY(day, field, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings_history(
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  setting TEXT NOT NULL,
  old_value TEXT NOT NULL,
  new_value TEXT NOT NULL,
  via TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value)
  SELECT 'collection', CASE WHEN EXISTS(SELECT 1 FROM events) OR EXISTS(SELECT 1 FROM day_summary)
                            THEN 'on' ELSE 'off' END;
INSERT OR IGNORE INTO meta(key, value) VALUES('retention_days', '90');
)sql";
static_assert(k_default_retention_days == 90, "k_schema's default retention");

void create_private_file(const std::string& path) {
  // The database holds node identifiers: 0600 from its first byte.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create database " + path + ": " + std::strerror(errno));
  ::close(fd);
}

}  // namespace

sqlite_connection::sqlite_connection(const std::string& path, bool read_only) {
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10'000);
  sqlite3_extended_result_codes(db_, 1);
}

sqlite_connection::~sqlite_connection() { sqlite3_close(db_); }

void sqlite_connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

sqlite_store::sqlite_store(std::string path, options opts) : path_(std::move(path)), opts_(std::move(opts)) {
  if (opts_.serve) serve_lock_.emplace(path_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) create_private_file(path_);
  writer_ = std::make_unique<sqlite_connection>(path_, false);
  // The file SQLite opened (a race with a rename in this instant is not
  // guarded against: the first commit would then already find the path changed).
  if (::stat(path_.c_str(), &st) != 0)
    throw std::runtime_error("cannot open database " + path_ + ": " + std::strerror(errno));
  file_dev_ = st.st_dev;
  file_ino_ = st.st_ino;
  try {
    writer_->exec("PRAGMA journal_mode=WAL");
    // FULL: the WAL is synced at every commit, so an acknowledged event survives
    // power loss too, not only a crash of this process.
    writer_->exec("PRAGMA synchronous=FULL");
    writer_->exec("PRAGMA wal_autocheckpoint=0");  // the checkpointer thread does it
    writer_->exec(("PRAGMA journal_size_limit=" + std::to_string(k_wal_keep_bytes)).c_str());
    writer_->exec(k_schema);
    encoder_ = event_encoder::for_fields(writer_->get(), schema_fields(log_event_schema_text()));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot prepare database " + path_ + ": " + e.what());
  }
  inserter_ = std::make_unique<event_inserter>(writer_->get());
  {
    statement st(writer_->get(), "PRAGMA page_size");
    if (st.step()) page_bytes_ = st.int64(0);
  }
  sqlite3_wal_hook(
      writer_->get(),
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<sqlite_store*>(self)->wal_frames_.store(frames);
        return SQLITE_OK;
      },
      this);
  // The -wal and -shm files are created by SQLite with the main file's mode.
  thread_ = std::thread([this] { writer_loop(); });
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

sqlite_store::~sqlite_store() { close(); }

void sqlite_store::enqueue(job j) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back(std::move(j));
      wake_.notify_one();
      return;
    }
  }
  if (j.done) j.done(false);
}

void sqlite_store::submit(write_fn fn, done_fn done) { enqueue(job{std::move(fn), std::move(done), std::nullopt}); }

void sqlite_store::insert(stored_event e, done_fn done) { enqueue(job{{}, std::move(done), std::move(e)}); }

void sqlite_store::insert(event_row e, done_fn done) {
  stored_event row;
  row.received_at = e.received_at;
  row.uuid = std::move(e.uuid);
  row.event_json = encoder_.encode(e.values);
  insert(std::move(row), std::move(done));
}

void sqlite_store::erase(std::string uuid, erase_fn done) {
  auto count = std::make_shared<std::int64_t>(0);
  submit(
      [uuid = std::move(uuid), count](sqlite3* db) {
        // Each day that holds events, found by seeking the index: as many
        // steps as days kept (retention), not as events.
        statement next_day(db, "SELECT min(day) FROM events WHERE day > ?");
        statement del(db, "DELETE FROM events WHERE day = ? AND uuid = ?");
        std::int64_t day = std::numeric_limits<std::int64_t>::min();
        for (;;) {
          next_day.reset();
          next_day.bind(1, day);
          if (!next_day.step() || next_day.is_null(0)) break;
          day = next_day.int64(0);
          next_day.reset();
          del.reset();
          del.bind(1, day);
          del.bind(2, uuid);
          del.step_done();
          *count += sqlite3_changes(db);
        }
        return true;
      },
      [count, done = std::move(done)](bool ok) { done(ok, ok ? *count : 0); });
}

bool sqlite_store::run_sync(write_fn fn) {
  std::promise<bool> p;
  auto f = p.get_future();
  submit(std::move(fn), [&p](bool ok) { p.set_value(ok); });
  return f.get();
}

bool sqlite_store::insert_sync(stored_event e) {
  // The same job as insert(): the path ingest takes.
  std::promise<bool> p;
  auto f = p.get_future();
  insert(std::move(e), [&p](bool ok) { p.set_value(ok); });
  return f.get();
}

void sqlite_store::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_ && !thread_.joinable()) return;
    closing_ = true;
    wake_.notify_one();
    checkpoint_wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
  // The last connection to close checkpoints everything and removes the WAL.
}

void sqlite_store::checkpoint_loop() {
  ::pthread_setname_np(::pthread_self(), "checkpointer");
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);  // background work
  std::unique_ptr<sqlite_connection> conn;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      checkpoint_wake_.wait(lock, [this] { return closing_ || checkpoint_wanted_; });
      if (closing_) return;
      checkpoint_wanted_ = false;
    }
    try {
      if (!conn) {
        conn = std::make_unique<sqlite_connection>(path_, false);
        // A connection finds the WAL only once it reads the database; until
        // then a checkpoint on it does nothing (and reports -1 frames).
        conn->exec("PRAGMA journal_mode=WAL");
      }
      // PASSIVE: copies what it can without waiting for, or blocking, the writer.
      int log = 0, copied = 0;
      if (sqlite3_wal_checkpoint_v2(conn->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK &&
          copied >= 0)
        copied_frames_.store(copied);
    } catch (const std::exception&) {
      conn.reset();  // try again next time
    }
  }
}

// On the writer thread, after each commit.
void sqlite_store::after_commit() {
  const std::int64_t frames = wal_frames_.load();
  if (frames * (page_bytes_ + 24) < static_cast<std::int64_t>(k_checkpoint_bytes)) return;
  const std::int64_t copied = copied_frames_.exchange(-1);
  // Never more than that: while a long read (the aggregates, an export)
  // holds an old snapshot, a pass cannot copy past it, and the writer copying
  // the whole backlog itself would stall every request for as long.
  if (copied >= 0 && frames - copied <= k_assist_frames) {
    // The checkpointer is nearly through: copy the rest now, with no commit
    // in between, so that the next write starts the WAL over.
    sqlite3_wal_checkpoint_v2(writer_->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return;
  }
  std::lock_guard lock(mutex_);
  checkpoint_wanted_ = true;
  checkpoint_wake_.notify_one();
}

std::optional<std::string> sqlite_store::file_changed() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string("the database file was deleted while the collector ran");
    return std::string("the database file cannot be reached: ") + std::strerror(errno);
  }
  if (st.st_dev != file_dev_ || st.st_ino != file_ino_)
    return std::string("the database file was replaced by another file while the collector ran");
  return std::nullopt;
}

void sqlite_store::set_problem(std::optional<std::string> problem, bool lasting) {
  std::string line;
  const log_level level = problem ? log_level::error : log_level::info;
  {
    std::lock_guard lock(health_mutex_);
    if (problem_lasting_) return;  // nothing clears or replaces that state
    if (problem_ == problem) return;
    if (problem)
      line = "storage failure (database " + path_ + "): " + *problem +
             (lasting ? "; answering 503 until restarted" : "; answering 503 until a write succeeds");
    else
      line = "storage works again (database " + path_ + ")";
    problem_ = std::move(problem);
    problem_lasting_ = lasting && problem_.has_value();
    unhealthy_.store(problem_.has_value());
  }
  opts_.log(level, line);
}

std::optional<std::string> sqlite_store::problem() {
  if (auto changed = file_changed()) set_problem(std::move(changed), true);
  std::lock_guard lock(health_mutex_);
  return problem_;
}

bool sqlite_store::problem_may_clear() {
  std::lock_guard lock(health_mutex_);
  return problem_ && !problem_lasting_;
}

bool sqlite_store::probe_write() {
  return run_sync([](sqlite3* db) {
    statement st(db, "INSERT INTO meta(key, value) VALUES('last_write_probe', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, std::to_string(now_ms()));
    st.step_done();
    return true;
  });
}

std::unique_ptr<sqlite_connection> sqlite_store::reader() const {
  return std::make_unique<sqlite_connection>(path_, true);
}

std::uint64_t sqlite_store::disk_bytes() {
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    struct stat st {};
    if (::stat((path_ + suffix).c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

void sqlite_store::writer_loop() {
  ::pthread_setname_np(::pthread_self(), "db-writer");  // names show in top -H, perf, gdb
  std::vector<job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything queued is committed
      while (!queue_.empty() && batch.size() < opts_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

void sqlite_store::run_batch(std::vector<job>& batch) {
  sqlite3* db = writer_->get();
  std::vector<char> ok(batch.size(), 0);
  bool committed = false;
  std::optional<std::string> failure;  // why the whole batch failed
  try {
    {
      std::lock_guard lock(health_mutex_);
      if (problem_lasting_) throw std::runtime_error(*problem_);  // the file is gone: write nothing
    }
    writer_->exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].event) {
        // A failing INSERT undoes itself (statement journal). If SQLite had to
        // give up the whole transaction instead (I/O error, disk full), the
        // batch fails as one: nothing of it is acknowledged.
        // Events are validated before they get here: an INSERT that fails
        // says something about the storage.
        try {
          inserter_->insert(*batch[i].event);
          ok[i] = 1;
        } catch (const std::exception& e) {
          if (sqlite3_get_autocommit(db)) throw;
          failure = e.what();
        }
        continue;
      }
      writer_->exec("SAVEPOINT job");
      bool good = false;
      try {
        good = batch[i].fn(db);
      } catch (const std::exception&) {
        good = false;
      }
      if (good) {
        writer_->exec("RELEASE job");
      } else {
        writer_->exec("ROLLBACK TO job");
        writer_->exec("RELEASE job");
      }
      ok[i] = good ? 1 : 0;
    }
    // Last, so that a file deleted while the batch ran is seen too.
    if (auto changed = file_changed()) {
      set_problem(std::move(changed), true);
      throw std::runtime_error("database file changed");
    }
    writer_->exec("COMMIT");
    committed = true;
    batches_.fetch_add(1);
    after_commit();
  } catch (const std::exception& e) {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    failure = e.what();
  }
  if (committed && !failure) {
    if (unhealthy_.load()) set_problem(std::nullopt, false);
  } else if (failure) {
    set_problem("SQLite: " + *failure, false);  // ignored while a lasting problem stands
  }
  if (hooks_.before) hooks_.before();
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].done) batch[i].done(committed && ok[i]);
  if (hooks_.after) hooks_.after();
}

struct event_inserter::impl {
  explicit impl(sqlite3* db) : st(db, "INSERT INTO events(received_at, day, uuid, event) VALUES(?, ?, ?, ?)") {}
  statement st;
};

event_inserter::event_inserter(sqlite3* db) : impl_(std::make_unique<impl>(db)) {}
event_inserter::~event_inserter() = default;

void event_inserter::insert(const stored_event& e) {
  auto& st = impl_->st;
  st.reset();
  st.bind(1, e.received_at);
  st.bind(2, e.received_at / k_day_ms);
  st.bind_static(3, e.uuid);
  st.bind_static(4, e.event_json);
  st.step_done();
  st.reset();  // drops the bindings to e's strings
}


import_report sqlite_store::import_events(std::vector<event_row> events) {
  // Stored in the database's layout, as ingest stores them.
  std::vector<stored_event> rows;
  rows.reserve(events.size());
  for (auto& e : events) rows.push_back(stored_event{e.received_at, std::move(e.uuid), encoder_.encode(e.values)});
  import_report report;
  std::string failure;
  report.ok = run_sync([&](sqlite3* db) {
    // An identical event stored already is left out: found through the
    // (day, uuid) index, then compared in full: as stored text, or, for a
    // row stored in another layout (by a build with another schema) or as
    // an object, as the event it decodes to.
    statement same(db, "SELECT event FROM events WHERE day = ? AND uuid = ? AND received_at = ?");
    std::optional<event_decoder> decoder;  // loaded when a row in another form turns up
    event_inserter inserter(db);
    report.imported = report.already_stored = 0;
    try {
      for (std::size_t i = 0; i < rows.size(); ++i) {  // one transaction: all or nothing
        const auto& r = rows[i];
        same.reset();
        same.bind(1, r.received_at / k_day_ms);
        same.bind_static(2, r.uuid);
        same.bind(3, r.received_at);
        bool stored = false;
        while (!stored && same.step()) {
          const std::string_view text = same.text(0);
          if (text == r.event_json) {
            stored = true;
            continue;
          }
          if (!decoder) decoder = event_decoder::load(db);
          try {
            stored = decoder->decode(text) == event_object(events[i]);
          } catch (const std::runtime_error&) {
            // a row no layout reads (cannot happen): not the same event
          }
        }
        same.reset();
        if (stored) {
          ++report.already_stored;
          continue;
        }
        inserter.insert(r);
        ++report.imported;
      }
    } catch (const std::exception& e) {
      failure = e.what();
      throw;
    }
    return true;
  });
  if (!report.ok)
    opts_.log.error("import into " + path_ + " failed, nothing imported" + (failure.empty() ? "" : ": " + failure));
  return report;
}

collector_settings sqlite_store::read_settings() {
  auto db = reader();
  return read_settings(db->get());
}

collector_settings sqlite_store::read_settings(sqlite3* db) {
  std::map<std::string, std::string, std::less<>> meta;
  statement st(db, "SELECT key, value FROM meta");
  while (st.step()) meta.emplace(st.text(0), st.text(1));
  return settings_from_text([&](std::string_view key) -> std::optional<std::string> {
    if (auto it = meta.find(key); it != meta.end()) return it->second;
    return std::nullopt;
  });
}

collector_settings sqlite_store::update_settings(const settings_update& update, std::string_view via, clock_ms now) {
  collector_settings after;
  std::string failure;
  const bool ok = run_sync([&](sqlite3* db) {
    try {
      std::vector<settings_change> changes;
      after = apply_update(read_settings(db), update, now, via, changes);
      if (changes.empty()) return true;
      statement put(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
      for (const auto& [key, value] : settings_rows(after)) {
        put.reset();
        put.bind(1, key);
        put.bind(2, value);
        put.step_done();
      }
      statement add(db, "INSERT INTO settings_history(at, setting, old_value, new_value, via) VALUES(?, ?, ?, ?, ?)");
      for (const auto& c : changes) {
        add.reset();
        add.bind(1, c.at);
        add.bind(2, c.setting);
        add.bind(3, c.old_value);
        add.bind(4, c.new_value);
        add.bind(5, c.via);
        add.step_done();
      }
      statement trim(
          db, "DELETE FROM settings_history WHERE id < (SELECT id FROM settings_history ORDER BY id DESC LIMIT 1 OFFSET ?)");
      trim.bind(1, static_cast<std::int64_t>(k_settings_history - 1));
      trim.step_done();
      return true;
    } catch (const std::exception& e) {
      failure = e.what();
      throw;
    }
  });
  if (!ok)
    throw std::runtime_error("cannot save the settings in " + path_ + ": " +
                             (failure.empty() ? std::string("the database cannot be written now") : failure));
  return after;
}

std::vector<settings_change> sqlite_store::settings_history(std::size_t limit) {
  auto db = reader();
  statement st(db->get(),
               "SELECT at, setting, old_value, new_value, via FROM settings_history ORDER BY id DESC LIMIT ?");
  st.bind(1, static_cast<std::int64_t>(limit));
  std::vector<settings_change> out;
  while (st.step())
    out.push_back({st.int64(0), std::string(st.text(1)), std::string(st.text(2)), std::string(st.text(3)),
                   std::string(st.text(4))});
  return out;
}

std::int64_t sqlite_store::raw_events_before_day(std::int64_t day) {
  auto db = reader();
  statement st(db->get(), "SELECT count(*) FROM events WHERE day < ?");  // the (day, uuid) index, not the rows
  st.bind(1, day);
  return st.step() ? st.int64(0) : 0;
}

boost::json::object sqlite_store::read_stats(int days, clock_ms now) {
  auto db = reader();
  return telemetry_collector::read_stats(*db, days, now);
}

std::int64_t sqlite_store::active_nodes_since(clock_ms since) {
  auto db = reader();
  return telemetry_collector::active_nodes_since(*db, since);
}

namespace {

// One read transaction (one snapshot) for the whole export, on a connection
// of its own; pages by id.
class sqlite_export final : public export_cursor {
 public:
  explicit sqlite_export(std::unique_ptr<sqlite_connection> db) : db_(std::move(db)) { db_->exec("BEGIN"); }
  bool next(int limit, std::string& out) override {
    const auto last = export_events(*db_, after_, limit, [&](std::string line) { out += line; });
    if (last == after_) return false;
    after_ = last;
    return true;
  }

 private:
  std::unique_ptr<sqlite_connection> db_;  // the transaction ends with the connection
  std::int64_t after_ = 0;
};

}  // namespace

std::unique_ptr<export_cursor> sqlite_store::open_export() { return std::make_unique<sqlite_export>(reader()); }

node_events_read sqlite_store::node_events(const std::string& uuid, std::size_t limit) {
  auto db = reader();
  db->exec("BEGIN");  // one snapshot; ends with the connection
  // Newest day first, each found by seeking the (day, uuid) index as erasure
  // does: as many steps as days kept, not as events stored.
  statement prev_day(db->get(), "SELECT max(day) FROM events WHERE day < ?");
  statement rows(db->get(), "SELECT received_at, event FROM events WHERE day = ? AND uuid = ? ORDER BY id DESC");
  const auto decoder = event_decoder::load(db->get());
  std::vector<std::string> newest_first;
  node_events_read out;
  std::int64_t day = std::numeric_limits<std::int64_t>::max();
  while (!out.more) {
    prev_day.reset();
    prev_day.bind(1, day);
    if (!prev_day.step() || prev_day.is_null(0)) break;
    day = prev_day.int64(0);
    rows.reset();
    rows.bind(1, day);
    rows.bind(2, uuid);
    while (rows.step()) {
      if (newest_first.size() == limit) {
        out.more = true;
        break;
      }
      newest_first.push_back(export_line(rows.int64(0), decoder.decode(rows.text(1))));
    }
  }
  out.events = newest_first.size();
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) out.ndjson += *it;
  return out;
}

maintenance_report sqlite_store::run_maintenance(const maintenance_request& r) {
  // One serve per file (serve_lock), and its one maintenance thread: no
  // other lock to take. (A CLI cleanup beside it goes through SQLite's
  // locking, job by job.)
  if (!r.retention) {
    maintenance_report report;
    report.days_aggregated = aggregate_changed_days(*this, r.cancel);
    return report;
  }
  return telemetry_collector::run_maintenance(*this, r.retention_days, r.now, r.cancel, r.pause);
}

}  // namespace telemetry_collector
