#pragma once
// Indented JSON for files and terminals that people read (2 spaces, like Kubo).

#include <boost/json/value.hpp>

#include <string>

namespace ipfs_common {

std::string pretty_json(const boost::json::value& v);

}  // namespace ipfs_common
