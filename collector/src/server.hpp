#pragma once
// The collector's network side: a listener accepting TCP connections and one
// session per connection reading requests with Beast, handing each to
// handle_request and carrying out the resulting action against the store.
//
// Threading: one io_context per I/O thread (io_pool), each run by exactly one
// thread, as nginx runs one event loop per worker. The listener hands each new
// connection to the next context in turn; a session then lives on that one
// thread for its whole life, so it needs no strand and no locks. Store
// completions come back on the writer thread and are posted to the session's
// context. Database reads (stats, export) run on `readers`, never on an I/O
// thread.
// Privacy: nothing about the peer (address, headers) is logged or stored.

#include "event_store.hpp"
#include "metrics.hpp"
#include "request_handler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace telemetry_collector {

class session_base {
 public:
  virtual ~session_base() = default;
  // Called on drain: close now if waiting for a request, else after the current response.
  virtual void drain() = 0;
};

// Live sessions, so that a drain can reach them.
class session_registry {
 public:
  std::uint64_t add(std::weak_ptr<session_base> s);
  void remove(std::uint64_t id);
  // Calls drain() on every live session (through its own strand, by the caller's post).
  void for_each(const std::function<void(std::shared_ptr<session_base>)>& fn);
  std::size_t size();
  // `fn` is called (on the thread that removed it) each time the last session goes.
  void set_on_empty(std::function<void()> fn);

 private:
  std::function<void()> on_empty_;
  std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, std::weak_ptr<session_base>> live_;
};

struct server_context {
  handler_options handler;
  event_store* store = nullptr;
  collector_metrics* metrics = nullptr;
  boost::asio::thread_pool* readers = nullptr;
  std::function<void(const std::string&)> log;  // one line to the operator
  std::chrono::seconds idle_timeout{30};        // per request: headers and body must arrive within it
  boost::asio::ssl::context* tls = nullptr;     // non-null: serve HTTPS only
  std::atomic<bool> draining{false};
  session_registry sessions;
  // Bytes of /v1/stats answers built and not yet written, over every
  // session: beyond max_stats_bytes a new stats request is answered 503
  // (Retry-After: 1) instead of being read, so clients reading slowly cannot
  // make the collector hold an unbounded amount of memory.
  std::atomic<std::size_t> stats_bytes{0};
  std::size_t max_stats_bytes = 32u << 20;
};

// N single-threaded io_contexts and the threads that run them.
class io_pool {
 public:
  explicit io_pool(int threads);
  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  boost::asio::io_context& next();  // round robin; called by the listener only
  // Runs every context, context 0 on the calling thread; returns when all have stopped.
  void run();
  void stop();  // thread-safe

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::size_t next_ = 0;
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens (on the pool's context 0); throws boost::system::system_error on failure.
  listener(io_pool& pool, const boost::asio::ip::tcp::endpoint& endpoint, server_context& ctx);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void run();
  void stop();

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  io_pool& pool_;
  boost::asio::ip::tcp::acceptor acceptor_;  // on context 0
  boost::asio::steady_timer retry_;           // pause after running out of descriptors
  server_context& ctx_;
};

// Makes the store's writer hand each batch's completions to each I/O thread
// in one post. Call before the listener runs.
void gather_completions(event_store& store);

// Starts draining: no new connections (the caller stops the listener), idle
// sessions closed, busy ones closed after their response.
void drain_sessions(server_context& ctx);

}  // namespace telemetry_collector
