// Proxies, end to end: the real daemon through a real tinyproxy on 127.0.0.1
// to the real collector, plain and TLS (CONNECT).
#include "support/integration.hpp"
#include "support/test_pki.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace test_support;

namespace {

struct fixture : node_fixture {
  std::unique_ptr<collector_process> tls_collector() {
    return start_tls_collector(dir.path(), pki.issue({"leaf", {"localhost"}, {"127.0.0.1"}}), "tls-collector");
  }
  void point_https(const collector_process& c) {
    n.point_at(https_url(c), "100ms");
    n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_proxy_tests, fixture)

BOOST_AUTO_TEST_CASE(https_goes_through_a_connect_tunnel) {
  tinyproxy_process proxy(sub("proxy"));
  auto c = tls_collector();
  point_https(*c);
  std::size_t expected = 0;
  for (const char* var : {"HTTPS_PROXY", "https_proxy", "ALL_PROXY"}) {
    auto d = n.daemon({}, {{var, proxy.url()}});
    BOOST_TEST(c->wait_for_events(++expected), var);
    BOOST_TEST(d->stop() == 0);
  }
  BOOST_TEST(proxy.log().find("CONNECT 127.0.0.1:" + std::to_string(c->port())) != std::string::npos);
  BOOST_TEST(c->events().size() == 3u);
}

BOOST_AUTO_TEST_CASE(plain_http_goes_through_the_proxy_in_absolute_form) {
  tinyproxy_process proxy(sub("proxy"));
  collector_process c(sub("collector"));
  n.point_at(c.url(), "100ms");
  auto d = n.daemon({}, {{"http_proxy", proxy.url()}});
  BOOST_TEST(c.wait_for_events(1));
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(proxy.log().find("POST " + c.url() + " HTTP/1.1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(upper_case_http_proxy_is_ignored_as_curl_does) {
  collector_process c(sub("collector"));
  n.point_at(c.url(), "100ms");
  auto d = n.daemon({}, {{"HTTP_PROXY", "http://127.0.0.1:" + std::to_string(closed_port())}});
  BOOST_TEST(c.wait_for_events(1));  // went direct; the (dead) proxy was not used
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(no_proxy_bypasses_the_proxy) {
  auto c = tls_collector();
  point_https(*c);
  const std::string dead_proxy = "http://127.0.0.1:" + std::to_string(closed_port());
  std::size_t expected = 0;
  for (const char* bypass : {"127.0.0.1", "localhost,127.0.0.0/8", "*"}) {
    for (const char* var : {"NO_PROXY", "no_proxy"}) {
      auto d = n.daemon({}, {{"HTTPS_PROXY", dead_proxy}, {var, bypass}});
      BOOST_TEST(c->wait_for_events(++expected), var << "=" << bypass);
      BOOST_TEST(d->stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_proxy_that_refuses_the_tunnel) {
  tinyproxy_process proxy(sub("proxy"), "ConnectPort 443");  // CONNECT only to 443
  auto c = tls_collector();
  point_https(*c);
  auto d = n.daemon({}, {{"HTTPS_PROXY", proxy.url()}});
  BOOST_TEST(d->wait_log("answered CONNECT with HTTP 403"), d->log());
  BOOST_TEST(d->running());
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(c->events().empty());
}

BOOST_AUTO_TEST_CASE(proxy_credentials_are_sent_and_never_logged) {
  tinyproxy_process proxy(sub("proxy"), "BasicAuth telemetry s3cr3t-pw");
  auto c = tls_collector();
  point_https(*c);
  const std::string with_creds = "http://telemetry:s3cr3t-pw@127.0.0.1:" + std::to_string(proxy.port());
  {
    auto d = n.daemon({}, {{"HTTPS_PROXY", with_creds}, {"GOLOG_LOG_LEVEL", "debug"}});
    BOOST_TEST(c->wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
    BOOST_TEST(d->log().find("s3cr3t") == std::string::npos);
    BOOST_TEST(d->log_has("sending through proxy 127.0.0.1:" + std::to_string(proxy.port())));
  }
  const std::string wrong = "http://telemetry:nope@127.0.0.1:" + std::to_string(proxy.port());
  auto d = n.daemon({}, {{"HTTPS_PROXY", wrong}});
  // tinyproxy answers a wrong Proxy-Authorization with 401 (RFC 9110 would say 407).
  BOOST_TEST(d->wait_log("answered CONNECT with HTTP 401"), d->log());
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(read_text(n.repo() / "telemetry_sent.jsonl").find("nope") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_proxy_that_hangs_hits_the_timeout_and_does_not_hold_shutdown) {
  recording_server silent(200, false, /*silent=*/true);
  auto c = tls_collector();
  point_https(*c);
  const std::string proxy = "http://127.0.0.1:" + silent.url().substr(silent.url().rfind(':') + 1);
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "500ms");
  {
    auto d = n.daemon({}, {{"HTTPS_PROXY", proxy}});
    BOOST_TEST(d->wait_log("proxy CONNECT (deadline): Connection timed out"), d->log());
    BOOST_TEST(d->stop() == 0);
  }
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "30s");
  auto d = n.daemon({}, {{"HTTPS_PROXY", proxy}});
  BOOST_REQUIRE(wait_until([&] { return silent.accepted() >= 2; }, 10s));
  BOOST_TEST(d->stop(10s) == 0);
}

BOOST_AUTO_TEST_CASE(an_unusable_proxy_variable_is_named_and_nothing_is_sent) {
  auto c = tls_collector();
  point_https(*c);
  auto d = n.daemon({}, {{"HTTPS_PROXY", "socks5://127.0.0.1:1080"}});
  BOOST_TEST(d->wait_log("HTTPS_PROXY: proxy scheme \"socks5\" is not supported"), d->log());
  BOOST_TEST(d->log_has("nothing will be sent"));
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
