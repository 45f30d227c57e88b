#pragma once
// The platform fields of the payload: OS and architecture in Go's names, and
// whether the process runs in a container or a virtual machine (Linux
// indicators of docs/telemetry.md).

#include <filesystem>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

struct platform_info {
  std::string os;    // GOOS: "linux", "darwin", "freebsd", ...
  std::string arch;  // GOARCH: "amd64", "arm64", "386", ...
  bool containerized = false;
  bool vm = false;
};

// The compile-time OS and architecture in Go's names.
std::string_view go_os();
std::string_view go_arch();

// Detection against a file-system root: "/" in production, a directory laid
// out like one in tests. Reads only the documented indicator files.
bool detect_container(const std::filesystem::path& root);
bool detect_vm(const std::filesystem::path& root);
platform_info detect_platform(const std::filesystem::path& root);

// detect_platform("/"), computed once per process (thread-safe).
const platform_info& current_platform();

}  // namespace ipfs_telemetry
