#include "core/event_queue.h"

#include <utility>

namespace spate::core {

EventQueue::EventQueue(std::size_t capacity, std::function<void()> on_drained)
    : capacity_(capacity == 0 ? 1 : capacity), on_drained_(std::move(on_drained)) {}

void EventQueue::push(Event event, bool droppable) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = events_.empty();
    if (droppable && events_.size() >= capacity_) {
      ++dropped_;
      return;
    }
    if (dropped_ > 0) {
      events_.emplace_back(EventsDropped{dropped_});
      dropped_ = 0;
    }
    events_.push_back(std::move(event));
  }
  // The consumer drains everything at once: waking it for the first event is enough, and saves
  // a context switch per event on lists of small files.
  if (was_empty) ready_.notify_all();
}

bool EventQueue::full() const {
  std::lock_guard lock(mutex_);
  return events_.size() >= capacity_;
}

bool EventQueue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return !events_.empty() || woken_; });
  woken_ = false;
  return !events_.empty();
}

void EventQueue::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  ready_.notify_all();
}

void EventQueue::pop_all(std::vector<Event>& out) {
  bool was_full = false;
  {
    std::lock_guard lock(mutex_);
    was_full = events_.size() >= capacity_;
    out.reserve(out.size() + events_.size());
    for (auto& event : events_) out.push_back(std::move(event));
    events_.clear();
  }
  if (was_full && on_drained_) on_drained_();
}

}  // namespace spate::core
