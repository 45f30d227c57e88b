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

// Full jitter: u * min(cap, base * 2^(attempt-1)), attempt >= 1, u in [0, 1).
std::chrono::nanoseconds backoff_delay(unsigned attempt, std::chrono::nanoseconds base, std::chrono::nanoseconds cap,
                                       double u);

// Retry-After as delta-seconds ("120") or an HTTP date ("Wed, 21 Oct 2026
// 07:28:00 GMT", also the obsolete RFC 850 and asctime forms), relative to
// `now`. A date in the past is zero. nullopt when unparsable.
std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now);

// The first send: Delay plus up to 10% extra (never earlier than Delay).
std::chrono::nanoseconds first_send_delay(std::chrono::nanoseconds delay, double u);
// Later sends: Interval +/- 5%.
std::chrono::nanoseconds jittered_interval(std::chrono::nanoseconds interval, double u);

}  // namespace ipfs_telemetry
