#include "sqlite_store.hpp"
#include "kubo_example.hpp"
#include "sqlite_statement.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <future>
#include <thread>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

stored_event make_event(const std::string& uuid, clock_ms at) { return stored_event{at, uuid, example_event(uuid)}; }

std::string uuid_n(int i) { return test_support::test_uuid(static_cast<unsigned>(i)); }

std::int64_t count_rows(sqlite_store& store, const std::string& where = "1") {
  auto db = store.reader();
  statement st(db->get(), "SELECT count(*) FROM events WHERE " + where);
  st.step();
  return st.int64(0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_store_tests)

BOOST_AUTO_TEST_CASE(database_is_created_0600_in_wal_mode) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "c.db").string();
  sqlite_store store(path);
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  auto db = store.reader();
  statement mode(db->get(), "PRAGMA journal_mode");
  BOOST_REQUIRE(mode.step());
  BOOST_TEST(mode.text(0) == "wal");
}

BOOST_AUTO_TEST_CASE(completion_comes_after_commit_and_data_survives_reopen) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "c.db").string();
  {
    sqlite_store store(path);
    BOOST_TEST(store.insert_sync(make_event(uuid_n(1), 1'000)));
    // Visible to another connection at completion time: committed, not just queued.
    BOOST_TEST(count_rows(store) == 1);
  }
  sqlite_store again(path);
  BOOST_TEST(count_rows(again) == 1);
  BOOST_TEST(count_rows(again, "received_at = 1000 AND day = 0 AND uuid = '" + uuid_n(1) + "'") == 1);
}

BOOST_AUTO_TEST_CASE(concurrent_inserts_share_transactions) {
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  constexpr int k_threads = 8, k_each = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t)
    threads.emplace_back([&, t] {
      std::vector<std::future<bool>> pending;
      for (int i = 0; i < k_each; ++i) {
        auto p = std::make_shared<std::promise<bool>>();
        pending.push_back(p->get_future());
        store.insert(make_event(uuid_n(t * k_each + i), now_ms()), [p](bool committed) { p->set_value(committed); });
      }
      for (auto& f : pending) ok += f.get() ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(ok.load() == k_threads * k_each);
  BOOST_TEST(count_rows(store) == k_threads * k_each);
  // Group commit: fewer transactions than events.
  BOOST_TEST(store.batches_committed() < static_cast<std::uint64_t>(k_threads * k_each));
}

BOOST_AUTO_TEST_CASE(the_wal_starts_over_under_sustained_writes) {
  // Inserts never pause here, so the WAL can only start over if the writer
  // finishes the checkpointer's work itself. Without that, every commit
  // appends: tens of MiB of WAL for this many events.
  test_support::temp_dir dir;
  const auto path = (dir.path() / "c.db").string();
  sqlite_store store(path);
  constexpr int k_events = 24'000, k_window = 128;
  std::mutex m;
  std::condition_variable cv;
  int in_flight = 0, committed = 0;
  std::uint64_t wal_peak = 0;
  for (int i = 0; i < k_events; ++i) {
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return in_flight < k_window; });
      ++in_flight;
    }
    store.insert(make_event(uuid_n(i), now_ms()), [&](bool ok) {
      std::lock_guard lock(m);
      --in_flight;
      committed += ok ? 1 : 0;
      cv.notify_one();
    });
    if (i % 1000 == 0) {
      struct stat st {};
      if (::stat((path + "-wal").c_str(), &st) == 0) wal_peak = std::max<std::uint64_t>(wal_peak, st.st_size);
    }
  }
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  BOOST_TEST(committed == k_events);
  // Each event is ~1 KiB of row; the WAL carries several KiB per event, so
  // without restarts it would pass 24 MiB. Bounded: the threshold (1 MiB) plus a few passes' worth.
  BOOST_TEST(wal_peak < (24u << 20), "WAL peaked at " << wal_peak << " bytes");
  struct stat db {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &db) == 0);
  BOOST_TEST(db.st_size > (8 << 20), "checkpoints copied the events into the database file");
}

BOOST_AUTO_TEST_CASE(completion_hooks_surround_each_batchs_completions) {
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  // Touched only on the writer thread, read after close() joined it.
  int before = 0, after = 0, inside = 0, outside = 0;
  bool open = false;
  store.set_completion_hooks({[&] { ++before, open = true; }, [&] { ++after, open = false; }});
  constexpr int k_events = 200;
  for (int i = 0; i < k_events; ++i) store.insert(make_event(uuid_n(i), 1), [&](bool) { ++(open ? inside : outside); });
  store.close();
  BOOST_TEST(inside == k_events);
  BOOST_TEST(outside == 0);
  BOOST_TEST(before == after);
  BOOST_TEST(before >= 1);
  BOOST_TEST(static_cast<std::uint64_t>(before) == store.batches_committed());
}

BOOST_AUTO_TEST_CASE(a_failing_job_fails_alone) {
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  std::promise<bool> good1, bad, good2;
  // Queue all three before the writer can take them one by one: block it first.
  std::promise<void> release;
  auto gate = release.get_future().share();
  store.submit([gate](sqlite3*) { gate.wait(); return true; }, {});
  store.insert(make_event(uuid_n(1), 1), [&](bool c) { good1.set_value(c); });
  store.submit(
      [](sqlite3* db) -> bool {
        statement st(db, "INSERT INTO events(received_at, day, uuid, event) VALUES(1, 0, 'x', 'y')");
        st.step_done();
        throw std::runtime_error("job fails after writing");
      },
      [&](bool c) { bad.set_value(c); });
  store.insert(make_event(uuid_n(2), 1), [&](bool c) { good2.set_value(c); });
  release.set_value();
  BOOST_TEST(good1.get_future().get());
  BOOST_TEST(!bad.get_future().get());
  BOOST_TEST(good2.get_future().get());
  BOOST_TEST(count_rows(store) == 2);  // the failed job's row was rolled back
}

BOOST_AUTO_TEST_CASE(erase_removes_every_event_of_the_node_only) {
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  for (int i = 0; i < 3; ++i) BOOST_TEST(store.insert_sync(make_event(uuid_n(1), 1'000 + i)));
  BOOST_TEST(store.insert_sync(make_event(uuid_n(2), 1'000)));
  std::promise<std::int64_t> deleted;
  store.erase(uuid_n(1), [&](bool ok, std::int64_t n) { deleted.set_value(ok ? n : -1); });
  BOOST_TEST(deleted.get_future().get() == 3);
  BOOST_TEST(count_rows(store) == 1);
  BOOST_TEST(count_rows(store, "uuid = '" + uuid_n(2) + "'") == 1);
}

BOOST_AUTO_TEST_CASE(erase_reaches_every_day_the_node_reported_on) {
  // Erasure walks the days through the (day, uuid) index: days far apart, gaps, and the other node's days.
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  const std::vector<clock_ms> days = {0, 1, 5, 300, 20'000};
  for (auto d : days) {
    BOOST_TEST(store.insert_sync(make_event(uuid_n(1), d * k_day_ms + 10)));
    BOOST_TEST(store.insert_sync(make_event(uuid_n(1), d * k_day_ms + 20)));
    BOOST_TEST(store.insert_sync(make_event(uuid_n(2), d * k_day_ms + 30)));
  }
  BOOST_TEST(store.insert_sync(make_event(uuid_n(2), 7 * k_day_ms)));  // a day only the other node has
  std::promise<std::int64_t> deleted;
  store.erase(uuid_n(1), [&](bool ok, std::int64_t n) { deleted.set_value(ok ? n : -1); });
  BOOST_TEST(deleted.get_future().get() == 10);
  BOOST_TEST(count_rows(store, "uuid = '" + uuid_n(1) + "'") == 0);
  BOOST_TEST(count_rows(store, "uuid = '" + uuid_n(2) + "'") == 6);
  // Nothing to erase: 0, not a failure.
  std::promise<std::int64_t> again;
  store.erase(uuid_n(1), [&](bool ok, std::int64_t n) { again.set_value(ok ? n : -1); });
  BOOST_TEST(again.get_future().get() == 0);
}

BOOST_AUTO_TEST_CASE(node_events_are_the_newest_of_the_node_oldest_first) {
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  // Days apart and within a day, and the other node's events between them.
  const std::vector<clock_ms> mine = {10, k_day_ms + 5, 3 * k_day_ms, 3 * k_day_ms + 1, 400 * k_day_ms};
  for (auto at : mine) {
    BOOST_TEST(store.insert_sync(make_event(uuid_n(1), at)));
    BOOST_TEST(store.insert_sync(make_event(uuid_n(2), at + 1)));
  }
  auto line = [](clock_ms at) { return export_line(at, json::parse(example_event(uuid_n(1))).as_object()); };
  auto all = store.node_events(uuid_n(1), 5);
  std::string want;
  for (auto at : mine) want += line(at);
  BOOST_TEST(all.ndjson == want);
  BOOST_TEST(all.events == 5u);
  BOOST_TEST(!all.more);  // exactly the limit: nothing left out
  auto newest = store.node_events(uuid_n(1), 2);
  BOOST_TEST(newest.ndjson == line(3 * k_day_ms + 1) + line(400 * k_day_ms));
  BOOST_TEST(newest.events == 2u);
  BOOST_TEST(newest.more);
  auto none = store.node_events(uuid_n(3), 5);
  BOOST_TEST(none.ndjson.empty());
  BOOST_TEST(none.events == 0u);
  BOOST_TEST(!none.more);
}

BOOST_AUTO_TEST_CASE(the_uuid_index_of_earlier_builds_is_dropped) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "c.db").string();
  {
    sqlite_store store(path);
    BOOST_TEST(store.run_sync([](sqlite3* db) {
      statement(db, "CREATE INDEX events_uuid ON events(uuid)").step_done();
      return true;
    }));
  }
  sqlite_store store(path);
  sqlite_connection reader(path, true);
  statement st(reader.get(), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_uuid'");
  BOOST_TEST_REQUIRE(st.step());
  BOOST_TEST(st.int64(0) == 0);
}

BOOST_AUTO_TEST_CASE(close_commits_what_was_queued_and_refuses_later_jobs) {
  test_support::temp_dir dir;
  sqlite_store store((dir.path() / "c.db").string());
  std::atomic<int> committed{0};
  for (int i = 0; i < 50; ++i) store.insert(make_event(uuid_n(i), 1), [&](bool c) { committed += c ? 1 : 0; });
  store.close();
  BOOST_TEST(committed.load() == 50);
  std::promise<bool> late;
  store.insert(make_event(uuid_n(99), 1), [&](bool c) { late.set_value(c); });
  BOOST_TEST(!late.get_future().get());
  BOOST_TEST(count_rows(store) == 50);
}

// The log callback's lines, thread-safe.
struct log_lines {
  std::mutex mutex;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& l) {
      std::lock_guard lock(mutex);
      lines.push_back(l);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return lines.size();
  }
};

BOOST_AUTO_TEST_CASE(a_deleted_database_file_fails_every_later_write_and_is_logged_once) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "c.db").string();
  log_lines log;
  sqlite_store::options opts;
  opts.log = log.sink();
  sqlite_store store(path, opts);
  BOOST_TEST(store.insert_sync(make_event(uuid_n(1), 1)));
  BOOST_TEST(!store.problem());
  std::filesystem::remove(path);
  for (int i = 2; i < 6; ++i) BOOST_TEST(!store.insert_sync(make_event(uuid_n(i), 1)));
  const auto problem = store.problem();
  BOOST_REQUIRE(problem);
  BOOST_TEST(problem->find("deleted") != std::string::npos);
  BOOST_TEST(!store.problem_may_clear());  // only a restart clears it
  BOOST_TEST(log.size() == 1u);
  BOOST_TEST(log.lines.front().find(path) != std::string::npos);
}

// Disk full, played by SQLite's page limit on the writer's connection.
BOOST_AUTO_TEST_CASE(a_full_database_fails_writes_until_a_commit_succeeds) {
  test_support::temp_dir dir;
  log_lines log;
  sqlite_store::options opts;
  opts.log = log.sink();
  sqlite_store store((dir.path() / "c.db").string(), opts);
  BOOST_TEST(store.insert_sync(make_event(uuid_n(1), 1)));
  BOOST_REQUIRE(store.run_sync([](sqlite3* db) {
    statement pages(db, "PRAGMA page_count");
    pages.step();
    const auto n = pages.int64(0);
    pages.reset();
    return sqlite3_exec(db, ("PRAGMA max_page_count = " + std::to_string(n)).c_str(), nullptr, nullptr, nullptr) ==
           SQLITE_OK;
  }));
  bool failed = false;
  for (int i = 2; i < 2000 && !failed; ++i) failed = !store.insert_sync(make_event(uuid_n(i), 1));
  BOOST_REQUIRE(failed);
  const auto problem = store.problem();
  BOOST_REQUIRE(problem);
  BOOST_TEST(problem->find("full") != std::string::npos, *problem);
  BOOST_TEST(store.problem_may_clear());
  BOOST_TEST(!store.insert_sync(make_event(uuid_n(5000), 1)));
  BOOST_TEST(log.size() == 1u);
  BOOST_REQUIRE(store.run_sync([](sqlite3* db) {
    return sqlite3_exec(db, "PRAGMA max_page_count = 1000000", nullptr, nullptr, nullptr) == SQLITE_OK;
  }));
  BOOST_TEST(store.insert_sync(make_event(uuid_n(5001), 1)));
  BOOST_TEST(!store.problem());
  BOOST_TEST(log.size() == 2u);
  BOOST_TEST(log.lines.back().find("storage works again") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unopenable_path_names_the_path) {
  try {
    sqlite_store store("/nonexistent-dir/sub/c.db");
    BOOST_FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent-dir/sub/c.db") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
