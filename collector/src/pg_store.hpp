#pragma once
// The PostgreSQL storage engine (libpq), behind storage.hpp.
//
// Tables (schema version k_pg_schema_version, migrations in pg_store.cpp):
//   events             raw events, PARTITION BY RANGE (received_at), one
//                      partition per UTC day named events_YYYYMMDD; columns
//                      id bigint (a sequence: export order, change detection),
//                      received_at timestamptz, and one typed column per
//                      property of the payload schema (uuid uuid, booleans
//                      boolean, integers bigint, strings text), derived from
//                      the embedded schema at start (a new property becomes a
//                      new nullable column); one index, on uuid (erasure).
//   day_summary        (day, active_nodes, raw_rows, max_id, sealed)
//   day_changes        (day): days whose raw events changed other than by
//                      arrival (erasure, import, a late insert), written in
//                      the same transaction as the change; maintenance
//                      recomputes today, yesterday and these, and clears them
//   day_field_counts   (day, field, value, nodes)
//   collector_meta     (key, value): the settings (settings.hpp), the
//                      write probe, which day's index is packed
//   settings_history   (id, at, setting, old_value, new_value, via): the
//                      last k_settings_history changes of the settings
//   collector_schema   (version)
//
// Threads and connections: a writer thread with its own connection takes
// every insert and erase job queued (up to max_batch) into one transaction,
// runs them in queue order (consecutive inserts as one INSERT), and
// completes them after COMMIT. Reads (stats, export, active nodes), import and maintenance each
// open a connection of their own, so none of them waits behind the writer
// or holds it up.
//
// Health: when the writer's session fails (server down, network cut), every
// job of that batch completes false (a COMMIT whose answer was lost counts as
// not made), problem() says "PostgreSQL unavailable" (the log line has
// libpq's reason), and insert()/erase() complete false at once until the writer has reconnected
// (it retries by itself, 100 ms doubling to 1 s). A statement that fails on
// a live session for a reason no retry of one event fixes (timeout,
// read-only, disk full, privilege: "PostgreSQL cannot write: <class>") fails
// its batch as one and keeps problem() set until a commit succeeds. Each
// change is logged once; problem() is public text and names no host, user
// or database (the log line carries libpq's reason, without the password).
//
// Several serve processes may share one database: maintenance runs under a
// session-level advisory lock, so on one at a time, and the lock is freed
// when its holder's session ends (a crash included).

#include "storage.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace telemetry_collector {

inline constexpr int k_pg_schema_version = 3;

// The advisory locks (pg_locks: locktype advisory, classid k_pg_lock_space,
// objid the lock, objsubid 2): maintenance, held for a pass by the session
// of the instance running it; migration, held by a transaction at start.
inline constexpr int k_pg_lock_space = 0x7e1e7;
inline constexpr int k_pg_maintenance_lock = 1;
inline constexpr int k_pg_migration_lock = 2;
inline constexpr int k_pg_settings_lock = 3;  // a change of the settings, in its transaction

// How long a statement may wait, per kind of session. Every wait on the
// database is bounded: a batch that cannot commit within writer_timeout
// fails (503) rather than holding every request behind it.
struct pg_timeouts {
  // statement_timeout and lock_timeout of the writer's session. A healthy
  // batch commits in milliseconds; 5 s is far above that under load, yet
  // short enough that a client gets its 503 well before its own deadline and
  // the queue does not pile up behind a lock.
  std::chrono::milliseconds writer{5000};
  // statement_timeout of reads (stats, export pages, active nodes), import
  // and maintenance (aggregation of a day, retention): generous.
  std::chrono::milliseconds reads{60000};
  // lock_timeout of DDL that runs beside ingest (partition creation, drops):
  // short, since every insert queues behind a waiting DDL lock; retried at
  // the next pass (or the next batch).
  std::chrono::milliseconds ddl_lock{200};
};

// Connects to the libpq URI `uri`, starts the writer. `must_exist` false
// (serve, import): creates or migrates the schema. True (export, cleanup):
// no DDL at open; refuses a database without collector_schema or with an
// older schema. Throws std::runtime_error naming the database (redacted
// URI: never the password) and libpq's reason; also when the database's
// schema version is newer than k_pg_schema_version, or its encoding is not
// UTF8.
std::unique_ptr<storage> open_pg_store(const std::string& uri, storage_options opts, bool must_exist = false,
                                       pg_timeouts timeouts = {});

}  // namespace telemetry_collector
