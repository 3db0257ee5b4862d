// Bandwidth limiting for the network thread: TokenBucket (one rate) and RateLimiter (the limiter
// of one Session: a global bucket plus one bucket per download, called a "group", both charged for
// every accepted buffer, like libtorrent's bandwidth channels; paused transfers, "consumers", are
// resumed round-robin).
//
// Pure: no I/O, no threads, no clock of its own (every call takes `now`, the loop pass's single
// timestamp). NOT thread-safe: owned and used by the network thread only.
//
// How the network loop uses it:
//   write callback:  if (lim.limited() && !lim.admit(transfer, download, size, now))
//                      return CURL_WRITEFUNC_PAUSE;
//   once per pass:   if (lim.limited()) for (auto id : lim.resumable(now)) unpause(id);
//   poll timeout:    min(other timers, lim.next_wakeup(now))
//   transfer ends:   lim.forget(transfer);   download ends: lim.remove_group(download)
//
// Policy, and why:
//  - Admission needs a positive balance (>= 1 token), not `bytes` tokens. The whole buffer is
//    charged and may push the bucket into debt. libcurl hands over up to 512 KiB at once and a
//    buffer cannot be split (after a pause libcurl re-delivers all of it), so requiring
//    available() >= bytes would starve any buffer larger than the burst forever. The debt delays
//    the next admission until the bucket is positive again, so the long-run rate is exact and any
//    window is off by at most (burst + largest buffer). So the transfer layer should cap
//    CURLOPT_BUFFERSIZE near rate / 16 when limited (any 5 s window is then within 3.75 %);
//    with 512 KiB buffers at 1 MiB/s one buffer alone is 10 % of a 5 s window.
//  - Burst = 1/8 s of the rate (kDefaultBurst), and a new bucket starts full. Bigger bursts would
//    overshoot the first second and every 5 s window (1/4 s + a 512 KiB buffer at 4 MiB/s is 7.5 %
//    of 5 s; 1/8 s keeps it at 5 %); it still spans many loop passes (1-10 ms), so short idle
//    gaps of the transfers (a reconnect, a slow server) cost no throughput.
//  - Fairness: waiters form one FIFO queue. While someone waits on the global bucket (or on its
//    own group's bucket), a new admit() of the same constraint queues behind it instead of taking
//    the tokens (no overtaking), and resumable() walks the queue in order, so every transfer gets
//    its turn. A waiter held back only by its own group's limit does not block other groups.
//    Turns are one buffer each, so with unequal buffer sizes the shares are equal per turn, not
//    per byte.
//  - resumable() charges the buffer each resumed consumer was paused with (a "grant"); the
//    consumer's next admit() then passes without a second charge (only the difference is charged
//    or refunded if the size changed). So the budget is reserved when the resume decision is made,
//    and resumes never overshoot into a pause/resume churn.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace spate::core {

using Clock = std::chrono::steady_clock;

// A token bucket: `rate` bytes per second, holding at most `burst` tokens, with debt allowed.
// rate <= 0 means unlimited. Refills are exact: sub-byte remainders carry over between refills,
// so many small steps add exactly what one big step would.
class TokenBucket {
 public:
  static constexpr Clock::duration kDefaultBurst = std::chrono::milliseconds(125);

  // Starts full. `burst_window` is the burst as time at the rate (so it scales with set_rate);
  // the burst is at least one byte.
  TokenBucket(std::int64_t rate, Clock::time_point now,
              Clock::duration burst_window = kDefaultBurst);

  // Refills up to `now` at the old rate, then switches. Debt is kept (in bytes); tokens above the
  // new burst are dropped. Unlimited -> limited starts full again.
  void set_rate(std::int64_t rate, Clock::time_point now);

  // Adds rate * (now - last refill), capped at the burst. A `now` earlier than the last refill
  // is ignored (no time runs backwards).
  void refill(Clock::time_point now);

  // Tokens as of the last refill; negative is debt; INT64_MAX when unlimited.
  std::int64_t available() const;

  // Takes `bytes` tokens, possibly into debt (saturating far below any real debt).
  void consume(std::int64_t bytes);

  // Gives back tokens taken for bytes that were not used, capped at the burst.
  void refund(std::int64_t bytes);

  // Time from `now` until available() >= bytes (bytes above the burst count as the burst, which
  // is all the bucket can ever hold); 0 when already so at `now` or unlimited. Const: it accounts
  // for the refill since the last refill() itself, so callers need not refill first.
  Clock::duration time_until_available(std::int64_t bytes, Clock::time_point now) const;

  bool unlimited() const { return rate_ == 0; }
  std::int64_t rate() const { return rate_; }
  std::int64_t burst() const { return burst_; }

 private:
  std::int64_t rate_ = 0;
  Clock::duration burst_window_;
  std::int64_t burst_ = 0;
  std::int64_t tokens_ = 0;
  std::int64_t frac_ = 0;  // sub-byte remainder of refills, in 1e-9 bytes (always < 1e9)
  Clock::time_point last_;
};

class RateLimiter {
 public:
  using ConsumerId = std::uint64_t;  // one per transfer
  using GroupId = std::uint64_t;     // one per download

  // global_rate <= 0: no global limit.
  RateLimiter(std::int64_t global_rate, Clock::time_point now);

  void set_global_rate(std::int64_t rate, Clock::time_point now);  // <= 0: unlimited
  std::int64_t global_rate() const { return global_.rate(); }

  // Per-download limit; <= 0 removes it (same as remove_group). Waiters keep their place.
  void set_group_rate(GroupId group, std::int64_t rate, Clock::time_point now);
  std::int64_t group_rate(GroupId group) const;  // 0 when unlimited or unknown

  // Drops the group's bucket. Its waiting consumers stay queued, now bound by the global limit
  // only; forget() them when their transfers end.
  void remove_group(GroupId group);

  // From the write callback of consumer `id` (of download `group`) with the buffer size. true:
  // accepted, `bytes` charged to the group and the global bucket. false: pause it; it is queued
  // and will be returned by resumable(). O(1).
  bool admit(ConsumerId id, GroupId group, std::int64_t bytes, Clock::time_point now);

  // The consumer's transfer ended: drops it from the queue, and refunds a grant it did not use.
  void forget(ConsumerId id);

  // Once per loop pass: the consumers to resume now, in round-robin (queue) order, as many as the
  // budget allows; each one's buffer is charged now, and its next admit() passes. O(waiting).
  std::vector<ConsumerId> resumable(Clock::time_point now);

  // How long the loop may sleep before resumable() can return someone: 0 when someone can be
  // resumed now, nullopt when nobody waits. O(waiting).
  std::optional<Clock::duration> next_wakeup(Clock::time_point now) const;

  // Whether callers must call admit()/resumable() at all: a limit is set, or someone is still
  // waiting or holds a grant (after limits were removed). When false, admit() would return true.
  bool limited() const {
    return !global_.unlimited() || !groups_.empty() || !waiting_.empty() || !grants_.empty();
  }

  std::size_t waiting() const { return waiting_.size(); }  // paused consumers

 private:
  struct Group {
    TokenBucket bucket;
    std::size_t waiters = 0;  // queued consumers of this group
  };
  struct Waiter {
    ConsumerId id;
    GroupId group;
    std::int64_t bytes;  // the buffer it was paused with (libcurl re-delivers it)
    bool on_global;      // waits for the global bucket, not for its own group's bucket
  };
  struct Grant {
    GroupId group;
    std::int64_t bytes;  // already charged by resumable()
  };
  using Queue = std::list<Waiter>;

  Group* find_group(GroupId group);
  const Group* find_group(GroupId group) const;
  void charge(Group* group, std::int64_t bytes);  // both buckets; negative bytes refund
  Queue::iterator erase_waiter(Queue::iterator it);
  void recount();  // recomputes Group::waiters, on_global and global_bound_ from the queue

  TokenBucket global_;
  std::unordered_map<GroupId, Group> groups_;  // limited groups only
  Queue queue_;                                // FIFO of paused consumers
  std::unordered_map<ConsumerId, Queue::iterator> waiting_;
  std::unordered_map<ConsumerId, Grant> grants_;
  std::size_t global_bound_ = 0;  // waiters with on_global set
};

}  // namespace spate::core
