#include "retry_policy.hpp"

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {
send_outcome status(unsigned s) {
  send_outcome o;
  o.status = s;
  return o;
}
std::int64_t ms(nanoseconds d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(retry_policy_tests)

BOOST_AUTO_TEST_CASE(classification_table) {
  for (unsigned s : {200u, 201u, 202u, 204u, 299u}) BOOST_TEST((classify(status(s)) == outcome_kind::success), s);
  BOOST_TEST((classify(status(410)) == outcome_kind::retire));
  for (unsigned s : {500u, 502u, 503u, 504u, 599u, 408u, 429u}) BOOST_TEST((classify(status(s)) == outcome_kind::retry), s);
  for (unsigned s : {300u, 301u, 302u, 304u, 307u, 400u, 401u, 403u, 404u, 413u, 418u})
    BOOST_TEST((classify(status(s)) == outcome_kind::next_interval), s);
  send_outcome net;
  net.ec = boost::asio::error::connection_refused;
  BOOST_TEST((classify(net) == outcome_kind::retry));
  net.permanent = true;  // a local configuration problem: retrying cannot help
  BOOST_TEST((classify(net) == outcome_kind::next_interval));
}

BOOST_AUTO_TEST_CASE(backoff_doubles_from_the_base_up_to_the_cap_with_full_jitter) {
  const double top = 0.9999999;
  BOOST_TEST(ms(backoff_delay(1, 1min, 24h, top)) == 59999);
  BOOST_TEST(ms(backoff_delay(2, 1min, 24h, top)) == 119999);
  BOOST_TEST(ms(backoff_delay(3, 1min, 24h, top)) == 239999);
  BOOST_TEST(ms(backoff_delay(12, 1min, 24h, top)) == 86399991);  // 2048 min > 24h: capped at 24h
  BOOST_TEST(ms(backoff_delay(1000, 1min, 24h, top)) == 86399991);
  BOOST_TEST(ms(backoff_delay(5, 1min, 2min, top)) == 119999);
  BOOST_TEST(backoff_delay(3, 1min, 24h, 0.0).count() == 0);
  BOOST_TEST(ms(backoff_delay(3, 1min, 24h, 0.5)) == 120000);
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_and_dates) {
  const auto now = std::chrono::system_clock::from_time_t(1792568880);  // Wed, 21 Oct 2026 07:48:00 GMT
  BOOST_TEST(ms(*parse_retry_after("120", now)) == 120000);
  BOOST_TEST(ms(*parse_retry_after(" 0 ", now)) == 0);
  BOOST_TEST(ms(*parse_retry_after("Wed, 21 Oct 2026 07:50:00 GMT", now)) == 120000);
  BOOST_TEST(ms(*parse_retry_after("Wednesday, 21-Oct-26 07:49:00 GMT", now)) == 60000);
  BOOST_TEST(ms(*parse_retry_after("Wed Oct 21 07:48:30 2026", now)) == 30000);
  BOOST_TEST(ms(*parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now)) == 0);  // past
  BOOST_TEST(ms(*parse_retry_after("99999999999999", now)) == 365LL * 24 * 3600 * 1000);
  for (const char* bad : {"", "soon", "-5", "1.5", "Wed, 21 Oct 2026", "12 seconds"})
    BOOST_TEST(!parse_retry_after(bad, now).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(first_send_is_delay_plus_up_to_ten_percent) {
  BOOST_TEST(first_send_delay(15min, 0.0).count() == nanoseconds(15min).count());
  BOOST_TEST(first_send_delay(15min, 1.0).count() == nanoseconds(16min + 30s).count());
  for (double u : {0.0, 0.3, 0.7, 0.99}) {
    BOOST_TEST(first_send_delay(15min, u) >= nanoseconds(15min));  // the grace period is never shorter
    BOOST_TEST(first_send_delay(15min, u) <= nanoseconds(16min + 30s));
  }
}

BOOST_AUTO_TEST_CASE(later_sends_are_interval_plus_up_to_ten_percent) {
  BOOST_TEST(ms(jittered_interval(24h, 0.0)) == 24 * 3600 * 1000);  // never earlier than Interval
  BOOST_TEST(ms(jittered_interval(24h, 1.0)) == 110 * 24 * 36000);
  BOOST_TEST(ms(jittered_interval(24h, 0.5)) == 105 * 24 * 36000);
}

BOOST_AUTO_TEST_CASE(retry_after_never_overflows) {
  const auto now = std::chrono::system_clock::from_time_t(1792568880);
  const auto year = 365LL * 24 * 3600 * 1000;
  BOOST_TEST(ms(*parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now)) == year);
  BOOST_TEST(ms(*parse_retry_after("999999999", now)) == year);
  BOOST_TEST(ms(*parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now)) == 0);
}

BOOST_AUTO_TEST_CASE(a_retry_after_under_a_second_counts_as_absent) {
  const auto now = std::chrono::system_clock::from_time_t(1792568880);  // Wed, 21 Oct 2026 07:48:00 GMT
  for (const char* ra : {"0", " 0 ", "Wed, 21 Oct 2026 07:00:00 GMT", "Wed, 21 Oct 2026 07:48:00 GMT"}) {
    auto o = status(503);
    o.retry_after = ra;
    const auto plan = plan_retry(o, 1, 1min, 24h, 0.5, now);
    BOOST_TEST(!plan.give_up, ra);
    BOOST_TEST(!plan.from_retry_after, ra);
    BOOST_TEST(ms(plan.delay) == 30000, ra);  // the backoff: half of one minute
  }
  auto o = status(429);
  o.retry_after = "1";
  auto plan = plan_retry(o, 1, 1min, 24h, 0.5, now);
  BOOST_TEST(plan.from_retry_after);
  BOOST_TEST(ms(plan.delay) == 1000);
  o.retry_after = "86400";
  BOOST_TEST(ms(plan_retry(o, 1, 1min, 2s, 0.5, now).delay) == 2000);  // capped at Interval
  o = status(500);  // Retry-After only counts with 429 and 503
  o.retry_after = "7";
  BOOST_TEST(!plan_retry(o, 1, 1min, 24h, 0.5, now).from_retry_after);
}

BOOST_AUTO_TEST_CASE(attempts_per_collection_are_capped) {
  const auto now = std::chrono::system_clock::now();
  auto o = status(503);
  o.retry_after = "1";
  for (unsigned a = 1; a < k_max_attempts; ++a) BOOST_TEST(!plan_retry(o, a, 1min, 24h, 0.5, now).give_up, a);
  BOOST_TEST(plan_retry(o, k_max_attempts, 1min, 24h, 0.5, now).give_up);
  BOOST_TEST(plan_retry(o, k_max_attempts + 7, 1min, 24h, 0.5, now).give_up);
  BOOST_TEST(k_max_attempts < 10u);  // documented as single digits
}

BOOST_AUTO_TEST_SUITE_END()
