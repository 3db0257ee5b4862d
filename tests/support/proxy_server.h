// ProxyServer: an in-process forward proxy for tests. Binds 127.0.0.1:0, one thread per client
// connection, and speaks, chosen by the client's first byte:
//   - HTTP: CONNECT host:port (a tunnel, as used for https:// URLs), or a request with an
//     absolute URI ("GET http://host:port/path HTTP/1.1"), forwarded in origin form with
//     "Connection: close" (one request per proxy connection);
//   - SOCKS5 without authentication (CONNECT only), with an IPv4 address or a host name.
// With TLS files it is an https proxy: every client connection starts with a TLS handshake
// (support/tls_stream.h) and the protocols above run inside it.
// It connects only to loopback targets (127.0.0.0/8 or "localhost"); anything else is refused
// (403 / SOCKS "not allowed"), so a test can never send traffic off the machine. It records every
// connection it relayed.
//
// Thread-safety: every public member may be called from any thread while the proxy runs.
// Ownership: the proxy owns its listener, connections and threads; the destructor stops them all.
#pragma once

#include "support/socket_io.h"
#include "support/tls_stream.h"

#include <atomic>
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

struct ProxiedConnection {
  enum class Kind { Forward, Connect, Socks5 };
  Kind kind = Kind::Forward;
  std::string target;    // Forward: the absolute URI; Connect and Socks5: "host:port"
  bool by_name = false;  // Socks5: the client sent a host name (socks5h), not an address
  bool refused = false;  // the target was not on loopback (or unparsable)
  std::map<std::string, std::string> headers;  // HTTP kinds: request headers, lower-case names
  std::int64_t bytes_to_client = 0;            // from the target, passed to the client so far
  bool over_tls = false;                       // the client spoke to the proxy through TLS
};

class ProxyServer {
 public:
  ProxyServer();  // binds 127.0.0.1:0 and starts serving; throws std::runtime_error on failure
  // An https proxy presenting `tls` (e.g. write_self_signed_certificate); throws as above, and
  // when the certificate or key cannot be loaded.
  explicit ProxyServer(const TlsFiles& tls);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "SCHEME://127.0.0.1:PORT", e.g. url("socks5h"); the same port serves every protocol
  // (url("https") for a TLS proxy).
  std::string url(std::string_view scheme = "http") const;
  std::vector<ProxiedConnection> connections() const;  // in arrival order

 private:
  struct Client;
  void accept_loop();
  void serve(Client& client);
  void serve_http(Client& client, std::string buffer);
  void serve_socks5(Client& client, std::string buffer);
  // Connects to 127.0.0.1:port (every allowed target is on loopback), sends `to_client` and
  // `to_target`, then relays both ways until one side closes; `on_failure` goes to the client
  // when the target refuses the connection.
  void tunnel(Client& client, std::size_t record_index, std::uint16_t port, std::string to_target,
              std::string to_client, const std::string& on_failure);
  std::size_t record(ProxiedConnection connection);  // index into connections_

  void start();
  void serve_plain(Client& client);

  std::unique_ptr<TlsServerContext> tls_;  // set: every client connection is TLS
  int listen_fd_ = -1;
  WakePipe wake_;  // readable once stopping_ is set: ends every poll()
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  mutable std::mutex mutex_;  // guards everything below
  std::vector<ProxiedConnection> connections_;
  std::list<std::unique_ptr<Client>> clients_;
};

}  // namespace spate::testing
