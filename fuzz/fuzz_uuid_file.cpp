// Fuzzes the UUID file parser through an in-memory file system: any content
// either loads as a canonical lower-case UUID or is reported as an error.
#include "uuid_store.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

class memory_fs final : public ipfs_telemetry::file_system {
 public:
  std::string content;
  boost::system::result<std::string> read(const std::filesystem::path&, std::size_t max) override {
    if (content.size() > max) return boost::system::errc::make_error_code(boost::system::errc::file_too_large);
    return content;
  }
  boost::system::error_code write_atomic(const std::filesystem::path&, std::string_view c, mode_t) override {
    content = std::string(c);
    return {};
  }
  boost::system::error_code remove(const std::filesystem::path&, bool& removed) override {
    removed = true;
    return {};
  }
  boost::system::result<mode_t> permissions(const std::filesystem::path&) override { return mode_t{0600}; }
  boost::system::error_code set_permissions(const std::filesystem::path&, mode_t) override { return {}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  memory_fs fs;
  fs.content.assign(reinterpret_cast<const char*>(data), size);
  ipfs_telemetry::uuid_store store(fs, "/repo");
  auto r = store.load();
  if (r && r->has_value()) {
    const std::string& id = **r;
    if (!ipfs_telemetry::is_canonical_uuid(id)) __builtin_trap();
    for (char c : id)
      if (std::isupper(static_cast<unsigned char>(c))) __builtin_trap();
  }
  return 0;
}
