// The transport fault matrix (the parts the plain and TLS transports cover),
// end to end: the real daemon against a misbehaving server on 127.0.0.1. In
// every case the daemon keeps running, its memory stays bounded, and once the
// server behaves the same daemon delivers.
#include "support/fault_server.hpp"
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <sstream>

using namespace test_support;

namespace {

// Resident set size of a process in KiB, from /proc.
long rss_kib(pid_t pid) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct fixture {
  temp_dir dir;
  fault_server server;
  node n{dir.path()};
  fixture() {
    n.point_at(server.url(), "100ms");
    n.set("Plugins.Plugins.telemetry.Config.Interval", "2s");  // also caps the backoff
  }

  // Runs the daemon against `f` until `expected` is logged, then lets the
  // server behave and waits for a delivery by the same daemon.
  void survive(fault f, const std::string& expected, unsigned status = 200, std::string headers = {}) {
    server.set(f, status, std::move(headers));
    auto d = n.daemon();
    BOOST_REQUIRE(d->ready());
    const long rss_start = rss_kib(d->pid());
    BOOST_TEST(d->wait_log(expected, 15s), "expected: " << expected << "\nlog:\n" << d->log());
    BOOST_TEST(d->running());
    const long growth = rss_kib(d->pid()) - rss_start;
    BOOST_TEST(growth < 32 * 1024, "RSS grew by " << growth << " KiB");
    server.set(fault::respond, 200);
    BOOST_TEST(d->wait_log("telemetry sent to " + server.url() + " (HTTP 200)", 15s), d->log());
    BOOST_TEST(d->stop() == 0);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_fault_tests, fixture)

BOOST_AUTO_TEST_CASE(reset_in_the_middle_of_the_response) {
  survive(fault::reset, "failed: read: ");
}

BOOST_AUTO_TEST_CASE(server_error_is_retried_with_backoff) {
  survive(fault::respond, "failed: HTTP 500; retrying in", 500);
}

BOOST_AUTO_TEST_CASE(service_unavailable_with_retry_after_is_honoured) {
  server.set(fault::respond, 503, "Retry-After: 1\r\n");
  auto d = n.daemon();
  BOOST_REQUIRE(d->wait_log("failed: HTTP 503; retrying in 1s (Retry-After, attempt 1)"));
  BOOST_REQUIRE(wait_until([&] { return server.requests() >= 2; }, 10s));  // the retry arrived
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_response_that_drips_one_byte_a_second_hits_the_timeout) {
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "1s");
  survive(fault::drip, "failed: read (deadline): Connection timed out");
}

BOOST_AUTO_TEST_CASE(oversized_bodies_are_cut_at_64_kib) {
  for (fault f : {fault::endless, fault::huge}) {  // a chunked body that never ends; a 10 MiB body
    server.set(f);
    auto d = n.daemon();
    BOOST_REQUIRE(d->ready());
    const long rss_start = rss_kib(d->pid());
    BOOST_TEST(d->wait_log("telemetry sent to " + server.url() + " (HTTP 200)"), d->log());
    BOOST_TEST(rss_kib(d->pid()) - rss_start < 32 * 1024);
    BOOST_TEST(d->stop() == 0);
  }
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_http) {
  survive(fault::not_http, "failed: read: ");
}

BOOST_AUTO_TEST_CASE(other_client_errors_wait_for_the_next_collection) {
  survive(fault::respond, "failed: HTTP 404; will try again at the next collection", 404);
}

BOOST_AUTO_TEST_CASE(a_307_redirect_is_followed_with_the_same_post) {
  collector_process collector(dir.path());
  server.set(fault::respond, 307, "Location: " + collector.url() + "\r\n");
  auto d = n.daemon();
  BOOST_TEST(collector.wait_for_events(1));
  BOOST_TEST(d->wait_log("telemetry sent to " + server.url() + " (HTTP 200)"));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_redirect_loop_stops_after_three_hops) {
  server.set(fault::respond, 308, "Location: /again\r\n");
  auto d = n.daemon();
  BOOST_REQUIRE(d->wait_log("HTTP 308 (more than 3 redirects); will try again at the next collection"));
  BOOST_TEST(server.requests() == 4u);  // the first request and three hops
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(other_redirects_are_not_followed) {
  survive(fault::respond, "failed: HTTP 302; will try again at the next collection", 302, "Location: /elsewhere\r\n");
}

BOOST_AUTO_TEST_CASE(what_left_the_machine_is_recorded_and_shown) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  auto d = n.daemon();
  BOOST_REQUIRE(collector.wait_for_events(1));
  BOOST_REQUIRE(d->wait_log("telemetry sent to"));
  BOOST_TEST(d->stop() == 0);

  const auto sent = n.repo() / "telemetry_sent.jsonl";
  auto entry = boost::json::parse(read_text(sent)).as_object();
  BOOST_TEST(entry.at("status").as_int64() == 200);
  BOOST_TEST(entry.at("endpoint").as_string() == collector.url());
  BOOST_TEST(boost::json::parse(entry.at("body").as_string()) == collector.events().front());
  struct stat st {};
  BOOST_REQUIRE(::stat(sent.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);

  auto status = boost::json::parse(n.cli({"telemetry", "status", "--json"}).out).as_object();
  BOOST_TEST(status.at("last_attempt").at("status").as_int64() == 200);
  BOOST_TEST(!status.at("last_attempt").as_object().contains("body"));
  BOOST_TEST(n.cli({"telemetry", "status"}).out.find("Last sent: ") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
