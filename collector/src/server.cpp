#include "server.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <optional>

namespace telemetry_collector {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// One connection: read a request, answer it, repeat while keep-alive.
// Stream is beast::tcp_stream (HTTP) or beast::ssl_stream<beast::tcp_stream> (HTTPS).
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
  using std::enable_shared_from_this<session<Stream>>::shared_from_this;

 public:
  session(tcp::socket socket, server_context& ctx) : stream_(make_stream(std::move(socket), ctx)), ctx_(ctx) {}

  void run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      do_read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->close();  // a failed handshake is the client's problem; nothing to log about it
        self->do_read();
      });
    }
  }

 private:
  static Stream make_stream(tcp::socket socket, server_context& ctx) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
      return Stream(std::move(socket));
    else
      return Stream(std::move(socket), *ctx.tls);
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(k_max_body);
    beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      return close();
    if (ec == http::error::body_limit) return send(payload_too_large(11, false));
    if (ec) {
      http::response<http::string_body> res{http::status::bad_request, 11};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.body() = R"({"error":"malformed HTTP request"})" "\n";
      res.prepare_payload();
      return send(std::move(res));
    }
    auto result = handle_request(parser_->get(), ctx_.handler);
    if (result.accepted && !ctx_.sink->write(*result.accepted)) {
      ctx_.log("cannot store an accepted event; answering 503");
      http::response<http::string_body> res{http::status::service_unavailable, parser_->get().version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.body() = R"({"error":"storage failure"})" "\n";
      res.prepare_payload();
      return send(std::move(res));
    }
    send(std::move(result.response));
  }

  void send(http::response<http::string_body> res) {
    response_ = std::move(res);
    beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->do_read();
    });
  }

  void close() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  Stream stream_;
  server_context& ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

listener::listener(asio::io_context& ioc, const tcp::endpoint& endpoint, server_context& ctx)
    : ioc_(ioc), acceptor_(ioc), ctx_(ctx) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void listener::run() { do_accept(); }

void listener::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void listener::do_accept() {
  acceptor_.async_accept(ioc_, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (!ec) {
    if (ctx_.tls)
      std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), ctx_)->run();
    else
      std::make_shared<session<beast::tcp_stream>>(std::move(socket), ctx_)->run();
  }
  do_accept();
}

}  // namespace telemetry_collector
