#include "net/transfer_loop.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace spate::net {
namespace {

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct ShareDeleter {
  void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};
struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};

bool readable(const std::string& path) {
  const std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "r"),
                                                                &std::fclose);
  return file != nullptr;
}

}  // namespace

Result<void> init_curl_once() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) return make_error(ErrorKind::Internal, curl_easy_strerror(code));
  return {};
}

Result<std::unique_ptr<TransferLoop>> TransferLoop::create() {
  if (auto ok = init_curl_once(); !ok) return tl::unexpected(ok.error());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  std::unique_ptr<CURLSH, ShareDeleter> share(curl_share_init());
  if (!multi || !share) return make_error(ErrorKind::Internal, "cannot create libcurl handles");
  // HTTP/2 multiplexing for many small files on one host; segments of one file opt out per
  // request (Request::http11_only), so they still use separate connections.
  (void)curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  for (const curl_lock_data data :
       {CURL_LOCK_DATA_COOKIE, CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION}) {
    if (const CURLSHcode code = curl_share_setopt(share.get(), CURLSHOPT_SHARE, data);
        code != CURLSHE_OK) {
      return make_error(ErrorKind::Internal,
                        fmt::format("libcurl share handle: {}", curl_share_strerror(code)));
    }
  }
  // Declared after the share, so on a failure here it is freed before the share it refers to.
  std::unique_ptr<CURL, EasyDeleter> cookie_handle(curl_easy_init());
  if (!cookie_handle ||
      curl_easy_setopt(cookie_handle.get(), CURLOPT_SHARE, share.get()) != CURLE_OK) {
    return make_error(ErrorKind::Internal, "cannot create the libcurl cookie handle");
  }
  return std::unique_ptr<TransferLoop>(
      new TransferLoop(multi.release(), share.release(), cookie_handle.release()));
}

TransferLoop::~TransferLoop() {
  save_cookies();
  curl_easy_cleanup(cookie_handle_);
  curl_multi_cleanup(multi_);
  // Refused (CURLSHE_IN_USE) only when a transfer outlived the loop, against the contract: the
  // share is then leaked rather than freed under that transfer.
  (void)curl_share_cleanup(share_);
}

Result<void> TransferLoop::attach_shared_state(const Transfer& transfer) {
  const SharedStateRequest& wish = transfer.shared_state();
  if (!wish.attach) return {};
  // The share alone does not switch libcurl 7.88's cookie engine on for a handle (whatever its
  // manual says): an empty CURLOPT_COOKIEFILE does, and reads no file.
  if (curl_easy_setopt(transfer.handle(), CURLOPT_SHARE, share_) != CURLE_OK ||
      curl_easy_setopt(transfer.handle(), CURLOPT_COOKIEFILE, "") != CURLE_OK) {
    return make_error(ErrorKind::Internal, "cannot attach the libcurl share handle");
  }
  const std::string& load = wish.load_cookies;
  if (!load.empty() && !loaded_cookie_files_.contains(load)) {
    // libcurl skips a file it cannot open without a word; a named file must exist.
    if (!readable(load)) {
      return make_error(ErrorKind::FileOpen, fmt::format("cannot read the cookie file {}", load));
    }
    // Read once: a second read would bring back cookies the server deleted meanwhile.
    (void)curl_easy_setopt(cookie_handle_, CURLOPT_COOKIEFILE, load.c_str());
    (void)curl_easy_setopt(cookie_handle_, CURLOPT_COOKIELIST, "RELOAD");
    loaded_cookie_files_.insert(load);
  }
  if (!wish.save_cookies.empty()) cookie_jars_.insert(wish.save_cookies);
  return {};
}

void TransferLoop::save_cookies() noexcept {
  // CURLOPT_COOKIEJAR alone would write at every transfer's cleanup; FLUSH on the one handle
  // that never transfers writes each jar exactly once, with everything the Session collected.
  // libcurl reports no write error here (a verbose log line at most).
  for (const std::string& jar : cookie_jars_) {
    (void)curl_easy_setopt(cookie_handle_, CURLOPT_COOKIEJAR, jar.c_str());
    (void)curl_easy_setopt(cookie_handle_, CURLOPT_COOKIELIST, "FLUSH");
  }
  // Its cleanup must not write the last jar a second time.
  (void)curl_easy_setopt(cookie_handle_, CURLOPT_COOKIEJAR, nullptr);
}

Result<void> TransferLoop::add(Transfer& transfer) {
  if (auto attached = attach_shared_state(transfer); !attached) return attached;
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
