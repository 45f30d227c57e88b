#include "settings.hpp"

#include <ipfs_common/time_format.hpp>

#include <boost/json/parse.hpp>

#include <charconv>

namespace telemetry_collector {

namespace {

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

boost::json::value time_or_null(clock_ms at) {
  if (at == 0) return nullptr;
  return boost::json::value(
      ipfs_common::rfc3339_utc(std::chrono::system_clock::time_point{std::chrono::milliseconds{at}}));
}

const char* on_off(bool on) { return on ? "on" : "off"; }

constexpr std::string_view k_accepted_collection = R"(expected "on" or "off")";
constexpr std::string_view k_accepted_days = "expected a whole number of days from 1 to 730";

}  // namespace

std::optional<bool> parse_on_off(std::string_view s) {
  if (s == "on") return true;
  if (s == "off") return false;
  return std::nullopt;
}

collector_settings settings_from_text(const std::function<std::optional<std::string>(std::string_view)>& get) {
  collector_settings s;
  if (auto v = get(k_collection_key)) s.collection = parse_on_off(*v).value_or(false);
  if (auto v = get(k_retention_key))
    if (auto n = to_int(*v); n && *n >= k_min_retention_days && *n <= k_max_retention_days)
      s.retention_days = static_cast<int>(*n);
  if (auto v = get(k_collection_changed_key)) s.collection_changed_at = to_int(*v).value_or(0);
  if (auto v = get(k_retention_changed_key)) s.retention_changed_at = to_int(*v).value_or(0);
  if (auto v = get(k_settings_version_key)) s.version = to_int(*v).value_or(0);
  return s;
}

std::vector<std::pair<std::string, std::string>> settings_rows(const collector_settings& s) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back(k_collection_key, on_off(s.collection));
  rows.emplace_back(k_retention_key, std::to_string(s.retention_days));
  if (s.collection_changed_at) rows.emplace_back(k_collection_changed_key, std::to_string(s.collection_changed_at));
  if (s.retention_changed_at) rows.emplace_back(k_retention_changed_key, std::to_string(s.retention_changed_at));
  rows.emplace_back(k_settings_version_key, std::to_string(s.version));
  return rows;
}

collector_settings apply_update(const collector_settings& current, const settings_update& update, clock_ms now,
                                std::string_view via, std::vector<settings_change>& changes) {
  collector_settings next = current;
  if (update.collection && *update.collection != current.collection) {
    next.collection = *update.collection;
    next.collection_changed_at = now;
    changes.push_back({now, std::string(k_collection_key), on_off(current.collection), on_off(next.collection),
                       std::string(via)});
  }
  if (update.retention_days && *update.retention_days != current.retention_days) {
    next.retention_days = *update.retention_days;
    next.retention_changed_at = now;
    changes.push_back({now, std::string(k_retention_key), std::to_string(current.retention_days),
                       std::to_string(next.retention_days), std::string(via)});
  }
  if (next != current) ++next.version;
  return next;
}

boost::json::object settings_json(const collector_settings& s, const std::vector<settings_change>& history) {
  boost::json::object o;
  o["collection"] = on_off(s.collection);
  o["retention_days"] = s.retention_days;
  o["collection_changed_at"] = time_or_null(s.collection_changed_at);
  o["retention_days_changed_at"] = time_or_null(s.retention_changed_at);
  boost::json::array h;
  for (const auto& c : history)
    h.push_back(boost::json::object{{"at", time_or_null(c.at)},
                                    {"setting", c.setting},
                                    {"old", c.old_value},
                                    {"new", c.new_value},
                                    {"via", c.via}});
  o["history"] = std::move(h);
  return o;
}

settings_parse parse_settings_update(std::string_view body) {
  settings_parse out;
  constexpr std::string_view k_shape =
      R"(expected a JSON object with "collection" ("on" or "off") and/or "retention_days" (1 to 730))";
  boost::json::parse_options po;
  po.max_depth = 2;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(body, ec, {}, po);
  const auto* obj = ec ? nullptr : doc.if_object();
  if (!obj || obj->empty()) {
    out.detail = k_shape;
    return out;
  }
  for (const auto& [key, value] : *obj) {
    if (key == k_collection_key) {
      const auto on = value.is_string() ? parse_on_off(value.get_string()) : std::nullopt;
      if (!on) {
        out.field = key;
        out.detail = k_accepted_collection;
        return out;
      }
      out.update.collection = *on;
    } else if (key == k_retention_key) {
      std::optional<std::int64_t> n;
      if (value.is_int64()) n = value.get_int64();
      if (value.is_uint64() && value.get_uint64() <= 1'000'000) n = static_cast<std::int64_t>(value.get_uint64());
      if (!n || *n < k_min_retention_days || *n > k_max_retention_days) {
        out.field = key;
        out.detail = k_accepted_days;
        return out;
      }
      out.update.retention_days = static_cast<int>(*n);
    } else {
      out.field = key;
      out.detail = "unknown setting; the settings are \"collection\" and \"retention_days\"";
      return out;
    }
  }
  return out;
}

settings_state::settings_state(const collector_settings& initial)
    : current_(initial), collection_(initial.collection), retention_days_(initial.retention_days) {}

collector_settings settings_state::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void settings_state::apply(const collector_settings& s) {
  collector_settings before;
  {
    std::lock_guard lock(mutex_);
    if (current_ == s || s.version < current_.version) return;
    before = current_;
    current_ = s;
    collection_.store(s.collection, std::memory_order_relaxed);
    retention_days_.store(s.retention_days, std::memory_order_relaxed);
  }
  if (listener_) listener_(before, s);
}

settings_watcher::settings_watcher(storage& store, settings_state& state, std::chrono::milliseconds every,
                                   std::function<void(const std::string&)> log)
    : store_(store), state_(state), every_(every), log_(std::move(log)), thread_([this] { loop(); }) {}

settings_watcher::~settings_watcher() { stop(); }

void settings_watcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void settings_watcher::loop() {
  std::string last_failure;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, every_, [this] { return stopping_; })) return;
    }
    try {
      state_.apply(store_.read_settings());
      last_failure.clear();
    } catch (const std::exception& e) {
      if (log_ && e.what() != last_failure)
        log_(std::string("reading the settings failed (the ones in effect stay): ") + e.what());
      last_failure = e.what();
    }
  }
}

}  // namespace telemetry_collector
