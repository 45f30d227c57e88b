#include "maintenance_runner.hpp"

#include "retention.hpp"
#include "store_queries.hpp"

#include <sys/resource.h>
#include <unistd.h>

namespace telemetry_collector {

maintenance_runner::maintenance_runner(event_store& store, collector_metrics& metrics, int retention_days,
                                       std::chrono::seconds aggregate_every,
                                       std::function<void(const std::string&)> log)
    : store_(store),
      metrics_(metrics),
      retention_days_(retention_days),
      aggregate_every_(aggregate_every),
      log_(std::move(log)),
      thread_([this] { loop(); }) {}

maintenance_runner::~maintenance_runner() { stop(); }

void maintenance_runner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void maintenance_runner::loop() {
  using clock = std::chrono::steady_clock;
  // Background work: below the I/O threads and the writer when the CPU is
  // contended (Linux: a per-thread nice value).
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  auto next_retention = clock::now();
  std::string last_failure;  // logged once, not once a pass
  for (;;) {
    // A store that cannot write (its own log line says why) gets one probe
    // write a pass, so that it finds out when it works again; the passes
    // wait until it does.
    if (store_.problem_may_clear()) store_.probe_write();
    if (store_.problem()) {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, aggregate_every_, [this] { return stopping_; })) return;
      continue;
    }
    try {
      if (clock::now() >= next_retention) {
        const auto t0 = clock::now();
        const auto r = run_maintenance(store_, retention_days_, now_ms(), &cancel_, std::chrono::milliseconds(5));
        next_retention = clock::now() + std::chrono::hours(24);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
        log_("retention pass (" + std::to_string(ms) + " ms): aggregated " + std::to_string(r.days_aggregated) +
             " day(s), deleted " +
             std::to_string(r.rows_deleted) + " raw event(s) received before the last " +
             std::to_string(retention_days_) + " days" +
             (r.days_skipped ? ", " + std::to_string(r.days_skipped) + " day(s) left for the next pass" : ""));
      } else {
        aggregate_changed_days(store_, &cancel_);
      }
      if (cancel_) return;
      auto db = store_.reader();
      metrics_.set_active_nodes_24h(active_nodes_since(*db, now_ms() - k_day_ms));
      last_failure.clear();
    } catch (const std::exception& e) {
      if (e.what() != last_failure) log_(std::string("maintenance pass failed (will retry): ") + e.what());
      last_failure = e.what();
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, aggregate_every_, [this] { return stopping_; })) return;
  }
}

}  // namespace telemetry_collector
