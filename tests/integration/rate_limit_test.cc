// Bandwidth limits hold end to end: a download never runs faster than its budget allows (a lower
// bound on time is safe to assert on a loaded machine; accuracy is measured in bench/).
#include "support/content.h"
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace spate::testing {
namespace {

TEST(RateLimitTest, GlobalLimitHoldsAcrossConnectionsAndTheFileIsExact) {
  HttpServer server;
  TempDir dir;
  constexpr std::int64_t kSize = 3'000'000;
  constexpr std::int64_t kRate = 1'000'000;
  server.route("/f.bin", {.size = kSize, .seed = 71});
  Task task{server.url("/f.bin"), dir.path(), "", quick_task_options()};
  task.options.split = 8;
  task.options.min_split_size = std::int64_t{64} * 1024;
  SessionOptions options;
  options.limit_rate = kRate;
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = run_task(task, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(file_sha256(dir.path() / "f.bin"), content_sha256(71, kSize));
  // At most one burst (1/8 s of the rate) plus one buffer (1/16 s) ahead of the budget.
  EXPECT_GE(seconds, static_cast<double>(kSize) / kRate - 0.2);
}

TEST(RateLimitTest, PerDownloadLimitSlowsOnlyThatDownload) {
  HttpServer server;
  TempDir dir;
  server.route("/slow.bin", {.size = 1'500'000, .seed = 72});
  server.route("/fast.bin", {.size = 1'500'000, .seed = 73});
  Task slow{server.url("/slow.bin"), dir.path(), "", quick_task_options()};
  slow.options.max_download_limit = 500'000;
  Task fast{server.url("/fast.bin"), dir.path(), "", quick_task_options()};
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = run_session({slow, fast});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(outcome.finished.size(), 2U);
  EXPECT_EQ(outcome.finished[0].url, server.url("/fast.bin"));  // the unlimited one ends first
  EXPECT_GE(seconds, 1'500'000.0 / 500'000 - 0.2);
  EXPECT_EQ(file_sha256(dir.path() / "slow.bin"), content_sha256(72, 1'500'000));
  EXPECT_EQ(file_sha256(dir.path() / "fast.bin"), content_sha256(73, 1'500'000));
}

}  // namespace
}  // namespace spate::testing
