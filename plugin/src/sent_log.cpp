#include "sent_log.hpp"

#include "ipfs_common/message_result.hpp"
#include "ipfs_common/redact.hpp"
#include "ipfs_common/time_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>


namespace ipfs_telemetry {

std::string_view to_string(abandon_reason r) {
  switch (r) {
    case abandon_reason::none: return "none";
    case abandon_reason::timeout: return "timeout";
    case abandon_reason::shutdown: return "shutdown";
    case abandon_reason::superseded: return "superseded";
  }
  return "none";
}

namespace {
// 30 entries of a ~1.5 KiB body each; a much larger file is not ours.
constexpr std::size_t k_max_file = 4 * 1024 * 1024;
}  // namespace

sent_log::sent_log(file_system& fs, std::filesystem::path repo)
    : fs_(fs), path_(std::move(repo) / k_sent_log_name) {}

std::vector<std::string> sent_log::lines() {
  std::vector<std::string> out;
  auto text = fs_.read(path_, k_max_file);
  if (!text) return out;
  std::size_t pos = 0;
  while (pos < text->size()) {
    auto nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    if (nl > pos) out.push_back(text->substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

boost::system::result<void, std::string> sent_log::record(std::chrono::system_clock::time_point when,
                                                          std::string_view endpoint, const send_outcome& outcome,
                                                          std::string_view body, abandon_reason reason) {
  using ipfs_common::redact_credentials;
  if (reason == abandon_reason::none && outcome.timed_out) reason = abandon_reason::timeout;
  boost::json::object entry;
  entry["time"] = ipfs_common::rfc3339_utc(when);
  entry["endpoint"] = redact_credentials(endpoint);
  if (outcome.ec) {
    entry["status"] = nullptr;
    entry["error"] = redact_credentials(outcome.describe());
  } else {
    entry["status"] = outcome.status;
    entry["error"] = outcome.detail.empty() ? boost::json::value(nullptr)
                                            : boost::json::value(redact_credentials(outcome.detail));
  }
  if (reason == abandon_reason::none)
    entry["abandoned"] = nullptr;
  else
    entry["abandoned"] = to_string(reason);
  entry["body_sent"] = !outcome.sent_to.empty();
  boost::json::array sent_to;
  for (const auto& url : outcome.sent_to) sent_to.emplace_back(redact_credentials(url));
  entry["sent_to"] = std::move(sent_to);
  entry["body"] = body;

  auto all = lines();
  all.push_back(boost::json::serialize(entry));
  const std::size_t skip = all.size() > k_sent_log_keep ? all.size() - k_sent_log_keep : 0;
  std::string text;
  for (std::size_t i = skip; i < all.size(); ++i) text += all[i] + "\n";
  if (auto ec = fs_.write_atomic(path_, text, 0600))
    return ipfs_common::fail("cannot write " + path_.string() + ": " + ec.message());
  return {};
}

boost::system::result<void, std::string> sent_log::check() {
  auto perms = fs_.permissions(path_);
  if (perms || perms.error() == boost::system::errc::no_such_file_or_directory) return {};
  return ipfs_common::fail("cannot use the audit log " + path_.string() + ": " + perms.error().message());
}

std::optional<boost::json::object> sent_log::last() {
  auto all = lines();
  if (all.empty()) return std::nullopt;
  boost::system::error_code ec;
  auto jv = boost::json::parse(all.back(), ec);
  if (ec || !jv.is_object()) return std::nullopt;
  return jv.as_object();
}

}  // namespace ipfs_telemetry
