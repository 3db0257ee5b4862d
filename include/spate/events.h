// Events a Session reports about its tasks. Plain values, produced on the network thread and
// consumed by whoever calls Session::pop_events. Terminal events (TaskFinished, TaskFailed) are
// never dropped; progress may be coalesced or dropped when the consumer falls behind, and
// EventsDropped says how many were.
#pragma once

#include "spate/error.h"
#include "spate/task.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

namespace spate {

struct TaskQueued {
  TaskId id = 0;
  std::string url;
};

struct TaskStarted {
  TaskId id = 0;
  std::string url;
  std::filesystem::path path;        // final destination
  std::optional<std::int64_t> size;  // total bytes when known
  bool ranges_supported = false;     // server answered a ranged request with 206
  int connections = 1;               // connections planned for this file
};

struct TaskProgress {
  TaskId id = 0;
  std::int64_t downloaded = 0;       // bytes written so far
  std::optional<std::int64_t> size;  // total bytes when known
  double bytes_per_second = 0;       // recent rate
  int connections = 0;               // transfers running now
};

struct TaskRetrying {
  TaskId id = 0;
  Error reason;
  int attempt = 0;                    // the attempt that failed (1-based)
  std::chrono::milliseconds wait{0};  // delay before the next attempt
};

struct TaskFinished {
  TaskId id = 0;
  std::string url;
  std::filesystem::path path;
  std::int64_t bytes = 0;
  double seconds = 0;
  int attempts = 1;
  bool skipped = false;  // ExistingFile::Skip found the file already present
  std::string digest{};  // "sha-256=HEX" when a checksum was verified, else empty
};

struct TaskFailed {
  TaskId id = 0;
  std::string url;
  Error error;
  int attempts = 1;
};

// Something the user should know that is not a failure, e.g. a rejected resume state file.
struct TaskNotice {
  TaskId id = 0;
  std::string message;
};

struct EventsDropped {
  std::uint64_t count = 0;  // progress events dropped since the last EventsDropped
};

using Event = std::variant<TaskQueued, TaskStarted, TaskProgress, TaskRetrying, TaskFinished,
                           TaskFailed, TaskNotice, EventsDropped>;

}  // namespace spate
