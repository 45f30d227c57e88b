#include "dns_resolver.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <ares.h>
#include <netdb.h>

#include <cstring>
#include <map>
#include <stdexcept>

namespace ipfs_telemetry {

namespace asio = boost::asio;

namespace {

// c-ares status -> an error code users recognize.
boost::system::error_code to_error(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
      return asio::error::host_not_found;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return asio::error::operation_aborted;
    case ARES_ETIMEOUT:
      return asio::error::timed_out;
    case ARES_ECONNREFUSED:
      return asio::error::connection_refused;
    default:
      return asio::error::host_not_found_try_again;
  }
}

}  // namespace

struct dns_resolver::impl : std::enable_shared_from_this<impl> {
  // A socket c-ares wants watched. The descriptor does not own the fd: c-ares does.
  struct watch {
    explicit watch(asio::any_io_executor ex, int fd) : desc(ex, fd) {}
    asio::posix::stream_descriptor desc;
    bool read = false, write = false;
    bool read_pending = false, write_pending = false;
  };

  explicit impl(asio::any_io_executor ex) : executor(std::move(ex)), timer(executor) {}

  ~impl() {
    for (auto& [fd, w] : watches) w->desc.release();
  }

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<impl*>(data);
    if (!readable && !writable) {  // c-ares is about to close fd
      auto it = self->watches.find(fd);
      if (it != self->watches.end()) {
        it->second->desc.cancel();   // pending waits complete as aborted; they hold the watch
        it->second->desc.release();  // the fd is c-ares', not ours to close
        self->watches.erase(it);
      }
      return;
    }
    auto& w = self->watches[fd];
    if (!w) w = std::make_shared<watch>(self->executor, fd);
    w->read = readable != 0;
    w->write = writable != 0;
    self->arm(fd);
  }

  void arm(int fd) {
    auto it = watches.find(fd);
    if (it == watches.end()) return;
    std::shared_ptr<watch> w = it->second;
    std::weak_ptr<impl> weak = shared_from_this();
    if (w->read && !w->read_pending) {
      w->read_pending = true;
      w->desc.async_wait(asio::posix::stream_descriptor::wait_read, [weak, fd, w](boost::system::error_code ec) {
        w->read_pending = false;
        auto self = weak.lock();
        if (!self || ec) return;
        ares_process_fd(self->channel, fd, ARES_SOCKET_BAD);
        self->after_io();
      });
    }
    if (w->write && !w->write_pending) {
      w->write_pending = true;
      w->desc.async_wait(asio::posix::stream_descriptor::wait_write, [weak, fd, w](boost::system::error_code ec) {
        w->write_pending = false;
        auto self = weak.lock();
        if (!self || ec) return;
        ares_process_fd(self->channel, ARES_SOCKET_BAD, fd);
        self->after_io();
      });
    }
  }

  // After c-ares ran: re-arm the sockets it still wants and its timeout.
  void after_io() {
    std::vector<int> fds;
    for (auto& [fd, w] : watches) fds.push_back(fd);
    for (int fd : fds) arm(fd);
    arm_timer();
  }

  void arm_timer() {
    timeval tv{};
    timeval* t = ares_timeout(channel, nullptr, &tv);
    if (!t) {
      timer.cancel();
      return;
    }
    timer.expires_after(std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec));
    std::weak_ptr<impl> weak = shared_from_this();
    timer.async_wait([weak](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self || ec) return;
      ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->after_io();
    });
  }

  struct query {
    asio::any_io_executor executor;
    handler done;
  };

  static void on_result(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    std::unique_ptr<query> q(static_cast<query*>(arg));
    endpoints out;
    if (status == ARES_SUCCESS && res) {
      for (ares_addrinfo_node* n = res->nodes; n; n = n->ai_next) {
        if (n->ai_family == AF_INET) {
          const auto* sa = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
          asio::ip::address_v4::bytes_type b;
          std::memcpy(b.data(), &sa->sin_addr, 4);
          out.emplace_back(asio::ip::address_v4(b), ntohs(sa->sin_port));
        } else if (n->ai_family == AF_INET6) {
          const auto* sa = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
          asio::ip::address_v6::bytes_type b;
          std::memcpy(b.data(), &sa->sin6_addr, 16);
          out.emplace_back(asio::ip::address_v6(b, sa->sin6_scope_id), ntohs(sa->sin6_port));
        }
      }
    }
    if (res) ares_freeaddrinfo(res);
    auto ec = status == ARES_SUCCESS ? (out.empty() ? asio::error::host_not_found : boost::system::error_code())
                                     : to_error(status);
    // Posted: c-ares may call back from inside ares_cancel, ares_process_fd or ares_destroy.
    asio::post(q->executor, [done = std::move(q->done), ec, out = std::move(out)]() mutable { done(ec, std::move(out)); });
  }

  asio::any_io_executor executor;
  asio::steady_timer timer;
  ares_channel channel = nullptr;
  std::map<int, std::shared_ptr<watch>> watches;
};

dns_resolver::dns_resolver(asio::any_io_executor executor, const std::string& servers)
    : impl_(std::make_shared<impl>(std::move(executor))) {
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) throw std::runtime_error("c-ares: library init failed");
  ares_options opts{};
  opts.sock_state_cb = &impl::on_sock_state;
  opts.sock_state_cb_data = impl_.get();
  opts.timeout = 2000;  // ms per try; the exchange's own deadline bounds the whole
  opts.tries = 2;
  const int rc = ares_init_options(&impl_->channel, &opts, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) {
    ares_library_cleanup();
    throw std::runtime_error(std::string("c-ares: ") + ares_strerror(rc));
  }
  if (!servers.empty() && ares_set_servers_ports_csv(impl_->channel, servers.c_str()) != ARES_SUCCESS) {
    ares_destroy(impl_->channel);
    ares_library_cleanup();
    throw std::runtime_error("c-ares: bad server list \"" + servers + "\"");
  }
}

dns_resolver::~dns_resolver() {
  // Completes outstanding queries with ARES_EDESTRUCTION (their handlers are
  // posted and then dropped with the io_context or run as aborted).
  ares_destroy(impl_->channel);
  impl_->channel = nullptr;
  ares_library_cleanup();
}

void dns_resolver::async_resolve(const std::string& host, std::uint16_t port, handler done) {
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NUMERICSERV;
  auto* q = new impl::query{impl_->executor, std::move(done)};
  ares_getaddrinfo(impl_->channel, host.c_str(), std::to_string(port).c_str(), &hints, &impl::on_result, q);
  impl_->after_io();
}

void dns_resolver::cancel() {
  ares_cancel(impl_->channel);
  impl_->after_io();
}

}  // namespace ipfs_telemetry
