// The right of access, end to end: POST /v1/access on the real collector
// (both engines), and `ipfs-stub telemetry access` through the real plugin,
// over plain HTTP, TLS and a proxy, as events are sent.
#include "support/integration.hpp"
#include "support/test_pki.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace test_support;
namespace data = boost::unit_test::data;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string access_body(const std::string& uuid) { return json::serialize(json::object{{"uuid", uuid}}); }

std::vector<json::value> ndjson(const std::string& text) {
  std::vector<json::value> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// What the collector's export holds under `uuid`: the lines access must give.
std::vector<json::value> stored_of(const collector_process& c, const std::string& uuid) {
  std::vector<json::value> out;
  for (auto& line : export_lines(c.db()))
    if (line.at("event").at("uuid").as_string() == uuid) out.push_back(line);
  return out;
}

std::string metrics(const collector_process& c) { return http_request(c.port(), http::verb::get, "/metrics").body; }

struct fixture : node_fixture {
  // Runs the daemon until the collector holds `events` in all.
  void send_once(const collector_process& c, std::size_t events, env_changes env = {}) {
    auto d = n.daemon({}, std::move(env));
    BOOST_REQUIRE(c.wait_for_events(events));
    BOOST_TEST(d->stop() == 0);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_access_tests)

BOOST_DATA_TEST_CASE(access_answers_the_nodes_own_events_and_nothing_of_others, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path())});
  for (unsigned i : {1u, 2u, 1u, 3u, 1u})
    BOOST_REQUIRE(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(i))).status == 200u);

  auto r = http_request(c.port(), http::verb::post, "/v1/access", access_body(test_uuid(1)));
  BOOST_TEST(r.status == 200u);
  const auto got = ndjson(r.body);
  const auto want = stored_of(c, test_uuid(1));
  BOOST_TEST(want.size() == 3u);
  BOOST_TEST(got == want);  // the export's lines, oldest first
  BOOST_TEST(r.body.find(test_uuid(2)) == std::string::npos);

  // None held: 200 and an empty body, as for a UUID never seen.
  r = http_request(c.port(), http::verb::post, "/v1/access", access_body(test_uuid(99)));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.empty());

  // The same check as erasure's: a canonical lower-case UUID alone.
  for (std::string bad : {R"({"uuid":"F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"})", R"({"uuid":"x"})", R"([])", "{"}) {
    r = http_request(c.port(), http::verb::post, "/v1/access", bad);
    BOOST_TEST(r.status == 400u, bad);
  }
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/access").status == 405u);

  // Counted, never by whom; the UUID is neither in the log nor in the metrics.
  const auto m = metrics(c);
  BOOST_TEST(m.find("telemetry_access_requests_total 2") != std::string::npos, m);
  BOOST_TEST(m.find("telemetry_requests_rejected_total{reason=\"invalid_access\"} 3") != std::string::npos, m);
  BOOST_TEST(m.find(test_uuid(1)) == std::string::npos);
  BOOST_TEST(c.stop() == 0);
  BOOST_TEST(c.log().find(test_uuid(1)) == std::string::npos, c.log());
  BOOST_TEST(c.log().find(test_uuid(99)) == std::string::npos);
}

BOOST_DATA_TEST_CASE(access_is_a_right_kept_with_collection_off_and_when_retired, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  {
    collector_process c(dir.path(), {"--db", db});
    BOOST_REQUIRE(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
    BOOST_TEST(c.stop() == 0);
  }
  for (std::vector<std::string> args : {std::vector<std::string>{"--db", db, "--collection", "off"},
                                        std::vector<std::string>{"--db", db, "--retire"}}) {
    collector_process c(dir.path(), args);
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(2))).status != 200u);
    auto r = http_request(c.port(), http::verb::post, "/v1/access", access_body(test_uuid(1)));
    BOOST_TEST(r.status == 200u, args.back());
    BOOST_TEST(ndjson(r.body).size() == 1u);
    BOOST_TEST(c.stop() == 0);
  }
}

// The cap (request_handler.hpp, k_max_access_events): one more event than it
// holds, imported, and the answer is the newest 10,000, saying so.
BOOST_DATA_TEST_CASE(past_the_cap_access_answers_the_newest_and_says_older_ones_exist, data::make(k_engines),
                     engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  std::vector<std::string> lines;
  char at[32];
  for (unsigned i = 0; i <= 10'000; ++i) {
    std::snprintf(at, sizeof at, "T10:00:%02u.%03uZ", i / 1000, i % 1000);
    lines.push_back(R"({"received_at":")" + days_ago(3) + at + R"(","event":)" + example_event(test_uuid(5)) + "}\n");
  }
  std::string all, newest;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    all += lines[i];
    if (i > 0) newest += lines[i];
  }
  const auto file = dir.path() / "in.ndjson";
  std::ofstream(file) << all;
  auto imported = run({COLLECTOR_BIN, "import", "--db", db, file.string()});
  BOOST_REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  collector_process c(dir.path(), {"--db", db});
  const std::string body = access_body(test_uuid(5));
  const auto answer = raw_exchange(c.port(), "POST /v1/access HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
                                   30s);
  const auto split = answer.find("\r\n\r\n");
  BOOST_REQUIRE(split != std::string::npos);
  const std::string head = answer.substr(0, split);
  BOOST_TEST(head.rfind("HTTP/1.1 200", 0) == 0u, head);
  BOOST_TEST(head.find("Telemetry-Access-Limit: 10000\r\n") != std::string::npos, head);
  BOOST_TEST(head.find("Telemetry-Access-Truncated: ") != std::string::npos, head);
  BOOST_TEST((answer.substr(split + 4) == newest));  // byte for byte as the export writes them

  // The same through the CLI and the plugin's real sender: an answer of
  // megabytes (far past the 64 KiB kept for a send's answer) printed whole,
  // and the truncation said on stderr.
  node n(dir.path() / "node");
  n.point_at(c.url(), "100ms");
  {
    std::ofstream(n.uuid_file()) << test_uuid(5) << "\n";
    std::filesystem::permissions(n.uuid_file(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  BOOST_REQUIRE(n.uuid() == test_uuid(5));
  const auto r = n.cli({"telemetry", "access"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.size() > (1u << 20));
  BOOST_TEST((r.out == newest));
  BOOST_TEST(r.err.find("newest 10000 events only") != std::string::npos, r.err);
}

BOOST_DATA_TEST_CASE(telemetry_access_prints_exactly_the_stored_events_and_none_after_erase,
                     data::make(k_engines), engine) {
  fixture f;
  collector_process c(f.sub("c"), {"--db", fresh_db(engine, f.sub("c"))});
  f.n.point_at(c.url(), "100ms");
  f.send_once(c, 1);
  f.send_once(c, 2);
  BOOST_REQUIRE(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(42))).status == 200u);

  auto r = f.n.cli({"telemetry", "access"});
  BOOST_TEST(r.exit_code == 0, r.err);
  const auto want = stored_of(c, f.n.uuid());
  BOOST_TEST(want.size() == 2u);
  BOOST_TEST(ndjson(r.out) == want);  // stdout: the NDJSON alone
  BOOST_TEST(r.out.find(test_uuid(42)) == std::string::npos);
  BOOST_TEST(r.err.find("holds 2 raw events under this node's UUID") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("hold no UUID or other identifier") != std::string::npos, r.err);

  auto j = f.n.cli({"telemetry", "access", "--json"});
  BOOST_TEST(j.exit_code == 0, j.err);
  const auto doc = json::parse(j.out).as_object();  // one document
  BOOST_TEST(doc.at("endpoint").as_string() == c.url() + "v1/access");
  BOOST_TEST(std::vector<json::value>(doc.at("events").as_array().begin(), doc.at("events").as_array().end()) == want);
  BOOST_TEST(doc.at("truncated").as_bool() == false);
  // A right whatever the node's mode: opted out, it may still look (and nothing is removed).
  auto off = f.n.cli({"telemetry", "access"}, {{"IPFS_TELEMETRY", "off"}});
  BOOST_TEST(off.exit_code == 0, off.err);
  BOOST_TEST(off.out == r.out);
  BOOST_TEST(std::filesystem::exists(f.n.uuid_file()));
  f.n.set_json("Plugins.Plugins.telemetry.Disabled", "true");  // loaded for the command alone
  off = f.n.cli({"telemetry", "access"});
  BOOST_TEST(off.exit_code == 0, off.err);
  BOOST_TEST(off.out == r.out);
  f.n.set_json("Plugins.Plugins.telemetry.Disabled", "false");

  BOOST_TEST(f.n.cli({"telemetry", "erase"}).exit_code == 0);
  r = f.n.cli({"telemetry", "access"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.empty(), r.out);
  BOOST_TEST(r.err.find("holds no raw event under this node's UUID") != std::string::npos, r.err);
  j = f.n.cli({"telemetry", "access", "--json"});
  BOOST_TEST(json::parse(j.out).at("events").as_array().empty());

  BOOST_TEST(metrics(c).find(f.n.uuid()) == std::string::npos);
  BOOST_TEST(c.stop() == 0);
  BOOST_TEST(c.log().find(f.n.uuid()) == std::string::npos, c.log());
}

BOOST_FIXTURE_TEST_CASE(access_without_a_uuid_says_so_and_creates_none, fixture) {
  collector_process c(sub("c"));
  n.point_at(c.url(), "100ms");
  auto r = n.cli({"telemetry", "access"});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("no telemetry UUID") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("cannot prove") != std::string::npos, r.err);
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(http_request(c.port(), http::verb::get, "/metrics").body.find("telemetry_access_requests_total 0") !=
             std::string::npos);
}

// v1/access is resolved against the Endpoint as a link is: below its path.
BOOST_FIXTURE_TEST_CASE(access_goes_to_v1_access_below_the_endpoints_path, fixture) {
  collector_process c(sub("c"));
  n.point_at(c.url(), "100ms");
  send_once(c, 1);
  recording_server rec;
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", rec.url() + "telemetry/");
  auto r = n.cli({"telemetry", "access"});
  auto reqs = rec.requests();
  BOOST_REQUIRE(reqs.size() == 1u);
  BOOST_TEST(reqs[0].method() == http::verb::post);
  BOOST_TEST(reqs[0].target() == "/telemetry/v1/access");
  BOOST_TEST(reqs[0].body() == access_body(n.uuid()));  // in the body, never in the URL
  // The recorder answers 200 "{}" without the collector's Telemetry-Access-Limit
  // header: not an access answer, so nothing is printed (and never "none held").
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("is not a telemetry collector's access answer") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("holds no raw event") == std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(access_over_tls_with_the_send_paths_verification, fixture) {
  auto c = start_tls_collector(dir.path(), pki.issue({"leaf", {"localhost"}, {"127.0.0.1"}}), "tls");
  n.point_at(https_url(*c), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  send_once(*c, 1);
  auto r = n.cli({"telemetry", "access"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(ndjson(r.out) == stored_of(*c, n.uuid()));
  // Without the CA the collector is not trusted, for access as for sending.
  n.set_json("Plugins.Plugins.telemetry.Config.CAFile", "null");
  r = n.cli({"telemetry", "access"});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("certificate verify failed") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(access_goes_through_the_proxy_as_sending_does, fixture) {
  tinyproxy_process proxy(sub("proxy"));
  collector_process c(sub("c"));
  n.point_at(c.url(), "100ms");
  send_once(c, 1);
  auto r = n.cli({"telemetry", "access"}, {{"http_proxy", proxy.url()}});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(ndjson(r.out) == stored_of(c, n.uuid()));
  BOOST_TEST(proxy.log().find("POST " + c.url() + "v1/access HTTP/1.1") != std::string::npos, proxy.log());
  BOOST_TEST(proxy.log().find(n.uuid()) == std::string::npos);  // the UUID is in the body only

  auto tls = start_tls_collector(dir.path(), pki.issue({"leaf", {"localhost"}, {"127.0.0.1"}}), "tls");
  n.point_at(https_url(*tls), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.CAFile", pki.ca_pem().string());
  send_once(*tls, 1);
  r = n.cli({"telemetry", "access"}, {{"https_proxy", proxy.url()}});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(ndjson(r.out) == stored_of(*tls, n.uuid()));
  BOOST_TEST(proxy.log().find("CONNECT 127.0.0.1:" + std::to_string(tls->port())) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(status_names_both_rights_and_their_commands, fixture) {
  auto r = n.cli({"telemetry", "status"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("'ipfs-stub telemetry access'") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("'ipfs-stub telemetry erase'") != std::string::npos, r.out);
  auto j = json::parse(n.cli({"telemetry", "status", "--json"}).out).as_object();
  BOOST_TEST(j.at("rights").at("access").as_string() == "ipfs-stub telemetry access");
  BOOST_TEST(j.at("rights").at("erasure").as_string() == "ipfs-stub telemetry erase");
}

// docs/privacy.md's claims a program can check: the field table lists the
// schema's properties exactly, in order; every command, option, endpoint
// and test it names exists.
BOOST_AUTO_TEST_CASE(the_privacy_doc_matches_the_code) {
  const std::filesystem::path root = std::filesystem::path(TELEMETRY_SCHEMA_DIR).parent_path();
  const std::string doc = read_text(root / "docs" / "privacy.md");
  BOOST_REQUIRE(!doc.empty());

  const auto begin = doc.find("## Why each field is collected");
  BOOST_REQUIRE(begin != std::string::npos);
  const std::string table = doc.substr(begin, doc.find("\n## ", begin + 1) - begin);
  std::vector<std::string> listed;
  const std::regex row(R"(\n\| `([a-z0-9_]+)` \|)");
  for (auto it = std::sregex_iterator(table.begin(), table.end(), row); it != std::sregex_iterator(); ++it)
    listed.push_back((*it)[1]);
  const auto schema_doc = json::parse(read_text(root / "schemas" / "log_event.schema.json"));
  std::vector<std::string> schema;
  for (const auto& p : schema_doc.at("properties").as_object()) schema.emplace_back(p.key());
  BOOST_TEST(schema.size() == 28u);
  BOOST_TEST(listed == schema, boost::test_tools::per_element());

  // Commands and options: in the help of the programs that take them.
  std::string help;
  for (std::vector<std::string> argv : {std::vector<std::string>{IPFS_STUB_BIN, "--help"},
                                        {IPFS_STUB_BIN, "telemetry", "--help"}, {IPFS_STUB_BIN, "daemon", "--help"},
                                        {IPFS_STUB_BIN, "config", "--help"}, {COLLECTOR_BIN, "serve", "--help"},
                                        {COLLECTOR_BIN, "settings", "--help"}}) {
    auto r = run(argv);
    BOOST_REQUIRE(r.exit_code == 0);
    help += r.out;
  }
  const std::regex command(R"(ipfs-stub telemetry ([a-z]+))");
  std::set<std::string> named;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), command); it != std::sregex_iterator(); ++it)
    named.insert((*it)[1]);
  BOOST_TEST(named.count("access") == 1u);
  for (const auto& c : named) BOOST_TEST(help.find("telemetry " + c) != std::string::npos, c);
  const std::regex option(R"((--[a-z][a-z-]+))");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), option); it != std::sregex_iterator(); ++it)
    BOOST_TEST(help.find((*it)[1].str()) != std::string::npos, (*it)[1]);

  // Endpoints: a real collector routes each (no 404, no 405), the admin ones with the token.
  temp_dir dir;
  collector_process c(dir.path(), {"--admin-token-file", write_admin_token(dir.path()).string()});
  const std::regex endpoint(R"(`(GET|POST|PUT|DELETE) (/[^` ?]*))");
  std::size_t endpoints = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), endpoint); it != std::sregex_iterator(); ++it) {
    const std::string m = (*it)[1];
    std::string path = (*it)[2];
    if (auto at = path.find("<uuid>"); at != std::string::npos) path.replace(at, 6, test_uuid(1));
    const auto verb = m == "GET" ? http::verb::get : m == "POST" ? http::verb::post : m == "PUT" ? http::verb::put
                                                                                                 : http::verb::delete_;
    const auto r = http_request(c.port(), verb, path, {}, k_admin_token);
    BOOST_TEST((r.status != 0u && r.status != 404u && r.status != 405u), m << " " << path << ": " << r.status);
    ++endpoints;
  }
  BOOST_TEST(endpoints >= 10u);

  // Tests cited as suite/case: each is a case of that suite.
  const std::regex cited(R"(([a-z_]+_tests)/\s*([a-z0-9_]+))");
  std::size_t citations = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), cited); it != std::sregex_iterator(); ++it) {
    const std::string source = read_text(root / "tests" / ((*it)[1].str() + ".cpp"));
    const std::string name = (*it)[2];
    BOOST_TEST(std::regex_search(source, std::regex("CASE\\(" + name + "[,)]")), (*it)[1] << "/" << name);
    ++citations;
  }
  BOOST_TEST(citations >= 20u);
}

BOOST_AUTO_TEST_SUITE_END()
