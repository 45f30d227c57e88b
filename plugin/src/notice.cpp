#include "notice.hpp"

#include "go_duration.hpp"

namespace ipfs_telemetry {

std::string first_run_notice(const notice_params& p) {
  const std::string delay = format_go_duration(p.delay);
  const std::string interval = format_go_duration(p.interval);
  std::string s;
  s += "Anonymous telemetry will be enabled in " + delay + ".\n";
  s += "\n";
  s += "What is collected: the agent version, whether the node uses a private network or custom\n";
  s += "bootstrappers, repo size and uptime as coarse buckets, routing, provide, AutoNAT, AutoConf,\n";
  s += "AutoTLS, swarm and mDNS settings as flags, whether the node has public IPv4/IPv6 or relay\n";
  s += "addresses (never the addresses themselves), and the OS, architecture, container and VM status.\n";
  s += "To see exactly what is collected and sent, set GOLOG_LOG_LEVEL=\"telemetry=debug\"\n";
  s += "or run '" + p.host_command + " telemetry show'.\n";
  s += "\n";
  s += "First collection in " + delay + ", then every " + interval + ".\n";
  s += "Endpoint: " + p.endpoint + "\n";
  s += "Anonymous ID: " + p.uuid + "\n";
  s += "No data sent yet.\n";
  s += "\n";
  s += "To opt-out before collection starts, stop the daemon and either:\n";
  s += "  export IPFS_TELEMETRY=off\n";
  s += "  " + p.host_command + " config Plugins.Plugins.telemetry.Config.Mode off\n";
  s += "\n";
  if (p.first_run)
    s += "This message is shown only once.\n";
  else
    s += "This message is shown at every start while Plugins.Plugins.telemetry.Config.Mode is \"auto\".\n";
  s += "Learn more: " + p.docs_url;
  return s;
}

}  // namespace ipfs_telemetry
