#pragma once
// sender over plain HTTP/1.1 with Boost.Beast: one connection per request
// (Connection: close), one deadline per attempt covering resolve, connect,
// write and read.

#include "sender.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace ipfs_telemetry {

class http_exchange;

class http_sender final : public sender {
 public:
  // `executor` must be the single-threaded io_context the caller runs on.
  http_sender(boost::asio::any_io_executor executor, std::chrono::nanoseconds timeout = std::chrono::seconds(30));
  ~http_sender() override;

  void async_send(send_request request, completion done) override;
  void cancel() override;

 private:
  boost::asio::any_io_executor executor_;
  std::chrono::nanoseconds timeout_;
  std::weak_ptr<http_exchange> active_;
};

}  // namespace ipfs_telemetry
