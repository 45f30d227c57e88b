#pragma once
// What to do after an attempt, and when: classification of outcomes, full
// jitter exponential backoff, Retry-After, and the jittered schedule. Pure:
// randomness comes in as a number in [0, 1).

#include "sender.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace ipfs_telemetry {

enum class outcome_kind {
  success,    // 2xx
  retire,     // 410 Gone
  retry,      // network error, 5xx, 408, 429: back off and try the same event again
  next_interval,  // anything else (other 4xx, 3xx, a local configuration problem): wait for the next collection
};

outcome_kind classify(const send_outcome& o);

inline constexpr std::chrono::nanoseconds k_retry_base = std::chrono::minutes(1);
// Attempts of one collection, the first one included; after the last failure
// the event is dropped and the next collection makes a new one. So a collector
// that fails every request costs a node at most this many requests (and audit
// records) per Interval.
inline constexpr unsigned k_max_attempts = 5;
// A Retry-After shorter than this counts as absent (the backoff applies).
inline constexpr std::chrono::nanoseconds k_min_retry_after = std::chrono::seconds(1);

// Full jitter: u * min(cap, base * 2^(attempt-1)), attempt >= 1, u in [0, 1).
// Saturating (duration_math.hpp): never overflows, whatever base and cap are.
std::chrono::nanoseconds backoff_delay(unsigned attempt, std::chrono::nanoseconds base, std::chrono::nanoseconds cap,
                                       double u);

// Retry-After as delta-seconds ("120") or an HTTP date ("Wed, 21 Oct 2026
// 07:28:00 GMT", also the obsolete RFC 850 and asctime forms), relative to
// `now`. A date in the past is zero; more than a year is a year. nullopt when
// unparsable.
std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now);

// The first send: Delay plus up to 10% extra (never earlier than Delay).
std::chrono::nanoseconds first_send_delay(std::chrono::nanoseconds delay, double u);
// Later sends: Interval plus up to 10% extra (never earlier than Interval).
std::chrono::nanoseconds jittered_interval(std::chrono::nanoseconds interval, double u);

// What follows a failed attempt that classify() calls `retry`.
struct retry_plan {
  bool give_up = false;           // k_max_attempts reached: drop the event until the next collection
  std::chrono::nanoseconds delay{};  // otherwise: wait this long, then attempt again
  bool from_retry_after = false;  // the delay is the collector's Retry-After, not the backoff
};

// `attempts` made so far (>= 1). Retry-After is honoured for 429 and 503 when
// it is at least k_min_retry_after, capped at `cap`; otherwise full-jitter
// backoff from `base`, capped at `cap`.
retry_plan plan_retry(const send_outcome& outcome, unsigned attempts, std::chrono::nanoseconds base,
                      std::chrono::nanoseconds cap, double u, std::chrono::system_clock::time_point now);

}  // namespace ipfs_telemetry
