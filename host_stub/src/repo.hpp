#pragma once
// The node's repo directory: where it is, creating it, and its config file.

#include "ipfs_common/message_result.hpp"

#include <boost/json/value.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace ipfs_stub {

using env_reader = std::function<std::optional<std::string>(const char*)>;

// --repo-dir if given, else $IPFS_PATH if non-empty, else $HOME/.ipfs. Made absolute.
ipfs_common::message_result<std::filesystem::path> resolve_repo_path(const std::optional<std::string>& flag,
                                                                     const env_reader& getenv);

// The config a fresh `init` writes: Kubo's defaults for every key telemetry reads.
boost::json::value default_config();

// Creates the repo (0700) and its config (0600). Refuses an existing config.
ipfs_common::message_result<void> init_repo(const std::filesystem::path& repo);

std::filesystem::path config_path(const std::filesystem::path& repo);

// Reads $repo/config; the message names the file and what is wrong with it.
ipfs_common::message_result<boost::json::value> load_config(const std::filesystem::path& repo);

// Replaces $repo/config atomically (0600), pretty-printed.
ipfs_common::message_result<void> save_config(const std::filesystem::path& repo, const boost::json::value& config);

}  // namespace ipfs_stub
