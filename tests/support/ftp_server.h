// FtpServer: a real FTP server (Python's pyftpdlib, Debian package python3-pyftpdlib) serving a
// directory anonymously on 127.0.0.1 and a free port, run as a child process for integration
// tests. It logs every command it receives to a file, so a test can see the REST offsets and the
// sessions a download used. It can be told to refuse REST or SIZE (502), as some servers do.
// With FtpServerOptions::tls it speaks FTPS with implicit TLS (ftps://, as curl expects on that
// scheme: the TLS handshake right after connecting, before the 220 banner; PBSZ/PROT P protect
// the data connections) with the given certificate; this also needs python3-openssl.
//
// Thread-safety: the const members may be called from any thread. Ownership: the server owns its
// child process and temp dir; the destructor kills the child (SIGKILL) and removes the dir. The
// child dies with the thread that started it (PR_SET_PDEATHSIG): construct it on the test's
// main thread.
#pragma once

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/tls_stream.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::testing {

struct FtpServerOptions {
  bool rest = true;        // false: "502" to REST (no restarted transfers: no ranges)
  bool size = true;        // false: "502" to SIZE (the file size is unknown before the transfer)
  std::uint16_t port = 0;  // 0: a free port; else this one (e.g. a stopped server's, to replace it)
  std::optional<TlsFiles> tls{};  // set: implicit TLS (FTPS) with this certificate and key
  bool explicit_tls = false;      // with tls: ftp:// in the clear until AUTH TLS, which is required
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
  explicit FtpServer(const std::filesystem::path& root, FtpServerOptions options = {});
  ~FtpServer() = default;
  FtpServer(const FtpServer&) = delete;
  FtpServer& operator=(const FtpServer&) = delete;

  // True when /usr/bin/python3 can import pyftpdlib.
  static bool available();
  // True when /usr/bin/python3 can also import OpenSSL (python3-openssl), which TLS needs.
  static bool tls_available();

  std::uint16_t port() const { return port_; }
  // "ftp://127.0.0.1:PORT/path" ("ftps://" with TLS); a leading '/' in `path` is optional.
  std::string url(std::string_view path) const;
  // Every command received so far, in order (the log is flushed after each line).
  std::vector<FtpCommand> commands() const;
  // The arguments of the REST commands that were answered "350", in order.
  std::vector<std::int64_t> accepted_rest_offsets() const;
  // How many control connections sent RETR.
  int retr_sessions() const;
  // The control connections whose TLS handshake completed (logged as "SESSION TLS VERSION"),
  // with the TLS version each negotiated, e.g. "TLSv1.3".
  std::map<int, std::string> tls_sessions() const;
  // How many data connections completed a TLS handshake (PROT P; logged as "SESSION DATA_TLS").
  int tls_data_connections() const;

 private:
  TempDir dir_;  // the server script and its log
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::optional<ChildProcess> child_;
};

}  // namespace spate::testing
