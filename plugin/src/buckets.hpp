#pragma once
// Coarse buckets for repo size and uptime: the value sent is the smallest
// bound not below the measured value; the last bound means "more than the one
// before it".

#include <array>
#include <chrono>
#include <cstdint>

namespace ipfs_telemetry {

inline constexpr std::uint64_t k_gib = std::uint64_t{1} << 30;
inline constexpr std::uint64_t k_tib = std::uint64_t{1} << 40;

inline constexpr std::array<std::uint64_t, 8> k_repo_size_buckets = {
    1 * k_gib, 5 * k_gib, 10 * k_gib, 100 * k_gib, 500 * k_gib, 1 * k_tib, 10 * k_tib, 11 * k_tib};

inline constexpr std::int64_t k_day_ns = 86400LL * 1000000000LL;
inline constexpr std::array<std::int64_t, 7> k_uptime_buckets = {
    1 * k_day_ns, 2 * k_day_ns, 3 * k_day_ns, 7 * k_day_ns, 14 * k_day_ns, 30 * k_day_ns, 31 * k_day_ns};

// Bytes in, bucket bound in bytes out.
std::uint64_t repo_size_bucket(std::uint64_t bytes);

// Uptime in, bucket bound in nanoseconds (Go time.Duration) out. Negative
// durations count as zero.
std::int64_t uptime_bucket(std::chrono::nanoseconds uptime);

}  // namespace ipfs_telemetry
