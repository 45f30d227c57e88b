#pragma once
// Helpers for tests: temporary directories, child processes with a hermetic
// environment, and bounded waiting. Every wait has a deadline; every child is
// killed and reaped when its handle goes away.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& p);  // "" when missing

// A distinct valid v4 UUID (lower case) for each n.
std::string test_uuid(unsigned n);

// "YYYY-MM-DD" of a time point, in UTC.
std::string utc_date(std::chrono::system_clock::time_point t);
void write_text(const std::filesystem::path& p, const std::string& s);
// Raises this process's soft descriptor limit to its hard limit (tests holding many sockets).
void raise_fd_limit();

// Polls `pred` every 20 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// Environment changes for a child: a value sets, nullopt unsets.
using env_changes = std::map<std::string, std::optional<std::string>>;

// Variables that would make a test depend on the machine it runs on; unset in
// every child unless the test sets them.
extern const std::vector<std::string> k_hermetic_unset;

class child_process {
 public:
  // Starts argv[0] (a path) with stdout and stderr sent to the given files.
  child_process(const std::vector<std::string>& argv, const env_changes& env, const std::filesystem::path& out_file,
                const std::filesystem::path& err_file);
  ~child_process();  // SIGKILL and reap if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // The exit code (128+N for a signal), or nullopt if still running at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct run_result {
  int exit_code = -1;
  std::string out, err;
};

// Runs a command to completion (killed after `timeout`, exit code then -1).
run_result run(const std::vector<std::string>& argv, const env_changes& env = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace test_support
