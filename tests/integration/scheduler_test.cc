// Many downloads at once: the caps (downloads in flight, connections in total and per host) are
// never exceeded, as counted by the server, and they are used; every failure is collected.
#include "support/content.h"
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <sys/resource.h>
#include <thread>

namespace spate::testing {
namespace {

Task small_task(const HttpServer& server, const std::string& path, const TempDir& dir) {
  Task t{server.url(path), dir.path(), "", quick_task_options()};
  t.options.split = 1;
  return t;
}

// Routes PREFIX0 ... PREFIX<count - 1> as `plan` says, with seed i for path i, and returns their
// tasks.
std::vector<Task> routed_tasks(HttpServer& server, const TempDir& dir, const std::string& prefix,
                               int count, FaultPlan plan) {
  std::vector<Task> tasks;
  for (int i = 0; i < count; ++i) {
    const std::string path = prefix + std::to_string(i);
    plan.seed = static_cast<std::uint64_t>(i);
    server.route(path, plan);
    tasks.push_back(small_task(server, path, dir));
  }
  return tasks;
}

TEST(SchedulerTest, DownloadsInFlightAreCappedAndUsed) {
  HttpServer server;
  TempDir dir;
  const std::vector<Task> tasks =
      routed_tasks(server, dir, "/f", 12, {.size = 200'000, .throttle_bps = 1'000'000});
  SessionOptions options;
  options.max_concurrent_downloads = 3;
  const auto outcome = run_session(tasks, options);
  ASSERT_EQ(outcome.finished.size(), 12U);
  EXPECT_EQ(server.max_concurrent_requests(), 3);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(file_sha256(dir.path() / ("f" + std::to_string(i))),
              content_sha256(static_cast<std::uint64_t>(i), 200'000));
  }
}

TEST(SchedulerTest, OverallConnectionsAreCappedAndUsed) {
  HttpServer server;
  TempDir dir;
  std::vector<Task> tasks;
  for (int i = 0; i < 3; ++i) {
    const std::string path = "/big" + std::to_string(i);
    server.route(
        path,
        {.size = 4'000'000, .seed = static_cast<std::uint64_t>(10 + i), .throttle_bps = 2'000'000});
    Task t{server.url(path), dir.path(), "", quick_task_options()};
    t.options.split = 8;
    t.options.min_split_size = std::int64_t{64} * 1024;
    tasks.push_back(t);
  }
  SessionOptions options;
  options.max_overall_connections = 6;
  options.max_connections_per_host = 100;
  const auto outcome = run_session(tasks, options);
  ASSERT_EQ(outcome.finished.size(), 3U);
  EXPECT_LE(server.max_concurrent_requests(), 6);
  EXPECT_GE(server.max_concurrent_requests(), 5);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(file_sha256(dir.path() / ("big" + std::to_string(i))),
              content_sha256(static_cast<std::uint64_t>(10 + i), 4'000'000));
  }
}

TEST(SchedulerTest, ConnectionsPerHostAreCappedAcrossDownloads) {
  HttpServer a;  // reached as 127.0.0.1
  HttpServer b;  // reached as localhost: another host name, so its own cap
  TempDir dir;
  std::vector<Task> tasks;
  for (int i = 0; i < 4; ++i) {
    const std::string path = "/f" + std::to_string(i);
    a.route(path, {.size = 2'000'000, .seed = 1, .throttle_bps = 2'000'000});
    b.route(path, {.size = 2'000'000, .seed = 2, .throttle_bps = 2'000'000});
    Task ta{a.url(path), dir.path() / "a", "", quick_task_options()};
    Task tb{"http://localhost:" + std::to_string(b.port()) + path, dir.path() / "b", "",
            quick_task_options()};
    ta.options.min_split_size = tb.options.min_split_size = std::int64_t{64} * 1024;
    tasks.push_back(ta);
    tasks.push_back(tb);
  }
  SessionOptions options;
  options.max_concurrent_downloads = 8;
  options.max_connections_per_host = 3;
  const auto outcome = run_session(tasks, options);
  ASSERT_EQ(outcome.finished.size(), 8U);
  EXPECT_LE(a.max_concurrent_requests(), 3);
  EXPECT_LE(b.max_concurrent_requests(), 3);
  EXPECT_EQ(a.max_concurrent_requests(), 3);  // the cap is used
}

TEST(SchedulerTest, SmallFilesKeepFlowingWhileABigFileSplits) {
  HttpServer server;
  TempDir dir;
  server.route("/big", {.size = 6'000'000, .seed = 3, .throttle_bps = 1'000'000});
  std::vector<Task> tasks;
  Task big{server.url("/big"), dir.path(), "", quick_task_options()};
  big.options.split = 16;
  big.options.min_split_size = std::int64_t{64} * 1024;
  tasks.push_back(big);
  for (int i = 0; i < 8; ++i) {
    const std::string path = "/small" + std::to_string(i);
    server.route(path, {.size = 20'000, .seed = static_cast<std::uint64_t>(20 + i)});
    tasks.push_back(small_task(server, path, dir));
  }
  SessionOptions options;
  options.max_overall_connections = 8;
  options.max_connections_per_host = 8;
  options.max_concurrent_downloads = 4;
  const auto outcome = run_session(tasks, options);
  ASSERT_EQ(outcome.finished.size(), 9U);
  EXPECT_LE(server.max_concurrent_requests(), 8);
  // The big file is throttled to ~1 s per connection-second; every small file finished first.
  EXPECT_EQ(outcome.finished.back().url, server.url("/big"));
  EXPECT_GE(server.max_concurrent_requests("/big"), 4);  // and it did split meanwhile
}

TEST(SchedulerTest, EveryFailureIsCollectedAndTheRestCompletes) {
  HttpServer server;
  TempDir dir;
  server.route("/good1", {.size = 10'000, .seed = 1});
  server.route("/good2", {.size = 20'000, .seed = 2});
  server.route("/broken", {.size = 10, .status = 500});
  std::vector<Task> tasks = {small_task(server, "/good1", dir), small_task(server, "/missing", dir),
                             small_task(server, "/broken", dir), small_task(server, "/good2", dir)};
  tasks[2].options.max_tries = 2;
  const auto outcome = run_session(tasks);
  ASSERT_EQ(outcome.finished.size(), 2U);
  ASSERT_EQ(outcome.failed.size(), 2U);
  EXPECT_EQ(file_sha256(dir.path() / "good1"), content_sha256(1, 10'000));
  EXPECT_EQ(file_sha256(dir.path() / "good2"), content_sha256(2, 20'000));
  for (const auto& failed : outcome.failed) {
    if (failed.url == server.url("/missing")) {
      EXPECT_EQ(failed.error.http_status, 404);
      EXPECT_EQ(failed.attempts, 1);
    } else {
      EXPECT_EQ(failed.url, server.url("/broken"));
      EXPECT_EQ(failed.error.http_status, 500);
      EXPECT_EQ(failed.attempts, 2);
    }
  }
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"good1", "good2"}));
}

TEST(SchedulerTest, TerminalEventsAreNeverDroppedWhenTheQueueIsSmall) {
  HttpServer server;
  TempDir dir;
  server.route("/f", {.size = 100, .seed = 1});
  SessionOptions options;
  options.event_capacity = 8;
  options.intake_capacity = 4;
  options.max_concurrent_downloads = 16;
  std::vector<Task> tasks;
  for (int i = 0; i < 300; ++i) {
    Task t = small_task(server, "/f", dir);
    t.out = "f" + std::to_string(i);
    tasks.push_back(t);
  }
  const auto outcome = run_session(tasks, options);
  EXPECT_EQ(outcome.finished.size(), 300U);
  EXPECT_TRUE(outcome.failed.empty());
  EXPECT_EQ(dir.list_files().size(), 300U);
}

TEST(SchedulerTest, WaitIdleForEndsWithTheLastTaskAndClosingWakesTheEventWaiter) {
  HttpServer server;
  TempDir dir;
  server.route("/slow", {.size = 1000, .seed = 2, .header_delay_ms = 300});
  auto session = Session::create(SessionOptions{});
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE((*session)->submit(small_task(server, "/slow", dir)).has_value());
  (*session)->close();
  // The task needs at least 300 ms: a short wait times out, a long one ends with the task.
  EXPECT_FALSE((*session)->wait_idle_for(std::chrono::milliseconds(50)));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(file_sha256(dir.path() / "slow"), content_sha256(2, 1000));

  // A session closed with nothing to do wakes a consumer waiting for events at once.
  auto empty = Session::create(SessionOptions{});
  ASSERT_TRUE(empty.has_value());
  (*empty)->close();
  const auto waited_from = std::chrono::steady_clock::now();
  (*empty)->wait_for_event(std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - waited_from, std::chrono::seconds(20));
  EXPECT_TRUE((*empty)->idle());
}

TEST(SchedulerTest, PlainHttpDownloadsStartTogetherWithoutWaitingForTheFirstResponse) {
  // Every response is held 500 ms: had the later downloads waited to learn whether the first
  // connection multiplexes (HTTP/2 cannot happen over plain http), they would start once the
  // first response ended, and the server would never see all four at once.
  HttpServer server;
  TempDir dir;
  const std::vector<Task> tasks =
      routed_tasks(server, dir, "/w", 4, {.size = 10, .header_delay_ms = 500});
  SessionOptions options;
  options.max_concurrent_downloads = 4;
  options.max_connections_per_host = 4;
  const auto outcome = run_session(tasks, options);
  ASSERT_EQ(outcome.finished.size(), 4U);
  EXPECT_EQ(server.max_concurrent_requests(), 4);
  EXPECT_EQ(server.connections_accepted(), 4);
}

TEST(SchedulerTest, KeptAliveConnectionsOutlastAQuietMomentAndAreReused) {
  // Sixteen held responses open sixteen connections. The last three finish while fewer than
  // four transfers run, when libcurl's default cache size (four connections per running
  // transfer) would close idle ones; sixteen more downloads would then open new connections.
  HttpServer server;
  TempDir dir;
  const FaultPlan held{.size = 1000, .header_delay_ms = 300};
  const std::vector<Task> first = routed_tasks(server, dir, "/a", 16, held);
  const std::vector<Task> second = routed_tasks(server, dir, "/b", 16, held);
  SessionOptions options;
  options.max_concurrent_downloads = 16;
  options.max_connections_per_host = 16;
  auto session = Session::create(options);
  ASSERT_TRUE(session.has_value());
  for (const auto& batch : {first, second}) {
    for (const auto& task : batch) ASSERT_TRUE((*session)->submit(task).has_value());
    ASSERT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));
    EXPECT_EQ(server.max_concurrent_requests(), 16);
  }
  EXPECT_EQ(dir.list_files().size(), 32U);
  EXPECT_EQ(server.connections_accepted(), 16);
}

// CPU seconds this process used so far (every thread).
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

TEST(SchedulerTest, AnIdleConnectionTheServerClosesIsLeftAloneAndNotReused) {
  // The loop keeps a kept-alive socket in its epoll set while it idles. When the server closes
  // it, the socket becomes readable for good: the loop must drop it, not spin on it, and the
  // next download must go over a new connection.
  HttpServer server;
  server.close_idle_after(std::chrono::milliseconds(50));
  TempDir dir;
  server.route("/a", {.size = 20'000, .seed = 1});
  server.route("/b", {.size = 30'000, .seed = 2});
  auto session = Session::create(SessionOptions{});
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE((*session)->submit(small_task(server, "/a", dir)).has_value());
  ASSERT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));

  // The server closes the idle connection after 50 ms; a loop woken by it for good would burn
  // a core for the rest of the wait.
  const double cpu_before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const double cpu_spent = process_cpu_seconds() - cpu_before;
  EXPECT_LT(cpu_spent, 0.3);

  ASSERT_TRUE((*session)->submit(small_task(server, "/b", dir)).has_value());
  (*session)->close();
  ASSERT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));
  EXPECT_EQ(file_sha256(dir.path() / "a"), content_sha256(1, 20'000));
  EXPECT_EQ(file_sha256(dir.path() / "b"), content_sha256(2, 30'000));
  EXPECT_EQ(server.connections_accepted(), 2);
}

}  // namespace
}  // namespace spate::testing
