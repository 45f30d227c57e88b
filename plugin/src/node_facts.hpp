#pragma once
// What the host tells the plugin about the node (the JSON document of
// ipfs_host_services.node_facts; schema in docs/plugin-abi.md).

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ipfs_telemetry {

struct node_facts {
  std::string agent_version;           // "ipfs-stub/0.1.0/"
  bool daemon = false;                 // running as a daemon
  bool online = false;                 // daemon not started with --offline
  bool private_network = false;        // swarm.key present or LIBP2P_FORCE_PNET=1
  std::uint64_t repo_size = 0;         // bytes
  std::vector<std::string> addresses;  // the node's multiaddrs
  std::string reachability = "Unknown";
  boost::json::value config;           // the node's whole config
};

// Reads the document; every member is required except `config` (default {}).
boost::system::result<node_facts> tag_invoke(boost::json::try_value_to_tag<node_facts>,
                                             const boost::json::value& jv);

// The same, as schemas/node_facts.schema.json describes it, with a message
// naming the member that is missing or wrong and what it must hold.
boost::system::result<node_facts, std::string> parse_node_facts(const boost::json::value& jv);

}  // namespace ipfs_telemetry
