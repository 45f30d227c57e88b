#pragma once
// The collector's network side: a listener accepting TCP connections and one
// session per connection reading requests with Beast, handing each to
// handle_request and the accepted events to the sink.
//
// Threading: everything runs on the one io_context passed in (single thread).
// Privacy: nothing about the peer (address, headers) is logged or stored.

#include "event_sink.hpp"
#include "request_handler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace telemetry_collector {

struct server_context {
  handler_options handler;
  event_sink* sink = nullptr;
  std::function<void(const std::string&)> log;  // one line to the operator
  std::chrono::seconds idle_timeout{30};
  boost::asio::ssl::context* tls = nullptr;  // non-null: serve HTTPS only
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens; throws boost::system::system_error on failure.
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint, server_context& ctx);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void run();
  void stop();

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  server_context& ctx_;
};

}  // namespace telemetry_collector
