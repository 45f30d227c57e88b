#pragma once
// Asynchronous, cancellable name resolution on the caller's io_context, with
// c-ares: no helper thread (Asio's resolver runs getaddrinfo on one of its
// own, which cannot be interrupted, so a hung lookup would hold up close and
// add a thread to the host). Reads /etc/hosts and /etc/resolv.conf as the
// system resolver does.
//
// Threading: all calls and all handlers on the io_context's one thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ipfs_telemetry {

class dns_resolver {
 public:
  using endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
  using handler = std::function<void(boost::system::error_code, endpoints)>;

  // `servers` ("127.0.0.1:5353,[::1]:53") replaces resolv.conf's nameservers;
  // empty: the system configuration. Throws std::runtime_error if c-ares
  // cannot be initialized.
  explicit dns_resolver(boost::asio::any_io_executor executor, const std::string& servers = {});
  ~dns_resolver();
  dns_resolver(const dns_resolver&) = delete;
  dns_resolver& operator=(const dns_resolver&) = delete;

  // Resolves `host` to TCP endpoints on `port` (IPv4 and IPv6). Calls `done`
  // exactly once, posted, with operation_aborted after cancel().
  void async_resolve(const std::string& host, std::uint16_t port, handler done);

  // Aborts every lookup in flight.
  void cancel();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ipfs_telemetry
