#pragma once
// For "did you mean" hints on names a person typed.

#include <cstddef>
#include <string_view>

namespace ipfs_common {

// Levenshtein distance between `a` and `b`, ignoring ASCII letter case.
// Names longer than 64 characters count as 64 apart from anything.
std::size_t edit_distance(std::string_view a, std::string_view b);

// True when `a` and `b` are equal ignoring ASCII letter case.
bool equal_ignoring_case(std::string_view a, std::string_view b);

}  // namespace ipfs_common
