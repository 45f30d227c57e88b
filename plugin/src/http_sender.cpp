#include "http_sender.hpp"

#include "ipfs_common/message_result.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <optional>

namespace ipfs_telemetry {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ipfs_common::fail;

std::string send_outcome::describe() const {
  if (ec) return step + ": " + ec.message();
  return "HTTP " + std::to_string(status);
}

namespace {

// Response bodies are read up to this size and discarded.
constexpr std::uint64_t k_max_response_body = 64 * 1024;

// The error category for reasons OpenSSL gives as text only (verify results).
class tls_verify_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tls-verify"; }
  std::string message(int v) const override {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
  }
};
const tls_verify_category& verify_category() {
  static const tls_verify_category c;
  return c;
}

}  // namespace

// One POST: owns resolver, streams, buffers, request and response parser. Kept
// alive by the handlers of its pending operations.
class http_exchange : public std::enable_shared_from_this<http_exchange> {
 public:
  http_exchange(asio::any_io_executor ex, std::shared_ptr<ssl::context> tls, sender::completion done)
      : resolver_(ex), tcp_(ex), deadline_(ex), tls_ctx_(std::move(tls)), done_(std::move(done)) {}

  void run(send_request request, std::chrono::nanoseconds timeout) {
    auto url = boost::urls::parse_absolute_uri(request.endpoint);
    if (!url) return finish(url.error(), "parse endpoint");
    https_ = url->scheme_id() == boost::urls::scheme::https;
    if (!https_ && url->scheme_id() != boost::urls::scheme::http)
      return finish(make_error_code(boost::system::errc::protocol_not_supported), "scheme");

    host_ = std::string(url->host_address());
    port_ = url->has_port() ? std::string(url->port()) : (https_ ? "443" : "80");
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
    auto literal = asio::ip::make_address(host_, ec);
    is_ip_ = !ec;
    if (is_ip_) {
      const std::uint16_t port = url->has_port() ? url->port_number() : (https_ ? 443 : 80);
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
    tcp_.socket().close(ignored);
  }

 private:
  void do_connect() {
    tcp_.async_connect(endpoints_, [self = shared_from_this()](boost::system::error_code ec, const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(boost::system::error_code ec) {
    if (ec) return finish(ec, "connect");
    if (https_) return do_handshake();
    do_write();
  }

  void do_handshake() {
    tls_.emplace(tcp_, *tls_ctx_);
    SSL* ssl = tls_->native_handle();
    if (is_ip_) {
      // No SNI for addresses (RFC 6066); verify against the certificate's IP SANs.
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, host_.c_str());
      SSL_set1_host(ssl, host_.c_str());  // host-name verification by OpenSSL
    }
    tls_->async_handshake(ssl::stream_base::client,
                          [self = shared_from_this()](boost::system::error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(boost::system::error_code ec) {
    if (ec) {
      // Prefer the verification reason ("self-signed certificate", "certificate
      // has expired", "hostname mismatch") to OpenSSL's generic one.
      const long v = SSL_get_verify_result(tls_->native_handle());
      if (v != X509_V_OK && !timed_out_) return finish({static_cast<int>(v), verify_category()}, "tls handshake");
      return finish(ec, "tls handshake");
    }
    do_write();
  }

  void do_write() {
    auto on_write = [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); };
    if (tls_)
      http::async_write(*tls_, req_, std::move(on_write));
    else
      http::async_write(tcp_, req_, std::move(on_write));
  }

  void on_write(boost::system::error_code ec) {
    if (ec) return finish(ec, "write");
    auto on_read = [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); };
    if (tls_)
      http::async_read(*tls_, buffer_, parser_, std::move(on_read));
    else
      http::async_read(tcp_, buffer_, parser_, std::move(on_read));
  }

  void on_read(boost::system::error_code ec) {
    // The status line is what matters: an oversized or truncated body does not hide it.
    const bool have_status = parser_.is_header_done();
    if (ec && !(have_status && (ec == http::error::body_limit || ec == http::error::partial_message ||
                                ec == asio::ssl::error::stream_truncated)))
      return finish(ec, "read");
    send_outcome out;
    const auto& res = parser_.get();
    out.status = res.result_int();
    if (auto it = res.find(http::field::retry_after); it != res.end()) out.retry_after = std::string(it->value());
    if (auto it = res.find(http::field::location); it != res.end()) out.location = std::string(it->value());
    beast::error_code ignored;
    tcp_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_.socket().close(ignored);
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
    asio::post(tcp_.get_executor(), [done = std::move(done_), out = std::move(out)]() mutable { done(std::move(out)); });
    done_ = nullptr;
  }

  tcp::resolver resolver_;
  beast::tcp_stream tcp_;
  asio::steady_timer deadline_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::optional<ssl::stream<beast::tcp_stream&>> tls_;
  sender::completion done_;
  tcp::resolver::results_type endpoints_;
  std::string host_, port_;
  bool https_ = false;
  bool is_ip_ = false;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
};

boost::system::result<std::unique_ptr<http_sender>, std::string> http_sender::create(asio::any_io_executor executor,
                                                                                     transport_settings settings) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  tls->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  tls->set_default_verify_paths(ec);  // the system trust store; missing is not fatal with a CAFile
  if (!settings.ca_file.empty()) {
    tls->load_verify_file(settings.ca_file, ec);
    if (ec)
      return fail("Plugins.Plugins.telemetry.Config.CAFile: cannot load \"" + settings.ca_file +
                  "\" as PEM certificates: " + ec.message() + "; nothing will be sent");
  }
  return std::unique_ptr<http_sender>(new http_sender(std::move(executor), std::move(settings), std::move(tls)));
}

http_sender::http_sender(asio::any_io_executor executor, transport_settings settings, std::shared_ptr<ssl::context> tls)
    : executor_(std::move(executor)), settings_(std::move(settings)), tls_(std::move(tls)) {}

http_sender::~http_sender() { cancel(); }

void http_sender::async_send(send_request request, completion done) {
  auto ex = std::make_shared<http_exchange>(executor_, tls_, std::move(done));
  active_ = ex;
  ex->run(std::move(request), settings_.timeout);
}

void http_sender::cancel() {
  if (auto ex = active_.lock()) ex->abort();
}

}  // namespace ipfs_telemetry
