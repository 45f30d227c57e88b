#include "duration_math.hpp"
#include "retry_policy.hpp"

#include <boost/test/unit_test.hpp>

#include <limits>

using namespace ipfs_telemetry;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using std::chrono::steady_clock;

BOOST_AUTO_TEST_SUITE(duration_math_tests)

BOOST_AUTO_TEST_CASE(sums_and_products_saturate_at_never) {
  BOOST_TEST(saturating_add(1s, 2s).count() == nanoseconds(3s).count());
  BOOST_TEST(saturating_add(k_never, 1ns).count() == k_never.count());
  BOOST_TEST(saturating_add(k_never - 1ns, 2ns).count() == k_never.count());
  BOOST_TEST(saturating_add(-5s, 1s).count() == nanoseconds(1s).count());  // negative counts as zero
  BOOST_TEST(saturating_scale(10s, 1.5).count() == nanoseconds(15s).count());
  BOOST_TEST(saturating_scale(k_never, 1.1).count() == k_never.count());
  BOOST_TEST(saturating_scale(k_never, 1.0).count() == k_never.count());
  BOOST_TEST(saturating_scale(10s, -1.0).count() == 0);
  BOOST_TEST(saturating_scale(10s, std::numeric_limits<double>::quiet_NaN()).count() == 0);
  BOOST_TEST(saturating_scale(10s, std::numeric_limits<double>::infinity()).count() == k_never.count());
  BOOST_TEST(saturating_shift(1min, 3).count() == nanoseconds(8min).count());
  BOOST_TEST(saturating_shift(1min, 70).count() == k_never.count());
  BOOST_TEST(saturating_shift(1min, 4000000000u).count() == k_never.count());
}

BOOST_AUTO_TEST_CASE(a_deadline_beyond_the_clock_is_never_not_the_past) {
  const auto now = steady_clock::now();
  BOOST_TEST(is_never(deadline_after(now, k_never)));
  BOOST_TEST(is_never(deadline_after(now, k_never - 1s)));
  BOOST_TEST(!is_never(deadline_after(now, 24h)));
  BOOST_TEST((deadline_after(now, 24h) - now == steady_clock::duration(24h)));
  BOOST_TEST(is_never(deadline_after(steady_clock::time_point::max(), 1ns)));
  BOOST_TEST((deadline_after(now, -1s) == now));
  for (nanoseconds d : {nanoseconds(1s), nanoseconds(24h), nanoseconds(100000h), k_never / 2, k_never})
    BOOST_TEST((deadline_after(now, d) >= now), d.count());  // never earlier than now
}

BOOST_AUTO_TEST_CASE(the_largest_delay_and_interval_never_send_early) {
  // The largest value Go's ParseDuration accepts ("2562047h47m16.854775807s").
  for (double u : {0.0, 0.5, 1.0}) {
    BOOST_TEST(first_send_delay(k_never, u).count() == k_never.count());
    BOOST_TEST(jittered_interval(k_never, u).count() == k_never.count());
    BOOST_TEST(first_send_delay(k_never / 2, u) >= k_never / 2);
    BOOST_TEST(jittered_interval(k_never / 2, u) >= k_never / 2);
  }
  const auto now = steady_clock::now();
  BOOST_TEST(is_never(deadline_after(now, first_send_delay(k_never, 0.0))));
  for (unsigned attempt : {1u, 2u, 40u, 64u, 1000u}) {
    const auto d = backoff_delay(attempt, 1min, k_never, 0.999);
    BOOST_TEST(d >= nanoseconds::zero(), attempt);
    BOOST_TEST(d <= k_never, attempt);
  }
  BOOST_TEST(backoff_delay(1000, k_never, k_never, 0.5) >= nanoseconds(k_never / 3));
}

BOOST_AUTO_TEST_SUITE_END()
