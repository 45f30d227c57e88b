#pragma once
// The collector's storage, whatever the engine: every operation the HTTP
// server, the maintenance thread and the CLI need, and nothing that names
// SQLite or libpq. Two implementations: sqlite_store (sqlite_store.hpp, the
// embedded default: a file path) and pg_store (pg_store.hpp: a libpq
// connection URI, postgresql://... or postgres://...). open_storage() picks
// one from --db.
//
// Promises every implementation keeps:
// - insert()/erase() complete (on a storage thread) only once the change is
//   durably committed (true) or definitely not made (false). A true is what
//   lets the server answer 2xx.
// - Completions run on a storage thread: keep them short (post elsewhere).
//   The completion hooks run around each group of completions, so the server
//   can hand them to each I/O thread in one go.
// - The blocking calls (stats, export, access, import, maintenance, probe) never run
//   on an I/O thread; callers put them on a pool of their own.
// - problem() is cheap (no I/O that can block on the database): the I/O
//   threads ask it for /healthz.
// - Nothing about a sender is stored: the event's own fields, its uuid (a
//   copy of the event's field, for erasure) and the time it was received.
//
// Thread safety: every member may be called from any thread.

#include "compiled_schema.hpp"
#include "log.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

using clock_ms = std::int64_t;  // milliseconds since the Unix epoch, UTC
inline constexpr clock_ms k_day_ms = 86'400'000;
clock_ms now_ms();

// A validated event, ready to store: the time it was received, its node's
// uuid, and its values in the payload schema's property order (values.names()).
struct event_row {
  clock_ms received_at = 0;
  std::string uuid;
  flat_event values;
};

// The same event as a JSON object (absent values left out).
boost::json::object event_object(const event_row& row);

// A row of a validated event object: its members named in `fields` (the
// validator's fields(), which must outlive the row), its "uuid".
event_row make_row(const boost::json::object& event, const std::vector<std::string>& fields, clock_ms received_at);

// One line of the NDJSON export format, "\n" included:
// {"received_at": "<RFC 3339 UTC>", "event": {...}}
std::string export_line(clock_ms received_at, const boost::json::object& event);

inline constexpr int k_min_retention_days = 1;
inline constexpr int k_max_retention_days = 730;
inline constexpr int k_default_retention_days = 90;
inline constexpr int k_max_stats_days = 730;

struct maintenance_request {
  bool retention = true;  // false: only refresh the aggregates of days whose raw events changed
  int retention_days = k_default_retention_days;
  clock_ms now = 0;
  const std::atomic<bool>* cancel = nullptr;  // set and true: stop between steps (the next pass resumes)
  std::chrono::milliseconds pause{0};         // between delete steps, so ingest commits in between
  // Several collectors on one database run maintenance one at a time. How
  // long to wait for another's pass to finish: zero means do not wait.
  std::chrono::milliseconds lock_wait{0};
};

struct maintenance_report {
  bool ran = true;     // false: another process holds the maintenance lock (nothing was done)
  std::string holder;  // then, who holds it, when the engine can tell ("pid 1234 on host ..."); may be empty
  int days_aggregated = 0;
  std::int64_t rows_deleted = 0;  // raw events removed by retention
  int days_skipped = 0;           // past retention but not aggregated yet (left for the next pass)
};

// The collector's two settings, stored in the database (so every collector
// on it shares them, and they survive restarts). A new database starts with
// collection off and k_default_retention_days; a database that already held
// events or aggregates when the settings came (an earlier version's) starts
// with collection on. settings.hpp says who acts on them.
struct collector_settings {
  bool collection = false;  // off: POST / stores nothing (503, Retry-After one day)
  int retention_days = k_default_retention_days;
  clock_ms collection_changed_at = 0;  // 0: never changed since the database was made
  clock_ms retention_changed_at = 0;
  // Counts the changes made: a running collector never goes back to an
  // older read of the settings than the one it follows.
  std::int64_t version = 0;
  friend bool operator==(const collector_settings&, const collector_settings&) = default;
};

// A change to make: the values given (the others stay).
struct settings_update {
  std::optional<bool> collection;
  std::optional<int> retention_days;  // k_min_retention_days..k_max_retention_days (checked by the caller)
};

// One recorded change: when, which setting, its old and new value as text
// ("on"/"off", days in decimal), and through what ("api", "command line",
// "start flag"). Nothing about who made it.
struct settings_change {
  clock_ms at = 0;
  std::string setting;  // "collection" or "retention_days"
  std::string old_value, new_value;
  std::string via;
};
inline constexpr std::size_t k_settings_history = 100;  // changes kept (older ones are dropped)

// What an import did: events written, and events left out because an
// identical one (same received_at, same values) is stored already.
struct import_report {
  bool ok = false;  // false: nothing was imported (the reason is logged)
  std::size_t imported = 0;
  std::size_t already_stored = 0;
};

// Reads raw events in one consistent snapshot, oldest first.
class export_cursor {
 public:
  virtual ~export_cursor() = default;
  // Appends at most `limit` export_line()s to `out`; false when none was
  // left. Throws std::runtime_error when the database fails.
  virtual bool next(int limit, std::string& out) = 0;
};

struct storage_options {
  // Opened by `serve` (not by a CLI command). SQLite: one serve per database
  // file (serve_lock). PostgreSQL: any number may share a database.
  bool serve = false;
  std::size_t max_batch = 1024;  // events per commit at most
  // One line per change of the store's health, and other operator notices
  // (never a password, never anything about a sender), with a level. May be empty.
  log_sink log;
};

// What a node may see of its own raw events (POST /v1/access): the newest
// ones, at most the limit asked for, as export_line()s oldest first.
struct node_events_read {
  std::string ndjson;
  std::size_t events = 0;
  bool more = false;  // the node has more stored than the limit (the oldest are left out)
};

class storage {
 public:
  using done_fn = std::function<void(bool committed)>;
  using erase_fn = std::function<void(bool committed, std::int64_t deleted)>;
  struct completion_hooks {
    std::function<void()> before, after;
  };

  virtual ~storage() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view engine() const = 0;
  // What to name in a log line: the path, or the URI with any password redacted.
  virtual const std::string& description() const = 0;

  // The write path. Completions as promised above. After close() has begun,
  // done(false) is called at once; also when the store knows it cannot write
  // now (a database that is down is not waited for).
  virtual void insert(event_row e, done_fn done) = 0;
  // Erases every raw event of `uuid`; `deleted` receives the count.
  virtual void erase(std::string uuid, erase_fn done) = 0;
  // Set before the first write.
  virtual void set_completion_hooks(completion_hooks hooks) = 0;

  // Blocking. All or nothing, in one transaction. An event identical to one
  // stored already (received_at and every value) is not written again, so
  // importing a file twice leaves the database as after once. `events` holds
  // no two identical events (the caller leaves repeats out).
  virtual import_report import_events(std::vector<event_row> events) = 0;
  // {"days": [{"date": "YYYY-MM-DD", "active_nodes": n, "fields": {field: {value: nodes}}}]}
  // for the `days` UTC days ending with the day of `now`, oldest first;
  // days without aggregates are left out. Throws std::runtime_error.
  virtual boost::json::object read_stats(int days, clock_ms now) = 0;
  // Distinct nodes with a raw event received at or after `since`. Throws.
  virtual std::int64_t active_nodes_since(clock_ms since) = 0;
  // Throws std::runtime_error when the database cannot be read.
  virtual std::unique_ptr<export_cursor> open_export() = 0;
  // The newest `limit` raw events of `uuid` (a canonical lower-case UUID),
  // from one snapshot. Blocking; throws std::runtime_error.
  virtual node_events_read node_events(const std::string& uuid, std::size_t limit) = 0;
  // Aggregation, then (when asked) retention (retention.hpp says what each does).
  // Throws std::runtime_error when the database fails midway (the next pass resumes).
  virtual maintenance_report run_maintenance(const maintenance_request& request) = 0;

  // The settings, read from the database. Blocking; throws std::runtime_error.
  virtual collector_settings read_settings() = 0;
  // Applies `update` in one transaction and records each value that changed
  // (at `now`, `via`); returns the settings after it. Blocking; throws.
  virtual collector_settings update_settings(const settings_update& update, std::string_view via, clock_ms now) = 0;
  // The recorded changes, newest first, at most `limit`. Blocking; throws.
  virtual std::vector<settings_change> settings_history(std::size_t limit) = 0;
  // Raw events received before UTC day `day` (days since 1970-01-01): what
  // a retention pass whose first kept day is `day` deletes. Blocking; throws.
  virtual std::int64_t raw_events_before_day(std::int64_t day) = 0;

  // Why the store cannot keep events now (nullopt: it can), in words fit for
  // a public answer (no path, no password). Cheap.
  virtual std::optional<std::string> problem() = 0;
  // The current problem is one a later write may clear (not a deleted file).
  virtual bool problem_may_clear() = 0;
  // One small write, so that a store failing on writes finds out whether it
  // works again. Blocking.
  virtual bool probe_write() = 0;
  // What to put in Retry-After when the store fails a write.
  virtual std::chrono::seconds retry_after() const = 0;

  // Bytes the stored data takes (tables and indexes, or files). Cheap: may be
  // a figure refreshed by the last maintenance pass.
  virtual std::uint64_t disk_bytes() = 0;
  // Transactions committed by the write path (group commit: events per commit).
  virtual std::uint64_t batches_committed() const = 0;

  // Stops taking writes, commits everything queued, stops the store's threads. Idempotent.
  virtual void close() = 0;
};

// postgresql://... or postgres://... (libpq's URI schemes).
bool is_postgresql_uri(std::string_view db);

// The URI with the password (if any) replaced by "****"; anything else as it is.
std::string redact_db(std::string_view db);

// Thrown by open_storage when `must_exist` and a SQLite path names no file.
struct no_such_database : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A SQLite path (created 0600 if missing, unless `must_exist`) or a libpq
// URI (`must_exist`: no schema is created or migrated). Throws
// std::runtime_error naming the database (redacted) and the reason.
std::unique_ptr<storage> open_storage(const std::string& db, storage_options opts, bool must_exist = false);

}  // namespace telemetry_collector
