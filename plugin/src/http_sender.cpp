#include "http_sender.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace ipfs_telemetry {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string send_outcome::describe() const {
  if (ec) return step + ": " + ec.message();
  return "HTTP " + std::to_string(status);
}

namespace {
// Response bodies are read up to this size and discarded.
constexpr std::uint64_t k_max_response_body = 64 * 1024;
}  // namespace

// One POST: owns resolver, stream, buffers, request and response parser. Kept
// alive by the handlers of its pending operations.
class http_exchange : public std::enable_shared_from_this<http_exchange> {
 public:
  http_exchange(asio::any_io_executor ex, sender::completion done)
      : resolver_(ex), stream_(ex), deadline_(ex), done_(std::move(done)) {}

  void run(send_request request, std::chrono::nanoseconds timeout) {
    auto url = boost::urls::parse_absolute_uri(request.endpoint);
    if (!url) return finish(url.error(), "parse endpoint");
    if (url->scheme_id() != boost::urls::scheme::http)
      return finish(make_error_code(boost::system::errc::protocol_not_supported), "https (not in this build)");

    host_ = std::string(url->encoded_host_name());
    port_ = url->has_port() ? std::string(url->port()) : "80";  // validate_endpoint checked 1-65535
    req_.method(http::verb::post);
    req_.target(url->encoded_target().empty() ? "/" : std::string(url->encoded_target()));
    req_.version(11);
    req_.set(http::field::host, url->encoded_host_and_port());
    req_.set(http::field::user_agent, request.user_agent);
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::connection, "close");
    req_.body() = std::move(request.body);
    req_.prepare_payload();
    parser_.body_limit(k_max_response_body);

    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the exchange finished first
      self->timed_out_ = true;
      self->abort();
    });

    // An IP literal needs no resolver (and so no resolver thread).
    boost::system::error_code ec;
    auto literal = asio::ip::make_address(std::string(url->host_address()), ec);
    if (!ec && url->host_type() != boost::urls::host_type::name) {
      const std::uint16_t port = url->has_port() ? url->port_number() : 80;
      endpoints_ = tcp::resolver::results_type::create(tcp::endpoint(literal, port), host_, port_);
      return do_connect();
    }
    resolver_.async_resolve(host_, port_, [self = shared_from_this()](boost::system::error_code ec,
                                                                      tcp::resolver::results_type results) {
      if (ec) return self->finish(ec, "resolve");
      self->endpoints_ = std::move(results);
      self->do_connect();
    });
  }

  // Aborts whatever is pending; handlers then finish with operation_aborted.
  void abort() {
    resolver_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  void do_connect() {
    stream_.async_connect(endpoints_, [self = shared_from_this()](boost::system::error_code ec,
                                                                  const tcp::endpoint&) { self->on_connect(ec); });
  }

  void on_connect(boost::system::error_code ec) {
    if (ec) return finish(ec, "connect");
    http::async_write(stream_, req_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(boost::system::error_code ec) {
    if (ec) return finish(ec, "write");
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(boost::system::error_code ec) {
    // The status line is what matters; an oversized body does not hide it.
    if (ec && !(ec == http::error::body_limit && parser_.is_header_done())) return finish(ec, "read");
    send_outcome out;
    out.status = parser_.get().result_int();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    complete(std::move(out));
  }

  void finish(boost::system::error_code ec, const char* step) {
    send_outcome out;
    if (timed_out_) {
      out.ec = make_error_code(boost::system::errc::timed_out);
      out.step = std::string(step) + " (deadline)";
    } else {
      out.ec = ec;
      out.step = step;
    }
    complete(std::move(out));
  }

  void complete(send_outcome out) {
    deadline_.cancel();
    if (!done_) return;
    // Posted, never called inline: the caller of async_send may still be on the stack.
    asio::post(stream_.get_executor(), [done = std::move(done_), out = std::move(out)]() mutable { done(std::move(out)); });
    done_ = nullptr;
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer deadline_;
  sender::completion done_;
  tcp::resolver::results_type endpoints_;
  std::string host_, port_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
};

http_sender::http_sender(asio::any_io_executor executor, std::chrono::nanoseconds timeout)
    : executor_(std::move(executor)), timeout_(timeout) {}

http_sender::~http_sender() { cancel(); }

void http_sender::async_send(send_request request, completion done) {
  auto ex = std::make_shared<http_exchange>(executor_, std::move(done));
  active_ = ex;
  ex->run(std::move(request), timeout_);
}

void http_sender::cancel() {
  if (auto ex = active_.lock()) ex->abort();
}

}  // namespace ipfs_telemetry
