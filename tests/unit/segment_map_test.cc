#include "core/segment_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace spate::core {

// Readable failure messages for ranges (found by gtest through ADL).
// NOLINTNEXTLINE(readability-identifier-naming): gtest looks PrintTo up by name
void PrintTo(const ByteRange& r, std::ostream* os) { *os << "[" << r.begin << "," << r.end << ")"; }

namespace {

using Ranges = std::vector<ByteRange>;

::testing::AssertionResult valid(const SegmentMap& map) {
  const std::string problem = map.check_invariants();
  if (problem.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << problem << "  map: " << map.render(1);
}

// Hands every free chunk to workers 0, 1, 2, ... and returns the chunks in the order received.
Ranges assign_all(SegmentMap& map, std::int64_t min_split) {
  Ranges got;
  for (WorkerId w = 0; map.free_chunks() > 0 && w < 1000; ++w) {
    const std::optional<ByteRange> r = map.assign(w, min_split);
    if (!r) break;
    got.push_back(*r);
  }
  return got;
}

TEST(ByteRangeTest, HalfOpen) {
  EXPECT_EQ((ByteRange{3, 7}.size()), 4);
  EXPECT_FALSE((ByteRange{3, 7}.empty()));
  EXPECT_TRUE((ByteRange{5, 5}.empty()));
  EXPECT_EQ((ByteRange{5, 5}.size()), 0);
  EXPECT_TRUE((ByteRange{3, 7}.contains(3)));
  EXPECT_FALSE((ByteRange{3, 7}.contains(7)));
  EXPECT_EQ((ByteRange{1, 2}), (ByteRange{1, 2}));
  EXPECT_NE((ByteRange{1, 2}), (ByteRange{1, 3}));
}

struct PlanCase {
  std::int64_t size;
  int count;
  std::int64_t min_split;
  std::vector<std::int64_t> chunk_sizes;  // in offset order
};

TEST(SegmentMapTest, PlanCutsNearEqualChunks) {
  const std::vector<PlanCase> cases = {
      {100, 4, 1, {25, 25, 25, 25}},
      {10, 3, 1, {4, 3, 3}},
      {10, 4, 3, {4, 3, 3}},       // min_split 3 allows only three chunks
      {100, 8, 30, {34, 33, 33}},  // 100 / 30 = 3 chunks
      {100, 8, 200, {100}},        // min_split > size: one chunk
      {100, 8, 100, {100}},
      {100, 8, 50, {50, 50}},
      {7, 8, 1, {1, 1, 1, 1, 1, 1, 1}},  // fewer bytes than workers
      {1, 4, 1, {1}},
      {100, 0, 1, {100}},         // count < 1 behaves as 1
      {100, 3, 0, {34, 33, 33}},  // min_split < 1 behaves as 1
      {11, 4, 1, {3, 3, 3, 2}},
  };
  for (const PlanCase& c : cases) {
    SCOPED_TRACE("size " + std::to_string(c.size) + " count " + std::to_string(c.count) +
                 " min_split " + std::to_string(c.min_split));
    SegmentMap map(c.size);
    map.plan(c.count, c.min_split);
    ASSERT_TRUE(valid(map));
    EXPECT_EQ(map.free_chunks(), c.chunk_sizes.size());
    EXPECT_EQ(map.free_ranges(), (Ranges{{0, c.size}}));  // merged for reporting
    const Ranges got = assign_all(map, c.min_split);
    std::vector<std::int64_t> sizes;
    std::int64_t at = 0;
    for (const ByteRange& r : got) {
      EXPECT_EQ(r.begin, at) << "chunks handed out lowest offset first, contiguously";
      at = r.end;
      sizes.push_back(r.size());
    }
    EXPECT_EQ(sizes, c.chunk_sizes);
    EXPECT_TRUE(valid(map));
  }
}

TEST(SegmentMapTest, PlanLargeSizesDifferByAtMostOneByte) {
  for (const std::int64_t size :
       {std::int64_t{1000003}, std::int64_t{1} << 40, (std::int64_t{1} << 40) + 5}) {
    for (const int count : {1, 2, 7, 16, 256}) {
      SegmentMap map(size);
      map.plan(count, 1 << 10);
      ASSERT_TRUE(valid(map));
      const Ranges got = assign_all(map, 1 << 10);
      ASSERT_EQ(got.size(), static_cast<std::size_t>(count));
      std::int64_t smallest = size;
      std::int64_t largest = 0;
      for (const ByteRange& r : got) {
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
      }
      EXPECT_LE(largest - smallest, 1) << size << " / " << count;
      EXPECT_GE(smallest, 1 << 10);
    }
  }
}

TEST(SegmentMapTest, WithoutPlanTheWholeFileIsOneChunk) {
  SegmentMap map(10);
  EXPECT_EQ(map.free_chunks(), 1u);
  EXPECT_EQ(map.assign(0, 1), (ByteRange{0, 10}));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, ZeroSizeFileIsCompleteImmediately) {
  SegmentMap map(0);
  EXPECT_TRUE(map.complete());
  EXPECT_EQ(map.done_bytes(), 0);
  map.plan(8, 1);
  EXPECT_EQ(map.assign(0, 1), std::nullopt);
  EXPECT_EQ(map.free_chunks(), 0u);
  EXPECT_TRUE(map.done_ranges().empty());
  EXPECT_TRUE(map.free_ranges().empty());
  EXPECT_TRUE(map.workers().empty());
  EXPECT_EQ(map.render(1), "");
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, RenderShowsDoneFreeAndOwners) {
  SegmentMap map(10);
  map.plan(2, 1);
  EXPECT_EQ(map.render(1), "..........");
  EXPECT_EQ(map.assign(0, 1), (ByteRange{0, 5}));
  EXPECT_EQ(map.render(1), "00000.....");
  EXPECT_EQ(map.advance(0, 2), 2);
  EXPECT_EQ(map.render(1), "##000.....");
  EXPECT_EQ(map.assign(1, 1), (ByteRange{5, 10}));
  EXPECT_EQ(map.render(1), "##00011111");
  EXPECT_EQ(map.render(5), "#1");    // one char per 5 bytes: the state of its first byte
  EXPECT_EQ(map.render(3), "#011");  // bytes 0, 3, 6, 9
  EXPECT_TRUE(valid(map));

  SegmentMap letters(40);
  letters.plan(4, 1);
  EXPECT_TRUE(letters.assign(35, 1).has_value());
  EXPECT_TRUE(letters.assign(10, 1).has_value());
  EXPECT_TRUE(letters.assign(36, 1).has_value());
  EXPECT_EQ(letters.render(10), "za*.");
}

TEST(SegmentMapTest, AssignHandsOutLowestChunkThenSteals) {
  SegmentMap map(100);
  map.plan(2, 1);
  EXPECT_EQ(map.assign(0, 1), (ByteRange{0, 50}));
  EXPECT_EQ(map.assign(1, 1), (ByteRange{50, 100}));
  EXPECT_EQ(map.advance(0, 10), 10);  // worker 0 has 40 left
  EXPECT_EQ(map.advance(1, 30), 30);  // worker 1 has 20 left
  // The largest remainder is worker 0's [10, 50): split at its midpoint 30.
  EXPECT_EQ(map.assign(2, 5), (ByteRange{30, 50}));
  EXPECT_EQ(map.end(0), 30);
  EXPECT_EQ(map.position(0), 10);
  EXPECT_EQ(map.remaining(0), 20);
  EXPECT_EQ(map.render(5), "##00002222######1111");
  EXPECT_TRUE(valid(map));
  // Now worker 0, 1 and 2 each have 20 left: ties go to the lowest offset.
  EXPECT_EQ(map.assign(3, 5), (ByteRange{20, 30}));
  EXPECT_EQ(map.end(0), 20);
  EXPECT_EQ(map.render(5), "##00332222######1111");
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, StealRoundsTheMidpointUp) {
  SegmentMap map(41);
  map.plan(1, 1);
  EXPECT_EQ(map.assign(0, 1), (ByteRange{0, 41}));
  // 41 remaining: the running worker keeps 21, the thief gets 20.
  EXPECT_EQ(map.assign(1, 10), (ByteRange{21, 41}));
  EXPECT_EQ(map.end(0), 21);
  EXPECT_TRUE(valid(map));
}

struct StealCase {
  std::int64_t remaining;
  std::int64_t min_split;
  std::optional<ByteRange> stolen;
};

TEST(SegmentMapTest, NoStealBelowTwiceMinSplit) {
  const std::vector<StealCase> cases = {
      {19, 10, std::nullopt},
      {20, 10, ByteRange{10, 20}},
      {21, 10, ByteRange{11, 21}},
      {1, 1, std::nullopt},
      {2, 1, ByteRange{1, 2}},
      {2, 0, ByteRange{1, 2}},  // min_split < 1 behaves as 1: never an empty steal
      {1, 0, std::nullopt},
      {1000, std::numeric_limits<std::int64_t>::max(), std::nullopt},  // no overflow
  };
  for (const StealCase& c : cases) {
    SCOPED_TRACE("remaining " + std::to_string(c.remaining) + " min_split " +
                 std::to_string(c.min_split));
    SegmentMap map(c.remaining);
    ASSERT_EQ(map.assign(0, c.min_split), (ByteRange{0, c.remaining}));
    EXPECT_EQ(map.assign(1, c.min_split), c.stolen);
    EXPECT_EQ(map.end(0), c.stolen ? c.stolen->begin : c.remaining);
    EXPECT_EQ(map.owns_remaining(1), c.stolen.has_value());
    EXPECT_TRUE(valid(map));
  }
}

TEST(SegmentMapTest, NoStealOfARemainderBelowMinSteal) {
  SegmentMap map(100);
  map.plan(2, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 50}));
  ASSERT_EQ(map.assign(1, 1), (ByteRange{50, 100}));
  EXPECT_EQ(map.advance(1, 20), 20);  // remainders: 50 and 30
  EXPECT_EQ(map.assign(2, 1, 51), std::nullopt);
  EXPECT_EQ(map.end(0), 50);
  // 50 is enough: the largest remainder is split; the smaller one is not a candidate.
  EXPECT_EQ(map.assign(2, 1, 50), (ByteRange{25, 50}));
  EXPECT_EQ(map.assign(3, 1, 31), std::nullopt);
  EXPECT_EQ(map.assign(3, 1, 30), (ByteRange{85, 100}));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, AdvanceClipsAtAShrunkEnd) {
  SegmentMap map(100);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 100}));
  EXPECT_EQ(map.advance(0, 20), 20);
  ASSERT_EQ(map.assign(1, 10), (ByteRange{60, 100}));
  // Worker 0's transfer still delivers data up to its old end; only up to 60 is kept.
  EXPECT_EQ(map.advance(0, 30), 30);
  EXPECT_EQ(map.advance(0, 25), 10);
  EXPECT_EQ(map.position(0), 60);
  EXPECT_FALSE(map.owns_remaining(0));
  EXPECT_EQ(map.advance(0, 5), 0);
  EXPECT_EQ(map.done_bytes(), 60);
  EXPECT_EQ(map.render(10), "######1111");
  EXPECT_EQ(map.active_workers(), 1u);
  EXPECT_EQ(map.workers(), (std::vector<WorkerId>{0, 1}));
  map.release(0);  // pos == end: nothing becomes free
  EXPECT_TRUE(map.free_ranges().empty());
  EXPECT_EQ(map.workers(), (std::vector<WorkerId>{1}));
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 60}}));
  EXPECT_TRUE(valid(map));
  EXPECT_EQ(map.advance(1, 1000), 40);
  EXPECT_TRUE(map.complete());
  map.release(1);
  EXPECT_TRUE(map.complete());
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 100}}));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, AdvanceIgnoresUnknownWorkersAndNonPositiveCounts) {
  SegmentMap map(10);
  EXPECT_EQ(map.advance(7, 5), 0);
  ASSERT_TRUE(map.assign(0, 1).has_value());
  EXPECT_EQ(map.advance(0, 0), 0);
  EXPECT_EQ(map.advance(0, -3), 0);
  EXPECT_EQ(map.done_bytes(), 0);
  EXPECT_EQ(map.position(7), 0);
  EXPECT_EQ(map.end(7), 0);
  EXPECT_EQ(map.remaining(7), 0);
  EXPECT_FALSE(map.owns_remaining(7));
  map.release(7);  // no-op
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, TakeOverMovesTheWholeRemainder) {
  SegmentMap map(100);
  map.plan(2, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 50}));
  ASSERT_EQ(map.assign(1, 1), (ByteRange{50, 100}));
  EXPECT_EQ(map.advance(0, 15), 15);

  EXPECT_EQ(map.take_over(0, 0), std::nullopt);  // a worker cannot take over itself
  EXPECT_EQ(map.take_over(0, 1), std::nullopt);  // the thief still owns bytes
  EXPECT_EQ(map.take_over(9, 2), std::nullopt);  // unknown victim
  EXPECT_TRUE(valid(map));

  EXPECT_EQ(map.take_over(0, 2), (ByteRange{15, 50}));
  EXPECT_EQ(map.end(0), 15);
  EXPECT_FALSE(map.owns_remaining(0));
  EXPECT_EQ(map.advance(0, 10), 0);              // the stalled transfer woke up: drop its data
  EXPECT_EQ(map.take_over(0, 3), std::nullopt);  // nothing left to take
  EXPECT_EQ(map.render(5), "###" + std::string(7, '2') + std::string(10, '1'));
  EXPECT_TRUE(valid(map));
  map.release(0);
  EXPECT_TRUE(map.free_ranges().empty());
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 15}}));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, ReleaseReturnsTheRestForAnotherWorker) {
  SegmentMap map(30);
  map.plan(3, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 10}));
  ASSERT_EQ(map.assign(1, 1), (ByteRange{10, 20}));
  EXPECT_EQ(map.advance(1, 4), 4);
  map.release(1);  // failed mid-range
  EXPECT_EQ(map.render(1), std::string(10, '0') + "####" + std::string(16, '.'));
  EXPECT_EQ(map.free_ranges(), (Ranges{{14, 30}}));  // merged for reporting
  EXPECT_EQ(map.free_chunks(), 2u);                  // but still two chunks
  EXPECT_EQ(map.done_ranges(), (Ranges{{10, 14}}));
  EXPECT_TRUE(valid(map));
  // The lowest free chunk is the released rest, handed out whole.
  EXPECT_EQ(map.assign(5, 1), (ByteRange{14, 20}));
  EXPECT_EQ(map.assign(6, 1), (ByteRange{20, 30}));
  EXPECT_EQ(map.render(1), std::string(10, '0') + "####555555" + std::string(10, '6'));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, ReleasedAdjacentChunksAreNotMergedForAssign) {
  SegmentMap map(20);
  map.plan(2, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 10}));
  map.release(0);  // cancelled before any byte
  EXPECT_EQ(map.free_ranges(), (Ranges{{0, 20}}));
  EXPECT_EQ(map.free_chunks(), 2u);
  EXPECT_EQ(map.assign(1, 1), (ByteRange{0, 10}));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, AssignRequiresAnIdleWorker) {
  SegmentMap map(20);
  map.plan(2, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 10}));
  EXPECT_EQ(map.assign(0, 1), std::nullopt);  // still owns [0, 10)
  EXPECT_EQ(map.free_chunks(), 1u);
  EXPECT_EQ(map.advance(0, 10), 10);
  // Finished but not released: assign() releases it first.
  EXPECT_EQ(map.assign(0, 1), (ByteRange{10, 20}));
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 10}}));
  EXPECT_EQ(map.position(0), 10);
  EXPECT_TRUE(valid(map));
  EXPECT_EQ(map.advance(0, 10), 10);
  EXPECT_TRUE(map.complete());
  EXPECT_EQ(map.assign(1, 1), std::nullopt);
  EXPECT_EQ(map.assign(0, 1), std::nullopt);
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, ResumePlansOnlyTheHoles) {
  SegmentMap map(100);
  map.mark_done({0, 10});
  map.mark_done({30, 40});
  EXPECT_EQ(map.done_bytes(), 20);
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 10}, {30, 40}}));
  EXPECT_EQ(map.free_ranges(), (Ranges{{10, 30}, {40, 100}}));
  map.plan(4, 1);
  ASSERT_TRUE(valid(map));
  EXPECT_EQ(assign_all(map, 1), (Ranges{{10, 30}, {40, 60}, {60, 80}, {80, 100}}));
  EXPECT_EQ(map.render(10), "#00#112233");
  for (WorkerId w = 0; w < 4; ++w) EXPECT_GT(map.advance(w, 1000), 0);
  EXPECT_TRUE(map.complete());
  for (WorkerId w = 0; w < 4; ++w) map.release(w);
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 100}}));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, ResumeWithMoreHolesThanWorkers) {
  SegmentMap map(50);
  for (std::int64_t b = 0; b < 50; b += 10) map.mark_done({b, b + 5});  // holes of 5 bytes
  map.plan(2, 1);
  EXPECT_EQ(map.free_chunks(), 5u);  // one per hole; chunks never span a done range
  EXPECT_EQ(map.render(5), "#.#.#.#.#.");
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, MarkDoneClipsAndNeverCountsTwice) {
  SegmentMap map(100);
  map.mark_done({-10, 5});
  map.mark_done({95, 200});
  map.mark_done({3, 12});  // overlaps the first one
  map.mark_done({12, 12});
  map.mark_done({50, 40});  // inverted: empty
  EXPECT_EQ(map.done_bytes(), 17);
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 12}, {95, 100}}));
  EXPECT_TRUE(valid(map));
  map.plan(1, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{12, 95}));
  map.mark_done({20, 30});  // owned bytes are left alone
  EXPECT_EQ(map.done_bytes(), 17);
  EXPECT_TRUE(valid(map));
  map.mark_done({0, 100});
  EXPECT_EQ(map.done_bytes(), 17);
}

TEST(SegmentMapTest, FullyRestoredFileIsComplete) {
  SegmentMap map(64);
  map.mark_done({0, 32});
  map.mark_done({32, 64});
  EXPECT_TRUE(map.complete());
  EXPECT_EQ(map.done_ranges(), (Ranges{{0, 64}}));
  map.plan(8, 1);
  EXPECT_EQ(map.assign(0, 1), std::nullopt);
  EXPECT_TRUE(valid(map));
}

// 16 workers download a small file with random buffer sizes, random failures (release mid-range),
// steals and take-overs. Every byte must be written exactly once and the download must finish.
TEST(SegmentMapTest, ExtendContinuesIntoTheFreeChunkThatFollows) {
  SegmentMap map(300);
  map.plan(3, 1);  // [0,100) [100,200) [200,300)
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 100}));
  EXPECT_EQ(map.free_run_end(100), 300);  // the two free chunks after it
  EXPECT_EQ(map.free_run_end(0), 0);      // owned, not free
  EXPECT_FALSE(map.extend(0));            // still owns [0, 100)
  EXPECT_EQ(map.advance(0, 100), 100);
  ASSERT_TRUE(map.extend(0));
  EXPECT_EQ(map.end(0), 200);
  EXPECT_EQ(map.free_chunks(), 1U);
  EXPECT_TRUE(valid(map));
  ASSERT_EQ(map.assign(1, 1), (ByteRange{200, 300}));
  EXPECT_EQ(map.advance(0, 100), 100);
  EXPECT_FALSE(map.extend(0));  // the next chunk is owned by worker 1
  EXPECT_EQ(map.end(0), 200);
  EXPECT_FALSE(map.extend(7));  // unknown worker
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, ExtendStopsAtRestoredBytes) {
  SegmentMap map(300);
  map.mark_done({100, 150});
  map.plan(2, 1);
  ASSERT_EQ(map.assign(0, 1), (ByteRange{0, 100}));
  EXPECT_EQ(map.free_run_end(100), 100);  // done, not free
  EXPECT_EQ(map.advance(0, 100), 100);
  EXPECT_FALSE(map.extend(0));
  EXPECT_TRUE(valid(map));
}

TEST(SegmentMapTest, RandomizedSimulationWritesEveryByteOnce) {
  constexpr std::int64_t kSize = 10007;
  constexpr WorkerId kWorkers = 16;
  constexpr int kMaxSteps = 200000;
  int extensions = 0;  // over all seeds
  for (const std::uint32_t seed : {1u, 2u, 3u, 42u, 2024u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
      return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    SegmentMap map(kSize);
    if (seed % 2 == 0) {  // resume half of the runs from a few restored ranges
      for (int i = 0; i < 5; ++i) {
        const std::int64_t b = uniform(0, kSize - 1);
        map.mark_done({b, b + uniform(1, 300)});
      }
    }
    std::vector<int> writes(kSize, 0);
    for (const ByteRange& r : map.done_ranges()) {
      for (std::int64_t i = r.begin; i < r.end; ++i) ++writes[static_cast<std::size_t>(i)];
    }
    map.plan(static_cast<int>(kWorkers), uniform(1, 400));
    // At first one worker runs alone (a download on one connection until more pay), so it finds
    // the chunks after its range free and may extend into them; then every worker runs.
    const int alone_until = static_cast<int>(uniform(0, 80));
    ASSERT_TRUE(valid(map));

    int steps = 0;
    int steals = 0;
    int take_overs = 0;
    int failures = 0;
    for (; steps < kMaxSteps && !map.complete(); ++steps) {
      const WorkerId w = steps < alone_until ? 0 : static_cast<WorkerId>(uniform(0, kWorkers - 1));
      const std::int64_t dice = uniform(0, 99);
      if (!map.owns_remaining(w) && dice >= 70 && map.extend(w)) {
        ++extensions;  // its response runs on into the free chunk after its range
      } else if (!map.owns_remaining(w)) {
        map.release(w);
        const bool had_free = map.free_chunks() > 0;
        const std::vector<WorkerId> running = map.workers();
        if (dice < 20 && !running.empty()) {  // take over a (pretend: stalled) worker
          const WorkerId victim =
              running[static_cast<std::size_t>(uniform(0, std::ssize(running) - 1))];
          const std::int64_t left = map.remaining(victim);
          const std::int64_t victim_pos = map.position(victim);
          const std::optional<ByteRange> got = map.take_over(victim, w);
          if (victim != w && left > 0) {
            ASSERT_EQ(got, (ByteRange{victim_pos, victim_pos + left}));
            EXPECT_EQ(map.end(victim), victim_pos);
            ++take_overs;
          } else {
            ASSERT_EQ(got, std::nullopt);
          }
        } else {
          const std::optional<ByteRange> got = map.assign(w, uniform(1, 64));
          if (got && !had_free) ++steals;
          if (got) {
            EXPECT_FALSE(got->empty());
          }
        }
      } else if (dice < 3) {  // the connection fails mid-range
        map.release(w);
        ++failures;
      } else {  // a network buffer arrives; the transfer may run past a shrunk end
        const std::int64_t pos = map.position(w);
        const std::int64_t left = map.remaining(w);
        const std::int64_t bytes = uniform(1, 64);
        const std::int64_t kept = map.advance(w, bytes);
        ASSERT_EQ(kept, std::min(bytes, left));
        for (std::int64_t i = pos; i < pos + kept; ++i) ++writes[static_cast<std::size_t>(i)];
      }
      ASSERT_TRUE(valid(map)) << "step " << steps;
    }
    EXPECT_TRUE(map.complete()) << "not finished after " << steps << " steps";
    EXPECT_EQ(map.done_bytes(), kSize);
    EXPECT_EQ(map.done_ranges(), (Ranges{{0, kSize}}));
    for (std::int64_t i = 0; i < kSize; ++i) {
      ASSERT_EQ(writes[static_cast<std::size_t>(i)], 1) << "byte " << i;
    }
    // The run exercised every path.
    EXPECT_GT(steals, 0);
    EXPECT_GT(take_overs, 0);
    EXPECT_GT(failures, 0);
  }
  EXPECT_GT(extensions, 0);
}

}  // namespace
}  // namespace spate::core
