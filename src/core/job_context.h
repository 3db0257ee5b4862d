// What a Job needs from the Session that runs it. Implemented by SessionImpl; used only on the
// network thread.
#pragma once

#include "spate/events.h"
#include "spate/session.h"

#include "net/transfer.h"
#include "storage/directory.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace spate::core {

using Clock = std::chrono::steady_clock;

class JobContext {
 public:
  virtual ~JobContext() = default;
  virtual const SessionOptions& options() const = 0;
  virtual Clock::time_point now() const = 0;
  // Connection slots under the session's caps (total and per host). A Job takes one before it
  // starts a transfer and gives it back when the transfer ends. `first`: the job has no
  // connection yet. Extra connections of a job are refused while that would leave a job that has
  // none without a slot, so big files split while small files keep flowing.
  virtual bool acquire_connection(const std::string& host, bool first) = 0;
  virtual void release_connection(const std::string& host) = 0;
  // Starts driving `transfer`; its sink reports the outcome.
  virtual Result<void> start(net::Transfer& transfer) = 0;
  // Stops a running transfer without a report (teardown).
  virtual void stop(net::Transfer& transfer) = 0;
  virtual void emit(Event event) = 0;
  // Bandwidth: whether `transfer` of job `id` may take `bytes` now. When not, the transfer is
  // paused (DataVerdict::Pause) and the session resumes it when the budget allows.
  virtual bool admit_bytes(TaskId id, net::Transfer& transfer, std::int64_t bytes) = 0;
  // The transfer ended or is being torn down: forget it in the bandwidth accounting.
  virtual void transfer_gone(net::Transfer& transfer) = 0;
  // The receive buffer size for a transfer of job `id`: smaller under a low rate limit, so the
  // limit holds from the first second.
  virtual long receive_buffer(TaskId id) const = 0;
  // The open directory `file` is in, shared by the jobs writing there (nullptr when it cannot be
  // opened: it does not exist yet). `reopen`: it was removed and created again.
  virtual std::shared_ptr<const storage::Directory> directory_of(const std::filesystem::path& file,
                                                                 bool reopen) = 0;
};

}  // namespace spate::core
