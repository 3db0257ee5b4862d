// Thousands of downloads, many failing in different ways, release every descriptor: the count
// of open file descriptors (/proc/self/fd) returns to where it was. (Memory leaks are the
// sanitizer runs' job: scripts/test runs this suite under LeakSanitizer too.)
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <thread>

namespace spate::testing {
namespace {

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

TEST(LeakTest, ThousandsOfDownloadsWithFailuresLeaveNoDescriptorOpen) {
  HttpServer server;
  TempDir dir;
  server.route("/ok", {.size = 2000, .seed = 1});
  server.route("/reset", {.size = 200'000, .seed = 2, .reset_after_bytes = 1000});
  server.route("/busy", {.size = 10, .status = 503, .retry_after = "0"});
  std::string refused;
  {
    HttpServer gone;
    refused = gone.url("/x");
  }
  const std::size_t before = open_descriptors();
  {
    std::vector<Task> tasks;
    for (int i = 0; i < 2000; ++i) {
      static constexpr const char* kPaths[] = {"/ok", "/missing", "/reset", "/busy", ""};
      const char* path = kPaths[i % 5];
      Task task{*path == '\0' ? refused : server.url(path), dir.path(), "", quick_task_options()};
      task.out = "f" + std::to_string(i);
      task.options.max_tries = 2;
      task.options.retry_wait = std::chrono::milliseconds(1);
      task.options.split = 2;
      task.options.min_split_size = std::int64_t{16} * 1024;
      tasks.push_back(std::move(task));
    }
    SessionOptions options;
    options.max_concurrent_downloads = 32;
    const auto outcome = run_session(tasks, options, std::chrono::seconds(120));
    EXPECT_FALSE(outcome.timed_out);
    EXPECT_EQ(outcome.finished.size(), 400U);
    EXPECT_EQ(outcome.failed.size(), 1600U);
  }
  // The server's connection threads close their ends as they notice the clients left.
  std::size_t after = open_descriptors();
  for (int i = 0; i < 200 && after > before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    after = open_descriptors();
  }
  EXPECT_EQ(after, before);
  // 400 complete files; the 400 cut downloads keep NAME.part + NAME.part.spate for a rerun;
  // the final failures (404, 503 to the end, refused) left nothing behind.
  EXPECT_EQ(dir.list_files().size(), 400U + 2 * 400U);
}

}  // namespace
}  // namespace spate::testing
