#include "net/transfer.h"

#include "net/curl_error.h"
#include "net/http_headers.h"
#include "net/http_setup.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace spate::net {
namespace {

template <class T>
void set(CURL* easy, CURLoption option, T value) {
  // Every option used here exists in libcurl 7.88; a failure is a programming error, and the
  // transfer would then still run with curl's default, so it is not worth an error path.
  (void)curl_easy_setopt(easy, option, value);
}

int parse_status_line(std::string_view line) {
  // "HTTP/1.1 206 Partial Content" or "HTTP/2 200"
  const auto space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return 0;
  int status = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    const char c = line[i];
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status;
}

std::string lower_scheme(std::string_view url) {
  const auto separator = url.find("://");
  std::string scheme(url.substr(0, separator == std::string_view::npos ? 0 : separator));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme;
}

// "213 12345\r\n" -> 12345; nullopt for any other line.
std::optional<std::int64_t> parse_213_reply(std::string_view line) {
  if (!line.starts_with("213 ")) return std::nullopt;
  line.remove_prefix(4);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  return parse_content_length(line);
}

// The file size among the "213" replies (MDTM's time comes first, then SIZE's count), checked
// against what libcurl computed from SIZE for this transfer: TOTAL - BEGIN, or for a bounded
// range min(TOTAL - BEGIN, END - BEGIN). A server without SIZE gives no total (libcurl's length
// then comes from the "150 ... (N bytes)" text, if at all, which is not trusted here).
std::optional<std::int64_t> ftp_total(const std::vector<std::int64_t>& replies, std::int64_t begin,
                                      std::int64_t end, std::optional<std::int64_t> length) {
  if (!length) return std::nullopt;
  for (auto reply = replies.rbegin(); reply != replies.rend(); ++reply) {
    if (*reply < begin) continue;
    const std::int64_t remaining = *reply - begin;
    if (*length == remaining || (end > begin && *length == std::min(remaining, end - begin))) {
      return *reply;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Transfer>> Transfer::create(const Request& request, TransferSink& sink) {
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return make_error(ErrorKind::Internal, "cannot create a libcurl handle");
  std::unique_ptr<Transfer> transfer(new Transfer(easy, sink));

  set(easy, CURLOPT_URL, request.url.c_str());
  set(easy, CURLOPT_PRIVATE, transfer.get());
  set(easy, CURLOPT_NOSIGNAL, 1L);
  set(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(easy, CURLOPT_FOLLOWLOCATION, request.max_redirects > 0 ? 1L : 0L);
  set(easy, CURLOPT_MAXREDIRS, request.max_redirects);
  set(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
  // Stall detection: fewer than 1 byte/s for stall_timeout_s seconds aborts with a timeout.
  set(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(easy, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  set(easy, CURLOPT_BUFFERSIZE, request.buffer_size);
  set(easy, CURLOPT_ACCEPT_ENCODING, nullptr);  // bytes on disk are the bytes served
  set(easy, CURLOPT_HEADERFUNCTION, &Transfer::header_callback);
  set(easy, CURLOPT_HEADERDATA, transfer.get());
  set(easy, CURLOPT_WRITEFUNCTION, &Transfer::write_callback);
  set(easy, CURLOPT_WRITEDATA, transfer.get());
  if (!request.user_agent.empty()) set(easy, CURLOPT_USERAGENT, request.user_agent.c_str());
  const std::string scheme = lower_scheme(request.url);
  if (request.http11_only) {
    set(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  } else if (scheme == "https") {
    // Wait for a connection being set up to this host, which may turn out to be HTTP/2, rather
    // than opening another: many small files then share one multiplexed connection. Plain http
    // is HTTP/1.1 here, and waiting would only hold every other download back until the first
    // response arrives (two round trips: 0.15 s on a 50 ms path).
    set(easy, CURLOPT_PIPEWAIT, 1L);
  }
  if (request.head) set(easy, CURLOPT_NOBODY, 1L);

  if (scheme == "ftp" || scheme == "ftps") transfer->protocol_ = Protocol::Ftp;
  if (scheme == "sftp") transfer->protocol_ = Protocol::Sftp;
  // The file's time (FTP MDTM, SFTP stat) becomes Last-Modified: the probe and the segments
  // carry the same validator, so a file replaced during the download is noticed.
  if (transfer->protocol_ != Protocol::Http) set(easy, CURLOPT_FILETIME, 1L);
  if (request.range_begin >= 0) transfer->set_range(request);
  // Headers, credentials, cookies, proxies, TLS, protocols: after the defaults above, which it
  // may override.
  if (auto applied = apply_http_options(easy, request.http, request.url, transfer->header_list_);
      !applied) {
    return tl::unexpected(applied.error());
  }
  transfer->shared_state_ = shared_state_request(request.http);
  transfer->proxy_tls_verified_ = request.http.verify_tls && request.http.verify_proxy_tls;
  if (transfer->header_list_ != nullptr) set(easy, CURLOPT_HTTPHEADER, transfer->header_list_);
  return transfer;
}

Transfer::~Transfer() {
  curl_easy_cleanup(easy_);
  curl_slist_free_all(header_list_);
  curl_slist_free_all(prequote_list_);
}

void Transfer::set_range(const Request& request) {
  range_begin_ = request.range_begin;
  range_end_ = request.range_end;
  std::int64_t end = request.range_end;
  if (protocol_ == Protocol::Ftp && range_begin_ == 0) {
    // From byte 0 libcurl sends no REST, so "REST 0" ('*': its failure is not an error) asks
    // whether the server can restart a transfer at all, as libcurl itself does for a NOBODY
    // request; a "350" answer reaches header_callback. The range stays open: were the answer
    // no, the whole file comes as a 200, which libcurl's byte limit for "0-K" would cut short.
    // A 206 is cut at its end by write_callback instead. (Through an HTTP proxy libcurl speaks
    // HTTP and ignores the quote.)
    prequote_list_ = curl_slist_append(prequote_list_, "*REST 0");
    set(easy_, CURLOPT_PREQUOTE, prequote_list_);
    end = -1;
  } else if (protocol_ == Protocol::Sftp) {
    // To the end of the file, libcurl's download size is TOTAL - BEGIN: the total is known for
    // every range. write_callback enforces the asked end.
    end = -1;
  }
  const std::string range =
      end < 0 ? fmt::format("{}-", range_begin_) : fmt::format("{}-{}", range_begin_, end - 1);
  set(easy_, CURLOPT_RANGE, range.c_str());  // libcurl copies string options
  if (!request.if_range.empty()) {
    header_list_ =
        curl_slist_append(header_list_, fmt::format("If-Range: {}", request.if_range).c_str());
  }
}

void Transfer::note_ftp_reply(std::string_view line) noexcept {
  if (line.starts_with("350")) ftp_rest_accepted_ = true;
  constexpr std::size_t kMaxReplies = 8;
  if (const auto value = parse_213_reply(line); value && ftp_213_replies_.size() < kMaxReplies) {
    ftp_213_replies_.push_back(*value);
  }
}

void Transfer::describe_file_transfer() noexcept {
  describe_non_http_response(easy_, head_);  // 200, libcurl's size, Last-Modified
  if (range_begin_ < 0) return;
  FileTransferFacts facts;
  facts.range_begin = range_begin_;
  facts.range_end = range_end_;
  facts.length = head_.content_length;
  if (protocol_ == Protocol::Sftp) {
    facts.seekable = true;  // libssh2 seeks; libcurl was asked to the end of the file
    if (facts.length) facts.total = range_begin_ + *facts.length;
  } else {
    facts.seekable = ftp_rest_accepted_;
    facts.total = ftp_total(ftp_213_replies_, range_begin_, range_end_, facts.length);
  }
  if (auto described = describe_file_response(facts, head_); !described) {
    refused_ = std::move(described.error());
    return;
  }
  if (head_.status == 206) byte_limit_ = *head_.content_length;
}

std::size_t Transfer::header_callback(char* data, std::size_t size, std::size_t count,
                                      void* self) noexcept {
  auto& transfer = *static_cast<Transfer*>(self);
  const std::string_view line(data, size * count);
  if (transfer.protocol_ == Protocol::Ftp) transfer.note_ftp_reply(line);
  if (line.starts_with("HTTP/")) {
    // A new response begins (after a redirect or a 1xx): forget the previous one's headers.
    transfer.head_ = ResponseHead{};
    transfer.head_.status = parse_status_line(line);
    return line.size();
  }
  const auto header = split_header_line(line);
  if (!header) return line.size();
  const auto [name, value] = *header;
  ResponseHead& head = transfer.head_;
  if (header_name_is(name, "content-length")) {
    head.content_length = parse_content_length(value);
    return line.size();
  }
  // The headers kept as they came; every other one is ignored.
  static constexpr std::pair<std::string_view, std::string ResponseHead::*> kKept[] = {
      {"content-range", &ResponseHead::content_range},
      {"etag", &ResponseHead::etag},
      {"last-modified", &ResponseHead::last_modified},
      {"content-disposition", &ResponseHead::content_disposition},
      {"retry-after", &ResponseHead::retry_after},
      {"accept-ranges", &ResponseHead::accept_ranges},
  };
  for (const auto& [kept, field] : kKept) {
    if (header_name_is(name, kept)) {
      head.*field = value;
      break;
    }
  }
  return line.size();
}

bool Transfer::deliver_head() noexcept {
  if (head_delivered_) return !refused_;
  head_delivered_ = true;
  char* effective = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
      effective != nullptr) {
    head_.effective_url = effective;
  }
  // FTP/SFTP have no status line (through an HTTP proxy they do, and are HTTP then).
  if (protocol_ != Protocol::Http && head_.status == 0) describe_file_transfer();
  if (refused_) return false;
  auto accepted = sink_.on_head(head_);
  if (!accepted) refused_ = std::move(accepted.error());
  return !refused_;
}

std::size_t Transfer::write_callback(char* data, std::size_t size, std::size_t count,
                                     void* self) noexcept {
  auto& transfer = *static_cast<Transfer*>(self);
  const std::size_t bytes = size * count;
  if (!transfer.deliver_head()) return 0;  // abort: CURLE_WRITE_ERROR
  std::span<const char> chunk(data, bytes);
  bool cut = false;  // the chunk runs past the announced range: deliver its head, then end
  if (transfer.byte_limit_ >= 0) {
    const std::int64_t room = transfer.byte_limit_ - transfer.delivered_;
    if (room <= 0) {
      transfer.stopped_ = true;
      return 0;
    }
    if (static_cast<std::int64_t>(bytes) > room) {
      chunk = chunk.first(static_cast<std::size_t>(room));
      cut = true;
    }
  }
  switch (transfer.sink_.on_data(chunk)) {
    case DataVerdict::Continue:
      transfer.delivered_ += static_cast<std::int64_t>(chunk.size());
      if (cut) {
        transfer.stopped_ = true;
        return 0;
      }
      return bytes;
    case DataVerdict::Stop:
      transfer.stopped_ = true;
      return 0;
    case DataVerdict::Pause:
      return CURL_WRITEFUNC_PAUSE;
    case DataVerdict::Fail:
      transfer.failed_ = true;
      return 0;
  }
  return 0;
}

void Transfer::resume() noexcept { (void)curl_easy_pause(easy_, CURLPAUSE_CONT); }

void Transfer::finish(int curl_code) noexcept {
  if (finished_) return;
  finished_ = true;
  const auto code = static_cast<CURLcode>(curl_code);
  if (code == CURLE_OK) deliver_head();  // an empty body: the head was not delivered yet
  if (refused_) {
    sink_.on_done(tl::unexpected(*refused_));
  } else if (stopped_ || code == CURLE_OK) {
    sink_.on_done({});
  } else if (failed_) {
    // The sink already knows why it failed; it reports its own error.
    sink_.on_done(make_error(ErrorKind::Internal, "aborted by the sink"));
  } else {
    sink_.on_done(tl::unexpected(describe_failure(curl_code)));
  }
}

Error Transfer::describe_failure(int curl_code) const noexcept {
  Error error = error_from_curl(curl_code);
  const auto code = static_cast<CURLcode>(curl_code);
  if (code != CURLE_PEER_FAILED_VERIFICATION && code != CURLE_SSL_CONNECT_ERROR &&
      code != CURLE_SSL_CACERT_BADFILE) {
    return error;
  }
  // libcurl records the proxy's verification result even when it was not asked to enforce it.
  long proxy_verify = 0;
  if (proxy_tls_verified_ &&
      curl_easy_getinfo(easy_, CURLINFO_PROXY_SSL_VERIFYRESULT, &proxy_verify) == CURLE_OK &&
      proxy_verify != 0) {
    error.message = fmt::format(
        "the https proxy's TLS certificate was not accepted ({}; see --proxy-ca-certificate, "
        "--proxy-insecure)",
        error.message);
  } else if (protocol_ == Protocol::Sftp && code == CURLE_PEER_FAILED_VERIFICATION) {
    error.message =
        "the SSH server's host key is not in the known-hosts file, or differs from it (see "
        "--ssh-known-hosts, default ~/.ssh/known_hosts)";
  }
  return error;
}

}  // namespace spate::net
