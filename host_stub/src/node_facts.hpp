#pragma once
// What the host knows about the node, as the JSON document plugins receive
// from ipfs_host_services.node_facts (schema in docs/plugin-abi.md).

#include "repo.hpp"

#include <boost/json/value.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

namespace ipfs_stub {

// Fixed for the daemon's lifetime; read from several threads, never written.
struct node_state {
  std::filesystem::path repo;
  boost::json::value config;  // $repo/config as loaded at start
  std::string agent_version;  // "ipfs-stub/<version>/"
  bool daemon = false;
  bool online = false;
  std::string reachability = "Unknown";
  env_reader getenv;
};

// Sum of the apparent sizes of the regular files below `repo` (symlinks are
// not followed; unreadable directories are skipped; no file is opened). When
// `stop` becomes true the walk gives up within one directory entry and
// returns nullopt, so a huge repo never holds up a shutdown.
std::optional<std::uint64_t> repo_size(const std::filesystem::path& repo, const std::atomic<bool>* stop = nullptr);

// Addresses.Announce if not empty, else Addresses.Swarm; plus
// Addresses.AppendAnnounce; minus exact matches in Addresses.NoAnnounce.
std::vector<std::string> node_addresses(const boost::json::value& config);

// $repo/swarm.key exists, or LIBP2P_FORCE_PNET=1.
bool private_network(const std::filesystem::path& repo, const env_reader& getenv);

// The facts document, computed now; nullopt when `stop` interrupted it.
std::optional<boost::json::value> node_facts(const node_state& state, const std::atomic<bool>* stop = nullptr);

}  // namespace ipfs_stub
