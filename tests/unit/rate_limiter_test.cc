#include "core/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spate::core {
namespace {

using namespace std::chrono_literals;
using ConsumerId = RateLimiter::ConsumerId;
using GroupId = RateLimiter::GroupId;
using Ids = std::vector<ConsumerId>;

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = std::int64_t{1024} * 1024;

// An arbitrary fixed origin: nothing may depend on the clock's epoch.
constexpr Clock::time_point kT0 = Clock::time_point{} + 1000h;

// ---------------------------------------------------------------------------------------------
// TokenBucket

TEST(TokenBucket, StartsFullWithABurstOfOneEighthSecond) {
  EXPECT_EQ(TokenBucket(4 * kMiB, kT0).burst(), 512 * kKiB);
  EXPECT_EQ(TokenBucket(4 * kMiB, kT0).available(), 512 * kKiB);
  EXPECT_EQ(TokenBucket(1000, kT0).burst(), 125);
  EXPECT_EQ(TokenBucket(3, kT0).burst(), 1);  // never below one byte
  EXPECT_EQ(TokenBucket(1000, kT0, 1s).burst(), 1000);
}

TEST(TokenBucket, UnlimitedIsAlwaysAvailable) {
  TokenBucket b(0, kT0);
  EXPECT_TRUE(b.unlimited());
  b.consume(kMiB);
  EXPECT_EQ(b.available(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(b.time_until_available(kMiB, kT0), 0ns);
  EXPECT_TRUE(TokenBucket(-5, kT0).unlimited());
}

TEST(TokenBucket, RefillAddsRateTimesElapsedCappedAtBurst) {
  TokenBucket b(1000, kT0);
  b.consume(1000);
  EXPECT_EQ(b.available(), -875);
  b.refill(kT0 + 100ms);
  EXPECT_EQ(b.available(), -775);
  b.refill(kT0 + 100ms);  // same instant: nothing more
  EXPECT_EQ(b.available(), -775);
  b.refill(kT0 + 10s);
  EXPECT_EQ(b.available(), 125);
}

TEST(TokenBucket, ManySmallStepsAddExactlyWhatOneStepAdds) {
  // 3 B/s in 1 ms steps adds 0.003 bytes per step: the remainders must carry over.
  TokenBucket small_steps(3, kT0);
  TokenBucket one_step(3, kT0);
  small_steps.consume(100);
  one_step.consume(100);
  for (int i = 1; i <= 1000; ++i) small_steps.refill(kT0 + i * 1ms);
  one_step.refill(kT0 + 1s);
  EXPECT_EQ(small_steps.available(), 1 - 100 + 3);
  EXPECT_EQ(one_step.available(), small_steps.available());

  // Odd rate and odd steps: after each step the total is floor(rate * t).
  TokenBucket b(7777, kT0, 10s);
  b.consume(b.burst() + 100'000);
  const std::int64_t start = b.available();
  for (int i = 1; i <= 3000; ++i) {
    b.refill(kT0 + i * 333'333ns);
    ASSERT_EQ(b.available(), start + 7777LL * i * 333'333 / 1'000'000'000) << "step " << i;
  }
}

TEST(TokenBucket, TimeUntilAvailableIsExact) {
  TokenBucket b(1000, kT0);
  b.consume(1000);  // -875: 876 bytes to the first positive token
  EXPECT_EQ(b.time_until_available(1, kT0), 876ms);
  EXPECT_EQ(b.time_until_available(101, kT0), 976ms);

  TokenBucket early = b;
  early.refill(kT0 + 876ms - 1ns);
  EXPECT_EQ(early.available(), 0);
  b.refill(kT0 + 876ms);
  EXPECT_EQ(b.available(), 1);

  // With a fractional rate: 3 B/s, 11 bytes short -> ceil(11 / 3 s).
  TokenBucket c(3, kT0);
  c.consume(11);  // 1 - 11 = -10
  const Clock::duration wait = c.time_until_available(1, kT0);
  EXPECT_EQ(wait, 3'666'666'667ns);
  TokenBucket c_early = c;
  c_early.refill(kT0 + wait - 1ns);
  EXPECT_EQ(c_early.available(), 0);
  c.refill(kT0 + 2s);  // part of the way, leaving a remainder
  EXPECT_EQ(c.time_until_available(1, kT0 + 2s), wait - 2s);
  c.refill(kT0 + wait);
  EXPECT_EQ(c.available(), 1);
}

TEST(TokenBucket, TimeUntilAvailableCountsFromNowAndClampsToBurst) {
  TokenBucket b(1000, kT0);
  b.consume(1000);
  EXPECT_EQ(b.time_until_available(1, kT0 + 500ms), 376ms);  // no refill() needed first
  EXPECT_EQ(b.time_until_available(1, kT0 + 5s), 0ns);
  // More than the burst can never be held: it counts as the burst (125 bytes: 1 s from -875).
  EXPECT_EQ(b.time_until_available(10'000, kT0), 1s);
  EXPECT_EQ(b.time_until_available(0, kT0), 0ns);
  TokenBucket full(1000, kT0);
  EXPECT_EQ(full.time_until_available(125, kT0), 0ns);
}

TEST(TokenBucket, DebtAndHugeValuesDoNotOverflow) {
  TokenBucket fast(std::int64_t{1} << 50, kT0);  // 1 PiB/s
  fast.consume(fast.burst() * 4);
  fast.refill(kT0 + 10'000h);
  EXPECT_EQ(fast.available(), fast.burst());

  TokenBucket slow(1, kT0);
  slow.consume(std::numeric_limits<std::int64_t>::max());
  slow.consume(std::numeric_limits<std::int64_t>::max());
  EXPECT_LT(slow.available(), -(std::int64_t{1} << 61));
  EXPECT_GT(slow.time_until_available(1, kT0), 1'000'000h);
  slow.refill(kT0 + 1s);
  EXPECT_LT(slow.available(), 0);
}

TEST(TokenBucket, TimeGoingBackwardsIsIgnored) {
  TokenBucket b(1000, kT0);
  b.consume(1000);
  b.refill(kT0 + 100ms);
  b.refill(kT0 + 50ms);
  EXPECT_EQ(b.available(), -775);
  b.refill(kT0 + 200ms);  // counted from the latest instant seen
  EXPECT_EQ(b.available(), -675);
  EXPECT_EQ(b.time_until_available(1, kT0), 876ms);  // as seen from an earlier `now`
}

TEST(TokenBucket, SetRateMidRun) {
  TokenBucket b(1000, kT0);
  b.consume(1000);                // -875
  b.set_rate(2000, kT0 + 100ms);  // first refills at the old rate: -775; burst 250
  EXPECT_EQ(b.available(), -775);
  EXPECT_EQ(b.burst(), 250);
  b.refill(kT0 + 200ms);  // +200 at the new rate
  EXPECT_EQ(b.available(), -575);
  b.refill(kT0 + 10s);
  EXPECT_EQ(b.available(), 250);
  b.set_rate(800, kT0 + 10s);  // tokens above the new burst are dropped
  EXPECT_EQ(b.available(), 100);
  b.set_rate(0, kT0 + 11s);
  EXPECT_TRUE(b.unlimited());
  b.set_rate(4000, kT0 + 12s);  // limited again: starts full
  EXPECT_EQ(b.available(), 500);
}

TEST(TokenBucket, RefundIsCappedAtBurst) {
  TokenBucket b(1000, kT0);
  b.consume(300);
  b.refund(100);
  EXPECT_EQ(b.available(), -75);
  b.refund(10'000);
  EXPECT_EQ(b.available(), 125);
}

// ---------------------------------------------------------------------------------------------
// RateLimiter: single steps

TEST(RateLimiter, UnlimitedCostsNothing) {
  RateLimiter lim(0, kT0);
  EXPECT_FALSE(lim.limited());
  for (ConsumerId id = 0; id < 100; ++id) EXPECT_TRUE(lim.admit(id, 1, 512 * kKiB, kT0));
  EXPECT_EQ(lim.waiting(), 0u);
  EXPECT_TRUE(lim.resumable(kT0).empty());
  EXPECT_EQ(lim.next_wakeup(kT0), std::nullopt);
}

TEST(RateLimiter, LargeBufferGoesIntoDebtAndTheDebtDelaysOthers) {
  RateLimiter lim(100'000, kT0);  // burst 12'500 bytes, far below one 512 KiB buffer
  ASSERT_TRUE(lim.limited());
  EXPECT_TRUE(lim.admit(1, 0, 512 * kKiB, kT0));   // positive balance: admitted, into debt
  EXPECT_FALSE(lim.admit(2, 0, 512 * kKiB, kT0));  // paused
  // 12'500 - 524'288 = -511'788: 511'789 bytes at 100 kB/s until positive.
  const Clock::duration wait = 5'117'890'000ns;
  EXPECT_EQ(lim.next_wakeup(kT0), wait);
  EXPECT_TRUE(lim.resumable(kT0 + wait - 1ns).empty());
  EXPECT_EQ(lim.resumable(kT0 + wait), Ids{2});
  EXPECT_TRUE(lim.admit(2, 0, 512 * kKiB, kT0 + wait));  // the grant: charged once, not twice
  EXPECT_EQ(lim.waiting(), 0u);
  EXPECT_FALSE(lim.admit(1, 0, 512 * kKiB, kT0 + wait));
  // 1 - 524'288: the next positive token is 524'288 bytes away (a double charge would double it).
  EXPECT_EQ(lim.next_wakeup(kT0 + wait), 5'242'880'000ns);
}

TEST(RateLimiter, ResumesRoundRobin) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(3, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(1, 0, 1000, kT0));  // its next buffer: queued behind 2 and 3
  Ids order;
  Clock::time_point now = kT0;
  for (int pass = 0; pass < 7; ++pass) {
    const std::optional<Clock::duration> wakeup = lim.next_wakeup(now);
    ASSERT_TRUE(wakeup.has_value());
    now += *wakeup;
    const Ids resumed = lim.resumable(now);
    ASSERT_EQ(resumed.size(), 1u) << "pass " << pass;   // one 1000-byte buffer per second
    EXPECT_TRUE(lim.admit(resumed[0], 0, 1000, now));   // the re-delivered buffer
    EXPECT_FALSE(lim.admit(resumed[0], 0, 1000, now));  // the next one waits its turn
    order.push_back(resumed[0]);
  }
  EXPECT_EQ(order, (Ids{2, 3, 1, 2, 3, 1, 2}));
  // 1's first buffer took the 125-byte burst and 875 of debt; then 1 s per buffer, none lost.
  EXPECT_EQ(now - kT0, 6876ms);
}

TEST(RateLimiter, NoOvertakingWhileOthersWait) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 1000, kT0));
  const Clock::time_point later = kT0 + 2s;  // positive again, but 2 was first
  EXPECT_FALSE(lim.admit(3, 0, 1000, later));
  EXPECT_FALSE(lim.admit(1, 0, 1000, later));
  EXPECT_EQ(lim.resumable(later), Ids{2});
}

TEST(RateLimiter, CalledAgainWhilePausedKeepsItsPlace) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(3, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 500, kT0));
  EXPECT_EQ(lim.waiting(), 2u);
  EXPECT_EQ(lim.resumable(kT0 + 876ms), Ids{2});
  EXPECT_TRUE(lim.admit(2, 0, 500, kT0 + 876ms));
  EXPECT_EQ(lim.next_wakeup(kT0 + 876ms), 500ms);  // 1 - 500: charged 500, the latest size
}

TEST(RateLimiter, ForgetRemovesAWaiterAndRefundsAnUnusedGrant) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(3, 0, 1000, kT0));
  lim.forget(2);
  lim.forget(99);  // unknown: no-op
  EXPECT_EQ(lim.waiting(), 1u);
  EXPECT_EQ(lim.resumable(kT0 + 876ms), Ids{3});
  EXPECT_EQ(lim.waiting(), 0u);
  EXPECT_EQ(lim.next_wakeup(kT0 + 876ms), std::nullopt);
  lim.forget(3);  // its transfer ended before the re-delivery: the 1000 bytes come back
  EXPECT_TRUE(lim.admit(4, 0, 1000, kT0 + 876ms));
  EXPECT_FALSE(lim.admit(3, 0, 1000, kT0 + 876ms));  // no grant left for 3
}

TEST(RateLimiter, GrantOfADifferentSizeSettlesTheDifference) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 1000, kT0));
  const Clock::time_point t = kT0 + 876ms;
  EXPECT_EQ(lim.resumable(t), Ids{2});   // charged 1000: 1 - 1000 = -999
  EXPECT_TRUE(lim.admit(2, 0, 400, t));  // only 400 delivered: 600 refunded, -399
  EXPECT_FALSE(lim.admit(3, 0, 1, t));
  EXPECT_EQ(lim.next_wakeup(t), 400ms);
}

TEST(RateLimiter, GroupLimitHoldsOnlyItsGroup) {
  RateLimiter lim(0, kT0);
  lim.set_group_rate(1, 1000, kT0);
  EXPECT_TRUE(lim.limited());
  EXPECT_EQ(lim.group_rate(1), 1000);
  EXPECT_EQ(lim.group_rate(2), 0);
  EXPECT_TRUE(lim.admit(1, 1, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 1, 1000, kT0));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(lim.admit(3, 2, kMiB, kT0));  // group 2: unlimited
  EXPECT_EQ(lim.next_wakeup(kT0), 876ms);
  EXPECT_EQ(lim.resumable(kT0 + 876ms), Ids{2});
}

TEST(RateLimiter, WaiterHeldByItsGroupDoesNotBlockOtherGroups) {
  RateLimiter lim(kMiB, kT0);
  lim.set_group_rate(1, 1000, kT0);
  EXPECT_TRUE(lim.admit(1, 1, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 1, 1000, kT0));  // its group is in debt; the global is not
  EXPECT_TRUE(lim.admit(3, 2, 1000, kT0));
  EXPECT_TRUE(lim.admit(4, 2, 1000, kT0));
}

TEST(RateLimiter, WaiterOnTheGlobalBucketBlocksNewcomersOfOtherGroups) {
  RateLimiter lim(1000, kT0);
  lim.set_group_rate(1, kMiB, kT0);
  EXPECT_TRUE(lim.admit(1, 1, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 1, 1000, kT0));  // waits on the global bucket
  EXPECT_FALSE(lim.admit(3, 2, 1000, kT0 + 2s));
  EXPECT_EQ(lim.resumable(kT0 + 2s), Ids{2});
}

TEST(RateLimiter, WaiterWhoseGroupRefilledNowWaitsOnTheGlobalBucket) {
  RateLimiter lim(1000, kT0);                     // burst 125
  lim.set_group_rate(1, 10'000, kT0);             // burst 1250
  EXPECT_TRUE(lim.admit(1, 1, 1250, kT0));        // group 0, global -1125
  EXPECT_FALSE(lim.admit(2, 1, 1, kT0));          // held by its group (and the global)
  EXPECT_TRUE(lim.resumable(kT0 + 1ms).empty());  // its group is positive again, the global not
  // 2 now waits on the global bucket, so a newcomer of another group queues behind it.
  EXPECT_FALSE(lim.admit(3, 2, 1, kT0 + 2s));
  EXPECT_EQ(lim.resumable(kT0 + 2s), (Ids{2, 3}));
}

TEST(RateLimiter, OneAdmissionIsChargedToBothBuckets) {
  RateLimiter lim(10'000, kT0);             // burst 1250
  lim.set_group_rate(1, 1000, kT0);         // burst 125
  EXPECT_TRUE(lim.admit(1, 1, 1000, kT0));  // group -875, global 250
  EXPECT_TRUE(lim.admit(2, 2, 250, kT0));   // global 0
  EXPECT_FALSE(lim.admit(3, 2, 1, kT0));
  EXPECT_EQ(lim.next_wakeup(kT0), 100us);  // global: 1 byte at 10 kB/s
  EXPECT_FALSE(lim.admit(4, 1, 1, kT0));
  EXPECT_EQ(lim.resumable(kT0 + 100us), Ids{3});
  EXPECT_EQ(lim.next_wakeup(kT0 + 100us), 876ms - 100us);  // 4 waits for its group
}

TEST(RateLimiter, RemoveGroupLeavesItsWaitersToTheGlobalLimit) {
  RateLimiter lim(0, kT0);
  lim.set_group_rate(1, 1000, kT0);
  EXPECT_TRUE(lim.admit(1, 1, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 1, 1000, kT0));
  EXPECT_EQ(lim.next_wakeup(kT0), 876ms);
  lim.remove_group(1);
  EXPECT_TRUE(lim.limited());  // 2 still waits
  EXPECT_EQ(lim.next_wakeup(kT0), 0ns);
  EXPECT_EQ(lim.resumable(kT0), Ids{2});
  EXPECT_TRUE(lim.limited());  // 2 holds a grant
  EXPECT_TRUE(lim.admit(2, 1, 1000, kT0));
  EXPECT_FALSE(lim.limited());
  lim.remove_group(1);  // twice: no-op
}

TEST(RateLimiter, SetGroupRateZeroRemovesTheLimit) {
  RateLimiter lim(0, kT0);
  lim.set_group_rate(7, 1000, kT0);
  EXPECT_TRUE(lim.admit(1, 7, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 7, 1000, kT0));
  lim.set_group_rate(7, 0, kT0);
  EXPECT_EQ(lim.group_rate(7), 0);
  EXPECT_EQ(lim.resumable(kT0), Ids{2});
}

TEST(RateLimiter, GroupLimitAddedWhileItsConsumersWait) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 5, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 5, 1000, kT0));
  lim.set_group_rate(5, 10, kT0);  // starts full (1 byte), not yet charged for 1's buffer
  EXPECT_EQ(lim.next_wakeup(kT0), 876ms);
  EXPECT_EQ(lim.resumable(kT0 + 876ms), Ids{2});  // group -999 now
  EXPECT_TRUE(lim.admit(2, 5, 1000, kT0 + 876ms));
  EXPECT_FALSE(lim.admit(1, 5, 1000, kT0 + 876ms));
  EXPECT_EQ(lim.next_wakeup(kT0 + 876ms), 100s);  // 1000 bytes at 10 B/s
}

TEST(RateLimiter, SetGlobalRateMidRun) {
  RateLimiter lim(1000, kT0);
  EXPECT_TRUE(lim.admit(1, 0, 1000, kT0));
  EXPECT_FALSE(lim.admit(2, 0, 1000, kT0));
  lim.set_global_rate(10'000, kT0 + 100ms);  // -775 left, now at 10 kB/s
  EXPECT_EQ(lim.global_rate(), 10'000);
  EXPECT_EQ(lim.next_wakeup(kT0 + 100ms), 77'600us);
  lim.set_global_rate(0, kT0 + 100ms);
  EXPECT_EQ(lim.next_wakeup(kT0 + 100ms), 0ns);
  EXPECT_EQ(lim.resumable(kT0 + 100ms), Ids{2});
}

TEST(RateLimiter, NextWakeupIsTheEarliestWaiter) {
  RateLimiter lim(0, kT0);
  EXPECT_EQ(lim.next_wakeup(kT0), std::nullopt);
  lim.set_group_rate(1, 1000, kT0);
  lim.set_group_rate(2, 100, kT0);
  EXPECT_TRUE(lim.admit(1, 1, 1125, kT0));  // group 1: -1000
  EXPECT_TRUE(lim.admit(2, 2, 112, kT0));   // group 2: -100 (burst 12)
  EXPECT_FALSE(lim.admit(3, 1, 1, kT0));    // 1001 ms
  EXPECT_FALSE(lim.admit(4, 2, 1, kT0));    // 1010 ms
  EXPECT_EQ(lim.next_wakeup(kT0), 1001ms);
  EXPECT_EQ(lim.next_wakeup(kT0 + 1s), 1ms);
  EXPECT_EQ(lim.resumable(kT0 + 1001ms), Ids{3});
  EXPECT_EQ(lim.next_wakeup(kT0 + 1001ms), 9ms);
  EXPECT_EQ(lim.next_wakeup(kT0 + 5s), 0ns);
}

// ---------------------------------------------------------------------------------------------
// RateLimiter: simulated loops

// Deterministic pseudo-random numbers (SplitMix64), the same on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::int64_t between(std::int64_t lo, std::int64_t hi) {  // inclusive
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + static_cast<std::int64_t>(z % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

// The network loop in miniature. Consumers always have a buffer ready; each pass, like
// curl_multi_perform, every unpaused consumer offers one buffer (in id order, the same order
// every time: the worst case for fairness); then, like the rate-limit tick, resumable() is called
// and every resumed consumer is re-delivered its buffer at once (as curl_easy_pause(CONT) does).
class Simulation {
 public:
  static constexpr int kMaxPasses = 200'000;  // bounds every run; a run that hits it ends early

  explicit Simulation(RateLimiter& limiter) : lim_(limiter) {}

  void add(ConsumerId id, GroupId group, std::int64_t buffer) {
    consumers_.push_back(Consumer{id, group, buffer, false, 0});
  }

  void pass(Clock::time_point now) {
    ++passes_;
    for (Consumer& c : consumers_) {
      if (c.paused) continue;
      if (lim_.admit(c.id, c.group, c.buffer, now)) {
        record(c, now);
      } else {
        c.paused = true;
      }
    }
    for (ConsumerId id : lim_.resumable(now)) {
      Consumer& c = find(id);
      c.paused = false;
      if (lim_.admit(c.id, c.group, c.buffer, now)) {
        record(c, now);
      } else {
        ++refused_redeliveries_;
        c.paused = true;
      }
    }
  }

  // Passes every 1-10 ms (pseudo-random) until `end`.
  void run_random(Clock::duration end, std::uint64_t seed) {
    Random random(seed);
    for (int i = 0; i < kMaxPasses && now_ < end; ++i) {
      pass(kT0 + now_);
      now_ += std::chrono::milliseconds(random.between(1, 10));
    }
  }

  // Passes exactly when the limiter says something can be resumed (10 ms when nothing waits).
  void run_on_wakeups(Clock::duration end) {
    for (int i = 0; i < kMaxPasses && now_ < end; ++i) {
      pass(kT0 + now_);
      const std::optional<Clock::duration> wakeup = lim_.next_wakeup(kT0 + now_);
      if (wakeup && *wakeup == 0ns) ++zero_wakeups_;
      now_ += wakeup ? std::max<Clock::duration>(*wakeup, 1ns) : 10ms;
    }
  }

  // Bytes admitted in [from, to) since the start, for one group or for all.
  std::int64_t admitted(Clock::duration from, Clock::duration to,
                        std::optional<GroupId> group = std::nullopt) const {
    std::int64_t sum = 0;
    for (const Admission& a : log_) {
      if (a.at >= from && a.at < to && (!group || *group == a.group)) sum += a.bytes;
    }
    return sum;
  }

  // The worst relative error of admitted bytes against `rate` over all windows of `length`
  // starting every 10 ms in [from, to - length].
  double worst_window_error(Clock::duration from, Clock::duration to, Clock::duration length,
                            std::int64_t rate, std::optional<GroupId> group = std::nullopt) const {
    const double expected =
        static_cast<double>(rate) * std::chrono::duration<double>(length).count();
    double worst = 0;
    for (Clock::duration start = from; start + length <= to; start += 10ms) {
      const double got = static_cast<double>(admitted(start, start + length, group));
      worst = std::max(worst, std::abs(got - expected) / expected);
    }
    return worst;
  }

  // Per consumer totals, and their worst relative distance from the mean, among `group` (or all).
  double worst_unfairness(std::optional<GroupId> group = std::nullopt) const {
    std::vector<double> totals;
    for (const Consumer& c : consumers_) {
      if (!group || *group == c.group) totals.push_back(static_cast<double>(c.admitted));
    }
    double mean = 0;
    for (double t : totals) mean += t / static_cast<double>(totals.size());
    double worst = 0;
    for (double t : totals) worst = std::max(worst, std::abs(t - mean) / mean);
    return worst;
  }

  // The same over turns (admitted buffers) instead of bytes.
  double worst_turn_unfairness() const {
    double mean = 0;
    for (const Consumer& c : consumers_) {
      mean += static_cast<double>(c.turns()) / static_cast<double>(consumers_.size());
    }
    double worst = 0;
    for (const Consumer& c : consumers_) {
      worst = std::max(worst, std::abs(static_cast<double>(c.turns()) - mean) / mean);
    }
    return worst;
  }

  std::string totals() const {
    std::string s;
    for (const Consumer& c : consumers_) s += std::to_string(c.admitted / kKiB) + "K ";
    return s;
  }

  std::int64_t refused_redeliveries() const { return refused_redeliveries_; }
  std::int64_t passes() const { return passes_; }
  std::int64_t zero_wakeups() const { return zero_wakeups_; }
  std::size_t admissions() const { return log_.size(); }
  Clock::duration now() const { return now_; }

 private:
  struct Consumer {
    ConsumerId id;
    GroupId group;
    std::int64_t buffer;
    bool paused;
    std::int64_t admitted;
    std::int64_t turns() const { return admitted / buffer; }  // exact: whole buffers only
  };
  struct Admission {
    Clock::duration at;
    GroupId group;
    std::int64_t bytes;
  };

  Consumer& find(ConsumerId id) {
    return *std::find_if(consumers_.begin(), consumers_.end(),
                         [id](const Consumer& c) { return c.id == id; });
  }
  void record(Consumer& c, Clock::time_point now) {
    c.admitted += c.buffer;
    log_.push_back(Admission{now - kT0, c.group, c.buffer});
  }

  RateLimiter& lim_;
  std::vector<Consumer> consumers_;
  std::vector<Admission> log_;
  Clock::duration now_{0};
  std::int64_t refused_redeliveries_ = 0;
  std::int64_t passes_ = 0;
  std::int64_t zero_wakeups_ = 0;
};

TEST(RateLimiterSimulation, EightConsumersHoldTheRateAndShareItFairly) {
  constexpr std::int64_t kRate = 4 * kMiB;
  constexpr std::int64_t kBurst = kRate / 8;  // the limiter's burst, bytes
  RateLimiter lim(kRate, kT0);
  Simulation sim(lim);
  for (ConsumerId id = 1; id <= 8; ++id) sim.add(id, id, 256 * kKiB);
  sim.run_random(20s, 42);
  ASSERT_GE(sim.now(), 20s);

  EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kRate), 0.05);
  EXPECT_LE(sim.worst_unfairness(), 0.25) << sim.totals();
  EXPECT_EQ(sim.refused_redeliveries(), 0);
  // The first second overshoots by at most the starting burst plus one buffer of debt.
  EXPECT_LE(sim.admitted(0s, 1s), kRate + kBurst + 256 * kKiB);
  EXPECT_GE(sim.admitted(0s, 1s), kRate - 256 * kKiB);
  // The long run is exact up to one burst and one buffer.
  EXPECT_NEAR(static_cast<double>(sim.admitted(0s, 20s)), 20.0 * kRate,
              static_cast<double>(kBurst + 256 * kKiB));
}

TEST(RateLimiterSimulation, SeveralSeedsAndBufferSizes) {
  constexpr std::int64_t kRate = 4 * kMiB;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    RateLimiter lim(kRate, kT0);
    Simulation sim(lim);
    // Mixed buffer sizes, 16 KiB .. 512 KiB: bigger buffers get more bytes per turn (fairness is
    // per turn, as libcurl decides the buffer sizes), but everyone gets as many turns.
    ConsumerId id = 1;
    for (std::int64_t kib : {16, 32, 64, 128, 256, 512}) sim.add(id++, 1, kib * kKiB);
    sim.run_random(20s, seed);
    ASSERT_GE(sim.now(), 20s);
    EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kRate), 0.05) << "seed " << seed;
    EXPECT_LE(sim.worst_turn_unfairness(), 0.05) << sim.totals();
    EXPECT_EQ(sim.refused_redeliveries(), 0);
  }
}

TEST(RateLimiterSimulation, GroupLimitUnderAGlobalLimit) {
  constexpr std::int64_t kGlobal = 4 * kMiB;
  constexpr std::int64_t kGroup = kMiB;
  RateLimiter lim(kGlobal, kT0);
  lim.set_group_rate(1, kGroup, kT0);
  Simulation sim(lim);
  // 128 KiB buffers: a 5 s window at 1 MiB/s holds 40 of them, so one buffer more or less at a
  // window's edge is 2.5 % (with 256 KiB buffers that quantum alone would be the whole 5 %).
  for (ConsumerId id = 1; id <= 4; ++id) sim.add(id, 1, 128 * kKiB);
  for (ConsumerId id = 5; id <= 8; ++id) sim.add(id, 2, 128 * kKiB);
  sim.run_random(20s, 7);
  ASSERT_GE(sim.now(), 20s);

  EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kGlobal), 0.05);
  EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kGroup, 1), 0.05);
  EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kGlobal - kGroup, 2), 0.05);
  EXPECT_LE(sim.worst_unfairness(1), 0.25) << sim.totals();
  EXPECT_LE(sim.worst_unfairness(2), 0.25) << sim.totals();
  EXPECT_EQ(sim.refused_redeliveries(), 0);
}

TEST(RateLimiterSimulation, SmallRateWithBuffersLargerThanTheBurstMakesProgress) {
  constexpr std::int64_t kRate = 100'000;  // burst 12'500 bytes; buffers are 42 times that
  constexpr std::int64_t kBurst = kRate / 8;
  constexpr std::int64_t kBuffer = 512 * kKiB;
  RateLimiter lim(kRate, kT0);
  Simulation sim(lim);
  for (ConsumerId id = 1; id <= 3; ++id) sim.add(id, id, kBuffer);
  sim.run_random(120s, 3);
  ASSERT_GE(sim.now(), 120s);

  // Each buffer is 5.2 s of budget, so only the long run can be exact: 120 s within one burst
  // plus one buffer. And nobody starves: turns differ by at most one.
  EXPECT_NEAR(static_cast<double>(sim.admitted(0s, 120s)), 120.0 * kRate,
              static_cast<double>(kBurst + kBuffer));
  EXPECT_LE(sim.worst_window_error(0s, 120s, 60s, kRate), 0.1);
  EXPECT_LE(sim.worst_unfairness(), 1.0 / 7) << sim.totals();
  EXPECT_EQ(sim.refused_redeliveries(), 0);
}

TEST(RateLimiterSimulation, GlobalRateChangedMidRun) {
  RateLimiter lim(4 * kMiB, kT0);
  Simulation sim(lim);
  for (ConsumerId id = 1; id <= 8; ++id) sim.add(id, id, 128 * kKiB);  // see the test above
  sim.run_random(10s, 11);
  lim.set_global_rate(kMiB, kT0 + sim.now());
  const Clock::duration changed = sim.now();
  sim.run_random(30s, 12);
  ASSERT_GE(sim.now(), 30s);

  EXPECT_LE(sim.worst_window_error(1s, changed, 5s, 4 * kMiB), 0.05);
  EXPECT_LE(sim.worst_window_error(changed + 1s, 30s, 5s, kMiB), 0.05);
  EXPECT_LE(sim.worst_unfairness(), 0.25) << sim.totals();
}

TEST(RateLimiterSimulation, LoopSleepingUntilNextWakeupHoldsTheRateWithoutSpinning) {
  constexpr std::int64_t kRate = 4 * kMiB;
  RateLimiter lim(kRate, kT0);
  lim.set_group_rate(3, kMiB / 2, kT0);
  Simulation sim(lim);
  for (ConsumerId id = 1; id <= 8; ++id) sim.add(id, id % 4, 256 * kKiB);
  sim.run_on_wakeups(20s);
  ASSERT_GE(sim.now(), 20s);

  EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kRate), 0.05);
  EXPECT_LE(sim.worst_window_error(1s, 20s, 5s, kMiB / 2, 3), 0.05);
  EXPECT_EQ(sim.zero_wakeups(), 0);  // after resumable(), nobody is left who could go now
  EXPECT_LE(sim.passes(), static_cast<std::int64_t>(sim.admissions()) + 10);
  EXPECT_EQ(sim.refused_redeliveries(), 0);
}

}  // namespace
}  // namespace spate::core
