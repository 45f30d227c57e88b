#pragma once
// A deliberately misbehaving HTTP server on 127.0.0.1 for transport fault
// tests, written on raw sockets so it can do what a correct server never does.
// Every behaviour is bounded: it stops writing when the client goes away, when
// a cap is reached, or when the server is destroyed.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

enum class fault {
  respond,      // a normal response with the configured status and headers
  reset,        // half a status line, then a TCP reset
  drip,         // a valid response, one byte per second
  endless,      // 200 with a chunked body that never ends (capped at 100 MiB)
  huge,         // 200 with a 10 MiB body
  not_http,     // bytes that are not HTTP, then close
};

class fault_server {
 public:
  fault_server();
  // HTTPS with this certificate and key; only fault::respond is served.
  fault_server(const std::string& cert_pem, const std::string& key_pem);
  ~fault_server();
  unsigned short port() const { return port_; }
  std::string url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/";
  }

  // Takes effect for the next request.
  void set(fault f, unsigned status = 200, std::string extra_headers = {});
  std::size_t requests() const { return requests_; }

  struct connection;  // one accepted socket and what to do with it

 private:
  void do_accept();
  void serve(std::shared_ptr<connection> c);
  void serve_tls(std::shared_ptr<connection> c);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_;
  std::mutex mutex_;
  fault fault_ = fault::respond;
  unsigned status_ = 200;
  std::string extra_headers_;
  std::atomic<std::size_t> requests_{0};
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::thread thread_;
};

}  // namespace test_support
