#pragma once
// Command-line conventions of Kubo's `ipfs`, for ipfs-stub: options are
// matched exactly (no prefix guessing), `--` ends them (so "-1s" can be a
// value), `-h`/`--help` anywhere before `--` asks for help, and an unknown
// command or option is named exactly with the nearest known one.

#include <boost/program_options.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipfs_stub {

// A mistake on the command line; what() is the whole message for the user.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The candidate nearest to `word` (edit distance at most 2, or 3 for words of
// 6 characters or more), if any.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

// True when "-h" or "--help" appears in `args` before a "--".
bool wants_help(const std::vector<std::string>& args);

// Parses `args` of `command` ("config", "daemon", ...) against `opts` and
// `pos`. Throws usage_error naming an unknown option exactly (`unknown option
// "--foo" for 'ipfs-stub config'; did you mean "--json"?`), a missing value,
// or too many arguments.
boost::program_options::variables_map parse_command_line(
    std::string_view command, const std::vector<std::string>& args,
    const boost::program_options::options_description& opts,
    const boost::program_options::positional_options_description& pos);

}  // namespace ipfs_stub
