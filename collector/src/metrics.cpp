#include "metrics.hpp"

#include "version.hpp"

#include <cstdio>

namespace telemetry_collector {

namespace {
std::size_t reason_index(std::string_view reason) {
  for (std::size_t i = 0; i < collector_metrics::k_reasons.size(); ++i)
    if (collector_metrics::k_reasons[i] == reason) return i;
  return collector_metrics::k_reasons.size() - 1;  // other
}
}  // namespace

void collector_metrics::event_accepted(double seconds) {
  accepted_.fetch_add(1, std::memory_order_relaxed);
  std::size_t i = 0;
  while (i < k_latency_bounds.size() && seconds > k_latency_bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void collector_metrics::rejected(std::string_view reason) {
  rejected_[reason_index(reason)].fetch_add(1, std::memory_order_relaxed);
}

std::string collector_metrics::render(std::uint64_t database_bytes, std::uint64_t commits, bool storage_healthy) const {
  std::string out;
  char line[160];
  out += "# HELP telemetry_collector_build_info The collector's version, as a label; the value is always 1.\n"
         "# TYPE telemetry_collector_build_info gauge\n";
  std::snprintf(line, sizeof line, "telemetry_collector_build_info{version=\"%s\"} 1\n", collector_version());
  out += line;
  out += "# HELP telemetry_events_accepted_total Events validated and committed.\n"
         "# TYPE telemetry_events_accepted_total counter\n";
  std::snprintf(line, sizeof line, "telemetry_events_accepted_total %llu\n",
                static_cast<unsigned long long>(accepted_.load()));
  out += line;
  out += "# HELP telemetry_collector_events_unknown_keys_total Accepted events that had keys no payload shape has "
         "(dropped before storing; a newer sender).\n"
         "# TYPE telemetry_collector_events_unknown_keys_total counter\n";
  std::snprintf(line, sizeof line, "telemetry_collector_events_unknown_keys_total %llu\n",
                static_cast<unsigned long long>(unknown_keys_.load()));
  out += line;
  out += "# HELP telemetry_requests_rejected_total Event, erasure and access requests refused, by reason.\n"
         "# TYPE telemetry_requests_rejected_total counter\n";
  for (std::size_t i = 0; i < k_reasons.size(); ++i) {
    std::snprintf(line, sizeof line, "telemetry_requests_rejected_total{reason=\"%.*s\"} %llu\n",
                  static_cast<int>(k_reasons[i].size()), k_reasons[i].data(),
                  static_cast<unsigned long long>(rejected_[i].load()));
    out += line;
  }
  out += "# HELP telemetry_erasure_requests_total Erasure requests committed (public and admin).\n"
         "# TYPE telemetry_erasure_requests_total counter\n";
  std::snprintf(line, sizeof line, "telemetry_erasure_requests_total %llu\n",
                static_cast<unsigned long long>(erasures_.load()));
  out += line;
  out += "# HELP telemetry_access_requests_total Access requests answered (POST /v1/access).\n"
         "# TYPE telemetry_access_requests_total counter\n";
  std::snprintf(line, sizeof line, "telemetry_access_requests_total %llu\n",
                static_cast<unsigned long long>(accesses_.load()));
  out += line;
  out += "# HELP telemetry_ingest_latency_seconds From a request read to its event committed.\n"
         "# TYPE telemetry_ingest_latency_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load();
    if (i < k_latency_bounds.size())
      std::snprintf(line, sizeof line, "telemetry_ingest_latency_seconds_bucket{le=\"%g\"} %llu\n",
                    k_latency_bounds[i], static_cast<unsigned long long>(cumulative));
    else
      std::snprintf(line, sizeof line, "telemetry_ingest_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
                    static_cast<unsigned long long>(cumulative));
    out += line;
  }
  std::snprintf(line, sizeof line, "telemetry_ingest_latency_seconds_sum %.6f\ntelemetry_ingest_latency_seconds_count %llu\n",
                static_cast<double>(latency_sum_us_.load()) / 1e6, static_cast<unsigned long long>(cumulative));
  out += line;
  out += "# HELP telemetry_store_commits_total Database transactions committed; each is one fsync shared by its events.\n"
         "# TYPE telemetry_store_commits_total counter\n";
  std::snprintf(line, sizeof line, "telemetry_store_commits_total %llu\n", static_cast<unsigned long long>(commits));
  out += line;
  out += "# HELP telemetry_database_bytes Size of the database files (main and WAL).\n"
         "# TYPE telemetry_database_bytes gauge\n";
  std::snprintf(line, sizeof line, "telemetry_database_bytes %llu\n", static_cast<unsigned long long>(database_bytes));
  out += line;
  out += "# HELP telemetry_collector_storage_healthy 1 while the database can keep events, 0 while /healthz answers 503.\n"
         "# TYPE telemetry_collector_storage_healthy gauge\n";
  out += storage_healthy ? "telemetry_collector_storage_healthy 1\n" : "telemetry_collector_storage_healthy 0\n";
  out += "# HELP telemetry_collector_collection_on 1 while the Enable Telemetry setting is on, 0 while off (POST / answers 503).\n"
         "# TYPE telemetry_collector_collection_on gauge\n";
  out += collection_on_.load() ? "telemetry_collector_collection_on 1\n" : "telemetry_collector_collection_on 0\n";
  const auto active = active_24h_.load();
  if (active >= 0) {
    out += "# HELP telemetry_active_nodes_24h Distinct nodes with an event in the last 24 hours.\n"
           "# TYPE telemetry_active_nodes_24h gauge\n";
    std::snprintf(line, sizeof line, "telemetry_active_nodes_24h %lld\n", static_cast<long long>(active));
    out += line;
  }
  return out;
}

}  // namespace telemetry_collector
