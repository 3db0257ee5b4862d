#include "support/nginx_server.h"

#include "support/socket_io.h"
#include "support/tls_stream.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace spate::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kNginxBinary = "/usr/sbin/nginx";
constexpr int kMaxStartAttempts = 5;
constexpr auto kStartTimeout = std::chrono::seconds(5);
constexpr auto kStopTimeout = std::chrono::seconds(3);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("NginxServer: cannot write " + path.string());
}

std::string quoted(const fs::path& path) { return "\"" + path.string() + "\""; }

std::string make_config(const fs::path& dir, const fs::path& docroot, std::uint16_t port,
                        const NginxOptions& options) {
  std::ostringstream c;
  // Single-process mode: one pid to signal and reap, and SIGKILL leaves no orphaned worker.
  c << "daemon off;\nmaster_process off;\nworker_processes 1;\n";
  if (geteuid() == 0) c << "user root;\n";
  c << "pid " << quoted(dir / "nginx.pid") << ";\n"
    << "events { worker_connections 1024; }\n"
    << "http {\n"
    << "  log_format spate '$status $body_bytes_sent \"$http_range\" $connection "
       "$connection_requests $limit_rate \"$request\"';\n"
    << "  access_log " << quoted(dir / "access.log") << " spate;\n";
  // Every compiled-in temp path must point inside the private dir (the defaults are system-wide).
  for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    c << "  " << kind << "_temp_path " << quoted(dir / "temp" / kind) << ";\n";
  }
  c << "  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 10000;\n  keepalive_timeout 60s;\n"
    << "  types { }\n  default_type application/octet-stream;\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << port << (options.tls_http2 ? " ssl http2" : "") << ";\n"
    << "    server_name localhost;\n"
    << "    root " << quoted(docroot) << ";\n";
  if (options.tls_http2) {
    c << "    ssl_certificate " << quoted(dir / "cert.pem") << ";\n"
      << "    ssl_certificate_key " << quoted(dir / "key.pem") << ";\n";
  }
  if (options.limit_rate > 0) c << "    limit_rate " << options.limit_rate << ";\n";
  if (!options.ranges) c << "    max_ranges 0;\n";
  c << "    location / { }\n  }\n}\n";
  return c.str();
}

// Starts nginx with stdout/stderr into `output`. Everything the child needs is prepared before
// fork(): between fork and exec only async-signal-safe calls are allowed (the test is threaded).
pid_t spawn_nginx(const fs::path& dir, const fs::path& output) {
  const std::string prefix = dir.string() + "/";
  const std::string conf = (dir / "nginx.conf").string();
  const std::string error_log = (dir / "error.log").string();
  std::vector<std::string> args = {kNginxBinary, "-p", prefix, "-c", conf, "-e", error_log};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const int out_fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || null_fd < 0) {
    if (out_fd >= 0) close(out_fd);
    if (null_fd >= 0) close(null_fd);
    throw std::runtime_error("NginxServer: cannot open the output files");
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Die with the parent (a crashed or killed test must not leave nginx behind).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // The forked child has only this one thread: hence the NOLINT.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe)
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    close_range(3, ~0U, 0);  // no inherited sockets or files from the test process
    execv(kNginxBinary, argv.data());
    _exit(127);
  }
  const int fork_errno = errno;
  close(out_fd);
  close(null_fd);
  if (pid < 0) {
    throw std::runtime_error("NginxServer: fork failed: " +
                             std::error_code(fork_errno, std::system_category()).message());
  }
  return pid;
}

// Parses `"text"` at `pos` (nginx escapes '"' inside values as \x22); advances `pos`.
bool parse_quoted(const std::string& line, std::size_t& pos, std::string& out) {
  while (pos < line.size() && line[pos] == ' ') ++pos;
  if (pos >= line.size() || line[pos] != '"') return false;
  const std::size_t end = line.find('"', pos + 1);
  if (end == std::string::npos) return false;
  out = line.substr(pos + 1, end - pos - 1);
  pos = end + 1;
  return true;
}

bool parse_entry(const std::string& line, AccessLogEntry& entry) {
  std::istringstream head(line);
  if (!(head >> entry.status >> entry.body_bytes_sent)) return false;
  std::size_t pos = static_cast<std::size_t>(head.tellg());
  if (!parse_quoted(line, pos, entry.range)) return false;
  if (entry.range == "-") entry.range.clear();  // nginx logs an empty variable as "-"
  std::istringstream tail(line.substr(pos));
  if (!(tail >> entry.connection >> entry.connection_requests >> entry.limit_rate)) return false;
  pos += static_cast<std::size_t>(tail.tellg());
  return parse_quoted(line, pos, entry.request);
}

}  // namespace

NginxServer::NginxServer(const std::filesystem::path& docroot, NginxOptions options)
    : docroot_(fs::absolute(docroot)), options_(options), dir_(temp_.path()) {
  try {
    fs::create_directories(dir_ / "temp");
    if (options_.tls_http2) write_self_signed_certificate(dir_);  // cert.pem, key.pem
    for (int attempt = 0; attempt < kMaxStartAttempts; ++attempt) {
      if (try_start(pick_free_loopback_port())) return;
    }
    throw std::runtime_error("NginxServer: no free port after " +
                             std::to_string(kMaxStartAttempts) + " attempts");
  } catch (...) {
    stop();  // temp_ removes the directory
    throw;
  }
}

NginxServer::~NginxServer() { stop(); }  // then temp_ removes the directory

bool NginxServer::try_start(std::uint16_t port) {
  write_file(dir_ / "nginx.conf", make_config(dir_, docroot_, port, options_));
  const fs::path output = dir_ / "nginx.out";
  fs::remove(dir_ / "error.log");
  fs::remove(dir_ / "nginx.pid");
  pid_ = spawn_nginx(dir_, output);

  // Ready = nginx wrote its pid file (it does so after binding its listening socket) and the port
  // accepts. Checking the pid file too means a stranger that grabbed the port is not mistaken
  // for our nginx.
  const std::string own_pid = std::to_string(pid_);
  const auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const std::string errors = read_file(output) + read_file(dir_ / "error.log");
      if (errors.find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error("NginxServer: nginx exited during start:\n" + errors);
    }
    std::string pid_text = read_file(dir_ / "nginx.pid");
    while (!pid_text.empty() && (pid_text.back() == '\n' || pid_text.back() == ' ')) {
      pid_text.pop_back();
    }
    if (pid_text == own_pid && loopback_port_accepts(port)) {
      port_ = port;
      return true;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const std::string errors = read_file(output) + read_file(dir_ / "error.log");
  stop();
  throw std::runtime_error("NginxServer: nginx did not accept connections in time:\n" + errors);
}

void NginxServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGQUIT);
  const auto deadline = Clock::now() + kStopTimeout;
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string NginxServer::url(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(options_.tls_http2 ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port_) + "/" + std::string(path);
}

std::string NginxServer::access_log() const { return read_file(dir_ / "access.log"); }

std::vector<AccessLogEntry> NginxServer::access_log_entries() const {
  std::vector<AccessLogEntry> entries;
  std::istringstream lines(access_log());
  std::string line;
  while (std::getline(lines, line)) {
    AccessLogEntry entry;
    if (parse_entry(line, entry)) entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<AccessLogEntry> NginxServer::wait_for_entries(std::size_t count,
                                                          std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  std::vector<AccessLogEntry> entries = access_log_entries();
  while (entries.size() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
    entries = access_log_entries();
  }
  return entries;
}

bool NginxServer::available() { return access(kNginxBinary, X_OK) == 0; }

}  // namespace spate::testing
