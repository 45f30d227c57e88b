#include "telemetry_service.hpp"

#include "collect.hpp"
#include "go_duration.hpp"
#include "log_event.hpp"
#include "notice.hpp"

#include <boost/asio/post.hpp>

#include <csignal>
#include <pthread.h>

namespace ipfs_telemetry {

namespace asio = boost::asio;

telemetry_service::telemetry_service(service_settings settings, const logger& log, file_system& fs,
                                     facts_provider facts, sender_factory make_sender,
                                     const platform_info& platform)
    : settings_(std::move(settings)),
      log_(log),
      fs_(fs),
      facts_(std::move(facts)),
      make_sender_(std::move(make_sender)),
      platform_(platform),
      uuids_(fs_, settings_.repo),
      marker_(fs_, settings_.repo) {}

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
  asio::post(ioc_, [this] {
    stopped_ = true;
    timer_.cancel();
    if (sender_) sender_->cancel();
  });
  thread_.join();
}

void telemetry_service::do_start() {
  auto facts = facts_();
  if (!facts) {
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

  std::string note;
  auto loaded = uuids_.load(&note);
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
                                settings_.docs_url}));
  }
  log_.debug("telemetry: first collection in " + format_go_duration(settings_.delay) + ", then every " +
             format_go_duration(settings_.interval) + ", to " + settings_.endpoint);
  arm_timer(std::chrono::steady_clock::now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(settings_.delay));
}

void telemetry_service::arm_timer(std::chrono::steady_clock::time_point when) {
  next_fire_ = when;
  timer_.expires_at(when);
  timer_.async_wait([this](boost::system::error_code ec) { on_timer(ec); });
}

void telemetry_service::on_timer(boost::system::error_code ec) {
  if (ec || stopped_) return;
  // Fixed rate: the next send is Interval after this one was due, whatever the
  // send takes, so slow endpoints do not make reports drift.
  arm_timer(next_fire_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(settings_.interval));
  if (in_flight_) {
    log_.warn("telemetry: previous send still in progress; skipping this collection");
    return;
  }
  do_send();
}

void telemetry_service::do_send() {
  auto facts = facts_();
  if (!facts) {
    log_.warn("telemetry: cannot read node facts from the host: " + facts.error() + "; will retry in " +
              format_go_duration(settings_.interval));
    return;
  }
  if (!facts->daemon || !facts->online) {
    log_.debug("telemetry: node is offline; skipping this collection");
    return;
  }
  const auto uptime = std::chrono::steady_clock::now() - settings_.init_time;
  const log_event event = collect_event(*facts, platform_, uuid_, uptime);
  std::string body = to_wire(event);
  if (log_.enabled(IPFS_LOG_DEBUG)) log_.debug("telemetry: sending to " + settings_.endpoint + ": " + body);
  in_flight_ = true;
  sender_->async_send({settings_.endpoint, std::move(body), facts->agent_version},
                      [this](send_outcome o) { on_sent(std::move(o)); });
}

void telemetry_service::on_sent(send_outcome outcome) {
  in_flight_ = false;
  if (stopped_) return;
  if (outcome.success()) {
    log_.info("telemetry sent to " + settings_.endpoint + " (" + outcome.describe() + ")");
    return;
  }
  if (!outcome.ec && outcome.status == 410) return retire();
  log_.warn("telemetry send to " + settings_.endpoint + " failed: " + outcome.describe() + "; will retry in " +
            format_go_duration(settings_.interval));
}

void telemetry_service::retire() {
  stopped_ = true;
  timer_.cancel();
  if (auto w = marker_.write(settings_.endpoint); !w) log_.error(w.error());
  if (auto r = uuids_.remove(); !r) log_.error(r.error());
  uuid_.clear();
  log_.info("telemetry endpoint " + settings_.endpoint +
            " answered 410 Gone: this node is retired and will not report to it again; UUID removed, marker written "
            "to " + marker_.path().string());
}

}  // namespace ipfs_telemetry
