#include "net/transfer.h"

#include "net/curl_error.h"
#include "net/http_headers.h"
#include "net/http_setup.h"

#include <curl/curl.h>
#include <fmt/format.h>

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
  if (request.http11_only) {
    set(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  } else {
    // Wait for an HTTP/2 connection being set up to this host rather than opening another:
    // many small files then share one multiplexed connection.
    set(easy, CURLOPT_PIPEWAIT, 1L);
  }
  if (request.head) set(easy, CURLOPT_NOBODY, 1L);

  if (request.range_begin >= 0) {
    const std::string range =
        request.range_end < 0 ? fmt::format("{}-", request.range_begin)
                              : fmt::format("{}-{}", request.range_begin, request.range_end - 1);
    set(easy, CURLOPT_RANGE, range.c_str());  // libcurl copies string options
    if (!request.if_range.empty()) {
      transfer->header_list_ = curl_slist_append(
          transfer->header_list_, fmt::format("If-Range: {}", request.if_range).c_str());
    }
  }
  // Headers, credentials, cookies, proxies, TLS, protocols: after the defaults above, which it
  // may override.
  if (auto applied = apply_http_options(easy, request.http, transfer->header_list_); !applied) {
    return tl::unexpected(applied.error());
  }
  transfer->shared_state_ = shared_state_request(request.http);
  if (transfer->header_list_ != nullptr) set(easy, CURLOPT_HTTPHEADER, transfer->header_list_);
  return transfer;
}

Transfer::~Transfer() {
  curl_easy_cleanup(easy_);
  curl_slist_free_all(header_list_);
}

std::size_t Transfer::header_callback(char* data, std::size_t size, std::size_t count,
                                      void* self) noexcept {
  auto& transfer = *static_cast<Transfer*>(self);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response begins (after a redirect or a 1xx): forget the previous one's headers.
    transfer.head_ = ResponseHead{};
    transfer.head_.status = parse_status_line(line);
    return line.size();
  }
  auto header = split_header_line(line);
  if (!header) return line.size();
  auto& [name, value] = *header;
  ResponseHead& head = transfer.head_;
  if (name == "content-length") {
    head.content_length = parse_content_length(value);
  } else if (name == "content-range") {
    head.content_range = std::move(value);
  } else if (name == "etag") {
    head.etag = std::move(value);
  } else if (name == "last-modified") {
    head.last_modified = std::move(value);
  } else if (name == "content-disposition") {
    head.content_disposition = std::move(value);
  } else if (name == "retry-after") {
    head.retry_after = std::move(value);
  } else if (name == "accept-ranges") {
    head.accept_ranges = std::move(value);
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
  describe_non_http_response(easy_, head_);  // FTP/SFTP: no status line; 200 and the size
  auto accepted = sink_.on_head(head_);
  if (!accepted) refused_ = std::move(accepted.error());
  return !refused_;
}

std::size_t Transfer::write_callback(char* data, std::size_t size, std::size_t count,
                                     void* self) noexcept {
  auto& transfer = *static_cast<Transfer*>(self);
  const std::size_t bytes = size * count;
  if (!transfer.deliver_head()) return 0;  // abort: CURLE_WRITE_ERROR
  switch (transfer.sink_.on_data({data, bytes})) {
    case DataVerdict::Continue:
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
    sink_.on_done(tl::unexpected(error_from_curl(curl_code)));
  }
}

}  // namespace spate::net
