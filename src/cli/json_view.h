// The machine view of a run (--json): one JSON object per line (NDJSON) per event, flushed line by
// line, ending with a "summary" object. The schema is documented in docs/events.md; every object
// carries "v" (kSchemaVersion) and "event". Progress is throttled per task.
// Thread-compatible: used from the CLI's main thread only. Does not own `out`.
#pragma once

#include "spate/events.h"

#include "download_results.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_map>

namespace spate::cli {

class JsonView {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kSchemaVersion = 1;

  explicit JsonView(std::FILE* out,
                    std::chrono::milliseconds progress_interval = std::chrono::seconds(1))
      : out_(out), progress_interval_(progress_interval) {}

  void on_event(const Event& event, Clock::time_point now);
  // The closing "summary" object. `seconds`: the run's length.
  void summary(const RunTotals& totals, double seconds);

 private:
  bool progress_due(TaskId id, Clock::time_point now);
  void write_line(const std::string& line);

  std::FILE* out_;
  std::chrono::milliseconds progress_interval_;
  // When each running task last had a "progress" line; erased when it ends.
  std::unordered_map<TaskId, Clock::time_point> last_progress_;
};

}  // namespace spate::cli
