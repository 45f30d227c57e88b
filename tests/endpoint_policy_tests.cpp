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

BOOST_AUTO_TEST_CASE(redirect_targets) {
  BOOST_TEST(*redirect_target("https://a.example/x", "https://b.example/y", 0, false) == "https://b.example/y");
  BOOST_TEST(*redirect_target("https://a.example/x/y", "/z?q=1", 0, false) == "https://a.example/z?q=1");
  BOOST_TEST(*redirect_target("https://a.example/x/y", "w", 2, false) == "https://a.example/x/w");
  BOOST_TEST(*redirect_target("http://127.0.0.1:1/", "https://b.example", 0, false) == "https://b.example/");
  BOOST_TEST(*redirect_target("http://127.0.0.1:1/", "http://127.0.0.1:2/", 0, false) == "http://127.0.0.1:2/");
  BOOST_TEST(*redirect_target("https://a.example/", "https://b.example/#frag", 0, false) == "https://b.example/");

  auto why = [](boost::system::result<std::string, std::string> r) { return r ? std::string("<followed>") : r.error(); };
  BOOST_TEST(why(redirect_target("https://a.example/", "http://a.example/", 0, true)).find("from https to http") !=
             std::string::npos);
  BOOST_TEST(why(redirect_target("https://a.example/", "/again", 3, false)) == "more than 3 redirects");
  BOOST_TEST(why(redirect_target("https://a.example/", "", 0, false)).find("without a Location") != std::string::npos);
  BOOST_TEST(why(redirect_target("http://127.0.0.1/", "http://b.example/", 0, false)).find("AllowHTTP") !=
             std::string::npos);
  BOOST_TEST(why(redirect_target("http://127.0.0.1/", "http://b.example/", 0, true)) == "<followed>");
  BOOST_TEST(why(redirect_target("https://a.example/", "ftp://b.example/", 0, false)).find("refusing redirect") !=
             std::string::npos);
  BOOST_TEST(why(redirect_target("https://a.example/", "https://u:p@b.example/", 0, false)).find("credentials") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_service_url_is_resolved_against_the_endpoint_as_a_link) {
  BOOST_TEST(service_url("https://h/telemetry/", "v1/access") == "https://h/telemetry/v1/access");
  BOOST_TEST(service_url("https://h/telemetry", "v1/access") == "https://h/v1/access");
  BOOST_TEST(service_url("http://127.0.0.1:8080", "v1/access") == "http://127.0.0.1:8080/v1/access");
  BOOST_TEST(service_url("http://127.0.0.1:8080/", "v1/access") == "http://127.0.0.1:8080/v1/access");
  BOOST_TEST(service_url("https://h/in?key=1", "v1/access") == "https://h/v1/access");
}

BOOST_AUTO_TEST_SUITE_END()
