#include "support/sshd_server.h"

#include "support/socket_io.h"

#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <fstream>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace spate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kSshKeygen = "/usr/bin/ssh-keygen";

void generate_key(const fs::path& path) {
  const ProcessResult result = run_process(
      {kSshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "spate-test", "-f", path.string()});
  if (!result.exited(0)) {
    throw std::runtime_error("SshdServer: ssh-keygen failed: " + result.describe());
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string SshdServer::unavailable_reason() {
  for (const char* program : {kSshd, kSshKeygen}) {
    if (access(program, X_OK) != 0) {
      return std::string(program) + " is not installed (openssh-server, scripts/bootstrap)";
    }
  }
  return {};
}

SshdServer::SshdServer() {
  if (const auto reason = unavailable_reason(); !reason.empty()) {
    throw std::runtime_error("SshdServer: " + reason);
  }
  passwd entry{};
  passwd* account = nullptr;
  std::array<char, 4096> strings{};  // getpwuid_r's string storage; one entry needs far less
  getpwuid_r(geteuid(), &entry, strings.data(), strings.size(), &account);
  if (account == nullptr) throw std::runtime_error("SshdServer: no user name for this uid");
  user_ = account->pw_name;
  const fs::path dir = dir_.path();
  generate_key(dir / "host_key");
  generate_key(dir / "client_key");
  fs::copy_file(dir / "client_key.pub", dir / "authorized_keys");
  std::error_code ec;
  fs::create_directories("/run/sshd", ec);  // sshd refuses to start without it
  for (int attempt = 0; attempt < 3 && !child_; ++attempt) {
    if (!try_start(pick_free_loopback_port()))
      child_.reset();  // the port was taken meanwhile: try another
  }
  if (!child_) throw std::runtime_error("SshdServer: sshd did not start: " + log());
}

bool SshdServer::try_start(std::uint16_t port) {
  const fs::path dir = dir_.path();
  port_ = port;
  std::ofstream(dir / "sshd_config")
      << "ListenAddress 127.0.0.1\n"
      << "Port " << port << "\n"
      << "HostKey " << (dir / "host_key").string() << "\n"
      << "PidFile " << (dir / "sshd.pid").string() << "\n"
      << "AuthorizedKeysFile " << (dir / "authorized_keys").string() << "\n"
      << "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
      << "PubkeyAuthentication yes\nPasswordAuthentication no\n"
      << "KbdInteractiveAuthentication no\nLogLevel VERBOSE\n"
      << "Subsystem sftp internal-sftp\n";
  ProcessOptions options;
  options.time_limit = std::chrono::minutes(5);
  // -D: foreground, -e: errors to stderr, -E: the log to a file the test can read.
  child_.emplace(ChildProcess::start(
      {kSshd, "-D", "-e", "-E", (dir / "sshd.log").string(), "-f", (dir / "sshd_config").string()},
      options));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!loopback_port_accepts(port) && !child_->finished() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return loopback_port_accepts(port);
}

std::string SshdServer::url(const fs::path& absolute_path) const {
  return "sftp://" + user_ + "@127.0.0.1:" + std::to_string(port_) + absolute_path.string();
}

std::string SshdServer::known_hosts_line() const {
  std::istringstream key(read_file(dir_.path() / "host_key.pub"));
  std::string type, blob;
  key >> type >> blob;
  return "[127.0.0.1]:" + std::to_string(port_) + " " + type + " " + blob;
}

int SshdServer::accepted_logins() const {
  std::istringstream text(log());
  int logins = 0;
  std::string line;
  for (int lines = 0; lines < 100'000 && std::getline(text, line); ++lines) {
    if (line.find("Accepted publickey for") != std::string::npos) ++logins;
  }
  return logins;
}

std::string SshdServer::log() const { return read_file(dir_.path() / "sshd.log"); }

}  // namespace spate::testing
