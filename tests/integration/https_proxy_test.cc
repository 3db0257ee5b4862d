// Downloads through an https:// proxy (TLS between spate and the proxy, then CONNECT) with the
// in-process ProxyServer in TLS mode, to nginx over TLS: the proxy's own CA file
// (--proxy-ca-certificate), an untrusted proxy certificate (a clear Tls failure, nothing
// relayed) and --proxy-insecure. End to end through the spate binary.
#include "support/content.h"
#include "support/nginx_server.h"
#include "support/process.h"
#include "support/proxy_server.h"
#include "support/temp_dir.h"
#include "support/tls_stream.h"

#include <gtest/gtest.h>

#include <optional>

namespace spate::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSize = 3'000'000;

class HttpsProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxServer::available()) GTEST_SKIP() << "nginx is not installed";
    write_content_file(files.path() / "f.bin", 61, kSize);
    nginx.emplace(files.path(), NginxOptions{.tls_http2 = true});
    proxy_tls = write_self_signed_certificate(proxy_dir.path());
    proxy.emplace(proxy_tls);
  }
  ProcessResult download(std::vector<std::string> args) {
    std::vector<std::string> argv = {"-q",
                                     "--max-tries",
                                     "2",
                                     "--retry-wait",
                                     "0.1",
                                     "-s",
                                     "2",
                                     "-k",
                                     "1M",
                                     "-d",
                                     out.path().string(),
                                     "--all-proxy",
                                     proxy->url("https"),
                                     "--ca-certificate",
                                     nginx->certificate_path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(nginx->url("f.bin"));
    return run_spate(argv);
  }
  bool saved() const { return file_sha256(out.path() / "f.bin") == content_sha256(61, kSize); }

  TempDir files;
  TempDir out;
  TempDir proxy_dir;
  TlsFiles proxy_tls;
  std::optional<NginxServer> nginx;
  std::optional<ProxyServer> proxy;
};

TEST_F(HttpsProxyTest, DownloadThroughTheProxyWithItsCa) {
  const auto result = download({"--proxy-ca-certificate", proxy_tls.certificate.string()});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved());
  const auto relayed = proxy->connections();
  ASSERT_GE(relayed.size(), 2U);  // the probe and a second segment, each its own tunnel
  for (const auto& connection : relayed) {
    EXPECT_TRUE(connection.over_tls);
    EXPECT_EQ(connection.kind, ProxiedConnection::Kind::Connect);
    EXPECT_EQ(connection.target, "127.0.0.1:" + std::to_string(nginx->port()));
    EXPECT_FALSE(connection.refused);
  }
  std::int64_t relayed_bytes = 0;
  for (const auto& connection : relayed) relayed_bytes += connection.bytes_to_client;
  EXPECT_GE(relayed_bytes, kSize);  // every byte came through the proxy
}

TEST_F(HttpsProxyTest, UntrustedProxyCertificateFailsClearly) {
  // Only nginx's certificate is trusted (it applies to the proxy too): the proxy's is not.
  const auto result = download({});
  EXPECT_EQ(result.exit_code, 1) << result.describe();
  EXPECT_NE(result.err.find("https proxy's TLS certificate"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--proxy-ca-certificate"), std::string::npos) << result.err;
  EXPECT_TRUE(proxy->connections().empty());  // no CONNECT got through the handshake
  EXPECT_FALSE(fs::exists(out.path() / "f.bin"));
}

TEST_F(HttpsProxyTest, ProxyInsecureSkipsOnlyTheProxyCheck) {
  auto result = download({"--proxy-insecure"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved());
  EXPECT_FALSE(proxy->connections().empty());

  // The server's certificate is still checked: with the proxy's CA in its place, it fails.
  fs::remove(out.path() / "f.bin");
  std::vector<std::string> argv = {"-q",
                                   "--max-tries",
                                   "1",
                                   "-d",
                                   out.path().string(),
                                   "--all-proxy",
                                   proxy->url("https"),
                                   "--proxy-insecure",
                                   "--ca-certificate",
                                   proxy_tls.certificate.string(),
                                   nginx->url("f.bin")};
  result = run_spate(argv);
  EXPECT_EQ(result.exit_code, 1) << result.describe();
  EXPECT_EQ(result.err.find("https proxy"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(out.path() / "f.bin"));
}

}  // namespace
}  // namespace spate::testing
