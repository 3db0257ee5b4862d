// Server-side TLS for test servers: a self-signed certificate for 127.0.0.1, and a bridge that
// terminates TLS on a network socket and relays the plaintext to a local socket, so a plaintext
// server (the ProxyServer) serves TLS clients unchanged. Calls OpenSSL (libssl) directly.
//
// Thread-safety: a TlsServerContext is immutable after construction; bridge() may run on many
// threads at once, each with its own sockets. write_self_signed_certificate is thread-safe.
#pragma once

#include "support/socket_io.h"

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>

namespace spate::testing {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM; also the CA file a client trusts it with
  std::filesystem::path key;          // PEM private key
};

// Writes a self-signed P-256 certificate for CN=127.0.0.1 (valid from an hour ago for 30 days)
// and its key into `dir` as cert.pem and key.pem. Throws std::runtime_error on failure.
TlsFiles write_self_signed_certificate(const std::filesystem::path& dir);

class TlsServerContext {
 public:
  // Loads the certificate and key; throws std::runtime_error when it cannot.
  explicit TlsServerContext(const TlsFiles& files);

  // Runs on the calling thread until either side closes, `stop` is requested, the handshake
  // fails or takes over 10 s, or both sides are silent for 60 s: the TLS server handshake on the
  // non-blocking `network_fd`, then decrypted bytes go to `plain_fd` and bytes read from
  // `plain_fd` go out encrypted. Returns whether the handshake succeeded. Closes neither socket.
  bool bridge(int network_fd, int plain_fd, const StopToken& stop) const;

 private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
};

}  // namespace spate::testing
