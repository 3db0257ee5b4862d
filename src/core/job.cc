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
  if (ended() || not_before_ <= context_.now()) return std::nullopt;
  return not_before_;
}

void Job::cancel(Error reason) {
  if (ended()) return;
  stop_all();
  if (!fatal_) fatal_ = std::move(reason);
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

Result<void> Job::open_destination() {
  name_ = task_.out.empty() ? util::file_name_from_url(task_.url) : task_.out;
  const std::string& name = name_;
  std::error_code ec;
  std::filesystem::create_directories(task_.dir, ec);
  if (ec) {
    return make_error(ErrorKind::FileOpen, fmt::format("cannot create directory {}: {}",
                                                       task_.dir.string(), ec.message()));
  }
  final_path_ = task_.dir / name;
  const bool exists = std::filesystem::exists(final_path_);
  if (exists && task_.options.existing == ExistingFile::Skip) {
    TaskFinished finished{id_, task_.url, final_path_};
    finished.bytes = static_cast<std::int64_t>(std::filesystem::file_size(final_path_, ec));
    finished.skipped = true;
    context_.emit(std::move(finished));
    state_ = State::Done;
    return {};
  }
  // --conditional-get: ask for the file only if it changed since the copy we have, which the
  // download then replaces.
  if (exists && task_.options.http.conditional_get) {
    const auto mtime = std::filesystem::last_write_time(final_path_, ec);
    if (!ec) if_modified_since_ = std::chrono::file_clock::to_sys(mtime);
  }
  // The first candidate whose final name is free (or may be replaced) and whose NAME.part no
  // other download holds: two URLs with the same name never share a temp file.
  const bool may_replace =
      task_.options.existing == ExistingFile::Overwrite || if_modified_since_.has_value();
  for (int n = 0; n < 10000; ++n) {
    const auto candidate = n == 0 ? final_path_ : task_.dir / util::numbered_name(name, n);
    if (!(n == 0 && may_replace) && std::filesystem::exists(candidate)) continue;
    auto part = storage::PartFile::open(candidate.string() + ".part", /*truncate=*/false);
    if (!part && part.error().sys_errno == EWOULDBLOCK) continue;  // in use by another download
    if (!part) return tl::unexpected(part.error());
    final_path_ = candidate;
    part_ = std::move(*part);
    if (auto ready = prepare_resume(); !ready) return ready;
    if (task_.options.layout == Layout::Parts) pieces_.emplace(part_.path());
    return {};
  }
  return make_error(ErrorKind::FileOpen,
                    fmt::format("no free file name for {} in {}", name, task_.dir.string()));
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
  request.buffer_size = context_.receive_buffer(id_);
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
    if (resume_) request.if_range = resume_->validators.if_range();
    if (if_modified_since_) request.http.if_modified_since = if_modified_since_;
  }
  launch(worker, std::move(request));
}

void Job::start_segments() {
  const int wanted = std::max(1, task_.options.split);
  const std::int64_t min_split = std::max<std::int64_t>(1, task_.options.min_split_size);
  while (connections() < wanted && !fatal_) {
    Worker& worker = idle_worker();
    const auto range = map_->assign(worker.id, min_split);
    if (!range) break;
    net::Request request = base_request();
    request.range_begin = range->begin;
    request.range_end = range->end;
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
  map_->plan(std::max(1, task_.options.split),
             std::max<std::int64_t>(1, task_.options.min_split_size));
  if (!pieces_) {
    if (auto reserved = part_.preallocate(size); !reserved) fatal_ = reserved.error();
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
    if (auto reserved = part_.preallocate(*size_); !reserved) fatal_ = reserved.error();
  }
  state_ = State::Downloading;
  emit_started();
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
  if (!context_.admit_bytes(id_, *worker.transfer, bytes)) return net::DataVerdict::Pause;
  worker.received += bytes;
  worker.last_data = context_.now();
  if (segmented_) {
    const std::int64_t offset = map_->position(worker.id);
    const std::int64_t usable = std::min(bytes, map_->remaining(worker.id));
    if (usable > 0) {
      auto written = store(offset, data.first(static_cast<std::size_t>(usable)));
      if (!written) {
        worker.error = written.error();
        return net::DataVerdict::Fail;
      }
      map_->advance(worker.id, usable);
    }
    // Stop when the range (which may have shrunk) is done but the response goes on. A response
    // that ends exactly where the range does runs to its end, so its connection is kept alive.
    const std::int64_t response_end =
        worker.response_end >= 0 ? worker.response_end : worker.request.range_end;
    const bool response_goes_on =
        usable < bytes || (map_->remaining(worker.id) == 0 &&
                           (response_end < 0 || response_end > map_->end(worker.id)));
    return response_goes_on ? net::DataVerdict::Stop : net::DataVerdict::Continue;
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
  const bool spare = connections() < std::max(1, task_.options.split) && map_->free_chunks() == 0;
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

void Job::finalize() {
  const std::int64_t bytes = downloaded();
  if (pieces_ && segmented_) {
    if (auto merged = pieces_->merge_into(part_, bytes); !merged) {
      fail(merged.error());
      return;
    }
  }
  // The part file already has exactly this length, except one continued from a bare NAME.part.
  if (auto synced = resume_ ? part_.truncate(bytes) : Result<void>{}; !synced) {
    fail(synced.error());
    return;
  }
  std::string digest;
  if (task_.options.checksum) {
    auto verified = verify_checksum(*task_.options.checksum);
    if (!verified) {
      fail(verified.error());
      return;
    }
    digest = std::move(*verified);
  }
  if (task_.options.sync_on_finish) {
    if (auto synced = part_.sync(); !synced) {
      fail(synced.error());
      return;
    }
  }
  // --conditional-get replaces the outdated copy it was asked to refresh.
  const bool overwrite =
      task_.options.existing == ExistingFile::Overwrite || if_modified_since_.has_value();
  auto committed = part_.commit(final_path_, overwrite);
  // Another process took the name meanwhile: never replace it, pick the next free one.
  for (int n = 1; !committed && committed.error().sys_errno == EEXIST && n < 10000; ++n) {
    final_path_ = task_.dir / util::numbered_name(name_, n);
    committed = part_.commit(final_path_, false);
  }
  if (!committed) {
    fail(committed.error());
    return;
  }
  forget_state();
  if (task_.options.http.remote_time) apply_remote_time();
  TaskFinished finished{id_, task_.url, final_path_, bytes};
  finished.digest = std::move(digest);
  finished.seconds = std::chrono::duration<double>(context_.now() - started_at_).count();
  finished.attempts = failures_ + 1;
  state_ = State::Done;
  context_.emit(std::move(finished));
}

void Job::fail(Error error) {
  if (resumable(error)) {
    // Keep what arrived for a rerun: the data is synced before the state that claims it.
    if (auto saved = save_state(); saved) {
      error.message += fmt::format(" ({} of {} bytes kept in {}; run again to resume)",
                                   saved_done_bytes_, *size_, part_.path().string());
      part_.keep();
    }
  }
  if (pieces_) pieces_->discard();
  if (part_.is_open()) forget_state();  // not when the part was just kept for a rerun
  part_.discard();
  state_ = State::Failed;
  context_.emit(TaskFailed{id_, task_.url, std::move(error), std::max(1, failures_)});
}

void Job::name_from_content_disposition(const net::ResponseHead& head) {
  if (!task_.out.empty() || !task_.options.content_disposition || resume_) return;
  if (head.content_disposition.empty()) return;
  const auto raw = net::parse_content_disposition_filename(head.content_disposition);
  if (!raw) return;
  // Whatever the server says, it names one file inside the target directory.
  const std::string name = util::sanitize_file_name(*raw, name_);
  if (name == name_) return;
  for (int n = 0; n < 10000; ++n) {
    const auto candidate = n == 0 ? task_.dir / name : task_.dir / util::numbered_name(name, n);
    if (std::filesystem::exists(candidate)) continue;
    if (part_.rename_to(candidate.string() + ".part")) {
      name_ = name;
      final_path_ = candidate;
      return;
    }
  }  // no free name: keep the one from the URL
}

Result<std::string> Job::verify_checksum(const Checksum& expected) {
  std::string actual;
  if (hasher_ && !segmented_) {
    actual = hasher_->finish_hex();
    hasher_.reset();
  } else {
    auto hashed = hash_file(part_.path(), expected.type);  // segments arrived out of order
    if (!hashed) return tl::unexpected(hashed.error());
    actual = std::move(*hashed);
  }
  if (actual != expected.hex) {
    return make_error(
        ErrorKind::ChecksumMismatch,
        fmt::format("checksum mismatch: expected {}={}, got {}={}", to_string(expected.type),
                    expected.hex, to_string(expected.type), actual));
  }
  return fmt::format("{}={}", to_string(expected.type), actual);
}

void Job::keep_existing() {
  part_.discard();
  forget_state();
  std::error_code ec;
  TaskFinished finished{id_, task_.url, final_path_};
  finished.bytes = static_cast<std::int64_t>(std::filesystem::file_size(final_path_, ec));
  finished.skipped = true;
  state_ = State::Done;
  context_.emit(std::move(finished));
}

void Job::apply_remote_time() {
  const auto remote = net::parse_http_date(validators_.last_modified);
  if (!remote) return;
  std::error_code ec;  // a file time that cannot be set is not worth failing the download
  std::filesystem::last_write_time(final_path_, std::chrono::file_clock::from_sys(*remote), ec);
}

bool Job::resumable(const Error& error) const {
  if (!segmented_ || !map_ || pieces_ || map_->done_bytes() == 0) return false;
  switch (error.kind) {
    case ErrorKind::Cancelled:
    case ErrorKind::DiskFull:
    case ErrorKind::FileWrite:
      return true;
    default:
      return classify(error) == Disposition::Retry;  // retries ran out; a rerun may succeed
  }
}

Result<void> Job::prepare_resume() {
  auto size = part_.size();
  if (!size) return tl::unexpected(size.error());
  std::string notice;
  resume_ = find_resume_point(part_.path(), *size, task_.url, task_.options.resume, notice,
                              state_on_disk_);
  if (!notice.empty()) context_.emit(TaskNotice{id_, std::move(notice)});
  if (resume_ && resume_->size && resume_->done_bytes() >= *resume_->size) resume_->done.clear();
  if (!resume_ || resume_->done.empty()) {
    resume_.reset();
    forget_state();
    return *size == 0 ? Result<void>{} : part_.truncate(0);
  }
  return {};
}

bool Job::resume_matches(const net::ResponseHead& head, std::optional<std::int64_t> total) const {
  if (resume_->size && total != resume_->size) return false;
  return resume_->validators.matches(head);
}

void Job::forget_state() {
  if (!state_on_disk_) return;
  forget_resume_point(final_path_.string() + ".part");
  state_on_disk_ = false;
}

Result<void> Job::save_state() {
  if (!map_ || !size_) return make_error(ErrorKind::Internal, "nothing to save");
  // Only ranges whose bytes are on disk: take the list, sync the data, then write the state.
  const auto done = map_->done_ranges();
  if (auto synced = part_.sync(); !synced) return synced;
  if (auto saved = save_resume_point(part_.path(), task_.url, *size_, validators_, done); !saved) {
    return saved;
  }
  state_on_disk_ = true;
  saved_done_bytes_ = 0;
  for (const auto& range : done) saved_done_bytes_ += range.size();
  last_state_save_ = context_.now();
  return {};
}

void Job::save_state_if_due() {
  if (pieces_ || context_.now() - last_state_save_ < task_.options.state_interval) return;
  if (map_->done_bytes() == saved_done_bytes_) return;
  if (auto saved = save_state(); !saved) fatal_ = saved.error();
}

void Job::emit_started() {
  TaskStarted started{id_, task_.url, final_path_, size_, segmented_};
  started.connections = segmented_ ? std::max(1, task_.options.split) : 1;
  context_.emit(std::move(started));
}

}  // namespace spate::core
