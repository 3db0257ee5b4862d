// EventQueue: what a consumer sees, when it is woken, and what is dropped when it falls behind.
#include "core/event_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <variant>

namespace spate::core {
namespace {

using std::chrono::milliseconds;

TEST(EventQueueTest, AConsumerThatComesToWaitFindsQueuedEventsAtOnce) {
  EventQueue queue(16, nullptr);
  queue.push(TaskQueued{1, "u"}, /*droppable=*/false);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(queue.wait(std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  std::vector<Event> events;
  queue.pop_all(events);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_TRUE(std::holds_alternative<TaskQueued>(events[0]));
}

TEST(EventQueueTest, WakeEndsAWaitWithoutAnEvent) {
  EventQueue queue(16, nullptr);
  std::atomic<bool> got{true};
  std::thread consumer([&] { got = queue.wait(std::chrono::seconds(30)); });
  std::this_thread::sleep_for(milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  queue.wake();
  consumer.join();
  EXPECT_FALSE(got);  // woken, but nothing queued
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(EventQueueTest, APushWakesAWaitingConsumer) {
  EventQueue queue(16, nullptr);
  std::atomic<bool> got{false};
  std::thread consumer([&] { got = queue.wait(std::chrono::seconds(30)); });
  std::this_thread::sleep_for(milliseconds(50));  // let it block (if it has not, it still sees it)
  const auto start = std::chrono::steady_clock::now();
  queue.push(TaskFinished{7, "u", "f", 3}, /*droppable=*/false);
  consumer.join();
  EXPECT_TRUE(got);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  std::vector<Event> events;
  queue.pop_all(events);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(std::get<TaskFinished>(events[0]).id, 7U);
}

TEST(EventQueueTest, ProgressBeyondCapacityIsDroppedAndCountedTerminalEventsAreNot) {
  int drained = 0;
  EventQueue queue(2, [&] { ++drained; });
  queue.push(TaskProgress{1, 10, 100, 0, 1}, /*droppable=*/true);
  queue.push(TaskProgress{1, 20, 100, 0, 1}, /*droppable=*/true);
  EXPECT_TRUE(queue.full());
  queue.push(TaskProgress{1, 30, 100, 0, 1}, /*droppable=*/true);   // dropped
  queue.push(TaskFinished{1, "u", "f", 100}, /*droppable=*/false);  // never dropped
  std::vector<Event> events;
  queue.pop_all(events);
  ASSERT_EQ(events.size(), 4U);
  ASSERT_TRUE(std::holds_alternative<EventsDropped>(events[2]));
  EXPECT_EQ(std::get<EventsDropped>(events[2]).count, 1U);
  EXPECT_TRUE(std::holds_alternative<TaskFinished>(events[3]));
  EXPECT_EQ(drained, 1);  // the pop emptied a full queue
  EXPECT_FALSE(queue.full());
}

}  // namespace
}  // namespace spate::core
