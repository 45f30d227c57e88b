#include "platform.hpp"

#include "ipfs_common/atomic_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <system_error>

namespace ipfs_telemetry {
namespace {

// Indicator files are small; anything past this is not read.
constexpr std::size_t k_max_indicator = 64 * 1024;

std::filesystem::path under(const std::filesystem::path& root, std::string_view abs) {
  return root / std::filesystem::path(abs).relative_path();
}

bool exists(const std::filesystem::path& root, std::string_view abs) {
  std::error_code ec;
  return std::filesystem::exists(under(root, abs), ec);
}

std::string read_lower(const std::filesystem::path& root, std::string_view abs) {
  auto r = ipfs_common::read_file(under(root, abs), k_max_indicator);
  if (!r) return {};
  std::string s = std::move(*r);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

template <std::size_t N>
bool contains_any(std::string_view hay, const std::array<std::string_view, N>& needles) {
  for (auto n : needles)
    if (hay.find(n) != std::string_view::npos) return true;
  return false;
}

}  // namespace

std::string_view go_os() {
#if defined(__linux__)
  return "linux";
#elif defined(__APPLE__)
  return "darwin";
#elif defined(__FreeBSD__)
  return "freebsd";
#elif defined(__OpenBSD__)
  return "openbsd";
#elif defined(__NetBSD__)
  return "netbsd";
#elif defined(_WIN32)
  return "windows";
#else
  return "unknown";
#endif
}

std::string_view go_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__loongarch64)
  return "loong64";
#elif defined(__mips64) && defined(__MIPSEL__)
  return "mips64le";
#elif defined(__mips64)
  return "mips64";
#else
  return "unknown";
#endif
}

bool detect_container(const std::filesystem::path& root) {
  for (auto f : {"/.dockerenv", "/var/run/secrets/kubernetes.io", "/run/systemd/container"})
    if (exists(root, f)) return true;

  static constexpr std::array<std::string_view, 6> cgroup_markers = {"/docker/", "/containerd/", "/cri-o/",
                                                                     "/lxc/",    "/podman/",     "/kubepods/"};
  if (contains_any(read_lower(root, "/proc/self/cgroup"), cgroup_markers)) return true;

  static constexpr std::array<std::string_view, 2> wsl = {"microsoft", "wsl"};
  if (contains_any(read_lower(root, "/proc/sys/kernel/osrelease"), wsl)) return true;

  // /proc/1/environ is NUL-separated KEY=VALUE entries.
  const std::string env = read_lower(root, "/proc/1/environ");
  for (std::size_t pos = 0; pos < env.size();) {
    std::size_t end = env.find('\0', pos);
    if (end == std::string::npos) end = env.size();
    if (std::string_view(env).substr(pos, end - pos) == "container=lxc") return true;
    pos = end + 1;
  }

  std::string comm = read_lower(root, "/proc/1/comm");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  for (auto init : {"tini", "dumb-init", "s6-svscan", "runit"})
    if (comm == init) return true;
  return false;
}

bool detect_vm(const std::filesystem::path& root) {
  for (auto f : {"/proc/xen", "/sys/hypervisor/uuid", "/dev/vboxguest", "/sys/module/vmw_balloon",
                 "/sys/module/hv_vmbus"})
    if (exists(root, f)) return true;

  static constexpr std::array<std::string_view, 6> vendors = {"qemu", "kvm", "vmware", "virtualbox", "xen",
                                                              "parallels"};
  if (contains_any(read_lower(root, "/sys/class/dmi/id/sys_vendor"), vendors)) return true;
  static constexpr std::array<std::string_view, 5> products = {"virtualbox", "vmware", "kvm", "qemu", "hvm domu"};
  if (contains_any(read_lower(root, "/sys/class/dmi/id/product_name"), products)) return true;
  static constexpr std::array<std::string_view, 2> chassis = {"qemu", "oracle"};
  if (contains_any(read_lower(root, "/sys/class/dmi/id/chassis_vendor"), chassis)) return true;
  return false;
}

platform_info detect_platform(const std::filesystem::path& root) {
  return platform_info{std::string(go_os()), std::string(go_arch()), detect_container(root), detect_vm(root)};
}

const platform_info& current_platform() {
  static const platform_info info = detect_platform("/");
  return info;
}

}  // namespace ipfs_telemetry
