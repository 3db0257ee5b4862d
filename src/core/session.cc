#include "spate/session.h"

#include "core/session_impl.h"

namespace spate {

Result<std::unique_ptr<Session>> Session::create(SessionOptions options) {
  auto impl = SessionImpl::create(std::move(options));
  if (!impl) return tl::unexpected(impl.error());
  return std::unique_ptr<Session>(new Session(std::move(*impl)));
}

Session::Session(std::unique_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<TaskId> Session::submit(Task task) { return impl_->submit(std::move(task)); }
void Session::close() { impl_->close(); }
void Session::cancel() { impl_->cancel(); }
bool Session::idle() const { return impl_->idle(); }
void Session::wait() { impl_->wait(); }
bool Session::wait_idle_for(std::chrono::milliseconds timeout) {
  return impl_->wait_idle_for(timeout);
}
bool Session::wait_for_event(std::chrono::milliseconds timeout) {
  return impl_->wait_for_event(timeout);
}
void Session::pop_events(std::vector<Event>& out) { impl_->pop_events(out); }

}  // namespace spate
