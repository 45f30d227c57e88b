#include "http_sender.hpp"

#include "openssl_runtime.hpp"

#include "dns_resolver.hpp"
#include "duration_math.hpp"
#include "endpoint_policy.hpp"
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

#include <cerrno>
#include <cstdio>
#include <cstring>
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
  if (!detail.empty()) return "HTTP " + std::to_string(status) + " (" + detail + ")";
  return "HTTP " + std::to_string(status);
}

namespace {

// Response bodies are read up to this size and discarded, unless a request asks to keep them.
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
  http_exchange(asio::any_io_executor ex, std::shared_ptr<dns_resolver> resolver, std::shared_ptr<ssl::context> tls,
                sender::completion done)
      : resolver_(std::move(resolver)), tcp_(ex), deadline_(ex), tls_ctx_(std::move(tls)), done_(std::move(done)) {}

  void run(send_request request, std::chrono::nanoseconds timeout, std::optional<proxy_choice> proxy) {
    proxy_ = std::move(proxy);
    url_ = request.endpoint;
    auto url = boost::urls::parse_absolute_uri(request.endpoint);
    if (!url) return finish(url.error(), "parse endpoint");
    https_ = url->scheme_id() == boost::urls::scheme::https;
    if (!https_ && url->scheme_id() != boost::urls::scheme::http)
      return finish(make_error_code(boost::system::errc::protocol_not_supported), "scheme");

    host_ = std::string(url->host_address());
    port_ = url->has_port() ? std::string(url->port()) : (https_ ? "443" : "80");
    target_authority_ = std::string(url->encoded_host_and_port());
    if (!url->has_port()) target_authority_ += https_ ? ":443" : ":80";
    req_.method(request.method == send_method::delete_ ? http::verb::delete_ : http::verb::post);
    const std::string path = url->encoded_target().empty() ? "/" : std::string(url->encoded_target());
    // Through a proxy, plain http uses the absolute form (RFC 9112 3.2.2).
    req_.target(proxy_ && !https_ ? std::string(url->scheme()) + "://" + std::string(url->encoded_host_and_port()) + path
                                  : path);
    if (proxy_ && !https_ && !proxy_->authorization.empty())
      req_.set(http::field::proxy_authorization, proxy_->authorization);
    req_.version(11);
    req_.set(http::field::host, url->encoded_host_and_port());
    req_.set(http::field::user_agent, request.user_agent);
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::connection, "close");
    req_.body() = std::move(request.body);
    req_.prepare_payload();
    keep_body_ = request.keep_response_body != 0;
    parser_.body_limit(keep_body_ ? request.keep_response_body : k_max_response_body);

    deadline_.expires_at(deadline_after(std::chrono::steady_clock::now(), timeout));
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the exchange finished first
      self->timed_out_ = true;
      self->abort();
    });

    boost::system::error_code ec;
    asio::ip::make_address(host_, ec);
    is_ip_ = !ec;  // the target's host, for TLS verification
    if (proxy_) return resolve_and_connect(proxy_->host, proxy_->port);
    resolve_and_connect(host_, port_);
  }

  // Aborts whatever is pending; handlers then finish with operation_aborted.
  void abort() {
    if (resolving_) resolver_->cancel();
    beast::error_code ignored;
    tcp_.socket().close(ignored);
  }

 private:
  // Connects to host:port (port checked 1-65535 by the callers' validation).
  void resolve_and_connect(const std::string& host, const std::string& port) {
    const auto port_number = static_cast<std::uint16_t>(std::stoul(port));
    boost::system::error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints_ = {tcp::endpoint(literal, port_number)};
      return do_connect();
    }
    resolving_ = true;
    resolver_->async_resolve(host, port_number, [self = shared_from_this()](boost::system::error_code ec,
                                                                            dns_resolver::endpoints found) {
      self->resolving_ = false;
      if (ec) return self->finish(ec, self->proxy_ ? "resolve proxy" : "resolve");
      self->endpoints_ = std::move(found);
      self->do_connect();
    });
  }

  void do_connect() {
    tcp_.async_connect(endpoints_, [self = shared_from_this()](boost::system::error_code ec, const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(boost::system::error_code ec) {
    if (ec) return finish(ec, proxy_ ? "connect to proxy" : "connect");
    if (https_ && proxy_) return do_tunnel();
    if (https_) return do_handshake();
    do_write();
  }

  // HTTPS through a proxy: CONNECT host:port, then TLS inside the tunnel.
  void do_tunnel() {
    connect_req_.method(http::verb::connect);
    connect_req_.target(target_authority_);
    connect_req_.version(11);
    connect_req_.set(http::field::host, target_authority_);
    if (!proxy_->authorization.empty()) connect_req_.set(http::field::proxy_authorization, proxy_->authorization);
    http::async_write(tcp_, connect_req_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->finish(ec, "proxy CONNECT");
      self->connect_res_.emplace();
      self->connect_res_->skip(true);  // a CONNECT answer has no body
      http::async_read(self->tcp_, self->buffer_, *self->connect_res_,
                       [self](boost::system::error_code ec, std::size_t) { self->on_tunnel(ec); });
    });
  }

  void on_tunnel(boost::system::error_code ec) {
    if (ec) return finish(ec, "proxy CONNECT");
    const unsigned status = connect_res_->get().result_int();
    if (status != 200)
      return finish(asio::error::connection_refused,
                    "proxy " + proxy_->display + " answered CONNECT with HTTP " + std::to_string(status));
    do_handshake();
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
    body_sent_ = true;
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
    if (keep_body_) {
      out.body = std::move(parser_.get().body());
      out.body_complete = !ec;
      for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    beast::error_code ignored;
    tcp_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_.socket().close(ignored);
    complete(std::move(out));
  }

  void finish(boost::system::error_code ec, const std::string& step) {
    send_outcome out;
    if (timed_out_) {
      out.ec = make_error_code(boost::system::errc::timed_out);
      out.step = step + " (deadline)";
      out.timed_out = true;
    } else {
      out.ec = ec;
      out.step = step;
    }
    complete(std::move(out));
  }

  void complete(send_outcome out) {
    deadline_.cancel();
    if (body_sent_) out.sent_to.push_back(url_);
    if (!done_) return;
    // Posted, never called inline: the caller of async_send may still be on the stack.
    asio::post(tcp_.get_executor(), [done = std::move(done_), out = std::move(out)]() mutable { done(std::move(out)); });
    done_ = nullptr;
  }

  std::shared_ptr<dns_resolver> resolver_;
  bool resolving_ = false;
  beast::tcp_stream tcp_;
  asio::steady_timer deadline_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::optional<ssl::stream<beast::tcp_stream&>> tls_;
  sender::completion done_;
  std::vector<tcp::endpoint> endpoints_;
  std::string host_, port_;
  std::string target_authority_;  // host:port of the target, for CONNECT
  std::optional<proxy_choice> proxy_;
  http::request<http::empty_body> connect_req_;
  std::optional<http::response_parser<http::empty_body>> connect_res_;
  bool https_ = false;
  bool is_ip_ = false;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
  bool keep_body_ = false;  // send_request::keep_response_body
  std::string url_;         // this hop's URL
  bool body_sent_ = false;  // the whole request was written to this hop's server
};

boost::system::result<std::unique_ptr<http_sender>, std::string> http_sender::create(asio::any_io_executor executor,
                                                                                     transport_settings settings) {
  if (!settings.ca_file.empty()) {
    // Cheap check now, so a missing file is reported at start; parsed at first use.
    std::FILE* f = std::fopen(settings.ca_file.c_str(), "r");
    if (!f)
      return fail("Plugins.Plugins.telemetry.Config.CAFile: cannot load \"" + settings.ca_file + "\": " +
                  std::strerror(errno) + "; nothing will be sent");
    std::fclose(f);
  }
  return std::unique_ptr<http_sender>(new http_sender(std::move(executor), std::move(settings)));
}

http_sender::http_sender(asio::any_io_executor executor, transport_settings settings)
    : executor_(std::move(executor)), settings_(std::move(settings)) {}

boost::system::result<std::shared_ptr<ssl::context>, std::string> http_sender::tls_context() {
  if (tls_) return tls_;
  if (auto missing = ensure_openssl()) return fail(*missing);
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  tls->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  tls->set_default_verify_paths(ec);  // the system trust store; missing is not fatal with a CAFile
  if (!settings_.ca_file.empty()) {
    tls->load_verify_file(settings_.ca_file, ec);
    if (ec)
      return fail("Plugins.Plugins.telemetry.Config.CAFile: cannot load \"" + settings_.ca_file +
                  "\" as PEM certificates: " + ec.message());
  }
  tls_ = std::move(tls);
  return tls_;
}

http_sender::~http_sender() { cancel(); }

void http_sender::async_send(send_request request, completion done) {
  const auto deadline = deadline_after(std::chrono::steady_clock::now(), settings_.timeout);
  cancelled_ = std::make_shared<bool>(false);
  start_hop(std::move(request), 0, deadline, std::move(done), {}, cancelled_);
}

void http_sender::start_hop(send_request request, unsigned hops, std::chrono::steady_clock::time_point deadline,
                            completion done, std::vector<std::string> sent_before,
                            std::shared_ptr<bool> cancelled) {
  // The exchange consumes the request; keep what a further hop needs.
  send_request next = request;
  auto on_done = [this, next = std::move(next), hops, deadline, done = std::move(done),
                  sent_before = std::move(sent_before), cancelled](send_outcome o) mutable {
    o.sent_to.insert(o.sent_to.begin(), sent_before.begin(), sent_before.end());
    if (o.ec || (o.status != 307 && o.status != 308)) return done(std::move(o));
    if (*cancelled) {
      o.ec = asio::error::operation_aborted;
      o.step = "redirect";
      return done(std::move(o));
    }
    auto target = redirect_target(next.endpoint, o.location, hops, settings_.allow_http);
    if (!target) {
      o.detail = target.error();
      return done(std::move(o));
    }
    next.endpoint = *target;
    start_hop(std::move(next), hops + 1, deadline, std::move(done), std::move(o.sent_to), cancelled);
  };
  std::optional<proxy_choice> proxy;
  if (settings_.getenv) {
    auto chosen = choose_proxy(request.endpoint, settings_.getenv);
    if (!chosen) {
      send_outcome o;
      o.ec = make_error_code(boost::system::errc::invalid_argument);
      o.step = chosen.error();
      return asio::post(executor_, [on_done = std::move(on_done), o = std::move(o)]() mutable { on_done(std::move(o)); });
    }
    proxy = std::move(*chosen);
  }
  if (!resolver_) {  // first use: c-ares on this thread
    try {
      resolver_ = std::make_shared<dns_resolver>(executor_);
    } catch (const std::exception& e) {
      send_outcome o;
      o.ec = make_error_code(boost::system::errc::resource_unavailable_try_again);
      o.step = std::string("resolver (") + e.what() + ")";
      return asio::post(executor_, [on_done = std::move(on_done), o = std::move(o)]() mutable { on_done(std::move(o)); });
    }
  }
  std::shared_ptr<ssl::context> tls;
  if (request.endpoint.rfind("https:", 0) == 0) {
    auto ctx = tls_context();
    if (!ctx) {
      send_outcome o;
      o.ec = make_error_code(boost::system::errc::invalid_argument);
      o.step = ctx.error();
      o.permanent = true;
      return asio::post(executor_, [on_done = std::move(on_done), o = std::move(o)]() mutable { on_done(std::move(o)); });
    }
    tls = std::move(*ctx);
  }
  auto ex = std::make_shared<http_exchange>(executor_, resolver_, std::move(tls), std::move(on_done));
  std::erase_if(active_, [](const std::weak_ptr<http_exchange>& w) { return w.expired(); });
  active_.push_back(ex);
  const auto left = std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
  ex->run(std::move(request), std::chrono::duration_cast<std::chrono::nanoseconds>(left), std::move(proxy));
}

void http_sender::cancel() {
  if (cancelled_) *cancelled_ = true;
  for (auto& w : active_)
    if (auto ex = w.lock()) ex->abort();
  active_.clear();
}

}  // namespace ipfs_telemetry
