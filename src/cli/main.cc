// spate: the command-line tool. Built on libspate's public API only.
#include "spate/session.h"

#include "exit_codes.h"
#include "feeder.h"
#include "options.h"
#include "reporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <malloc.h>
#include <unistd.h>

namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int signal_number) {
  // A second interrupt while shutting down means "now".
  if (g_signal.exchange(signal_number) != 0) ::_exit(128 + signal_number);
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  (void)sigaction(SIGINT, &action, nullptr);
  (void)sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

// libcurl allocates each transfer's receive buffer (--buffer-size, 512 KiB by default) when the
// transfer starts and frees it when the transfer ends. Under glibc's adaptive thresholds a free at
// the top of the network thread's heap hands its pages back to the kernel (madvise), and the next
// transfer faults them in again, zero-filled: four or more page faults per small file, and in
// 2,000 files of 16 KiB about a tenth of the CPU time. So the buffers of every connection stay in
// the heap (not mmap), and that much free heap is kept rather than trimmed. Those buffers are
// live at once when every connection runs, so the peak hardly moves (1 GiB on loopback: 14.3 MiB
// against 13.8). A program using the library chooses its own allocator settings.
void keep_receive_buffers_in_heap(const spate::SessionOptions& session) {
#ifdef __GLIBC__
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  const std::size_t buffer = std::max<std::size_t>(session.receive_buffer, 1);
  const auto connections = static_cast<std::size_t>(std::max(session.max_overall_connections, 1));
  // glibc caps the mmap threshold at 32 MiB; the receive buffer is at most 10 MiB.
  const std::size_t mmap_threshold = std::clamp(2 * buffer, kMiB, 32 * kMiB);
  const std::size_t trim_threshold = std::clamp(connections * buffer, kMiB, 1024 * kMiB);
  // NOLINTBEGIN(concurrency-mt-unsafe): called before the session starts any thread
  (void)mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold));
  (void)mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold));
  // NOLINTEND(concurrency-mt-unsafe)
#else
  (void)session;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spate;
  auto parsed = cli::parse_command_line(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const cli::CliOptions& options = *parsed.options;
  keep_receive_buffers_in_heap(options.session);

  auto created = Session::create(options.session);
  if (!created) {
    fmt::print(stderr, "spate: cannot start: {}\n", created.error().message);
    return cli::kExitInternal;
  }
  Session& session = **created;
  install_signal_handlers();

  // The feeder submits from its own thread while this one drains events: submit() blocks when
  // the intake is full, and events must keep flowing meanwhile.
  cli::Feeder feeder(options, session);

  cli::ReporterOptions report;
  report.quiet = options.quiet;
  report.json = options.json;
  report.terminal = cli::probe_terminal(STDERR_FILENO);
  report.terminal_fd = STDERR_FILENO;  // re-probed on tick(): a resized window is followed
  cli::Reporter reporter(stderr, stdout, report);
  std::vector<Event> events;
  bool cancelled = false;
  for (;;) {
    session.wait_for_event(std::chrono::milliseconds(100));
    if (g_signal != 0 && !cancelled) {
      cancelled = true;
      session.cancel();
    }
    // Read before draining: once idle, every terminal event is already in the queue.
    const bool finished = feeder.done() && session.idle();
    events.clear();
    session.pop_events(events);
    for (const auto& event : events) reporter.on_event(event);
    for (const auto& line : feeder.take_messages()) reporter.message(line);
    reporter.tick();
    // Drain in batches: waking for every event costs a context switch per event, which shows
    // on lists of small files; the view redraws at most 10 times a second anyway. The pause
    // ends early when the last task is in, and then at the end: either would otherwise add up
    // to 10 ms to every run (a single small file took 11.2 ms instead of 9.3).
    if (finished) break;
    if (feeder.done()) {
      session.wait_idle_for(std::chrono::milliseconds(10));
    } else {
      feeder.wait_done_for(std::chrono::milliseconds(10));
    }
  }
  for (const auto& line : feeder.take_messages()) reporter.message(line);
  reporter.print_summary();
  if (g_signal == SIGINT) return cli::kExitInterrupted;
  if (g_signal == SIGTERM) return cli::kExitTerminated;
  if (feeder.problems() > 0) return cli::kExitDownloadFailed;
  return reporter.exit_code();
}
