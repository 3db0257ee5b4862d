// What a Job needs from the Session that runs it. Implemented by SessionImpl; used only on the
// network thread.
#pragma once

#include "spate/events.h"
#include "spate/session.h"

#include "net/transfer.h"

#include <chrono>
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
};

}  // namespace spate::core
