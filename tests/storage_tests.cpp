// The engine-neutral parts of the collector's storage (storage.hpp): how a
// database is named in logs, what an event row holds, the export line.
#include "kubo_example.hpp"
#include "payload_validator.hpp"
#include "request_actions.hpp"
#include "storage.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace telemetry_collector;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(storage_tests)

BOOST_AUTO_TEST_CASE(a_uri_is_shown_without_its_password) {
  BOOST_TEST(redact_db("postgresql://collector:s3cret@db.example:5432/telemetry") ==
             "postgresql://collector:****@db.example:5432/telemetry");
  BOOST_TEST(redact_db("postgres://u:p@h/db?password=again&sslmode=require") ==
             "postgres://u:****@h/db?password=****&sslmode=require");
  BOOST_TEST(redact_db("postgresql://h/db?sslmode=require&password=x") == "postgresql://h/db?sslmode=require&password=****");
  // libpq reads the userinfo up to an '@' met before any '/': '?', '#', ':' and '@' may be in it.
  BOOST_TEST(redact_db("postgresql://u:pa?ss@h/db") == "postgresql://u:****@h/db");
  BOOST_TEST(redact_db("postgresql://u:pa#s:s@h/db") == "postgresql://u:****@h/db");
  BOOST_TEST(redact_db("postgresql://u:pa%40ss@h/db") == "postgresql://u:****@h/db");
  // Nothing to hide: as it is.
  BOOST_TEST(redact_db("postgresql://collector@db.example/telemetry") == "postgresql://collector@db.example/telemetry");
  BOOST_TEST(redact_db("postgresql:///telemetry?host=/run/postgresql") == "postgresql:///telemetry?host=/run/postgresql");
  BOOST_TEST(redact_db("/var/lib/telemetry/u:p@collector.db") == "/var/lib/telemetry/u:p@collector.db");  // a path
}

BOOST_AUTO_TEST_CASE(only_libpq_uri_schemes_name_postgresql) {
  BOOST_TEST(is_postgresql_uri("postgresql://h/db"));
  BOOST_TEST(is_postgresql_uri("postgres://h/db"));
  BOOST_TEST(!is_postgresql_uri("collector.db"));
  BOOST_TEST(!is_postgresql_uri("./postgresql://x"));
  BOOST_TEST(!is_postgresql_uri("host=db dbname=telemetry"));  // libpq's key=value form is not taken
}

BOOST_AUTO_TEST_CASE(a_row_holds_the_event_in_schema_order) {
  const auto event = json::parse(k_kubo_example_payload).as_object();
  const auto row = make_row(event, payload_validator().fields(), 1234);
  BOOST_TEST(row.uuid == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  BOOST_TEST(row.received_at == 1234);
  BOOST_TEST(row.values.names() == payload_validator().fields());
  BOOST_TEST(json::value(event_object(row)) == json::value(event));
  const auto line = json::parse(export_line(1234, event)).as_object();
  BOOST_TEST(line.at("received_at").as_string() == "1970-01-01T00:00:01.234Z");
  BOOST_TEST(line.at("event") == json::value(event));
  BOOST_TEST(line.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_bytes_hold_gives_its_share_back_once) {
  std::atomic<std::size_t> budget{0};
  {
    bytes_hold a(budget, 100);
    BOOST_TEST(budget.load() == 100u);
    bytes_hold b = std::move(a);
    BOOST_TEST(budget.load() == 100u);
    a.release();  // moved from: nothing
    BOOST_TEST(budget.load() == 100u);
    bytes_hold c(budget, 5);
    c = std::move(b);  // c's own 5 go back
    BOOST_TEST(budget.load() == 100u);
  }
  BOOST_TEST(budget.load() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
