#pragma once
// The collector's network side: a listener accepting TCP connections and one
// session per connection reading requests with Beast, handing each to
// handle_request, the result to carry_out (request_actions.hpp), and writing
// the answer. Sessions know HTTP only: no storage type appears here.
//
// Threading: one io_context per I/O thread (io_pool), each run by exactly one
// thread, as nginx runs one event loop per worker. The listener hands each new
// connection to the next context in turn; a session then lives on that one
// thread for its whole life, so it needs no strand and no locks. Answers
// that wait for the store come back posted to the session's context.
// Privacy: nothing about the peer (address, headers) is logged or stored.

#include "log.hpp"
#include "request_actions.hpp"
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
  // Closes the connection, on the session's own thread later, if it is
  // waiting for a request and has received nothing of one (an idle
  // keep-alive connection); otherwise leaves it be. Any thread.
  virtual void close_if_idle() = 0;
  // Set by the session while it waits for a request; taken (exchanged to
  // false) by session_registry::close_oldest_idle, so that one session is
  // picked once.
  std::atomic<bool> idle_hint{false};
};

// Live sessions, so that a drain can reach them. Ids grow with time, so the
// lowest ids are the oldest connections.
class session_registry {
 public:
  std::uint64_t add(std::weak_ptr<session_base> s);
  void remove(std::uint64_t id);
  // Calls drain() on every live session (through its own strand, by the caller's post).
  void for_each(const std::function<void(std::shared_ptr<session_base>)>& fn);
  // Asks up to `n` of the oldest sessions that look idle to close
  // (close_if_idle); returns how many were asked.
  std::size_t close_oldest_idle(std::size_t n);
  std::size_t size();
  // `fn` is called (on the thread that removed it) each time the last session goes.
  void set_on_empty(std::function<void()> fn);

 private:
  std::function<void()> on_empty_;
  std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, std::weak_ptr<session_base>> live_;
};

// Connections per peer address, in memory only (never logged or stored), for
// --max-connections-per-peer. Thread-safe.
class peer_counts {
 public:
  // Counts one more connection of `peer` unless it has `max` already.
  bool try_add(const boost::asio::ip::address& peer, std::size_t max);
  void remove(const boost::asio::ip::address& peer);

 private:
  std::mutex mutex_;
  std::map<boost::asio::ip::address, std::size_t> counts_;
};

// Descriptors kept out of the connection limit: the database and its WAL and
// shared-memory files on the writer, checkpointer and reader connections,
// the log, the listener, epoll and the lock file.
inline constexpr std::size_t k_descriptor_reserve = 64;

// The connection limit for a descriptor limit (RLIMIT_NOFILE's soft value):
// all but k_descriptor_reserve, and at least 16.
std::size_t connection_limit(std::size_t descriptor_limit);

// A server TLS context (TLS 1.2 at least) with the certificate chain in
// `cert_file` (PEM, leaf first) and its private key in `key_file` (PEM).
// On failure: null, and `error` names the file that could not be used and why
// (unreadable, not PEM, a key that does not match the certificate).
std::shared_ptr<boost::asio::ssl::context> load_server_tls(const std::string& cert_file, const std::string& key_file,
                                                           std::string& error);

// The TLS context new connections get, replaceable while the server runs
// (serve reloads the certificate on SIGHUP). Thread-safe. The listener takes
// the current context once per accepted connection and the session holds
// it to its end, so a replacement never touches a connection in progress,
// and an old context lives as long as its last connection.
class tls_slot {
 public:
  void set(std::shared_ptr<boost::asio::ssl::context> context);
  std::shared_ptr<boost::asio::ssl::context> get() const;  // null: plain HTTP

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

struct server_context {
  handler_options handler;
  action_context actions;  // the storage, metrics and reader pool the answers need
  log_sink log;            // one line to the operator
  std::chrono::seconds idle_timeout{30};  // per request: headers and body must arrive within it
  tls_slot tls;  // holding a context: serve HTTPS only (set before the listener runs; replaced, never emptied)
  std::atomic<bool> draining{false};
  session_registry sessions;
  // Open connections at most (connection_limit()); lowered by the listener
  // (its only reader) if it finds the descriptor limit lowered. A connection beyond it
  // makes the oldest idle one close (as nginx reuses keep-alive
  // connections); with none idle, it is closed at once.
  std::size_t max_connections = 1024;
  std::size_t max_per_peer = 0;  // connections per peer address; 0: no limit
  peer_counts peers;
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
  // Logged once when accepting starts failing, and once when it has worked
  // again for a while (k_accept_calm): a limit hit over and over is one state.
  bool accept_failing_ = false;
  std::chrono::steady_clock::time_point last_accept_failure_;
};

// Starts draining: no new connections (the caller stops the listener), idle
// sessions closed, busy ones closed after their response.
void drain_sessions(server_context& ctx);

}  // namespace telemetry_collector
