// Fuzzes the plugin config block as the host hands it over (JSON text), the
// endpoint validation, and the proxy variables.
#include "plugin_config.hpp"
#include "proxy_config.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  auto jv = boost::json::parse(text, ec);
  if (!ec) {
    auto r = ipfs_telemetry::parse_plugin_config(jv);
    // Whatever came in, an accepted endpoint is one validate_endpoint accepts again unchanged.
    if (!r.config.endpoint_invalid && !r.config.endpoint.empty()) {
      auto again = ipfs_telemetry::validate_endpoint(r.config.endpoint);
      if (!again || *again != r.config.endpoint) __builtin_trap();
    }
  }
  (void)ipfs_telemetry::validate_endpoint(text);
  auto env = [&](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "HTTPS_PROXY") return text;
    if (std::string(name) == "NO_PROXY") return text;
    return std::nullopt;
  };
  (void)ipfs_telemetry::choose_proxy("https://t.example/", env);
  (void)ipfs_telemetry::no_proxy_matches(text, "api.example.com");
  (void)ipfs_telemetry::no_proxy_matches(text, "10.1.2.3");
  return 0;
}
