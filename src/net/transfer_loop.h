// The libcurl multi handle: runs every Transfer of a Session on the network thread.
// Owned by the Session's network thread; only wakeup() may be called from other threads.
#pragma once

#include "spate/error.h"

#include "net/transfer.h"

#include <chrono>

using CURLM = void;  // libcurl's multi handle type, opaque outside src/net/*.cc

namespace spate::net {

class TransferLoop {
 public:
  static Result<std::unique_ptr<TransferLoop>> create();
  ~TransferLoop();
  TransferLoop(const TransferLoop&) = delete;
  TransferLoop& operator=(const TransferLoop&) = delete;

  // Starts driving the transfer. The caller keeps ownership and must keep it alive until its
  // sink's on_done ran (or it was removed with remove()).
  Result<void> add(Transfer& transfer);
  // Stops a running transfer without calling its sink (used when a Job is torn down).
  void remove(Transfer& transfer) noexcept;

  // Waits until a socket is ready, the timeout expires, or wakeup() is called.
  void poll(std::chrono::milliseconds timeout) noexcept;
  // Moves every transfer forward, then reports each completed one through Transfer::finish
  // (after removing it from the multi handle, so its sink may destroy it).
  void perform() noexcept;
  // Interrupts poll() from any thread.
  void wakeup() noexcept;

  int running() const { return running_; }

 private:
  explicit TransferLoop(CURLM* multi) : multi_(multi) {}
  CURLM* multi_;
  int running_ = 0;
};

// Process-wide libcurl initialisation, done once (curl_global_init is not thread-safe in 7.88).
Result<void> init_curl_once();

}  // namespace spate::net
