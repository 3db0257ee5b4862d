#include "net/transfer_loop.h"

#include <curl/curl.h>

#include <mutex>

namespace spate::net {

Result<void> init_curl_once() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) return make_error(ErrorKind::Internal, curl_easy_strerror(code));
  return {};
}

Result<std::unique_ptr<TransferLoop>> TransferLoop::create() {
  if (auto ok = init_curl_once(); !ok) return tl::unexpected(ok.error());
  CURLM* multi = curl_multi_init();
  if (multi == nullptr)
    return make_error(ErrorKind::Internal, "cannot create a libcurl multi handle");
  // HTTP/2 multiplexing for many small files on one host; segments of one file opt out per
  // request (Request::http11_only), so they still use separate connections.
  (void)curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  return std::unique_ptr<TransferLoop>(new TransferLoop(multi));
}

TransferLoop::~TransferLoop() { curl_multi_cleanup(multi_); }

Result<void> TransferLoop::add(Transfer& transfer) {
  const CURLMcode code = curl_multi_add_handle(multi_, transfer.handle());
  if (code != CURLM_OK) return make_error(ErrorKind::Internal, curl_multi_strerror(code));
  ++running_;
  return {};
}

void TransferLoop::remove(Transfer& transfer) noexcept {
  if (curl_multi_remove_handle(multi_, transfer.handle()) == CURLM_OK) --running_;
}

void TransferLoop::poll(std::chrono::milliseconds timeout) noexcept {
  (void)curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
}

void TransferLoop::perform() noexcept {
  int still_running = 0;
  (void)curl_multi_perform(multi_, &still_running);
  // One message at a time: finishing a transfer may make its Job destroy other transfers, and
  // curl_multi_remove_handle drops any message still queued for a removed handle.
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    Transfer* transfer = nullptr;
    (void)curl_easy_getinfo(easy, CURLINFO_PRIVATE, &transfer);
    (void)curl_multi_remove_handle(multi_, easy);
    --running_;
    if (transfer != nullptr) transfer->finish(code);
  }
}

void TransferLoop::wakeup() noexcept { (void)curl_multi_wakeup(multi_); }

}  // namespace spate::net
