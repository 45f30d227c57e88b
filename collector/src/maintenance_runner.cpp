#include "maintenance_runner.hpp"


#include <sys/resource.h>
#include <unistd.h>

#include <utility>

namespace telemetry_collector {

maintenance_runner::maintenance_runner(storage& store, collector_metrics& metrics, std::function<int()> retention_days,
                                       std::chrono::seconds aggregate_every,
                                       std::function<void(const std::string&)> log)
    : store_(store),
      metrics_(metrics),
      retention_days_(std::move(retention_days)),
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

void maintenance_runner::retention_now() {
  {
    std::lock_guard lock(mutex_);
    retention_now_ = true;
  }
  wake_.notify_all();
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
    {
      std::lock_guard lock(mutex_);
      if (std::exchange(retention_now_, false)) next_retention = clock::now();
    }
    try {
      const int retention_days = retention_days_();
      maintenance_request request;
      request.cancel = &cancel_;
      request.retention_days = retention_days;
      request.now = now_ms();
      request.retention = clock::now() >= next_retention;
      if (request.retention) {
        request.pause = std::chrono::milliseconds(5);
        const auto t0 = clock::now();
        const auto r = store_.run_maintenance(request);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
        if (r.ran) {
          next_retention = clock::now() + std::chrono::hours(24);
          log_("retention pass (" + std::to_string(ms) + " ms): aggregated " + std::to_string(r.days_aggregated) +
               " day(s), deleted " + std::to_string(r.rows_deleted) + " raw event(s) received before the last " +
               std::to_string(retention_days) + " days" +
               (r.days_skipped ? ", " + std::to_string(r.days_skipped) + " day(s) left for the next pass" : ""));
        }
        // Not ran: another collector on the database holds the maintenance
        // lock; this one tries again next time round (and takes over if that
        // one goes away).
      } else {
        store_.run_maintenance(request);
      }
      if (cancel_) return;
      metrics_.set_active_nodes_24h(store_.active_nodes_since(now_ms() - k_day_ms));
      last_failure.clear();
    } catch (const std::exception& e) {
      if (e.what() != last_failure) log_(std::string("maintenance pass failed (will retry): ") + e.what());
      last_failure = e.what();
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, aggregate_every_, [this] { return stopping_ || retention_now_; }) && stopping_) return;
  }
}

}  // namespace telemetry_collector
