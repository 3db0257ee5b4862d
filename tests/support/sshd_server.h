// SshdServer: Debian's OpenSSH server (/usr/sbin/sshd, package openssh-server) as a child process
// on 127.0.0.1 and a free port, for SFTP integration tests. Everything lives in a private temp
// dir: the config, a fresh ed25519 host key, a fresh ed25519 client key pair whose public half is
// the only authorized key, the pid file and the log. Public-key login only, as the user running
// the test; `internal-sftp` serves the whole file system by absolute path.
//
// Thread-safety: the const members may be called from any thread. Ownership: the server owns its
// child process and temp dir; the destructor kills the child (SIGKILL, which also ends the
// per-connection children it forked, as they die with their connection) and removes the dir.
// The child dies with the thread that started it (PR_SET_PDEATHSIG): construct it on the test's
// main thread.
#pragma once

#include "support/process.h"
#include "support/temp_dir.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace spate::testing {

class SshdServer {
 public:
  // Generates the keys and config, creates /run/sshd (the privilege separation directory) when
  // missing, starts sshd and returns once the port accepts connections. Throws
  // std::runtime_error (with sshd's output) when it cannot.
  SshdServer();
  ~SshdServer() = default;
  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;

  // Empty when /usr/sbin/sshd and ssh-keygen are installed; else why the tests cannot run.
  static std::string unavailable_reason();

  std::uint16_t port() const { return port_; }
  // "sftp://USER@127.0.0.1:PORT/ABSOLUTE/PATH" for a file of the local file system.
  std::string url(const std::filesystem::path& absolute_path) const;
  std::filesystem::path client_private_key() const { return dir_.path() / "client_key"; }
  std::filesystem::path client_public_key() const { return dir_.path() / "client_key.pub"; }
  // The known_hosts line for this server: "[127.0.0.1]:PORT ssh-ed25519 AAAA...".
  std::string known_hosts_line() const;
  // Public-key logins accepted so far (one per SSH connection), from sshd's log.
  int accepted_logins() const;
  // sshd's log so far (for assertion messages).
  std::string log() const;

 private:
  bool try_start(std::uint16_t port);

  TempDir dir_;
  std::string user_;
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> child_;
};

}  // namespace spate::testing
