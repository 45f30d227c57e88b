// HTTPS and the clear-text policy, end to end: the real daemon and plugin
// against the real collector serving TLS with certificates made for the test.
#include "support/fault_server.hpp"
#include "support/integration.hpp"
#include "support/test_pki.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace test_support;

namespace {

struct fixture {
  temp_dir dir;
  test_pki pki{dir.path() / "pki"};
  node n{dir.path()};

  std::unique_ptr<collector_process> tls_collector(const cert_files& cert) {
    return start_tls_collector(dir.path(), cert, "c");
  }
  static std::string https(const collector_process& c, const std::string& host = "127.0.0.1") {
    return https_url(c, host);
  }
  cert_files good_leaf() const { return pki.issue({"good", {"localhost"}, {"127.0.0.1"}}); }

  // Runs the daemon until `expected` is logged; returns its log.
  std::string run_until_logged(const std::string& expected) {
    auto d = n.daemon();
    BOOST_REQUIRE(d->ready());
    BOOST_TEST(d->wait_log(expected), "expected log line: " << expected << "\nlog:\n" << d->log());
    BOOST_TEST(d->running());
    BOOST_TEST(d->stop() == 0);
    return d->log();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_tls_tests, fixture)

BOOST_AUTO_TEST_CASE(https_with_a_private_ca_delivers_the_event) {
  auto c = tls_collector(good_leaf());
  n.point_at(https(*c), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  auto d = n.daemon();
  BOOST_TEST(c->wait_for_events(1));
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(c->events().front().at("uuid").as_string() == n.uuid());
}

// The host pays for OpenSSL only when the plugin first sends over TLS: libssl
// is not mapped into the daemon before that (docs/performance.md).
BOOST_AUTO_TEST_CASE(openssl_is_mapped_only_at_the_first_https_send) {
  auto mapped = [](pid_t pid) { return read_text("/proc/" + std::to_string(pid) + "/maps").find("libssl.so") != std::string::npos; };
  auto c = tls_collector(good_leaf());
  n.point_at(https(*c), "1500ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->wait_log("telemetry"));  // the plugin has started
  BOOST_TEST(!mapped(d->pid()));
  BOOST_TEST(c->wait_for_events(1));
  BOOST_TEST(mapped(d->pid()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(https_by_host_name_uses_sni_and_verifies_the_name) {
  auto c = tls_collector(good_leaf());
  n.point_at(https(*c, "localhost"), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  // Baseline: the same daemon with the plugin loaded but opted out starts no
  // thread of the plugin's (sanitizer runtimes may add threads of their own).
  std::size_t baseline = 0;
  {
    auto off = n.daemon({}, {{"IPFS_TELEMETRY", "off"}});
    BOOST_REQUIRE(off->wait_log("telemetry collection skipped: opted out"));
    baseline = thread_count(off->pid());
    BOOST_TEST(off->stop() == 0);
  }
  auto d = n.daemon();
  BOOST_TEST(c->wait_for_events(1));
  // A name was resolved and a TLS session made: exactly one thread more, no resolver thread.
#if defined(__SANITIZE_THREAD__)
  // TSan's runtime starts a thread of its own at the first pthread_create: not countable here.
  BOOST_TEST_MESSAGE("thread count not checked under ThreadSanitizer: " << thread_count(d->pid()) << " vs "
                                                                         << baseline);
#else
  BOOST_TEST(thread_count(d->pid()) == baseline + 1);
#endif
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_private_ca_is_not_trusted_without_cafile) {
  auto c = tls_collector(good_leaf());
  n.point_at(https(*c), "100ms");
  run_until_logged("tls handshake: certificate verify failed: unable to get local issuer certificate");
  BOOST_TEST(c->events().empty());
}

BOOST_AUTO_TEST_CASE(a_self_signed_certificate_is_refused_with_the_reason) {
  auto c = tls_collector(pki.self_signed({"selfsigned", {"localhost"}, {"127.0.0.1"}}));
  n.point_at(https(*c), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  run_until_logged("tls handshake: certificate verify failed: self-signed certificate");
  BOOST_TEST(c->events().empty());
}

BOOST_AUTO_TEST_CASE(an_expired_certificate_is_refused_with_the_reason) {
  auto c = tls_collector(pki.issue({"expired", {"localhost"}, {"127.0.0.1"}, -7200, -3600}));
  n.point_at(https(*c), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  run_until_logged("tls handshake: certificate verify failed: certificate has expired");
  BOOST_TEST(c->events().empty());
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_is_refused) {
  auto c = tls_collector(pki.issue({"other", {"other.example"}, {"192.0.2.7"}}));
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  n.point_at(https(*c), "100ms");
  run_until_logged("tls handshake: certificate verify failed: IP address mismatch");
  n.point_at(https(*c, "localhost"), "100ms");
  run_until_logged("tls handshake: certificate verify failed: hostname mismatch");
  BOOST_TEST(c->events().empty());
}

BOOST_AUTO_TEST_CASE(a_missing_cafile_is_named_and_nothing_is_sent) {
  auto c = tls_collector(good_leaf());
  n.point_at(https(*c), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", (dir.path() / "no-such.pem").string());
  run_until_logged("Plugins.Plugins.telemetry.Config.CAFile: cannot load");
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(c->events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
}

BOOST_AUTO_TEST_CASE(a_cafile_that_is_not_pem_is_named_at_the_first_send_and_not_retried) {
  auto c = tls_collector(good_leaf());
  n.point_at(https(*c), "100ms");
  write_text(dir.path() / "not-a-ca.pem", "this is not a certificate\n");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", (dir.path() / "not-a-ca.pem").string());
  const auto log = run_until_logged("will try again at the next collection");
  BOOST_TEST(log.find("Plugins.Plugins.telemetry.Config.CAFile: cannot load") != std::string::npos);
  BOOST_TEST(log.find("as PEM certificates") != std::string::npos);
  BOOST_TEST(log.find("retrying in") == std::string::npos);
  BOOST_TEST(c->events().empty());
}

BOOST_AUTO_TEST_CASE(plain_http_beyond_loopback_needs_allow_http) {
  recording_server server(200);
  // 0.0.0.0 is not loopback by the policy, but the kernel delivers it to this
  // machine, so a request that slipped through would arrive here.
  const std::string url = "http://0.0.0.0:" + server.url().substr(server.url().rfind(':') + 1);
  n.point_at(url, "100ms");
  {
    auto d = n.daemon();
    BOOST_REQUIRE(d->wait_log("Plugins.Plugins.telemetry.Config.AllowHTTP"));
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(server.accepted() == 0u);  // refused before any connection
    BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
    BOOST_TEST(d->stop() == 0);
  }
  n.set_json("Plugins.Plugins.telemetry.Config.AllowHTTP", "true");
  auto d = n.daemon();
  BOOST_TEST(wait_until([&] { return server.count() >= 1; }, 10s));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(an_https_to_http_redirect_is_refused) {
  collector_process plain(dir.path());  // where the redirect would lead, in clear text
  auto leaf = good_leaf();
  fault_server redirecting(leaf.cert.string(), leaf.key.string());
  redirecting.set(fault::respond, 307, "Location: " + plain.url() + "\r\n");
  n.point_at(redirecting.url(), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  run_until_logged("HTTP 307 (refusing a redirect from https to http");
  BOOST_TEST(redirecting.requests() >= 1u);
  BOOST_TEST(plain.events().empty());  // nothing went out in clear text
}

BOOST_AUTO_TEST_CASE(an_https_to_https_redirect_is_followed) {
  auto c = tls_collector(good_leaf());
  auto leaf = good_leaf();
  fault_server redirecting(leaf.cert.string(), leaf.key.string());
  redirecting.set(fault::respond, 308, "Location: " + https(*c) + "\r\n");
  n.point_at(redirecting.url(), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  auto d = n.daemon();
  BOOST_TEST(c->wait_for_events(1));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_tls_server_that_never_handshakes_hits_the_timeout) {
  recording_server silent(200, false, /*silent=*/true);
  const std::string port = silent.url().substr(silent.url().rfind(':') + 1);
  n.point_at("https://127.0.0.1:" + port, "100ms");
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "500ms");
  run_until_logged("tls handshake (deadline): Connection timed out");
}

BOOST_AUTO_TEST_CASE(sigterm_during_a_stuck_tls_handshake_exits_promptly) {
  recording_server silent(200, false, /*silent=*/true);
  const std::string port = silent.url().substr(silent.url().rfind(':') + 1);
  n.point_at("https://127.0.0.1:" + port, "100ms");
  auto d = n.daemon();
  BOOST_REQUIRE(wait_until([&] { return silent.accepted() >= 1; }, 10s));
  BOOST_TEST(d->stop(10s) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
