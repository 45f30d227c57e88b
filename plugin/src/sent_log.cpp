#include "sent_log.hpp"

#include "ipfs_common/message_result.hpp"
#include "ipfs_common/redact.hpp"
#include "ipfs_common/time_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <vector>


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
// 30 entries of a ~1.5 KiB body each, per kind; a much larger file is not ours.
constexpr std::size_t k_max_file = 4 * 1024 * 1024;

// An entry's kind; "event" for one without (written before kinds were) or unreadable.
std::string kind_of(const std::string& line) {
  boost::system::error_code ec;
  const auto jv = boost::json::parse(line, ec);
  const auto* o = ec ? nullptr : jv.if_object();
  const auto* k = o ? o->if_contains("kind") : nullptr;
  return k && k->is_string() ? std::string(k->get_string()) : std::string("event");
}
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
                                                          std::string_view body, abandon_reason reason,
                                                          std::string_view kind) {
  using ipfs_common::redact_credentials;
  if (reason == abandon_reason::none && outcome.timed_out) reason = abandon_reason::timeout;
  boost::json::object entry;
  entry["time"] = ipfs_common::rfc3339_utc(when);
  entry["kind"] = kind;
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
  // Of each kind, the newest k_sent_log_keep: count from the end.
  std::vector<std::string> kinds;
  kinds.reserve(all.size());
  for (const auto& l : all) kinds.push_back(kind_of(l));
  std::vector<bool> keep(all.size(), false);
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = all.size(); i-- > 0;) keep[i] = ++seen[kinds[i]] <= k_sent_log_keep;
  std::string text;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (keep[i]) text += all[i] + "\n";
  if (auto ec = fs_.write_atomic(path_, text, 0600))
    return ipfs_common::fail("cannot write " + path_.string() + ": " + ec.message());
  return {};
}

boost::system::result<void, std::string> sent_log::check() {
  auto perms = fs_.permissions(path_);
  if (perms || perms.error() == boost::system::errc::no_such_file_or_directory) return {};
  return ipfs_common::fail("cannot use the audit log " + path_.string() + ": " + perms.error().message());
}

std::optional<boost::json::object> sent_log::last(std::string_view kind) {
  const auto all = lines();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (kind_of(*it) != kind) continue;
    boost::system::error_code ec;
    auto jv = boost::json::parse(*it, ec);
    if (ec || !jv.is_object()) return std::nullopt;
    return jv.as_object();
  }
  return std::nullopt;
}

}  // namespace ipfs_telemetry
