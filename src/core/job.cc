#include "core/job.h"

#include "core/retry_policy.h"
#include "core/worker_health.h"
#include "net/http_headers.h"
#include "util/file_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace spate::core {

// One connection slot of a job. It carries one request at a time; after its range is done it
// may carry the next one (libcurl then reuses the kept-alive connection).
struct Job::Worker final : net::TransferSink {
  Worker(Job& owner, WorkerId worker_id) : job(owner), id(worker_id) {}

  Result<void> on_head(const net::ResponseHead& response) noexcept override {
    return job.on_head(*this, response);
  }
  net::DataVerdict on_data(std::span<const char> data) noexcept override {
    return job.on_data(*this, data);
  }
  void on_done(Result<void> outcome) noexcept override { job.on_done(*this, std::move(outcome)); }

  bool running() const { return transfer != nullptr; }

  Job& job;
  const WorkerId id;
  std::unique_ptr<net::Transfer> transfer;
  net::Request request;
  bool probe = false;              // first request of the download (learns size and ranges)
  bool head_only = false;          // --probe=head
  bool discard_body = false;       // the body is not file data (416 to the probe of an empty file)
  bool reprobe = false;            // a bounded probe got no total size: probe again, open-ended
  std::optional<Error> error;      // why a callback failed the transfer
  net::ResponseHead head;          // kept for HEAD probes, read in on_done
  std::int64_t response_end = -1;  // end of what the 206 announced (may be short of the ask)
  std::int64_t received = 0;       // body bytes of the current request
  std::int64_t sampled = 0;        // `received` at the last health check
  Clock::time_point started{};     // when the current request began
  Clock::time_point last_data{};   // when its last byte arrived
};

Job::Job(TaskId id, Task task, std::string host, JobContext& context)
    : context_(context),
      id_(id),
      task_(std::move(task)),
      host_(std::move(host)),
      probe_mode_(task_.options.probe) {}

Job::~Job() { stop_all(); }

std::optional<Clock::time_point> Job::wake_at() const {
  if (ended()) return std::nullopt;
  if (not_before_ > context_.now()) return not_before_;
  // Wake when the first connection's rate can be judged, even if no data arrives then.
  if (segmented_ && !split_open_ && segmented_at_ + kSplitSample > context_.now()) {
    return segmented_at_ + kSplitSample;
  }
  return std::nullopt;
}

void Job::cancel(Error reason) {
  if (ended()) return;
  stop_all();
  if (!fatal_) fatal_ = std::move(reason);
}

bool Job::finishing() const {
  if (state_ != State::Downloading || fatal_ || restart_requested_ || connections() > 0 ||
      context_.now() < not_before_) {
    return false;
  }
  return segmented_ ? map_->complete() : stream_complete_;
}

std::int64_t Job::downloaded() const { return map_ ? map_->done_bytes() : stream_written_; }

int Job::connections() const {
  return static_cast<int>(std::count_if(workers_.begin(), workers_.end(),
                                        [](const auto& worker) { return worker->running(); }));
}

// ---------------------------------------------------------------------------------------------
// pump: the only place that starts, stops and finishes things.

void Job::pump() {
  finished_transfers_.clear();
  if (ended()) return;
  if (fatal_) {
    stop_all();
    fail(*fatal_);
    return;
  }
  if (restart_requested_) restart();
  if (state_ == State::Starting) {
    if (auto opened = open_destination(); !opened) {
      fail(opened.error());
      return;
    }
    if (ended()) return;  // skipped: the file exists
    started_at_ = context_.now();
    state_ = State::Probing;
  }
  if (context_.now() < not_before_) return;
  switch (state_) {
    case State::Probing:
      if (connections() == 0) start_probe();
      break;
    case State::Downloading:
      if (segmented_) {
        if (map_->complete() && connections() == 0) {
          finalize();
        } else {
          check_health();
          save_state_if_due();
          start_segments();
        }
      } else if (stream_complete_) {
        finalize();
      } else if (connections() == 0) {
        start_stream();
      }
      break;
    default:
      break;
  }
}

net::Request Job::base_request() const {
  const auto& options = task_.options;
  const auto& session = context_.options();
  net::Request request;
  request.url = task_.url;
  request.http = options.http;
  request.user_agent = session.user_agent;
  request.connect_timeout_ms = static_cast<long>(options.connect_timeout.count());
  request.stall_timeout_s = std::max(
      1L, static_cast<long>(
              std::chrono::duration_cast<std::chrono::seconds>(options.stall_timeout).count()));
  request.max_redirects = options.max_redirects;
  // A split download shares kSplitBufferBudget among its connections (each keeps at least
  // kMinSplitBuffer): 16 connections with 512 KiB each held 8 MiB for no measurable speed-up
  // (1 GiB on loopback: 23 MiB peak RSS with 512 KiB, 16.5 MiB with 128 KiB, the same CPU time),
  // while one connection does gain from the larger buffer (0.76 s against 0.9 s for 1 GiB).
  const long most = context_.receive_buffer(id_);
  const long share = kSplitBufferBudget / (split_open_ ? std::max(1, task_.options.split) : 1);
  request.buffer_size = std::min(most, std::max(kMinSplitBuffer, share));
  return request;
}

Job::Worker& Job::idle_worker() {
  for (auto& worker : workers_) {
    if (!worker->running()) return *worker;
  }
  workers_.push_back(std::make_unique<Worker>(*this, static_cast<WorkerId>(workers_.size())));
  return *workers_.back();
}

bool Job::launch(Worker& worker, net::Request request) {
  if (!context_.acquire_connection(host_, connections() == 0)) return false;
  worker.request = std::move(request);
  worker.error.reset();
  worker.reprobe = false;
  worker.head = {};
  worker.response_end = -1;
  worker.received = 0;
  worker.sampled = 0;
  worker.started = context_.now();
  worker.last_data = worker.started;
  auto transfer = net::Transfer::create(worker.request, worker);
  if (!transfer) {
    context_.release_connection(host_);
    fatal_ = transfer.error();
    return false;
  }
  worker.transfer = std::move(*transfer);
  if (auto started = context_.start(*worker.transfer); !started) {
    context_.release_connection(host_);
    worker.transfer.reset();
    fatal_ = started.error();
    return false;
  }
  return true;
}

void Job::start_probe() {
  Worker& worker = idle_worker();
  net::Request request = base_request();
  worker.probe = true;
  worker.head_only = probe_mode_ == ProbeMode::Head;
  if (worker.head_only) {
    request.head = true;
  } else {
    // "Range: bytes=N-": a 206 tells size and Range support at once. N is 0, or the first byte
    // a resumed download still lacks; then If-Range makes a changed file come back whole (200).
    request.range_begin = resume_ ? resume_->first_missing() : 0;
    if (task_.options.split > 1 && !open_probe_) {
      // A split download asks for no more than the smallest segment: an open-ended response
      // would run past the first segment into the others, and cutting it off wastes what is in
      // flight and the connection. The connection then carries the rest of the first segment.
      request.range_end =
          request.range_begin + std::max<std::int64_t>(1, task_.options.min_split_size);
    }
    if (resume_) request.if_range = resume_->validators.if_range();
    if (if_modified_since_) request.http.if_modified_since = if_modified_since_;
  }
  launch(worker, std::move(request));
}

int Job::connections_wanted() {
  const int most = std::max(1, task_.options.split);
  if (split_open_ || most == 1) return most;
  const auto elapsed = context_.now() - segmented_at_;
  if (elapsed < kSplitSample) return 1;
  // Under --limit-rate or --max-download-limit more connections would only share the same budget.
  if (last_throttled_ != Clock::time_point{} &&
      context_.now() - last_throttled_ < kThrottleMemory) {
    return 1;
  }
  // The download's rate so far on one connection predicts how long the rest takes. Judged on
  // every pump, so a connection that slows down later (a server's burst allowance runs out)
  // still opens the others.
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = static_cast<double>(map_->done_bytes() - done_when_segmented_) / seconds;
  const auto left = static_cast<double>(map_->size() - map_->done_bytes());
  const double threshold = std::chrono::duration<double>(task_.options.split_after).count();
  if (rate <= 0 || left / rate > threshold) split_open_ = true;
  return split_open_ ? most : 1;
}

void Job::start_segments() {
  const int wanted = connections_wanted();
  const std::int64_t min_split = std::max<std::int64_t>(1, task_.options.min_split_size);
  // Steal only a remainder that a connection at the mean rate so far needs more than
  // kStealHorizon to fetch: a steal cuts the victim's response short, which costs what it has in
  // flight and its connection. (A connection much slower than the rest is replaced by
  // check_health instead.)
  const double elapsed = std::chrono::duration<double>(context_.now() - segmented_at_).count();
  const double connection_rate =
      elapsed > 0
          ? static_cast<double>(map_->done_bytes() - done_when_segmented_) / elapsed / wanted
          : 0;
  const auto min_steal = static_cast<std::int64_t>(
      connection_rate * std::chrono::duration<double>(kStealHorizon).count());
  while (connections() < wanted && !fatal_) {
    Worker& worker = idle_worker();
    const auto range = map_->assign(worker.id, min_split, min_steal);
    if (!range) break;
    net::Request request = base_request();
    request.range_begin = range->begin;
    // While one connection is enough it asks for all the free space after its chunk, and its
    // response runs on through those chunks (on_data extends its range): one request instead of
    // one per chunk, each of which drained the pipeline (1 GiB on loopback: 0.74 s in 9
    // requests, 0.70 s in 1). Should more connections open, they take the chunks it had not
    // reached, and it stops where theirs begin.
    request.range_end = split_open_ ? range->end : map_->free_run_end(range->end);
    request.if_range = validators_.if_range();
    request.http11_only = true;
    worker.probe = false;
    worker.head_only = false;
    if (!launch(worker, std::move(request))) {
      map_->release(worker.id);  // no slot now: the range goes back to the free list
      break;
    }
  }
}

void Job::start_stream() {
  // Single stream (no ranges, or size unknown): start over from byte 0.
  stream_written_ = 0;
  if (auto truncated = part_.truncate(0); !truncated) {
    fatal_ = truncated.error();
    return;
  }
  Worker& worker = idle_worker();
  worker.probe = false;
  worker.head_only = false;
  launch(worker, base_request());
}

// ---------------------------------------------------------------------------------------------
// Transfer callbacks.

Result<void> Job::on_head(Worker& worker, const net::ResponseHead& head) {
  worker.head = head;
  worker.discard_body = false;
  retry_after_.reset();
  if (worker.probe && if_modified_since_ && head.status == 304) {
    not_modified_ = true;  // the copy we have is current: nothing to transfer
    worker.discard_body = true;
    return {};
  }
  if (worker.probe && !worker.head_only && !resume_ && head.status == 416 &&
      net::parse_unsatisfied_range_total(head.content_range) == 0) {
    // "bytes=0-" of an empty file is unsatisfiable: the file is simply empty.
    net::ResponseHead empty = head;
    empty.content_length = 0;
    begin_single_stream(empty);
    worker.probe = false;
    worker.discard_body = true;
    return {};
  }
  if (head.status < 200 || head.status >= 300) {
    if (!head.retry_after.empty()) {
      retry_after_ = net::parse_retry_after(head.retry_after, std::chrono::system_clock::now());
    }
    return tl::unexpected(status_error(head));
  }
  if (worker.head_only) return {};  // judged in on_done
  if (worker.probe) return accept_probe(worker, head);
  if (!segmented_) return {};  // a restarted single stream: any 2xx body from byte 0
  auto checked = check_range_response(head, worker.request.range_begin, worker.request.range_end,
                                      *size_, validators_, !worker.request.if_range.empty());
  if (checked) worker.response_end = net::parse_content_range(head.content_range)->last + 1;
  return checked;
}

Result<void> Job::accept_probe(Worker& worker, const net::ResponseHead& head) {
  const std::int64_t asked = worker.request.range_begin;
  name_from_content_disposition(head);
  if (head.status == 206) {
    const auto range = net::parse_content_range(head.content_range);
    if (!range) {
      return make_error(ErrorKind::RangeMismatch,
                        fmt::format("206 with an invalid Content-Range '{}'", head.content_range));
    }
    if (range->first != asked) {
      return make_error(
          ErrorKind::RangeMismatch,
          fmt::format("asked for bytes {}-, server sent {}-{}", asked, range->first, range->last));
    }
    if (!range->total && worker.request.range_end >= 0 && !resume_) {
      // "bytes 0-K/*": Range works but the size is unknown, so the file cannot be split and
      // this bounded answer is not the whole file. Ask again for everything (one stream).
      open_probe_ = true;
      worker.reprobe = true;
      worker.discard_body = true;
      return {};
    }
    if (resume_ && !resume_matches(head, range->total)) {
      // Another version of the file: what was kept is worthless. Start over from byte 0.
      return make_error(ErrorKind::ContentChanged,
                        "the remote file changed since the partial download; starting over");
    }
    if (range->total) {
      begin_segmented(*range->total, head);
      worker.response_end = range->last + 1;
      // The probe keeps streaming as the first segment; it stops at that segment's end.
      const auto first =
          map_->assign(worker.id, std::max<std::int64_t>(1, task_.options.min_split_size));
      if (!first || first->begin != asked) {
        return make_error(ErrorKind::Internal, "segment plan lost the first missing byte");
      }
      worker.probe = false;
      return {};
    }
  }
  if (resume_) {
    // A resumed download needs a 206 for its first missing byte; anything else starts over.
    return make_error(ErrorKind::ContentChanged,
                      "the server did not continue the partial download; starting over");
  }
  begin_single_stream(head);
  worker.probe = false;
  return {};
}

void Job::begin_segmented(std::int64_t size, const net::ResponseHead& head) {
  size_ = size;
  segmented_ = true;
  validators_ = {head.etag, head.last_modified};
  map_.emplace(size);
  if (resume_) {
    for (const ByteRange& range : resume_->done) map_->mark_done(range);
    saved_done_bytes_ = map_->done_bytes();
    if (validators_.etag.empty() && validators_.last_modified.empty()) {
      validators_ = resume_->validators;
    }
  }
  last_health_check_ = context_.now();
  last_state_save_ = context_.now();
  segmented_at_ = context_.now();
  done_when_segmented_ = map_->done_bytes();
  split_open_ = task_.options.split_after.count() <= 0;
  map_->plan(std::max(1, task_.options.split),
             std::max<std::int64_t>(1, task_.options.min_split_size));
  if (!pieces_) {
    reserve_space(size);
    // The rate sample starts after the reservation: on tmpfs it zeroes the pages (0.25 s for
    // 1 GiB), which the loop's clock would otherwise count as time without data.
    segmented_at_ = Clock::now();
  }
  state_ = State::Downloading;
  emit_started();
}

void Job::begin_single_stream(const net::ResponseHead& head) {
  forget_state();  // a single stream cannot be continued later
  if (task_.options.checksum) hasher_.emplace(task_.options.checksum->type);
  size_ = head.content_length;
  segmented_ = false;
  validators_ = {head.etag, head.last_modified};
  stream_written_ = 0;
  if (size_) {
    reserve_space(*size_);
  }
  state_ = State::Downloading;
  emit_started();
}

void Job::reserve_space(std::int64_t size) {
  // Reserving space finds a full disk before the transfer and keeps segments written out of order
  // from fragmenting the file. A small file is written in a write or two: the call would only
  // cost time (it was the largest single syscall cost on lists of small files).
  if (size < kReserveFrom) return;
  if (auto reserved = part_.preallocate(size); !reserved) fatal_ = reserved.error();
}

void Job::accept_head_probe(const net::ResponseHead& head) {
  name_from_content_disposition(head);
  // HEAD said: size and "Accept-Ranges: bytes". Anything less and the in-band probe decides.
  if (head.content_length && *head.content_length > 0 && head.accept_ranges == "bytes") {
    begin_segmented(*head.content_length, head);
  }
  probe_mode_ = ProbeMode::InBand;
}

net::DataVerdict Job::on_data(Worker& worker, std::span<const char> data) {
  if (fatal_) return net::DataVerdict::Fail;
  if (worker.discard_body) return net::DataVerdict::Continue;
  auto bytes = static_cast<std::int64_t>(data.size());
  if (!context_.admit_bytes(id_, *worker.transfer, bytes)) {
    last_throttled_ = context_.now();
    return net::DataVerdict::Pause;
  }
  worker.received += bytes;
  worker.last_data = context_.now();
  if (segmented_) {
    // The range may have shrunk (a steal), or the response may run on past it into a free chunk,
    // which then becomes part of the range (SegmentMap::extend).
    std::span<const char> rest = data;
    while (!rest.empty() && (map_->remaining(worker.id) > 0 || map_->extend(worker.id))) {
      const auto usable = static_cast<std::size_t>(
          std::min(static_cast<std::int64_t>(rest.size()), map_->remaining(worker.id)));
      auto written = store(map_->position(worker.id), rest.first(usable));
      if (!written) {
        worker.error = written.error();
        return net::DataVerdict::Fail;
      }
      map_->advance(worker.id, static_cast<std::int64_t>(usable));
      rest = rest.subspan(usable);
    }
    // Bytes left over belong to another connection's range (or are done): stop the response.
    if (!rest.empty()) return net::DataVerdict::Stop;
    // A response that ends exactly where the range does runs to its end, so its connection is
    // kept alive.
    const std::int64_t response_end =
        worker.response_end >= 0 ? worker.response_end : worker.request.range_end;
    const bool more_to_come = response_end < 0 || response_end > map_->end(worker.id);
    if (map_->remaining(worker.id) > 0 || !more_to_come) return net::DataVerdict::Continue;
    // The range ended with this write and the response goes on: into the free chunk that
    // follows, if there is one; else stop it.
    return map_->extend(worker.id) ? net::DataVerdict::Continue : net::DataVerdict::Stop;
  }
  if (size_ && stream_written_ + bytes > *size_) {
    worker.error = Error{ErrorKind::SizeMismatch,
                         fmt::format("server sent more than the announced {} bytes", *size_)};
    return net::DataVerdict::Fail;
  }
  auto written = part_.write_at(stream_written_, data);
  if (!written) {
    worker.error = written.error();
    return net::DataVerdict::Fail;
  }
  if (hasher_) hasher_->update(data);  // data arrives in order: hash it on the way
  stream_written_ += bytes;
  return net::DataVerdict::Continue;
}

void Job::on_done(Worker& worker, Result<void> outcome) {
  context_.release_connection(host_);
  context_.transfer_gone(*worker.transfer);
  finished_transfers_.push_back(std::move(worker.transfer));
  if (worker.head_only) {
    worker.head_only = false;
    worker.probe = false;
    // A refused or useless HEAD is not a failure: the in-band probe takes over.
    if (outcome) accept_head_probe(worker.head);
    probe_mode_ = ProbeMode::InBand;
    return;
  }
  if (!outcome) {
    record_failure(worker, worker.error ? *worker.error : outcome.error());
    return;
  }
  if (worker.reprobe) return;  // the next pump probes again, open-ended
  if (not_modified_) {
    keep_existing();
    return;
  }
  if (segmented_) {
    const std::int64_t missing = map_->remaining(worker.id);
    // A server may answer with less than was asked (its Content-Range says so): not an error,
    // the rest goes back to the free list.
    const bool short_by_announcement = map_->position(worker.id) == worker.response_end;
    map_->release(worker.id);
    if (missing > 0 && !short_by_announcement) {
      record_failure(worker, Error{ErrorKind::Protocol,
                                   fmt::format("connection closed with {} bytes of the range "
                                               "still missing",
                                               missing)});
    }
    return;
  }
  if (size_ && stream_written_ != *size_) {
    record_failure(worker, Error{ErrorKind::SizeMismatch,
                                 fmt::format("got {} of {} bytes", stream_written_, *size_)});
    return;
  }
  if (state_ == State::Probing) begin_single_stream(worker.head);  // empty body
  stream_complete_ = true;
}

Result<void> Job::store(std::int64_t offset, std::span<const char> data) {
  return pieces_ ? pieces_->write_at(offset, data) : part_.write_at(offset, data);
}

void Job::record_failure(Worker& worker, Error error) {
  if (segmented_ && map_) map_->release(worker.id);
  worker.probe = false;
  ++failures_;
  switch (classify(error)) {
    case Disposition::Restart:
      if (restarts_ == 0) {
        restart_requested_ = true;
      } else if (!fatal_) {
        error.message += " (again, after starting over)";
        fatal_ = std::move(error);
      }
      return;
    case Disposition::Fail:
      if (!fatal_) fatal_ = std::move(error);
      return;
    case Disposition::Retry:
      break;
  }
  const int max_tries = task_.options.max_tries;
  if (max_tries > 0 && failures_ >= max_tries) {
    if (!fatal_) {
      error.message +=
          fmt::format(" (gave up after {} attempt{})", failures_, failures_ == 1 ? "" : "s");
      fatal_ = std::move(error);
    }
    return;
  }
  const auto wait = backoff(failures_, task_.options.retry_wait, retry_after_,
                            id_ * 7919U + static_cast<std::uint64_t>(failures_));
  not_before_ = context_.now() + wait;
  context_.emit(TaskRetrying{id_, std::move(error), failures_, wait});
}

// ---------------------------------------------------------------------------------------------
// Stalled and crawling connections.

void Job::check_health() {
  const Clock::time_point now = context_.now();
  if (now - last_health_check_ < kHealthInterval) return;
  const double seconds = std::chrono::duration<double>(now - last_health_check_).count();
  last_health_check_ = now;
  std::vector<WorkerHealth> health;
  for (const auto& worker : workers_) {
    if (!worker->running()) continue;
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const auto delta = static_cast<double>(worker->received - worker->sampled);
    worker->sampled = worker->received;
    peak_connection_rate_ = std::max(peak_connection_rate_, delta / seconds);
    health.push_back({worker->id, delta / seconds, map_->remaining(worker->id),
                      duration_cast<milliseconds>(now - worker->last_data),
                      duration_cast<milliseconds>(now - worker->started)});
  }
  HealthPolicy policy;
  policy.stall_timeout = task_.options.stall_timeout;
  policy.min_split = std::max<std::int64_t>(1, task_.options.min_split_size);
  policy.lowest_speed = task_.options.lowest_speed_limit;
  const bool spare = connections() < connections_wanted() && map_->free_chunks() == 0;
  const HealthVerdict verdict = judge_workers(health, policy, spare, peak_connection_rate_);
  for (const WorkerId id : verdict.stalled) {
    Worker& worker = *workers_[id];
    abort_worker(worker);
    record_failure(worker,
                   Error{ErrorKind::Timeout,
                         fmt::format("no data for {} s", policy.stall_timeout.count() / 1000)});
  }
  for (const WorkerId id : verdict.too_slow) {
    // The range goes back to the free list and a fresh connection takes it after the backoff.
    Worker& worker = *workers_[id];
    abort_worker(worker);
    record_failure(worker, Error{ErrorKind::Timeout,
                                 fmt::format("connection slower than {}/s", policy.lowest_speed)});
  }
  if (verdict.slowest) replace_slow_worker(*workers_[*verdict.slowest]);
}

void Job::replace_slow_worker(Worker& victim) {
  Worker& thief = idle_worker();
  const auto range = map_->take_over(victim.id, thief.id);
  if (!range) return;
  abort_worker(victim);
  map_->release(victim.id);
  net::Request request = base_request();
  request.range_begin = range->begin;
  request.range_end = range->end;
  request.if_range = validators_.if_range();
  request.http11_only = true;
  if (!launch(thief, std::move(request))) map_->release(thief.id);
}

void Job::abort_worker(Worker& worker) {
  if (!worker.running()) return;
  context_.transfer_gone(*worker.transfer);
  context_.stop(*worker.transfer);
  context_.release_connection(host_);
  worker.transfer.reset();
}

// ---------------------------------------------------------------------------------------------
// Endings.

void Job::stop_all() {
  for (auto& worker : workers_) {
    if (!worker->running()) continue;
    abort_worker(*worker);
    if (segmented_ && map_) map_->release(worker->id);
  }
}

void Job::restart() {
  restart_requested_ = false;
  ++restarts_;
  stop_all();
  map_.reset();
  size_.reset();
  segmented_ = false;
  stream_written_ = 0;
  stream_complete_ = false;
  validators_ = {};
  probe_mode_ = ProbeMode::InBand;
  if (pieces_) pieces_->discard();
  resume_.reset();
  forget_state();
  if (auto truncated = part_.truncate(0); !truncated) fatal_ = truncated.error();
  state_ = State::Probing;
}

void Job::emit_started() {
  TaskStarted started{id_, task_.url, final_path_, size_, segmented_};
  started.connections = segmented_ ? std::max(1, task_.options.split) : 1;
  context_.emit(std::move(started));
}

}  // namespace spate::core
