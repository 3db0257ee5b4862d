#include "core/rate_limiter.h"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace spate::core {
namespace {

// rate * elapsed nanoseconds overflows 64 bits quickly (1 GiB/s for 9 s); 128-bit math keeps every
// product exact without clamping rates or time steps. __extension__ silences -Wpedantic.
__extension__ using Int128 = __int128;

static_assert(std::is_same_v<Clock::duration, std::chrono::nanoseconds>,
              "the bucket math counts Clock ticks as nanoseconds");

constexpr std::int64_t kNsPerSec = 1'000'000'000;
constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
// Debt saturates here, far beyond any real one, so consume() can never overflow.
constexpr std::int64_t kMinTokens = -(std::int64_t{1} << 62);

std::int64_t clamp_to_int64(Int128 v) {
  if (v > kMaxInt) return kMaxInt;
  if (v < -kMaxInt) return -kMaxInt;
  return static_cast<std::int64_t>(v);
}

std::int64_t burst_for(std::int64_t rate, Clock::duration window) {
  if (rate <= 0) return 0;
  const Int128 burst = Int128{rate} * window.count() / kNsPerSec;
  return std::max<std::int64_t>(1, clamp_to_int64(burst));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TokenBucket

TokenBucket::TokenBucket(std::int64_t rate, Clock::time_point now, Clock::duration burst_window)
    : rate_(std::max<std::int64_t>(rate, 0)),
      burst_window_(burst_window),
      burst_(burst_for(rate_, burst_window)),
      tokens_(burst_),
      last_(now) {}

void TokenBucket::set_rate(std::int64_t rate, Clock::time_point now) {
  rate = std::max<std::int64_t>(rate, 0);
  refill(now);
  const bool was_unlimited = unlimited();
  rate_ = rate;
  burst_ = burst_for(rate_, burst_window_);
  last_ = std::max(last_, now);
  if (unlimited()) {
    tokens_ = 0;
    frac_ = 0;
  } else if (was_unlimited) {
    tokens_ = burst_;
    frac_ = 0;
  } else {
    tokens_ = std::min(tokens_, burst_);
  }
}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= last_) return;
  const std::int64_t elapsed = (now - last_).count();
  last_ = now;
  if (unlimited()) return;
  if (tokens_ >= burst_) {  // full: the time passed adds nothing
    frac_ = 0;
    return;
  }
  const Int128 acc = Int128{rate_} * elapsed + frac_;
  const Int128 tokens = tokens_ + acc / kNsPerSec;
  if (tokens >= burst_) {
    tokens_ = burst_;
    frac_ = 0;
  } else {
    tokens_ = static_cast<std::int64_t>(tokens);
    frac_ = static_cast<std::int64_t>(acc % kNsPerSec);
  }
}

std::int64_t TokenBucket::available() const { return unlimited() ? kMaxInt : tokens_; }

void TokenBucket::consume(std::int64_t bytes) {
  if (unlimited() || bytes <= 0) return;
  tokens_ = bytes > tokens_ - kMinTokens ? kMinTokens : tokens_ - bytes;
}

void TokenBucket::refund(std::int64_t bytes) {
  if (unlimited() || bytes <= 0) return;
  tokens_ = bytes >= burst_ - tokens_ ? burst_ : tokens_ + bytes;
}

Clock::duration TokenBucket::time_until_available(std::int64_t bytes, Clock::time_point now) const {
  if (unlimited() || bytes <= 0) return Clock::duration::zero();
  const std::int64_t target = std::min(bytes, burst_);
  if (tokens_ >= target) return Clock::duration::zero();
  // The smallest t with tokens_ + floor((rate * t + frac_) / 1e9) >= target, counted from last_.
  const Int128 needed = (Int128{target} - tokens_) * kNsPerSec - frac_;
  const Int128 from_last = (needed + rate_ - 1) / rate_;
  const Int128 from_now = from_last - (now - last_).count();
  if (from_now <= 0) return Clock::duration::zero();
  return Clock::duration(clamp_to_int64(from_now));
}

// ---------------------------------------------------------------------------------------------
// RateLimiter

RateLimiter::RateLimiter(std::int64_t global_rate, Clock::time_point now)
    : global_(global_rate, now) {}

void RateLimiter::set_global_rate(std::int64_t rate, Clock::time_point now) {
  global_.set_rate(rate, now);
}

void RateLimiter::set_group_rate(GroupId group, std::int64_t rate, Clock::time_point now) {
  if (rate <= 0) {
    remove_group(group);
    return;
  }
  if (Group* g = find_group(group)) {
    g->bucket.set_rate(rate, now);
    return;
  }
  groups_.emplace(group, Group{TokenBucket(rate, now), 0});
  recount();  // its consumers may already wait on the global bucket
}

std::int64_t RateLimiter::group_rate(GroupId group) const {
  const Group* g = find_group(group);
  return g ? g->bucket.rate() : 0;
}

void RateLimiter::remove_group(GroupId group) {
  if (groups_.erase(group) > 0) recount();
}

bool RateLimiter::admit(ConsumerId id, GroupId group, std::int64_t bytes, Clock::time_point now) {
  if (bytes <= 0 || !limited()) return true;
  Group* g = find_group(group);
  global_.refill(now);
  if (g) g->bucket.refill(now);

  if (auto grant = grants_.find(id); grant != grants_.end()) {
    // Resumed by resumable(), which charged the buffer already: settle the difference only.
    const std::int64_t difference = bytes - grant->second.bytes;
    grants_.erase(grant);
    charge(g, difference);
    return true;
  }
  if (auto waiting = waiting_.find(id); waiting != waiting_.end()) {
    waiting->second->bytes = bytes;  // called again while paused: keep its place
    return false;
  }
  // No overtaking: if others of the same constraint wait, this one waits behind them.
  const bool group_ok = !g || (g->waiters == 0 && g->bucket.available() > 0);
  const bool global_ok = global_.unlimited() || (global_bound_ == 0 && global_.available() > 0);
  if (group_ok && global_ok) {
    charge(g, bytes);
    return true;
  }
  const bool on_global = !g || g->bucket.available() > 0;
  queue_.push_back(Waiter{id, group, bytes, on_global});
  waiting_.emplace(id, std::prev(queue_.end()));
  if (g) ++g->waiters;
  if (on_global) ++global_bound_;
  return false;
}

void RateLimiter::forget(ConsumerId id) {
  if (auto waiting = waiting_.find(id); waiting != waiting_.end()) erase_waiter(waiting->second);
  if (auto grant = grants_.find(id); grant != grants_.end()) {
    charge(find_group(grant->second.group), -grant->second.bytes);
    grants_.erase(grant);
  }
}

std::vector<RateLimiter::ConsumerId> RateLimiter::resumable(Clock::time_point now) {
  std::vector<ConsumerId> resumed;
  if (queue_.empty()) return resumed;
  global_.refill(now);
  for (auto it = queue_.begin(); it != queue_.end();) {
    Group* g = find_group(it->group);
    if (g) g->bucket.refill(now);  // idempotent for the same `now`
    const bool group_ok = !g || g->bucket.available() > 0;
    const bool global_ok = global_.available() > 0;
    if (group_ok && global_ok) {
      charge(g, it->bytes);
      grants_[it->id] = Grant{it->group, it->bytes};
      resumed.push_back(it->id);
      it = erase_waiter(it);
    } else {
      // Re-classify: newcomers of other groups queue behind this one only if it waits on the
      // global bucket.
      if (it->on_global != group_ok) {
        if (group_ok) {
          ++global_bound_;
        } else {
          --global_bound_;
        }
        it->on_global = group_ok;
      }
      ++it;
    }
  }
  return resumed;
}

std::optional<Clock::duration> RateLimiter::next_wakeup(Clock::time_point now) const {
  if (queue_.empty()) return std::nullopt;
  const Clock::duration global_wait = global_.time_until_available(1, now);
  Clock::duration best = Clock::duration::max();
  for (const Waiter& w : queue_) {
    Clock::duration wait = global_wait;
    if (const Group* g = find_group(w.group)) {
      wait = std::max(wait, g->bucket.time_until_available(1, now));
    }
    best = std::min(best, wait);
    if (best == Clock::duration::zero()) break;
  }
  return best;
}

RateLimiter::Group* RateLimiter::find_group(GroupId group) {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

const RateLimiter::Group* RateLimiter::find_group(GroupId group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

void RateLimiter::charge(Group* group, std::int64_t bytes) {
  if (bytes >= 0) {
    global_.consume(bytes);
    if (group) group->bucket.consume(bytes);
  } else {
    global_.refund(-bytes);
    if (group) group->bucket.refund(-bytes);
  }
}

RateLimiter::Queue::iterator RateLimiter::erase_waiter(Queue::iterator it) {
  if (Group* g = find_group(it->group)) --g->waiters;
  if (it->on_global) --global_bound_;
  waiting_.erase(it->id);
  return queue_.erase(it);
}

void RateLimiter::recount() {
  for (auto& entry : groups_) entry.second.waiters = 0;
  global_bound_ = 0;
  for (Waiter& w : queue_) {
    Group* g = find_group(w.group);
    if (g) ++g->waiters;
    w.on_global = !g || g->bucket.available() > 0;
    if (w.on_global) ++global_bound_;
  }
}

}  // namespace spate::core
