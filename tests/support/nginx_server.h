// NginxServer: a real nginx (/usr/sbin/nginx) serving a directory on 127.0.0.1, for integration
// tests that need a production HTTP server (sendfile, keep-alive, Range, limit_rate, TLS + HTTP/2).
//
// Each instance runs its own nginx child process (single-process mode, foreground) with its own
// config, logs and temp paths in a private temp dir, on a free port; several can run at once.
// The destructor stops the child and removes the temp dir. The child gets PR_SET_PDEATHSIG, so it
// dies with the thread that constructed the server: construct it on a thread that outlives it
// (the test's main thread). Thread-safety: the const accessors may be called from any thread;
// construction and destruction must not race with them. Not copyable or movable.
#pragma once

#include "support/temp_dir.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace spate::testing {

struct NginxOptions {
  std::int64_t limit_rate = 0;  // bytes/s per request (nginx `limit_rate`); 0 = unlimited
  bool ranges = true;           // false: `max_ranges 0` (Range is ignored, 200 with the full body)
  bool tls_http2 = false;       // `listen ... ssl http2` with a self-signed cert made at start
};

// One line of the access log (nginx writes it when a request ends).
struct AccessLogEntry {
  int status = 0;
  std::int64_t body_bytes_sent = 0;
  std::string range;                      // the request's Range header, "" when absent
  std::uint64_t connection = 0;           // nginx's connection serial number
  std::uint64_t connection_requests = 0;  // 1 for the first request on a connection
  std::int64_t limit_rate = 0;            // the request's rate limit in bytes/s, 0 = none
  std::string request;                    // the request line, e.g. "GET /f HTTP/1.1"
};

class NginxServer {
 public:
  // Starts nginx serving `docroot`; returns once the port accepts connections.
  // Throws std::runtime_error (with nginx's own error output) when it cannot start.
  explicit NginxServer(const std::filesystem::path& docroot, NginxOptions options = {});
  ~NginxServer();  // SIGQUIT, then SIGKILL after a bound; reaps the child; removes the temp dir

  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/path" (https when tls_http2); a leading '/' in `path` is optional.
  std::string url(std::string_view path) const;
  // The self-signed PEM certificate nginx presents when tls_http2 (CN=127.0.0.1, no
  // subjectAltName, which libcurl 7.88 accepts for an IP host): as a CA file, it makes
  // certificate verification succeed.
  std::filesystem::path certificate_path() const { return dir_ / "cert.pem"; }
  // The raw access log: one line per finished request, in the format
  // `STATUS BYTES "RANGE" CONNECTION CONNECTION_REQUESTS LIMIT_RATE "REQUEST"`.
  std::string access_log() const;
  // The access log parsed; lines that do not parse are skipped.
  std::vector<AccessLogEntry> access_log_entries() const;
  // nginx logs a request just after sending its last byte, so a client may finish first. This
  // polls the log until it has at least `count` entries or `timeout` passes, and returns them.
  std::vector<AccessLogEntry> wait_for_entries(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // True when /usr/sbin/nginx exists and is executable.
  static bool available();

 private:
  // One start attempt on `port`; returns false when nginx reported "Address already in use".
  bool try_start(std::uint16_t port);
  void stop();

  std::filesystem::path docroot_;
  NginxOptions options_;
  TempDir temp_;               // private dir: config, logs, pid, temp paths, cert
  std::filesystem::path dir_;  // temp_.path()
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace spate::testing
