// The engine behind spate::Session: the intake queue (any thread), and the network thread that
// owns the TransferLoop, every Job and all connection accounting. Members marked "network thread"
// are touched only by that thread; the others say which lock guards them.
#pragma once

#include "spate/session.h"

#include "core/event_queue.h"
#include "core/job.h"
#include "core/job_context.h"
#include "core/rate_limiter.h"
#include "net/transfer_loop.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace spate {

class SessionImpl final : public core::JobContext {
 public:
  static Result<std::unique_ptr<SessionImpl>> create(SessionOptions options);
  ~SessionImpl() override;

  // Public API (any thread).
  Result<TaskId> submit(Task task);
  void close();
  void cancel();
  bool idle() const;
  void wait();
  bool wait_idle_for(std::chrono::milliseconds timeout);
  bool wait_for_event(std::chrono::milliseconds timeout) { return events_.wait(timeout); }
  void pop_events(std::vector<Event>& out) { events_.pop_all(out); }

  // JobContext (network thread).
  const SessionOptions& options() const override { return options_; }
  core::Clock::time_point now() const override { return now_; }
  bool acquire_connection(const std::string& host, bool first) override;
  void release_connection(const std::string& host) override;
  Result<void> start(net::Transfer& transfer) override { return loop_->add(transfer); }
  void stop(net::Transfer& transfer) override { loop_->remove(transfer); }
  void emit(Event event) override;
  bool admit_bytes(TaskId id, net::Transfer& transfer, std::int64_t bytes) override;
  void transfer_gone(net::Transfer& transfer) override;
  long receive_buffer(TaskId id) const override;
  std::shared_ptr<const storage::Directory> directory_of(const std::filesystem::path& file,
                                                         bool reopen) override {
    return directories_.directory_of(file, reopen, now_);
  }

 private:
  struct ActiveJob {
    std::unique_ptr<core::Job> job;
    std::int64_t last_bytes = 0;
    core::Clock::time_point last_time{};
    double rate = 0;  // bytes per second, smoothed
  };

  SessionImpl(SessionOptions options, std::unique_ptr<net::TransferLoop> loop);
  void run();    // the network thread's loop
  void admit();  // moves tasks from the intake into jobs under the caps
  void cancel_everything();
  void reap();  // drops ended jobs
  void report_progress();
  void count_waiting_jobs();
  void resume_paused_transfers();  // those the bandwidth budget allows again  // jobs without a
                                   // connection, for acquire_connection's reserve
  std::chrono::milliseconds next_timeout() const;
  // Jobs that hold a download slot: every one but those only finishing (Job::finishing).
  std::size_t active_jobs() const;
  // A queued task could become a job now (a slot is free, the event queue has room).
  bool can_admit() const;
  void task_ended();

  const SessionOptions options_;
  const std::unique_ptr<net::TransferLoop> loop_;
  core::EventQueue events_;

  // A submitted task waiting for a download slot.
  struct QueuedTask {
    TaskId id = 0;
    Task task;
    // The URL's host, or why the URL is not valid: parsed by submit() on the caller's thread,
    // so the network thread (the busy one on a long list of small files) does not.
    Result<std::string> host;
  };

  // Intake, guarded by intake_mutex_.
  mutable std::mutex intake_mutex_;
  std::condition_variable intake_not_full_;
  std::deque<QueuedTask> intake_;
  bool closed_ = false;
  TaskId next_id_ = 1;

  // Completion counting for idle()/wait(), guarded by done_mutex_.
  mutable std::mutex done_mutex_;
  std::condition_variable done_changed_;
  std::uint64_t submitted_ = 0;
  std::uint64_t ended_ = 0;

  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> stopping_{false};

  // Network thread only.
  core::Clock::time_point now_{};
  core::Clock::time_point last_progress_{};
  std::vector<ActiveJob> jobs_;
  int connections_ = 0;
  std::map<std::string, int, std::less<>> connections_per_host_;
  int waiting_jobs_ = 0;  // active jobs holding no connection (counted once per pass)
  std::map<std::string, int, std::less<>> waiting_jobs_per_host_;
  bool cancelled_ = false;
  core::RateLimiter limiter_;
  std::unordered_map<core::RateLimiter::ConsumerId, net::Transfer*> paused_;
  storage::DirectoryCache directories_;

  std::thread thread_;  // last: started after everything above exists
};

}  // namespace spate
