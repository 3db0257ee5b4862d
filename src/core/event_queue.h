// Bounded queue of Events from the network thread (producer) to the caller (consumer).
// Thread-safe. Droppable events (progress) are dropped when the queue is full and counted;
// terminal events are always queued, and the Session stops admitting new tasks while the queue is
// full, which bounds memory without ever losing a result.
#pragma once

#include "spate/events.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace spate::core {

class EventQueue {
 public:
  // on_drained runs (on the consumer's thread, without the lock) after a pop that emptied a
  // full queue, so the producer can resume admitting work.
  EventQueue(std::size_t capacity, std::function<void()> on_drained);

  void push(Event event, bool droppable);
  bool full() const;

  // Waits until an event is queued or wake() was called (once per wake), or the timeout.
  bool wait(std::chrono::milliseconds timeout);
  // Ends a wait() without an event: the producer's state changed (e.g. the session went idle).
  void wake();
  void pop_all(std::vector<Event>& out);

 private:
  const std::size_t capacity_;
  const std::function<void()> on_drained_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;   // guarded by mutex_
  std::uint64_t dropped_ = 0;  // guarded by mutex_
  bool woken_ = false;         // guarded by mutex_
};

}  // namespace spate::core
