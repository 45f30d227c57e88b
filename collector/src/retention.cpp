#include "retention.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

namespace telemetry_collector {

std::string aggregate_value_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  return boost::json::serialize(v);
}

value_counts fold_values(value_counts counts, std::size_t max_entries, std::size_t max_bytes) {
  std::optional<std::int64_t> absent;
  std::erase_if(counts, [&](const auto& c) {
    if (c.first != k_absent_value) return false;
    absent = absent.value_or(0) + c.second;
    return true;
  });
  if (absent) {
    const std::size_t absent_bytes = boost::json::serialize(boost::json::string(k_absent_value)).size() + 24;
    auto rest = fold_values(std::move(counts), max_entries > 0 ? max_entries - 1 : 0,
                            max_bytes > absent_bytes ? max_bytes - absent_bytes : 0);
    rest.emplace_back(k_absent_value, *absent);
    return rest;
  }
  std::int64_t other = 0;
  bool folded = false;
  std::erase_if(counts, [&](const auto& c) {
    if (c.first != k_other_value) return false;
    other += c.second;
    folded = true;
    return true;
  });
  std::sort(counts.begin(), counts.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  auto bytes_of = [](const std::string& value) {
    return boost::json::serialize(boost::json::string(value)).size() + 24;  // "value": count, with room for any count
  };
  std::vector<std::size_t> sizes;
  std::size_t total = 0;
  for (const auto& c : counts) total += sizes.emplace_back(bytes_of(c.first));
  const std::size_t fold_bytes = bytes_of(std::string(k_other_value));
  if (counts.size() + (folded ? 1 : 0) <= max_entries && total + (folded ? fold_bytes : 0) <= max_bytes) {
    if (folded) counts.emplace_back(k_other_value, other);
    return counts;
  }
  // Room for the fold itself.
  const std::size_t keep_entries = max_entries > 0 ? max_entries - 1 : 0;
  std::size_t kept = 0, used = fold_bytes;
  while (kept < counts.size() && kept < keep_entries && used + sizes[kept] <= max_bytes) used += sizes[kept++];
  for (std::size_t i = kept; i < counts.size(); ++i) other += counts[i].second;
  counts.resize(kept);
  counts.emplace_back(k_other_value, other);
  return counts;
}

std::map<std::string, value_counts> complete_day_counts(std::map<std::string, value_counts> reported,
                                                        std::int64_t active_nodes,
                                                        const std::vector<std::string>& fields) {
  std::map<std::string, value_counts> out;
  for (const auto& field : fields) {
    if (field == "uuid") continue;
    value_counts counts;
    if (auto it = reported.find(field); it != reported.end()) counts = std::move(it->second);
    std::int64_t reporters = 0;
    for (auto& [value, n] : counts) {
      reporters += n;
      if (value == k_absent_value) value = k_other_value;
    }
    if (active_nodes > reporters) counts.emplace_back(k_absent_value, active_nodes - reporters);
    if (!counts.empty()) out[field] = fold_values(std::move(counts));
  }
  return out;
}

std::string day_to_date(std::int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace telemetry_collector
