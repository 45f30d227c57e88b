#include "buckets.hpp"

#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;
using std::chrono::nanoseconds;

BOOST_AUTO_TEST_SUITE(buckets_tests)

BOOST_AUTO_TEST_CASE(repo_size_at_and_around_every_bound) {
  BOOST_TEST(repo_size_bucket(0) == k_gib);
  BOOST_TEST(repo_size_bucket(1) == k_gib);
  const std::uint64_t bounds[] = {1 * k_gib, 5 * k_gib, 10 * k_gib, 100 * k_gib, 500 * k_gib, 1 * k_tib, 10 * k_tib};
  const std::uint64_t next[] = {5 * k_gib, 10 * k_gib, 100 * k_gib, 500 * k_gib, 1 * k_tib, 10 * k_tib, 11 * k_tib};
  for (std::size_t i = 0; i < std::size(bounds); ++i) {
    BOOST_TEST_CONTEXT("bound " << bounds[i]) {
      BOOST_TEST(repo_size_bucket(bounds[i] - 1) == bounds[i]);
      BOOST_TEST(repo_size_bucket(bounds[i]) == bounds[i]);
      BOOST_TEST(repo_size_bucket(bounds[i] + 1) == next[i]);
    }
  }
  BOOST_TEST(repo_size_bucket(11 * k_tib) == 11 * k_tib);
  BOOST_TEST(repo_size_bucket(1000 * k_tib) == 11 * k_tib);
  BOOST_TEST(repo_size_bucket(~std::uint64_t{0}) == 11 * k_tib);
}

BOOST_AUTO_TEST_CASE(uptime_at_and_around_every_bound) {
  BOOST_TEST(uptime_bucket(nanoseconds(0)) == k_day_ns);
  BOOST_TEST(uptime_bucket(nanoseconds(-5)) == k_day_ns);
  const int days[] = {1, 2, 3, 7, 14, 30};
  const int next[] = {2, 3, 7, 14, 30, 31};
  for (std::size_t i = 0; i < std::size(days); ++i) {
    const std::int64_t b = days[i] * k_day_ns;
    BOOST_TEST_CONTEXT(days[i] << " days") {
      BOOST_TEST(uptime_bucket(nanoseconds(b - 1)) == b);
      BOOST_TEST(uptime_bucket(nanoseconds(b)) == b);
      BOOST_TEST(uptime_bucket(nanoseconds(b + 1)) == next[i] * k_day_ns);
    }
  }
  BOOST_TEST(uptime_bucket(nanoseconds(365 * k_day_ns)) == 31 * k_day_ns);
}

BOOST_AUTO_TEST_CASE(bucket_values_are_the_documented_numbers) {
  BOOST_TEST(k_day_ns == 86400000000000LL);
  BOOST_TEST(repo_size_bucket(2 * k_gib) == 5368709120ULL);
  BOOST_TEST(k_repo_size_buckets.back() == 12094627905536ULL);
}

BOOST_AUTO_TEST_SUITE_END()
