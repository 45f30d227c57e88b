#pragma once
// sender over HTTP/1.1 and HTTPS with Boost.Beast and OpenSSL: one connection
// per request (Connection: close), one deadline per attempt covering resolve,
// connect, TLS handshake, write and read.

#include "proxy_config.hpp"
#include "sender.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace ipfs_telemetry {

class http_exchange;
class dns_resolver;

struct transport_settings {
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);
  std::string ca_file;  // extra trusted CAs (PEM); empty: the system store only
  bool allow_http = false;  // redirects to clear text beyond loopback
  env_lookup getenv;        // proxy variables; empty: never use a proxy
};

class http_sender final : public sender {
 public:
  // Checks that `ca_file`, if any, can be read (a message naming CAFile
  // otherwise). The TLS client context -- system trust store plus `ca_file`,
  // TLS 1.2 minimum, peer verification -- is built at the first https request,
  // so a node pays for OpenSSL only when and if it sends over TLS. `executor`
  // must be the single-threaded io_context the caller runs on.
  static boost::system::result<std::unique_ptr<http_sender>, std::string> create(boost::asio::any_io_executor executor,
                                                                                 transport_settings settings);
  ~http_sender() override;

  void async_send(send_request request, completion done) override;
  void cancel() override;

 private:
  http_sender(boost::asio::any_io_executor executor, transport_settings settings);
  // The TLS context, built on first use; a message naming CAFile on failure.
  boost::system::result<std::shared_ptr<boost::asio::ssl::context>, std::string> tls_context();
  // One hop of an attempt; follows 307/308 within the attempt's deadline.
  // `sent_before`: the URLs earlier hops delivered the body to. `cancelled`:
  // the attempt's own flag, set by cancel(); a hop of a cancelled attempt
  // never starts another.
  void start_hop(send_request request, unsigned hops, std::chrono::steady_clock::time_point deadline,
                 completion done, std::vector<std::string> sent_before, std::shared_ptr<bool> cancelled);

  boost::asio::any_io_executor executor_;
  transport_settings settings_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // null until the first https request
  std::shared_ptr<dns_resolver> resolver_;  // made on first use, on the owning thread
  // Every exchange that may still be running: an attempt superseded by a newer
  // one can still have a hop in flight, and cancel() must reach it too.
  std::vector<std::weak_ptr<http_exchange>> active_;
  // The current attempt's cancel flag. Each attempt has its own, so a newer
  // attempt never un-cancels an older one whose redirect completion was
  // already queued when cancel() ran.
  std::shared_ptr<bool> cancelled_;
};

}  // namespace ipfs_telemetry
