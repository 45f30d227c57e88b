#pragma once
// The daemon side of the plugin: one thread running one io_context, a timer
// that fires after Delay and then every Interval, and the send cycle
// (collect -> serialize -> send -> handle outcome).
//
// Threading: start() and stop() are called by the host's thread; everything
// else runs on the service's own thread. All mutable state is touched only
// there (the io_context is single-threaded, so it is an implicit strand).
// stop() is bounded: it cancels the timer and the send in flight and joins.

#include "file_system.hpp"
#include "http_sender.hpp"
#include "logger.hpp"
#include "mode.hpp"
#include "node_facts.hpp"
#include "platform.hpp"
#include "retire_marker.hpp"
#include "retry_policy.hpp"
#include "sender.hpp"
#include "sent_log.hpp"
#include "uuid_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace ipfs_telemetry {

struct service_settings {
  std::filesystem::path repo;
  std::string endpoint;  // validated, non-empty
  std::chrono::nanoseconds delay{};
  std::chrono::nanoseconds interval{};
  telemetry_mode mode = telemetry_mode::on;  // on or auto_ (never off)
  std::string docs_url;
  std::string host_command = "ipfs";  // for commands named in the notice
  std::chrono::steady_clock::time_point init_time;  // uptime counts from here
  transport_settings transport;
  std::chrono::nanoseconds retry_base = k_retry_base;  // first backoff ceiling
};

// Asks the host for node facts. Called on the service thread.
using facts_provider = std::function<boost::system::result<node_facts, std::string>()>;
// A uniform random number in [0, 1), for jitter. Called on the service thread.
using random_source = std::function<double()>;
random_source default_random_source();

// Makes the transport, bound to the service's io_context; a message on failure.
using sender_factory = std::function<boost::system::result<std::unique_ptr<sender>, std::string>(
    boost::asio::any_io_executor, const transport_settings&)>;

class telemetry_service {
 public:
  // `log`, `fs` and `platform` must outlive the service.
  telemetry_service(service_settings settings, const logger& log, file_system& fs, facts_provider facts,
                    sender_factory make_sender, const platform_info& platform,
                    random_source random = default_random_source());
  ~telemetry_service();

  telemetry_service(const telemetry_service&) = delete;
  telemetry_service& operator=(const telemetry_service&) = delete;

  // Spawns the thread. Checks (online, retired, UUID, notice) run on it.
  void start();

  // Cancels everything and joins. Idempotent.
  void stop();

 private:
  void do_start();
  void arm_timer(std::chrono::steady_clock::time_point when);
  void on_timer(boost::system::error_code ec);
  void collect();
  void do_attempt();
  void on_sent(std::uint64_t generation, const std::string& body, send_outcome outcome);
  void schedule_retry(const send_outcome& outcome);
  void retire();

  service_settings settings_;
  const logger& log_;
  file_system& fs_;
  facts_provider facts_;
  sender_factory make_sender_;
  const platform_info& platform_;
  uuid_store uuids_;
  retire_marker marker_;
  sent_log sent_;
  random_source random_;

  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer timer_{ioc_};        // the next collection
  boost::asio::steady_timer retry_timer_{ioc_};  // the next retry of the pending event
  std::unique_ptr<sender> sender_;
  std::thread thread_;

  // Service-thread state.
  std::string uuid_;
  std::chrono::steady_clock::time_point next_fire_;
  std::string pending_;        // the one event awaiting (re)delivery; empty: none
  std::string agent_version_;  // User-Agent of the pending event
  unsigned attempt_ = 0;       // attempts of the pending event so far
  std::uint64_t generation_ = 0;  // identifies the attempt in flight; stale completions are ignored
  bool stopped_ = false;
  bool in_flight_ = false;
  // Set by stop() before it posts: a node-facts call that the host cut short
  // because it is closing its plugins is a quiet end, not an error.
  std::atomic<bool> stopping_{false};
};

}  // namespace ipfs_telemetry
