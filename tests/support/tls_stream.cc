#include "support/tls_stream.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>

namespace spate::testing {
namespace {

constexpr int kPollSliceMs = 200;
constexpr int kHandshakeGiveUpMs = 10'000;
constexpr int kIdleGiveUpMs = 60'000;

// Waits until `fd` is ready for `events` (or the stop pipe wakes); false on stop or time-out.
bool wait_for(int fd, short events, int timeout_ms, const StopToken& stop) {
  for (int waited = 0; waited < timeout_ms; waited += kPollSliceMs) {
    pollfd fds[2] = {{fd, events, 0}, {stop.wake_fd, POLLIN, 0}};
    const int ready = poll(fds, 2, kPollSliceMs);
    if (stop.stop_requested()) return false;
    if (ready > 0 && fds[0].revents != 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

}  // namespace

TlsFiles write_self_signed_certificate(const std::filesystem::path& dir) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  const std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) throw std::runtime_error("TLS: cannot create a key/certificate");
  X509* x = cert.get();
  X509_NAME* name = X509_get_subject_name(x);
  const bool ok = X509_set_version(x, 2) == 1 &&
                  ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) != nullptr &&
                  X509_set_pubkey(x, key.get()) == 1 &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                             reinterpret_cast<const unsigned char*>("127.0.0.1"),
                                             -1, -1, 0) == 1 &&
                  X509_set_issuer_name(x, name) == 1 && X509_sign(x, key.get(), EVP_sha256()) > 0;
  if (!ok) throw std::runtime_error("TLS: cannot sign the certificate");
  TlsFiles files{dir / "cert.pem", dir / "key.pem"};
  const std::unique_ptr<FILE, decltype(&std::fclose)> cert_file(
      std::fopen(files.certificate.c_str(), "w"), &std::fclose);
  const std::unique_ptr<FILE, decltype(&std::fclose)> key_file(std::fopen(files.key.c_str(), "w"),
                                                               &std::fclose);
  if (!cert_file || !key_file || PEM_write_X509(cert_file.get(), x) != 1 ||
      PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("TLS: cannot write the certificate");
  }
  return files;
}

TlsServerContext::TlsServerContext(const TlsFiles& files)
    : context_(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free) {
  if (!context_) throw std::runtime_error("TLS: SSL_CTX_new failed");
  if (SSL_CTX_use_certificate_chain_file(context_.get(), files.certificate.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context_.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("TLS: cannot load the certificate or key");
  }
}

bool TlsServerContext::bridge(int network_fd, int plain_fd, const StopToken& stop) const {
  const std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context_.get()), &SSL_free);
  if (!ssl || SSL_set_fd(ssl.get(), network_fd) != 1) return false;
  // Waits for what the last SSL call asked for; false when it failed for good.
  const auto wait_after = [&](int result, int timeout_ms) {
    const int error = SSL_get_error(ssl.get(), result);
    if (error == SSL_ERROR_WANT_READ) return wait_for(network_fd, POLLIN, timeout_ms, stop);
    if (error == SSL_ERROR_WANT_WRITE) return wait_for(network_fd, POLLOUT, timeout_ms, stop);
    return false;
  };
  for (int result = 0; (result = SSL_accept(ssl.get())) != 1;) {
    if (!wait_after(result, kHandshakeGiveUpMs)) return false;
  }
  char chunk[16 * 1024];
  int idle_ms = 0;
  bool open = true;
  while (open && !stop.stop_requested() && idle_ms < kIdleGiveUpMs) {
    pollfd fds[3] = {{network_fd, POLLIN, 0}, {plain_fd, POLLIN, 0}, {stop.wake_fd, POLLIN, 0}};
    const bool buffered = SSL_pending(ssl.get()) > 0;
    const int ready = poll(fds, 3, buffered ? 0 : kPollSliceMs);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0 && !buffered) {
      idle_ms += kPollSliceMs;
      continue;
    }
    idle_ms = 0;
    if (buffered || fds[0].revents != 0) {  // network -> plain
      const int n = SSL_read(ssl.get(), chunk, sizeof chunk);
      if (n > 0) {
        open = send_all(plain_fd, chunk, static_cast<std::size_t>(n), stop) == IoResult::Ok;
      } else {
        const int error = SSL_get_error(ssl.get(), n);
        open = error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
      }
    }
    if (open && fds[1].revents != 0) {  // plain -> network
      const ssize_t n = recv(plain_fd, chunk, sizeof chunk, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) break;
      for (int sent = 0; open && sent < n;) {
        const int result = SSL_write(ssl.get(), chunk + sent, static_cast<int>(n) - sent);
        if (result > 0) {
          sent += result;
        } else {
          open = wait_after(result, kHandshakeGiveUpMs);
        }
      }
    }
  }
  SSL_shutdown(ssl.get());  // close_notify, best effort
  return true;
}

}  // namespace spate::testing
