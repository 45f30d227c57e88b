// telemetry-collector: receives telemetry events, validates them against
// schemas/log_event.schema.json, and stores the accepted ones.

#include "event_sink.hpp"
#include "schema_validator.hpp"
#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/program_options.hpp>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>

namespace asio = boost::asio;
namespace po = boost::program_options;
using namespace telemetry_collector;

namespace {

constexpr const char* k_usage = R"(USAGE
  telemetry-collector serve --listen ADDR:PORT [--out FILE] [--retire] [--tls-cert PEM --tls-key PEM]

  --listen ADDR:PORT   where to listen, e.g. 127.0.0.1:9099 or [::1]:9099 (port 0: any free port)
  --out FILE           append accepted events as JSON lines to FILE (0600); default stdout
  --retire             answer every POST with 410 Gone, which retires the nodes that send
  --tls-cert PEM       serve HTTPS with this certificate chain (leaf first) ...
  --tls-key PEM        ... and this private key

The address actually bound is logged as "listening on ADDR:PORT".
)";

void log_line(const std::string& s) { std::cerr << "telemetry-collector: " << s << std::endl; }

// "127.0.0.1:9099", "[::1]:9099" -> endpoint; the message names --listen.
boost::system::result<asio::ip::tcp::endpoint, std::string> parse_listen(const std::string& s) {
  const std::string accepted = "expected ADDR:PORT such as 127.0.0.1:9099 or [::1]:9099";
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return boost::system::result<asio::ip::tcp::endpoint, std::string>(boost::system::in_place_error,
                                                                       "--listen \"" + s + "\": " + accepted);
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1) ec = asio::error::invalid_argument;
  } catch (...) {
    ec = asio::error::invalid_argument;
  }
  if (ec || port > 65535)
    return boost::system::result<asio::ip::tcp::endpoint, std::string>(boost::system::in_place_error,
                                                                       "--listen \"" + s + "\": " + accepted);
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

int serve(const std::vector<std::string>& args) {
  po::options_description opts("serve options");
  opts.add_options()("listen", po::value<std::string>()->required(), "ADDR:PORT")(
      "out", po::value<std::string>()->default_value(""), "FILE")("retire", "answer POST with 410 Gone")(
      "tls-cert", po::value<std::string>(), "PEM")("tls-key", po::value<std::string>(), "PEM");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  po::notify(vm);

  auto ep = parse_listen(vm["listen"].as<std::string>());
  if (!ep) {
    log_line("error: " + ep.error());
    return 2;
  }
  schema_validator validator(log_event_schema_text());
  event_sink sink(vm["out"].as<std::string>());

  std::optional<asio::ssl::context> tls;
  if (vm.count("tls-cert") != vm.count("tls-key")) {
    log_line("error: --tls-cert and --tls-key go together");
    return 2;
  }
  if (vm.count("tls-cert")) {
    tls.emplace(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(vm["tls-cert"].as<std::string>(), ec);
    if (!ec) tls->use_private_key_file(vm["tls-key"].as<std::string>(), asio::ssl::context::pem, ec);
    if (ec) {
      log_line("error: cannot load --tls-cert/--tls-key: " + ec.message());
      return 2;
    }
  }

  server_context ctx;
  ctx.tls = tls ? &*tls : nullptr;
  ctx.handler.validator = &validator;
  ctx.handler.retire = vm.count("retire") > 0;
  ctx.sink = &sink;
  ctx.log = &log_line;

  asio::io_context ioc{1};
  auto l = std::make_shared<listener>(ioc, *ep, ctx);
  l->run();
  const auto bound = l->local_endpoint();
  const std::string addr = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  log_line("listening on " + addr + ":" + std::to_string(bound.port()) + (ctx.tls ? " (https)" : " (http)") +
           (ctx.handler.retire ? " (retire mode: answering 410)" : ""));

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    log_line("shutting down");
    l->stop();
    ioc.stop();
  });
  ioc.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      std::cout << k_usage;
      return args.empty() ? 2 : 0;
    }
    if (args[0] != "serve") {
      std::cerr << "telemetry-collector: unknown command \"" << args[0] << "\"\n" << k_usage;
      return 2;
    }
    args.erase(args.begin());
    return serve(args);
  } catch (const po::error& e) {
    log_line(std::string("error: ") + e.what() + "\n" + k_usage);
    return 2;
  } catch (const std::exception& e) {
    log_line(std::string("error: ") + e.what());
    return 1;
  }
}
