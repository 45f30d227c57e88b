#pragma once
// `ipfs-stub config`: read and write dotted keys of $repo/config.

#include "ipfs_common/message_result.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace ipfs_stub {

enum class value_kind { string, json, boolean };

// The value at KEY: a string as is, anything else as indented JSON.
ipfs_common::message_result<std::string> config_get(const std::filesystem::path& repo, std::string_view key);

// Sets KEY. With value_kind::json VALUE is parsed as JSON; with boolean it
// must be "true" or "false". On any error the file is untouched.
ipfs_common::message_result<void> config_set(const std::filesystem::path& repo, std::string_view key,
                                             std::string_view value, value_kind kind);

}  // namespace ipfs_stub
