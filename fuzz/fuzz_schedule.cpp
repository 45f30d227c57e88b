// Fuzzes the schedule arithmetic with properties: whatever Go duration is
// configured and whatever Retry-After a collector sends, nothing overflows
// (UBSan traps on signed overflow and on out-of-range float conversions), no
// send is due earlier than configured, and no retry is sooner than a second
// unless it comes from the backoff, or later than the Interval.
// Input: "<duration>\n<Retry-After value>\n<attempt byte><u byte>".
#include "duration_math.hpp"
#include "go_duration.hpp"
#include "retry_policy.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace ipfs_telemetry;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view duration_text = in.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  const auto nl2 = rest.find('\n');
  const std::string_view retry_after = rest.substr(0, nl2);
  const std::string_view tail = nl2 == std::string_view::npos ? std::string_view() : rest.substr(nl2 + 1);
  const unsigned attempt = tail.size() > 0 ? static_cast<unsigned char>(tail[0]) : 1;
  const double u = tail.size() > 1 ? static_cast<unsigned char>(tail[1]) / 256.0 : 0.5;

  auto d = parse_go_duration(duration_text);
  if (!d || *d < std::chrono::nanoseconds::zero()) return 0;
  const auto now = std::chrono::steady_clock::now();

  const auto first = first_send_delay(*d, u);
  const auto later = jittered_interval(*d, u);
  if (first < *d || later < *d) __builtin_trap();  // never earlier than configured
  const auto due = deadline_after(now, first);
  if (due < now) __builtin_trap();  // never in the past
  if (!is_never(due) && due - now != std::chrono::duration_cast<std::chrono::steady_clock::duration>(first))
    __builtin_trap();
  if (deadline_after(due, later) < due) __builtin_trap();

  const auto backoff = backoff_delay(attempt, k_retry_base, *d, u);
  if (backoff < std::chrono::nanoseconds::zero() || backoff > std::max(*d, std::chrono::nanoseconds::zero()))
    __builtin_trap();

  send_outcome o;
  o.status = (attempt & 1) ? 503 : 429;
  o.retry_after = std::string(retry_after);
  const auto plan = plan_retry(o, attempt == 0 ? 1 : attempt, k_retry_base, *d, u, std::chrono::system_clock::now());
  if (plan.give_up != ((attempt == 0 ? 1 : attempt) >= k_max_attempts)) __builtin_trap();
  if (!plan.give_up) {
    if (plan.delay < std::chrono::nanoseconds::zero() || plan.delay > *d) __builtin_trap();
    if (plan.from_retry_after && plan.delay < std::min(k_min_retry_after, *d)) __builtin_trap();
  }
  if (auto ra = parse_retry_after(retry_after, std::chrono::system_clock::now()))
    if (*ra < std::chrono::nanoseconds::zero() || *ra > std::chrono::hours(24 * 365)) __builtin_trap();
  return 0;
}
