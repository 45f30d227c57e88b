#include "retry_policy.hpp"

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
  std::chrono::nanoseconds ceiling = base;
  for (unsigned i = 1; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  if (ceiling > cap) ceiling = cap;
  if (u < 0) u = 0;
  if (u >= 1) u = 0.999999;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(ceiling.count()) * u));
}

std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  bool digits = true;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 9) return std::chrono::nanoseconds(std::chrono::hours(24 * 365));  // absurd: a year
    return std::chrono::nanoseconds(std::chrono::seconds(std::stol(std::string(value))));
  }
  // IMF-fixdate, RFC 850, asctime (RFC 9110 section 5.6.7).
  const std::string s(value);
  for (const char* fmt : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), fmt, &tm);
    if (!end || *end != '\0') continue;
    const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
    if (when <= now) return std::chrono::nanoseconds(0);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(when - now);
  }
  return std::nullopt;
}

std::chrono::nanoseconds first_send_delay(std::chrono::nanoseconds delay, double u) {
  if (u < 0) u = 0;
  if (u > 1) u = 1;
  return delay + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * 0.10 * u));
}

std::chrono::nanoseconds jittered_interval(std::chrono::nanoseconds interval, double u) {
  if (u < 0) u = 0;
  if (u > 1) u = 1;
  const double factor = 0.95 + 0.10 * u;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(interval.count()) * factor));
}

}  // namespace ipfs_telemetry
