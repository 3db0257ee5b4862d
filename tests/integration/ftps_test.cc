// FTPS downloads (ftps://, implicit TLS) against a real server started by the test: pyftpdlib's
// TLS handler (needs python3-openssl) with a self-signed certificate the test generates. A
// segmented download through the spate binary trusting that certificate (--ca-certificate):
// bytes, TLS on every control and data connection, REST offsets; and an untrusted certificate
// through the library: ErrorKind::Tls, no file, nothing past the handshake.
#include "spate/task.h"

#include "support/content.h"
#include "support/ftp_server.h"
#include "support/process.h"
#include "support/run_session.h"
#include "support/temp_dir.h"
#include "support/tls_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace spate::testing {
namespace {

namespace fs = std::filesystem;

class FtpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FtpServer::available()) GTEST_SKIP() << "python3-pyftpdlib is not installed";
    if (!FtpServer::tls_available()) GTEST_SKIP() << "python3-openssl is not installed";
    tls = write_self_signed_certificate(certificate_dir.path());
  }
  Task task(const std::string& url, const HttpOptions& http) const {
    Task t;
    t.url = url;
    t.dir = out.path();
    t.options = quick_task_options();
    t.options.max_tries = 2;
    t.options.http = http;
    return t;
  }

  TempDir files;            // what the server serves
  TempDir out;              // where spate saves
  TempDir certificate_dir;  // the server's certificate and key
  TlsFiles tls;
};

TEST_F(FtpsTest, SegmentedDownloadTrustingTheTestCa) {
  constexpr std::int64_t kSize = 4'000'000;
  write_content_file(files.path() / "f.bin", 71, kSize);
  FtpServer ftps(files.path(), {.tls = tls});
  ASSERT_TRUE(ftps.url("f.bin").starts_with("ftps://"));
  const auto result = run_spate({"-q", "--max-tries", "2", "--retry-wait", "0.1", "-s", "4", "-k",
                                 "256K", "--ca-certificate", tls.certificate.string(), "-d",
                                 out.path().string(), "-o", "f.bin", ftps.url("f.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(out.path() / "f.bin"), content_sha256(71, kSize));

  // Every control connection that logged in did so after a TLS handshake, and every RETR went
  // over a data connection with its own handshake (PROT P).
  const auto tls_sessions = ftps.tls_sessions();
  std::set<int> logged_in;
  std::map<int, int> retrs;
  std::map<int, int> tls_data;
  std::map<int, bool> protected_data;
  for (const FtpCommand& command : ftps.commands()) {
    if (command.name == "USER") logged_in.insert(command.session);
    if (command.name == "RETR") ++retrs[command.session];
    if (command.name == "DATA_TLS") ++tls_data[command.session];
    if (command.name == "PROT") protected_data[command.session] = command.argument == "P";
  }
  EXPECT_GE(logged_in.size(), 4U);
  for (const int session : logged_in) {
    ASSERT_TRUE(tls_sessions.contains(session)) << "session " << session << " is not over TLS";
    EXPECT_TRUE(tls_sessions.at(session).starts_with("TLSv1.")) << tls_sessions.at(session);
  }
  for (const auto& [session, count] : retrs) {
    EXPECT_TRUE(protected_data[session]) << "session " << session << " sent no PROT P";
    EXPECT_GE(tls_data[session], count) << "session " << session;
  }
  EXPECT_GE(ftps.tls_data_connections(), ftps.retr_sessions());

  // Segmented as over plain FTP: the probe's "REST 0", then one REST per later segment.
  const auto offsets = ftps.accepted_rest_offsets();
  EXPECT_EQ(std::count(offsets.begin(), offsets.end(), 0), 1);
  std::set<std::int64_t> later;
  for (const std::int64_t offset : offsets) {
    if (offset > 0) later.insert(offset);
  }
  EXPECT_GE(later.size(), 3U);
  EXPECT_TRUE(std::all_of(later.begin(), later.end(),
                          [](std::int64_t offset) { return offset > 0 && offset < kSize; }));
  EXPECT_GE(ftps.retr_sessions(), 4);
  RecordProperty("tls_sessions", static_cast<int>(tls_sessions.size()));
  RecordProperty("tls_data_connections", ftps.tls_data_connections());
}

TEST_F(FtpsTest, ExplicitTlsWithSslReqd) {
  constexpr std::int64_t kSize = 2'000'000;
  write_content_file(files.path() / "f.bin", 73, kSize);
  FtpServer ftp(files.path(), {.tls = tls, .explicit_tls = true});
  ASSERT_TRUE(ftp.url("f.bin").starts_with("ftp://"));
  const std::vector<std::string> common = {"-q",
                                           "--max-tries",
                                           "1",
                                           "--ca-certificate",
                                           tls.certificate.string(),
                                           "-d",
                                           out.path().string(),
                                           "-o",
                                           "f.bin"};
  // Without --ssl-reqd the client logs in in the clear, which this server refuses.
  auto args = common;
  args.push_back(ftp.url("f.bin"));
  const auto plain = run_spate(args);
  EXPECT_EQ(plain.exit_code, 1) << plain.describe();
  EXPECT_TRUE(out.list_files().empty());
  EXPECT_TRUE(ftp.tls_sessions().empty());

  args = common;
  args.insert(args.end(), {"--ssl-reqd", "-s", "2", "-k", "256K", ftp.url("f.bin")});
  const auto secured = run_spate(args);
  ASSERT_TRUE(secured.exited(0)) << secured.describe();
  EXPECT_EQ(file_sha256(out.path() / "f.bin"), content_sha256(73, kSize));
  // Every session that sent RETR had upgraded with AUTH TLS and protected its data.
  const auto tls_sessions = ftp.tls_sessions();
  std::set<int> upgraded;
  std::set<int> retrieving;
  for (const FtpCommand& command : ftp.commands()) {
    if (command.name == "AUTH" && tls_sessions.contains(command.session)) {
      upgraded.insert(command.session);
    }
    if (command.name == "RETR") retrieving.insert(command.session);
  }
  EXPECT_FALSE(retrieving.empty());
  for (const int session : retrieving) EXPECT_TRUE(upgraded.contains(session)) << session;
  EXPECT_GE(ftp.tls_data_connections(), static_cast<int>(retrieving.size()));
}

TEST_F(FtpsTest, UntrustedCertificateFailsWithTlsErrorAndLeavesNoFile) {
  constexpr std::int64_t kSize = 300'000;
  write_content_file(files.path() / "f.bin", 72, kSize);
  FtpServer ftps(files.path(), {.tls = tls});
  // Trusting another self-signed certificate (for the same name) instead of the server's.
  TempDir other_dir;
  HttpOptions http;
  http.ca_certificate = write_self_signed_certificate(other_dir.path()).certificate.string();
  const auto outcome = run_task(task(ftps.url("f.bin"), http));
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::Tls) << outcome.failed[0].error.message;
  EXPECT_TRUE(out.list_files().empty());
  EXPECT_TRUE(ftps.tls_sessions().empty());
  for (const FtpCommand& command : ftps.commands()) {
    EXPECT_NE(command.name, "USER");  // nothing was sent past the failed handshake
    EXPECT_NE(command.name, "RETR");
  }

  // The same server with its own certificate trusted through HttpOptions: the exact file.
  http.ca_certificate = tls.certificate.string();
  const auto trusted = run_task(task(ftps.url("f.bin"), http));
  ASSERT_EQ(trusted.finished.size(), 1U)
      << (trusted.failed.empty() ? "no failure" : trusted.failed[0].error.message);
  EXPECT_EQ(file_sha256(out.path() / "f.bin"), content_sha256(72, kSize));
  EXPECT_FALSE(ftps.tls_sessions().empty());
}

}  // namespace
}  // namespace spate::testing
