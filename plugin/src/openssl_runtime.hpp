#pragma once
// OpenSSL for the plugin's HTTPS, made usable on demand.
//
// In telemetry.so, OpenSSL is not a link-time dependency: libssl.so.3 (and
// with it libcrypto) is loaded with dlopen the first time an https endpoint
// is used (openssl_lazy.cpp), so a node that never sends over TLS, or has not
// sent yet, does not map, relocate and initialize OpenSSL at start. Static
// builds (tests, benchmarks, fuzzers) link OpenSSL normally
// (openssl_linked.cpp), where this is a no-op.

#include <optional>
#include <string>

namespace ipfs_telemetry {

// Call before any OpenSSL function. nullopt when OpenSSL is ready; otherwise
// why it is not (names the library). Thread-safe; the work is done once.
std::optional<std::string> ensure_openssl();

}  // namespace ipfs_telemetry
