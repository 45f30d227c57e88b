#include "duration_math.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace ipfs_telemetry {

namespace {
using ns = std::chrono::nanoseconds;
ns non_negative(ns d) { return d < ns::zero() ? ns::zero() : d; }
}  // namespace

ns saturating_add(ns a, ns b) {
  a = non_negative(a);
  b = non_negative(b);
  if (a > k_never - b) return k_never;
  return a + b;
}

ns saturating_scale(ns d, double factor) {
  d = non_negative(d);
  if (!(factor > 0)) return ns::zero();  // also NaN
  const double product = static_cast<double>(d.count()) * factor;
  // 2^63 is exactly representable; anything at or above it does not fit int64.
  constexpr double limit = 9223372036854775808.0;
  if (!std::isfinite(product) || product >= limit) return k_never;
  return ns(static_cast<std::int64_t>(product));
}

ns saturating_shift(ns d, unsigned exponent) {
  d = non_negative(d);
  for (unsigned i = 0; i < exponent; ++i) {
    if (d > k_never / 2) return k_never;
    d *= 2;
  }
  return d;
}

std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::time_point t, ns d) {
  using tp = std::chrono::steady_clock::time_point;
  const auto step = std::chrono::duration_cast<tp::duration>(non_negative(d));
  if (t.time_since_epoch() > tp::max().time_since_epoch() - step) return tp::max();
  return t + step;
}

}  // namespace ipfs_telemetry
