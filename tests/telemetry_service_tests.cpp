// The service's scheduling and outcome handling, on its real thread and timer,
// with a fake transport and fake node facts. (The real transport is exercised
// end to end by the integration tests.)
#include "telemetry_service.hpp"

#include "support/test_support.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

using namespace ipfs_telemetry;
using namespace std::chrono_literals;
using test_support::temp_dir;
using test_support::wait_until;

namespace {

// Captures log lines through a real ipfs_host_services table.
struct log_capture {
  std::mutex mutex;
  std::vector<std::string> lines;
  ipfs_host_services services{};

  log_capture() {
    services.abi_version = IPFS_PLUGIN_ABI_VERSION;
    services.struct_size = sizeof services;
    services.host_ctx = this;
    services.log = [](void* ctx, int32_t, const char*, const char* msg) {
      auto* self = static_cast<log_capture*>(ctx);
      std::lock_guard lock(self->mutex);
      self->lines.emplace_back(msg);
    };
    services.log_enabled = [](void*, int32_t, const char*) -> int32_t { return 1; };
  }
  bool has(std::string_view needle) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
};

// Records requests; answers each with `status` (0: never answers until cancelled).
struct fake_transport {
  std::mutex mutex;
  std::vector<send_request> requests;
  std::atomic<unsigned> status{200};
  std::string retry_after;  // set before start
  std::atomic<int> aborted{0};

  std::size_t count() {
    std::lock_guard lock(mutex);
    return requests.size();
  }
};

class fake_sender final : public sender {
 public:
  fake_sender(boost::asio::any_io_executor ex, fake_transport& t) : ex_(std::move(ex)), t_(t) {}
  void async_send(send_request req, completion done) override {
    {
      std::lock_guard lock(t_.mutex);
      t_.requests.push_back(req);
    }
    const unsigned status = t_.status;
    if (status == 0) {
      pending_ = std::move(done);
      return;
    }
    boost::asio::post(ex_, [done = std::move(done), status, retry_after = t_.retry_after] {
      send_outcome o;
      if (status == 1) {
        o.ec = boost::asio::error::connection_refused;
        o.step = "connect";
      } else {
        o.status = status;
        o.retry_after = retry_after;
      }
      done(o);
    });
  }
  void cancel() override {
    if (!pending_) return;
    ++t_.aborted;
    auto done = std::move(pending_);
    pending_ = nullptr;
    boost::asio::post(ex_, [done = std::move(done)] {
      send_outcome o;
      o.ec = boost::asio::error::operation_aborted;
      o.step = "read";
      done(o);
    });
  }

 private:
  boost::asio::any_io_executor ex_;
  fake_transport& t_;
  completion pending_;
};

struct fixture {
  temp_dir repo;
  posix_file_system fs;
  log_capture logs;
  logger log{&logs.services};
  fake_transport transport;
  platform_info platform{"linux", "amd64", false, false};
  bool online = true;
  std::chrono::nanoseconds retry_base = std::chrono::milliseconds(20);
  double random_value = 0.5;  // pinned jitter

  std::unique_ptr<telemetry_service> make(std::chrono::nanoseconds delay, std::chrono::nanoseconds interval,
                                          telemetry_mode mode = telemetry_mode::on) {
    service_settings s;
    s.repo = repo.path();
    s.endpoint = "http://127.0.0.1:1/";
    s.delay = delay;
    s.interval = interval;
    s.mode = mode;
    s.docs_url = "docs";
    s.init_time = std::chrono::steady_clock::now();
    s.retry_base = retry_base;
    auto facts = [this]() -> boost::system::result<node_facts, std::string> {
      node_facts f;
      f.agent_version = "test-agent/1/";
      f.daemon = true;
      f.online = online;
      f.config = boost::json::parse(R"({"Bootstrap":["auto"]})");
      return f;
    };
    auto make_sender = [this](boost::asio::any_io_executor ex,
                              const transport_settings&) -> boost::system::result<std::unique_ptr<sender>, std::string> {
      return std::unique_ptr<sender>(std::make_unique<fake_sender>(std::move(ex), transport));
    };
    return std::make_unique<telemetry_service>(std::move(s), log, fs, facts, make_sender, platform,
                                               [this] { return random_value; });
  }
  std::filesystem::path uuid_file() const { return repo.path() / "telemetry_uuid"; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(telemetry_service_tests, fixture)

BOOST_AUTO_TEST_CASE(first_run_creates_uuid_shows_notice_and_sends_after_delay) {
  auto svc = make(50ms, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 1; }, 5s));
  BOOST_TEST(std::filesystem::exists(uuid_file()));
  BOOST_TEST(logs.has("Anonymous telemetry will be enabled in 50ms"));
  BOOST_TEST(logs.has("This message is shown only once"));
  const auto uuid = test_support::read_text(uuid_file()).substr(0, 36);
  const auto& req = transport.requests.front();
  BOOST_TEST(req.body.find("\"uuid\":\"" + uuid + "\"") != std::string::npos);
  BOOST_TEST(req.user_agent == "test-agent/1/");
  BOOST_TEST(req.endpoint == "http://127.0.0.1:1/");
  svc->stop();
  BOOST_TEST(transport.count() == 1u);  // Interval 24h: nothing more
}

BOOST_AUTO_TEST_CASE(existing_uuid_means_no_notice_unless_mode_is_auto) {
  BOOST_REQUIRE(uuid_store(fs, repo.path()).create().has_value());
  {
    auto svc = make(10ms, 24h);
    svc->start();
    BOOST_REQUIRE(wait_until([&] { return transport.count() >= 1; }, 5s));
  }
  BOOST_TEST(!logs.has("Anonymous telemetry"));
  auto svc = make(10ms, 24h, telemetry_mode::auto_);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 2; }, 5s));
  BOOST_TEST(logs.has("Anonymous telemetry will be enabled"));
  BOOST_TEST(logs.has("shown at every start"));
}

BOOST_AUTO_TEST_CASE(sends_again_every_interval) {
  auto svc = make(0ms, 1s);
  svc->start();
  BOOST_TEST(wait_until([&] { return transport.count() >= 3; }, 10s));
}

BOOST_AUTO_TEST_CASE(gone_retires_the_node) {
  transport.status = 410;
  auto svc = make(0ms, 1s);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return logs.has("410 Gone"); }, 5s));
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
  BOOST_TEST(test_support::read_text(repo.path() / "telemetry_retired") == "http://127.0.0.1:1/\n");
  std::this_thread::sleep_for(1500ms);  // past one Interval: nothing more is sent
  BOOST_TEST(transport.count() == 1u);
  svc->stop();

  // A later start with the same endpoint stays silent and writes no UUID.
  auto again = make(0ms, 1s);
  again->start();
  BOOST_REQUIRE(wait_until([&] { return logs.has("retired this node"); }, 5s));
  again->stop();
  BOOST_TEST(transport.count() == 1u);
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(retryable_failures_back_off_exponentially_and_resend_the_same_event) {
  transport.status = 503;
  random_value = 0.999;  // full jitter at its ceiling: 20, 40, 80, 160ms...
  auto svc = make(0ms, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 4; }, 10s));
  BOOST_TEST(logs.has("failed: HTTP 503; retrying in 19ms (backoff, attempt 1)"));
  BOOST_TEST(logs.has("retrying in 39ms (backoff, attempt 2)"));
  BOOST_TEST(logs.has("retrying in 79ms (backoff, attempt 3)"));
  transport.status = 200;
  BOOST_REQUIRE(wait_until([&] { return logs.has("telemetry sent to"); }, 10s));
  svc->stop();
  std::lock_guard lock(transport.mutex);
  for (const auto& r : transport.requests) BOOST_TEST(r.body == transport.requests.front().body);
  BOOST_TEST(std::filesystem::exists(uuid_file()));  // a failure is not a retirement
}

BOOST_AUTO_TEST_CASE(network_errors_408_and_429_are_retried) {
  for (unsigned status : {1u, 408u, 429u, 500u}) {
    fixture f;
    f.transport.status = status;
    auto svc = f.make(0ms, 24h);
    svc->start();
    BOOST_TEST(wait_until([&] { return f.transport.count() >= 2; }, 10s), "status " << status);
  }
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured_and_capped_at_the_interval) {
  transport.status = 429;
  transport.retry_after = "1";
  retry_base = 10min;  // backoff alone would not retry within the test
  auto svc = make(0ms, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 2; }, 10s));
  BOOST_TEST(logs.has("failed: HTTP 429; retrying in 1s (Retry-After, attempt 1)"));
  svc->stop();

  fixture capped;
  capped.transport.status = 503;
  capped.transport.retry_after = "86400";
  auto svc2 = capped.make(0ms, 2s);
  svc2->start();
  BOOST_REQUIRE(wait_until([&] { return capped.logs.has("HTTP 503"); }, 10s));
  // Capped at Interval: the retry comes no later than the next collection, or that replaces it.
  BOOST_TEST((capped.logs.has("retrying in 2s (Retry-After") || capped.logs.has("the next collection replaces it")));
}

BOOST_AUTO_TEST_CASE(other_client_errors_wait_for_the_next_collection) {
  transport.status = 404;
  auto svc = make(0ms, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return logs.has("HTTP 404; will try again at the next collection"); }, 10s));
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(transport.count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_new_collection_replaces_an_attempt_still_in_flight) {
  transport.status = 0;  // never answers
  auto svc = make(0ms, 1s);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 2; }, 10s));
  BOOST_TEST(logs.has("abandoning the previous attempt"));
  BOOST_TEST(transport.aborted.load() >= 1);
}

BOOST_AUTO_TEST_CASE(every_attempt_is_recorded_in_the_sent_log) {
  transport.status = 503;
  random_value = 0.999;
  auto svc = make(0ms, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 2; }, 10s));
  transport.status = 200;
  BOOST_REQUIRE(wait_until([&] { return logs.has("telemetry sent to"); }, 10s));
  svc->stop();
  sent_log log_file(fs, repo.path());
  auto last = log_file.last();
  BOOST_REQUIRE(last.has_value());
  BOOST_TEST(last->at("status").as_int64() == 200);
  BOOST_TEST(last->at("endpoint").as_string() == "http://127.0.0.1:1/");
  std::lock_guard lock(transport.mutex);
  BOOST_TEST(last->at("body").as_string() == transport.requests.back().body);
  const auto text = test_support::read_text(log_file.path());
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == static_cast<long>(transport.requests.size()));
  BOOST_TEST(text.find("\"status\":503") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(offline_node_sends_nothing_and_writes_no_uuid) {
  online = false;
  auto svc = make(0ms, 1s);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return logs.has("offline"); }, 5s));
  svc->stop();
  BOOST_TEST(transport.count() == 0u);
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(corrupt_uuid_keeps_telemetry_off_and_the_file_intact) {
  test_support::write_text(uuid_file(), "garbage");
  auto svc = make(0ms, 1s);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return logs.has("telemetry stays off for this run"); }, 5s));
  svc->stop();
  BOOST_TEST(transport.count() == 0u);
  BOOST_TEST(test_support::read_text(uuid_file()) == "garbage");
}

BOOST_AUTO_TEST_CASE(stop_cancels_a_send_in_flight_and_returns) {
  transport.status = 0;  // never answers
  auto svc = make(0ms, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return transport.count() >= 1; }, 5s));
  svc->stop();  // must not hang; the test runner's timeout would catch it
  BOOST_TEST(transport.aborted.load() == 1);
}

BOOST_AUTO_TEST_CASE(stop_before_the_first_send_sends_nothing) {
  auto svc = make(10s, 24h);
  svc->start();
  BOOST_REQUIRE(wait_until([&] { return std::filesystem::exists(uuid_file()); }, 5s));
  svc->stop();
  BOOST_TEST(transport.count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
