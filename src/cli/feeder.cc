#include "feeder.h"

#include "input_list.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <utility>
#include <vector>

namespace spate::cli {

Feeder::Feeder(const CliOptions& options, Session& session)
    : options_(options), session_(session), thread_([this] { run(); }) {}

Feeder::~Feeder() {
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> Feeder::take_messages() {
  std::lock_guard lock(messages_mutex_);
  return std::exchange(messages_, {});
}

void Feeder::post(std::string message) {
  std::lock_guard lock(messages_mutex_);
  messages_.push_back(std::move(message));
}

void Feeder::run() {
  bool open = true;
  for (const auto& url : options_.urls) {
    if (!in_shard(options_.shard, url, options_.out)) continue;
    Task task{url, options_.dir, options_.out, options_.task};
    if (!session_.submit(std::move(task))) {
      open = false;  // cancelled
      break;
    }
  }
  if (open && !options_.input_file.empty()) feed_list();
  session_.close();
  {
    std::lock_guard lock(done_mutex_);
    done_ = true;
  }
  done_changed_.notify_all();
}

void Feeder::wait_done_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(done_mutex_);
  done_changed_.wait_for(lock, timeout, [this] { return done_.load(); });
}

void Feeder::feed_list() {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (options_.input_file != "-") {
    file.open(options_.input_file);
    if (!file) {
      post(fmt::format("error: cannot read input file {}", options_.input_file));
      ++problems_;
      return;
    }
    in = &file;
  }
  const Task base{"", options_.dir, "", options_.task};
  InputListReader reader(*in);
  std::vector<InputProblem> problems;
  for (;;) {
    auto entry = reader.next(problems);
    for (const auto& problem : problems) {
      post(fmt::format("{}: {}", options_.input_file, problem.message));
    }
    problems_ += problems.size();
    problems.clear();
    if (!entry) return;
    if (!in_shard(options_.shard, entry->url, entry->out)) continue;
    if (!session_.submit(make_task(base, *entry, options_.split_after_given))) {
      return;  // cancelled
    }
  }
}

}  // namespace spate::cli
