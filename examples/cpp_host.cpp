// A complete node host in about 30 lines: loads the telemetry plugin with
// ipfs_plugin/host.hpp, answers its questions about the node, and runs until
// SIGINT or SIGTERM. Usage: example-host-cpp REPO_DIR CONFIG_JSON
#include <ipfs_plugin/host.hpp>

#include <pthread.h>
#include <signal.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) return std::cerr << "usage: example-host-cpp REPO_DIR CONFIG_JSON\n", 2;
  sigset_t stop;  // taken by sigwait below; the plugin's threads inherit the mask
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  ipfs_plugin::host_services services;
  services.log = [](int32_t, std::string_view subsystem, std::string_view msg) {
    std::cerr << subsystem << ": " << msg << "\n";
  };
  services.node_facts = [] {  // schemas/node_facts.schema.json
    return std::optional<std::string>(R"({"agent_version":"example-host/1/","daemon":true,"online":true,)"
                                      R"("private_network":false,"repo_size":0,"addresses":[],"reachability":"Unknown"})");
  };
  auto plugin = ipfs_plugin::loaded_plugin::load(TELEMETRY_PLUGIN);
  if (!plugin.ok()) return std::cerr << plugin.error() << "\n", 1;
  ipfs_plugin::instance_options options;
  options.context = IPFS_PLUGIN_CONTEXT_DAEMON;
  options.repo_path = argv[1];
  options.config_json = argv[2];
  options.host_command = "example-host-cpp";
  auto instance = ipfs_plugin::plugin_instance::create(plugin.value(), services, options);
  if (!instance.ok()) return std::cerr << instance.error() << "\n", 1;
  instance.value().start();
  std::cout << "example host ready" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;  // ~plugin_instance closes the plugin (joining its thread), then ~loaded_plugin unloads it
}
