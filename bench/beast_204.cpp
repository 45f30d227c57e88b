// A reference server for bench/collector_ingest: Boost.Beast and Asio in the
// collector's own shape (one single-threaded io_context per core, a parser per
// request with the collector's limits, a timeout per operation, a
// pre-serialized answer) but with nothing behind it: every request gets 204 at
// once, its body unread beyond what the parser needs. No JSON, no validation,
// no storage. Its rate is what the collector's HTTP layer could reach at best
// on this machine, so the bench can show where the rest of the gap to nginx is.
//
//   beast_204 PORT [THREADS]     listens on 127.0.0.1:PORT until SIGTERM/SIGINT

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view k_answer = "HTTP/1.1 204 No Content\r\n\r\n";
constexpr std::string_view k_answer_close = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : stream_(std::move(s)) { buffer_.reserve(4096); }

  void read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      const bool keep = self->parser_->get().keep_alive();
      self->stream_.expires_after(std::chrono::seconds(30));
      asio::async_write(self->stream_, asio::buffer(keep ? k_answer : k_answer_close),
                        [self, keep](beast::error_code ec, std::size_t) {
                          if (ec || !keep) return self->close();
                          self->read();
                        });
    });
  }

 private:
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: beast_204 PORT [THREADS]\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const int threads = argc > 2 ? std::atoi(argv[2]) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < std::max(1, threads); ++i) contexts.push_back(std::make_unique<asio::io_context>(1));

  tcp::acceptor acceptor(*contexts[0], {asio::ip::make_address("127.0.0.1"), port});
  std::size_t next = 0;
  std::function<void()> accept = [&] {
    acceptor.async_accept(*contexts[next], [&](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      next = (next + 1) % contexts.size();
      if (!ec) std::make_shared<session>(std::move(s))->read();
      accept();
    });
  };
  accept();

  asio::signal_set signals(*contexts[0], SIGTERM, SIGINT);
  signals.async_wait([&](beast::error_code, int) {
    for (auto& c : contexts) c->stop();
  });
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  for (auto& c : contexts) work.push_back(asio::make_work_guard(*c));
  std::fprintf(stderr, "beast_204 listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < contexts.size(); ++i) pool.emplace_back([&, i] { contexts[i]->run(); });
  contexts[0]->run();
  for (auto& t : pool) t.join();
}
