// Feeds the tasks of one run into a Session from its own thread: the URLs from the command line,
// then the entries of the input list, streamed (a list of a million URLs is never held in
// memory; submit() blocks while the session's intake is full). Malformed list lines are printed
// with their line number and skipped. Owned and joined by the CLI's main thread.
#pragma once

#include "spate/session.h"

#include "options.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spate::cli {

class Feeder {
 public:
  // Starts feeding at once. `options` and `session` must outlive the Feeder.
  Feeder(const CliOptions& options, Session& session);
  ~Feeder();  // joins
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;

  bool done() const { return done_; }  // every task was submitted (or refused)
  // Returns when done() or after `timeout`, whichever comes first.
  void wait_done_for(std::chrono::milliseconds timeout);
  std::uint64_t problems() const { return problems_; }  // list lines reported and skipped
  // Messages for the user (bad list lines), to be shown by the main thread: only it may write
  // to the terminal while the progress view is live.
  std::vector<std::string> take_messages();

 private:
  void run();
  void feed_list();
  void post(std::string message);

  const CliOptions& options_;
  Session& session_;
  std::atomic<bool> done_{false};
  std::mutex done_mutex_;  // pairs with done_changed_; done_ is set under it
  std::condition_variable done_changed_;
  std::atomic<std::uint64_t> problems_{0};
  std::mutex messages_mutex_;
  std::vector<std::string> messages_;  // guarded by messages_mutex_
  std::thread thread_;                 // last: starts after the members above exist
};

}  // namespace spate::cli
