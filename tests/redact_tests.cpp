#include "ipfs_common/redact.hpp"

#include <boost/test/unit_test.hpp>

using ipfs_common::redact_credentials;

BOOST_AUTO_TEST_SUITE(redact_tests)

BOOST_AUTO_TEST_CASE(userinfo_is_removed_from_every_url_in_a_text) {
  BOOST_TEST(redact_credentials("http://user:pw@host:8080/p?q#f") == "http://REDACTED@host:8080/p?q#f");
  BOOST_TEST(redact_credentials("a http://u@h/ and https://x:y@z then") == "a http://REDACTED@h/ and https://REDACTED@z then");
  BOOST_TEST(redact_credentials("\"http://u:p@127.0.0.1:99999/\" has no valid port") ==
             "\"http://REDACTED@127.0.0.1:99999/\" has no valid port");
  BOOST_TEST(redact_credentials("http://u:p@a@b@host/") == "http://REDACTED@host/");  // several '@'
  BOOST_TEST(redact_credentials("Location \"//user:pw@evil/\"") == "Location \"//REDACTED@evil/\"");
  BOOST_TEST(redact_credentials("proxy=http://u:s3cret@proxy:3128") == "proxy=http://REDACTED@proxy:3128");
  BOOST_TEST(redact_credentials("http://u:p@host") == "http://REDACTED@host");  // at the end of the text
  BOOST_TEST(redact_credentials("(http://u:p@host)") == "(http://REDACTED@host)");
}

// Passwords that hold what would end an authority, and schemes written oddly:
// none of it may survive.
BOOST_AUTO_TEST_CASE(odd_passwords_and_odd_urls_are_redacted_too) {
  for (const char* t : {"http://user:pa/ss@h:99999/", "http://user:pa#ss@h/", "http://user:pa?ss@h/",
                        "http://user:pa\\ss@h/", "http:/user:pass@h", "http:\\\\user:pass@h", "http:/\\user:pass@h",
                        "http:///user:pass@h", "HTTP://user:pass@h/", "//user:pass@h/", "[//user:pass@h]",
                        "https://user:p%40ss@h/", "http://user:pass@[::1]:5001/"}) {
    const auto r = redact_credentials(t);
    BOOST_TEST(r.find("pass") == std::string::npos, t << " -> " << r);
    BOOST_TEST(r.find("pa/ss") == std::string::npos, t << " -> " << r);
    BOOST_TEST(r.find("user") == std::string::npos, t << " -> " << r);
    BOOST_TEST(r.find("REDACTED@") != std::string::npos, t << " -> " << r);
  }
}

BOOST_AUTO_TEST_CASE(text_without_credentials_is_unchanged) {
  for (const char* t : {"", "plain text", "mailto:a@b", "a//b@c is a path", "kubo/0.43.0/", "http://[::1]:5001/",
                        "user@example.org wrote", "http://host/path", "12:30 at 5@6"})
    BOOST_TEST(redact_credentials(t) == t, t);
}

BOOST_AUTO_TEST_SUITE_END()
