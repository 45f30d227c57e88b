#include "server.hpp"


#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

#include <pthread.h>
#include <sys/resource.h>

namespace telemetry_collector {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::uint64_t session_registry::add(std::weak_ptr<session_base> s) {
  std::lock_guard lock(mutex_);
  live_.emplace(++next_, std::move(s));
  return next_;
}

void session_registry::remove(std::uint64_t id) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    live_.erase(id);
    if (live_.empty()) notify = on_empty_;
  }
  if (notify) notify();
}

void session_registry::for_each(const std::function<void(std::shared_ptr<session_base>)>& fn) {
  std::vector<std::shared_ptr<session_base>> alive;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, w] : live_)
      if (auto s = w.lock()) alive.push_back(std::move(s));
  }
  for (auto& s : alive) fn(std::move(s));
}

std::size_t session_registry::close_oldest_idle(std::size_t n) {
  std::vector<std::shared_ptr<session_base>> picked;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, w] : live_) {
      if (picked.size() >= n) break;
      auto s = w.lock();
      if (s && s->idle_hint.exchange(false)) picked.push_back(std::move(s));
    }
  }
  // Outside the lock: the last reference to a session may go here, and its
  // destructor calls remove().
  for (auto& s : picked) s->close_if_idle();
  return picked.size();
}

bool peer_counts::try_add(const asio::ip::address& peer, std::size_t max) {
  std::lock_guard lock(mutex_);
  auto& n = counts_[peer];
  if (n >= max) {
    if (n == 0) counts_.erase(peer);
    return false;
  }
  ++n;
  return true;
}

void peer_counts::remove(const asio::ip::address& peer) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(peer);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

std::size_t connection_limit(std::size_t descriptor_limit) {
  return descriptor_limit > k_descriptor_reserve + 16 ? descriptor_limit - k_descriptor_reserve : 16;
}

std::shared_ptr<asio::ssl::context> load_server_tls(const std::string& cert_file, const std::string& key_file,
                                                    std::string& error) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  // An encrypted key is refused, never prompted for: OpenSSL would otherwise
  // ask on the terminal and block the thread (an I/O thread, on SIGHUP).
  tls->set_password_callback([](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
  boost::system::error_code ec;
  tls->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "cannot load the TLS certificate chain " + cert_file + ": " + ec.message();
    return nullptr;
  }
  tls->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (!ec && SSL_CTX_check_private_key(tls->native_handle()) != 1)
    ec = boost::system::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  if (ec) {
    error = "cannot load the TLS private key " + key_file + " (for " + cert_file + "): " + ec.message();
    return nullptr;
  }
  return tls;
}

void tls_slot::set(std::shared_ptr<asio::ssl::context> context) {
  std::lock_guard lock(mutex_);
  current_ = std::move(context);
}

std::shared_ptr<asio::ssl::context> tls_slot::get() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void session_registry::set_on_empty(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  on_empty_ = std::move(fn);
}

std::size_t session_registry::size() {
  std::lock_guard lock(mutex_);
  return live_.size();
}

namespace {

using steady = std::chrono::steady_clock;

constexpr std::size_t k_read_buffer = 4096;

// One connection: read a request, answer it, repeat while keep-alive.
// Stream is beast::tcp_stream (HTTP) or beast::ssl_stream<beast::tcp_stream> (HTTPS).
// Every member function runs on the one thread of the session's io_context.
template <class Stream>
class session : public session_base, public std::enable_shared_from_this<session<Stream>> {
  using std::enable_shared_from_this<session<Stream>>::shared_from_this;

 public:
  // `peer`: counted in ctx.peers (released here when the session ends).
  // `tls`: HTTPS only, the context this connection keeps for its whole life.
  session(tcp::socket socket, server_context& ctx, std::optional<asio::ip::address> peer,
          std::shared_ptr<asio::ssl::context> tls = nullptr)
      : tls_(std::move(tls)), stream_(make_stream(std::move(socket), tls_.get())), ctx_(ctx), peer_(std::move(peer)) {
    // Room for a whole typical request (headers + a ~1 KB event), so that one
    // recv reads it: Beast would otherwise start at 512 bytes and read twice.
    buffer_.reserve(k_read_buffer);
  }
  ~session() override {
    if (peer_) ctx_.peers.remove(*peer_);
    ctx_.sessions.remove(registry_id_);
  }

  void run() {
    registry_id_ = ctx_.sessions.add(shared_from_this());
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      do_read();
    } else {
      // Waiting for a handshake is waiting for a request: as idle as a
      // keep-alive connection, and as much a candidate to make room.
      handshaking_ = true;
      idle_hint = true;
      beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        self->handshaking_ = false;
        if (ec) return self->close();  // a failed handshake is the client's problem; nothing to log about it
        self->do_read();
      });
    }
  }

  void drain() override { close_if_idle(); }

  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->handshaking_ || (self->waiting_ && !self->parser_->got_some())) return self->close();
      // Busy after all: not a candidate again until it waits for its next request.
    });
  }

 private:
  static Stream make_stream(tcp::socket socket, asio::ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
      return Stream(std::move(socket));
    else
      return Stream(std::move(socket), *tls);
  }

  void do_read() {
    if (ctx_.draining) return close();
    head_ = false;
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(k_max_body);
    waiting_ = true;
    idle_hint = true;
    beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    waiting_ = false;
    idle_hint = false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::bad_descriptor)
      return close();
    if (ec == http::error::body_limit) {
      // While collection is off a POST / is refused unlooked at, whatever its size, and not counted.
      const auto& h = parser_->get();
      if (h.method() == http::verb::post && h.target() == "/" && !ctx_.handler.retire && ctx_.handler.settings &&
          !ctx_.handler.settings->collecting())
        return send(collection_off(11));
      ctx_.actions.metrics->rejected("too_large");
      return send(payload_too_large(11, false));
    }
    if (ec) {
      http::response<http::string_body> res{http::status::bad_request, 11};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.body() = R"({"error":"malformed HTTP request"})" "\n";
      res.prepare_payload();
      return send(std::move(res));
    }
    const auto& req = parser_->get();
    request_meta meta;
    meta.version = version_ = req.version();
    meta.keep_alive = keep_alive_ = req.keep_alive();
    meta.started = steady::now();
    head_ = req.method() == http::verb::head;
    carry_out(ctx_.actions, handle_request(req, ctx_.handler), meta, stream_.get_executor(),
              [self = shared_from_this()](answer a) { self->deliver(std::move(a)); });
  }

  void deliver(answer a) {
    switch (a.what) {
      case answer::kind::accepted:
        return send_accepted();
      case answer::kind::stream:
        return write_stream(std::move(a.stream));
      case answer::kind::response:
        hold_ = std::move(a.hold);
        return send(std::move(a.response));
    }
  }

  // The export: a chunked body, chunk after chunk as the stream reads them.
  void write_stream(std::shared_ptr<export_stream> stream) {
    export_res_.emplace(export_header(version_));
    // HEAD: the same header, no chunks, and the connection stays usable.
    export_res_->keep_alive(head_ && keep_alive_ && !ctx_.draining);
    export_sr_.emplace(*export_res_);
    if (head_) {
      beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
      return http::async_write_header(stream_, *export_sr_,
                                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                        const bool again = !ec && self->export_res_->keep_alive();
                                        self->export_sr_.reset();
                                        self->export_res_.reset();
                                        if (!again) return self->close();
                                        self->do_read();
                                      });
    }
    beast::get_lowest_layer(stream_).expires_never();
    http::async_write_header(stream_, *export_sr_,
                             [self = shared_from_this(), stream = std::move(stream)](beast::error_code ec,
                                                                                     std::size_t) mutable {
                               if (ec) return self->close();
                               self->write_next_chunk(std::move(stream));
                             });
  }

  void write_next_chunk(std::shared_ptr<export_stream> stream) {
    auto* source = stream.get();
    source->next([self = shared_from_this(), stream = std::move(stream)](std::optional<std::string> chunk) mutable {
      if (!chunk) return self->close();  // a read failure: the client sees a truncated body
      self->export_chunk_ = std::move(*chunk);
      beast::get_lowest_layer(self->stream_).expires_after(self->ctx_.idle_timeout);
      if (self->export_chunk_.empty()) {
        return asio::async_write(self->stream_, http::make_chunk_last(),
                                 [self](beast::error_code, std::size_t) { self->close(); });
      }
      asio::async_write(self->stream_, http::make_chunk(asio::buffer(self->export_chunk_)),
                        [self, stream = std::move(stream)](beast::error_code ec, std::size_t) mutable {
                          if (ec) return self->close();
                          self->write_next_chunk(std::move(stream));
                        });
    });
  }

  // Every answer goes through here (but the pre-serialized acceptance of a
  // POST, and the export's stream). The answer to a HEAD request is the
  // header of the answer a GET would get, Content-Length included, and no
  // body, whatever the route or status: a body after it would be read as the
  // start of the next answer on a keep-alive connection.
  void send(http::response<http::string_body> res) {
    if (ctx_.draining) res.keep_alive(false);
    response_ = std::move(res);
    beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
    auto next = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->head_sr_.reset();
      self->hold_.release();
      const bool again = !ec && self->response_.keep_alive();
      self->response_ = {};  // a large answer is not kept while the connection idles
      if (!again) return self->close();
      self->do_read();
    };
    if (head_) {
      head_sr_.emplace(response_);
      return http::async_write_header(stream_, *head_sr_, std::move(next));
    }
    http::async_write(stream_, response_, std::move(next));
  }

  // accepted(), pre-serialized: no header building per event.
  void send_accepted() {
    const bool keep_alive = keep_alive_ && !ctx_.draining;
    const std::string& wire = accepted_wire(version_ == 10 ? 10 : 11, keep_alive);
    beast::get_lowest_layer(stream_).expires_after(ctx_.idle_timeout);
    asio::async_write(stream_, asio::buffer(wire),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->do_read();
                      });
  }

  void close() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    if (!socket.is_open()) return;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  std::shared_ptr<asio::ssl::context> tls_;  // before stream_, which uses it: outlives it
  Stream stream_;
  server_context& ctx_;
  std::optional<asio::ip::address> peer_;  // in memory only, for ctx_.peers
  std::uint64_t registry_id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool waiting_ = false;  // an async_read for a new request is in flight
  bool handshaking_ = false;  // HTTPS: the TLS handshake is in flight
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;  // the request being answered is a HEAD: headers only
  bytes_hold hold_;  // the answer being written: its share of the stats budget
  http::response<http::string_body> response_;
  std::optional<http::response_serializer<http::string_body>> head_sr_;  // writes response_'s header, for HEAD
  std::optional<http::response<http::empty_body>> export_res_;
  std::optional<http::response_serializer<http::empty_body>> export_sr_;
  std::string export_chunk_;
};

}  // namespace

io_pool::io_pool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));  // hint: one thread runs it
    work_.push_back(asio::make_work_guard(*contexts_.back()));
  }
}

asio::io_context& io_pool::next() {
  auto& c = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  return c;
}

void io_pool::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i)
    threads.emplace_back([this, i] {
      ::pthread_setname_np(::pthread_self(), "io");  // names show in top -H, perf, gdb
      contexts_[i]->run();
    });
  contexts_[0]->run();
  for (auto& t : threads) t.join();
}

void io_pool::stop() {
  for (auto& c : contexts_) c->stop();
}

listener::listener(io_pool& pool, const tcp::endpoint& endpoint, server_context& ctx)
    : pool_(pool), acceptor_(pool.at(0)), retry_(pool.at(0)), ctx_(ctx) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void listener::run() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

void listener::do_accept() {
  acceptor_.async_accept(pool_.next(), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

// Connection limits, in this order: per peer (the new connection is closed
// unanswered), then in total (the oldest idle connection is asked to close
// to make room; with none idle the new one is closed). Accept errors that
// mean "no resources now" (descriptors, memory) close idle connections and
// retry after a pause, logged once when they start and once when accepting
// works again, never once per failure.
void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (!ec) {
    constexpr auto k_accept_calm = std::chrono::seconds(5);
    if (accept_failing_ && steady::now() - last_accept_failure_ > k_accept_calm) {
      accept_failing_ = false;
      ctx_.log("accept: accepting connections again");
    }
    std::optional<asio::ip::address> peer;
    if (ctx_.max_per_peer > 0) {
      beast::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      if (!ignored) {
        if (!ctx_.peers.try_add(remote.address(), ctx_.max_per_peer)) {
          socket.close(ignored);
          return do_accept();
        }
        peer = remote.address();
      }
    }
    if (ctx_.sessions.size() >= ctx_.max_connections && ctx_.sessions.close_oldest_idle(1) == 0) {
      beast::error_code ignored;
      socket.close(ignored);
      if (peer) ctx_.peers.remove(*peer);
      return do_accept();
    }
    if (auto tls = ctx_.tls.get())
      std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), ctx_, std::move(peer),
                                                                      std::move(tls))
          ->run();
    else
      std::make_shared<session<beast::tcp_stream>>(std::move(socket), ctx_, std::move(peer))->run();
  } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
             ec.value() == ENFILE) {
    last_accept_failure_ = steady::now();
    if (!accept_failing_) {
      accept_failing_ = true;
      ctx_.log.warning("accept: " + ec.message() + "; closing idle connections and retrying (raise ulimit -n if it lasts)");
    }
    // The descriptor limit may have been lowered under us (prlimit): follow
    // it, so that from now on a new connection makes room before it is
    // accepted instead of after a failure.
    rlimit rl{};
    if (ec == asio::error::no_descriptors && ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      ctx_.max_connections = std::min(ctx_.max_connections, connection_limit(static_cast<std::size_t>(rl.rlim_cur)));
    // Retrying at once would spin: make room, then wait a little.
    ctx_.sessions.close_oldest_idle(8);
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->acceptor_.is_open()) self->do_accept();
    });
    return;
  }
  do_accept();
}

void drain_sessions(server_context& ctx) {
  ctx.draining = true;
  ctx.sessions.for_each([](std::shared_ptr<session_base> s) { s->drain(); });
}

}  // namespace telemetry_collector
