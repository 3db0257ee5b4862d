// The SFTP key and known-hosts flags and the https-proxy TLS flags: parsed into HttpOptions,
// checked by check_http_flags (missing files are usage errors naming the flag), and refused by
// the spate binary with exit status 2.
#include "http_flags.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace spate::testing {
namespace {

HttpOptions parse(std::vector<const char*> args) {
  CLI::App app;
  HttpOptions http;
  cli::add_http_flags(app, http);
  args.insert(args.begin(), "spate");
  app.parse(static_cast<int>(args.size()), args.data());
  return http;
}

TEST(SshProxyFlagsTest, FlagsReachHttpOptions) {
  const HttpOptions http =
      parse({"--ssh-private-key", "id", "--ssh-public-key", "id.pub", "--ssh-known-hosts", "kh",
             "--proxy-ca-certificate", "proxy.pem", "--proxy-insecure"});
  EXPECT_EQ(http.ssh_private_key, "id");
  EXPECT_EQ(http.ssh_public_key, "id.pub");
  EXPECT_EQ(http.ssh_known_hosts, "kh");
  EXPECT_EQ(http.proxy_ca_certificate, "proxy.pem");
  EXPECT_FALSE(http.verify_proxy_tls);
  EXPECT_TRUE(http.verify_tls);  // --proxy-insecure leaves the server's check on

  EXPECT_EQ(parse({"--proxy-cacert", "p.pem"}).proxy_ca_certificate, "p.pem");  // curl's name
  const HttpOptions defaults = parse({});
  EXPECT_TRUE(defaults.verify_proxy_tls);
  EXPECT_TRUE(defaults.ssh_known_hosts.empty());  // libcurl then uses ~/.ssh/known_hosts
}

TEST(SshProxyFlagsTest, MissingFilesAreUsageErrorsNamingTheFlag) {
  const TempDir dir;
  const auto present = (dir.path() / "present").string();
  std::ofstream(present) << "x";
  const auto missing = (dir.path() / "missing").string();
  struct Case {
    std::string HttpOptions::*field;
    const char* flag;
  };
  for (const Case& c : {Case{&HttpOptions::ssh_private_key, "--ssh-private-key"},
                        Case{&HttpOptions::ssh_public_key, "--ssh-public-key"},
                        Case{&HttpOptions::ssh_known_hosts, "--ssh-known-hosts"},
                        Case{&HttpOptions::proxy_ca_certificate, "--proxy-ca-certificate"}}) {
    HttpOptions http;
    http.*c.field = present;
    EXPECT_TRUE(cli::check_http_flags(http)) << c.flag;
    http.*c.field = missing;
    const auto checked = cli::check_http_flags(http);
    ASSERT_FALSE(checked) << c.flag;
    EXPECT_EQ(checked.error().kind, ErrorKind::Usage);
    EXPECT_NE(checked.error().message.find(c.flag), std::string::npos) << checked.error().message;
  }
}

TEST(SshProxyFlagsTest, TheBinaryRefusesAMissingKeyFile) {
  const TempDir dir;
  const auto result = run_spate({"-d", dir.path().string(), "--ssh-private-key",
                                 (dir.path() / "nope").string(), "sftp://127.0.0.1:1/f"});
  EXPECT_TRUE(result.exited(2)) << result.describe();
  EXPECT_NE(result.err.find("--ssh-private-key"), std::string::npos) << result.err;
  EXPECT_TRUE(dir.list_files().empty());
}

}  // namespace
}  // namespace spate::testing
