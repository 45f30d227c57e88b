#include "telemetry_service.hpp"

#include "collect.hpp"
#include "duration_math.hpp"
#include "go_duration.hpp"
#include "log_event.hpp"
#include "notice.hpp"

#include <boost/asio/post.hpp>

#include <csignal>
#include <pthread.h>
#include <random>

namespace ipfs_telemetry {

namespace asio = boost::asio;

namespace {
// Log-friendly: whole milliseconds.
std::string human(std::chrono::nanoseconds d) {
  return format_go_duration(std::chrono::duration_cast<std::chrono::milliseconds>(d));
}
}  // namespace

random_source default_random_source() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

telemetry_service::telemetry_service(service_settings settings, const logger& log, file_system& fs,
                                     facts_provider facts, sender_factory make_sender,
                                     const platform_info& platform, random_source random)
    : settings_(std::move(settings)),
      log_(log),
      fs_(fs),
      facts_(std::move(facts)),
      make_sender_(std::move(make_sender)),
      platform_(platform),
      uuids_(fs_, settings_.repo),
      marker_(fs_, settings_.repo),
      sent_(fs_, settings_.repo),
      random_(std::move(random)) {}

telemetry_service::~telemetry_service() { stop(); }

void telemetry_service::start() {
  if (thread_.joinable()) return;
  asio::post(ioc_, [this] { do_start(); });
  thread_ = std::thread([this] {
    // The host owns signal handling; this thread takes none.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        log_.error(std::string("telemetry: unexpected error, continuing: ") + e.what());
      } catch (...) {
        log_.error("telemetry: unexpected error, continuing");
      }
    }
  });
}

void telemetry_service::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  asio::post(ioc_, [this] {
    stopped_ = true;
    timer_.cancel();
    retry_timer_.cancel();
    if (sender_) sender_->cancel();
  });
  thread_.join();
}

void telemetry_service::do_start() {
  auto facts = facts_();
  if (!facts) {
    if (stopping_) return;  // the host is closing its plugins
    log_.error("telemetry: cannot read node facts from the host: " + facts.error() +
               "; telemetry stays off for this run");
    return;
  }
  if (!facts->daemon || !facts->online) {
    log_.info("telemetry collection skipped: node is offline");
    return;
  }
  auto transport = make_sender_(ioc_.get_executor(), settings_.transport);
  if (!transport) {
    log_.error(transport.error());
    return;
  }
  sender_ = std::move(*transport);
  if (marker_.retires(settings_.endpoint)) {
    log_.info("telemetry stays off: " + settings_.endpoint + " retired this node (" + marker_.path().string() +
              "); change Endpoint or delete that file to resume");
    return;
  }

  // Every attempt must be recorded: with an audit log that cannot be written
  // (a symlink, FIFO or directory in its place), nothing is sent.
  if (auto unusable = sent_.check(); !unusable) {
    log_.error("telemetry: " + unusable.error() + "; telemetry stays off for this run, as every attempt must be "
               "recorded there");
    return;
  }
  std::string note;
  auto loaded = uuids_.load(&note, uuid_store::permissions::tighten);
  if (!note.empty()) log_.warn(note);
  if (!loaded) {
    log_.error(loaded.error() + "; telemetry stays off for this run");
    return;
  }
  bool first_run = false;
  if (loaded->has_value()) {
    uuid_ = **loaded;
  } else {
    auto created = uuids_.create();
    if (!created) {
      log_.error(created.error() + "; telemetry stays off for this run");
      return;
    }
    uuid_ = *created;
    first_run = true;
    log_.debug("telemetry: generated new UUID in " + uuids_.path().string());
  }

  // A new UUID means a first run: auto mode, with the notice, once per UUID.
  if (first_run || settings_.mode == telemetry_mode::auto_) {
    log_.info(first_run_notice({settings_.delay, settings_.interval, settings_.endpoint, uuid_, first_run,
                                settings_.docs_url, settings_.host_command}));
  }
  log_.debug("telemetry: first collection in " + format_go_duration(settings_.delay) + ", then every " +
             format_go_duration(settings_.interval) + ", to " + settings_.endpoint);
  // Delay plus up to 10%: a fleet restarted together does not report together.
  // Saturating: a Delay too long for the clock means never.
  arm_timer(deadline_after(std::chrono::steady_clock::now(), first_send_delay(settings_.delay, random_())));
}

void telemetry_service::arm_timer(std::chrono::steady_clock::time_point when) {
  next_fire_ = when;
  timer_.expires_at(when);
  timer_.async_wait([this](boost::system::error_code ec) { on_timer(ec); });
}

void telemetry_service::on_timer(boost::system::error_code ec) {
  if (ec || stopped_) return;
  // The next collection is due an Interval (plus up to 10%) after this one was
  // due, whatever sending takes; but never less than an Interval from now, so a
  // timer that fired late (a suspended machine, a host slow to answer) is not
  // followed by a burst of catch-up collections.
  const auto base = std::max(next_fire_, std::chrono::steady_clock::now());
  arm_timer(deadline_after(base, jittered_interval(settings_.interval, random_())));
  collect();
}

void telemetry_service::collect() {
  // A new collection replaces whatever is pending: at most one event exists.
  retry_timer_.cancel();
  if (in_flight_) {
    log_.warn("telemetry: abandoning the previous attempt, still in progress, for a new collection");
    ++generation_;  // its completion is now stale
    in_flight_ = false;
    sender_->cancel();
  }
  pending_.clear();
  attempt_ = 0;

  auto facts = facts_();
  if (!facts) {
    if (stopping_) return;  // the host is closing its plugins
    log_.warn("telemetry: cannot read node facts from the host: " + facts.error() + "; skipping this collection");
    return;
  }
  if (!facts->daemon || !facts->online) {
    log_.debug("telemetry: node is offline; skipping this collection");
    return;
  }
  const auto uptime = std::chrono::steady_clock::now() - settings_.init_time;
  pending_ = to_wire(collect_event(*facts, platform_, uuid_, uptime));
  agent_version_ = facts->agent_version;
  do_attempt();
}

void telemetry_service::do_attempt() {
  if (pending_.empty() || stopped_) return;
  ++attempt_;
  if (log_.enabled(IPFS_LOG_DEBUG))
    log_.debug("telemetry: sending to " + settings_.endpoint + " (attempt " + std::to_string(attempt_) + "): " +
               pending_);
  in_flight_ = true;
  const std::uint64_t generation = ++generation_;
  sender_->async_send({settings_.endpoint, pending_, agent_version_},
                      [this, generation, body = pending_](send_outcome o) {
                        on_sent(generation, body, std::move(o));
                      });
}

void telemetry_service::on_sent(std::uint64_t generation, const std::string& body, send_outcome outcome) {
  // Every attempt is recorded, also one that no longer matters: its body may
  // well have reached the collector.
  // Superseded: replaced while in flight and cut short. One whose answer had
  // already arrived is recorded with that answer.
  const bool superseded = generation != generation_ && outcome.ec;
  const auto reason = superseded            ? abandon_reason::superseded
                      : stopped_ && outcome.ec ? abandon_reason::shutdown
                                               : abandon_reason::none;
  if (auto r = sent_.record(std::chrono::system_clock::now(), settings_.endpoint, outcome, body, reason); !r)
    log_.warn("telemetry: " + r.error());
  if (generation != generation_ || stopped_) return;
  in_flight_ = false;

  switch (classify(outcome)) {
    case outcome_kind::success:
      log_.info("telemetry sent to " + settings_.endpoint + " (" + outcome.describe() + ")");
      pending_.clear();
      return;
    case outcome_kind::retire:
      return retire();
    case outcome_kind::retry:
      return schedule_retry(outcome);
    case outcome_kind::next_interval:
      log_.warn("telemetry send to " + settings_.endpoint + " failed: " + outcome.describe() +
                "; will try again at the next collection");
      pending_.clear();
      return;
  }
}

void telemetry_service::schedule_retry(const send_outcome& outcome) {
  const auto plan = plan_retry(outcome, attempt_, settings_.retry_base, settings_.interval, random_(),
                               std::chrono::system_clock::now());
  if (plan.give_up) {
    log_.warn("telemetry send to " + settings_.endpoint + " failed: " + outcome.describe() + "; gave up after " +
              std::to_string(attempt_) + " attempts, the next collection makes a new event");
    pending_.clear();
    return;
  }
  const auto delay = plan.delay;
  const std::string why = plan.from_retry_after ? "Retry-After" : "backoff";
  const auto when = deadline_after(std::chrono::steady_clock::now(), delay);
  if (when >= next_fire_) {
    log_.warn("telemetry send to " + settings_.endpoint + " failed: " + outcome.describe() +
              "; the next collection replaces it");
    pending_.clear();
    return;
  }
  log_.warn("telemetry send to " + settings_.endpoint + " failed: " + outcome.describe() + "; retrying in " +
            human(delay) + " (" + why + ", attempt " + std::to_string(attempt_) + ")");
  retry_timer_.expires_at(when);
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    do_attempt();
  });
}

void telemetry_service::retire() {
  stopped_ = true;
  timer_.cancel();
  retry_timer_.cancel();
  pending_.clear();
  if (auto w = marker_.write(settings_.endpoint); !w) log_.error(w.error());
  if (auto r = uuids_.remove(); !r) log_.error(r.error());
  uuid_.clear();
  log_.info("telemetry endpoint " + settings_.endpoint +
            " answered 410 Gone: this node is retired and will not report to it again; UUID removed, marker written "
            "to " + marker_.path().string());
}

}  // namespace ipfs_telemetry
