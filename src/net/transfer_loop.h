// The libcurl multi handle: runs every Transfer of a Session on the network thread, and the
// Session-wide HTTP state its transfers share through one libcurl share handle: the cookie store
// (read from --load-cookies files once, written to --save-cookies files once, when the loop is
// destroyed), the DNS cache and TLS session tickets.
// Owned by the Session's network thread; only wakeup() may be called from other threads. All
// transfers run on that one thread, so the share handle needs no lock callbacks.
//
// The loop uses libcurl's event interface (curl_multi_socket_action) over an epoll set of its own:
// libcurl is told which socket is ready and runs only that transfer. With curl_multi_perform every
// wake-up ran every transfer, each polling its socket: on a 50 ms path at 8 MiB/s per connection,
// where each wake-up brings a few KiB, 64 MiB over 16 connections cost 0.68-0.74 s of CPU against
// 0.49-0.52 s now (3 alternating runs; see the commit). On loopback the two measure the same.
#pragma once

#include "spate/error.h"

#include "net/transfer.h"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

using CURLM = void;   // libcurl's multi handle type, opaque outside src/net/*.cc
using CURLSH = void;  // libcurl's share handle type

namespace spate::net {

class TransferLoop {
 public:
  // `max_connections`: the most connections the caller lets be open at once. libcurl keeps up
  // to that many idle ones for reuse; its own default (four per transfer in progress) closes
  // idle connections whenever few transfers run, and a busier moment then opens new ones.
  static Result<std::unique_ptr<TransferLoop>> create(long max_connections);
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
  // Lets libcurl act on its timer if it is due, then reports completed transfers as perform()
  // does: transfers added since the last perform() start (a request on a kept-alive connection
  // is sent) without waiting for the next poll().
  void run_due_timer() noexcept;
  // Interrupts poll() from any thread.
  void wakeup() noexcept;

  int running() const { return running_; }

 private:
  TransferLoop(CURLM* multi, CURLSH* share, CURL* cookie_handle, int epoll_fd, int wake_fd);
  Result<void> attach_shared_state(const Transfer& transfer);
  void save_cookies() noexcept;
  // libcurl's socket and timer callbacks (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION).
  static int on_socket(CURL* easy, int socket, int what, void* self, void* socket_data) noexcept;
  static int on_timer(CURLM* multi, long timeout_ms, void* self) noexcept;
  // CURLOPT_OPENSOCKETFUNCTION and CURLOPT_CLOSESOCKETFUNCTION (defined in the .cc, which has
  // libcurl's types): the sockets whose whole life the loop sees, so it may leave them in the
  // epoll set while they idle (see Watch).
  friend struct SocketCallbacks;
  void unwatch(int socket) noexcept;

  // What the epoll set holds for one descriptor. libcurl stops watching a connection's socket
  // after each transfer and watches it again for the next one on the same connection: two
  // epoll_ctl calls per file on lists of small files. A socket libcurl opened and closes through
  // the loop's callbacks stays in the set meanwhile (only `wanted` changes), and is dropped if it
  // becomes ready while nobody wants it, or when it is closed.
  struct Watch {
    unsigned events = 0;   // EPOLLIN/EPOLLOUT registered; 0: not in the set
    bool tracked = false;  // opened by SocketCallbacks::open: its close goes through the loop
    bool wanted = false;   // libcurl watches it now
  };
  Watch& watch(int socket);

  CURLM* multi_;
  CURLSH* share_;
  // Never performed: the handle through which the shared cookie store is loaded and saved.
  CURL* cookie_handle_;
  std::set<std::string> loaded_cookie_files_;
  std::set<std::string> cookie_jars_;
  int running_ = 0;
  const int epoll_fd_;  // the sockets libcurl asked to watch, and wake_fd_
  const int wake_fd_;   // eventfd written by wakeup()
  // When libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT); nullopt: no timer.
  std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
  std::vector<std::pair<int, int>> ready_;  // socket, CURL_CSELECT_* bits: found by poll()
  std::vector<Watch> watches_;              // indexed by descriptor
};

// Process-wide libcurl initialisation, done once (curl_global_init is not thread-safe in 7.88).
Result<void> init_curl_once();

}  // namespace spate::net
