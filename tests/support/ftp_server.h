// FtpServer: a real FTP server (Python's pyftpdlib, Debian package python3-pyftpdlib) serving a
// directory anonymously on 127.0.0.1 and a free port, run as a child process for integration
// tests. It logs every command it receives to a file, so a test can see the REST offsets and the
// sessions a download used. It can be told to refuse REST or SIZE (502), as some servers do.
//
// Thread-safety: the const members may be called from any thread. Ownership: the server owns its
// child process and temp dir; the destructor kills the child (SIGKILL) and removes the dir. The
// child dies with the thread that started it (PR_SET_PDEATHSIG): construct it on the test's
// main thread.
#pragma once

#include "support/process.h"
#include "support/temp_dir.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::testing {

struct FtpServerOptions {
  bool rest = true;        // false: "502" to REST (no restarted transfers: no ranges)
  bool size = true;        // false: "502" to SIZE (the file size is unknown before the transfer)
  std::uint16_t port = 0;  // 0: a free port; else this one (e.g. a stopped server's, to replace it)
};

// One command as the server received it.
struct FtpCommand {
  int session = 0;       // the client's port: the same for every command of one control connection
  std::string name;      // upper case, e.g. "REST"
  std::string argument;  // e.g. "1250000"
};

class FtpServer {
 public:
  // Starts the server on `root`; returns once it accepts connections. Throws std::runtime_error
  // when it cannot start (see available()).
  explicit FtpServer(std::filesystem::path root, FtpServerOptions options = {});
  ~FtpServer() = default;
  FtpServer(const FtpServer&) = delete;
  FtpServer& operator=(const FtpServer&) = delete;

  // True when /usr/bin/python3 can import pyftpdlib.
  static bool available();

  std::uint16_t port() const { return port_; }
  // "ftp://127.0.0.1:PORT/path"; a leading '/' in `path` is optional.
  std::string url(std::string_view path) const;
  // Every command received so far, in order (the log is flushed after each line).
  std::vector<FtpCommand> commands() const;
  // The arguments of the REST commands that were answered "350", in order.
  std::vector<std::int64_t> accepted_rest_offsets() const;
  // How many control connections sent RETR.
  int retr_sessions() const;

 private:
  TempDir dir_;  // the server script and its log
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> child_;
};

}  // namespace spate::testing
