#include "request_actions.hpp"

#include "retention.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include <utility>
#include <vector>

namespace telemetry_collector {

namespace asio = boost::asio;

bytes_hold::bytes_hold(std::atomic<std::size_t>& counter, std::size_t n) : counter_(&counter), n_(n) {
  counter_->fetch_add(n_);
}

std::optional<bytes_hold> bytes_hold::try_reserve(std::atomic<std::size_t>& counter, std::size_t n,
                                                  std::size_t max) {
  std::size_t held = counter.load();
  do {
    if (held > 0 && (held + n > max || held + n < held)) return std::nullopt;
  } while (!counter.compare_exchange_weak(held, held + n));
  bytes_hold out;
  out.counter_ = &counter;
  out.n_ = n;
  return out;
}

bytes_hold::bytes_hold(bytes_hold&& o) noexcept
    : counter_(std::exchange(o.counter_, nullptr)), n_(std::exchange(o.n_, 0)) {}

bytes_hold& bytes_hold::operator=(bytes_hold&& o) noexcept {
  if (this != &o) {
    release();
    counter_ = std::exchange(o.counter_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}

void bytes_hold::release() {
  if (counter_ && n_) counter_->fetch_sub(n_);
  counter_ = nullptr;
  n_ = 0;
}

std::string printable_key(std::string_view key) {
  constexpr std::size_t k_max = 64;
  std::string out;
  for (char c : key.substr(0, k_max)) out += (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  if (key.size() > k_max) out += "...";
  return out;
}

void new_key_notices::note(const std::vector<std::string>& keys, const log_sink& log) {
  std::vector<std::string> lines;
  {
    std::lock_guard lock(mutex_);
    for (const auto& k : keys) {
      auto shown = printable_key(k);
      if (named_.count(shown)) continue;
      if (named_.size() >= k_max_named) {
        if (!told_limit_)
          lines.push_back("more event keys that no payload shape has were seen and dropped; not named (" +
                          std::to_string(k_max_named) + " named already)");
        told_limit_ = true;
        break;
      }
      lines.push_back("event key \"" + shown + "\" is in no payload shape this collector knows: dropped from " +
                      "every event that has it (sent by a newer release? docs/collector.md, Payload shapes)");
      named_.insert(std::move(shown));
    }
  }
  if (log)
    for (const auto& l : lines) log(log_level::warning, l);
}

namespace {

using steady = std::chrono::steady_clock;

// Completions the store's writer thread posts while it hands out one batch's
// results, gathered per executor and posted as one handler each when the
// batch is done (gather_completions): an I/O thread waiting in epoll is then
// woken once per batch instead of once per event (each wake-up is a futex
// and an epoll_ctl on the writer's side, on the path every commit waits on).
struct gathered_completions {
  std::vector<std::pair<asio::any_io_executor, std::vector<std::function<void()>>>> by_context;
};
thread_local gathered_completions* t_gathering = nullptr;

template <class Handler>
void post_or_gather(const asio::any_io_executor& ex, Handler h) {
  if (!t_gathering) {
    asio::post(ex, std::move(h));
    return;
  }
  for (auto& [target, fns] : t_gathering->by_context)
    if (target == ex) {
      fns.emplace_back(std::move(h));
      return;
    }
  t_gathering->by_context.emplace_back(ex, std::vector<std::function<void()>>{}).second.emplace_back(std::move(h));
}

answer respond_with(http::response<http::string_body> res) {
  answer a;
  a.response = std::move(res);
  return a;
}

constexpr int k_export_rows_per_chunk = 1000;

// One cursor (one snapshot), used only on the reader pool, one chunk at a time.
class storage_export final : public export_stream, public std::enable_shared_from_this<storage_export> {
 public:
  storage_export(action_context& ctx, asio::any_io_executor ex) : ctx_(ctx), ex_(std::move(ex)) {}

  void next(std::function<void(std::optional<std::string>)> done) override {
    auto& pool = ctx_.exporters ? *ctx_.exporters : *ctx_.readers;
    asio::post(pool, [self = shared_from_this(), done = std::move(done)]() mutable {
      std::optional<std::string> chunk;
      try {
        if (!self->cursor_) self->cursor_ = self->ctx_.store->open_export();
        std::string text;
        self->cursor_->next(k_export_rows_per_chunk, text);
        chunk = std::move(text);
      } catch (const std::exception&) {
      }
      asio::post(self->ex_, [done = std::move(done), chunk = std::move(chunk)]() mutable { done(std::move(chunk)); });
    });
  }

 private:
  action_context& ctx_;
  asio::any_io_executor ex_;
  std::unique_ptr<export_cursor> cursor_;  // opened by the first chunk, on the reader pool
};

void store_event(action_context& ctx, event_row row, std::vector<std::string> dropped, const request_meta& meta,
                 const asio::any_io_executor& ex, answer_fn reply) {
  row.received_at = now_ms();
  ctx.store->insert(std::move(row), [&ctx, meta, ex, dropped = std::move(dropped),
                                     reply = std::move(reply)](bool ok) mutable {
    post_or_gather(ex, [&ctx, meta, ok, dropped = std::move(dropped), reply = std::move(reply)] {
      if (!ok) {  // the store logs why, once per change of its state; never once per request
        ctx.metrics->rejected("storage_failure");
        return reply(respond_with(storage_failure(meta.version, ctx.store->retry_after())));
      }
      if (!dropped.empty()) {
        ctx.metrics->unknown_keys_dropped();
        ctx.new_keys.note(dropped, ctx.log);
      }
      ctx.metrics->event_accepted(std::chrono::duration<double>(steady::now() - meta.started).count());
      answer a;
      a.what = answer::kind::accepted;
      reply(std::move(a));
    });
  });
}

void erase_node(action_context& ctx, std::string uuid, bool admin, const request_meta& meta,
                const asio::any_io_executor& ex, answer_fn reply) {
  ctx.store->erase(std::move(uuid), [&ctx, meta, admin, ex, reply = std::move(reply)](bool ok,
                                                                                       std::int64_t deleted) mutable {
    post_or_gather(ex, [&ctx, meta, admin, ok, deleted, reply = std::move(reply)] {
      if (!ok) {
        ctx.metrics->rejected("storage_failure");
        return reply(respond_with(storage_failure(meta.version, ctx.store->retry_after())));
      }
      ctx.metrics->erasure();
      if (admin)
        return reply(respond_with(json_ok(meta.version, meta.keep_alive, boost::json::object{{"erased", deleted}})));
      reply(respond_with(no_content(meta.version, meta.keep_alive)));
    });
  });
}

// A node's own events, read on the reader pool and held, like a stats
// answer, in ctx.stats_bytes until written (an answer that would take the
// held bytes past the budget is dropped for a 503 busy). The UUID goes no
// further than the query: not logged, not counted by.
void read_access(action_context& ctx, std::string uuid, const request_meta& meta, const asio::any_io_executor& ex,
                 answer_fn reply) {
  if (ctx.stats_bytes.load() > ctx.max_stats_bytes) return reply(respond_with(busy(meta.version)));
  auto& pool = ctx.accessors ? *ctx.accessors : *ctx.readers;
  asio::post(pool, [&ctx, uuid = std::move(uuid), meta, ex, reply = std::move(reply)]() mutable {
    std::optional<node_events_read> events;
    try {
      events = ctx.store->node_events(uuid, k_max_access_events);
    } catch (const std::exception&) {  // a 503, as for stats; nothing of the request is logged
    }
    asio::post(ex, [&ctx, meta, events = std::move(events), reply = std::move(reply)]() mutable {
      if (!events) {
        ctx.metrics->rejected("storage_failure");
        return reply(respond_with(storage_failure(meta.version, ctx.store->retry_after())));
      }
      auto hold = bytes_hold::try_reserve(ctx.stats_bytes, events->ndjson.size(), ctx.max_stats_bytes);
      if (!hold) return reply(respond_with(busy(meta.version)));
      ctx.metrics->access();
      answer a;
      a.hold = std::move(*hold);
      a.response = access_answer(meta.version, meta.keep_alive, std::move(*events));
      reply(std::move(a));
    });
  });
}

// Read and serialized on the reader pool; the text is counted in
// ctx.stats_bytes until it is written (or the session ends). The check
// before the read is cheap; the one that bounds memory is the reservation
// once the answer's size is known (the reads queued meanwhile all passed the
// first).
void read_stats(action_context& ctx, int days, const request_meta& meta, const asio::any_io_executor& ex,
                answer_fn reply) {
  if (ctx.stats_bytes.load() > ctx.max_stats_bytes) return reply(respond_with(busy(meta.version)));
  asio::post(*ctx.readers, [&ctx, days, meta, ex, reply = std::move(reply)]() mutable {
    std::optional<std::string> body;
    try {
      body = boost::json::serialize(ctx.store->read_stats(days, now_ms())) + "\n";
    } catch (const std::exception&) {
    }
    asio::post(ex, [&ctx, meta, body = std::move(body), reply = std::move(reply)]() mutable {
      if (!body) return reply(respond_with(storage_failure(meta.version, ctx.store->retry_after())));
      auto hold = bytes_hold::try_reserve(ctx.stats_bytes, body->size(), ctx.max_stats_bytes);
      if (!hold) return reply(respond_with(busy(meta.version)));
      answer a;
      a.hold = std::move(*hold);
      a.response = text_ok(meta.version, meta.keep_alive, "application/json", std::move(*body));
      reply(std::move(a));
    });
  });
}

// Reads (and for a PUT first saves) the settings on the reader pool.
void settings_action(action_context& ctx, const handler_result& result, const request_meta& meta,
                     const asio::any_io_executor& ex, answer_fn reply) {
  asio::post(*ctx.readers, [&ctx, what = result.what, update = result.settings, days = result.days, meta, ex,
                            reply = std::move(reply)]() mutable {
    std::optional<boost::json::object> body;
    try {
      if (what == action::retention_preview) {
        const std::int64_t kept_from = first_kept_day(now_ms(), days);
        body = boost::json::object{{"retention_days", days},
                                   {"first_kept_date", day_to_date(kept_from)},
                                   {"raw_events_to_delete", ctx.store->raw_events_before_day(kept_from)}};
      } else {
        const auto s = what == action::settings_put ? ctx.store->update_settings(update, "api", now_ms())
                                                    : ctx.store->read_settings();
        if (what == action::settings_put && ctx.settings) ctx.settings->apply(s);
        // Once saved, the answer is 200 whatever happens to the history's read.
        std::vector<settings_change> history;
        try {
          history = ctx.store->settings_history(k_settings_history);
        } catch (const std::exception&) {
        }
        body = settings_json(s, history);
      }
    } catch (const std::exception& e) {
      if (what == action::settings_put && ctx.log) ctx.log.error(std::string("saving the settings failed: ") + e.what());
    }
    asio::post(ex, [&ctx, meta, body = std::move(body), reply = std::move(reply)]() mutable {
      if (!body) return reply(respond_with(storage_failure(meta.version, ctx.store->retry_after())));
      reply(respond_with(json_ok(meta.version, meta.keep_alive, *body)));
    });
  });
}

}  // namespace

http::response<http::empty_body> export_header(unsigned version) {
  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::content_type, "application/x-ndjson");
  res.set(http::field::cache_control, "no-store");
  res.chunked(true);
  return res;
}

void carry_out(action_context& ctx, handler_result result, const request_meta& meta, const asio::any_io_executor& ex,
               answer_fn reply) {
  if (!result.rejected.empty()) ctx.metrics->rejected(result.rejected);
  switch (result.what) {
    case action::respond:
      return reply(respond_with(std::move(result.response)));
    case action::store_event:
      return store_event(ctx, std::move(result.row), std::move(result.dropped_keys), meta, ex, std::move(reply));
    case action::erase_node:
    case action::admin_erase:
      return erase_node(ctx, std::move(result.uuid), result.what == action::admin_erase, meta, ex, std::move(reply));
    case action::node_access:
      return read_access(ctx, std::move(result.uuid), meta, ex, std::move(reply));
    case action::stats:
      return read_stats(ctx, result.days, meta, ex, std::move(reply));
    case action::metrics:
      return reply(respond_with(text_ok(meta.version, meta.keep_alive, "text/plain; version=0.0.4",
                                        ctx.metrics->render(ctx.store->disk_bytes(), ctx.store->batches_committed(),
                                                            !ctx.store->problem().has_value()))));
    case action::export_all: {
      answer a;
      a.what = answer::kind::stream;
      a.stream = std::make_shared<storage_export>(ctx, ex);
      return reply(std::move(a));
    }
    case action::settings_get:
    case action::settings_put:
    case action::retention_preview:
      return settings_action(ctx, result, meta, ex, std::move(reply));
    case action::health:  // cheap by the storage's promise: fine on the I/O thread
      return reply(respond_with(health_answer(meta.version, meta.keep_alive, ctx.store->problem(),
                                              ctx.store->retry_after())));
  }
}

void gather_completions(storage& store) {
  auto gathered = std::make_shared<gathered_completions>();  // the writer thread's, for its lifetime
  storage::completion_hooks hooks;
  hooks.before = [gathered] { t_gathering = gathered.get(); };
  hooks.after = [gathered] {
    t_gathering = nullptr;
    for (auto& [ex, fns] : gathered->by_context)
      asio::post(ex, [fns = std::move(fns)]() mutable {
        for (auto& f : fns) f();
      });
    gathered->by_context.clear();
  };
  store.set_completion_hooks(std::move(hooks));
}

}  // namespace telemetry_collector
