#include "support/proxy_server.h"

#include "support/http_request.h"
#include "support/socket_io.h"

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

constexpr int kPollSliceMs = 200;
constexpr int kHandshakeGiveUpMs = 10'000;  // a client that never finishes its request head
constexpr int kIdleGiveUpMs = 60'000;       // a tunnel silent both ways this long is closed
constexpr std::size_t kMaxHeadSize = std::size_t{64} * 1024;

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

bool is_loopback(const std::string& host) {
  if (strcasecmp(host.c_str(), "localhost") == 0) return true;
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

// "host:port" (no IPv6 literals: the proxy reaches 127.0.0.0/8 only).
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view digits = text.substr(colon + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc() || end != digits.data() + digits.size() || port == 0) return false;
  host = std::string(text.substr(0, colon));
  return true;
}

// Reads until `buffer` holds at least `size` bytes; false on close, stop or time-out.
bool receive_at_least(int fd, std::string& buffer, std::size_t size, const StopToken& stop) {
  for (int waited = 0; buffer.size() < size; waited += kPollSliceMs) {
    if (waited >= kHandshakeGiveUpMs) return false;
    const IoResult result = receive_some(fd, buffer, kPollSliceMs, stop);
    if (result == IoResult::PeerClosed || result == IoResult::Stopped) return false;
  }
  return true;
}

int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Every target is 127.0.0.1 (a name or another 127.x address maps to it): a blocking connect
  // on loopback is immediate.
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

std::string socks_reply(unsigned char code) {
  return std::string({'\x05', static_cast<char>(code), '\x00', '\x01', '\x00', '\x00', '\x00',
                      '\x00', '\x00', '\x00'});
}

}  // namespace

struct ProxyServer::Client {
  int fd = -1;  // owned by the client's thread
  bool over_tls = false;
  std::thread thread;
};

ProxyServer::ProxyServer() { start(); }

ProxyServer::ProxyServer(const TlsFiles& tls) : tls_(std::make_unique<TlsServerContext>(tls)) {
  start();
}

void ProxyServer::start() {
  listen_fd_ = listen_on_loopback(port_, 128);
  try {
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (...) {
    close_fd(listen_fd_);
    throw;
  }
}

ProxyServer::~ProxyServer() {
  stopping_.store(true);
  wake_.wake();  // the pipe stays readable from now on: every poll() of every thread ends
  if (accept_thread_.joinable()) accept_thread_.join();
  for (const auto& client : clients_) {
    if (client->thread.joinable()) client->thread.join();
  }
  close_fd(listen_fd_);
}

std::string ProxyServer::url(std::string_view scheme) const {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
}

std::vector<ProxiedConnection> ProxyServer::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

std::size_t ProxyServer::record(ProxiedConnection connection) {
  std::lock_guard lock(mutex_);
  connections_.push_back(std::move(connection));
  return connections_.size() - 1;
}

void ProxyServer::accept_loop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_.read_fd, POLLIN, 0}};
    const int ready = poll(fds, 2, kPollSliceMs);
    if (stopping_.load()) break;
    if (ready <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto client = std::make_unique<Client>();
    client->fd = fd;
    Client* raw = client.get();
    clients_.push_back(std::move(client));  // only this thread (then the destructor) uses it
    try {
      raw->thread = std::thread([this, raw] { serve(*raw); });
    } catch (const std::system_error&) {
      close_fd(raw->fd);
    }
  }
}

void ProxyServer::serve(Client& client) {
  if (!tls_) {
    serve_plain(client);
    return;
  }
  // TLS: the bridge thread terminates it and relays plaintext through a socket pair, whose other
  // end the plain protocol handlers use as if it were the client's socket.
  int pair[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    close_fd(client.fd);
    return;
  }
  const int network_fd = client.fd;
  const StopToken stop{wake_.read_fd, &stopping_};
  std::thread bridge;
  try {
    bridge = std::thread([this, network_fd, plain = pair[0], stop] {
      tls_->bridge(network_fd, plain, stop);
      shutdown(plain, SHUT_RDWR);  // the handler sees the client gone
    });
  } catch (const std::system_error&) {
    close(pair[0]);
    close(pair[1]);
    close_fd(client.fd);
    return;
  }
  client.fd = pair[1];
  client.over_tls = true;
  serve_plain(client);  // closes pair[1]: the bridge sees the plaintext side gone
  bridge.join();
  close(pair[0]);
  close(network_fd);
}

void ProxyServer::serve_plain(Client& client) {
  const StopToken stop{wake_.read_fd, &stopping_};
  std::string buffer;
  if (receive_at_least(client.fd, buffer, 1, stop)) {
    if (buffer[0] == '\x05') {
      serve_socks5(client, std::move(buffer));
    } else {
      serve_http(client, std::move(buffer));
    }
  }
  close_fd(client.fd);
}

void ProxyServer::serve_http(Client& client, std::string buffer) {
  const StopToken stop{wake_.read_fd, &stopping_};
  std::size_t head_end = std::string::npos;
  for (int waited = 0; (head_end = buffer.find("\r\n\r\n")) == std::string::npos;
       waited += kPollSliceMs) {
    if (waited >= kHandshakeGiveUpMs || buffer.size() > kMaxHeadSize) return;
    const IoResult result = receive_some(client.fd, buffer, kPollSliceMs, stop);
    if (result == IoResult::PeerClosed || result == IoResult::Stopped) return;
  }
  const auto request = parse_request_head(std::string_view(buffer).substr(0, head_end));
  std::string rest = buffer.substr(head_end + 4);
  const std::string bad_request = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  const std::string forbidden =
      "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  const std::string bad_gateway =
      "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  if (!request) {
    send_all(client.fd, bad_request.data(), bad_request.size(), stop);
    return;
  }
  ProxiedConnection entry;
  entry.over_tls = client.over_tls;
  entry.target = request->target;
  entry.headers = request->headers;
  std::string host;
  std::uint16_t port = 0;
  std::string to_target;
  std::string to_client;
  if (request->method == "CONNECT") {
    entry.kind = ProxiedConnection::Kind::Connect;
    entry.refused = !split_host_port(request->target, host, port) || !is_loopback(host);
    to_target = std::move(rest);
    to_client = "HTTP/1.1 200 Connection established\r\n\r\n";
  } else {
    // "http://host[:port]/path": forwarded as "METHOD /path VERSION" with the same headers.
    entry.kind = ProxiedConnection::Kind::Forward;
    constexpr std::string_view kScheme = "http://";
    const std::string_view target = request->target;
    const bool absolute = target.substr(0, kScheme.size()) == kScheme;
    const std::string_view after_scheme = absolute ? target.substr(kScheme.size()) : "";
    const auto slash = after_scheme.find('/');
    const std::string_view authority = after_scheme.substr(0, slash);
    const std::string path =
        slash == std::string_view::npos ? "/" : std::string(after_scheme.substr(slash));
    if (authority.find(':') == std::string_view::npos) {
      host = std::string(authority);
      port = 80;
    } else if (!split_host_port(authority, host, port)) {
      host.clear();
    }
    entry.refused = !absolute || host.empty() || !is_loopback(host);
    to_target = request->method + " " + path + " " + request->version + "\r\n";
    for (const auto& [name, value] : request->headers) {
      if (name.rfind("proxy-", 0) == 0 || name == "connection" || name == "keep-alive") continue;
      to_target.append(name).append(": ").append(value).append("\r\n");
    }
    to_target += "Connection: close\r\n\r\n" + rest;
  }
  const bool refused = entry.refused;
  const std::size_t index = record(std::move(entry));
  if (refused) {
    send_all(client.fd, forbidden.data(), forbidden.size(), stop);
    return;
  }
  tunnel(client, index, port, std::move(to_target), std::move(to_client), bad_gateway);
}

void ProxyServer::serve_socks5(Client& client, std::string buffer) {
  const StopToken stop{wake_.read_fd, &stopping_};
  // Greeting: VER NMETHODS METHODS...; only "no authentication" (0) is offered back.
  if (!receive_at_least(client.fd, buffer, 2, stop)) return;
  const auto methods = static_cast<unsigned char>(buffer[1]);
  if (!receive_at_least(client.fd, buffer, 2U + methods, stop)) return;
  const bool no_auth = buffer.substr(2, methods).find('\x00') != std::string::npos;
  const std::string choice = no_auth ? std::string("\x05\x00", 2) : std::string("\x05\xff", 2);
  if (send_all(client.fd, choice.data(), choice.size(), stop) != IoResult::Ok || !no_auth) return;
  buffer.erase(0, 2U + methods);

  // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
  if (!receive_at_least(client.fd, buffer, 5, stop)) return;
  const auto command = static_cast<unsigned char>(buffer[1]);
  const auto address_type = static_cast<unsigned char>(buffer[3]);
  ProxiedConnection entry;
  entry.over_tls = client.over_tls;
  entry.kind = ProxiedConnection::Kind::Socks5;
  std::string host;
  std::size_t address_end = 0;
  if (address_type == 1) {  // IPv4
    address_end = 8;
    if (!receive_at_least(client.fd, buffer, address_end + 2, stop)) return;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, buffer.data() + 4, text, sizeof text);
    host = text;
  } else if (address_type == 3) {  // a host name, resolved by the proxy (socks5h)
    address_end = 5U + static_cast<unsigned char>(buffer[4]);
    if (!receive_at_least(client.fd, buffer, address_end + 2, stop)) return;
    host = buffer.substr(5, address_end - 5);
    entry.by_name = true;
  } else {  // IPv6 and anything else: not supported here
    const std::string reply = socks_reply(8);
    send_all(client.fd, reply.data(), reply.size(), stop);
    return;
  }
  const auto port =
      static_cast<std::uint16_t>((static_cast<unsigned char>(buffer[address_end]) << 8) |
                                 static_cast<unsigned char>(buffer[address_end + 1]));
  std::string rest = buffer.substr(address_end + 2);
  entry.target = host + ":" + std::to_string(port);
  entry.refused = command != 1 || !is_loopback(host);
  const bool refused = entry.refused;
  const std::size_t index = record(std::move(entry));
  if (refused) {
    const std::string reply = socks_reply(command != 1 ? 7 : 2);
    send_all(client.fd, reply.data(), reply.size(), stop);
    return;
  }
  tunnel(client, index, port, std::move(rest), socks_reply(0), socks_reply(5));
}

void ProxyServer::tunnel(Client& client, std::size_t record_index, std::uint16_t port,
                         std::string to_target, std::string to_client,
                         const std::string& on_failure) {
  const StopToken stop{wake_.read_fd, &stopping_};
  int target = connect_loopback(port);
  if (target < 0) {
    send_all(client.fd, on_failure.data(), on_failure.size(), stop);
    return;
  }
  if (send_all(client.fd, to_client.data(), to_client.size(), stop) != IoResult::Ok ||
      send_all(target, to_target.data(), to_target.size(), stop) != IoResult::Ok) {
    close_fd(target);
    return;
  }
  char chunk[64 * 1024];
  int idle_ms = 0;
  bool open = true;
  while (open && !stop.stop_requested() && idle_ms < kIdleGiveUpMs) {
    pollfd fds[3] = {{client.fd, POLLIN, 0}, {target, POLLIN, 0}, {wake_.read_fd, POLLIN, 0}};
    const int ready = poll(fds, 3, kPollSliceMs);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      idle_ms += kPollSliceMs;
      continue;
    }
    idle_ms = 0;
    for (int side = 0; side < 2 && open; ++side) {
      if (fds[side].revents == 0) continue;
      const int from = side == 0 ? client.fd : target;
      const int to = side == 0 ? target : client.fd;
      const ssize_t n = recv(from, chunk, sizeof chunk, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (side == 1 && n > 0) {
        // Counted before the send: once the client has every byte, the count says so too.
        std::lock_guard lock(mutex_);
        connections_[record_index].bytes_to_client += n;
      }
      // Either side closing ends the tunnel (HTTP forwards are one request per connection).
      if (n <= 0 || send_all(to, chunk, static_cast<std::size_t>(n), stop) != IoResult::Ok) {
        open = false;
        break;
      }
    }
  }
  close_fd(target);
}

}  // namespace spate::testing
