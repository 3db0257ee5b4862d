#include "net/transfer_loop.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

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

struct SocketCallbacks {
  static curl_socket_t open(void* self, curlsocktype /*purpose*/, curl_sockaddr* address) noexcept {
    auto& loop = *static_cast<TransferLoop*>(self);
    const int socket =
        ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (socket < 0) return CURL_SOCKET_BAD;
    loop.unwatch(socket);  // a number reused after a close the loop did not see
    loop.watch(socket).tracked = true;
    return socket;
  }

  static int close(void* self, curl_socket_t socket) noexcept {
    auto& loop = *static_cast<TransferLoop*>(self);
    loop.unwatch(socket);  // before its number can be reused
    loop.watch(socket).tracked = false;
    return ::close(socket);
  }
};

Result<void> init_curl_once() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) return make_error(ErrorKind::Internal, curl_easy_strerror(code));
  return {};
}

Result<std::unique_ptr<TransferLoop>> TransferLoop::create(long max_connections) {
  if (auto ok = init_curl_once(); !ok) return tl::unexpected(ok.error());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  std::unique_ptr<CURLSH, ShareDeleter> share(curl_share_init());
  if (!multi || !share) return make_error(ErrorKind::Internal, "cannot create libcurl handles");
  // HTTP/2 multiplexing for many small files on one host; segments of one file opt out per
  // request (Request::http11_only), so they still use separate connections.
  (void)curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  (void)curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, std::max(1L, max_connections));
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
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  const int wake_fd = epoll_fd < 0 ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd;
  if (wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake) != 0) {
    const int err = errno;
    if (wake_fd >= 0) (void)::close(wake_fd);
    if (epoll_fd >= 0) (void)::close(epoll_fd);
    return make_error(ErrorKind::Internal,
                      fmt::format("cannot set up the event loop: {}",
                                  std::error_code(err, std::system_category()).message()));
  }
  return std::unique_ptr<TransferLoop>(new TransferLoop(
      multi.release(), share.release(), cookie_handle.release(), epoll_fd, wake_fd));
}

TransferLoop::TransferLoop(CURLM* multi, CURLSH* share, CURL* cookie_handle, int epoll_fd,
                           int wake_fd)
    : multi_(multi),
      share_(share),
      cookie_handle_(cookie_handle),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd) {
  (void)curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &TransferLoop::on_socket);
  (void)curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  (void)curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &TransferLoop::on_timer);
  (void)curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

TransferLoop::~TransferLoop() {
  save_cookies();
  curl_easy_cleanup(cookie_handle_);
  curl_multi_cleanup(multi_);  // may still call on_socket: the descriptors close after it
  (void)::close(wake_fd_);
  (void)::close(epoll_fd_);
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
  CURL* easy = transfer.handle();
  const curl_opensocket_callback open = &SocketCallbacks::open;
  const curl_closesocket_callback close = &SocketCallbacks::close;
  if (curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open) != CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this) != CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, close) != CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this) != CURLE_OK) {
    return make_error(ErrorKind::Internal, "cannot set the libcurl socket callbacks");
  }
  const CURLMcode code = curl_multi_add_handle(multi_, transfer.handle());
  if (code != CURLM_OK) return make_error(ErrorKind::Internal, curl_multi_strerror(code));
  ++running_;
  return {};
}

void TransferLoop::remove(Transfer& transfer) noexcept {
  if (curl_multi_remove_handle(multi_, transfer.handle()) == CURLM_OK) --running_;
}

TransferLoop::Watch& TransferLoop::watch(int socket) {
  const auto index = static_cast<std::size_t>(socket);
  if (index >= watches_.size()) watches_.resize(index + 1);
  return watches_[index];
}

void TransferLoop::unwatch(int socket) noexcept {
  Watch& entry = watch(socket);
  if (entry.events != 0) (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
  entry.events = 0;
  entry.wanted = false;
}

int TransferLoop::on_socket(CURL* /*easy*/, int socket, int what, void* self,
                            void* /*socket_data*/) noexcept {
  auto& loop = *static_cast<TransferLoop*>(self);
  if (socket < 0) return 0;
  Watch& entry = loop.watch(socket);
  if (what == CURL_POLL_REMOVE) {
    // A tracked socket idles in the set; any other may be closed behind the loop's back, and
    // its number reused, so it leaves the set now.
    if (entry.tracked && entry.events != 0) {
      entry.wanted = false;
    } else {
      loop.unwatch(socket);
    }
    return 0;
  }
  const unsigned events =
      ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0U) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0U);
  entry.wanted = true;
  if (entry.tracked && entry.events == events) return 0;
  epoll_event event{};
  event.events = events;
  event.data.fd = socket;
  // The table may be wrong about a socket closed behind the loop's back (only an untracked one
  // can be): either call falls back to the other.
  const int first = entry.events != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(loop.epoll_fd_, first, socket, &event) != 0) {
    const int second = first == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    (void)epoll_ctl(loop.epoll_fd_, second, socket, &event);
  }
  entry.events = events;
  return 0;
}

int TransferLoop::on_timer(CURLM* /*multi*/, long timeout_ms, void* self) noexcept {
  auto& loop = *static_cast<TransferLoop*>(self);
  if (timeout_ms < 0) {
    loop.curl_deadline_.reset();
  } else {
    loop.curl_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void TransferLoop::poll(std::chrono::milliseconds timeout) noexcept {
  using std::chrono::milliseconds;
  if (curl_deadline_) {
    const auto left =
        std::chrono::ceil<milliseconds>(*curl_deadline_ - std::chrono::steady_clock::now());
    timeout = std::clamp(left, milliseconds(0), timeout);
  }
  std::array<epoll_event, 64> events{};
  const int count = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(timeout.count()));
  for (int i = 0; i < count; ++i) {
    const epoll_event& event = events[static_cast<std::size_t>(i)];
    if (event.data.fd == wake_fd_) {
      std::uint64_t wakes = 0;
      (void)!::read(wake_fd_, &wakes, sizeof wakes);
      continue;
    }
    if (const auto index = static_cast<std::size_t>(event.data.fd);
        index < watches_.size() && watches_[index].tracked && !watches_[index].wanted) {
      // An idle connection became ready (the server closed it, most likely): stop watching it
      // until libcurl wants it again. libcurl finds out by itself before it reuses it.
      unwatch(event.data.fd);
      continue;
    }
    int bits = 0;
    if ((event.events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) != 0) bits |= CURL_CSELECT_IN;
    if ((event.events & EPOLLOUT) != 0) bits |= CURL_CSELECT_OUT;
    if ((event.events & EPOLLERR) != 0) bits |= CURL_CSELECT_ERR;
    ready_.emplace_back(event.data.fd, bits);
  }
}

void TransferLoop::perform() noexcept {
  int still_running = 0;
  // A socket closed while an earlier one was handled (and its number reused) only gets a
  // spurious call: libcurl then finds nothing to read.
  for (const auto& [socket, bits] : ready_) {
    (void)curl_multi_socket_action(multi_, socket, bits, &still_running);
  }
  ready_.clear();
  run_due_timer();
}

void TransferLoop::run_due_timer() noexcept {
  if (curl_deadline_ && std::chrono::steady_clock::now() >= *curl_deadline_) {
    curl_deadline_.reset();  // on_timer sets the next one, if any
    int still_running = 0;
    (void)curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &still_running);
  }
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

void TransferLoop::wakeup() noexcept {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

}  // namespace spate::net
