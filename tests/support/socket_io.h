// Socket helpers for the test HttpServer: every wait is a poll() that also watches the server's
// wake pipe, so a stopping server never hangs on a slow, stalled or silent client.
// Functions are stateless; each socket is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace spate::testing {

// Stop signal shared by a server's threads: when stopping turns true, wake_fd becomes (and stays)
// readable, which ends every poll() below.
struct StopToken {
  int wake_fd = -1;
  const std::atomic<bool>* stopping = nullptr;

  bool stop_requested() const { return stopping->load(std::memory_order_relaxed); }
};

enum class IoResult { Ok, PeerClosed, Stopped, TimedOut };

// Writes all of [data, data + size) to the non-blocking socket `fd` (MSG_NOSIGNAL).
// TimedOut when the peer accepted nothing for a long time (a dead client).
IoResult send_all(int fd, const char* data, std::size_t size, const StopToken& stop);

// Appends what arrives on `fd` within `timeout_ms` to `buffer` (up to 64 KiB per call).
IoResult receive_some(int fd, std::string& buffer, int timeout_ms, const StopToken& stop);

// Sleeps `ms` milliseconds; false when the server stopped meanwhile.
bool sleep_unless_stopped(int ms, const StopToken& stop);

// Discards whatever the peer sends until it closes the connection or the server stops.
void wait_for_peer_close(int fd, const StopToken& stop);

// Makes the next close() of `fd` send RST instead of FIN (SO_LINGER with a zero timeout).
void arm_reset_on_close(int fd);

// A pipe that becomes readable, for good, when wake() is called: every thread that polls its
// read_fd stops waiting. Owns both descriptors. Throws std::system_error when it cannot be made.
struct WakePipe {
  WakePipe();
  ~WakePipe();
  WakePipe(const WakePipe&) = delete;
  WakePipe& operator=(const WakePipe&) = delete;
  void wake() const;
  int read_fd = -1;
  int write_fd = -1;
};

// A non-blocking listening socket on 127.0.0.1 with a port the kernel picks (no pick-then-bind
// race); the port is stored in `port`. Throws std::system_error on failure.
int listen_on_loopback(std::uint16_t& port, int backlog);

// For servers in another process: a port on 127.0.0.1 the kernel considers free right now (bound
// and released; someone may take it before the server binds, so callers retry). Throws
// std::runtime_error when no socket can be bound.
std::uint16_t pick_free_loopback_port();
// Whether 127.0.0.1:port accepts a TCP connection now.
bool loopback_port_accepts(std::uint16_t port);

}  // namespace spate::testing
