// HTTP client features end to end against local servers: extra headers and identity,
// authentication (and that credentials never follow a redirect to another origin), the cookie
// store a Session shares, proxies (plain forward, CONNECT, SOCKS5), TLS verification and HTTP/2
// with nginx, FTP through the transport with pyftpdlib, and the command-line flags.
#include "spate/session.h"

#include "http_flags.h"
#include "net/http_headers.h"
#include "net/http_setup.h"
#include "net/transfer.h"
#include "net/transfer_loop.h"
#include "support/content.h"
#include "support/http_server.h"
#include "support/nginx_server.h"
#include "support/process.h"
#include "support/proxy_server.h"
#include "support/run_session.h"
#include "support/socket_io.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace spate::testing {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string first_failure(const SessionOutcome& outcome) {
  return outcome.failed.empty() ? "no failure" : outcome.failed.front().error.message;
}

// Sets (or, with nullptr, removes) an environment variable for one scope. Only while no Session
// runs: libcurl reads the proxy variables on its network thread. (Hence the NOLINTs: no other
// thread reads the environment meanwhile.)
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;  // NOLINT(concurrency-mt-unsafe)
    if (value != nullptr) {
      setenv(name, value, 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      unsetenv(name);  // NOLINT(concurrency-mt-unsafe)
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      unsetenv(name_.c_str());  // NOLINT(concurrency-mt-unsafe)
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

class HttpFeaturesTest : public ::testing::Test {
 protected:
  Task task(const std::string& url, const HttpOptions& http) const {
    Task t;
    t.url = url;
    t.dir = out.path();
    t.options = quick_task_options();
    t.options.max_tries = 2;
    t.options.http = http;
    return t;
  }
  bool saved(const std::string& name, std::uint64_t seed, std::int64_t size) const {
    return file_sha256(out.path() / name) == content_sha256(seed, size);
  }
  FaultPlan challenge(std::uint64_t seed, std::string www_authenticate) const {
    FaultPlan plan{.size = 1000, .seed = seed, .status = 401, .faulty_requests = 1};
    plan.extra_headers = {{"WWW-Authenticate", std::move(www_authenticate)}};
    return plan;
  }

  TempDir out;
  TempDir files;  // inputs: cookie files, netrc, FTP root
  HttpServer server;
};

// ---------------------------------------------------------------------------------------------
// Headers, identity, credentials.

TEST_F(HttpFeaturesTest, HeadersUserAgentAndRefererOnEveryRequest) {
  server.route("/h.bin", {.size = 400'000, .seed = 3});
  HttpOptions http;
  http.headers = {"X-Spate-Test: one two", "Accept:"};  // "Accept:" removes curl's Accept
  http.user_agent = "agent/9";
  http.referer = "http://example.test/page";
  Task t = task(server.url("/h.bin"), http);
  t.options.split = 3;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("h.bin", 3, 400'000));
  const auto requests = server.requests_for("/h.bin");
  ASSERT_GE(requests.size(), 2U);  // the probe and segments
  for (const auto& request : requests) {
    EXPECT_EQ(request.header("x-spate-test"), "one two");
    EXPECT_EQ(request.header("user-agent"), "agent/9");
    EXPECT_EQ(request.header("referer"), "http://example.test/page");
    EXPECT_EQ(request.headers.count("accept"), 0U);
  }
}

TEST_F(HttpFeaturesTest, MalformedHeaderFailsAsUsage) {
  HttpOptions http;
  http.headers = {"X-Bad: a\r\nInjected: b"};
  const auto outcome = run_task(task(server.url("/gen/bad?size=10"), http));
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::Usage);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpFeaturesTest, BasicCredentialsAnswerTheChallenge) {
  server.route("/basic.bin", challenge(4, "Basic realm=\"spate\""));
  HttpOptions http;
  http.user = "user";
  http.password = "pass";
  const auto outcome = run_task(task(server.url("/basic.bin"), http));
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("basic.bin", 4, 1000));
  const auto requests = server.requests_for("/basic.bin");
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].header("authorization"), "");  // nothing before the server asks
  EXPECT_EQ(requests[1].header("authorization"), "Basic dXNlcjpwYXNz");  // user:pass
}

TEST_F(HttpFeaturesTest, DigestIsUsedWhenTheServerAsksForIt) {
  server.route("/digest.bin", challenge(5,
                                        "Digest realm=\"spate\", nonce=\"abc123\", qop=\"auth\", "
                                        "algorithm=MD5"));
  HttpOptions http;
  http.user = "user";
  http.password = "pass";
  const auto outcome = run_task(task(server.url("/digest.bin"), http));
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  const auto requests = server.requests_for("/digest.bin");
  ASSERT_EQ(requests.size(), 2U);
  const std::string answer = requests[1].header("authorization");
  EXPECT_EQ(answer.rfind("Digest username=\"user\"", 0), 0U) << answer;
  EXPECT_EQ(answer.find("pass"), std::string::npos);  // never the password itself
}

TEST_F(HttpFeaturesTest, CredentialsInTheUrlAndInNetrc) {
  server.route("/url.bin", challenge(6, "Basic realm=\"spate\""));
  server.route("/netrc.bin", challenge(7, "Basic realm=\"spate\""));
  const std::string port = std::to_string(server.port());
  write_text(files.path() / "netrc", "machine 127.0.0.1 login nu password np\n");
  HttpOptions netrc;
  netrc.netrc_file = (files.path() / "netrc").string();
  const auto outcome = run_session({task("http://user:pass@127.0.0.1:" + port + "/url.bin", {}),
                                    task(server.url("/netrc.bin"), netrc)});
  ASSERT_EQ(outcome.finished.size(), 2U) << first_failure(outcome);
  EXPECT_TRUE(saved("url.bin", 6, 1000));
  EXPECT_TRUE(saved("netrc.bin", 7, 1000));
  EXPECT_EQ(server.requests_for("/url.bin").back().header("authorization"), "Basic dXNlcjpwYXNz");
  EXPECT_EQ(server.requests_for("/netrc.bin").back().header("authorization"), "Basic bnU6bnA=");
}

// NTLM is left out of the wanted schemes only when a download has no credentials (it could not
// answer anyway); with a user, from the options or the URL, it is still answered.
TEST_F(HttpFeaturesTest, NtlmIsAnsweredWhenCredentialsAreGiven) {
  server.route("/ntlm-user.bin", challenge(12, "NTLM"));
  server.route("/ntlm-url.bin", challenge(13, "NTLM"));
  HttpOptions user;
  user.user = "user";
  user.password = "pass";
  const std::string port = std::to_string(server.port());
  const auto outcome = run_session({task(server.url("/ntlm-user.bin"), user),
                                    task("http://u:p@127.0.0.1:" + port + "/ntlm-url.bin", {})});
  ASSERT_EQ(outcome.finished.size(), 2U) << first_failure(outcome);
  EXPECT_TRUE(saved("ntlm-user.bin", 12, 1000));
  EXPECT_TRUE(saved("ntlm-url.bin", 13, 1000));
  for (const char* path : {"/ntlm-user.bin", "/ntlm-url.bin"}) {
    const auto requests = server.requests_for(path);
    ASSERT_EQ(requests.size(), 2U) << path;
    EXPECT_EQ(requests[0].header("authorization"), "") << path;
    EXPECT_EQ(requests[1].header("authorization").rfind("NTLM ", 0), 0U) << path;
  }
}

TEST_F(HttpFeaturesTest, CredentialsNeverFollowARedirectToAnotherOrigin) {
  // The second server asks for credentials; a client that forwarded them would answer.
  HttpServer other;
  other.route("/t1.bin", challenge(8, "Basic realm=\"other\""));
  other.route("/t2.bin", challenge(9, "Basic realm=\"other\""));
  server.route("/r1", {.status = 302, .location = other.url("/t1.bin")});
  server.route("/r2", {.status = 302, .location = other.url("/t2.bin")});
  HttpOptions user;
  user.user = "user";
  user.password = "pass";
  HttpOptions custom;
  custom.headers = {"Authorization: Bearer secret", "Cookie: c=1", "X-Kept: yes"};
  Task first = task(server.url("/r1"), user);
  first.out = "t1.bin";
  Task second = task(server.url("/r2"), custom);
  second.out = "t2.bin";
  run_session({first, second});
  EXPECT_EQ(server.requests_for("/r2").front().header("authorization"), "Bearer secret");
  const auto seen = other.requests();
  ASSERT_FALSE(seen.empty());
  for (const auto& request : seen) {
    EXPECT_EQ(request.header("authorization"), "") << request.path;
    EXPECT_EQ(request.header("cookie"), "") << request.path;
    if (request.path == "/t2.bin") {
      EXPECT_EQ(request.header("x-kept"), "yes");
    }
  }
}

TEST_F(HttpFeaturesTest, IfModifiedSinceIsSentAsAnHttpDate) {
  server.route("/ims.bin", {.size = 100, .seed = 10});
  HttpOptions http;
  http.if_modified_since = std::chrono::system_clock::from_time_t(784111777);
  const auto outcome = run_task(task(server.url("/ims.bin"), http));
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_EQ(server.requests_for("/ims.bin").front().header("if-modified-since"),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

// ---------------------------------------------------------------------------------------------
// Cookies.

TEST_F(HttpFeaturesTest, CookiesAreLoadedSharedAcrossSegmentsAndSavedOnce) {
  const auto jar_in = files.path() / "in.txt";
  const auto jar_out = files.path() / "out.txt";
  write_text(jar_in, "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tloaded\tyes\n");
  FaultPlan plan{.size = 1'000'000, .seed = 11};
  plan.extra_headers = {{"Set-Cookie", "fromserver=42; Path=/"}};
  server.route("/c.bin", plan);
  HttpOptions http;
  http.load_cookies = jar_in.string();
  http.save_cookies = jar_out.string();
  Task t = task(server.url("/c.bin"), http);
  t.options.split = 4;
  const auto outcome = run_task(t);  // the Session is gone when it returns
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("c.bin", 11, 1'000'000));
  const auto requests = server.requests_for("/c.bin");
  ASSERT_GE(requests.size(), 2U);
  EXPECT_EQ(requests[0].header("cookie"), "loaded=yes");
  for (std::size_t i = 1; i < requests.size(); ++i) {  // segments started after the probe's head
    const std::string cookie = requests[i].header("cookie");
    EXPECT_NE(cookie.find("fromserver=42"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("loaded=yes"), std::string::npos) << cookie;
  }
  const std::string jar = read_text(jar_out);
  EXPECT_NE(jar.find("\tfromserver\t42"), std::string::npos) << jar;
  EXPECT_NE(jar.find("\tloaded\tyes"), std::string::npos) << jar;
}

TEST_F(HttpFeaturesTest, CookieJarIsWrittenWhenTheSessionEnds) {
  const auto jar = files.path() / "jar.txt";
  FaultPlan plan{.size = 100, .seed = 18};
  plan.extra_headers = {{"Set-Cookie", "late=1; Path=/"}};
  server.route("/late.bin", plan);
  HttpOptions http;
  http.save_cookies = jar.string();
  auto session = Session::create({});
  ASSERT_TRUE(session);
  ASSERT_TRUE((*session)->submit(task(server.url("/late.bin"), http)));
  (*session)->close();
  (*session)->wait();
  EXPECT_FALSE(std::filesystem::exists(jar));  // not at each transfer's end
  session->reset();
  EXPECT_NE(read_text(jar).find("\tlate\t1"), std::string::npos);
}

TEST_F(HttpFeaturesTest, NoCookiesMeansNoneAreSentBack) {
  FaultPlan plan{.size = 1'000'000, .seed = 12};
  plan.extra_headers = {{"Set-Cookie", "fromserver=42; Path=/"}};
  server.route("/nc.bin", plan);
  HttpOptions http;
  http.cookies = false;
  Task t = task(server.url("/nc.bin"), http);
  t.options.split = 4;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  const auto requests = server.requests_for("/nc.bin");
  ASSERT_GE(requests.size(), 2U);
  for (const auto& request : requests) EXPECT_EQ(request.header("cookie"), "");
}

TEST_F(HttpFeaturesTest, MissingCookieFileFailsTheDownload) {
  HttpOptions http;
  http.load_cookies = (files.path() / "absent.txt").string();
  const auto outcome = run_task(task(server.url("/gen/nocookie?size=10"), http));
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::FileOpen);
  EXPECT_TRUE(out.list_files().empty());
}

// ---------------------------------------------------------------------------------------------
// Proxies.

TEST_F(HttpFeaturesTest, HttpProxyForwardsEveryRequest) {
  ProxyServer proxy;
  server.route("/p.bin", {.size = 300'000, .seed = 13});
  HttpOptions http;
  http.proxy = proxy.url();
  Task t = task(server.url("/p.bin"), http);
  t.options.split = 2;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("p.bin", 13, 300'000));
  const auto relayed = proxy.connections();
  ASSERT_EQ(relayed.size(), server.requests_for("/p.bin").size());
  std::int64_t bytes = 0;
  for (const auto& connection : relayed) {
    EXPECT_EQ(connection.kind, ProxiedConnection::Kind::Forward);
    EXPECT_EQ(connection.target, server.url("/p.bin"));
    bytes += connection.bytes_to_client;
  }
  EXPECT_GE(bytes, 300'000);
}

TEST_F(HttpFeaturesTest, Socks5AndSocks5hProxies) {
  ProxyServer proxy;
  server.route("/s.bin", {.size = 5000, .seed = 14});
  server.route("/h.bin", {.size = 6000, .seed = 15});
  HttpOptions socks5;
  socks5.proxy = proxy.url("socks5");
  HttpOptions socks5h;
  socks5h.proxy = proxy.url("socks5h");
  const std::string by_name = "http://localhost:" + std::to_string(server.port()) + "/h.bin";
  const auto outcome = run_session({task(server.url("/s.bin"), socks5), task(by_name, socks5h)});
  ASSERT_EQ(outcome.finished.size(), 2U) << first_failure(outcome);
  EXPECT_TRUE(saved("s.bin", 14, 5000));
  EXPECT_TRUE(saved("h.bin", 15, 6000));
  std::set<std::pair<std::string, bool>> targets;
  for (const auto& connection : proxy.connections()) {
    EXPECT_EQ(connection.kind, ProxiedConnection::Kind::Socks5);
    targets.emplace(connection.target, connection.by_name);
  }
  const std::string port = std::to_string(server.port());
  EXPECT_TRUE(targets.contains({"127.0.0.1:" + port, false}));  // socks5: the client resolved
  EXPECT_TRUE(targets.contains({"localhost:" + port, true}));   // socks5h: the proxy resolves
}

TEST_F(HttpFeaturesTest, NoProxyListAndTheEnvironment) {
  ProxyServer proxy;
  server.route("/np.bin", {.size = 100, .seed = 16});
  server.route("/env.bin", {.size = 200, .seed = 17});
  HttpOptions bypass;
  bypass.proxy = proxy.url();
  bypass.no_proxy = "127.0.0.1";
  ASSERT_EQ(run_task(task(server.url("/np.bin"), bypass)).finished.size(), 1U);
  EXPECT_TRUE(proxy.connections().empty());
  {
    // With no proxy option, libcurl honours http_proxy (and no_proxy) by itself.
    const ScopedEnv proxy_env("http_proxy", proxy.url().c_str());
    const ScopedEnv no_proxy_lower("no_proxy", nullptr);
    const ScopedEnv no_proxy_upper("NO_PROXY", nullptr);
    const auto outcome = run_task(task(server.url("/env.bin"), {}));
    ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
    const ScopedEnv no_proxy_set("no_proxy", "localhost,127.0.0.1");
    ASSERT_EQ(run_task(task(server.url("/gen/direct?size=10"), {})).finished.size(), 1U);
  }
  EXPECT_TRUE(saved("env.bin", 17, 200));
  const auto relayed = proxy.connections();
  ASSERT_EQ(relayed.size(), 1U);  // not /gen/direct: no_proxy from the environment held
  EXPECT_EQ(relayed[0].target, server.url("/env.bin"));
}

// ---------------------------------------------------------------------------------------------
// TLS and HTTP/2 (nginx).

class HttpsTest : public HttpFeaturesTest {
 protected:
  void SetUp() override {
    if (!NginxServer::available()) GTEST_SKIP() << "nginx is not installed (scripts/bootstrap)";
    write_content_file(docroot.path() / "f.bin", 21, kSize);
    nginx.emplace(docroot.path(), NginxOptions{.tls_http2 = true});
  }
  static constexpr std::int64_t kSize = 8 << 20;
  TempDir docroot;
  std::optional<NginxServer> nginx;
};

TEST_F(HttpsTest, InsecureDownloadIsExactAndSegmentsUseTheirOwnConnections) {
  HttpOptions http;
  http.verify_tls = false;
  Task t = task(nginx->url("f.bin"), http);
  t.options.split = 4;
  t.options.min_split_size = 1 << 20;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("f.bin", 21, kSize));
  const auto log = nginx->wait_for_entries(4);
  ASSERT_GE(log.size(), 4U);
  std::set<std::uint64_t> connections;
  int probes = 0;
  for (const auto& entry : log) {
    connections.insert(entry.connection);
    if (entry.range == "bytes=0-1048575") {
      ++probes;
      EXPECT_EQ(entry.request, "GET /f.bin HTTP/2.0");  // the probe negotiated h2 (ALPN)
    } else {
      EXPECT_EQ(entry.request, "GET /f.bin HTTP/1.1");  // segments ask for HTTP/1.1
    }
  }
  EXPECT_EQ(probes, 1) << nginx->access_log();
  EXPECT_GE(connections.size(), 4U);  // not multiplexed into one h2 connection
}

TEST_F(HttpsTest, UntrustedCertificateFailsWithTlsErrorAndLeavesNoFile) {
  const auto outcome = run_task(task(nginx->url("f.bin"), {}));
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::Tls) << outcome.failed[0].error.message;
  EXPECT_TRUE(out.list_files().empty());
}

TEST_F(HttpsTest, CaCertificateMakesTheServerTrusted) {
  HttpOptions http;
  http.ca_certificate = nginx->certificate_path().string();
  const auto outcome = run_task(task(nginx->url("f.bin"), http));
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("f.bin", 21, kSize));
}

TEST_F(HttpsTest, Http11IsForcedOnRequest) {
  HttpOptions http;
  http.verify_tls = false;
  http.http_version = HttpVersion::Http11;
  Task t = task(nginx->url("f.bin"), http);
  t.options.split = 1;
  ASSERT_EQ(run_task(t).finished.size(), 1U);
  const auto log = nginx->wait_for_entries(1);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front().request, "GET /f.bin HTTP/1.1");
}

TEST_F(HttpsTest, HttpsThroughAConnectTunnel) {
  ProxyServer proxy;
  HttpOptions http;
  http.verify_tls = false;
  http.proxy = proxy.url();
  Task t = task(nginx->url("f.bin"), http);
  t.options.split = 2;
  t.options.min_split_size = 1 << 20;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U) << first_failure(outcome);
  EXPECT_TRUE(saved("f.bin", 21, kSize));
  const auto relayed = proxy.connections();
  ASSERT_FALSE(relayed.empty());
  for (const auto& connection : relayed) {
    EXPECT_EQ(connection.kind, ProxiedConnection::Kind::Connect);
    EXPECT_EQ(connection.target, "127.0.0.1:" + std::to_string(nginx->port()));
  }
}

// ---------------------------------------------------------------------------------------------
// FTP: accepted by the transport when the URL names it; never as a redirect target.

TEST_F(HttpFeaturesTest, RedirectToFtpIsRefused) {
  server.route("/to-ftp", {.status = 302, .location = "ftp://127.0.0.1:9/f.bin"});
  const auto outcome = run_task(task(server.url("/to-ftp"), {}));
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::InvalidUrl) << outcome.failed[0].error.message;
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

// Runs one request through a TransferLoop, as a Job would, bounded by 20 s. Returns what
// describe_non_http_response makes of it (status 0 when it declined).
net::ResponseHead run_request(const net::Request& request, CollectingSink& sink) {
  net::ResponseHead described;
  auto loop = net::TransferLoop::create(/*max_connections=*/8);
  if (!loop) {
    ADD_FAILURE() << loop.error().message;
    return described;
  }
  auto transfer = net::Transfer::create(request, sink);
  if (!transfer || !(*loop)->add(**transfer)) {
    ADD_FAILURE() << "cannot start the transfer";
    return described;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!sink.done && std::chrono::steady_clock::now() < deadline) {
    (*loop)->poll(std::chrono::milliseconds(100));
    (*loop)->perform();
  }
  if (!sink.done) (*loop)->remove(**transfer);
  net::describe_non_http_response((*transfer)->handle(), described);
  return described;
}

TEST_F(HttpFeaturesTest, FtpDownloadWholeAndRangedThroughTheTransport) {
  if (!run_process({"/usr/bin/python3", "-c", "import pyftpdlib"}).exited(0)) {
    GTEST_SKIP() << "python3-pyftpdlib is not installed (scripts/bootstrap)";
  }
  constexpr std::int64_t kSize = 3'000'000;
  write_content_file(files.path() / "f.bin", 31, kSize);
  std::optional<ChildProcess> ftp;
  std::uint16_t port = 0;
  for (int attempt = 0; attempt < 3 && !ftp; ++attempt) {
    port = pick_free_loopback_port();
    ProcessOptions options;
    options.time_limit = std::chrono::minutes(5);
    ftp.emplace(ChildProcess::start({"/usr/bin/python3", "-m", "pyftpdlib", "-i", "127.0.0.1", "-p",
                                     std::to_string(port), "-d", files.path().string()},
                                    options));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!loopback_port_accepts(port) && !ftp->finished() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!loopback_port_accepts(port)) ftp.reset();  // the port was taken meanwhile: try another
  }
  ASSERT_TRUE(ftp) << "pyftpdlib did not start";
  const std::string url = "ftp://127.0.0.1:" + std::to_string(port) + "/f.bin";

  net::Request request;
  request.url = url;
  request.http.remote_time = true;  // CURLOPT_FILETIME: MDTM
  CollectingSink whole;
  const net::ResponseHead head = run_request(request, whole);
  ASSERT_TRUE(whole.done);
  ASSERT_TRUE(whole.outcome) << whole.outcome.error().message;
  EXPECT_EQ(sha256_hex(whole.data), content_sha256(31, kSize));
  EXPECT_EQ(whole.head.status, 200);  // no status line: the Transfer describes it (http_setup.h)
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, kSize);
  const auto mtime = std::filesystem::last_write_time(files.path() / "f.bin");
  const auto mtime_seconds = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::file_clock::to_sys(mtime).time_since_epoch());
  EXPECT_EQ(net::parse_http_date(head.last_modified)->time_since_epoch(), mtime_seconds);

  CollectingSink ranged;  // REST 1000, then the transfer stops after 1000 bytes
  request.http.remote_time = false;
  request.range_begin = 1000;
  request.range_end = 2000;
  run_request(request, ranged);
  ASSERT_TRUE(ranged.done);
  ASSERT_TRUE(ranged.outcome) << ranged.outcome.error().message;
  std::string expected(1000, '\0');
  fill_content(31, 1000, expected);
  EXPECT_EQ(ranged.data, expected);
}

// ---------------------------------------------------------------------------------------------
// The command line.

HttpOptions parse(std::vector<const char*> args) {
  CLI::App app;
  HttpOptions http;
  cli::add_http_flags(app, http);
  args.insert(args.begin(), "spate");
  app.parse(static_cast<int>(args.size()), args.data());
  return http;
}

TEST(HttpFlagsTest, EveryFlagReachesHttpOptions) {
  const HttpOptions http = parse({"-H",
                                  "A: 1",
                                  "--header",
                                  "B: 2",
                                  "-U",
                                  "ua/1",
                                  "--referer",
                                  "http://r/",
                                  "--http-user",
                                  "u",
                                  "--http-passwd",
                                  "p",
                                  "--netrc",
                                  "--netrc-file",
                                  "n",
                                  "--load-cookies",
                                  "in",
                                  "--save-cookies",
                                  "out",
                                  "--proxy",
                                  "socks5h://127.0.0.1:1",
                                  "--no-proxy",
                                  "localhost",
                                  "--insecure",
                                  "--ca-certificate",
                                  "ca.pem",
                                  "--http1.1",
                                  "--conditional-get",
                                  "-R"});
  EXPECT_EQ(http.headers, (std::vector<std::string>{"A: 1", "B: 2"}));
  EXPECT_EQ(http.user_agent, "ua/1");
  EXPECT_EQ(http.referer, "http://r/");
  EXPECT_EQ(http.user, "u");
  EXPECT_EQ(http.password, "p");
  EXPECT_TRUE(http.netrc);
  EXPECT_EQ(http.netrc_file, "n");
  EXPECT_EQ(http.load_cookies, "in");
  EXPECT_EQ(http.save_cookies, "out");
  EXPECT_EQ(http.proxy, "socks5h://127.0.0.1:1");
  EXPECT_EQ(http.no_proxy, "localhost");
  EXPECT_FALSE(http.verify_tls);
  EXPECT_EQ(http.ca_certificate, "ca.pem");
  EXPECT_EQ(http.http_version, HttpVersion::Http11);
  EXPECT_TRUE(http.conditional_get);
  EXPECT_TRUE(http.remote_time);
  EXPECT_TRUE(http.cookies);
}

TEST(HttpFlagsTest, DefaultsAndAria2Spellings) {
  const HttpOptions defaults = parse({});
  EXPECT_TRUE(defaults.verify_tls);
  EXPECT_TRUE(defaults.cookies);
  EXPECT_EQ(defaults.http_version, HttpVersion::Auto);
  EXPECT_FALSE(parse({"--check-certificate=false"}).verify_tls);
  EXPECT_FALSE(parse({"--no-check-certificate"}).verify_tls);
  EXPECT_TRUE(parse({"--check-certificate=true"}).verify_tls);
  EXPECT_FALSE(parse({"--no-cookies"}).cookies);
  EXPECT_EQ(parse({"--all-proxy", "http://127.0.0.1:3128"}).proxy, "http://127.0.0.1:3128");
}

TEST(HttpFlagsTest, CheckRefusesWhatCannotWork) {
  const TempDir dir;
  const auto check = [](const std::vector<const char*>& args) {
    return cli::check_http_flags(parse(args));
  };
  EXPECT_TRUE(check({"-H", "X: 1", "-H", "Remove:", "-H", "Empty;"}));
  for (const auto& bad :
       std::vector<std::vector<const char*>>{{"-H", "no colon"},
                                             {"-H", "Bad Name: 1"},
                                             {"--http-passwd", "p"},
                                             {"--proxy", "ftp://127.0.0.1:1"},
                                             {"--load-cookies", "/nonexistent/cookies.txt"},
                                             {"--ca-certificate", "/nonexistent/ca.pem"},
                                             {"--save-cookies", "/nonexistent/dir/cookies.txt"},
                                             {"--no-cookies", "--save-cookies", "jar.txt"}}) {
    const auto result = check(bad);
    ASSERT_FALSE(result) << bad.back();
    EXPECT_EQ(result.error().kind, ErrorKind::Usage);
  }
}

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(net::format_http_date(std::chrono::system_clock::from_time_t(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(net::format_http_date(std::chrono::system_clock::from_time_t(0)),
            "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace spate::testing
