#include "retry_policy.hpp"

#include "duration_math.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>

namespace ipfs_telemetry {

outcome_kind classify(const send_outcome& o) {
  if (o.ec) return o.permanent ? outcome_kind::next_interval : outcome_kind::retry;
  if (o.status >= 200 && o.status < 300) return outcome_kind::success;
  if (o.status == 410) return outcome_kind::retire;
  if (o.status >= 500 || o.status == 408 || o.status == 429) return outcome_kind::retry;
  return outcome_kind::next_interval;
}

std::chrono::nanoseconds backoff_delay(unsigned attempt, std::chrono::nanoseconds base, std::chrono::nanoseconds cap,
                                       double u) {
  const auto ceiling = std::min(saturating_shift(base, attempt > 0 ? attempt - 1 : 0), cap);
  if (!(u >= 0)) u = 0;
  if (u >= 1) u = 0.999999;
  return std::min(saturating_scale(ceiling, u), ceiling);
}

std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  // Everything is compared in whole seconds, capped at a year before any
  // conversion to nanoseconds, so no value (year 9999, 10^18 seconds) overflows.
  constexpr std::int64_t year = 365LL * 24 * 3600;
  auto seconds = [](std::int64_t s) { return std::chrono::nanoseconds(std::chrono::seconds(s)); };
  bool digits = true;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 9) return seconds(year);
    return seconds(std::min<std::int64_t>(std::stol(std::string(value)), year));
  }
  // IMF-fixdate, RFC 850, asctime (RFC 9110 section 5.6.7).
  const std::string s(value);
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  for (const char* fmt : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), fmt, &tm);
    if (!end || *end != '\0') continue;
    const std::int64_t when_s = static_cast<std::int64_t>(timegm(&tm));
    if (when_s <= now_s) return seconds(0);
    return seconds(std::min(when_s - now_s, year));
  }
  return std::nullopt;
}

namespace {
// d plus u * 10% of d, u clamped to [0, 1]; saturating.
std::chrono::nanoseconds plus_up_to_a_tenth(std::chrono::nanoseconds d, double u) {
  if (!(u >= 0)) u = 0;
  if (u > 1) u = 1;
  return saturating_add(d, saturating_scale(d, 0.10 * u));
}
}  // namespace

std::chrono::nanoseconds first_send_delay(std::chrono::nanoseconds delay, double u) {
  return plus_up_to_a_tenth(delay, u);
}

std::chrono::nanoseconds jittered_interval(std::chrono::nanoseconds interval, double u) {
  return plus_up_to_a_tenth(interval, u);
}

retry_plan plan_retry(const send_outcome& outcome, unsigned attempts, std::chrono::nanoseconds base,
                      std::chrono::nanoseconds cap, double u, std::chrono::system_clock::time_point now) {
  retry_plan plan;
  if (attempts >= k_max_attempts) {
    plan.give_up = true;
    return plan;
  }
  if (!outcome.ec && (outcome.status == 429 || outcome.status == 503) && !outcome.retry_after.empty()) {
    if (auto ra = parse_retry_after(outcome.retry_after, now); ra && *ra >= k_min_retry_after) {
      plan.delay = std::min(*ra, cap);
      plan.from_retry_after = true;
      return plan;
    }
  }
  plan.delay = backoff_delay(attempts, base, cap, u);
  return plan;
}

}  // namespace ipfs_telemetry
