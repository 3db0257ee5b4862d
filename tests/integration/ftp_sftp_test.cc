// Segmented FTP and SFTP downloads against real servers started by the tests: pyftpdlib (also
// refusing REST or SIZE, as some servers do) and Debian's OpenSSH sshd with a generated host key
// and client key. End to end through the spate binary (bytes, ranges and sessions the server saw,
// host key checks), and at the transport level (the HTTP-shaped head a ranged FTP/SFTP transfer
// gets: net/http_setup.h describe_file_response).
#include "core/retry_policy.h"
#include "net/transfer.h"
#include "net/transfer_loop.h"
#include "support/content.h"
#include "support/ftp_server.h"
#include "support/process.h"
#include "support/sshd_server.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

namespace spate::testing {
namespace {

namespace fs = std::filesystem;

std::string expected_bytes(std::uint64_t seed, std::int64_t begin, std::int64_t end) {
  std::string bytes(static_cast<std::size_t>(end - begin), '\0');
  fill_content(seed, begin, bytes);
  return bytes;
}

struct CollectingSink final : net::TransferSink {
  Result<void> on_head(const net::ResponseHead& response) noexcept override {
    head = response;
    return {};
  }
  net::DataVerdict on_data(std::span<const char> bytes) noexcept override {
    data.append(bytes.data(), bytes.size());
    return net::DataVerdict::Continue;
  }
  void on_done(Result<void> result) noexcept override {
    outcome = std::move(result);
    done = true;
  }
  net::ResponseHead head;
  std::string data;
  Result<void> outcome;
  bool done = false;
};

// One request through a TransferLoop, as a Job makes it, bounded by 20 s.
CollectingSink run_request(const net::Request& request) {
  CollectingSink sink;
  auto loop = net::TransferLoop::create(/*max_connections=*/8);
  auto transfer = net::Transfer::create(request, sink);
  if (!loop || !transfer || !(*loop)->add(**transfer)) {
    ADD_FAILURE() << "cannot start the transfer";
    return sink;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!sink.done && std::chrono::steady_clock::now() < deadline) {
    (*loop)->poll(std::chrono::milliseconds(100));
    (*loop)->perform();
  }
  if (!sink.done) {
    (*loop)->remove(**transfer);
    ADD_FAILURE() << "the transfer did not end within 20 s";
  }
  return sink;
}

net::Request ranged(const std::string& url, std::int64_t begin, std::int64_t end) {
  net::Request request;
  request.url = url;
  request.range_begin = begin;
  request.range_end = end;
  return request;
}

class FtpSftpTest : public ::testing::Test {
 protected:
  // spate -q -d OUT -o NAME ARGS... URL, bounded to 60 s.
  ProcessResult download(const std::string& url, const std::string& name,
                         std::vector<std::string> args = {}, const ProcessOptions& options = {}) {
    std::vector<std::string> argv = {
        "-q", "--max-tries", "2", "--retry-wait", "0.1", "-d", out.path().string(), "-o", name};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    return run_spate(argv, options);
  }
  bool saved(const std::string& name, std::uint64_t seed, std::int64_t size) const {
    const fs::path path = out.path() / name;
    std::error_code ec;
    return fs::file_size(path, ec) == static_cast<std::uintmax_t>(size) &&
           file_sha256(path) == content_sha256(seed, size);
  }

  TempDir files;  // what the servers serve
  TempDir out;    // where spate saves
};

// ---------------------------------------------------------------------------------------------
// FTP

class FtpTest : public FtpSftpTest {
 protected:
  void SetUp() override {
    if (!FtpServer::available()) GTEST_SKIP() << "python3-pyftpdlib is not installed";
  }
};

TEST_F(FtpTest, SegmentedDownloadUsesSeveralRestOffsets) {
  constexpr std::int64_t kSize = 4'000'000;
  write_content_file(files.path() / "f.bin", 41, kSize);
  FtpServer ftp(files.path());
  const auto result = download(ftp.url("f.bin"), "f.bin", {"-s", "4", "-k", "256K"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("f.bin", 41, kSize));
  const auto offsets = ftp.accepted_rest_offsets();
  // "REST 0" from the probe (does the server restart transfers?), then one REST per segment.
  EXPECT_EQ(std::count(offsets.begin(), offsets.end(), 0), 1);
  const std::set<std::int64_t> later(
      std::find_if(offsets.begin(), offsets.end(), [](std::int64_t offset) { return offset > 0; }),
      offsets.end());
  EXPECT_GE(later.size(), 3U);
  EXPECT_TRUE(std::all_of(later.begin(), later.end(),
                          [](std::int64_t offset) { return offset > 0 && offset < kSize; }));
  EXPECT_GE(ftp.retr_sessions(), 4);  // the probe and at least three segments, in parallel
  RecordProperty("rest_offsets", static_cast<int>(offsets.size()));
  RecordProperty("retr_sessions", ftp.retr_sessions());
}

TEST_F(FtpTest, FileSmallerThanTheSplitIsOneStream) {
  write_content_file(files.path() / "small.bin", 42, 1000);
  write_content_file(files.path() / "empty.bin", 43, 0);
  FtpServer ftp(files.path());
  auto result = download(ftp.url("small.bin"), "small.bin", {"-s", "8", "-k", "1M"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("small.bin", 42, 1000));
  EXPECT_EQ(ftp.retr_sessions(), 1);
  const auto offsets = ftp.accepted_rest_offsets();
  EXPECT_TRUE(std::all_of(offsets.begin(), offsets.end(), [](auto offset) { return offset == 0; }));

  result = download(ftp.url("empty.bin"), "empty.bin", {"-s", "8"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("empty.bin", 43, 0));
}

TEST_F(FtpTest, ServerRefusingRestStillYieldsTheExactFile) {
  constexpr std::int64_t kSize = 2'000'000;
  write_content_file(files.path() / "f.bin", 44, kSize);
  FtpServer ftp(files.path(), {.rest = false});
  const auto result = download(ftp.url("f.bin"), "f.bin", {"-s", "4", "-k", "256K"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("f.bin", 44, kSize));
  EXPECT_EQ(ftp.retr_sessions(), 1);  // one stream: no segment was tried
  EXPECT_TRUE(ftp.accepted_rest_offsets().empty());
}

TEST_F(FtpTest, ServerWithoutSizeStillYieldsTheExactFile) {
  constexpr std::int64_t kSize = 2'000'000;
  write_content_file(files.path() / "f.bin", 45, kSize);
  FtpServer ftp(files.path(), {.size = false});
  const auto result = download(ftp.url("f.bin"), "f.bin", {"-s", "4", "-k", "256K"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("f.bin", 45, kSize));
  EXPECT_EQ(ftp.retr_sessions(), 1);
}

// Interrupted while segmented, then continued by a server (same URL) that refuses REST: the
// resumed probe's "REST N" fails, which starts the download over as one stream.
TEST_F(FtpTest, ResumeAgainstAServerThatNoLongerRestartsStartsOver) {
  constexpr std::int64_t kSize = 5'000'000;
  write_content_file(files.path() / "f.bin", 48, kSize);
  std::optional<FtpServer> ftp(std::in_place, files.path());
  const std::string url = ftp->url("f.bin");
  const fs::path state = out.path() / "f.bin.part.spate";
  {
    ProcessOptions options;
    options.time_limit = std::chrono::seconds(30);
    auto spate = ChildProcess::start({spate_binary(), "-q", "-s", "2", "-k", "256K", "--limit-rate",
                                      "1M", "-d", out.path().string(), "-o", "f.bin", url},
                                     options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!fs::exists(state) && !spate.finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // some progress on both
    spate.signal(SIGINT);
    const auto interrupted = spate.wait();
    ASSERT_TRUE(interrupted.exited(130)) << interrupted.describe();
  }
  ASSERT_TRUE(fs::exists(state));
  const std::uint16_t port = ftp->port();
  ftp.reset();
  FtpServer no_rest(files.path(), {.rest = false, .port = port});
  const auto result = download(url, "f.bin", {"-s", "2", "-k", "256K"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("f.bin", 48, kSize));
  EXPECT_FALSE(fs::exists(state));
  bool asked_later_offset = false;  // the resumed probe asked the server to restart mid-file
  for (const FtpCommand& command : no_rest.commands()) {
    asked_later_offset |= command.name == "REST" && command.argument != "0";
  }
  EXPECT_TRUE(asked_later_offset);
  EXPECT_TRUE(no_rest.accepted_rest_offsets().empty());
}

TEST_F(FtpTest, RangedTransfersAreDescribedAsExact206) {
  constexpr std::int64_t kSize = 300'000;
  write_content_file(files.path() / "f.bin", 46, kSize);
  FtpServer ftp(files.path());
  const std::string url = ftp.url("f.bin");

  const auto middle = run_request(ranged(url, 1000, 2000));  // SIZE, REST 1000, RETR
  ASSERT_TRUE(middle.outcome) << middle.outcome.error().message;
  EXPECT_EQ(middle.head.status, 206);
  EXPECT_EQ(middle.head.content_range, "bytes 1000-1999/300000");
  EXPECT_EQ(middle.head.content_length, 1000);
  EXPECT_FALSE(middle.head.last_modified.empty());  // MDTM: the validator of every request
  EXPECT_EQ(middle.data, expected_bytes(46, 1000, 2000));

  const auto one_byte = run_request(ranged(url, 5000, 5001));
  ASSERT_TRUE(one_byte.outcome) << one_byte.outcome.error().message;
  EXPECT_EQ(one_byte.head.content_range, "bytes 5000-5000/300000");
  EXPECT_EQ(one_byte.data, expected_bytes(46, 5000, 5001));

  // From byte 0 the transfer asks "REST 0" and streams openly, but delivers only the range.
  const auto first = run_request(ranged(url, 0, 4096));
  ASSERT_TRUE(first.outcome) << first.outcome.error().message;
  EXPECT_EQ(first.head.content_range, "bytes 0-4095/300000");
  EXPECT_EQ(first.data, expected_bytes(46, 0, 4096));

  const auto to_end = run_request(ranged(url, 299'000, -1));
  ASSERT_TRUE(to_end.outcome) << to_end.outcome.error().message;
  EXPECT_EQ(to_end.head.content_range, "bytes 299000-299999/300000");
  EXPECT_EQ(to_end.data, expected_bytes(46, 299'000, kSize));
  EXPECT_EQ(middle.head.last_modified, to_end.head.last_modified);
}

TEST_F(FtpTest, WithoutRestARangeFromZeroIsTheWholeFileAndALaterOneRestarts) {
  constexpr std::int64_t kSize = 300'000;
  write_content_file(files.path() / "f.bin", 47, kSize);
  FtpServer ftp(files.path(), {.rest = false});
  const std::string url = ftp.url("f.bin");

  // An honest 200: the whole file, not cut at the asked end.
  const auto first = run_request(ranged(url, 0, 4096));
  ASSERT_TRUE(first.outcome) << first.outcome.error().message;
  EXPECT_EQ(first.head.status, 200);
  EXPECT_TRUE(first.head.content_range.empty());
  EXPECT_EQ(first.head.content_length, kSize);
  EXPECT_EQ(first.data, expected_bytes(47, 0, kSize));

  // A resumed download's first request: REST refused. Not worth retrying; start over.
  const auto later = run_request(ranged(url, 1000, -1));
  ASSERT_FALSE(later.outcome);
  EXPECT_EQ(later.outcome.error().kind, ErrorKind::ContentChanged) << later.outcome.error().message;
  EXPECT_EQ(core::classify(later.outcome.error()), core::Disposition::Restart);
  EXPECT_TRUE(later.data.empty());
}

// Another attempt cannot bring a missing file back: it fails at once, with a clear message.
TEST_F(FtpTest, MissingFileFailsAfterOneAttempt) {
  FtpServer ftp(files.path());
  const auto result = run_spate({"-q", "--max-tries", "5", "--retry-wait", "0.1", "-d",
                                 out.path().string(), ftp.url("missing.bin")});
  EXPECT_EQ(result.exit_code, 1) << result.describe();
  EXPECT_NE(result.err.find("the remote file does not exist (attempts: 1)"), std::string::npos)
      << result.err;
  // Every attempt asks for the file's time (MDTM) once. (Attempts may reuse one control
  // connection, so sessions do not count them.)
  int mdtm = 0;
  for (const FtpCommand& command : ftp.commands()) {
    mdtm += command.name == "MDTM" && command.argument.find("missing.bin") != std::string::npos;
  }
  EXPECT_EQ(mdtm, 1);
  EXPECT_FALSE(fs::exists(out.path() / "missing.bin"));
}

// ---------------------------------------------------------------------------------------------
// SFTP

class SftpTest : public FtpSftpTest {
 protected:
  void SetUp() override {
    if (const auto reason = SshdServer::unavailable_reason(); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
    sshd.emplace();
    known_hosts = files.path() / "known_hosts";
    std::ofstream(known_hosts) << sshd->known_hosts_line() << "\n";
  }
  std::vector<std::string> key_args() const {
    return {"--ssh-private-key", sshd->client_private_key().string(), "--ssh-known-hosts",
            known_hosts.string()};
  }
  net::Request sftp_request(const fs::path& file, std::int64_t begin, std::int64_t end) const {
    net::Request request = ranged(sshd->url(file), begin, end);
    request.http.ssh_private_key = sshd->client_private_key().string();
    request.http.ssh_known_hosts = known_hosts.string();
    return request;
  }

  std::optional<SshdServer> sshd;
  fs::path known_hosts;
};

TEST_F(SftpTest, SegmentedDownloadWithKeyAndKnownHosts) {
  constexpr std::int64_t kSize = 4'000'000;
  write_content_file(files.path() / "f.bin", 51, kSize);
  auto args = key_args();
  args.insert(args.end(), {"-s", "4", "-k", "256K"});
  const auto result = download(sshd->url(files.path() / "f.bin"), "f.bin", args);
  ASSERT_TRUE(result.exited(0)) << result.describe() << "\n" << sshd->log();
  EXPECT_TRUE(saved("f.bin", 51, kSize));
  // The probe and at least three segments, each its own SSH connection.
  EXPECT_GE(sshd->accepted_logins(), 4) << sshd->log();
  RecordProperty("ssh_logins", sshd->accepted_logins());
}

TEST_F(SftpTest, SmallAndEmptyFiles) {
  write_content_file(files.path() / "small.bin", 52, 1000);
  write_content_file(files.path() / "empty.bin", 53, 0);
  auto args = key_args();
  args.insert(args.end(), {"-s", "8", "-k", "1M"});
  auto result = download(sshd->url(files.path() / "small.bin"), "small.bin", args);
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("small.bin", 52, 1000));
  EXPECT_EQ(sshd->accepted_logins(), 1);
  result = download(sshd->url(files.path() / "empty.bin"), "empty.bin", args);
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("empty.bin", 53, 0));
}

TEST_F(SftpTest, EncryptedKeyNeedsItsPassphrase) {
  write_content_file(files.path() / "f.bin", 58, 5000);
  // The key the server accepts, encrypted in place with a passphrase.
  const fs::path key = sshd->client_private_key();
  const auto encrypt = run_process(
      {"/usr/bin/ssh-keygen", "-q", "-p", "-P", "", "-N", "open sesame", "-f", key.string()});
  ASSERT_TRUE(encrypt.exited(0)) << encrypt.describe();
  auto args = key_args();
  args.insert(args.end(), {"--ssh-public-key", sshd->client_public_key().string()});
  const auto without = download(sshd->url(files.path() / "f.bin"), "f.bin", args);
  EXPECT_EQ(without.exit_code, 1) << without.describe();
  EXPECT_FALSE(fs::exists(out.path() / "f.bin"));
  args.insert(args.end(), {"--ssh-key-passphrase", "open sesame"});
  const auto with = download(sshd->url(files.path() / "f.bin"), "f.bin", args);
  ASSERT_TRUE(with.exited(0)) << with.describe() << "\n" << sshd->log();
  EXPECT_TRUE(saved("f.bin", 58, 5000));
}

TEST_F(SftpTest, UnknownHostKeyFailsClearly) {
  write_content_file(files.path() / "f.bin", 54, 1000);
  // A known_hosts file naming another key for this host and port.
  const fs::path wrong = files.path() / "wrong_known_hosts";
  std::ifstream public_key(sshd->client_public_key());
  std::string type, blob;
  public_key >> type >> blob;
  std::ofstream(wrong) << "[127.0.0.1]:" << sshd->port() << " " << type << " " << blob << "\n";
  const auto result = download(sshd->url(files.path() / "f.bin"), "f.bin",
                               {"--ssh-private-key", sshd->client_private_key().string(),
                                "--ssh-known-hosts", wrong.string()});
  EXPECT_EQ(result.exit_code, 1) << result.describe();
  EXPECT_NE(result.err.find("host key"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--ssh-known-hosts"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(out.path() / "f.bin"));
  EXPECT_EQ(sshd->accepted_logins(), 0);  // refused before authenticating
}

TEST_F(SftpTest, DefaultKnownHostsIsTheHomeFile) {
  write_content_file(files.path() / "f.bin", 55, 1000);
  const TempDir home;
  ProcessOptions options;
  options.extra_env["HOME"] = home.path().string();
  const std::vector<std::string> key = {"--ssh-private-key", sshd->client_private_key().string()};
  auto result = download(sshd->url(files.path() / "f.bin"), "f.bin", key, options);
  EXPECT_EQ(result.exit_code, 1) << result.describe();  // no ~/.ssh/known_hosts: refused
  EXPECT_NE(result.err.find("host key"), std::string::npos) << result.err;

  fs::create_directories(home.path() / ".ssh");
  fs::copy_file(known_hosts, home.path() / ".ssh" / "known_hosts");
  result = download(sshd->url(files.path() / "f.bin"), "f.bin", key, options);
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_TRUE(saved("f.bin", 55, 1000));
}

TEST_F(SftpTest, RangedTransfersAreDescribedAsExact206) {
  constexpr std::int64_t kSize = 300'000;
  const fs::path file = files.path() / "f.bin";
  write_content_file(file, 56, kSize);

  const auto middle = run_request(sftp_request(file, 1000, 2000));
  ASSERT_TRUE(middle.outcome) << middle.outcome.error().message;
  EXPECT_EQ(middle.head.status, 206);
  EXPECT_EQ(middle.head.content_range, "bytes 1000-1999/300000");
  EXPECT_EQ(middle.head.content_length, 1000);
  EXPECT_FALSE(middle.head.last_modified.empty());
  EXPECT_EQ(middle.data, expected_bytes(56, 1000, 2000));

  const auto one_byte = run_request(sftp_request(file, 5000, 5001));
  ASSERT_TRUE(one_byte.outcome) << one_byte.outcome.error().message;
  EXPECT_EQ(one_byte.head.content_range, "bytes 5000-5000/300000");
  EXPECT_EQ(one_byte.data, expected_bytes(56, 5000, 5001));

  const auto to_end = run_request(sftp_request(file, 0, -1));
  ASSERT_TRUE(to_end.outcome) << to_end.outcome.error().message;
  EXPECT_EQ(to_end.head.content_range, "bytes 0-299999/300000");
  EXPECT_EQ(to_end.data, expected_bytes(56, 0, kSize));
  EXPECT_EQ(middle.head.last_modified, to_end.head.last_modified);

  const auto past_end = run_request(sftp_request(file, kSize + 10, -1));  // the file "shrank"
  ASSERT_FALSE(past_end.outcome);
  EXPECT_EQ(core::classify(past_end.outcome.error()), core::Disposition::Restart)
      << past_end.outcome.error().message;
}

// A key the server does not accept: the login is refused on the first connection, and no other
// is tried.
TEST_F(SftpTest, WrongKeyFailsAfterOneAttempt) {
  write_content_file(files.path() / "f.bin", 57, 1000);
  const fs::path key = files.path() / "other_key";
  const auto keygen =
      run_process({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.string()});
  ASSERT_TRUE(keygen.exited(0)) << keygen.describe();
  const auto result =
      run_spate({"-q", "--max-tries", "5", "--retry-wait", "0.1", "-d", out.path().string(),
                 "--ssh-private-key", key.string(), "--ssh-known-hosts", known_hosts.string(),
                 sshd->url(files.path() / "f.bin")});
  EXPECT_EQ(result.exit_code, 1) << result.describe();
  EXPECT_NE(result.err.find("login denied"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("(attempts: 1)"), std::string::npos) << result.err;
  const std::string log = sshd->log();
  int refused = 0;  // one line per key offered, i.e. per login attempt
  for (auto at = log.find("Failed publickey for"); at != std::string::npos && refused < 100;
       at = log.find("Failed publickey for", at + 1)) {
    ++refused;
  }
  EXPECT_EQ(refused, 1) << log;
  EXPECT_EQ(sshd->accepted_logins(), 0);
  EXPECT_FALSE(fs::exists(out.path() / "f.bin"));
}

}  // namespace
}  // namespace spate::testing
