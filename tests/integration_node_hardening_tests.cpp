// The node never floods, never pays for a bad collector, never loses its
// proof of ownership and never leaks a secret: the real daemon and CLI against
// misbehaving servers on 127.0.0.1 (issue: hardening).
#include "support/fault_server.hpp"
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <thread>

using namespace test_support;

namespace {

struct fixture {
  temp_dir dir;
  node n{dir.path()};
  std::filesystem::path sent_log() const { return n.repo() / "telemetry_sent.jsonl"; }
  // The audit log's entries, oldest first.
  std::vector<boost::json::object> audit() const {
    std::vector<boost::json::object> out;
    std::istringstream in(read_text(sent_log()));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
    return out;
  }
};

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_node_hardening_tests, fixture)

// The largest Delay Go accepts used to overflow `now + Delay` into the past:
// thousands of sends a second, none in the audit log.
BOOST_AUTO_TEST_CASE(the_largest_delay_and_interval_mean_never_not_now) {
  fault_server server;
  n.point_at(server.url(), "2562047h47m16.854775807s");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "2562047h");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  std::this_thread::sleep_for(2s);
  BOOST_TEST(server.requests() == 0u);
  BOOST_TEST(d->stop() == 0);

  // Delay 0 with the largest Interval: exactly one send, then never again.
  n.set("Plugins.Plugins.telemetry.Config.Delay", "0s");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "2562047h47m16.854775807s");
  auto d2 = n.daemon();
  BOOST_REQUIRE(d2->ready());
  BOOST_TEST(d2->wait_log("telemetry sent to"));
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(server.requests() == 1u);
  BOOST_TEST(audit().size() == 1u);
  BOOST_TEST(d2->stop() == 0);
}

// A collector answering 503 with "Retry-After: 0" forever used to get a
// request per round trip. Now it costs at most k_max_attempts (5) requests
// per Interval, and as many audit records.
BOOST_AUTO_TEST_CASE(a_collector_failing_forever_gets_a_bounded_number_of_requests) {
  for (const char* retry_after : {"0", "Thu, 01 Jan 1970 00:00:00 GMT", "1"}) {
    fault_server server;
    server.set(fault::respond, 503, std::string("Retry-After: ") + retry_after + "\r\n");
    temp_dir d2;
    node m{d2.path()};
    m.point_at(server.url(), "0s");
    m.set("Plugins.Plugins.telemetry.Config.Interval", "1h");
    auto d = m.daemon();
    BOOST_REQUIRE(d->ready());
    if (std::string(retry_after) == "1") {
      // Retry-After of a second is honoured: five attempts about a second apart, then it gives up.
      BOOST_TEST(d->wait_log("gave up after 5 attempts", 20s), d->log());
    } else {
      std::this_thread::sleep_for(3s);
    }
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(server.requests() <= 5u, retry_after << ": " << server.requests() << " requests");
    BOOST_TEST(server.requests() >= 1u, retry_after);
    std::istringstream in(read_text(m.repo() / "telemetry_sent.jsonl"));
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line);) lines += !line.empty();
    BOOST_TEST(lines <= 5u, retry_after);
    BOOST_TEST(d->running());
    BOOST_TEST(d->stop() == 0);
  }
}

// A body delivered to a collector that never answers used to leave no
// record when the attempt timed out or the daemon stopped.
BOOST_AUTO_TEST_CASE(attempts_abandoned_by_timeout_or_shutdown_are_recorded) {
  recording_server silent(200, /*hang=*/true);
  n.point_at(silent.url(), "0s");
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "500ms");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "1h");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_REQUIRE(wait_for([&] { return !audit().empty(); }, 10s));
  auto first = audit().front();
  BOOST_TEST(first.at("abandoned").as_string() == "timeout");
  BOOST_TEST(first.at("body_sent").as_bool());
  BOOST_TEST(first.at("sent_to").as_array().at(0).as_string() == silent.url());
  BOOST_TEST(silent.count() >= 1u);  // the body did arrive
  BOOST_TEST(d->stop() == 0);

  // Shutdown in the middle of an attempt (Timeout far away).
  std::filesystem::remove(sent_log());
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "10m");
  const auto before = silent.count();
  auto d2 = n.daemon();
  BOOST_REQUIRE(d2->ready());
  BOOST_REQUIRE_MESSAGE(wait_for([&] { return silent.count() > before; }, 10s),
                        "requests " << silent.count() << " accepted " << silent.accepted() << " before " << before);
  BOOST_TEST(d2->stop() == 0);
  const auto entries = audit();
  BOOST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(entries[0].at("abandoned").as_string() == "shutdown");
  BOOST_TEST(entries[0].at("body_sent").as_bool());
}

BOOST_AUTO_TEST_CASE(the_audit_log_names_every_host_that_received_the_body) {
  recording_server target(202);
  fault_server redirector;
  redirector.set(fault::respond, 307, "Location: " + target.url() + "moved\r\n");
  n.point_at(redirector.url(), "0s");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_REQUIRE(d->wait_log("telemetry sent to"));
  BOOST_TEST(d->stop() == 0);
  const auto entries = audit();
  BOOST_REQUIRE(entries.size() == 1u);
  const auto& to = entries[0].at("sent_to").as_array();
  BOOST_REQUIRE(to.size() == 2u);
  BOOST_TEST(to[0].as_string() == redirector.url());
  BOOST_TEST(to[1].as_string() == target.url() + "moved");
  BOOST_TEST(entries[0].at("status").as_int64() == 202);
}

// With an opt-out variable set, status and show used to delete the UUID: the
// node's only proof of ownership.
BOOST_AUTO_TEST_CASE(read_only_commands_change_no_file_whatever_the_opt_out) {
  auto collector = std::make_unique<collector_process>(dir.path());
  n.point_at(collector->url(), "0s");
  {
    auto d = n.daemon();
    BOOST_REQUIRE(d->ready());
    BOOST_REQUIRE(collector->wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  const std::string id = read_text(n.uuid_file());
  BOOST_REQUIRE(!id.empty());
  ::chmod(n.uuid_file().c_str(), 0644);  // too open: status reports it, only the daemon fixes it
  auto listing = [&] {
    std::string out;
    for (const auto& e : std::filesystem::directory_iterator(n.repo()))
      out += e.path().filename().string() + ":" + std::to_string(std::filesystem::last_write_time(e).time_since_epoch().count()) + "\n";
    return out;
  };
  const auto files = listing();
  for (const env_changes& env : {env_changes{{"IPFS_TELEMETRY", "off"}}, env_changes{{"DO_NOT_TRACK", "1"}},
                                 env_changes{{"IPFS_TELEMETRY", "bogus"}}}) {
    for (const char* cmd : {"status", "show"}) {
      auto r = n.cli({"telemetry", cmd}, env);
      BOOST_TEST(r.exit_code == 0, cmd << ": " << r.err);
    }
    auto r = n.cli({"telemetry", "status", "--json"}, env);
    BOOST_TEST(r.exit_code == 0, r.err);
  }
  BOOST_TEST(read_text(n.uuid_file()) == id);
  BOOST_TEST(listing() == files);
  struct stat st {};
  BOOST_REQUIRE(::stat(n.uuid_file().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0644u);  // not even chmod-ed
  BOOST_TEST(n.cli({"telemetry", "status"}).out.find("readable by others") != std::string::npos);

  // Erasure with the opt-out set still proves ownership with the kept UUID.
  auto erase = n.cli({"telemetry", "erase"}, {{"IPFS_TELEMETRY", "off"}});
  BOOST_TEST(erase.exit_code == 0, erase.err);
  BOOST_TEST(collector->events().empty());

  // Without a UUID, erase cannot prove ownership and says so, non-zero.
  BOOST_TEST(n.cli({"telemetry", "forget"}).exit_code == 0);
  erase = n.cli({"telemetry", "erase"});
  BOOST_TEST(erase.exit_code != 0);
  BOOST_TEST(erase.err.find("cannot prove") != std::string::npos, erase.err);
}

// A FIFO in place of the UUID file used to hang the daemon's start for ever
// (and then its SIGTERM); a symlink was followed.
BOOST_AUTO_TEST_CASE(repo_files_that_are_not_regular_files_are_refused_without_blocking) {
  fault_server server;
  n.point_at(server.url(), "0s");
  BOOST_REQUIRE(::mkfifo(n.uuid_file().c_str(), 0600) == 0);
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->wait_log("FIFO"), d->log());
  BOOST_TEST(d->log_has("telemetry stays off for this run"));
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(d->stop(5s) == 0);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));
  BOOST_TEST(server.requests() == 0u);
  auto st = n.cli({"telemetry", "status"});
  BOOST_TEST(st.exit_code == 0);
  BOOST_TEST(st.out.find("FIFO") != std::string::npos, st.out);

  // A symlink as the UUID file: not followed, not replaced, its target untouched.
  std::filesystem::remove(n.uuid_file());
  const auto target = dir.path() / "outside";
  write_text(target, "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  ::chmod(target.c_str(), 0644);
  std::filesystem::create_symlink(target, n.uuid_file());
  auto d2 = n.daemon();
  BOOST_REQUIRE(d2->ready());
  BOOST_TEST(d2->wait_log("symbolic link"), d2->log());
  BOOST_TEST(d2->stop() == 0);
  BOOST_TEST(server.requests() == 0u);
  BOOST_TEST(std::filesystem::is_symlink(n.uuid_file()));
  struct stat s {};
  BOOST_REQUIRE(::stat(target.c_str(), &s) == 0);
  BOOST_TEST((s.st_mode & 0777) == 0644u);

  // The audit log as a symlink: the record is refused, the target never written.
  std::filesystem::remove(n.uuid_file());
  const auto elsewhere = dir.path() / "elsewhere.jsonl";
  write_text(elsewhere, "keep\n");
  std::filesystem::create_symlink(elsewhere, sent_log());
  auto d3 = n.daemon();
  BOOST_REQUIRE(d3->ready());
  BOOST_TEST(d3->wait_log("symbolic link"), d3->log());
  BOOST_TEST(d3->log_has("telemetry stays off for this run"), d3->log());  // no attempt goes unrecorded
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(d3->stop() == 0);
  BOOST_TEST(server.requests() == 0u);
  BOOST_TEST(read_text(elsewhere) == "keep\n");
}

// Neighbours in the host: a FIFO among the repo's plugins used to block the
// daemon's start in dlopen (with SIGTERM not yet taken); a FIFO as the config
// blocked every command.
BOOST_AUTO_TEST_CASE(the_host_never_blocks_on_a_fifo_in_the_repo) {
  std::filesystem::create_directories(n.repo() / "plugins");
  BOOST_REQUIRE(::mkfifo((n.repo() / "plugins" / "evil.so").c_str(), 0600) == 0);
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("evil.so: not a regular file"), d->log());
  BOOST_TEST(d->stop(5s) == 0);

  std::filesystem::rename(n.repo() / "config", dir.path() / "config.saved");
  BOOST_REQUIRE(::mkfifo((n.repo() / "config").c_str(), 0600) == 0);
  auto r = run({IPFS_STUB_BIN, "--repo-dir", n.repo().string(), "telemetry", "status"}, {}, 5s);
  BOOST_TEST(r.exit_code == 1, r.err);  // -1: killed after 5 s, still blocked
  BOOST_TEST(r.err.find("FIFO") != std::string::npos, r.err);
}

// A URL refused for a reason other than its credentials (a bad port, trailing
// garbage) used to be quoted whole, password included.
BOOST_AUTO_TEST_CASE(no_secret_in_any_log_status_or_record) {
  const std::string secret = "hunter2secret";
  for (const std::string& endpoint : {"http://user:" + secret + "@127.0.0.1:99999/",
                                      "http://user:" + secret + "@127.0.0.1:8/ trailing",
                                      "http://user:" + secret + "@/", "http://user:" + secret + "@127.0.0.1:1/",
                                      "http://user:pa/" + secret + "@127.0.0.1:99999/",
                                      "http://user:pa#" + secret + "@127.0.0.1:1/", "http:/user:" + secret + "@h"}) {
    n.set("Plugins.Plugins.telemetry.Config.Endpoint", endpoint);
    auto d = n.daemon({}, {{"GOLOG_LOG_LEVEL", "telemetry=debug"}});
    BOOST_REQUIRE(d->ready());
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(d->stop() == 0);
    BOOST_TEST(d->log().find(secret) == std::string::npos, endpoint << "\n" << d->log());
    for (const std::vector<std::string>& args : {std::vector<std::string>{"telemetry", "status"},
                                                 std::vector<std::string>{"telemetry", "status", "--json"},
                                                 std::vector<std::string>{"telemetry", "erase"}}) {
      auto r = n.cli(args, {{"GOLOG_LOG_LEVEL", "telemetry=debug"}});
      BOOST_TEST((r.out + r.err).find(secret) == std::string::npos, endpoint << "\n" << r.out << r.err);
    }
  }
  // Proxy credentials, with a proxy that refuses the tunnel and a redirect to a URL with credentials.
  fault_server proxy;
  proxy.set(fault::respond, 407);
  fault_server redirector;
  redirector.set(fault::respond, 307, "Location: https://admin:" + secret + "@127.0.0.1:1/\r\n");
  n.point_at(redirector.url(), "0s");
  auto d = n.daemon({}, {{"GOLOG_LOG_LEVEL", "telemetry=debug"},
                         {"http_proxy", "http://puser:" + secret + "@127.0.0.1:" + std::to_string(proxy.port())}});
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->wait_log("failed"), d->log());
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(d->log().find(secret) == std::string::npos, d->log());
  BOOST_TEST(read_text(sent_log()).find(secret) == std::string::npos, read_text(sent_log()));
  auto d2 = n.daemon({}, {{"GOLOG_LOG_LEVEL", "telemetry=debug"}});
  BOOST_REQUIRE(d2->ready());
  BOOST_TEST(d2->wait_log("redirect"), d2->log());
  BOOST_TEST(d2->stop() == 0);
  BOOST_TEST(d2->log().find(secret) == std::string::npos, d2->log());
  BOOST_TEST(read_text(sent_log()).find(secret) == std::string::npos, read_text(sent_log()));
}

BOOST_AUTO_TEST_SUITE_END()
