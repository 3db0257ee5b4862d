#include "http_flags.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

namespace spate::cli {
namespace {

Result<void> readable_file(const std::string& path, const char* flag) {
  if (path.empty()) return {};
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec) || !std::ifstream(path).is_open()) {
    return make_error(ErrorKind::Usage, fmt::format("{}: cannot read {}", flag, path));
  }
  return {};
}

}  // namespace

void add_http_flags(CLI::App& app, HttpOptions& http) {
  const std::string group = "HTTP";
  app.add_option("-H,--header", http.headers,
                 "Extra request header 'Name: value' (repeatable); 'Name:' removes one")
      ->group(group);
  app.add_option("-U,--user-agent", http.user_agent, "User-Agent to send")->group(group);
  app.add_option("--referer", http.referer, "Referer to send")->group(group);

  app.add_option("--http-user", http.user,
                 "User for HTTP authentication (Basic, Digest, ...); wins over user:password@ in "
                 "the URL; never sent to another host after a redirect")
      ->group(group);
  app.add_option("--http-passwd", http.password, "Password for --http-user")->group(group);
  app.add_flag("--netrc", http.netrc,
               "Look up credentials in ~/.netrc when none are given (off by default)")
      ->group(group);
  app.add_option("--netrc-file", http.netrc_file, "Like --netrc, with this file")->group(group);

  app.add_option("--load-cookies", http.load_cookies,
                 "Read cookies from FILE (Netscape/Mozilla cookies.txt format)")
      ->group(group);
  app.add_option("--save-cookies", http.save_cookies,
                 "Write every cookie of the session to FILE when it ends (same format)")
      ->group(group);
  app.add_flag_callback(
         "--no-cookies", [&http] { http.cookies = false; },
         "Neither send nor keep cookies (by default a cookie set by one response is sent with "
         "later matching requests)")
      ->group(group);

  app.add_option("--all-proxy,--proxy", http.proxy,
                 "Proxy for every download: [http|https|socks5|socks5h|socks4|socks4a://]"
                 "[user:password@]host[:port]; by default http_proxy, https_proxy, ALL_PROXY and "
                 "no_proxy from the environment apply")
      ->group(group);
  app.add_option("--no-proxy", http.no_proxy,
                 "Comma-separated hosts, domains, addresses or CIDR ranges reached without the "
                 "proxy ('*' = all); replaces no_proxy")
      ->group(group);

  // Defined before --insecure: CLI11 applies options in definition order, so --insecure wins.
  app.add_flag("--check-certificate,!--no-check-certificate", http.verify_tls,
               "Verify the server's TLS certificate (default true; --check-certificate=false "
               "is --insecure)")
      ->group(group);
  app.add_flag_callback(
         "--insecure", [&http] { http.verify_tls = false; },
         "Accept any TLS certificate and host name (for servers and https proxies)")
      ->group(group);
  app.add_option("--ca-certificate,--cacert", http.ca_certificate,
                 "Trust the certificates in this PEM file instead of the system store")
      ->group(group);
  app.add_option("--proxy-ca-certificate,--proxy-cacert", http.proxy_ca_certificate,
                 "Trust the certificates in this PEM file for an https proxy (default: those of "
                 "--ca-certificate, else the system store)")
      ->group(group);
  app.add_flag_callback(
         "--proxy-insecure", [&http] { http.verify_proxy_tls = false; },
         "Accept any TLS certificate and host name from an https proxy (the server's is still "
         "checked)")
      ->group(group);
  app.add_flag("--ssl-reqd", http.ftp_require_tls,
               "FTP: require TLS (AUTH TLS) for the login and the data of ftp:// URLs; fail when "
               "the server does not offer it (ftps:// is TLS from the start)")
      ->group(group);
  app.add_option("--ssh-private-key", http.ssh_private_key,
                 "SFTP: private key file for public-key authentication")
      ->group(group);
  app.add_option("--ssh-key-passphrase", http.ssh_key_passphrase,
                 "SFTP: passphrase of an encrypted --ssh-private-key (visible to other users in "
                 "the process list, as with curl's --pass)")
      ->group(group);
  app.add_option("--ssh-public-key", http.ssh_public_key,
                 "SFTP: public key file (default: derived from the private key)")
      ->group(group);
  app.add_option("--ssh-known-hosts", http.ssh_known_hosts,
                 "SFTP: OpenSSH known_hosts file the server's host key must be in (default "
                 "~/.ssh/known_hosts; --insecure skips the check)")
      ->group(group);
  app.add_flag_callback(
         "--http1.1", [&http] { http.http_version = HttpVersion::Http11; },
         "Use HTTP/1.1 even where the server offers HTTP/2 (by default HTTP/2 is used over TLS "
         "when offered)")
      ->group(group);

  app.add_flag("--conditional-get", http.conditional_get,
               "Download only when the remote file is newer than the existing local file "
               "(If-Modified-Since); the local file is then replaced")
      ->group(group);
  app.add_flag("-R,--remote-time", http.remote_time,
               "Give the saved file the remote file's modification time")
      ->group(group);
}

Result<void> check_http_flags(const HttpOptions& http) {
  if (auto ok = check_http_options(http); !ok) {
    return make_error(ErrorKind::Usage, fmt::format("HTTP options: {}", ok.error().message));
  }
  if (auto ok = readable_file(http.load_cookies, "--load-cookies"); !ok) return ok;
  if (auto ok = readable_file(http.ca_certificate, "--ca-certificate"); !ok) return ok;
  if (auto ok = readable_file(http.netrc_file, "--netrc-file"); !ok) return ok;
  if (auto ok = readable_file(http.proxy_ca_certificate, "--proxy-ca-certificate"); !ok) {
    return ok;
  }
  if (auto ok = readable_file(http.ssh_private_key, "--ssh-private-key"); !ok) return ok;
  if (auto ok = readable_file(http.ssh_public_key, "--ssh-public-key"); !ok) return ok;
  if (auto ok = readable_file(http.ssh_known_hosts, "--ssh-known-hosts"); !ok) return ok;
  if (!http.save_cookies.empty()) {
    std::error_code ec;
    const auto parent = std::filesystem::absolute(http.save_cookies, ec).parent_path();
    if (ec || !std::filesystem::is_directory(parent, ec) ||
        std::filesystem::is_directory(http.save_cookies, ec)) {
      return make_error(ErrorKind::Usage,
                        fmt::format("--save-cookies: cannot write {}", http.save_cookies));
    }
  }
  return {};
}

}  // namespace spate::cli
