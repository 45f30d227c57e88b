#include "endpoint_policy.hpp"

#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;

BOOST_AUTO_TEST_SUITE(endpoint_policy_tests)

BOOST_AUTO_TEST_CASE(loopback_hosts) {
  for (const char* h : {"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.255.0.9", "::1", "[::1]"})
    BOOST_TEST(is_loopback_host(h), h);
  for (const char* h : {"localhost.example", "mylocalhost", "128.0.0.1", "0.0.0.0", "::", "10.0.0.1", "example.org",
                        "::ffff:8.8.8.8", ""})
    BOOST_TEST(!is_loopback_host(h), h);
}

BOOST_AUTO_TEST_CASE(plain_http_only_to_loopback_unless_allowed) {
  BOOST_TEST(!plain_http_refusal("http://127.0.0.1:9099/", false).has_value());
  BOOST_TEST(!plain_http_refusal("http://[::1]:9099/", false).has_value());
  BOOST_TEST(!plain_http_refusal("http://localhost/", false).has_value());
  BOOST_TEST(!plain_http_refusal("https://telemetry.example.org/", false).has_value());
  auto r = plain_http_refusal("http://telemetry.example.org/", false);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->find("Plugins.Plugins.telemetry.Config.AllowHTTP") != std::string::npos);
  BOOST_TEST(plain_http_refusal("http://0.0.0.0:1/", false).has_value());
  BOOST_TEST(!plain_http_refusal("http://telemetry.example.org/", true).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
