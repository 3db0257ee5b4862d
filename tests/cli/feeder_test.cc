// The CLI's Feeder: it submits from its own thread, and the main thread waits on it between
// drains of the event queue. Runs a real Session against the local fault server.
#include "feeder.h"

#include "support/http_server.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>

namespace spate::testing {
namespace {

TEST(FeederTest, WaitDoneForWaitsWhileSubmitBlocksAndReturnsOnceTheLastTaskIsIn) {
  // One download at a time, an intake of one, and every response held a second: the feeder is
  // blocked in submit() for seconds, then finishes well before the long wait's timeout.
  HttpServer server;
  TempDir dir;
  cli::CliOptions options;
  for (const char* path : {"/a", "/b", "/c", "/d"}) {
    server.route(path, {.size = 100, .header_delay_ms = 1000});
    options.urls.push_back(server.url(path));
  }
  options.dir = dir.path();
  options.task.split = 1;
  options.session.max_concurrent_downloads = 1;
  options.session.intake_capacity = 1;
  auto session = Session::create(options.session);
  ASSERT_TRUE(session.has_value());
  cli::Feeder feeder(options, **session);

  feeder.wait_done_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(feeder.done()) << "the third submit cannot return before a response ends";

  const auto start = std::chrono::steady_clock::now();
  feeder.wait_done_for(std::chrono::seconds(60));
  EXPECT_TRUE(feeder.done());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
      << "the wait must end when the feeder does, not at its timeout";
  ASSERT_TRUE((*session)->wait_idle_for(std::chrono::seconds(30)));
  EXPECT_EQ(server.requests_for("/d").size(), 1U);
}

TEST(FeederTest, WaitDoneForReturnsAtOnceWhenThereIsNothingToFeed) {
  cli::CliOptions options;
  auto session = Session::create(options.session);
  ASSERT_TRUE(session.has_value());
  cli::Feeder feeder(options, **session);
  const auto start = std::chrono::steady_clock::now();
  feeder.wait_done_for(std::chrono::seconds(60));
  EXPECT_TRUE(feeder.done());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_TRUE((*session)->idle());
}

}  // namespace
}  // namespace spate::testing
