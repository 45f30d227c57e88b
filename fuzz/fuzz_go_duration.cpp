// Fuzzes Go duration parsing, with a property: whatever parses, formats to a
// string that parses back to the same value.
#include "go_duration.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = ipfs_telemetry::parse_go_duration(text);
  if (d) {
    auto back = ipfs_telemetry::parse_go_duration(ipfs_telemetry::format_go_duration(*d));
    if (!back || *back != *d) __builtin_trap();
  }
  return 0;
}
