// Runs a spate::Session to completion for tests and gathers what it reported.
// Test-only; call from one thread.
#pragma once

#include "spate/session.h"

#include <chrono>
#include <optional>
#include <vector>

namespace spate::testing {

struct SessionOutcome {
  std::vector<TaskStarted> started;
  std::vector<TaskFinished> finished;
  std::vector<TaskFailed> failed;
  std::vector<TaskRetrying> retries;
  bool timed_out = false;  // the session did not become idle within the limit
};

// Options small enough for tests: short retry waits and timeouts.
TaskOptions quick_task_options();

// Submits every task, waits (bounded by `limit`) until all ended, returns the events.
SessionOutcome run_session(const std::vector<Task>& tasks, SessionOptions options = {},
                           std::chrono::seconds limit = std::chrono::seconds(60));

// One task; convenience for the common case.
SessionOutcome run_task(const Task& task, SessionOptions options = {},
                        std::chrono::seconds limit = std::chrono::seconds(60));

}  // namespace spate::testing
