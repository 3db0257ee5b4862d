#include "support/ftp_server.h"

#include "support/socket_io.h"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <chrono>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace spate::testing {
namespace {

// argv: PORT ROOT LOG REST(0/1) SIZE(0/1) [CERT KEY]. Logs "SESSION CMD ARG" per command, "SESSION
// REPLY CODE" per REST answer, and with TLS "SESSION TLS VERSION" per control connection handshake,
// "SESSION TLS_FAILED" per failed one and "SESSION DATA_TLS VERSION" per data connection handshake;
// one flushed line each. SESSION is the client's port on the control connection.
constexpr std::string_view kScript = R"PY(
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

port, root, log_path, rest, size = sys.argv[1:6]
log = open(log_path, "a", buffering=1)

Base = FTPHandler
if len(sys.argv) > 7:
    from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler

    class DataHandler(TLS_DTPHandler):
        # curl starts a data connection's handshake as soon as it connects, before RETR; stock
        # pyftpdlib closes a data channel that turns readable before a transfer is queued.
        def readable(self):
            return self._ssl_accepting or TLS_DTPHandler.readable(self)

        def handle_ssl_established(self):
            log.write("%d DATA_TLS %s\n" % (self.cmd_channel.remote_port,
                                            self.socket.get_protocol_version_name()))

    # pyftpdlib speaks explicit TLS (AUTH TLS, then required here); implicit TLS (ftps://)
    # starts the handshake at once and sends the 220 banner only once it is done.
    explicit = len(sys.argv) > 8 and sys.argv[8] == "explicit"

    class Base(TLS_FTPHandler):
        certfile, keyfile = sys.argv[6], sys.argv[7]
        dtp_handler = DataHandler
        tls_control_required = explicit
        tls_data_required = explicit

        def handle(self):
            if explicit:
                TLS_FTPHandler.handle(self)
            else:
                self.secure_connection(self.ssl_context)

        def handle_ssl_established(self):
            log.write("%d TLS %s\n" % (self.remote_port, self.socket.get_protocol_version_name()))
            if not explicit:
                TLS_FTPHandler.handle(self)

        def handle_failed_ssl_handshake(self):
            log.write("%d TLS_FAILED -\n" % self.remote_port)
            TLS_FTPHandler.handle_failed_ssl_handshake(self)

class Handler(Base):
    def pre_process_command(self, line, cmd, arg):
        log.write("%d %s %s\n" % (self.remote_port, cmd, arg or ""))
        Base.pre_process_command(self, line, cmd, arg)

    def ftp_REST(self, line):
        if rest == "0":
            self.respond("502 Command not implemented.")
            log.write("%d REPLY 502\n" % self.remote_port)
        else:
            Base.ftp_REST(self, line)
            log.write("%d REPLY 350\n" % self.remote_port)

    def ftp_SIZE(self, path):
        if size == "0":
            self.respond("502 Command not implemented.")
        else:
            Base.ftp_SIZE(self, path)

authorizer = DummyAuthorizer()
authorizer.add_anonymous(root)
Handler.authorizer = authorizer
FTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
)PY";

}  // namespace

bool FtpServer::available() {
  return run_process({"/usr/bin/python3", "-c", "import pyftpdlib"}).exited(0);
}

bool FtpServer::tls_available() {
  return run_process({"/usr/bin/python3", "-c", "import pyftpdlib, OpenSSL"}).exited(0);
}

FtpServer::FtpServer(const std::filesystem::path& root, FtpServerOptions options)
    : tls_(options.tls.has_value() && !options.explicit_tls) {
  const auto script = dir_.path() / "ftpd.py";
  std::ofstream(script) << kScript;
  for (int attempt = 0; attempt < 3 && !child_; ++attempt) {
    port_ = options.port != 0 ? options.port : pick_free_loopback_port();
    ProcessOptions process;
    process.time_limit = std::chrono::minutes(5);
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     script.string(),
                                     std::to_string(port_),
                                     root.string(),
                                     (dir_.path() / "commands.log").string(),
                                     options.rest ? "1" : "0",
                                     options.size ? "1" : "0"};
    if (options.tls) {
      argv.push_back(options.tls->certificate.string());
      argv.push_back(options.tls->key.string());
      if (options.explicit_tls) argv.emplace_back("explicit");
    }
    child_.emplace(ChildProcess::start(argv, process));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!loopback_port_accepts(port_) && !child_->finished() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!loopback_port_accepts(port_)) child_.reset();  // the port was taken meanwhile: try another
  }
  if (!child_) throw std::runtime_error("FtpServer: pyftpdlib did not start");
}

std::string FtpServer::url(std::string_view path) const {
  if (path.starts_with('/')) path.remove_prefix(1);
  return std::string(tls_ ? "ftps" : "ftp") + "://127.0.0.1:" + std::to_string(port_) + "/" +
         std::string(path);
}

std::vector<FtpCommand> FtpServer::commands() const {
  std::vector<FtpCommand> commands;
  std::ifstream log(dir_.path() / "commands.log");
  std::string line;
  for (int lines = 0; lines < 100'000 && std::getline(log, line); ++lines) {
    std::istringstream fields(line);
    FtpCommand command;
    if (!(fields >> command.session >> command.name)) continue;
    std::getline(fields >> std::ws, command.argument);
    commands.push_back(std::move(command));
  }
  return commands;
}

std::vector<std::int64_t> FtpServer::accepted_rest_offsets() const {
  std::vector<std::int64_t> offsets;
  std::map<int, std::int64_t> pending;  // per session: the last REST, until its REPLY line
  for (const FtpCommand& command : commands()) {
    if (command.name == "REST") {
      std::int64_t offset = -1;
      const auto& text = command.argument;
      std::from_chars(text.data(), text.data() + text.size(), offset);
      pending[command.session] = offset;
    } else if (command.name == "REPLY" && pending.contains(command.session)) {
      if (command.argument == "350") offsets.push_back(pending[command.session]);
      pending.erase(command.session);
    }
  }
  return offsets;
}

int FtpServer::retr_sessions() const {
  std::set<int> sessions;
  for (const FtpCommand& command : commands()) {
    if (command.name == "RETR") sessions.insert(command.session);
  }
  return static_cast<int>(sessions.size());
}

std::map<int, std::string> FtpServer::tls_sessions() const {
  std::map<int, std::string> sessions;
  for (const FtpCommand& command : commands()) {
    if (command.name == "TLS") sessions[command.session] = command.argument;
  }
  return sessions;
}

int FtpServer::tls_data_connections() const {
  const auto commands = this->commands();
  return static_cast<int>(std::count_if(commands.begin(), commands.end(), [](const auto& command) {
    return command.name == "DATA_TLS";
  }));
}

}  // namespace spate::testing
