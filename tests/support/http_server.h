// HttpServer: an in-process HTTP/1.1 test server on raw POSIX sockets that serves generated
// content (content.h) and lies on request, per path, as a FaultPlan says. Binds 127.0.0.1:0, one
// thread per connection, keep-alive, HEAD/GET, single Range, If-Range. Paths without a route are
// served from the query string under /gen/ (fault_plan.h: parse_fault_query; a bad key is 400);
// others get 404. Use a distinct /gen/ name per test: its request count is never reset.
//
// Thread-safety: every public member may be called from any thread while the server runs.
// Ownership: the server owns its listener, connections and threads; the destructor stops them all
// (stalled clients included) within well under a second. Many servers may coexist.
#pragma once

#include "support/fault_plan.h"
#include "support/http_request.h"
#include "support/socket_io.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace spate::testing {

struct RecordedRequest {
  std::string method;
  std::string target;                          // including the query
  std::string path;                            // without the query
  std::map<std::string, std::string> headers;  // lower-case names
  int connection_id = 0;  // 1-based id of the accepted TCP connection that carried the request

  std::string header(std::string_view lower_name) const;  // "" when absent
};

class HttpServer {
 public:
  HttpServer();  // binds 127.0.0.1:0 and starts serving; throws std::runtime_error on failure
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path) const;  // "http://127.0.0.1:PORT" + path

  // Serves `path` (no query) as `plan` says; replaces an existing route and restarts the path's
  // request count (which drives faulty_requests and etag_changes_after).
  void route(std::string path, FaultPlan plan);

  std::vector<RecordedRequest> requests() const;  // every request so far, in arrival order
  std::vector<RecordedRequest> requests_for(std::string_view path) const;
  // Peak number of requests being answered at once; a request counts from its arrival until its
  // response ends (a stalled one until the client leaves). Requests refused with 429 because of
  // max_connections are not counted.
  int max_concurrent_requests() const;
  int max_concurrent_requests(std::string_view path) const;
  int connections_accepted() const;
  // Keep-alive connections idle this long (between requests) are closed; 60 s unless set. For
  // connections accepted after the call.
  void close_idle_after(std::chrono::milliseconds idle);
  // Forgets recorded requests, peaks (restarted from what is in flight now) and the connection
  // count. Per-path request counts that drive faults are kept.
  void reset_stats();

 private:
  struct Connection;
  struct PathStats {
    int requests = 0;   // requests seen since the route was set (fault counter)
    int in_flight = 0;  // requests being answered now
    int peak = 0;       // peak of in_flight
  };

  void accept_loop();
  void reap_finished_connections();
  void serve_connection(Connection& connection);
  // Answers one parsed request; false when the connection must close (`reset`: with RST).
  bool answer(int fd, int connection_id, const ParsedRequest& request, bool& reset);
  // Records `request`, resolves its plan and, unless refused with TooMany, counts it in flight
  // until finish(path).
  enum class Admission { Serve, NotFound, BadQuery, TooMany };
  Admission admit(const ParsedRequest& request, int fd, int connection_id, FaultPlan& plan,
                  std::string& error);
  void finish(int connection_id);
  // Stops counting in-flight requests whose client already hung up (requires mutex_). Run
  // before counting a new request: a client that closed one connection before opening the next
  // never has both counted, however late the old request's thread notices.
  void forget_abandoned_requests();

  int listen_fd_ = -1;
  WakePipe wake_;  // readable once stopping_ is set: ends every poll()
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> idle_limit_ms_{60'000};
  std::thread accept_thread_;

  mutable std::mutex mutex_;  // guards everything below
  std::map<std::string, FaultPlan, std::less<>> routes_;
  std::map<std::string, PathStats, std::less<>> path_stats_;
  struct InFlight {
    int fd = -1;
    std::string path;
  };
  std::map<int, InFlight> in_flight_requests_;  // by connection id: counted requests
  std::vector<RecordedRequest> requests_;
  int in_flight_ = 0;
  int peak_in_flight_ = 0;
  int connections_accepted_ = 0;
  int next_connection_id_ = 1;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace spate::testing
