#include "platform.hpp"

#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;
using test_support::temp_dir;
using test_support::write_text;

namespace {

// Creates root/<abs> with `content`, making the directories above it.
void put(const std::filesystem::path& root, std::string_view abs, const std::string& content = "") {
  auto p = root / std::filesystem::path(abs).relative_path();
  std::filesystem::create_directories(p.parent_path());
  write_text(p, content);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(platform_tests)

BOOST_AUTO_TEST_CASE(an_empty_root_is_neither_container_nor_vm) {
  temp_dir root;
  BOOST_TEST(!detect_container(root.path()));
  BOOST_TEST(!detect_vm(root.path()));
}

BOOST_AUTO_TEST_CASE(each_container_indicator_is_detected) {
  struct ind {
    const char* path;
    std::string content;
  };
  const ind indicators[] = {
      {"/.dockerenv", ""},
      {"/var/run/secrets/kubernetes.io/token", "x"},
      {"/run/systemd/container", "podman"},
      {"/proc/self/cgroup", "0::/system.slice/docker/abc123\n"},
      {"/proc/self/cgroup", "12:cpu:/kubepods/besteffort/pod1\n"},
      {"/proc/self/cgroup", "0::/lxc/c1\n"},
      {"/proc/self/cgroup", "0::/machine.slice/libpod/podman/x\n"},
      {"/proc/self/cgroup", "0::/containerd/x\n"},
      {"/proc/self/cgroup", "0::/cri-o/x\n"},
      {"/proc/sys/kernel/osrelease", "5.15.90.1-microsoft-standard-WSL2\n"},
      {"/proc/1/environ", std::string("PATH=/bin\0container=lxc\0HOME=/", 31)},
      {"/proc/1/comm", "tini\n"},
      {"/proc/1/comm", "dumb-init\n"},
      {"/proc/1/comm", "s6-svscan\n"},
      {"/proc/1/comm", "runit\n"},
  };
  for (const auto& i : indicators) {
    temp_dir root;
    put(root.path(), i.path, i.content);
    BOOST_TEST(detect_container(root.path()), i.path << " with \"" << i.content << "\"");
    BOOST_TEST(!detect_vm(root.path()));
  }
}

BOOST_AUTO_TEST_CASE(ordinary_hosts_are_not_containers) {
  temp_dir root;
  put(root.path(), "/proc/self/cgroup", "0::/user.slice/user-1000.slice/session-2.scope\n");
  put(root.path(), "/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  put(root.path(), "/proc/1/environ", std::string("container=docker-not-lxc\0", 25));
  put(root.path(), "/proc/1/comm", "systemd\n");
  BOOST_TEST(!detect_container(root.path()));
}

BOOST_AUTO_TEST_CASE(each_vm_indicator_is_detected) {
  struct ind {
    const char* path;
    std::string content;
  };
  const ind indicators[] = {
      {"/proc/xen", ""},
      {"/sys/hypervisor/uuid", "ec2..."},
      {"/dev/vboxguest", ""},
      {"/sys/module/vmw_balloon/x", ""},
      {"/sys/module/hv_vmbus/x", ""},
      {"/sys/class/dmi/id/sys_vendor", "QEMU\n"},
      {"/sys/class/dmi/id/sys_vendor", "VMware, Inc.\n"},
      {"/sys/class/dmi/id/sys_vendor", "innotek GmbH VirtualBox\n"},
      {"/sys/class/dmi/id/sys_vendor", "Xen\n"},
      {"/sys/class/dmi/id/sys_vendor", "Parallels Software International Inc.\n"},
      {"/sys/class/dmi/id/sys_vendor", "Red Hat KVM\n"},
      {"/sys/class/dmi/id/product_name", "VirtualBox\n"},
      {"/sys/class/dmi/id/product_name", "HVM domU\n"},
      {"/sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009) KVM\n"},
      {"/sys/class/dmi/id/chassis_vendor", "Oracle Corporation\n"},
      {"/sys/class/dmi/id/chassis_vendor", "QEMU\n"},
  };
  for (const auto& i : indicators) {
    temp_dir root;
    put(root.path(), i.path, i.content);
    BOOST_TEST(detect_vm(root.path()), i.path << " with \"" << i.content << "\"");
  }
}

BOOST_AUTO_TEST_CASE(bare_metal_dmi_is_not_a_vm) {
  temp_dir root;
  put(root.path(), "/sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
  put(root.path(), "/sys/class/dmi/id/product_name", "PowerEdge R740\n");
  put(root.path(), "/sys/class/dmi/id/chassis_vendor", "Dell Inc.\n");
  BOOST_TEST(!detect_vm(root.path()));
}

BOOST_AUTO_TEST_CASE(os_and_arch_use_go_names) {
  const auto& p = current_platform();
  BOOST_TEST(p.os == "linux");
#if defined(__x86_64__)
  BOOST_TEST(p.arch == "amd64");
#elif defined(__aarch64__)
  BOOST_TEST(p.arch == "arm64");
#endif
  BOOST_TEST(&current_platform() == &p);  // computed once
}

BOOST_AUTO_TEST_SUITE_END()
