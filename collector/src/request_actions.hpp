#pragma once
// Carries out what handle_request decided (store an event, erase a node,
// read the stats, stream the export, report health or metrics) against the
// storage, the metrics and the reader pool, and hands the session the answer
// to write. The session (server.cpp) only reads and writes HTTP; this unit
// knows no socket, and, through storage.hpp, no database engine.
//
// Threads: storage completions arrive on the store's writer thread, reads
// run on the reader pool; every answer is delivered on the executor the
// session gives (its own I/O thread). Completions of one batch of writes are
// handed to each I/O thread in one post (gather_completions).

#include "log.hpp"
#include "metrics.hpp"
#include "request_handler.hpp"
#include "storage.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

// Names each event key that no payload shape has, once per process, in the
// log: the operator learns that senders newer than this collector exist.
// Bounded: at most k_max_named names (shown printable, at most 64 bytes),
// then one line saying that more are not named. Values are never logged.
class new_key_notices {
 public:
  static constexpr std::size_t k_max_named = 32;
  void note(const std::vector<std::string>& keys, const log_sink& log);

 private:
  std::mutex mutex_;
  std::set<std::string> named_;
  bool told_limit_ = false;
};

// `key` as a log may show it: printable ASCII other than quote and
// backslash (anything else as '?'), at most 64 bytes (then "...").
std::string printable_key(std::string_view key);

struct action_context {
  storage* store = nullptr;
  collector_metrics* metrics = nullptr;
  boost::asio::thread_pool* readers = nullptr;    // blocking reads: stats
  // The export's reads, a pool of their own: an export can hold a thread for
  // long (PostgreSQL sorts a day before its first row), and must not hold up
  // /v1/stats. nullptr: the readers.
  boost::asio::thread_pool* exporters = nullptr;
  // The access requests' reads (POST /v1/access, which needs no token): a
  // flood of them waits here, not in front of the stats, the settings and an
  // admin's PUT on the readers. nullptr: the readers.
  boost::asio::thread_pool* accessors = nullptr;
  // Bytes of /v1/stats answers built and not yet written, over every
  // session: beyond max_stats_bytes a new stats request is answered 503
  // (Retry-After: 1) instead of being read, so clients reading slowly cannot
  // make the collector hold an unbounded amount of memory.
  std::atomic<std::size_t> stats_bytes{0};
  std::size_t max_stats_bytes = 32u << 20;
  // The settings in effect in this collector: a PUT /v1/settings is applied
  // to them as soon as it is saved (the other collectors on the database
  // read it within settings.hpp's k_settings_poll). May be nullptr.
  settings_state* settings = nullptr;
  // Operator notices (a settings change that could not be saved, a new
  // event key). May be empty.
  log_sink log;
  new_key_notices new_keys;
};

// A share of action_context::stats_bytes, given back when destroyed (once
// the answer holding it has been written, or its session has ended).
class bytes_hold {
 public:
  bytes_hold() = default;
  bytes_hold(std::atomic<std::size_t>& counter, std::size_t n);
  // A share of `n` when the counter holds nothing yet (so one answer larger
  // than the budget is still served, alone) or `n` more stays within `max`;
  // nullopt otherwise. One atomic step: answers built at the same time on
  // several threads cannot all pass a check made before any was added.
  static std::optional<bytes_hold> try_reserve(std::atomic<std::size_t>& counter, std::size_t n, std::size_t max);
  ~bytes_hold() { release(); }
  bytes_hold(bytes_hold&& o) noexcept;
  bytes_hold& operator=(bytes_hold&& o) noexcept;
  void release();

 private:
  std::atomic<std::size_t>* counter_ = nullptr;
  std::size_t n_ = 0;
};

// The export's body: NDJSON read in chunks on the reader pool, all from one
// snapshot of the database.
class export_stream {
 public:
  virtual ~export_stream() = default;
  // Reads the next chunk and hands it to `done` on the session's executor:
  // text, "" at the end, or nullopt when the database failed (the client
  // then sees a truncated body).
  virtual void next(std::function<void(std::optional<std::string>)> done) = 0;
};

struct answer {
  enum class kind {
    response,  // write `response`
    accepted,  // write the pre-serialized accepted() (accepted_wire)
    stream,    // write a chunked NDJSON body from `stream` (the header: export_header())
  } what = kind::response;
  http::response<http::string_body> response;
  std::shared_ptr<export_stream> stream;
  bytes_hold hold;  // keep until the answer is written
};

// What the session knows of the request being answered.
struct request_meta {
  unsigned version = 11;
  bool keep_alive = true;
  std::chrono::steady_clock::time_point started;  // when it was read: the ingest latency
};

using answer_fn = std::function<void(answer)>;

// Carries out `result` and calls `reply` exactly once: at once (inline) when
// the answer is ready without waiting, otherwise later on `ex`. Counts
// rejections, acceptances and erasures in ctx.metrics.
void carry_out(action_context& ctx, handler_result result, const request_meta& meta,
               const boost::asio::any_io_executor& ex, answer_fn reply);

// The header of the export's chunked NDJSON answer.
http::response<http::empty_body> export_header(unsigned version);

// Makes the store's writer hand each batch's completions to each I/O thread
// in one post. Call before the first write is queued.
void gather_completions(storage& store);

}  // namespace telemetry_collector
