#include "buckets.hpp"

namespace ipfs_telemetry {

std::uint64_t repo_size_bucket(std::uint64_t bytes) {
  // All but the last bound are inclusive upper bounds; past 10 TiB is 11 TiB.
  for (std::size_t i = 0; i + 1 < k_repo_size_buckets.size(); ++i)
    if (bytes <= k_repo_size_buckets[i]) return k_repo_size_buckets[i];
  return k_repo_size_buckets.back();
}

std::int64_t uptime_bucket(std::chrono::nanoseconds uptime) {
  const std::int64_t ns = uptime.count();
  for (std::size_t i = 0; i + 1 < k_uptime_buckets.size(); ++i)
    if (ns <= k_uptime_buckets[i]) return k_uptime_buckets[i];
  return k_uptime_buckets.back();
}

}  // namespace ipfs_telemetry
