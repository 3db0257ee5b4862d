// One download from first request to final rename: probe, plan segments, run transfers, validate
// every response, retry what is transient, and commit NAME.part to NAME. Owned by the Session and
// used only on the network thread. Callbacks from transfers only record what happened; pump()
// acts on it, so transfers are never added or removed from inside libcurl.
#pragma once

#include "spate/checksum.h"
#include "spate/task.h"

#include "core/job_context.h"
#include "core/range_check.h"
#include "core/resume.h"
#include "core/segment_map.h"
#include "net/transfer.h"
#include "storage/part_file.h"
#include "storage/piece_files.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spate::core {

class Job {
 public:
  Job(TaskId id, Task task, std::string host, JobContext& context);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  TaskId id() const { return id_; }
  const std::string& host() const { return host_; }
  // Moves the job forward: acts on finished transfers, starts the ones the caps allow, finishes
  // the download when every byte is written. Emits the terminal event exactly once.
  void pump();
  bool ended() const { return state_ == State::Done || state_ == State::Failed; }
  // Every byte is written and no transfer runs: the next pump() only puts the file in place
  // (rename, close, TaskFinished). It no longer holds a download slot (see SessionImpl::run).
  bool finishing() const;
  // When pump() must run again even if no socket becomes ready (a retry backoff ends).
  std::optional<Clock::time_point> wake_at() const;
  // Stops every transfer; the next pump() fails the job with `reason`.
  void cancel(Error reason);

  std::int64_t downloaded() const;
  std::optional<std::int64_t> size() const { return size_; }
  int connections() const;

 private:
  enum class State { Starting, Probing, Downloading, Done, Failed };
  struct Worker;

  // Transfer callbacks (through Worker), on the network thread inside libcurl.
  Result<void> on_head(Worker& worker, const net::ResponseHead& head);
  net::DataVerdict on_data(Worker& worker, std::span<const char> data);
  void on_done(Worker& worker, Result<void> outcome);

  Result<void> accept_probe(Worker& worker, const net::ResponseHead& head);
  void accept_head_probe(const net::ResponseHead& head);
  void begin_segmented(std::int64_t size, const net::ResponseHead& head);
  void begin_single_stream(const net::ResponseHead& head);
  void reserve_space(std::int64_t size);  // fallocate NAME.part, for files worth it
  void record_failure(Worker& worker, Error error);
  Result<void> store(std::int64_t offset, std::span<const char> data);

  Result<void> open_destination();
  void start_probe();
  void start_segments();
  int connections_wanted();  // 1 until Task::split_after says more connections would pay
  void start_stream();
  bool launch(Worker& worker, net::Request request);
  Worker& idle_worker();
  void check_health();
  void replace_slow_worker(Worker& victim);
  void abort_worker(Worker& worker);
  void stop_all();
  void restart();
  void keep_existing();  // 304 to --conditional-get: the file we have is current
  void name_from_content_disposition(const net::ResponseHead& head);
  Result<std::string> verify_checksum(const Checksum& expected);
  void apply_remote_time();  // --remote-time: the file gets the remote Last-Modified
  Result<void> prepare_resume();
  bool resume_matches(const net::ResponseHead& head, std::optional<std::int64_t> total) const;
  bool resumable(const Error& error) const;
  Result<void> save_state();
  void save_state_if_due();
  void forget_state();  // removes NAME.part.spate, when there is one
  void finalize();
  void fail(Error error);
  void emit_started();
  net::Request base_request() const;

  JobContext& context_;
  const TaskId id_;
  const Task task_;
  const std::string host_;
  State state_ = State::Starting;
  ProbeMode probe_mode_;
  bool open_probe_ = false;  // the server's 206s carry no total size: probe with "bytes=N-"

  std::string name_;  // file name before any ".N" renumbering
  std::filesystem::path final_path_;
  storage::PartFile part_;                     // NAME.part: the data (or the merge target)
  std::optional<storage::PieceFiles> pieces_;  // --layout=parts: NAME.part.<offset> files
  std::optional<std::int64_t> size_;
  bool segmented_ = false;
  Validators validators_;
  std::optional<SegmentMap> map_;
  std::optional<ResumePoint> resume_;  // what an earlier run left in NAME.part
  // --conditional-get: the time of the copy we have; a 304 means it is current.
  std::optional<std::chrono::system_clock::time_point> if_modified_since_;
  bool not_modified_ = false;
  std::optional<Hasher> hasher_;       // single stream with a checksum: hashed as it arrives
  std::int64_t saved_done_bytes_ = 0;  // bytes the state file on disk claims
  bool state_on_disk_ = false;         // NAME.part.spate exists (found or written)
  Clock::time_point last_state_save_{};
  std::int64_t stream_written_ = 0;  // single stream: bytes written from offset 0
  bool stream_complete_ = false;

  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<net::Transfer>> finished_transfers_;  // freed at the next pump
  int failures_ = 0;
  int restarts_ = 0;
  std::optional<Error> fatal_;
  bool restart_requested_ = false;
  Clock::time_point not_before_{};
  Clock::time_point started_at_{};
  Clock::time_point last_health_check_{};
  double peak_connection_rate_ = 0;       // best bytes/s one connection reached in a health sample
  Clock::time_point segmented_at_{};      // when the size became known (begin_segmented)
  std::int64_t done_when_segmented_ = 0;  // bytes a resumed download already had then
  bool split_open_ = false;  // every `split` connection may run (split_after passed or is 0)
  Clock::time_point last_throttled_{};  // when a rate limit last paused one of its transfers
  static constexpr std::chrono::milliseconds kHealthInterval{500};
  static constexpr std::chrono::milliseconds kStealHorizon{500};
  // How long the first connection runs before its rate predicts the download's duration.
  static constexpr std::chrono::milliseconds kSplitSample{100};
  // A download a rate limit paused this recently is held back by the limit, not its connection.
  static constexpr std::chrono::milliseconds kThrottleMemory{1000};
  static constexpr std::int64_t kReserveFrom = 1 << 20;  // bytes
  static constexpr long kSplitBufferBudget = 2L << 20;   // receive buffers of one download, bytes
  static constexpr long kMinSplitBuffer = 128L << 10;    // bytes
  std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace spate::core
