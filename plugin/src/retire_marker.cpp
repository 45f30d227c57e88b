#include "retire_marker.hpp"

#include "ipfs_common/message_result.hpp"

namespace ipfs_telemetry {

using ipfs_common::fail;
using ipfs_common::succeed;

retire_marker::retire_marker(file_system& fs, std::filesystem::path repo)
    : fs_(fs), path_(std::move(repo) / k_retire_file_name) {}

boost::system::result<std::optional<std::string>, std::string> retire_marker::endpoint() {
  auto text = fs_.read(path_, 64 * 1024);
  if (!text) {
    if (text.error() == boost::system::errc::no_such_file_or_directory) return std::optional<std::string>();
    return fail("cannot read " + path_.string() + ": " + text.error().message());
  }
  std::string_view s = *text;
  s = s.substr(0, s.find('\n'));
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::optional<std::string>(std::string(s));
}

bool retire_marker::retires(std::string_view current) {
  auto e = endpoint();
  if (!e) return true;
  return e->has_value() && **e == current;
}

boost::system::result<void, std::string> retire_marker::write(std::string_view endpoint) {
  std::string text = std::string(endpoint) + "\n";
  if (auto ec = fs_.write_atomic(path_, text, 0600)) return fail("cannot write " + path_.string() + ": " + ec.message());
  return {};
}

}  // namespace ipfs_telemetry
