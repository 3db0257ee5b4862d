#include "support/run_session.h"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

namespace spate::testing {

TaskOptions quick_task_options() {
  TaskOptions options;
  options.retry_wait = std::chrono::milliseconds(10);
  options.connect_timeout = std::chrono::seconds(5);
  options.stall_timeout = std::chrono::seconds(5);
  options.min_split_size = std::int64_t{64} * 1024;
  return options;
}

SessionOutcome run_session(const std::vector<Task>& tasks, SessionOptions options,
                           std::chrono::seconds limit) {
  auto session = Session::create(std::move(options));
  if (!session) throw std::runtime_error("Session::create failed: " + session.error().message);
  SessionOutcome outcome;
  std::atomic<bool> fed{false};
  std::thread feeder([&] {
    for (const auto& task : tasks) {
      if (!(*session)->submit(task)) break;
    }
    (*session)->close();
    fed = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<Event> events;
  for (bool done = false; !done;) {
    if (!outcome.timed_out && std::chrono::steady_clock::now() > deadline) {
      outcome.timed_out = true;
      (*session)->cancel();  // cancelled tasks still report, so the loop below ends
    }
    (*session)->wait_for_event(std::chrono::milliseconds(50));
    done = fed && (*session)->idle();  // before draining: idle means every event is queued
    events.clear();
    (*session)->pop_events(events);
    for (auto& event : events) {
      std::visit(
          [&](auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, TaskStarted>) outcome.started.push_back(e);
            if constexpr (std::is_same_v<E, TaskFinished>) outcome.finished.push_back(e);
            if constexpr (std::is_same_v<E, TaskFailed>) outcome.failed.push_back(e);
            if constexpr (std::is_same_v<E, TaskRetrying>) outcome.retries.push_back(e);
          },
          event);
    }
  }
  feeder.join();
  return outcome;
}

SessionOutcome run_task(const Task& task, SessionOptions options, std::chrono::seconds limit) {
  return run_session({task}, std::move(options), limit);
}

}  // namespace spate::testing
