#pragma once
// The SQLite engine of the collector's storage (storage.hpp): one database
// file in WAL mode, the embedded default.
//
// What is stored (and nothing else): each accepted event as validated, its
// node's uuid (a copy of the event's own field, for erasure) and the time it
// was received; per UTC day, the aggregates (active nodes, nodes per value of
// every field) that outlive the raw events. Nothing about the sender.
//
// Writes: one writer thread owns the only write connection. Callers queue
// write jobs; the writer takes every job queued so far (up to a batch limit),
// runs them in one transaction (group commit), commits with synchronous=FULL,
// and only then calls each job's completion. So an acknowledged event is on
// disk, and concurrent requests share one fsync. A failing job is rolled back
// to its own savepoint and fails alone.
//
// Reads open their own connection (WAL: readers never block the writer).
//
// Checkpoints (copying the WAL back into the database) are not left to the
// writer's commits, where a big one would stall every request in the batch:
// once a commit leaves more than k_checkpoint_bytes in the WAL, the writer
// wakes a checkpointer thread, which copies it with passive checkpoints on its
// own connection while the writer goes on. A WAL only starts over from its
// beginning when everything in it has been copied at the moment a write
// begins, which under sustained load never happens by itself (the writer
// appends while the checkpointer copies): so when a pass has left at most
// k_assist_frames behind, the writer copies that rest itself, between two
// batches, and its next commit restarts the WAL. The WAL file is trimmed to
// k_wal_keep_bytes when it restarts. No thread polls.
//
// Health: a 2xx promises that an event is kept, so the store watches the
// database file itself. Before each commit the writer compares the device and
// inode of the path with those of the file it opened (one stat(); SQLite's
// own descriptor is never touched, since closing any descriptor of the file
// would drop SQLite's POSIX locks). A file deleted or renamed over fails that
// batch and every later one: nothing is acknowledged into a file that no
// longer is the database, and the state stays until the collector restarts
// (reopening whatever now sits at the path is an operator's decision). A
// commit SQLite refuses (disk full, I/O error, read-only file system) fails
// its batch and marks the store unhealthy with SQLite's message; the next
// commit that succeeds clears it. Each change of state is logged once.
//
// Thread safety: every public member may be called from any thread.
// Completions run on the writer thread: keep them short (post elsewhere).

#include "sqlite_codec.hpp"
#include "serve_lock.hpp"
#include "storage.hpp"

#include <boost/json/value.hpp>

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;

namespace telemetry_collector {

// One connection, closed on destruction.
class sqlite_connection {
 public:
  // Throws std::runtime_error naming the path on failure.
  sqlite_connection(const std::string& path, bool read_only);
  ~sqlite_connection();
  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;
  sqlite3* get() const { return db_; }
  // Runs statements without results; throws std::runtime_error with SQLite's message.
  void exec(const char* sql);

 private:
  sqlite3* db_ = nullptr;
};

// One raw event as this engine stores it.
struct stored_event {
  clock_ms received_at = 0;
  std::string uuid;        // the event's own "uuid"
  std::string event_json;  // the validated event as stored: sqlite_store::encoder(), or a JSON object
};

struct day_aggregate {
  std::int64_t day = 0;  // days since 1970-01-01 (UTC)
  std::int64_t active_nodes = 0;
  // field -> value -> nodes; values as text ("true", "42", "linux")
  std::vector<std::tuple<std::string, std::string, std::int64_t>> counts;
};

// Inserts events inside the caller's transaction (a write job) with one
// prepared statement, reused. Throws std::runtime_error on failure.
class event_inserter {
 public:
  explicit event_inserter(sqlite3* db);
  ~event_inserter();
  event_inserter(const event_inserter&) = delete;
  event_inserter& operator=(const event_inserter&) = delete;
  void insert(const stored_event& e);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The work one write job does inside the shared transaction. Returns false (or
// throws) to fail; its changes are then rolled back to its savepoint.
using write_fn = std::function<bool(sqlite3*)>;
// Called once the transaction holding the job has committed (true) or not (false).
using done_fn = storage::done_fn;

// Small passes: commits wait behind a checkpoint's fsync of the database, so keep it short.
inline constexpr std::uint64_t k_checkpoint_bytes = 1u << 20;
inline constexpr std::int64_t k_assist_frames = 512;  // about 2 MiB: a few ms of copying
inline constexpr std::uint64_t k_wal_keep_bytes = 64u << 20;

class sqlite_store final : public storage {
 public:
  // opts.log: one line per change of the store's health (may be empty: not
  // logged), called on the thread that noticed it, under no lock of the store.
  // opts.max_batch: jobs per transaction at most. opts.serve: takes the
  // database's serve_lock first (a second serve must not touch it at all).
  using options = storage_options;

  // Opens (creating if needed, mode 0600) the database and its schema, and
  // starts the writer thread. Throws std::runtime_error naming the path.
  explicit sqlite_store(std::string path, options opts);
  explicit sqlite_store(std::string path) : sqlite_store(std::move(path), options{}) {}
  ~sqlite_store() override;  // close()
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  const std::string& path() const { return path_; }

  // storage
  std::string_view engine() const override { return "sqlite"; }
  const std::string& description() const override { return path_; }
  // Encodes on the calling thread (an I/O thread), then queues the insert.
  void insert(event_row e, done_fn done) override;
  void erase(std::string uuid, erase_fn done) override;
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
  std::chrono::seconds retry_after() const override { return std::chrono::seconds(60); }

  // Encodes validated events in this database's layout for the current
  // schema (sqlite_codec.hpp). Thread-safe (const).
  const event_encoder& encoder() const { return encoder_; }

  // Queues a job. After close() has begun, `done(false)` is called at once.
  void submit(write_fn fn, done_fn done);

  // One encoded event (the path ingest takes after encoding).
  void insert(stored_event e, done_fn done);

  // Blocking helpers for the CLI and tests (submit + wait).
  bool insert_sync(stored_event e);
  bool run_sync(write_fn fn);

  // Stops taking jobs, commits everything queued, joins the writer. Idempotent.
  void close() override;

  std::uint64_t batches_committed() const override { return batches_.load(); }

  // Called on the writer thread before and after each batch's completions,
  // so that a caller can gather what the completions post and hand it over
  // in one go (the server wakes each I/O thread once per batch, not once per
  // event). Set before the first job is queued.
  void set_completion_hooks(completion_hooks hooks) override { hooks_ = std::move(hooks); }

  // A new read-only connection to the same database.
  std::unique_ptr<sqlite_connection> reader() const;

  // Bytes used by the database files (main + WAL).
  std::uint64_t disk_bytes() override;

  // Why the store cannot keep events now (nullopt: it can), in words fit
  // for a public answer (no path). Also checks the file's identity, so a
  // deletion is seen without waiting for a write. One stat(); any thread.
  std::optional<std::string> problem() override;
  // The current problem is a failed write that a later commit may clear (not
  // a deleted or replaced file).
  bool problem_may_clear() override;
  // Writes one row of `meta` (a write that needs disk space), so that a
  // store failing on writes finds out whether it works again. Blocking.
  bool probe_write() override;

 private:
  // Either a general write job (fn, under its own savepoint) or one event to
  // insert (event; a single INSERT is atomic on its own, no savepoint needed).
  struct job {
    write_fn fn;
    done_fn done;
    std::optional<stored_event> event;
  };
  void writer_loop();
  void enqueue(job j);
  static collector_settings read_settings(sqlite3* db);
  void run_batch(std::vector<job>& batch);
  void checkpoint_loop();
  void after_commit();  // writer thread
  std::optional<std::string> file_changed() const;  // the path no longer names the file opened
  // Records a new state (problem or nullopt) and logs it when it changed.
  // `lasting`: a deleted or replaced file, which nothing but a restart clears.
  void set_problem(std::optional<std::string> problem, bool lasting);

  std::optional<serve_lock> serve_lock_;  // opts.serve: held for the store's life
  std::string path_;
  options opts_;
  ::dev_t file_dev_ = 0;  // identity of the database file opened, taken at open
  ::ino_t file_ino_ = 0;
  std::mutex health_mutex_;
  std::optional<std::string> problem_;  // with health_mutex_
  bool problem_lasting_ = false;        // with health_mutex_
  std::atomic<bool> unhealthy_{false};  // problem_ is set: the fast check on the write path
  std::unique_ptr<sqlite_connection> writer_;
  std::unique_ptr<event_inserter> inserter_;  // on writer_, used by the writer thread only
  event_encoder encoder_;                     // set in the constructor, read-only after
  completion_hooks hooks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool closing_ = false;
  std::atomic<std::uint64_t> batches_{0};
  std::thread thread_;
  std::condition_variable checkpoint_wake_;  // with mutex_, closing_ and checkpoint_wanted_
  bool checkpoint_wanted_ = false;
  std::thread checkpointer_;
  std::int64_t page_bytes_ = 4096;             // writer thread only
  std::atomic<std::int64_t> wal_frames_{0};    // frames in the WAL after the last commit (SQLite's wal hook)
  std::atomic<std::int64_t> copied_frames_{-1};  // through which frame the checkpointer's last pass copied; -1: none since
};

}  // namespace telemetry_collector
