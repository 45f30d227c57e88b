#include "fault_server.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace test_support {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct fault_server::connection {
  explicit connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  asio::streambuf in;
  std::string out;
  std::size_t sent = 0;
  fault mode = fault::respond;
  unsigned status = 200;
  std::string headers;
};

fault_server::fault_server()
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), port_(acceptor_.local_endpoint().port()) {
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

fault_server::fault_server(const std::string& cert_pem, const std::string& key_pem)
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), port_(acceptor_.local_endpoint().port()) {
  tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls_->use_certificate_chain_file(cert_pem);
  tls_->use_private_key_file(key_pem, asio::ssl::context::pem);
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

fault_server::~fault_server() {
  ioc_.stop();
  thread_.join();
}

void fault_server::set(fault f, unsigned status, std::string extra_headers) {
  std::lock_guard lock(mutex_);
  fault_ = f;
  status_ = status;
  extra_headers_ = std::move(extra_headers);
}

void fault_server::do_accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec) return;
    auto c = std::make_shared<connection>(std::move(s));
    {
      std::lock_guard lock(mutex_);
      c->mode = fault_;
      c->status = status_;
      c->headers = extra_headers_;
    }
    if (tls_) {
      serve_tls(c);
      do_accept();
      return;
    }
    // Read the request head (the body, small, arrives with it or is ignored).
    asio::async_read_until(c->socket, c->in, "\r\n\r\n", [this, c](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      ++requests_;
      serve(c);
    });
    do_accept();
  });
}

namespace {

using conn_ptr = std::shared_ptr<fault_server::connection>;

// One byte of c->out per second until all is sent or the client goes away.
void drip(conn_ptr c) {
  if (c->sent >= c->out.size()) return;
  asio::async_write(c->socket, asio::buffer(&c->out[c->sent], 1), [c](boost::system::error_code ec, std::size_t) {
    if (ec) return;
    ++c->sent;
    c->timer.expires_after(std::chrono::seconds(1));
    c->timer.async_wait([c](boost::system::error_code ec) {
      if (!ec) drip(c);
    });
  });
}

// Writes `chunk` again and again until `total` bytes or a write error (the
// client closed after its body limit).
void pump(conn_ptr c, std::shared_ptr<const std::string> chunk, std::size_t done, std::size_t total) {
  if (done >= total) return;
  asio::async_write(c->socket, asio::buffer(*chunk), [c, chunk, done, total](boost::system::error_code ec, std::size_t n) {
    if (!ec) pump(c, chunk, done + n, total);
  });
}

}  // namespace

void fault_server::serve(std::shared_ptr<connection> c) {
  auto close_after = [](std::shared_ptr<connection> c) {
    return [c](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      c->socket.shutdown(tcp::socket::shutdown_both, ignored);
      c->socket.close(ignored);
    };
  };
  switch (c->mode) {
    case fault::respond:
      c->out = "HTTP/1.1 " + std::to_string(c->status) + " Test\r\nContent-Length: 0\r\nConnection: close\r\n" +
               c->headers + "\r\n";
      asio::async_write(c->socket, asio::buffer(c->out), close_after(c));
      return;
    case fault::reset:
      c->out = "HTTP/1.1 20";
      asio::async_write(c->socket, asio::buffer(c->out), [c](boost::system::error_code, std::size_t) {
        boost::system::error_code ignored;
        c->socket.set_option(asio::socket_base::linger(true, 0), ignored);  // close sends RST
        c->socket.close(ignored);
      });
      return;
    case fault::not_http:
      c->out = "SSH-2.0-OpenSSH_9.2p1\r\nthis is not HTTP\r\n\r\n";
      asio::async_write(c->socket, asio::buffer(c->out), close_after(c));
      return;
    case fault::drip:
      c->out = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      drip(c);
      return;
    case fault::endless:
    case fault::huge: {
      const bool endless = c->mode == fault::endless;
      const std::size_t total = endless ? std::size_t{100} << 20 : std::size_t{10} << 20;
      c->out = endless ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       : "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n";
      auto chunk = std::make_shared<const std::string>(endless ? "4000\r\n" + std::string(0x4000, 'x') + "\r\n"
                                                               : std::string(0x4000, 'x'));
      asio::async_write(c->socket, asio::buffer(c->out), [c, chunk, total](boost::system::error_code ec, std::size_t) {
        if (!ec) pump(c, chunk, 0, total);
      });
      return;
    }
  }
}

void fault_server::serve_tls(std::shared_ptr<connection> c) {
  auto tls = std::make_shared<asio::ssl::stream<tcp::socket&>>(c->socket, *tls_);
  tls->async_handshake(asio::ssl::stream_base::server, [this, c, tls](boost::system::error_code ec) {
    if (ec) return;
    asio::async_read_until(*tls, c->in, "\r\n\r\n", [this, c, tls](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      ++requests_;
      c->out = "HTTP/1.1 " + std::to_string(c->status) + " Test\r\nContent-Length: 0\r\nConnection: close\r\n" +
               c->headers + "\r\n";
      asio::async_write(*tls, asio::buffer(c->out), [c, tls](boost::system::error_code, std::size_t) {
        boost::system::error_code ignored;
        c->socket.close(ignored);
      });
    });
  });
}

}  // namespace test_support
