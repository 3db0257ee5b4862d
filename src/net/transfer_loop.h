// The libcurl multi handle: runs every Transfer of a Session on the network thread, and the
// Session-wide HTTP state its transfers share through one libcurl share handle: the cookie store
// (read from --load-cookies files once, written to --save-cookies files once, when the loop is
// destroyed), the DNS cache and TLS session tickets.
// Owned by the Session's network thread; only wakeup() may be called from other threads. All
// transfers run on that one thread, so the share handle needs no lock callbacks.
#pragma once

#include "spate/error.h"

#include "net/transfer.h"

#include <chrono>
#include <set>
#include <string>

using CURLM = void;   // libcurl's multi handle type, opaque outside src/net/*.cc
using CURLSH = void;  // libcurl's share handle type

namespace spate::net {

class TransferLoop {
 public:
  static Result<std::unique_ptr<TransferLoop>> create();
  // Writes the cookie files named by the transfers (see add), then frees the handles. Every
  // Transfer must have been destroyed before.
  ~TransferLoop();
  TransferLoop(const TransferLoop&) = delete;
  TransferLoop& operator=(const TransferLoop&) = delete;

  // Starts driving the transfer. The caller keeps ownership and must keep it alive until its
  // sink's on_done ran (or it was removed with remove()). Attaches the transfer to the shared
  // state it asks for (Transfer::shared_state): the first transfer naming a cookie file to load
  // loads it into the shared store; a cookie file to save is remembered for the destructor.
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
  TransferLoop(CURLM* multi, CURLSH* share, CURL* cookie_handle)
      : multi_(multi), share_(share), cookie_handle_(cookie_handle) {}
  Result<void> attach_shared_state(const Transfer& transfer);
  void save_cookies() noexcept;

  CURLM* multi_;
  CURLSH* share_;
  // Never performed: the handle through which the shared cookie store is loaded and saved.
  CURL* cookie_handle_;
  std::set<std::string> loaded_cookie_files_;
  std::set<std::string> cookie_jars_;
  int running_ = 0;
};

// Process-wide libcurl initialisation, done once (curl_global_init is not thread-safe in 7.88).
Result<void> init_curl_once();

}  // namespace spate::net
