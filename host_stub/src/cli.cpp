#include "cli.hpp"

#include "ipfs_common/edit_distance.hpp"

#include <cctype>

namespace ipfs_stub {

namespace po = boost::program_options;

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  // A word that starts a candidate ("--repo" of "--repo-dir") is the best hint.
  if (word.size() >= 3)
    for (const auto& c : candidates)
      if (c.size() > word.size() && c.compare(0, word.size(), word) == 0) return c;
  std::size_t best_distance = word.size() >= 6 ? 4 : 3;
  for (const auto& c : candidates) {
    const auto d = ipfs_common::edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

po::variables_map parse_command_line(std::string_view command, const std::vector<std::string>& args,
                                     const po::options_description& opts,
                                     const po::positional_options_description& pos) {
  const std::string see = "; see 'ipfs-stub " + std::string(command) + " --help'";
  // unix_style without allow_guessing: "--of" never silently means "--offline".
  const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::string name = e.get_option_name();
    if (const auto eq = name.find('='); eq != std::string::npos) name.resize(eq);
    std::vector<std::string> known;
    for (const auto& o : opts.options()) known.push_back("--" + o->long_name());
    std::string msg = "unknown option \"" + name + "\" for 'ipfs-stub " + std::string(command) + "'";
    if (auto n = nearest(name, known)) msg += " (did you mean \"" + *n + "\"?)";
    // "-1s", "-5": most likely a value, which Kubo's parser would take for an option too.
    if (name.size() > 1 && name[0] == '-' && (std::isdigit(static_cast<unsigned char>(name[1])) || name[1] == '.'))
      msg += "; if it is a value, put \"--\" before it: 'ipfs-stub " + std::string(command) + " ... -- " + name + "'";
    throw usage_error(msg + see);
  } catch (const po::too_many_positional_options_error&) {
    throw usage_error("too many arguments for 'ipfs-stub " + std::string(command) + "'" + see);
  } catch (const po::error& e) {
    throw usage_error(std::string(e.what()) + see);
  }
  return vm;
}

}  // namespace ipfs_stub
