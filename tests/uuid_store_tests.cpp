#include "retire_marker.hpp"
#include "uuid_store.hpp"

#include "support/test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

using namespace ipfs_telemetry;
using test_support::read_text;
using test_support::temp_dir;
using test_support::write_text;

namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A file system whose writes and removals fail like a read-only mount: the
// seam lets the test not depend on who runs it (root writes anywhere).
class read_only_fs final : public file_system {
 public:
  boost::system::result<std::string> read(const std::filesystem::path& p, std::size_t max) override {
    return real_.read(p, max);
  }
  boost::system::error_code write_atomic(const std::filesystem::path&, std::string_view, mode_t) override {
    return boost::system::errc::make_error_code(boost::system::errc::read_only_file_system);
  }
  boost::system::error_code remove(const std::filesystem::path&, bool& removed) override {
    removed = false;
    return boost::system::errc::make_error_code(boost::system::errc::read_only_file_system);
  }
  boost::system::result<mode_t> permissions(const std::filesystem::path& p) override { return real_.permissions(p); }
  boost::system::error_code set_permissions(const std::filesystem::path&, mode_t) override {
    return boost::system::errc::make_error_code(boost::system::errc::read_only_file_system);
  }

 private:
  posix_file_system real_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(uuid_store_tests)

BOOST_AUTO_TEST_CASE(missing_file_loads_as_none) {
  temp_dir dir;
  posix_file_system fs;
  uuid_store store(fs, dir.path());
  auto r = store.load();
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(!r->has_value());
}

BOOST_AUTO_TEST_CASE(create_writes_a_random_v4_uuid_with_mode_0600) {
  temp_dir dir;
  posix_file_system fs;
  uuid_store store(fs, dir.path());
  auto id = store.create();
  BOOST_REQUIRE(id.has_value());
  BOOST_TEST(is_canonical_uuid(*id));
  BOOST_TEST((*id)[14] == '4');  // version 4
  BOOST_TEST(std::string("89ab").find((*id)[19]) != std::string::npos);  // RFC 4122 variant
  BOOST_TEST(read_text(dir.path() / "telemetry_uuid") == *id + "\n");
  BOOST_TEST(mode_of(dir.path() / "telemetry_uuid") == 0600u);

  auto other = uuid_store(fs, dir.path()).create();
  BOOST_REQUIRE(other.has_value());
  BOOST_TEST(*other != *id);
  // No temporary files are left beside it.
  std::size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  BOOST_TEST(files == 1u);
}

BOOST_AUTO_TEST_CASE(existing_uuid_is_reused) {
  temp_dir dir;
  posix_file_system fs;
  auto id = uuid_store(fs, dir.path()).create();
  BOOST_REQUIRE(id.has_value());
  auto loaded = uuid_store(fs, dir.path()).load();
  BOOST_REQUIRE(loaded.has_value());
  BOOST_REQUIRE(loaded->has_value());
  BOOST_TEST(**loaded == *id);
}

BOOST_AUTO_TEST_CASE(upper_case_and_surrounding_whitespace_are_accepted) {
  temp_dir dir;
  posix_file_system fs;
  write_text(dir.path() / "telemetry_uuid", "  F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6\r\n");
  ::chmod((dir.path() / "telemetry_uuid").c_str(), 0600);
  auto loaded = uuid_store(fs, dir.path()).load();
  BOOST_REQUIRE(loaded.has_value());
  BOOST_TEST(**loaded == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
}

BOOST_AUTO_TEST_CASE(corrupt_file_is_an_error_and_is_left_alone) {
  temp_dir dir;
  posix_file_system fs;
  for (const std::string& bad : std::vector<std::string>{"", "not-a-uuid", "f81d4fae7dec11d0a76500a0c91e6bf6", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6x",
                          "{f81d4fae-7dec-11d0-a765-00a0c91e6bf6}", std::string(10000, 'a'),
                          "g81d4fae-7dec-11d0-a765-00a0c91e6bf6"}) {
    write_text(dir.path() / "telemetry_uuid", bad);
    auto r = uuid_store(fs, dir.path()).load();
    BOOST_TEST(!r.has_value(), "content \"" << bad.substr(0, 40) << "\" should be rejected");
    if (!r) BOOST_TEST(r.error().find("telemetry_uuid") != std::string::npos);
    BOOST_TEST(read_text(dir.path() / "telemetry_uuid") == bad);  // loses nothing
  }
}

BOOST_AUTO_TEST_CASE(a_directory_in_place_of_the_file_is_an_error) {
  temp_dir dir;
  posix_file_system fs;
  std::filesystem::create_directory(dir.path() / "telemetry_uuid");
  auto r = uuid_store(fs, dir.path()).load();
  BOOST_TEST(!r.has_value());
}

// Every repo file of the plugin goes through posix_file_system: a symlink is
// never followed, a FIFO never blocks, anything not a regular file is refused
// by name, and nothing is changed behind it.
BOOST_AUTO_TEST_CASE(symlinks_fifos_and_devices_are_refused_without_blocking) {
  temp_dir dir;
  posix_file_system fs;
  const auto file = dir.path() / "telemetry_uuid";
  const auto target = dir.path() / "elsewhere";
  const std::string id = "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n";
  write_text(target, id);
  ::chmod(target.c_str(), 0644);
  std::filesystem::create_symlink(target, file);
  auto r = uuid_store(fs, dir.path()).load();
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().find("symbolic link") != std::string::npos, r.error());
  BOOST_TEST(!uuid_store(fs, dir.path()).create().has_value());  // not written through the link either
  BOOST_TEST(read_text(target) == id);
  struct stat st {};
  BOOST_REQUIRE(::stat(target.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0644u);  // never chmod-ed through the link
  BOOST_TEST(std::filesystem::is_symlink(file));

  std::filesystem::remove(file);
  BOOST_REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
  r = uuid_store(fs, dir.path()).load();  // would block forever if it opened the FIFO for reading
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().find("FIFO") != std::string::npos, r.error());
  auto c = uuid_store(fs, dir.path()).create();
  BOOST_REQUIRE(!c.has_value());
  BOOST_TEST(c.error().find("FIFO") != std::string::npos, c.error());

  auto dev = fs.read("/dev/zero", 4096);  // a device is refused before it is opened
  BOOST_REQUIRE(!dev.has_value());
  BOOST_TEST(dev.error().message().find("device") != std::string::npos, dev.error().message());
}

BOOST_AUTO_TEST_CASE(too_open_permissions_are_tightened_to_0600) {
  temp_dir dir;
  posix_file_system fs;
  write_text(dir.path() / "telemetry_uuid", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6\n");
  ::chmod((dir.path() / "telemetry_uuid").c_str(), 0644);
  std::string note;
  auto r = uuid_store(fs, dir.path()).load(&note);  // a read-only command: reported, not changed
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(mode_of(dir.path() / "telemetry_uuid") == 0644u);
  BOOST_TEST(note.find("readable by others") != std::string::npos, note);
  note.clear();
  r = uuid_store(fs, dir.path()).load(&note, uuid_store::permissions::tighten);  // the daemon
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(mode_of(dir.path() / "telemetry_uuid") == 0600u);
  BOOST_TEST(note.find("0600") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_only_repo_fails_to_create_with_a_clear_message) {
  temp_dir dir;
  read_only_fs fs;
  auto r = uuid_store(fs, dir.path()).create();
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().find("cannot write telemetry UUID file") != std::string::npos);
  BOOST_TEST(r.error().find("Read-only file system") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "telemetry_uuid"));
}

BOOST_AUTO_TEST_CASE(unwritable_repo_path_fails_to_create) {
  temp_dir dir;
  posix_file_system fs;
  write_text(dir.path() / "file", "x");  // the "repo" is a regular file: ENOTDIR for anyone
  auto r = uuid_store(fs, dir.path() / "file").create();
  BOOST_TEST(!r.has_value());
}

BOOST_AUTO_TEST_CASE(remove_reports_whether_a_file_was_removed) {
  temp_dir dir;
  posix_file_system fs;
  uuid_store store(fs, dir.path());
  auto none = store.remove();
  BOOST_REQUIRE(none.has_value());
  BOOST_TEST(!*none);
  BOOST_REQUIRE(store.create().has_value());
  auto removed = store.remove();
  BOOST_REQUIRE(removed.has_value());
  BOOST_TEST(*removed);
  BOOST_TEST(!std::filesystem::exists(store.path()));

  read_only_fs ro;
  auto failed = uuid_store(ro, dir.path()).remove();
  BOOST_TEST(!failed.has_value());
}

BOOST_AUTO_TEST_CASE(retire_marker_names_the_endpoint_that_retired_the_node) {
  temp_dir dir;
  posix_file_system fs;
  retire_marker marker(fs, dir.path());
  BOOST_TEST(!marker.retires("http://a/"));
  BOOST_REQUIRE(marker.write("http://a/").has_value());
  BOOST_TEST(read_text(dir.path() / "telemetry_retired") == "http://a/\n");
  BOOST_TEST(mode_of(dir.path() / "telemetry_retired") == 0600u);
  BOOST_TEST(marker.retires("http://a/"));
  BOOST_TEST(!marker.retires("http://b/"));
  // Only the first line counts.
  write_text(dir.path() / "telemetry_retired", "http://b/\r\nretired at some date\n");
  BOOST_TEST(marker.retires("http://b/"));
  // A marker that cannot be read fails closed.
  std::filesystem::remove(dir.path() / "telemetry_retired");
  std::filesystem::create_directory(dir.path() / "telemetry_retired");
  BOOST_TEST(marker.retires("http://a/"));
}

BOOST_AUTO_TEST_SUITE_END()
