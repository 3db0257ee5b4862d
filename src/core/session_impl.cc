#include "core/session_impl.h"

#include "net/url.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace spate {

Result<std::unique_ptr<SessionImpl>> SessionImpl::create(SessionOptions options) {
  if (options.max_concurrent_downloads < 1 || options.max_overall_connections < 1 ||
      options.max_connections_per_host < 1) {
    return make_error(ErrorKind::Usage, "session limits must be at least 1");
  }
  if (options.user_agent.empty()) options.user_agent = fmt::format("spate/{}", SPATE_VERSION);
  auto loop = net::TransferLoop::create(options.max_overall_connections);
  if (!loop) return tl::unexpected(loop.error());
  return std::unique_ptr<SessionImpl>(new SessionImpl(std::move(options), std::move(*loop)));
}

SessionImpl::SessionImpl(SessionOptions options, std::unique_ptr<net::TransferLoop> loop)
    : options_(std::move(options)),
      loop_(std::move(loop)),
      events_(options_.event_capacity, [this] { loop_->wakeup(); }),
      now_(core::Clock::now()),
      limiter_(options_.limit_rate, now_),
      thread_([this] { run(); }) {}

SessionImpl::~SessionImpl() {
  cancel();
  stopping_ = true;
  loop_->wakeup();
  thread_.join();
}

// ---------------------------------------------------------------------------------------------
// Any thread.

Result<TaskId> SessionImpl::submit(Task task) {
  Result<std::string> host =
      net::parse_url(task.url).map([](net::UrlParts parts) { return std::move(parts.host); });
  std::unique_lock lock(intake_mutex_);
  intake_not_full_.wait(lock, [this] {
    return closed_ || intake_.size() < std::max<std::size_t>(1, options_.intake_capacity);
  });
  if (closed_) return make_error(ErrorKind::Usage, "the session accepts no more tasks");
  const TaskId id = next_id_++;
  {
    std::lock_guard done_lock(done_mutex_);
    ++submitted_;
  }
  events_.push(TaskQueued{id, task.url}, /*droppable=*/false);
  const bool was_empty = intake_.empty();
  intake_.push_back(QueuedTask{id, std::move(task), std::move(host)});
  lock.unlock();
  if (was_empty) loop_->wakeup();  // the loop takes all it can per pass: one wakeup per batch
  return id;
}

void SessionImpl::close() {
  {
    std::lock_guard lock(intake_mutex_);
    closed_ = true;
  }
  intake_not_full_.notify_all();
  // Closing a session with nothing left to do is its end: wake a consumer waiting for it (else
  // an empty list would wait out the consumer's whole timeout).
  if (idle()) events_.wake();
}

void SessionImpl::cancel() {
  close();
  cancel_requested_ = true;
  loop_->wakeup();
}

bool SessionImpl::idle() const {
  std::lock_guard lock(done_mutex_);
  return submitted_ == ended_;
}

void SessionImpl::wait() {
  std::unique_lock lock(done_mutex_);
  done_changed_.wait(lock, [this] { return submitted_ == ended_; });
}

bool SessionImpl::wait_idle_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(done_mutex_);
  return done_changed_.wait_for(lock, timeout, [this] { return submitted_ == ended_; });
}

void SessionImpl::task_ended() {
  bool idle_now = false;
  {
    std::lock_guard lock(done_mutex_);
    idle_now = ++ended_ == submitted_;
  }
  if (!idle_now) return;  // nobody waits for anything but the end
  done_changed_.notify_all();
  events_.wake();  // a consumer waiting for events may be waiting for the end
}

void SessionImpl::emit(Event event) {
  const bool droppable = std::holds_alternative<TaskProgress>(event);
  events_.push(std::move(event), droppable);
}

// ---------------------------------------------------------------------------------------------
// Network thread.

void SessionImpl::run() {
  const auto pump_all_but_finishing = [this] {
    for (auto& entry : jobs_) {
      if (!entry.job->finishing()) entry.job->pump();
    }
  };
  // After stop, run until every job has ended: cancelled jobs save their resume state.
  while (!stopping_ || !jobs_.empty()) {
    if (cancel_requested_ && !cancelled_) cancel_everything();
    loop_->perform();
    now_ = core::Clock::now();
    resume_paused_transfers();
    // Act on what finished, free the slots of ended jobs, fill them from the intake at once, and
    // start the new jobs in the same pass. A job with only its file left to put in place
    // (finishing) gives up its slot at once and is finished after the new jobs' requests are
    // out: its rename, close and event, and the old transfer's cleanup, had sat between a
    // response and the next request on that connection (on a 50 ms path, 152 µs of the gap
    // before, 113 µs after; see the commit).
    count_waiting_jobs();
    pump_all_but_finishing();
    reap();
    admit();
    count_waiting_jobs();
    pump_all_but_finishing();
    loop_->run_due_timer();
    for (auto& entry : jobs_) entry.job->pump();
    reap();
    report_progress();
    loop_->poll(next_timeout());
  }
}

std::size_t SessionImpl::active_jobs() const {
  return static_cast<std::size_t>(std::count_if(
      jobs_.begin(), jobs_.end(), [](const ActiveJob& entry) { return !entry.job->finishing(); }));
}

bool SessionImpl::can_admit() const {
  if (cancelled_ || active_jobs() >= static_cast<std::size_t>(options_.max_concurrent_downloads) ||
      events_.full()) {
    return false;
  }
  std::lock_guard lock(intake_mutex_);
  return !intake_.empty();
}

void SessionImpl::admit() {
  std::size_t active = active_jobs();
  while (!cancelled_ && active < static_cast<std::size_t>(options_.max_concurrent_downloads) &&
         !events_.full()) {
    std::optional<QueuedTask> next;  // built only when there is one: this runs on every pass
    {
      std::lock_guard lock(intake_mutex_);
      if (intake_.empty()) return;
      next.emplace(std::move(intake_.front()));
      intake_.pop_front();
      // Wake a blocked submitter once the intake is half empty, not for every task taken.
      if (intake_.size() == options_.intake_capacity / 2) intake_not_full_.notify_all();
    }
    auto& [id, task, host] = *next;
    if (!host) {
      emit(TaskFailed{id, task.url, std::move(host.error()), 0});
      task_ended();
      continue;
    }
    if (task.options.max_download_limit > 0) {
      limiter_.set_group_rate(id, task.options.max_download_limit, now_);
    }
    ActiveJob entry;
    entry.job = std::make_unique<core::Job>(id, std::move(task), std::move(*host), *this);
    entry.last_time = now_;
    jobs_.push_back(std::move(entry));
    ++active;
  }
}

void SessionImpl::cancel_everything() {
  cancelled_ = true;
  for (auto& entry : jobs_) entry.job->cancel(Error{ErrorKind::Cancelled, "cancelled"});
  std::deque<QueuedTask> queued;
  {
    std::lock_guard lock(intake_mutex_);
    queued.swap(intake_);
  }
  intake_not_full_.notify_all();
  for (auto& [id, task, host] : queued) {
    emit(TaskFailed{id, task.url, Error{ErrorKind::Cancelled, "cancelled before it started"}, 0});
    task_ended();
  }
}

void SessionImpl::reap() {
  const auto first_ended = std::stable_partition(
      jobs_.begin(), jobs_.end(), [](const ActiveJob& entry) { return !entry.job->ended(); });
  for (auto it = first_ended; it != jobs_.end(); ++it) limiter_.remove_group(it->job->id());
  const auto count = std::distance(first_ended, jobs_.end());
  jobs_.erase(first_ended, jobs_.end());
  for (std::ptrdiff_t i = 0; i < count; ++i) task_ended();
}

void SessionImpl::report_progress() {
  if (now_ - last_progress_ < options_.progress_interval) return;
  last_progress_ = now_;
  for (auto& entry : jobs_) {
    const core::Job& job = *entry.job;
    const std::int64_t bytes = job.downloaded();
    const double seconds = std::chrono::duration<double>(now_ - entry.last_time).count();
    if (seconds > 0) {
      const double instant = static_cast<double>(bytes - entry.last_bytes) / seconds;
      entry.rate = entry.rate == 0 ? instant : 0.7 * entry.rate + 0.3 * instant;
    }
    entry.last_bytes = bytes;
    entry.last_time = now_;
    emit(TaskProgress{job.id(), bytes, job.size(), entry.rate, job.connections()});
  }
}

std::chrono::milliseconds SessionImpl::next_timeout() const {
  using std::chrono::milliseconds;
  // Jobs that ended in this pass (a skipped file, a transfer done at once) freed slots that
  // queued tasks can take now. Nothing would wake the poll for them: submit() wakes it only when
  // the intake was empty. Sleeping here cost a whole timeout per slotful of skipped files.
  if (can_admit()) return milliseconds(0);
  auto timeout = milliseconds(1000);
  if (!jobs_.empty()) timeout = std::min(timeout, options_.progress_interval);
  if (auto wake = limiter_.next_wakeup(now_)) {
    timeout = std::min(timeout, std::chrono::ceil<milliseconds>(*wake));
  }
  for (const auto& entry : jobs_) {
    if (auto wake = entry.job->wake_at()) {
      timeout = std::min(timeout, std::chrono::ceil<milliseconds>(*wake - now_));
    }
  }
  return std::max(timeout, milliseconds(0));
}

void SessionImpl::count_waiting_jobs() {
  waiting_jobs_ = 0;
  waiting_jobs_per_host_.clear();
  for (const auto& entry : jobs_) {
    if (entry.job->ended() || entry.job->connections() > 0 || entry.job->finishing()) continue;
    ++waiting_jobs_;
    ++waiting_jobs_per_host_[entry.job->host()];
  }
}

namespace {
core::RateLimiter::ConsumerId consumer_id(const net::Transfer& transfer) {
  return reinterpret_cast<std::uintptr_t>(&transfer);  // unique while the transfer lives
}
}  // namespace

bool SessionImpl::admit_bytes(TaskId id, net::Transfer& transfer, std::int64_t bytes) {
  if (!limiter_.limited()) return true;
  const auto consumer = consumer_id(transfer);
  if (limiter_.admit(consumer, id, bytes, core::Clock::now())) return true;
  paused_[consumer] = &transfer;
  return false;
}

void SessionImpl::transfer_gone(net::Transfer& transfer) {
  if (!limiter_.limited()) return;
  const auto consumer = consumer_id(transfer);
  limiter_.forget(consumer);
  paused_.erase(consumer);
}

void SessionImpl::resume_paused_transfers() {
  if (paused_.empty()) return;
  for (const auto consumer : limiter_.resumable(now_)) {
    const auto it = paused_.find(consumer);
    if (it == paused_.end()) continue;
    net::Transfer* transfer = it->second;
    paused_.erase(it);
    transfer->resume();  // may deliver data, and so pause again, from inside this call
  }
}

long SessionImpl::receive_buffer(TaskId id) const {
  std::int64_t rate = limiter_.global_rate();
  const std::int64_t group = limiter_.group_rate(id);
  if (group > 0 && (rate <= 0 || group < rate)) rate = group;
  const auto full = static_cast<std::int64_t>(options_.receive_buffer);
  // About 1/16 s of the rate per buffer: one buffer is the limiter's smallest step.
  if (rate > 0)
    return static_cast<long>(std::clamp<std::int64_t>(rate / 16, std::int64_t{16} * 1024, full));
  return static_cast<long>(full);
}

bool SessionImpl::acquire_connection(const std::string& host, bool first) {
  const auto waiting_here = waiting_jobs_per_host_.find(host);
  const int reserve_total = first ? 0 : waiting_jobs_;
  const int reserve_host =
      first || waiting_here == waiting_jobs_per_host_.end() ? 0 : waiting_here->second;
  if (connections_ + reserve_total >= options_.max_overall_connections) return false;
  int& per_host = connections_per_host_[host];
  if (per_host + reserve_host >= options_.max_connections_per_host) return false;
  ++per_host;
  ++connections_;
  if (first && waiting_here != waiting_jobs_per_host_.end()) {
    // This job is no longer waiting: its reserved slot is now a real one.
    --waiting_jobs_;
    if (--waiting_here->second == 0) waiting_jobs_per_host_.erase(waiting_here);
  }
  return true;
}

void SessionImpl::release_connection(const std::string& host) {
  auto it = connections_per_host_.find(host);
  if (it == connections_per_host_.end()) return;
  --connections_;
  if (--it->second == 0) connections_per_host_.erase(it);
}

}  // namespace spate
