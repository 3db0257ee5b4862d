// Decides which connections of a segmented download have stalled or crawl far behind the
// others, so their ranges can move to fresh connections ("one crawling connection never holds
// the download hostage at 99 %"). Pure: the caller supplies rates and times. Thread-safe.
#pragma once

#include "core/segment_map.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace spate::core {

struct WorkerHealth {
  WorkerId id = 0;
  double bytes_per_second = 0;               // over the last sampling interval
  std::int64_t remaining = 0;                // bytes of its range still to fetch
  std::chrono::milliseconds silent_for{0};   // since its last byte (or its request began)
  std::chrono::milliseconds running_for{0};  // since its request began
};

struct HealthPolicy {
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds slow_grace{std::chrono::seconds(3)};  // no judging before this
  double slow_fraction = 0.2;        // slow = below this share of the median rate of the others
  std::int64_t min_split = 1 << 20;  // a remainder smaller than this is not worth moving
  std::int64_t lowest_speed = 0;     // bytes/s (--lowest-speed-limit); 0 = off
};

struct HealthVerdict {
  std::vector<WorkerId> stalled;    // no data for stall_timeout: drop, retry the rest
  std::vector<WorkerId> too_slow;   // below lowest_speed after slow_grace: drop, retry the rest
  std::optional<WorkerId> slowest;  // crawling: hand its remainder to a fresh connection
};

// `spare_connection`: the job could open another connection but has nothing left to assign,
// which is when replacing a crawler pays off. A crawler is compared with the median rate of the
// other running connections, or with `reference_rate` (the best rate one connection of this
// download reached) when it runs alone.
HealthVerdict judge_workers(std::span<const WorkerHealth> workers, const HealthPolicy& policy,
                            bool spare_connection, double reference_rate);

}  // namespace spate::core
