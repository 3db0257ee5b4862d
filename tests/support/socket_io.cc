#include "support/socket_io.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace spate::testing {
namespace {

constexpr int kPollSliceMs = 1000;
constexpr int kSendGiveUpMs = 120'000;           // no progress at all for this long: dead client
constexpr int kPeerCloseGiveUpMs = 10 * 60'000;  // a stalled response never outlives this

enum class Ready { Socket, Stopped, Timeout, Error };

// Waits up to `timeout_ms` for `events` on fd, or for the stop pipe.
Ready wait_for(int fd, short events, int timeout_ms, const StopToken& stop) {
  pollfd fds[2] = {{fd, events, 0}, {stop.wake_fd, POLLIN, 0}};
  const int n = poll(fds, 2, timeout_ms);
  if (n < 0) return errno == EINTR ? Ready::Timeout : Ready::Error;
  if (fds[1].revents != 0 || stop.stop_requested()) return Ready::Stopped;
  if (n == 0) return Ready::Timeout;
  if ((fds[0].revents & events) != 0) return Ready::Socket;
  return Ready::Error;  // POLLERR / POLLHUP / POLLNVAL without the wanted event
}

}  // namespace

IoResult send_all(int fd, const char* data, std::size_t size, const StopToken& stop) {
  int idle_ms = 0;
  while (size > 0) {
    if (stop.stop_requested()) return IoResult::Stopped;
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      idle_ms = 0;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return IoResult::PeerClosed;
    switch (wait_for(fd, POLLOUT, kPollSliceMs, stop)) {
      case Ready::Socket:
        break;
      case Ready::Stopped:
        return IoResult::Stopped;
      case Ready::Error:
        return IoResult::PeerClosed;
      case Ready::Timeout:
        idle_ms += kPollSliceMs;
        if (idle_ms >= kSendGiveUpMs) return IoResult::TimedOut;
        break;
    }
  }
  return IoResult::Ok;
}

IoResult receive_some(int fd, std::string& buffer, int timeout_ms, const StopToken& stop) {
  switch (wait_for(fd, POLLIN, timeout_ms, stop)) {
    case Ready::Socket:
      break;
    case Ready::Stopped:
      return IoResult::Stopped;
    case Ready::Timeout:
      return IoResult::TimedOut;
    case Ready::Error:
      return IoResult::PeerClosed;
  }
  char chunk[64 * 1024];
  const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
  if (n > 0) {
    buffer.append(chunk, static_cast<std::size_t>(n));
    return IoResult::Ok;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return IoResult::Ok;
  return IoResult::PeerClosed;
}

bool sleep_unless_stopped(int ms, const StopToken& stop) {
  if (ms <= 0) return !stop.stop_requested();
  pollfd wake = {stop.wake_fd, POLLIN, 0};
  // The wake pipe is only ever written to once, at stop, so any readiness means "stopped"; a
  // signal interruption just ends the sleep a little early.
  const int n = poll(&wake, 1, ms);
  return n <= 0 && !stop.stop_requested();
}

void wait_for_peer_close(int fd, const StopToken& stop) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kPeerCloseGiveUpMs);
  std::string discard;
  while (std::chrono::steady_clock::now() < deadline) {
    discard.clear();
    const IoResult result = receive_some(fd, discard, kPollSliceMs, stop);
    if (result == IoResult::PeerClosed || result == IoResult::Stopped) return;
  }
}

void arm_reset_on_close(int fd) {
  linger option{};
  option.l_onoff = 1;
  option.l_linger = 0;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
}

WakePipe::WakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  read_fd = fds[0];
  write_fd = fds[1];
}

WakePipe::~WakePipe() {
  close(read_fd);
  close(write_fd);
}

void WakePipe::wake() const {
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = write(write_fd, &byte, 1);
}

int listen_on_loopback(std::uint16_t& port, int backlog) {
  const auto fail = [](const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  };
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, backlog) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    fail("listen on 127.0.0.1:0");
  }
  port = ntohs(address.sin_port);
  return fd;
}

std::uint16_t pick_free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (fd >= 0) close(fd);
  if (!ok) throw std::runtime_error("cannot find a free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

bool loopback_port_accepts(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

}  // namespace spate::testing
