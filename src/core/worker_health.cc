#include "core/worker_health.h"

#include <algorithm>

namespace spate::core {
namespace {

double median_rate_without(std::span<const WorkerHealth> workers, WorkerId excluded) {
  std::vector<double> rates;
  rates.reserve(workers.size());
  for (const auto& worker : workers) {
    if (worker.id != excluded) rates.push_back(worker.bytes_per_second);
  }
  if (rates.empty()) return 0;
  const auto middle = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2);
  std::nth_element(rates.begin(), middle, rates.end());
  return *middle;
}

}  // namespace

HealthVerdict judge_workers(std::span<const WorkerHealth> workers, const HealthPolicy& policy,
                            bool spare_connection, double reference_rate) {
  HealthVerdict verdict;
  for (const auto& worker : workers) {
    if (worker.remaining > 0 && worker.silent_for >= policy.stall_timeout) {
      verdict.stalled.push_back(worker.id);
    }
  }
  for (const auto& worker : workers) {
    if (policy.lowest_speed <= 0 || worker.remaining <= 0) continue;
    if (worker.running_for < policy.slow_grace) continue;  // start-up grace
    if (worker.bytes_per_second >= static_cast<double>(policy.lowest_speed)) continue;
    if (std::find(verdict.stalled.begin(), verdict.stalled.end(), worker.id) ==
        verdict.stalled.end()) {
      verdict.too_slow.push_back(worker.id);
    }
  }
  if (!spare_connection) return verdict;
  const WorkerHealth* slowest = nullptr;
  for (const auto& worker : workers) {
    if (worker.running_for < policy.slow_grace || worker.remaining < policy.min_split) continue;
    if (std::find(verdict.stalled.begin(), verdict.stalled.end(), worker.id) !=
        verdict.stalled.end()) {
      continue;
    }
    if (slowest == nullptr || worker.bytes_per_second < slowest->bytes_per_second) {
      slowest = &worker;
    }
  }
  if (slowest == nullptr) return verdict;
  const double others =
      workers.size() > 1 ? median_rate_without(workers, slowest->id) : reference_rate;
  if (others > 0 && slowest->bytes_per_second < policy.slow_fraction * others) {
    verdict.slowest = slowest->id;
  }
  return verdict;
}

}  // namespace spate::core
