// Downloads a list of URLs into a directory with libspate, at most 4 at a time, and prints one
// line per download. Usage: download_list DIR URL...   Exit status 1 when any download failed.
#include <cstdio>
#include <spate/session.h>
#include <thread>
#include <variant>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR URL...\n", argv[0]);
    return 2;
  }
  spate::SessionOptions options;
  options.max_concurrent_downloads = 4;
  auto session = spate::Session::create(options);
  if (!session) {
    std::fprintf(stderr, "cannot start: %s\n", session.error().message.c_str());
    return 2;
  }
  // submit() blocks while the intake is full, so feed from a thread while this one reads events.
  std::thread feeder([&] {
    for (int i = 2; i < argc; ++i) (*session)->submit({.url = argv[i], .dir = argv[1]});
    (*session)->close();
  });
  int failed = 0;
  std::vector<spate::Event> events;
  for (bool done = false; !done;) {
    (*session)->wait_for_event(std::chrono::milliseconds(100));
    done = (*session)->idle();  // read before popping: once idle, every event is queued
    events.clear();
    (*session)->pop_events(events);
    for (const auto& event : events) {
      if (const auto* ok = std::get_if<spate::TaskFinished>(&event)) {
        std::printf("ok %s %lld\n", ok->path.c_str(), static_cast<long long>(ok->bytes));
      } else if (const auto* bad = std::get_if<spate::TaskFailed>(&event)) {
        std::printf("failed %s: %s\n", bad->url.c_str(), bad->error.message.c_str());
        ++failed;
      }
    }
  }
  feeder.join();
  return failed == 0 ? 0 : 1;
}
