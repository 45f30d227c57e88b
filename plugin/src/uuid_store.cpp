#include "uuid_store.hpp"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <cctype>

#include "ipfs_common/message_result.hpp"

namespace ipfs_telemetry {

using ipfs_common::fail;
using ipfs_common::succeed;
namespace {

// The file holds 36 characters and maybe a newline; anything much larger is corrupt.
constexpr std::size_t k_max_file_size = 4096;

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

bool is_canonical_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

uuid_store::uuid_store(file_system& fs, std::filesystem::path repo)
    : fs_(fs), path_(std::move(repo) / k_uuid_file_name) {}

boost::system::result<std::optional<std::string>, std::string> uuid_store::load(std::string* note, permissions p) {
  auto text = fs_.read(path_, k_max_file_size);
  if (!text) {
    if (text.error() == boost::system::errc::no_such_file_or_directory) return std::optional<std::string>();
    return fail("cannot read telemetry UUID file " + path_.string() + ": " + text.error().message());
  }
  std::string id = trim(*text);
  if (!is_canonical_uuid(id))
    return fail("telemetry UUID file " + path_.string() + " does not hold a UUID");
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  if (auto perms = fs_.permissions(path_); perms && (*perms & 077) != 0) {
    if (p == permissions::report) {
      if (note)
        *note = "telemetry UUID file " + path_.string() +
                " is readable by others; the daemon restricts it to mode 0600 at its next start";
      return std::optional<std::string>(std::move(id));
    }
    auto ec = fs_.set_permissions(path_, 0600);
    if (note)
      *note = ec ? "telemetry UUID file " + path_.string() + " is readable by others and could not be restricted: " +
                       ec.message()
                 : "restricted telemetry UUID file " + path_.string() + " to mode 0600";
  }
  return std::optional<std::string>(std::move(id));
}

boost::system::result<std::string, std::string> uuid_store::create() {
  // A fresh generator per call: seeded from the OS, used once a day at most.
  boost::uuids::random_generator gen;
  std::string id = boost::uuids::to_string(gen());
  if (auto ec = fs_.write_atomic(path_, id + "\n", 0600))
    return fail("cannot write telemetry UUID file " + path_.string() + ": " + ec.message());
  return succeed(std::move(id));
}

boost::system::result<bool, std::string> uuid_store::remove() {
  bool removed = false;
  if (auto ec = fs_.remove(path_, removed))
    return fail("cannot remove telemetry UUID file " + path_.string() + ": " + ec.message());
  return removed;
}

}  // namespace ipfs_telemetry
