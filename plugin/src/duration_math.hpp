#pragma once
// The one place where the plugin does arithmetic on durations and deadlines.
//
// Rule: saturate, never overflow. Every duration is non-negative and at most
// k_never (the largest std::chrono::nanoseconds, about 292 years); a sum or a
// product that would exceed it is k_never, and a deadline that would fall
// beyond the steady clock's range is time_point::max(), which an Asio timer
// treats as "never expires". So a very large Delay, Interval or Timeout means
// "never" (or "no deadline"), and nothing is ever scheduled earlier than its
// configured time because a sum wrapped around. Negative inputs count as zero.

#include <chrono>

namespace ipfs_telemetry {

inline constexpr std::chrono::nanoseconds k_never = std::chrono::nanoseconds::max();

// a + b, saturating at k_never.
std::chrono::nanoseconds saturating_add(std::chrono::nanoseconds a, std::chrono::nanoseconds b);

// d * factor (factor >= 0; NaN counts as 0), saturating at k_never.
std::chrono::nanoseconds saturating_scale(std::chrono::nanoseconds d, double factor);

// d * 2^exponent, saturating at k_never.
std::chrono::nanoseconds saturating_shift(std::chrono::nanoseconds d, unsigned exponent);

// t + d, or time_point::max() when that is beyond the clock's range.
std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::time_point t,
                                                     std::chrono::nanoseconds d);

// True when `t` is the saturated "never" of deadline_after.
inline bool is_never(std::chrono::steady_clock::time_point t) {
  return t == std::chrono::steady_clock::time_point::max();
}

}  // namespace ipfs_telemetry
