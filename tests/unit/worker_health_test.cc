#include "core/worker_health.h"

#include <gtest/gtest.h>

namespace spate::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

HealthPolicy policy() {
  HealthPolicy p;
  p.stall_timeout = seconds(5);
  p.slow_grace = seconds(3);
  p.slow_fraction = 0.2;
  p.min_split = 1000;
  return p;
}

WorkerHealth worker(WorkerId id, double rate, std::int64_t remaining = 100'000,
                    milliseconds silent = milliseconds(0), milliseconds running = seconds(10)) {
  return {id, rate, remaining, silent, running};
}

TEST(WorkerHealthTest, HealthyWorkersAreLeftAlone) {
  const std::vector<WorkerHealth> workers = {worker(0, 1e6), worker(1, 9e5), worker(2, 1.1e6)};
  const auto verdict = judge_workers(workers, policy(), true, 1e6);
  EXPECT_TRUE(verdict.stalled.empty());
  EXPECT_FALSE(verdict.slowest);
}

TEST(WorkerHealthTest, SilentForTheStallTimeoutIsStalled) {
  const std::vector<WorkerHealth> workers = {worker(0, 0, 5000, seconds(5)),
                                             worker(1, 1e6, 5000, seconds(4))};
  const auto verdict = judge_workers(workers, policy(), false, 0);
  EXPECT_EQ(verdict.stalled, std::vector<WorkerId>{0});
}

TEST(WorkerHealthTest, FinishedWorkerIsNeverStalled) {
  const std::vector<WorkerHealth> workers = {worker(0, 0, 0, seconds(60))};
  EXPECT_TRUE(judge_workers(workers, policy(), true, 1e6).stalled.empty());
}

TEST(WorkerHealthTest, CrawlerIsReplacedOnlyWithASpareConnection) {
  const std::vector<WorkerHealth> workers = {worker(0, 1e6), worker(1, 1e5), worker(2, 1e6)};
  EXPECT_FALSE(judge_workers(workers, policy(), false, 1e6).slowest);
  const auto verdict = judge_workers(workers, policy(), true, 1e6);
  ASSERT_TRUE(verdict.slowest);
  EXPECT_EQ(*verdict.slowest, 1U);
}

TEST(WorkerHealthTest, SlowButNotFarBehindIsKept) {
  const std::vector<WorkerHealth> workers = {worker(0, 1e6), worker(1, 3e5)};  // 30 % > 20 %
  EXPECT_FALSE(judge_workers(workers, policy(), true, 1e6).slowest);
}

TEST(WorkerHealthTest, GraceAndSmallRemaindersAreRespected) {
  const std::vector<WorkerHealth> young = {worker(0, 1e6),
                                           worker(1, 1e3, 100'000, milliseconds(0), seconds(1))};
  EXPECT_FALSE(judge_workers(young, policy(), true, 1e6).slowest);
  const std::vector<WorkerHealth> nearly_done = {worker(0, 1e6), worker(1, 1e3, 999)};
  EXPECT_FALSE(judge_workers(nearly_done, policy(), true, 1e6).slowest);
}

TEST(WorkerHealthTest, LoneCrawlerIsJudgedAgainstTheBestRateSeen) {
  const std::vector<WorkerHealth> alone = {worker(0, 1e5)};
  ASSERT_TRUE(judge_workers(alone, policy(), true, 1e6).slowest);
  EXPECT_FALSE(judge_workers(alone, policy(), true, 2e5).slowest);
}

TEST(WorkerHealthTest, LowestSpeedLimitDropsSlowConnectionsAfterTheGrace) {
  HealthPolicy p = policy();
  p.lowest_speed = 50'000;
  const std::vector<WorkerHealth> workers = {
      worker(0, 40'000),                                        // too slow
      worker(1, 60'000),                                        // fine
      worker(2, 10'000, 100'000, milliseconds(0), seconds(1)),  // still in its grace
      worker(3, 0, 0)};                                         // finished
  const auto verdict = judge_workers(workers, p, false, 0);
  EXPECT_EQ(verdict.too_slow, std::vector<WorkerId>{0});
}

}  // namespace
}  // namespace spate::core
