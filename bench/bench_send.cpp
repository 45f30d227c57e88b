// Times the plugin's transport: N sequential POSTs of one body with
// http_sender (a fresh connection each, as in production), printing the
// median and 90th percentile in microseconds.
//   bench_send URL BODY_FILE N [CA_FILE]
#include "http_sender.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

using namespace ipfs_telemetry;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: bench_send URL BODY_FILE N [CA_FILE]\n";
    return 2;
  }
  const std::string url = argv[1];
  std::ifstream in(argv[2]);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string body = ss.str();
  const int n = std::stoi(argv[3]);

  boost::asio::io_context ioc{1};
  transport_settings t;
  if (argc > 4) t.ca_file = argv[4];
  auto s = http_sender::create(ioc.get_executor(), t);
  if (!s) {
    std::cerr << s.error() << "\n";
    return 1;
  }
  std::vector<double> us;
  int failures = 0;
  std::function<void()> next = [&] {
    if (static_cast<int>(us.size()) + failures >= n) return;
    const auto t0 = std::chrono::steady_clock::now();
    (*s)->async_send({url, body, "bench/1/"}, [&, t0](send_outcome o) {
      const auto t1 = std::chrono::steady_clock::now();
      if (o.success())
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      else if (++failures == 1)
        std::cerr << "send failed: " << o.describe() << "\n";
      next();
    });
  };
  next();
  ioc.run();
  if (us.empty()) return 1;
  std::sort(us.begin(), us.end());
  std::cout << us[us.size() / 2] << " " << us[us.size() * 9 / 10] << " " << failures << "\n";
  return failures ? 1 : 0;
}
