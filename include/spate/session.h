// A Session downloads Tasks. It owns one network thread that drives every transfer through
// libcurl's multi interface; all public member functions are thread-safe and may be called from
// any thread. The Session owns its thread, transfers and files; destroying it cancels what is
// still running (temp files of cancelled downloads are removed) and joins the thread.
#pragma once

#include "spate/error.h"
#include "spate/events.h"
#include "spate/task.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spate {

struct SessionOptions {
  int max_concurrent_downloads = 5;                  // tasks in flight (-j)
  int max_overall_connections = 64;                  // connections across all tasks
  int max_connections_per_host = 8;                  // per host name, across all tasks (-x)
  std::size_t intake_capacity = 64;                  // submit() blocks while this many tasks wait
  std::size_t event_capacity = 4096;                 // events buffered for pop_events
  std::chrono::milliseconds progress_interval{250};  // TaskProgress at most this often per task
  // libcurl receive buffer per transfer, bytes: the most a connection gets. A download split N
  // ways shares 2 MiB among its connections (at least 128 KiB each); a rate limit lowers it too.
  // libcurl allocates it when a transfer starts and frees it when the transfer ends. With glibc's
  // default thresholds, a program fetching many small files then faults its pages in again for
  // every file; the spate tool keeps these buffers in the heap with mallopt (src/cli/main.cc).
  std::size_t receive_buffer = std::size_t{512} * 1024;
  std::string user_agent;       // empty = "spate/VERSION"
  std::int64_t limit_rate = 0;  // bytes/s across all downloads and connections; 0 = no limit
};

class SessionImpl;

class Session {
 public:
  // Starts the network thread. Fails when libcurl cannot be initialised or options are invalid.
  static Result<std::unique_ptr<Session>> create(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Queues a task; blocks while the intake queue is full. Fails for an invalid task or after
  // close()/cancel(). The returned id names the task in every event.
  Result<TaskId> submit(Task task);

  // No more submits; lets wait() and idle() see the end of the work.
  void close();

  // Stops every task as soon as possible (resumable state is kept where it exists) and refuses
  // further submits. Terminal events (TaskFailed with ErrorKind::Cancelled) still arrive.
  void cancel();

  // True when every submitted task has ended and its terminal event was delivered to the queue.
  bool idle() const;

  // Blocks until idle(). Terminal events are never dropped, so when more tasks than
  // SessionOptions::event_capacity are submitted, another thread must drain pop_events meanwhile.
  void wait();

  // Blocks until idle() or the timeout; returns idle(). Before close() the session may be idle
  // only until the next submit.
  bool wait_idle_for(std::chrono::milliseconds timeout);

  // Waits up to timeout for at least one event; true when events are ready.
  bool wait_for_event(std::chrono::milliseconds timeout);

  // Appends every queued event to out, oldest first.
  void pop_events(std::vector<Event>& out);

 private:
  explicit Session(std::unique_ptr<SessionImpl> impl);
  std::unique_ptr<SessionImpl> impl_;
};

}  // namespace spate
