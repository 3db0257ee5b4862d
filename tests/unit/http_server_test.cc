// Self-test of the fault-injecting test server (tests/support): content helpers, TempDir, and
// HttpServer over loopback with libcurl easy handles and raw sockets.
#include "support/http_server.h"

#include "support/content.h"
#include "support/temp_dir.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <span>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace spate::testing {
namespace {

using std::chrono::steady_clock;

std::string content_slice(std::uint64_t seed, std::int64_t offset, std::size_t length) {
  std::string bytes(length, '\0');
  fill_content(seed, offset, std::span<char>(bytes.data(), bytes.size()));
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// libcurl helper: one GET (or HEAD), body and final headers collected.

struct Fetched {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names, final response only

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  static_cast<Fetched*>(user)->body.append(data, size * count);
  return size * count;
}

size_t write_header(char* data, size_t size, size_t count, void* user) {
  auto* fetched = static_cast<Fetched*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) fetched->headers.clear();  // a new (e.g. redirected) response
  const std::size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    fetched->headers[name] = value;
  }
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

CurlHandle new_curl() {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  EXPECT_TRUE(initialised);
  return CurlHandle(curl_easy_init());
}

struct FetchOptions {
  std::vector<std::string> headers{};
  bool head = false;
  bool follow = false;
};

Fetched fetch(CURL* curl, const std::string& url, const FetchOptions& options = {}) {
  Fetched fetched;
  curl_slist* list = nullptr;
  for (const auto& header : options.headers) list = curl_slist_append(list, header.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_NOBODY, options.head ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, options.follow ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &fetched);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &fetched);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  fetched.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &fetched.status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  return fetched;
}

Fetched fetch(const std::string& url, const FetchOptions& options = {}) {
  const CurlHandle curl = new_curl();
  return fetch(curl.get(), url, options);
}

// ---------------------------------------------------------------------------------------------
// Raw socket client, for what libcurl would hide (concurrency, stalls, resets).

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send_text(const std::string& text) {
    return send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Reads until the peer closes, an error (errno kept), or `timeout_ms` passes.
  std::string read_all(int timeout_ms, int* error = nullptr) {
    std::string data;
    const auto deadline = steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (steady_clock::now() < deadline) {
      pollfd p = {fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char chunk[16384];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        if (n < 0 && error != nullptr) *error = errno;
        break;
      }
      data.append(chunk, static_cast<std::size_t>(n));
    }
    return data;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string get_request(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

// Polls `done` every 5 ms for up to 2 s.
template <typename Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 400; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// ---------------------------------------------------------------------------------------------
// Content and TempDir.

TEST(ContentTest, BytesAreDeterministicAndVaried) {
  EXPECT_EQ(content_byte(1, 12345), content_byte(1, 12345));
  std::set<int> distinct;
  int equal_neighbours = 0;
  for (std::int64_t i = 0; i < 256; ++i) {
    distinct.insert(content_byte(7, i));
    if (content_byte(7, i) == content_byte(7, i + 1)) ++equal_neighbours;
  }
  EXPECT_GT(distinct.size(), 120u);
  EXPECT_LT(equal_neighbours, 8);
  int same_across_seeds = 0;
  for (std::int64_t i = 0; i < 256; ++i)
    same_across_seeds += content_byte(1, i) == content_byte(2, i);
  EXPECT_LT(same_across_seeds, 16);
}

TEST(ContentTest, FillMatchesBytewiseAtUnalignedOffsets) {
  for (const std::int64_t offset : {0, 1, 7, 8, 13, 1000003}) {
    const std::string bulk = content_slice(9, offset, 37);
    for (std::size_t i = 0; i < bulk.size(); ++i) {
      ASSERT_EQ(static_cast<std::uint8_t>(bulk[i]),
                content_byte(9, offset + static_cast<std::int64_t>(i)))
          << "offset " << offset << " index " << i;
    }
  }
}

TEST(ContentTest, DigestsAgree) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::int64_t size = 300 * 1024 + 5;
  EXPECT_EQ(content_sha256(3, size), sha256_hex(content_slice(3, 0, size)));
  EXPECT_NE(content_sha256(3, size), content_sha256(4, size));

  const TempDir dir;
  write_content_file(dir.path() / "c.bin", 3, size);
  EXPECT_EQ(file_sha256(dir.path() / "c.bin"), content_sha256(3, size));
  EXPECT_EQ(file_sha256(dir.path() / "missing"), "");
}

TEST(TempDirTest, ListsFilesAndRemovesItself) {
  std::filesystem::path where;
  {
    TempDir dir;
    where = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(where));
    std::ofstream(where / "b.part") << "x";
    std::ofstream(where / "a") << "y";
    std::filesystem::create_directory(where / "sub");
    EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"a", "b.part"}));
    TempDir moved(std::move(dir));
    EXPECT_EQ(moved.path(), where);
    EXPECT_TRUE(dir.path().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  }
  EXPECT_FALSE(std::filesystem::exists(where));
}

// ---------------------------------------------------------------------------------------------
// HttpServer.

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServer server_;
};

TEST_F(HttpServerTest, FullGetServesTheGeneratedContent) {
  const std::int64_t size = (1 << 20) + 3;
  server_.route("/f.bin", {.size = size, .seed = 5});
  const Fetched got = fetch(server_.url("/f.bin"));
  ASSERT_EQ(got.code, CURLE_OK);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body.size(), static_cast<std::size_t>(size));
  EXPECT_EQ(sha256_hex(got.body), content_sha256(5, size));
  EXPECT_EQ(got.header("accept-ranges"), "bytes");
  EXPECT_EQ(got.header("etag"), "\"v1\"");
  EXPECT_EQ(got.header("last-modified"), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(got.header("content-length"), std::to_string(size));
  EXPECT_FALSE(got.header("date").empty());
}

// Sanitizers slow byte-moving code several-fold; a time bound there would only measure them.
TEST_F(HttpServerTest, LargeBodyIsExact) {
  const std::int64_t size = 48 << 20;
  server_.route("/big", {.size = size, .seed = 2});
  const Fetched got = fetch(server_.url("/big"));
  ASSERT_EQ(got.code, CURLE_OK);
  EXPECT_EQ(got.body.size(), static_cast<std::size_t>(size));
  EXPECT_EQ(got.body.substr(size - 100), content_slice(2, size - 100, 100));
  // Speed is measured in bench/, never asserted here: these machines are shared and noisy.
}

TEST_F(HttpServerTest, RangeRequestsGet206WithTheRightBytes) {
  server_.route("/r", {.size = 1000, .seed = 4});
  Fetched got = fetch(server_.url("/r"), {.headers = {"Range: bytes=100-199"}});
  EXPECT_EQ(got.status, 206);
  EXPECT_EQ(got.header("content-range"), "bytes 100-199/1000");
  EXPECT_EQ(got.header("content-length"), "100");
  EXPECT_EQ(got.body, content_slice(4, 100, 100));

  got = fetch(server_.url("/r"), {.headers = {"Range: bytes=990-"}});
  EXPECT_EQ(got.header("content-range"), "bytes 990-999/1000");
  EXPECT_EQ(got.body, content_slice(4, 990, 10));

  got = fetch(server_.url("/r"), {.headers = {"Range: bytes=-5"}});
  EXPECT_EQ(got.header("content-range"), "bytes 995-999/1000");
  EXPECT_EQ(got.body, content_slice(4, 995, 5));

  got = fetch(server_.url("/r"), {.headers = {"Range: bytes=0-1,5-6"}});
  EXPECT_EQ(got.status, 200);  // multi-range: the full body
  EXPECT_EQ(got.body.size(), 1000u);

  got = fetch(server_.url("/r"), {.headers = {"Range: bytes=1000-"}});
  EXPECT_EQ(got.status, 416);
  EXPECT_EQ(got.header("content-range"), "bytes */1000");
}

TEST_F(HttpServerTest, RangesOffAnswers200WithTheFullBody) {
  server_.route("/n", {.size = 1000, .seed = 4, .ranges = false});
  const Fetched got = fetch(server_.url("/n"), {.headers = {"Range: bytes=100-199"}});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.header("accept-ranges"), "");
  EXPECT_EQ(got.header("content-range"), "");
  EXPECT_EQ(got.body, content_slice(4, 0, 1000));
}

TEST_F(HttpServerTest, ShiftAndWrongTotalLie) {
  server_.route("/s", {.size = 1000, .seed = 4, .shift_content_range = 5, .wrong_total = 999});
  const Fetched got = fetch(server_.url("/s"), {.headers = {"Range: bytes=100-199"}});
  EXPECT_EQ(got.status, 206);
  EXPECT_EQ(got.header("content-range"), "bytes 105-204/999");
  EXPECT_EQ(got.body, content_slice(4, 105, 100));
}

TEST_F(HttpServerTest, CloseAfterGivesAShortBody) {
  server_.route("/c", {.size = 100000, .seed = 4, .close_after_bytes = 1234});
  const Fetched got = fetch(server_.url("/c"));
  EXPECT_EQ(got.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(got.header("content-length"), "100000");
  EXPECT_EQ(got.body, content_slice(4, 0, 1234));
}

TEST_F(HttpServerTest, ResetAfterSendsRst) {
  server_.route("/x", {.size = 100000, .seed = 4, .reset_after_bytes = 1000});
  RawClient client(server_.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send_text(get_request("/x")));
  int error = 0;
  const std::string data = client.read_all(2000, &error);
  EXPECT_EQ(error, ECONNRESET);
  EXPECT_LT(data.size(), 100000u);
}

TEST_F(HttpServerTest, StatusWithRetryAfterForTheFirstFaultyRequestsOnly) {
  server_.route("/busy",
                {.size = 50, .seed = 4, .status = 503, .retry_after = "1", .faulty_requests = 1});
  Fetched got = fetch(server_.url("/busy"));
  EXPECT_EQ(got.status, 503);
  EXPECT_EQ(got.header("retry-after"), "1");
  got = fetch(server_.url("/busy"));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, content_slice(4, 0, 50));
}

TEST_F(HttpServerTest, RedirectIsFollowed) {
  server_.route("/old", {.status = 302, .location = "/new"});
  server_.route("/new", {.size = 64, .seed = 8});
  const Fetched got = fetch(server_.url("/old"), {.follow = true});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, content_slice(8, 0, 64));
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].path, "/new");
}

TEST_F(HttpServerTest, EtagChangesAfterNRequests) {
  server_.route("/e", {.size = 100, .seed = 4, .etag_changes_after = 1});
  Fetched got = fetch(server_.url("/e"));
  EXPECT_EQ(got.header("etag"), "\"v1\"");
  EXPECT_EQ(got.body, content_slice(4, 0, 100));
  got = fetch(server_.url("/e"));
  EXPECT_EQ(got.header("etag"), "\"v2\"");
  EXPECT_EQ(got.header("last-modified"), kChangedLastModified);
  EXPECT_EQ(got.body, content_slice(5, 0, 100));
}

TEST_F(HttpServerTest, IfRangeMismatchGivesTheFullBody) {
  server_.route("/i", {.size = 100, .seed = 4});
  Fetched got = fetch(server_.url("/i"), {.headers = {"Range: bytes=10-19", "If-Range: \"v0\""}});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, content_slice(4, 0, 100));
  got = fetch(server_.url("/i"), {.headers = {"Range: bytes=10-19", "If-Range: \"v1\""}});
  EXPECT_EQ(got.status, 206);
  EXPECT_EQ(got.body, content_slice(4, 10, 10));
  got = fetch(server_.url("/i"),
              {.headers = {"Range: bytes=10-19", "If-Range: Wed, 21 Oct 2015 07:28:00 GMT"}});
  EXPECT_EQ(got.status, 206);
  got = fetch(server_.url("/i"),
              {.headers = {"Range: bytes=10-19", "If-Range: Mon, 01 Jan 2001 00:00:00 GMT"}});
  EXPECT_EQ(got.status, 200);
}

TEST_F(HttpServerTest, HeadAndRefusedHead) {
  server_.route("/h", {.size = 777});
  server_.route("/nohead", {.size = 777, .refuse_head = true});
  Fetched got = fetch(server_.url("/h"), {.head = true});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.header("content-length"), "777");
  EXPECT_TRUE(got.body.empty());
  got = fetch(server_.url("/nohead"), {.head = true});
  EXPECT_EQ(got.status, 405);
}

TEST_F(HttpServerTest, ChunkedAndUnsizedBodiesDecode) {
  const std::int64_t size = 600000;
  server_.route("/chunked", {.size = size, .seed = 6, .chunked = true});
  server_.route("/unsized", {.size = size, .seed = 6, .no_content_length = true});
  Fetched got = fetch(server_.url("/chunked"));
  ASSERT_EQ(got.code, CURLE_OK);
  EXPECT_EQ(got.header("transfer-encoding"), "chunked");
  EXPECT_EQ(sha256_hex(got.body), content_sha256(6, size));
  got = fetch(server_.url("/unsized"));
  ASSERT_EQ(got.code, CURLE_OK);
  EXPECT_EQ(got.header("content-length"), "");
  EXPECT_EQ(sha256_hex(got.body), content_sha256(6, size));
}

TEST_F(HttpServerTest, ThrottleAndHeaderDelaySlowTheResponse) {
  server_.route("/slow",
                {.size = 30000, .seed = 3, .header_delay_ms = 100, .throttle_bps = 100000});
  const auto start = steady_clock::now();
  const Fetched got = fetch(server_.url("/slow"));
  const auto elapsed = steady_clock::now() - start;
  EXPECT_EQ(got.body, content_slice(3, 0, 30000));
  // 100 ms delay + 300 ms of pacing (the first block goes out at once: allow one block early).
  EXPECT_GE(elapsed, std::chrono::milliseconds(340));
}

TEST_F(HttpServerTest, RecordsRequestsWithHeaders) {
  server_.route("/rec", {.size = 10});
  fetch(server_.url("/rec?a=1"), {.headers = {"X-Probe: yes", "Range: bytes=0-4"}});
  fetch(server_.url("/other"));
  const auto all = server_.requests();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].method, "GET");
  EXPECT_EQ(all[0].target, "/rec?a=1");
  EXPECT_EQ(all[0].path, "/rec");
  EXPECT_EQ(all[0].header("x-probe"), "yes");
  EXPECT_EQ(all[0].header("range"), "bytes=0-4");
  EXPECT_EQ(all[0].header("absent"), "");
  EXPECT_EQ(all[1].path, "/other");
  ASSERT_EQ(server_.requests_for("/rec").size(), 1u);
  server_.reset_stats();
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(server_.connections_accepted(), 0);
}

TEST_F(HttpServerTest, KeepAliveReusesTheConnection) {
  server_.route("/k", {.size = 1000, .seed = 4});
  const CurlHandle curl = new_curl();
  EXPECT_EQ(fetch(curl.get(), server_.url("/k")).status, 200);
  EXPECT_EQ(fetch(curl.get(), server_.url("/k"), {.headers = {"Range: bytes=0-9"}}).status, 206);
  const auto all = server_.requests();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].connection_id, all[1].connection_id);
  EXPECT_EQ(server_.connections_accepted(), 1);
  // A fresh handle means a new connection.
  fetch(server_.url("/k"));
  EXPECT_NE(server_.requests()[2].connection_id, all[0].connection_id);
  EXPECT_EQ(server_.connections_accepted(), 2);
}

TEST_F(HttpServerTest, CountsConcurrentRequestsAndRefusesAboveMaxConnections) {
  server_.route("/stall", {.size = 1000, .stall_after_bytes = 10, .max_connections = 3});
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(server_.port()));
    ASSERT_TRUE(clients.back()->send_text(get_request("/stall")));
  }
  ASSERT_TRUE(eventually([&] { return server_.requests().size() == 3; }));
  EXPECT_EQ(server_.max_concurrent_requests(), 3);
  EXPECT_EQ(server_.max_concurrent_requests("/stall"), 3);
  EXPECT_EQ(server_.max_concurrent_requests("/elsewhere"), 0);

  RawClient fourth(server_.port());
  ASSERT_TRUE(fourth.send_text(get_request("/stall", "Connection: close\r\n")));
  const std::string answer = fourth.read_all(2000);
  EXPECT_EQ(answer.rfind("HTTP/1.1 429 ", 0), 0u) << answer;
  EXPECT_EQ(server_.max_concurrent_requests("/stall"), 3);

  // Once the stalled clients leave, their requests end.
  clients.clear();
  ASSERT_TRUE(eventually([&] {
    server_.reset_stats();
    return server_.max_concurrent_requests() == 0;
  }));
}

TEST_F(HttpServerTest, QueryStringFaults) {
  Fetched got = fetch(server_.url("/gen/a.bin?size=5000&seed=7"));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(sha256_hex(got.body), content_sha256(7, 5000));

  got = fetch(server_.url("/gen/b?size=5000&seed=7"), {.headers = {"Range: bytes=10-19"}});
  EXPECT_EQ(got.status, 206);
  EXPECT_EQ(got.body, content_slice(7, 10, 10));

  got = fetch(server_.url("/gen/c?status=503&retry_after=2&faulty=1"));
  EXPECT_EQ(got.status, 503);
  EXPECT_EQ(got.header("retry-after"), "2");
  EXPECT_EQ(fetch(server_.url("/gen/c?status=503&retry_after=2&faulty=1")).status, 200);

  got = fetch(server_.url("/gen/d?size=100&close_after=10"));
  EXPECT_EQ(got.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(got.body.size(), 10u);

  got = fetch(server_.url("/gen/e?size=100&ranges=0&cd=attachment%3B%20filename%3D%22x.bin%22"),
              {.headers = {"Range: bytes=10-19"}});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.header("content-disposition"), "attachment; filename=\"x.bin\"");

  got = fetch(server_.url("/gen/f?size=100&shift=3"), {.headers = {"Range: bytes=0-9"}});
  EXPECT_EQ(got.header("content-range"), "bytes 3-12/100");

  got = fetch(server_.url("/gen/g?status=302&location=%2Fgen%2Fh%3Fsize%3D4"), {.follow = true});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, content_slice(1, 0, 4));

  EXPECT_EQ(fetch(server_.url("/gen/typo?sise=5")).status, 400);
  EXPECT_EQ(fetch(server_.url("/gen/nan?size=five")).status, 400);
  EXPECT_EQ(fetch(server_.url("/nothing")).status, 404);
}

TEST(HttpServerLifetimeTest, DestructorIsPromptWithAStalledClient) {
  auto server = std::make_unique<HttpServer>();
  server->route("/stall", {.size = 1 << 20, .stall_after_bytes = 100});
  RawClient client(server->port());
  ASSERT_TRUE(client.send_text(get_request("/stall")));
  RawClient idle(server->port());  // connected, never sends anything
  ASSERT_TRUE(eventually([&] { return server->requests().size() == 1; }));
  const std::string received = client.read_all(100);
  EXPECT_NE(received.find("\r\n\r\n"), std::string::npos);

  const auto start = steady_clock::now();
  server.reset();
  EXPECT_LT(steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(client.read_all(1000).size(), 0u);  // closed, nothing more came
}

TEST(HttpServerLifetimeTest, ManyServersCoexistOnDistinctPorts) {
  HttpServer a;
  HttpServer b;
  EXPECT_NE(a.port(), b.port());
  a.route("/x", {.size = 3, .seed = 1});
  b.route("/x", {.size = 3, .seed = 2});
  EXPECT_EQ(fetch(a.url("/x")).body, content_slice(1, 0, 3));
  EXPECT_EQ(fetch(b.url("/x")).body, content_slice(2, 0, 3));
}

}  // namespace
}  // namespace spate::testing
