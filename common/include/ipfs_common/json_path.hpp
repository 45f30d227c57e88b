#pragma once
// Dotted key paths into JSON documents, as Kubo's `ipfs config` spells them:
// "Plugins.Plugins.telemetry.Config.Mode" names nested object members.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ipfs_common {

// Splits a dotted key into its segments. Fails (with a message naming the key)
// on an empty key or an empty segment ("A..B", ".A", "A.").
boost::system::result<std::vector<std::string>, std::string> split_key(std::string_view key);

// The value at `segments` below `root`, or nullptr when some member is missing
// or some step is not an object.
const boost::json::value* find_path(const boost::json::value& root,
                                    const std::vector<std::string>& segments);

// Same, from a dotted key; nullptr also for a malformed key.
const boost::json::value* find_path(const boost::json::value& root, std::string_view dotted);

// Stores `v` at `segments`, creating missing intermediate objects. Fails, with
// `root` unchanged and a message naming the offending prefix, when an existing
// intermediate value is not an object.
boost::system::result<void, std::string> set_path(boost::json::value& root,
                                                  const std::vector<std::string>& segments,
                                                  boost::json::value v);

// The JSON type name of `v` ("object", "array", "string", "number", "bool", "null").
std::string_view json_type_name(const boost::json::value& v);

}  // namespace ipfs_common
