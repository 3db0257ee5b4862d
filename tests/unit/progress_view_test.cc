// The human view: the live block on a fake terminal (exact screens at 80 and 40 columns, the
// redraw throttle, permanent lines above the block, the block erased by finish()), and the plain
// and quiet modes (no escape codes at all). Time is simulated; nothing sleeps.
#include "progress_view.h"

#include "support/fake_terminal.h"
#include "support/memory_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace spate::cli {
namespace {

using Clock = ProgressView::Clock;
using spate::testing::FakeTerminal;
using spate::testing::MemoryFile;

Clock::time_point at(int ms) { return Clock::time_point{} + std::chrono::milliseconds(ms); }

TaskQueued queued(TaskId id) { return {id, "http://example.com/f" + std::to_string(id)}; }

TaskStarted started(TaskId id, const std::string& name, std::optional<std::int64_t> size,
                    int connections) {
  return {id,         "http://example.com/f" + std::to_string(id), "/downloads/" + name, size, true,
          connections};
}

TaskProgress progress(TaskId id, std::int64_t downloaded, std::optional<std::int64_t> size,
                      double rate, int connections) {
  return {id, downloaded, size, rate, connections};
}

TaskFinished finished(TaskId id, const std::string& name, std::int64_t bytes, double seconds) {
  TaskFinished e;
  e.id = id;
  e.url = "http://example.com/f" + std::to_string(id);
  e.path = "/downloads/" + name;
  e.bytes = bytes;
  e.seconds = seconds;
  return e;
}

TaskFailed failed(TaskId id, std::string message) {
  return {id, "http://example.com/f" + std::to_string(id),
          Error{ErrorKind::HttpStatus, std::move(message), 404}, 1};
}

ProgressViewOptions on_terminal(int width, int height = 0) {
  ProgressViewOptions options;
  options.terminal = {true, width, height};
  return options;
}

class ProgressViewTest : public ::testing::Test {
 protected:
  // Three downloads in flight: a big one, a small one, one of unknown size.
  void start_three(ProgressView& view, int ms = 0) {
    for (TaskId id = 1; id <= 3; ++id) view.on_event(queued(id), at(ms));
    view.on_event(started(1, "ubuntu-24.04-desktop-amd64.iso", 6'114'656'256, 8), at(ms));
    view.on_event(started(2, "small.bin", 1'048'576, 1), at(ms));
    view.on_event(started(3, "stream.dat", std::nullopt, 1), at(ms));
    view.on_event(progress(1, 1'288'490'188, 6'114'656'256, 12.5 * 1024 * 1024, 8), at(ms));
    view.on_event(progress(2, 512'000, 1'048'576, 256'000, 1), at(ms));
    view.on_event(progress(3, 3'000'000, std::nullopt, 0, 1), at(ms));
  }

  FakeTerminal terminal_of(std::size_t width) const {
    FakeTerminal terminal(width);
    terminal.feed(out.text());
    return terminal;
  }

  MemoryFile out;
};

TEST_F(ProgressViewTest, ThreeDownloadsOn80Columns) {
  ProgressView view(out.file(), on_terminal(80));
  start_three(view);
  view.tick(at(100));
  const FakeTerminal terminal = terminal_of(80);
  const std::vector<std::string> expected = {
      "ubuntu-...64.iso [==>           ]  21% 1.20GiB/5.69GiB 12.5MiB/s eta 6m09s CN:8",
      "small.bin        [======>       ]  48%  500KiB/1.00MiB  250KiB/s    eta 3s CN:1",
      "stream.dat       [              ]   --         2.86MiB      0B/s    eta -- CN:1",
      "total: 12.7MiB/s, 1.20GiB, 0/3 done, 3 active",
  };
  EXPECT_EQ(terminal.screen(), expected);
  EXPECT_EQ(terminal.row(), 4U);  // the cursor rests below the block
  EXPECT_EQ(terminal.col(), 0U);
  EXPECT_TRUE(terminal.violations.empty()) << terminal.violations.front();
  EXPECT_EQ(terminal.wraps, 0U);
}

TEST_F(ProgressViewTest, ThreeDownloadsOn40Columns) {
  ProgressView view(out.file(), on_terminal(40));
  start_three(view);
  view.tick(at(100));
  const FakeTerminal terminal = terminal_of(40);
  const std::vector<std::string> expected = {
      "ubunt....iso [=>       ]  21% 12.5MiB/s",
      "small.bin    [====>    ]  48%  250KiB/s",
      "stream.dat   [         ]   --      0B/s",
      "total: 12.7MiB/s, 1.20GiB, 0/3 done,...",
  };
  EXPECT_EQ(terminal.screen(), expected);
  for (const auto& line : terminal.screen()) EXPECT_LE(line.size(), 40U) << line;
  EXPECT_TRUE(terminal.violations.empty());
  EXPECT_EQ(terminal.wraps, 0U);
}

TEST_F(ProgressViewTest, RedrawsAtMostTenTimesASecond) {
  ProgressView view(out.file(), on_terminal(80));
  start_three(view);
  const auto frames = [&] {
    const std::string text = out.text();
    return std::count(text.begin(), text.end(), '\r');  // every frame starts with "\r"
  };
  EXPECT_EQ(frames(), 1);  // the first change is drawn at once
  view.on_event(progress(2, 600'000, 1'048'576, 256'000, 1), at(50));
  view.tick(at(99));
  EXPECT_EQ(frames(), 1);  // too soon
  view.tick(at(100));
  EXPECT_EQ(frames(), 2);
  view.tick(at(300));
  EXPECT_EQ(frames(), 2);  // nothing changed: nothing drawn
  // Two simulated seconds of progress every 10 ms: at most one frame per 100 ms.
  for (int ms = 310; ms < 2310; ms += 10) {
    view.on_event(progress(1, 1'300'000'000 + ms, 6'114'656'256, 1e7, 8), at(ms));
    view.tick(at(ms));
  }
  EXPECT_GE(frames(), 2 + 19);
  EXPECT_LE(frames(), 2 + 20);
  EXPECT_TRUE(terminal_of(80).violations.empty());
}

TEST_F(ProgressViewTest, EndedDownloadsPrintAPermanentLineAboveTheBlock) {
  ProgressView view(out.file(), on_terminal(80));
  start_three(view);
  view.on_event(finished(2, "small.bin", 1'048'576, 2.0), at(200));
  view.on_event(failed(3, "HTTP 404 Not Found"), at(200));  // held for the next frame
  view.tick(at(300));
  const std::vector<std::string> expected = {
      "saved /downloads/small.bin (1.00 MiB in 2.00s, 512 KiB/s)",
      "error: http://example.com/f3: HTTP 404 Not Found",
  };
  // The block shrank from four rows to two: the rest of the old block is blank.
  FakeTerminal terminal = terminal_of(80);
  ASSERT_EQ(terminal.screen().size(), 4U);
  EXPECT_EQ(terminal.screen()[0], expected[0]);
  EXPECT_EQ(terminal.screen()[1], expected[1]);
  EXPECT_EQ(terminal.screen()[3], "total: 12.5MiB/s, 1.20GiB, 1/3 done, 1 active, 1 failed");
  EXPECT_EQ(terminal.row(), 4U);

  view.finish();  // the block goes, the permanent lines stay, the cursor is right below them
  terminal = terminal_of(80);
  EXPECT_EQ(terminal.screen(), expected);
  EXPECT_EQ(terminal.row(), 2U);
  EXPECT_EQ(terminal.col(), 0U);
  EXPECT_TRUE(terminal.violations.empty());
  view.finish();  // idempotent
  view.on_event(finished(1, "late.bin", 1, 1), at(900));
  EXPECT_EQ(terminal_of(80).screen().size(), 2U);
}

TEST_F(ProgressViewTest, CleanupLeavesNoLiveBlock) {
  ProgressView view(out.file(), on_terminal(80));
  start_three(view);
  view.tick(at(100));
  view.finish();
  const FakeTerminal terminal = terminal_of(80);
  EXPECT_TRUE(terminal.screen().empty());
  EXPECT_EQ(terminal.row(), 0U);
  EXPECT_TRUE(terminal.violations.empty());
}

TEST_F(ProgressViewTest, ManyDownloadsAreCountedAndTheBlockFitsTheScreen) {
  ProgressView view(out.file(), on_terminal(80, 10));
  for (TaskId id = 1; id <= 30; ++id) {
    view.on_event(queued(id), at(0));
    view.on_event(started(id, "file" + std::to_string(id) + ".bin", 1000, 1), at(0));
  }
  view.tick(at(100));
  const auto screen = terminal_of(80).screen();
  ASSERT_EQ(screen.size(), 9U);  // 7 downloads, "more", total: less than the 10 rows
  EXPECT_EQ(screen[0].substr(0, 10), "file1.bin ");
  EXPECT_EQ(screen[6].substr(0, 10), "file7.bin ");
  EXPECT_EQ(screen[7], "... and 23 more");
  EXPECT_EQ(screen[8], "total: 0B/s, 0B, 0/30 done, 30 active");
}

TEST_F(ProgressViewTest, HostileNamesCannotSendEscapes) {
  ProgressView view(out.file(), on_terminal(80));
  view.on_event(queued(1), at(0));
  view.on_event(started(1, "evil\x1b[2J\x1b]0;title\x07.bin", 10, 1), at(0));
  view.on_event(finished(1, "evil\x1b[2J\r.bin", 10, 1), at(200));
  view.finish();
  const FakeTerminal terminal = terminal_of(80);
  EXPECT_TRUE(terminal.violations.empty()) << terminal.violations.front();
  EXPECT_EQ(terminal.screen(),
            std::vector<std::string>{"saved /downloads/evil?[2J?.bin (10 B in 1.00s, 10 B/s)"});
}

TEST_F(ProgressViewTest, ManyLinesBetweenTwoFramesAreAllPrinted) {
  ProgressView view(out.file(), on_terminal(80));
  view.on_event(queued(1000), at(0));
  view.on_event(started(1000, "big.bin", 1 << 30, 4), at(0));
  for (TaskId id = 1; id <= 300; ++id) view.on_event(finished(id, "f.bin", 1, 1), at(1));
  view.finish();
  const FakeTerminal terminal = terminal_of(80);
  EXPECT_EQ(terminal.screen().size(), 300U);
  EXPECT_TRUE(terminal.violations.empty());
}

TEST_F(ProgressViewTest, LongPermanentLinesWrapWithoutCorruptingTheBlock) {
  ProgressView view(out.file(), on_terminal(40));
  start_three(view);
  view.tick(at(100));                // a block of four full rows on screen
  const std::string name(100, 'x');  // "saved /downloads/xxx... (...)" takes four rows
  view.on_event(finished(2, name, 1'048'576, 2.0), at(200));
  view.finish();
  const FakeTerminal terminal = terminal_of(40);
  const std::string line = "saved /downloads/" + name + " (1.00 MiB in 2.00s, 512 KiB/s)";
  std::string joined;
  for (const auto& row : terminal.screen()) joined += row;
  EXPECT_EQ(joined, line);
  EXPECT_EQ(terminal.screen().size(), (line.size() + 39) / 40);
  EXPECT_TRUE(terminal.violations.empty());
}

// A line ending exactly at the right margin leaves the cursor there ("pending wrap"), where a
// "clear line" would erase its last character.
TEST_F(ProgressViewTest, PermanentLineOfExactlyTwoRowsKeepsItsLastCharacter) {
  ProgressView view(out.file(), on_terminal(40));
  start_three(view);
  view.tick(at(100));
  const std::string name(39, 'y');
  view.on_event(finished(2, name, 10, 1.0), at(200));
  view.finish();
  const FakeTerminal terminal = terminal_of(40);
  const std::string line = "saved /downloads/" + name + " (10 B in 1.00s, 10 B/s)";
  ASSERT_EQ(line.size(), 80U);
  EXPECT_EQ(terminal.screen(), (std::vector<std::string>{line.substr(0, 40), line.substr(40)}));
  EXPECT_EQ(terminal.row(), 2U);
}

TEST_F(ProgressViewTest, ResizeAppliesFromTheNextFrame) {
  ProgressView view(out.file(), on_terminal(80));
  start_three(view);
  view.resize(30, 0);
  view.tick(at(100));
  view.finish();
  // Every frame after the resize fits 30 columns: nothing wrapped on a 30-column terminal
  // apart from the first frame (drawn for 80 columns, before the resize).
  const std::string text = out.text();
  const std::string last_frame = text.substr(text.rfind('\r', text.rfind('\r') - 1));
  FakeTerminal terminal(30);
  terminal.feed(last_frame);
  EXPECT_EQ(terminal.wraps, 0U);
}

// --- Not a terminal -----------------------------------------------------------------------

TEST_F(ProgressViewTest, PlainOutputHasLinesForEndsAndAPeriodicStatus) {
  ProgressViewOptions options;  // not a tty
  ProgressView view(out.file(), options);
  start_three(view);
  for (int ms = 1000; ms <= 10'000; ms += 1000) {
    view.on_event(progress(1, 1'288'490'188 + ms, 6'114'656'256, 12.5 * 1024 * 1024, 8), at(ms));
    view.tick(at(ms + 500));
  }
  view.on_event(TaskRetrying{2, Error{ErrorKind::HttpStatus, "HTTP 503", 503}, 1,
                             std::chrono::milliseconds(1500)},
                at(10'600));
  view.on_event(TaskNotice{2, "resume state rejected: size differs"}, at(10'650));
  view.on_event(finished(2, "small.bin", 1'048'576, 2.0), at(10'700));
  view.on_event(failed(3, "HTTP 404 Not Found"), at(10'800));
  view.finish();
  const std::string text = out.text();
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text,
            "[0/3 done, 3 active, 1.20 GiB, 12.7 MiB/s]\n"  // at 5 s
            "[0/3 done, 3 active, 1.20 GiB, 12.7 MiB/s]\n"  // at 10 s
            "retrying http://example.com/f2 in 1.5s after attempt 1: HTTP 503\n"
            "note: http://example.com/f2: resume state rejected: size differs\n"
            "saved /downloads/small.bin (1.00 MiB in 2.00s, 512 KiB/s)\n"
            "error: http://example.com/f3: HTTP 404 Not Found\n");
}

TEST_F(ProgressViewTest, QuietPrintsErrorsOnlyAndNoEscapes) {
  ProgressViewOptions options = on_terminal(80);
  options.quiet = true;
  ProgressView view(out.file(), options);
  start_three(view);
  view.on_event(finished(2, "small.bin", 1'048'576, 2.0), at(200));
  view.on_event(failed(3, "HTTP 404 Not Found"), at(300));
  view.tick(at(20'000));
  view.finish();
  EXPECT_EQ(out.text(), "error: http://example.com/f3: HTTP 404 Not Found\n");
}

TEST_F(ProgressViewTest, MessagesGoAboveTheBlockAndAfterItsEnd) {
  ProgressView view(out.file(), on_terminal(80));
  start_three(view);
  view.tick(at(100));
  view.message("urls.txt:3: not a URL\x1b[2J", at(200));
  EXPECT_EQ(terminal_of(80).screen().size(), 5U);  // the message, then the block of four
  EXPECT_EQ(terminal_of(80).screen()[0], "urls.txt:3: not a URL?[2J");
  view.finish();
  view.message("after", at(300));
  const FakeTerminal terminal = terminal_of(80);
  EXPECT_EQ(terminal.screen(), (std::vector<std::string>{"urls.txt:3: not a URL?[2J", "after"}));
  EXPECT_TRUE(terminal.violations.empty());

  MemoryFile quiet_out;  // quiet: shown all the same
  ProgressViewOptions options = on_terminal(80);
  options.quiet = true;
  ProgressView quiet(quiet_out.file(), options);
  quiet.message("warning", at(0));
  EXPECT_EQ(quiet_out.text(), "warning\n");
}

TEST_F(ProgressViewTest, SkippedDownloadsSayWhy) {
  ProgressView view(out.file(), ProgressViewOptions{});
  TaskFinished skipped = finished(1, "f.bin", 10, 0);
  skipped.skipped = true;
  view.on_event(skipped, at(0));
  EXPECT_EQ(out.text(), "skipped /downloads/f.bin (already exists)\n");
}

}  // namespace
}  // namespace spate::cli
