// Checks the NginxServer fixture itself: it serves real files with the configured behaviour
// (ranges, max_ranges 0, TLS + HTTP/2, limit_rate) and its access log records each request.
#include "support/nginx_server.h"

#include "support/content.h"
#include "support/temp_dir.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace spate::testing {
namespace {

constexpr std::uint64_t kSeed = 42;
constexpr std::int64_t kSize = 3 * 1024 * 1024 + 123;  // several sendfile chunks, odd length

struct Fetched {
  CURLcode code = CURLE_OK;
  long status = 0;
  long http_version = 0;
  std::string body;
};

using EasyHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

EasyHandle make_easy() { return EasyHandle(curl_easy_init(), &curl_easy_cleanup); }

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// GET `url` on `easy` (reused handles keep their connection alive).
Fetched fetch(CURL* easy, const std::string& url, const char* range = nullptr) {
  Fetched out;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_RANGE, range);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
  out.code = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out.status);
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &out.http_version);
  return out;
}

Fetched fetch(const std::string& url, const char* range = nullptr) {
  const EasyHandle easy = make_easy();
  return fetch(easy.get(), url, range);
}

std::string content_slice(std::int64_t offset, std::size_t length) {
  std::string bytes(length, '\0');
  fill_content(kSeed, offset, bytes);
  return bytes;
}

class NginxServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxServer::available()) GTEST_SKIP() << "/usr/sbin/nginx is not installed";
    write_content_file(docroot_.path() / "f.bin", kSeed, kSize);
  }

  TempDir docroot_;
};

TEST_F(NginxServerTest, ServesTheFileWithTheRightDigest) {
  const NginxServer server(docroot_.path());
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.url("/f.bin"), "http://127.0.0.1:" + std::to_string(server.port()) + "/f.bin");

  const Fetched got = fetch(server.url("f.bin"));
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.http_version, CURL_HTTP_VERSION_1_1);
  EXPECT_EQ(static_cast<std::int64_t>(got.body.size()), kSize);
  EXPECT_EQ(sha256_hex(got.body), content_sha256(kSeed, kSize));

  const std::vector<AccessLogEntry> log = server.wait_for_entries(1);
  ASSERT_EQ(log.size(), 1u) << server.access_log();
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].body_bytes_sent, kSize);
  EXPECT_EQ(log[0].range, "");
  EXPECT_EQ(log[0].limit_rate, 0);
  EXPECT_EQ(log[0].request, "GET /f.bin HTTP/1.1");
}

TEST_F(NginxServerTest, RangeRequestGets206WithThoseBytes) {
  const NginxServer server(docroot_.path());
  const Fetched got = fetch(server.url("/f.bin"), "1000000-1000099");
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.status, 206);
  EXPECT_EQ(got.body, content_slice(1000000, 100));

  const std::vector<AccessLogEntry> log = server.wait_for_entries(1);
  ASSERT_EQ(log.size(), 1u) << server.access_log();
  EXPECT_EQ(log[0].status, 206);
  EXPECT_EQ(log[0].body_bytes_sent, 100);
  EXPECT_EQ(log[0].range, "bytes=1000000-1000099");
}

TEST_F(NginxServerTest, RangesOffIgnoresRangeAndSendsTheWholeFile) {
  const NginxServer server(docroot_.path(), {.ranges = false});
  const Fetched got = fetch(server.url("/f.bin"), "0-99");
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(sha256_hex(got.body), content_sha256(kSeed, kSize));

  const std::vector<AccessLogEntry> log = server.wait_for_entries(1);
  ASSERT_EQ(log.size(), 1u) << server.access_log();
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].body_bytes_sent, kSize);
  EXPECT_EQ(log[0].range, "bytes=0-99");
}

TEST_F(NginxServerTest, TlsServesOverHttp2) {
  const NginxServer server(docroot_.path(), {.tls_http2 = true});
  EXPECT_EQ(server.url("/f.bin").rfind("https://127.0.0.1:", 0), 0u) << server.url("/f.bin");

  const Fetched got = fetch(server.url("/f.bin"));
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.http_version, CURL_HTTP_VERSION_2_0);
  EXPECT_EQ(sha256_hex(got.body), content_sha256(kSeed, kSize));

  const Fetched part = fetch(server.url("/f.bin"), "5-14");
  ASSERT_EQ(part.code, CURLE_OK) << curl_easy_strerror(part.code);
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, content_slice(5, 10));

  const std::vector<AccessLogEntry> log = server.wait_for_entries(2);
  ASSERT_EQ(log.size(), 2u) << server.access_log();
  EXPECT_EQ(log[0].request, "GET /f.bin HTTP/2.0");
}

TEST_F(NginxServerTest, LimitRateIsAppliedToEachRequest) {
  // Timing would make the test slow and flaky; nginx logs the limit it applied instead.
  constexpr std::int64_t kRate = std::int64_t{4} * 1024 * 1024;
  const NginxServer server(docroot_.path(), {.limit_rate = kRate});
  const Fetched got = fetch(server.url("/f.bin"), "0-65535");
  ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
  EXPECT_EQ(got.status, 206);
  EXPECT_EQ(got.body, content_slice(0, 65536));

  const std::vector<AccessLogEntry> log = server.wait_for_entries(1);
  ASSERT_EQ(log.size(), 1u) << server.access_log();
  EXPECT_EQ(log[0].limit_rate, kRate);
  EXPECT_EQ(log[0].body_bytes_sent, 65536);
}

TEST_F(NginxServerTest, AccessLogRecordsEveryRequestAndItsConnection) {
  const NginxServer server(docroot_.path());
  const EasyHandle first = make_easy();
  const EasyHandle second = make_easy();
  EXPECT_EQ(fetch(first.get(), server.url("/f.bin"), "0-9").status, 206);
  EXPECT_EQ(fetch(first.get(), server.url("/f.bin"), "10-19").status, 206);  // same connection
  EXPECT_EQ(fetch(second.get(), server.url("/missing")).status, 404);        // a new one

  const std::vector<AccessLogEntry> log = server.wait_for_entries(3);
  ASSERT_EQ(log.size(), 3u) << server.access_log();
  EXPECT_EQ(log[0].range, "bytes=0-9");
  EXPECT_EQ(log[1].range, "bytes=10-19");
  EXPECT_EQ(log[0].connection, log[1].connection);
  EXPECT_EQ(log[0].connection_requests, 1u);
  EXPECT_EQ(log[1].connection_requests, 2u);
  EXPECT_EQ(log[2].status, 404);
  EXPECT_EQ(log[2].request, "GET /missing HTTP/1.1");
  EXPECT_NE(log[2].connection, log[0].connection);
  EXPECT_EQ(log[2].connection_requests, 1u);

  // The raw text has one line per request.
  const std::string raw = server.access_log();
  EXPECT_EQ(std::count(raw.begin(), raw.end(), '\n'), 3);
}

TEST_F(NginxServerTest, SeveralInstancesRunAtOnceAndStopOnDestruction) {
  std::optional<NginxServer> a(std::in_place, docroot_.path());
  const NginxServer b(docroot_.path(), {.ranges = false});
  EXPECT_NE(a->port(), b.port());
  EXPECT_EQ(fetch(a->url("/f.bin"), "0-0").status, 206);
  EXPECT_EQ(fetch(b.url("/f.bin"), "0-0").status, 200);

  const std::string stopped_url = a->url("/f.bin");
  a.reset();
  EXPECT_EQ(fetch(stopped_url).code, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(fetch(b.url("/f.bin"), "0-0").status, 200);  // the other one is unaffected
}

TEST_F(NginxServerTest, ThrowsWithNginxsErrorsWhenItCannotStart) {
  // A '"' in the root path ends nginx's quoted string early: the config does not parse.
  try {
    const NginxServer server(docroot_.path() / "bad\"name");
    FAIL() << "nginx started on " << server.url("/");
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[emerg]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace spate::testing
