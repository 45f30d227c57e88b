#pragma once
// The collector's two settings (collection on/off, retention days) as the
// operator sees them: how both engines store them (as text under fixed keys),
// their JSON (GET/PUT /v1/settings, `telemetry-collector settings`), and, in
// a running collector, the settings in effect and who follows them.
//
// The database is the one place they live (storage::read_settings /
// update_settings): a change through the API, the page or the CLI is made
// there, and every collector on that database picks it up within
// k_settings_poll (settings_watcher), the one that took a PUT at once.

#include "storage.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace telemetry_collector {

// Keys under which both engines keep the settings (SQLite `meta`,
// PostgreSQL `collector_meta`), values as text.
inline constexpr std::string_view k_collection_key = "collection";               // "on" | "off"
inline constexpr std::string_view k_retention_key = "retention_days";            // "1".."730"
inline constexpr std::string_view k_collection_changed_key = "collection_changed_at";  // ms since epoch
inline constexpr std::string_view k_retention_changed_key = "retention_days_changed_at";
inline constexpr std::string_view k_settings_version_key = "settings_version";
// Retry-After of a POST / while collection is off: one day.
inline constexpr std::chrono::seconds k_collection_off_retry{86'400};
// How often a running collector reads the settings again.
inline constexpr std::chrono::milliseconds k_settings_poll{1'000};

// The settings from their stored text; `get` answers one key (nullopt:
// absent). Absent or unreadable values read as the defaults.
collector_settings settings_from_text(const std::function<std::optional<std::string>(std::string_view)>& get);
// The key/value rows that store `s` (a changed-at of 0 has no row).
std::vector<std::pair<std::string, std::string>> settings_rows(const collector_settings& s);
// `current` with `update` applied at `now`; `changes` receives one entry
// per value that differs (a value set to what it was is not a change).
collector_settings apply_update(const collector_settings& current, const settings_update& update, clock_ms now,
                                std::string_view via, std::vector<settings_change>& changes);

// {"collection": "on", "retention_days": 90, "collection_changed_at": "<RFC 3339>" | null,
//  "retention_days_changed_at": ... | null, "history": [{"at", "setting", "old", "new", "via"}, ...]}
boost::json::object settings_json(const collector_settings& s, const std::vector<settings_change>& history);

// A PUT /v1/settings body: an object with "collection" ("on"|"off") and/or
// "retention_days" (a whole number 1..730), nothing else. On error `field`
// names the key at fault ("" for the body as a whole) and `detail` what is
// accepted.
struct settings_parse {
  settings_update update;
  std::string field, detail;
  bool ok() const { return detail.empty(); }
};
settings_parse parse_settings_update(std::string_view body);

// "on"/"off" as the CLI and the JSON spell them; nullopt for anything else.
std::optional<bool> parse_on_off(std::string_view s);

// The settings a running collector is following. Lock-free reads for the
// I/O threads (collecting(), on every POST /).
class settings_state {
 public:
  using listener = std::function<void(const collector_settings& before, const collector_settings& after)>;
  explicit settings_state(const collector_settings& initial);

  bool collecting() const { return collection_.load(std::memory_order_relaxed); }
  int retention_days() const { return retention_days_.load(std::memory_order_relaxed); }
  collector_settings current() const;

  // Set before apply() can run on another thread.
  void on_change(listener l) { listener_ = std::move(l); }
  // Takes `s` as the settings in effect, unless it is older (a lower
  // version) than the current; when it differs, calls the listener (on
  // this thread, under no lock).
  void apply(const collector_settings& s);

 private:
  mutable std::mutex mutex_;
  collector_settings current_;  // with mutex_
  std::atomic<bool> collection_;
  std::atomic<int> retention_days_;
  listener listener_;
};

// Reads the settings from the store every `every`, on a thread of its own,
// and applies them to `state`. A failed read is logged once (per message)
// and the settings in effect stay.
class settings_watcher {
 public:
  settings_watcher(storage& store, settings_state& state, std::chrono::milliseconds every,
                   std::function<void(const std::string&)> log);
  ~settings_watcher();  // stop()
  void stop();

 private:
  void loop();

  storage& store_;
  settings_state& state_;
  std::chrono::milliseconds every_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace telemetry_collector
