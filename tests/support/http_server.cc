#include "support/http_server.h"

#include "support/http_response.h"
#include "support/socket_io.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace spate::testing {
namespace {

constexpr int kAcceptPollMs = 200;     // how often the accept loop reaps finished threads
constexpr int kReadPollMs = 1000;      // one receive wait slice
constexpr int kBodyGiveUpMs = 60'000;  // a request body that stops for this long is dropped
constexpr std::size_t kMaxHeadSize = std::size_t{64} * 1024;
constexpr std::int64_t kMaxRequestBody = 1 << 20;

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

struct HttpServer::Connection {
  int fd = -1;  // closed and set to -1 by the connection's own thread, under mutex_
  int id = 0;
  std::atomic<bool> finished{false};
  std::thread thread;
};

std::string RecordedRequest::header(std::string_view lower_name) const {
  const auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

HttpServer::HttpServer() {
  listen_fd_ = listen_on_loopback(port_, 512);
  try {
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (...) {
    close_fd(listen_fd_);
    throw;
  }
}

HttpServer::~HttpServer() {
  stopping_.store(true);
  wake_.wake();  // the pipe stays readable from now on: every poll() of every thread ends
  if (accept_thread_.joinable()) accept_thread_.join();
  // Only this thread touches connections_ from here on (the accept thread reaped it before).
  {
    std::lock_guard lock(mutex_);
    for (const auto& connection : connections_) {
      if (connection->fd >= 0) shutdown(connection->fd, SHUT_RDWR);
    }
  }
  for (const auto& connection : connections_) {
    if (connection->thread.joinable()) connection->thread.join();
  }
  close_fd(listen_fd_);
}

std::string HttpServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void HttpServer::route(std::string path, FaultPlan plan) {
  std::lock_guard lock(mutex_);
  path_stats_[path].requests = 0;
  routes_.insert_or_assign(std::move(path), std::move(plan));
}

std::vector<RecordedRequest> HttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<RecordedRequest> HttpServer::requests_for(std::string_view path) const {
  std::lock_guard lock(mutex_);
  std::vector<RecordedRequest> matching;
  for (const auto& request : requests_) {
    if (request.path == path) matching.push_back(request);
  }
  return matching;
}

int HttpServer::max_concurrent_requests() const {
  std::lock_guard lock(mutex_);
  return peak_in_flight_;
}

int HttpServer::max_concurrent_requests(std::string_view path) const {
  std::lock_guard lock(mutex_);
  const auto it = path_stats_.find(path);
  return it == path_stats_.end() ? 0 : it->second.peak;
}

void HttpServer::close_idle_after(std::chrono::milliseconds idle) {
  idle_limit_ms_ = static_cast<int>(std::max<std::int64_t>(1, idle.count()));
}

int HttpServer::connections_accepted() const {
  std::lock_guard lock(mutex_);
  return connections_accepted_;
}

void HttpServer::reset_stats() {
  std::lock_guard lock(mutex_);
  requests_.clear();
  peak_in_flight_ = in_flight_;
  for (auto& [path, stats] : path_stats_) stats.peak = stats.in_flight;
  connections_accepted_ = 0;
}

void HttpServer::accept_loop() {
  const StopToken stop{wake_.read_fd, &stopping_};
  while (!stop.stop_requested()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_.read_fd, POLLIN, 0}};
    const int ready = poll(fds, 2, kAcceptPollMs);
    if (stop.stop_requested()) break;
    reap_finished_connections();
    if (ready <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: back off instead of spinning on a listener that stays readable.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        sleep_unless_stopped(10, stop);
      }
      continue;
    }
    // Headers and body go out in separate writes: without this, Nagle + delayed ACK would add
    // ~40 ms to every small keep-alive response.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_unique<Connection>();
    Connection* raw = connection.get();
    raw->fd = fd;
    {
      std::lock_guard lock(mutex_);
      raw->id = next_connection_id_++;
      ++connections_accepted_;
      connections_.push_back(std::move(connection));
    }
    try {
      raw->thread = std::thread([this, raw] { serve_connection(*raw); });
    } catch (const std::system_error&) {  // no thread available: drop the connection
      std::lock_guard lock(mutex_);
      close_fd(raw->fd);
      raw->finished = true;
    }
  }
}

void HttpServer::reap_finished_connections() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      const auto next = std::next(it);
      if ((*it)->finished.load()) finished.splice(finished.end(), connections_, it);
      it = next;
    }
  }
  for (const auto& connection : finished) {
    if (connection->thread.joinable()) connection->thread.join();
  }
}

void HttpServer::serve_connection(Connection& connection) {
  const StopToken stop{wake_.read_fd, &stopping_};
  const int fd = connection.fd;  // this thread owns the descriptor until it closes it below
  std::string buffer;
  bool reset = false;
  int idle_ms = 0;
  const int idle_limit_ms = idle_limit_ms_;
  const int slice_ms = std::min(kReadPollMs, idle_limit_ms);
  while (!stop.stop_requested()) {
    while (buffer.rfind("\r\n", 0) == 0) buffer.erase(0, 2);  // stray CRLF between requests
    const std::size_t head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      if (buffer.size() > kMaxHeadSize) break;
      const IoResult result = receive_some(fd, buffer, slice_ms, stop);
      if (result == IoResult::PeerClosed || result == IoResult::Stopped) break;
      idle_ms = result == IoResult::TimedOut ? idle_ms + slice_ms : 0;
      if (idle_ms >= idle_limit_ms) break;
      continue;
    }
    idle_ms = 0;
    const auto request = parse_request_head(std::string_view(buffer).substr(0, head_end));
    buffer.erase(0, head_end + 4);
    if (!request) {
      write_simple_response(fd, 400, "malformed request\n", {}, false, false, stop);
      break;
    }
    // Discard a request body; chunked request bodies are not supported (answer, then close).
    std::int64_t body_size = 0;
    const std::string length_value = request->header("content-length");
    if (!length_value.empty()) {
      const char* end = length_value.data() + length_value.size();
      if (std::from_chars(length_value.data(), end, body_size).ptr != end || body_size < 0 ||
          body_size > kMaxRequestBody) {
        write_simple_response(fd, 413, "bad request body\n", {}, false, false, stop);
        break;
      }
    }
    bool body_complete = true;
    for (int slices = 0; static_cast<std::int64_t>(buffer.size()) < body_size; ++slices) {
      if (slices * kReadPollMs >= kBodyGiveUpMs ||
          receive_some(fd, buffer, kReadPollMs, stop) != IoResult::Ok) {
        body_complete = false;
        break;
      }
    }
    if (!body_complete) break;
    buffer.erase(0, static_cast<std::size_t>(body_size));
    const bool may_continue = answer(fd, connection.id, *request, reset);
    if (!may_continue || !request->header("transfer-encoding").empty()) break;
  }
  {
    std::lock_guard lock(mutex_);
    if (reset) arm_reset_on_close(fd);
    close_fd(connection.fd);
  }
  connection.finished = true;
}

HttpServer::Admission HttpServer::admit(const ParsedRequest& request, int fd, int connection_id,
                                        FaultPlan& plan, std::string& error) {
  std::lock_guard lock(mutex_);
  forget_abandoned_requests();
  requests_.push_back(RecordedRequest{request.method, request.target, request.path, request.headers,
                                      connection_id});
  PathStats& stats = path_stats_[request.path];
  const int number = ++stats.requests;
  Admission admission = Admission::Serve;
  if (const auto route = routes_.find(request.path); route != routes_.end()) {
    plan = plan_for_request(route->second, number);
  } else if (request.path.rfind("/gen/", 0) == 0) {
    FaultPlan parsed;
    if (parse_fault_query(request.query, parsed, error)) {
      plan = plan_for_request(std::move(parsed), number);
    } else {
      admission = Admission::BadQuery;
    }
  } else {
    admission = Admission::NotFound;
  }
  if (admission == Admission::Serve && plan.max_connections > 0 &&
      stats.in_flight >= plan.max_connections) {
    return Admission::TooMany;  // refused requests are not counted as in flight
  }
  stats.peak = std::max(stats.peak, ++stats.in_flight);
  peak_in_flight_ = std::max(peak_in_flight_, ++in_flight_);
  in_flight_requests_[connection_id] = InFlight{fd, request.path};
  return admission;
}

void HttpServer::forget_abandoned_requests() {
  for (auto it = in_flight_requests_.begin(); it != in_flight_requests_.end();) {
    pollfd peer = {it->second.fd, POLLRDHUP, 0};
    const bool gone =
        poll(&peer, 1, 0) > 0 && (peer.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    if (!gone) {
      ++it;
      continue;
    }
    --path_stats_[it->second.path].in_flight;
    --in_flight_;
    it = in_flight_requests_.erase(it);
  }
}

void HttpServer::finish(int connection_id) {
  std::lock_guard lock(mutex_);
  const auto it = in_flight_requests_.find(connection_id);
  if (it == in_flight_requests_.end()) return;  // already forgotten: its client left
  --path_stats_[it->second.path].in_flight;
  --in_flight_;
  in_flight_requests_.erase(it);
}

bool HttpServer::answer(int fd, int connection_id, const ParsedRequest& request, bool& reset) {
  const StopToken stop{wake_.read_fd, &stopping_};
  const bool head = request.method == "HEAD";
  const bool keep_alive = request.keep_alive();
  FaultPlan plan;
  std::string error;
  const Admission admission = admit(request, fd, connection_id, plan, error);
  Continuation next = Continuation::Close;
  switch (admission) {
    case Admission::TooMany:
      next = write_simple_response(fd, 429, "too many connections\n", {}, head, keep_alive, stop);
      break;
    case Admission::NotFound:
      next = write_simple_response(fd, 404, "no route\n", {}, head, keep_alive, stop);
      finish(connection_id);
      break;
    case Admission::BadQuery:
      next = write_simple_response(fd, 400, error + "\n", {}, head, keep_alive, stop);
      finish(connection_id);
      break;
    case Admission::Serve:
      next = write_planned_response(fd, request, plan, stop);
      finish(connection_id);
      break;
  }
  reset = next == Continuation::Reset;
  return next == Continuation::KeepAlive && !stop.stop_requested();
}

}  // namespace spate::testing
