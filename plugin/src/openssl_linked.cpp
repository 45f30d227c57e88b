// ensure_openssl() for builds that link OpenSSL at build time.
#include "openssl_runtime.hpp"

namespace ipfs_telemetry {

std::optional<std::string> ensure_openssl() { return std::nullopt; }

}  // namespace ipfs_telemetry
