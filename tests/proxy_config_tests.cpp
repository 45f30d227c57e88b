#include "proxy_config.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace ipfs_telemetry;

namespace {
env_lookup env(std::map<std::string, std::string> m) {
  return [m = std::move(m)](const char* n) -> std::optional<std::string> {
    auto it = m.find(n);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}
std::string proxy_for(const char* url, std::map<std::string, std::string> m) {
  auto r = choose_proxy(url, env(std::move(m)));
  if (!r) return "error: " + r.error();
  return *r ? (*r)->display : "direct";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_config_tests)

BOOST_AUTO_TEST_CASE(variables_are_read_as_curl_reads_them) {
  BOOST_TEST(proxy_for("https://t.example/", {}) == "direct");
  BOOST_TEST(proxy_for("https://t.example/", {{"HTTPS_PROXY", "http://p:3128"}}) == "p:3128");
  BOOST_TEST(proxy_for("https://t.example/", {{"https_proxy", "http://a:1"}, {"HTTPS_PROXY", "http://b:2"}}) == "a:1");
  BOOST_TEST(proxy_for("https://t.example/", {{"http_proxy", "http://p:1"}}) == "direct");
  BOOST_TEST(proxy_for("http://t.example/", {{"http_proxy", "http://p:1"}}) == "p:1");
  BOOST_TEST(proxy_for("http://t.example/", {{"HTTP_PROXY", "http://p:1"}}) == "direct");  // httpoxy: curl ignores it
  BOOST_TEST(proxy_for("http://t.example/", {{"HTTPS_PROXY", "http://p:1"}}) == "direct");
  BOOST_TEST(proxy_for("https://t.example/", {{"ALL_PROXY", "http://p:9"}}) == "p:9");
  BOOST_TEST(proxy_for("http://t.example/", {{"all_proxy", "http://p:9"}}) == "p:9");
  BOOST_TEST(proxy_for("https://t.example/", {{"HTTPS_PROXY", "p:3128"}}) == "p:3128");  // scheme optional
  BOOST_TEST(proxy_for("https://t.example/", {{"HTTPS_PROXY", "http://p"}}) == "p:1080");  // curl's default port
  BOOST_TEST(proxy_for("https://t.example/", {{"HTTPS_PROXY", "  "}}) == "direct");
}

BOOST_AUTO_TEST_CASE(unusable_proxies_name_the_variable) {
  auto e = proxy_for("https://t.example/", {{"HTTPS_PROXY", "socks5://p:1080"}});
  BOOST_TEST(e.find("error: HTTPS_PROXY") == 0u);
  BOOST_TEST(proxy_for("https://t.example/", {{"https_proxy", "https://p:1"}}).find("error: https_proxy") == 0u);
  BOOST_TEST(proxy_for("https://t.example/", {{"HTTPS_PROXY", "http://p:99999"}}).find("error:") == 0u);
}

BOOST_AUTO_TEST_CASE(credentials_become_basic_authorization) {
  auto r = choose_proxy("https://t.example/", env({{"HTTPS_PROXY", "http://user:pa%20ss@p:8080"}}));
  BOOST_REQUIRE(r.has_value());
  BOOST_REQUIRE(r->has_value());
  BOOST_TEST((*r)->authorization == "Basic dXNlcjpwYSBzcw==");  // base64("user:pa ss")
  BOOST_TEST((*r)->display == "p:8080");
}

BOOST_AUTO_TEST_CASE(no_proxy_matching) {
  BOOST_TEST(no_proxy_matches("*", "anything.example"));
  BOOST_TEST(no_proxy_matches("example.com", "example.com"));
  BOOST_TEST(no_proxy_matches("example.com", "api.example.com"));
  BOOST_TEST(no_proxy_matches(".example.com", "api.example.com"));
  BOOST_TEST(no_proxy_matches(".example.com", "example.com"));
  BOOST_TEST(!no_proxy_matches("example.com", "badexample.com"));
  BOOST_TEST(no_proxy_matches("a.test, EXAMPLE.com ,b.test", "Api.Example.Com"));
  BOOST_TEST(no_proxy_matches("127.0.0.1", "127.0.0.1"));
  BOOST_TEST(!no_proxy_matches("127.0.0.1", "127.0.0.2"));
  BOOST_TEST(no_proxy_matches("10.0.0.0/8", "10.20.30.40"));
  BOOST_TEST(!no_proxy_matches("10.0.0.0/8", "11.0.0.1"));
  BOOST_TEST(no_proxy_matches("::1", "[::1]"));
  BOOST_TEST(no_proxy_matches("2001:db8::/32", "2001:db8:1::5"));
  BOOST_TEST(!no_proxy_matches("", "example.com"));
  BOOST_TEST(!no_proxy_matches("localhost", "127.0.0.1"));  // names do not match addresses
  auto direct = choose_proxy("https://127.0.0.1:9/", env({{"HTTPS_PROXY", "http://p:1"}, {"NO_PROXY", "127.0.0.1"}}));
  BOOST_TEST(!direct->has_value());
  auto lower_wins = choose_proxy("https://127.0.0.1:9/",
                                 env({{"HTTPS_PROXY", "http://p:1"}, {"no_proxy", "other"}, {"NO_PROXY", "*"}}));
  BOOST_TEST(lower_wins->has_value());
}

BOOST_AUTO_TEST_SUITE_END()
