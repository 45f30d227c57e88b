#pragma once
// The collector's counters, rendered as Prometheus text at GET /metrics.
// Thread-safe: plain atomics, updated from any I/O thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace telemetry_collector {

class collector_metrics {
 public:
  // Upper bounds (seconds) of the ingest latency histogram: request read to commit.
  static constexpr std::array<double, 12> k_latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                           0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  // Reasons a POST /, DELETE / or POST /v1/access is refused; anything else counts as "other".
  static constexpr std::array<std::string_view, 8> k_reasons{
      "malformed_json", "invalid_event",  "too_large", "retired", "invalid_erasure", "invalid_access",
      "storage_failure", "other"};

  void event_accepted(double seconds);
  void rejected(std::string_view reason);
  void erasure() { erasures_.fetch_add(1, std::memory_order_relaxed); }
  // An accepted event had keys no payload shape has (left out before it was stored).
  void unknown_keys_dropped() { unknown_keys_.fetch_add(1, std::memory_order_relaxed); }
  // An access request answered (POST /v1/access): how many, never whose.
  void access() { accesses_.fetch_add(1, std::memory_order_relaxed); }
  void set_active_nodes_24h(std::int64_t n) { active_24h_.store(n, std::memory_order_relaxed); }
  void set_collection_on(bool on) { collection_on_.store(on, std::memory_order_relaxed); }

  std::uint64_t accepted_count() const { return accepted_.load(); }

  // `commits`: transactions the store committed (group commit: events per commit = accepted / commits).
  // `storage_healthy`: the store can keep events now (storage::problem() is empty), as /healthz says.
  std::string render(std::uint64_t database_bytes, std::uint64_t commits, bool storage_healthy) const;

 private:
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> erasures_{0};
  std::atomic<std::uint64_t> unknown_keys_{0};
  std::atomic<std::uint64_t> accesses_{0};
  std::array<std::atomic<std::uint64_t>, k_reasons.size()> rejected_{};
  std::array<std::atomic<std::uint64_t>, k_latency_bounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::atomic<std::int64_t> active_24h_{-1};  // -1: not computed yet
  std::atomic<bool> collection_on_{true};
};

}  // namespace telemetry_collector
